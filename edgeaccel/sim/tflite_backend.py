"""The TFLite backend: the LiteRT interpreter, one invoke per batch (no per-sample Python loop).

`reference_kernels=True` runs LiteRT's reference kernels (`OpResolverType.BUILTIN_REF`), which
TFLite Micro's kernels equal bit for bit; the default is LiteRT's optimized kernels, which may
round differently on near-ties.
"""

from pathlib import Path

import numpy as np

from edgeaccel.artifact import read_artifact
from edgeaccel.cpus import cpu_budget
from edgeaccel.details import EdgeTpuDetails, TfliteDetails, TflmDetails
from edgeaccel.data import check_against_input
from edgeaccel.errors import ModelError
from edgeaccel.quantize.grid import InputGrid
from edgeaccel.tfenv import quiet_native_stderr


class TfliteBackend:
    name = "tflite"

    def __init__(self, artifact: Path, batch_size: int = 4096, reference_kernels: bool = False):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        path, self.grid, _ = tflite_model(artifact)
        self.model_path = path
        resolver = OpResolverType.BUILTIN_REF if reference_kernels else OpResolverType.AUTO
        try:
            with quiet_native_stderr():
                self.interpreter = Interpreter(model_path=str(path), num_threads=cpu_budget(),
                                               experimental_op_resolver_type=resolver)
        except (ValueError, RuntimeError) as e:
            raise ModelError(f"{path}: expected a valid .tflite flatbuffer, received one LiteRT rejects ({e})") from e
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.input_shape = tuple(int(d) for d in self.input["shape"][1:])
        self.batch_size = batch_size
        self._batch = None

    def predict(self, x: np.ndarray) -> np.ndarray:
        check_against_input(x, self.input_shape, "x")
        if self.grid is not None:
            x = self.grid.quantize(x)
        outputs = [self._invoke(x[start:start + self.batch_size]) for start in range(0, len(x), self.batch_size)]
        return np.concatenate(outputs)

    def _invoke(self, x: np.ndarray) -> np.ndarray:
        if self._batch != len(x):
            self.interpreter.resize_tensor_input(self.input["index"], (len(x),) + self.input_shape)
            with quiet_native_stderr():
                self.interpreter.allocate_tensors()
            self._batch = len(x)
        self.interpreter.set_tensor(self.input["index"], quantize(x, self.input))
        self.interpreter.invoke()
        return dequantize(self.interpreter.get_tensor(self.output["index"]), self.output)


def tflite_model(artifact: Path) -> tuple[Path, InputGrid | None, object]:
    """The .tflite file of a tflite, tflm or edgetpu artifact directory (or a .tflite path itself),
    the QKeras input grid it was calibrated on, and the artifact's details."""
    path, grid, details = artifact, None, None
    if artifact.is_dir():
        manifest = read_artifact(artifact, TfliteDetails, TflmDetails, EdgeTpuDetails)
        details = manifest.details
        path = manifest.file(details["model_file"])
        grid = InputGrid.from_dict(details["input_grid"]) if details.get("input_grid") else None
    if not path.is_file():
        raise ModelError(f"{path}: expected a .tflite file, received a path that does not exist")
    return path, grid, details


def quantize(x: np.ndarray, detail: dict) -> np.ndarray:
    dtype = detail["dtype"]
    scale, zero_point = detail["quantization"]
    if np.issubdtype(dtype, np.integer) and scale:
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale) + zero_point, info.min, info.max).astype(dtype)
    return x.astype(dtype)


def dequantize(values: np.ndarray, detail: dict) -> np.ndarray:
    scale, zero_point = detail["quantization"]
    if np.issubdtype(values.dtype, np.integer) and scale:
        return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)
    return values.astype(np.float32)
