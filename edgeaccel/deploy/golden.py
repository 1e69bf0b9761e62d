"""Golden inputs for a validation run, and the simulation's reference outputs for them: LiteRT on
the host for .tflite models, the csim library (bit-exact with QKeras) for hls artifacts."""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeaccel.artifact import Artifact
from edgeaccel.errors import DataError, ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Golden:
    inputs: np.ndarray
    reference: np.ndarray
    reference_name: str


def golden_inputs(artifact: Artifact, data: Path | None = None, samples: int | None = None) -> tuple[np.ndarray, str]:
    """`data` (x of a DATA.npz), else test.npz beside the artifact, else an hls artifact's testbench inputs."""
    from edgeaccel.data import read_npz

    beside = artifact.directory.parent / "test.npz"
    testbench = artifact.directory / artifact.details.get("project_dir", "") / "tb_data" / "tb_input_features.dat"
    if data is not None:
        x, _ = read_npz(Path(data).expanduser())
        source = str(data)
    elif beside.is_file():
        x, _ = read_npz(beside)
        source = str(beside)
    elif artifact.target == "hls" and testbench.is_file():
        x = np.loadtxt(testbench, ndmin=2, dtype=np.float64).astype(np.float32)
        source = str(testbench)
    else:
        raise DataError(f"golden inputs: expected --data DATA.npz, or test.npz beside the artifact ({beside}), received neither")
    x = x[:samples] if samples else x
    log.info("golden inputs: %d samples from %s", len(x), source)
    return x, source


def tflite_golden(model: Path, x: np.ndarray, grid) -> Golden:
    """The input tensors the runner feeds (quantized as TfliteBackend does) and LiteRT's raw output
    tensors for them, one sample per invoke, as on the board."""
    from ai_edge_litert.interpreter import Interpreter

    from edgeaccel.data import check_against_input
    from edgeaccel.sim.tflite_backend import quantize
    from edgeaccel.tfenv import quiet_native_stderr

    try:
        with quiet_native_stderr():
            interpreter = Interpreter(model_path=str(model))
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        raise ModelError(f"{model}: expected a .tflite LiteRT can run on the host for the reference outputs, "
                         f"received one it rejects ({e})") from e
    source, sink = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    check_against_input(x, tuple(int(d) for d in source["shape"][1:]), "golden inputs: x")
    tensors = quantize(grid.quantize(x) if grid is not None else x, source)
    outputs = []
    for sample in tensors:
        interpreter.set_tensor(source["index"], sample[np.newaxis])
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(sink["index"])[0].copy())
    return Golden(tensors, np.stack(outputs), f"LiteRT on the host ({model.name})")


def csim_golden(artifact: Artifact, x: np.ndarray) -> Golden:
    """Inputs on the model's input grid, and the csim library's outputs for them."""
    from edgeaccel.sim.csim_backend import CsimBackend

    backend = CsimBackend(artifact.directory)
    flat = x.reshape(len(x), -1)
    if flat.shape[1] != backend.n_in:
        raise DataError(f"golden inputs: x: expected samples of {backend.n_in} values (the model's input), received {flat.shape[1]}")
    inputs = backend.grid.quantize(flat)
    reference = backend.predict(x).reshape(len(x), -1)
    return Golden(inputs, reference, "the csim library on the host")
