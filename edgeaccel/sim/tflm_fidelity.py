"""TFLite Micro against LiteRT's reference kernels: equal outputs, or where they start to differ and why.
A pure analysis over the two interpreters.

TFLM's kernels are LiteRT's reference kernels, with one difference of arithmetic, in FULLY_CONNECTED:
how the int32 accumulator is scaled to the int8 output.

- tflite-micro (kernels/fully_connected_common.cc, then reference_integer_ops::FullyConnected with
  output_multiplier and output_shift) uses the Q31 fixed-point multiplier that every other op uses,
  `MultiplyByQuantizedMultiplier` (kernels/internal/common.cc, built without TFLITE_SINGLE_ROUNDING):
  two roundings, gemmlowp's SaturatingRoundingDoublingHighMul to 31 bits, then RoundingDivideByPOT by
  the right shift r.
- LiteRT (ai-edge-litert, and TensorFlow's tf.lite; tflite/kernels/fully_connected.cc calls the
  overloads of reference/integer_ops/fully_connected.h that take the tensors' float scales) computes
  round(acc x double(input scale) x double(filter scale) / double(output scale)) in double precision:
  one rounding, half away from zero.

CONV_2D and DEPTHWISE_CONV_2D take the fixed-point path in both, and agree. In FULLY_CONNECTED the
two differ by one int8 step where the exact value lies within about 2^-(r+1) of a rounding boundary:
rarely where r is large, often where it is small (measured: 4.4% of the outputs of the MLPerf Tiny
autoencoder's last layer, r = 3). A difference then propagates through the ops after it.

Where the outputs of a sample differ, both interpreters run it again keeping every tensor. An op whose
inputs are equal in both and whose outputs are not is where a difference starts. For an int8
FULLY_CONNECTED the analysis recomputes the int32 accumulators from its inputs and rescales them both
ways: the start is "rounding" when every element of TFLM's output is the fixed-point result and every
element of LiteRT's the double-precision one. Any other start is "unexplained" (another op, a constant
that differs, arithmetic neither reproduces), and the check fails. A sample whose every start is
"rounding" differs by that rounding alone.
"""

import logging
from pathlib import Path

import numpy as np

from edgeaccel.errors import ToolError
from edgeaccel.readers.tflite_graph import OpInfo, read_graph

log = logging.getLogger(__name__)

REFERENCE = "LiteRT reference kernels (BUILTIN_REF) on the same model.tflite"
ROUNDING = ("TFLM's FULLY_CONNECTED rescales its accumulators with a Q31 fixed-point multiplier and two roundings "
            "(gemmlowp), LiteRT's reference kernel in double precision with one")


def tflm_fidelity(artifact: Path, x: np.ndarray, task: str = "classification", tflm_outputs: np.ndarray | None = None) -> dict:
    """TFLM (in the artifact's arena) against LiteRT's reference kernels on `x`: the fraction of samples whose
    outputs are equal, and for the others where the difference starts and whether rounding explains it.
    `tflm_outputs`: the tflm backend's outputs on `x`, when already computed. `ok` is False when any
    difference is unexplained; `verdict` says it in one line."""
    from edgeaccel.sim.fidelity import agreement
    from edgeaccel.sim.tflite_backend import TfliteBackend, quantize
    from edgeaccel.sim.tflm_backend import TflmBackend

    artifact = Path(artifact)
    litert = TfliteBackend(artifact, reference_kernels=True)
    if tflm_outputs is None:
        tflm_outputs = TflmBackend(artifact).predict(x)
    reference_outputs = litert.predict(x)
    result = agreement(tflm_outputs, reference_outputs, REFERENCE, task)
    differing = np.flatnonzero(np.any(tflm_outputs.reshape(len(x), -1) != reference_outputs.reshape(len(x), -1), axis=1))
    samples = []
    if len(differing):
        grid_x = x[differing] if litert.grid is None else litert.grid.quantize(x[differing])
        model = litert.model_path
        samples = trace_differences(model, model, quantize(grid_x, litert.input))
        samples = [starts or [_unplaced("every tensor is equal when traced, though the outputs compared differ (TFLM "
                                        "in the artifact's arena against TFLM keeping every tensor)")] for starts in samples]
    starts = _by_op(samples)
    rounding = sum(1 for sample in samples if all(start["status"] == "rounding" for start in sample))
    result |= {
        "rounding_fraction": rounding / len(x),
        "unexplained_fraction": (len(differing) - rounding) / len(x),
        "starts": starts,
        "ok": rounding == len(differing),
    }
    result["verdict"] = verdict(result)
    return result


