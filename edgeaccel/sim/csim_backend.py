"""The csim backend: the hls4ml firmware's C simulation, bit-exact with its fixed-point reference,
batched over the cores this process may use (edgeaccel.cpus).

The loop over samples runs in C++. Each worker thread calls its own copy of the compiled library
(the copies have separate statics, see hls_templates/csim/edgeaccel_bridge.cpp), and ctypes
releases the GIL during the call, so the threads run in parallel on every core.
"""

import ctypes
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from edgeaccel.artifact import read_artifact
from edgeaccel.cpus import cpu_budget
from edgeaccel.details import HlsDetails
from edgeaccel.errors import ModelError
from edgeaccel.quantize.grid import InputGrid
from edgeaccel.sim.csim_build import csim_library


class NotTraced(ModelError):
    """hls4ml emits no trace for layers that compute nothing (Flatten, Reshape)."""


_DOUBLES = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")


class CsimBackend:
    name = "csim"

    def __init__(self, artifact: Path | str, threads: int | None = None):
        artifact = Path(artifact)
        manifest = read_artifact(artifact, HlsDetails)
        details = manifest.details
        self.artifact = manifest
        self.project = (artifact / details["project_dir"]).resolve()
        self.weights = self.project / "firmware" / "weights"
        self.n_in, self.n_out = int(details["n_in"]), int(details["n_out"])
        self.output_shape = tuple(details["output_shape"])
        self.grid = InputGrid.from_dict(details["input_grid"])
        self.layers = {record["name"]: record for record in details["layers"]}
        self.logits_layer = details["logits_layer"]
        self.softmax_layer = details.get("softmax_layer")
        self.library = csim_library(self.project, self.n_in, self.n_out)
        self.threads = max(1, threads or cpu_budget())
        self._copies = [_load_copy(self.library, self.weights) for _ in range(self.threads)]
        self._reference = None

    @property
    def reference(self):
        """The fixed-point QKeras reference this design equals (reference.h5 in the artifact)."""
        if self._reference is None:
            from edgeaccel.models.files import load_model

            path = self.artifact.directory / self.artifact.details.reference_model
            if not path.is_file():
                raise ModelError(f"{self.artifact.directory}: expected the reference model {path.name}, received none "
                                 f"(the artifact is incomplete: convert the model again)")
            self._reference = load_model(path)
        return self._reference

    def use_weights(self, weights: Path | str) -> None:
        """Simulate other weights for the same design without recompiling: `weights` is a firmware
        weights folder, as `edgeaccel.convert.hls.write_weights` writes for a retrained model of the
        same architecture and precisions. Fresh copies of the library load them."""
        weights = Path(weights)
        if not weights.is_dir():
            raise ModelError(f"use_weights: expected a firmware weights folder, received {str(weights)!r}")
        self.weights = weights
        self._copies = [_load_copy(self.library, self.weights) for _ in range(self.threads)]

    def predict(self, x: np.ndarray) -> np.ndarray:
        flat = self._inputs(x)
        out = np.empty((len(flat), self.n_out), dtype=np.float64)
        self._parallel(flat, lambda lib, xs, lo, hi: lib.edgeaccel_predict(xs, out[lo:hi], hi - lo))
        return out.reshape((len(flat),) + self.output_shape).astype(np.float32)

    def is_traced(self, layer: str) -> bool:
        return bool(self._copies[0].edgeaccel_is_traced(layer.encode()))

    def layer_outputs(self, x: np.ndarray, layers: list[str]) -> dict[str, np.ndarray]:
        """The outputs of traced hls4ml layers, one row per sample, as float64, and under the key None the model's
        outputs (as `predict` gives them, flat): one model run per sample for all of them."""
        for layer in layers:
            if layer not in self.layers:
                raise ModelError(f"csim trace: expected one of the layers {sorted(self.layers)}, received {layer!r}")
        flat = self._inputs(x)
        sizes = np.asarray([int(self.layers[layer]["outputs"]) for layer in layers], dtype=np.int64)
        outs = {layer: np.empty((len(flat), size), dtype=np.float64) for layer, size in zip(layers, sizes)}
        outputs = np.empty((len(flat), self.n_out), dtype=np.float64)
        names = (ctypes.c_char_p * len(layers))(*[layer.encode() for layer in layers])

        def run(lib, xs, lo, hi):
            pointers = (ctypes.POINTER(ctypes.c_double) * len(layers))(
                *[outs[layer][lo:hi].ctypes.data_as(ctypes.POINTER(ctypes.c_double)) for layer in layers])
            missing = lib.edgeaccel_trace(xs, hi - lo, len(layers), names, pointers,
                                          sizes.ctypes.data_as(ctypes.POINTER(ctypes.c_long)), outputs[lo:hi])
            if missing:
                layer = layers[missing - 1]
                raise NotTraced(f"csim trace: expected a traced layer, received {layer!r}, which hls4ml does not trace "
                                f"(it computes nothing: {self.layers[layer]['class']})")

        self._parallel(flat, run)
        return outs | {None: outputs}

    def layer_output(self, x: np.ndarray, layer: str) -> np.ndarray:
        """The output of one traced hls4ml layer, one row per sample, as float64."""
        return self.layer_outputs(x, [layer])[layer]

    def logits(self, x: np.ndarray) -> np.ndarray:
        return self.layer_output(x, self.logits_layer)

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        samples = x.reshape(len(x), -1)
        if samples.shape[1] != self.n_in:
            raise ModelError(f"x: expected samples of {self.n_in} values (the model's input), received {samples.shape[1]}")
        return np.ascontiguousarray(self.grid.quantize(samples), dtype=np.float64)

    def _parallel(self, flat: np.ndarray, call) -> None:
        bounds = np.linspace(0, len(flat), num=min(self.threads, max(len(flat), 1)) + 1, dtype=int)
        jobs = [(lib, lo, hi) for lib, lo, hi in zip(self._copies, bounds[:-1], bounds[1:]) if hi > lo]
        with ThreadPoolExecutor(max_workers=len(jobs) or 1) as pool:
            list(pool.map(lambda job: call(job[0], flat[job[1]:job[2]], job[1], job[2]), jobs))


def _load_copy(library: Path, weights: Path):
    """A private copy of the library: its own statics, weights loaded from `weights` on first use."""
    directory = tempfile.mkdtemp(prefix="edgeaccel-csim-")
    try:
        copy = Path(shutil.copy(library, Path(directory) / library.name))
        lib = ctypes.CDLL(str(copy), mode=os.RTLD_LOCAL)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    lib.edgeaccel_set_weights_dir.argtypes = [ctypes.c_char_p]
    lib.edgeaccel_predict.argtypes = [_DOUBLES, _DOUBLES, ctypes.c_long]
    lib.edgeaccel_is_traced.argtypes = [ctypes.c_char_p]
    lib.edgeaccel_is_traced.restype = ctypes.c_int
    lib.edgeaccel_trace.argtypes = [_DOUBLES, ctypes.c_long, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
                                    ctypes.POINTER(ctypes.POINTER(ctypes.c_double)), ctypes.POINTER(ctypes.c_long), _DOUBLES]
    lib.edgeaccel_trace.restype = ctypes.c_int
    lib.edgeaccel_set_weights_dir(str(weights).encode())
    return lib
