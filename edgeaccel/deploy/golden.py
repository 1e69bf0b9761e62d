"""Golden inputs for a validation run, and the simulation's reference outputs for them: LiteRT on
the host for .tflite models, the csim library (bit-exact with QKeras) for hls artifacts. Without
data of the user's, golden inputs are drawn with a fixed seed (SEED), and a warning says so."""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeaccel.artifact import Artifact
from edgeaccel.errors import DataError, ModelError

log = logging.getLogger(__name__)

SEED = 0
GENERATED_SAMPLES = 256


@dataclass(frozen=True)
class Golden:
    inputs: np.ndarray
    reference: np.ndarray
    reference_name: str


def golden_inputs(artifact: Artifact, data: Path | None = None, samples: int | None = None) -> tuple[np.ndarray, str]:
    """The golden inputs and where they came from: `data` (x of a DATA.npz), else test.npz beside the
    artifact, else a seeded draw from calib.npz beside it, else an hls artifact's testbench inputs,
    else seeded uniform samples on the model's input grid. Labels are never needed: the board is
    checked against the simulation."""
    from edgeaccel.data import read_npz

    beside, calib = artifact.directory.parent / "test.npz", artifact.directory.parent / "calib.npz"
    testbench = artifact.directory / artifact.details.get("project_dir", "") / "tb_data" / "tb_input_features.dat"
    if data is not None:
        x, _ = read_npz(Path(data).expanduser())
        source = str(data)
    elif beside.is_file():
        x, _ = read_npz(beside)
        source = str(beside)
    elif calib.is_file():
        x, _ = read_npz(calib)
        chosen = np.random.default_rng(SEED).permutation(len(x))[:samples or GENERATED_SAMPLES]
        x = x[np.sort(chosen)]
        source = f"{len(x)} samples of {calib} drawn with seed {SEED}"
        log.warning("golden inputs: no --data and no test.npz beside the artifact; using %s (the board is checked "
                    "against the simulation, without labels)", source)
    elif artifact.target == "hls" and testbench.is_file():
        x = np.loadtxt(testbench, ndmin=2, dtype=np.float64).astype(np.float32)
        source = str(testbench)
    else:
        x, source = generated_inputs(artifact, samples or GENERATED_SAMPLES)
        log.warning("golden inputs: no --data, no test.npz or calib.npz beside the artifact; using %s (the board is "
                    "checked against the simulation, without labels)", source)
    x = x[:samples] if samples else x
    log.info("golden inputs: %d samples from %s", len(x), source)
    return x, source


def generated_inputs(artifact: Artifact, count: int, seed: int = SEED) -> tuple[np.ndarray, str]:
    """`count` samples drawn uniformly from the codes of the model's input grid (the QKeras input
    quantizer's), else of its int8 input tensor; refused when the model has neither."""
    details = artifact.details
    shape = _input_shape(artifact)
    rng = np.random.default_rng(seed)
    grid = details.get("input_grid")
    if grid:
        from edgeaccel.quantize.grid import InputGrid

        grid = InputGrid.from_dict(grid)
        low, high = grid.codes
        x = (rng.integers(low, high, size=(count, *shape), endpoint=True) * grid.step).astype(np.float32)
        described = f"{'signed' if grid.signed else 'unsigned'} {grid.bits}-bit input grid, [{low * grid.step:g}, {high * grid.step:g}] in steps of {grid.step:g}"
    else:
        tensor = (details.get("inputs") or [{}])[0]
        if tensor.get("dtype") != "int8" or not tensor.get("scale"):
            raise DataError(f"golden inputs: expected --data DATA.npz, test.npz or calib.npz beside the artifact "
                            f"({artifact.directory.parent}), or a model with an input grid to draw samples on, received "
                            f"none of them (the {artifact.target} model's input is {tensor.get('dtype', 'unknown')} "
                            f"with no quantizer)")
        codes = rng.integers(-128, 127, size=(count, *shape), endpoint=True)
        x = ((codes - tensor["zero_point"]) * tensor["scale"]).astype(np.float32)
        described = f"int8 input tensor (scale {tensor['scale']:g}, zero point {tensor['zero_point']})"
    return x, f"{count} samples generated with seed {seed}, uniform on the {described}"


def _input_shape(artifact: Artifact) -> tuple[int, ...]:
    details = artifact.details
    if "n_in" in details:
        return (int(details["n_in"]),)
    inputs = details.get("inputs") or []
    if not inputs:
        raise ModelError(f"{artifact.directory}/artifact.json: expected the model's input shape, received none")
    return tuple(int(d) for d in inputs[0]["shape"][1:])


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