def trace_differences(micro_model: Path, litert_model: Path, inputs: np.ndarray) -> list[list[dict]]:
    """Run `inputs` (int8, one row per sample) through TFLM on `micro_model` and LiteRT's reference kernels on
    `litert_model` (normally the same file), keeping every tensor; for each sample, the ops where a difference
    starts: {"op", "name", "status": "rounding" | "unexplained", "elements", "reason"}."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from edgeaccel.tfenv import quiet_native_stderr

    graph = read_graph(Path(micro_model).read_bytes())
    with quiet_native_stderr():
        litert = Interpreter(model_path=str(litert_model), experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                             experimental_preserve_all_tensors=True)
        litert.allocate_tensors()
    micro = _micro_keeping_all_tensors(Path(micro_model), graph)
    quantization = {t["index"]: t["quantization_parameters"] for t in litert.get_tensor_details()}
    tensors = {t.index: t for op in graph.ops for t in op.tensors}
    graph_input = graph.inputs[0].index
    per_sample = []
    for row in inputs:
        sample = row.reshape(graph.inputs[0].shape)
        litert.set_tensor(graph_input, sample)
        litert.invoke()
        micro.set_input(sample, 0)
        micro.invoke()
        values = {index: (litert.get_tensor(index), micro.GetTensor(index, 0)["tensor_data"]) for index in tensors}
        differs = {index for index, (a, b) in values.items() if not np.array_equal(a, np.asarray(b).reshape(a.shape))}
        starts = []
        for op in graph.ops:
            changed = [t.index for t in op.outputs if t.index in differs]
            if not changed:
                continue
            different_inputs = [t for t in op.inputs if t.index in differs]
            if any(not t.constant for t in different_inputs):
                continue
            if different_inputs:
                names = ", ".join(repr(t.name) for t in different_inputs)
                starts.append(_start(op, "unexplained", values, changed, f"its constant input {names} differs between the two models"))
            else:
                status, reason = explain(op, quantization, values)
                starts.append(_start(op, status, values, changed, reason))
        if not starts and differs:
            starts.append(_unplaced("tensors differ that no op produces"))
        per_sample.append(starts)
    return per_sample


def explain(op: OpInfo, quantization: dict, values: dict) -> tuple[str, str]:
    """Whether an op whose inputs are equal in both interpreters differs by FULLY_CONNECTED's rescaling alone."""
    if op.name != "FULLY_CONNECTED":
        return "unexplained", (f"{op.name} differs with equal inputs; edgeaccel knows of no difference of arithmetic "
                               f"there (only FULLY_CONNECTED rescales differently)")
    output = op.outputs[0]
    if output.dtype != "int8" or op.inputs[0].dtype != "int8":
        return "unexplained", f"FULLY_CONNECTED with {op.inputs[0].dtype} input and {output.dtype} output is not reproduced (int8 only)"
    litert_out, micro_out = (np.asarray(v).reshape(values[output.index][0].shape).astype(np.int64) for v in values[output.index])
    accumulators = fully_connected_accumulators(op, quantization, {t.index: values[t.index][0] for t in op.inputs})
    multiplier, shift = op_multipliers(op, quantization)
    low, high = activation_range(op.fused_activation, quantization[output.index])
    zero_point = int(quantization[output.index]["zero_points"][0])
    fixed = np.clip(double_rounding(accumulators, multiplier, shift) + zero_point, low, high)
    real = np.clip(double_precision(accumulators, op, quantization) + zero_point, low, high)
    micro_off = int(np.sum(micro_out != fixed.reshape(micro_out.shape)))
    litert_off = int(np.sum(litert_out != real.reshape(litert_out.shape)))
    shifts = f"right shift {-int(shift.max())}" if shift.min() == shift.max() else f"right shifts {-int(shift.max())}-{-int(shift.min())}"
    if litert_off == 0 and micro_off == 0:
        return "rounding", (f"recomputed from the same int32 accumulators: every TFLM output is the fixed-point result "
                            f"({shifts}, two roundings), every LiteRT output the double-precision one")
    return "unexplained", (f"recomputed from the same int32 accumulators: {micro_off} TFLM outputs are not the fixed-point "
                           f"result and {litert_off} LiteRT outputs not the double-precision one, of {litert_out.size}")


def fully_connected_accumulators(op: OpInfo, quantization: dict, inputs: dict) -> np.ndarray:
    """The int32 accumulators (bias included) of an int8 FULLY_CONNECTED, in int64, shaped as its output."""
    data, weights = op.inputs[0], op.inputs[1]
    x = inputs[data.index].astype(np.int64) - int(quantization[data.index]["zero_points"][0])
    w = inputs[weights.index].astype(np.int64) - int(quantization[weights.index]["zero_points"][0])
    bias = inputs[op.inputs[2].index].astype(np.int64) if len(op.inputs) > 2 else 0
    return (x.reshape(-1, w.shape[1]) @ w.T + bias).reshape(op.outputs[0].shape)


def double_precision(accumulators: np.ndarray, op: OpInfo, quantization: dict) -> np.ndarray:
    """LiteRT's reference FULLY_CONNECTED: round(acc x double(input scale) x double(filter scale) / double(output scale))."""
    input_scale = np.float64(np.float32(quantization[op.inputs[0].index]["scales"][0]))
    filter_scales = np.asarray(quantization[op.inputs[1].index]["scales"], np.float32).astype(np.float64)
    output_scale = np.float64(np.float32(quantization[op.outputs[0].index]["scales"][0]))
    return _round_half_away(accumulators.astype(np.float64) * (input_scale * filter_scales / output_scale)).astype(np.int64)


def op_multipliers(op: OpInfo, quantization: dict) -> tuple[np.ndarray, np.ndarray]:
    """The quantized multipliers and shifts (one per output channel, or one) TFLM's FULLY_CONNECTED computes in
    Prepare: double(input scale) x double(filter scale) / double(output scale) (fully_connected_common.cc;
    GetQuantizedConvolutionMultipler per tensor, which without a bias multiplies the two scales in float32 first)."""
    input_scale = np.float32(quantization[op.inputs[0].index]["scales"][0])
    filter_scales = np.asarray(quantization[op.inputs[1].index]["scales"], np.float32)
    output_scale = np.float32(quantization[op.outputs[0].index]["scales"][0])
    if op.name == "FULLY_CONNECTED" and len(filter_scales) == 1 and len(op.inputs) < 3:
        products = np.array([np.float64(input_scale * filter_scales[0])])
    else:
        products = np.float64(input_scale) * filter_scales.astype(np.float64)
    real = products / np.float64(output_scale)
    pairs = [quantize_multiplier(float(m)) for m in real]
    return np.array([q for q, _ in pairs], np.int64), np.array([s for _, s in pairs], np.int64)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """tflite::QuantizeMultiplier: a Q31 significand and a power-of-two exponent (quantization_util.cc)."""
    if real == 0.0:
        return 0, 0
    significand, shift = np.frexp(real)
    fixed = int(_round_half_away(significand * (1 << 31)))
    if fixed == 1 << 31:
        fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return fixed, int(shift)


def double_rounding(x: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """MultiplyByQuantizedMultiplier without it (tflite-micro): gemmlowp's SaturatingRoundingDoublingHighMul of
    x * 2^max(shift, 0), then RoundingDivideByPOT by max(-shift, 0)."""
    left, right = np.maximum(shift, 0), np.maximum(-shift, 0)
    product = (x * np.left_shift(np.int64(1), left)) * multiplier
    nudged = product + np.where(product >= 0, 1 << 30, 1 - (1 << 30))
    high = np.where(nudged >= 0, nudged >> 31, -((-nudged) >> 31))  # C++ division truncates toward zero
    mask = np.left_shift(np.int64(1), right) - 1
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + ((high & mask) > threshold)


def activation_range(activation: str | None, output_quantization: dict) -> tuple[int, int]:
    """The int8 clamp of a fused activation (kernel_util.cc CalculateActivationRangeQuantized)."""
    scale = np.float32(output_quantization["scales"][0])
    zero_point = int(output_quantization["zero_points"][0])

    def quantized(value: float) -> int:
        return zero_point + int(_round_half_away(np.float32(value) / scale))

    low, high = -128, 127
    if activation in ("RELU", "RELU6"):
        low = max(low, quantized(0.0))
    if activation == "RELU6":
        high = min(high, quantized(6.0))
    if activation == "RELU_N1_TO_1":
        low, high = max(low, quantized(-1.0)), min(high, quantized(1.0))
    return low, high


def verdict(result: dict) -> str:
    """One line: how many samples are equal, which differ by rounding alone, and where any other difference starts."""
    n = result["samples"]
    exact = round(result["exact_fraction"] * n)
    text = f"TFLite Micro against LiteRT's reference kernels (BUILTIN_REF): outputs equal on {exact} of {n} samples"
    if exact == n:
        return text + ", bit for bit"
    rounding = round(result["rounding_fraction"] * n)
    if rounding:
        ops = sorted((s for s in result["starts"] if s["status"] == "rounding"), key=lambda s: -s["samples"])
        where = ", ".join(f"op {s['op']} in {s['samples']}" for s in ops[:3]) + (f" and {len(ops) - 3} more ops" if len(ops) > 3 else "")
        text += (f"; {rounding} differ by FULLY_CONNECTED rounding alone (starting at {where}; {ROUNDING}), "
                 f"and the outputs then by up to {result['max_abs_diff']:.3g}")
    unexplained = [s for s in result["starts"] if s["status"] != "rounding"]
    if unexplained:
        first = unexplained[0]
        where = "a tensor no op produces" if first["op"] is None else f"{first['name']} op {first['op']}"
        text += (f"; {round(result['unexplained_fraction'] * n)} differ in a way rounding does not explain, "
                 f"first at {where} ({first['samples']} samples): {first['reason']}")
    return text


def _start(op: OpInfo, status: str, values: dict, changed: list[int], reason: str) -> dict:
    elements = sum(int(np.sum(values[i][0] != np.asarray(values[i][1]).reshape(values[i][0].shape))) for i in changed)
    return {"op": op.index, "name": op.name, "status": status, "elements": elements, "reason": reason}


def _unplaced(reason: str) -> dict:
    return {"op": None, "name": None, "status": "unexplained", "elements": 0, "reason": reason}


def _by_op(samples: list[list[dict]]) -> list[dict]:
    """The starts of all samples, one row per op (and status): in how many samples, how many elements."""
    rows: dict[tuple, dict] = {}
    for sample in samples:
        for start in sample:
            key = (start["op"], start["status"])
            row = rows.setdefault(key, {"op": start["op"], "name": start["name"], "status": start["status"],
                                        "samples": 0, "elements": 0, "reason": start["reason"]})
            row["samples"] += 1
            row["elements"] += start["elements"]
    return sorted(rows.values(), key=lambda row: (row["op"] is None, row["op"] or 0, row["status"]))


def _micro_keeping_all_tensors(model_path: Path, graph):
    """A TFLM interpreter that keeps every tensor (no arena reuse), in an arena sized for that."""
    from tflite_micro.python.tflite_micro import runtime

    tensor_bytes = sum(t.elements * _itemsize(t.dtype) for op in graph.ops for t in op.tensors if not t.constant)
    arena = 4 * (tensor_bytes + model_path.stat().st_size) + 256 * 1024
    try:
        return runtime.Interpreter.from_file(str(model_path), arena_size=arena,
                                             intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    except (RuntimeError, ValueError) as e:
        raise ToolError(f"tflite-micro: expected the host interpreter to keep every tensor of {model_path.name} in a "
                        f"{arena}-byte arena, received a failure ({e})") from e


def _itemsize(dtype: str) -> int:
    try:
        return np.dtype(dtype).itemsize
    except TypeError:
        return 8


def _round_half_away(value):
    """std::round (TfLiteRound): halves away from zero, unlike numpy's round-half-to-even."""
    return np.sign(value) * np.floor(np.abs(value) + 0.5)
