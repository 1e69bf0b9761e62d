"""The reference an hls design is checked against: the given model, made fully fixed-point.

Three things turn a published QKeras model, or a plain float Keras model, into a model whose
every value is on a fixed-point grid, so that the firmware can compute it bit for bit:

1. Canonical form (`models.canonical`): the same function, one operation per layer, so that every
   firmware layer has a Keras twin to compare with.
2. The input precision: `--input-precision`, else the model's own input quantizer, else the
   smallest type covering the calibration data (`grid.grid_from_calibration`).
3. Precisions for float layers (and, before a float first layer, a 12-bit input from calibration) (weights without a quantizer, a BatchNormalization no quantizer
   follows), derived from the calibration data as hls4ml's profiling suggests doing by hand: weights
   take the integer bits their largest value needs and the fraction bits that keep the layer's sums
   exact in QKeras's float32 arithmetic (at most WEIGHT_BITS in all); a float layer's output takes
   OUTPUT_BITS, with the integer bits the calibration data reaches (none for the model's output or
   a softmax's input, which stay exact). A float BatchNormalization after a float Dense/Conv is
   folded into it first.

Every change is listed with its reason; `changes` is empty for a QKeras model that has all its
quantizers and an input quantizer. The reference is a QKeras model, saved with the artifact.
"""

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from edgeaccel.convert.exact_types import FLOAT32_SIGNIFICAND_BITS, WEIGHT_FRACTION_LIMIT, WEIGHTED, layer_values, propagate
from edgeaccel.errors import DataError, UnsupportedError
from edgeaccel.models.canonical import Architecture, canonical, rebuild
from edgeaccel.quantize.fixed import fraction_bits, parse_precision
from edgeaccel.quantize.grid import InputGrid, grid_from_calibration, input_grid

log = logging.getLogger(__name__)

WEIGHT_BITS = 16
OUTPUT_BITS = 8
MIN_INPUT_BITS = 8
INPUT_BITS_BEFORE_FLOATS = 12
RESERVED_NAME = "input"
_QUANTIZED_CLASS = {"Dense": "QDense", "Conv1D": "QConv1D", "Conv2D": "QConv2D", "DepthwiseConv2D": "QDepthwiseConv2D",
                    "SeparableConv1D": "QSeparableConv1D", "SeparableConv2D": "QSeparableConv2D"}
_KERNEL_ATTRIBUTES = {"weight": "kernel_quantizer", "depthwise": "depthwise_quantizer", "pointwise": "pointwise_quantizer"}


@dataclass(frozen=True)
class Reference:
    model: object
    grid: InputGrid
    grid_source: str
    changes: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def build_reference(model, calibration: np.ndarray | None, input_precision: str | None, softmax: str = "stable") -> Reference:
    """The fixed-point reference of `model` (not changed), with every change from it listed; `softmax` is how a
    final softmax is built (stable: hls4ml's table softmax, whose input may need rounding first)."""
    arch, changes = canonical(model)
    _rename_reserved(arch, changes)
    _fold_float_batchnorm(arch, changes)
    reference = rebuild(arch)
    floats = _float_layers(reference)
    grid, source = _choose_grid(reference, calibration, input_precision, INPUT_BITS_BEFORE_FLOATS if floats else None)
    if floats:
        if calibration is None:
            raise DataError(f"layer {floats[0]!r}: expected calibration data (--calib, or calib.npz beside the model) to derive "
                            f"the precision of its float arithmetic, received none")
        _quantize_float_layers(arch, reference, floats, grid, grid.quantize(calibration), changes)
        reference = rebuild(arch)
    if source.startswith("the calibration"):
        grid, source = _fit_input_to_float32(reference, grid, source, changes)
    if softmax == "stable":
        count = len(changes)
        _resolve_softmax_input(arch, grid, changes)
        if len(changes) > count:
            reference = rebuild(arch)
    return Reference(reference, grid, source, changes, _float32_notes(reference, grid))


def _rename_reserved(arch: Architecture, changes: list) -> None:
    """hls4ml reserves the layer name 'input' (QKeras's examples use it)."""
    if any(spec["name"] == RESERVED_NAME for spec in arch.layers):
        new = arch.unique_name(f"{RESERVED_NAME}_layer")
        arch.rename(RESERVED_NAME, new)
        changes.append({"layer": RESERVED_NAME, "change": f"renamed {new}", "reason": "hls4ml reserves the layer name 'input'"})


def accuracy_cost(model, reference_model, grid: InputGrid, x: np.ndarray, y: np.ndarray | None = None) -> dict:
    """How far the reference is from the given model on `x`: argmax agreement, max difference, accuracies."""
    given = np.asarray(model.predict(x.astype(np.float32), verbose=0, batch_size=1024)).reshape(len(x), -1)
    fixed = np.asarray(reference_model.predict(grid.quantize(x), verbose=0, batch_size=1024)).reshape(len(x), -1)
    cost = {"samples": int(len(x)), "max_abs_diff": float(np.abs(given - fixed).max()),
            "argmax_agreement": float(np.mean(given.argmax(1) == fixed.argmax(1))) if given.shape[1] > 1 else None}
    if y is not None and given.shape[1] > 1:
        cost["accuracy_given"] = float(np.mean(given.argmax(1) == y))
        cost["accuracy_reference"] = float(np.mean(fixed.argmax(1) == y))
    return cost


def _choose_grid(reference, calibration, input_precision, bits: int | None) -> tuple[InputGrid, str]:
    if input_precision:
        return InputGrid.from_type(parse_precision(input_precision)), f"--input-precision {input_precision}"
    own = input_grid(reference)
    if own is not None:
        first = next(l for l in reference.layers if type(l).__name__ != "InputLayer")
        return own, f"the model's input quantizer {first.name!r} ({first.quantizer})"
    if calibration is None:
        raise DataError("expected an input precision: the model has no input quantizer (QActivation(quantized_bits(...)) "
                        "first), so give --input-precision (e.g. fixed<16,6>) or calibration data (--calib), received neither")
    return grid_from_calibration(calibration, bits) if bits else grid_from_calibration(calibration)


def _fold_float_batchnorm(arch: Architecture, changes: list) -> None:
    """A BatchNormalization after a float Dense, Conv or DepthwiseConv2D (no weight quantizer) folded into it, as
    QConv2DBatchnorm and TFLite fold it; its precision is then derived once, for the folded weights."""
    for spec in list(arch.layers):
        if spec["class_name"] != "BatchNormalization" or len(arch.inputs_of(spec["name"])) != 1:
            continue
        parent = arch.layer(arch.inputs_of(spec["name"])[0])
        if parent["class_name"] not in ("Dense", "Conv1D", "Conv2D", "DepthwiseConv2D") or \
                len(arch.consumers(parent["name"])) != 1:
            continue
        config, arrays = spec["config"], list(arch.weights[spec["name"]])
        gamma = arrays.pop(0) if config.get("scale", True) else 1.0
        beta = arrays.pop(0) if config.get("center", True) else 0.0
        mean, variance = arrays
        scale = gamma / np.sqrt(variance + config["epsilon"])
        kernel, *bias = arch.weights[parent["name"]]
        bias = bias[0] if bias else np.zeros(scale.shape, dtype=np.float32)
        per_output = scale.reshape(kernel.shape[-2:]) if parent["class_name"] == "DepthwiseConv2D" else scale
        arch.weights[parent["name"]] = [(kernel * per_output).astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32)]
        parent["config"]["use_bias"] = True
        arch.remove(spec["name"])
        changes.append({"layer": spec["name"], "change": f"folded into {parent['name']}",
                        "reason": "a BatchNormalization after a float layer, folded before its weights are quantized"})


def _float_layers(model) -> list[str]:
    """Layers whose arithmetic is float: weights without a quantizer, and, where no quantizer follows, a
    BatchNormalization or an average over a count that is not a power of two."""
    from edgeaccel.convert.exact_types import inbound_layers

    consumers: dict[str, list] = {}
    for name, sources in inbound_layers(model).items():
        for source in sources:
            consumers.setdefault(source, []).append(model.get_layer(name))
    names = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in WEIGHTED and _unquantized_weights(layer):
            names.append(layer.name)
        elif (kind in ("BatchNormalization", "QBatchNormalization") or _inexact_average(layer)) and not all(
                _is_quantizer(c) for c in consumers.get(layer.name, [])):
            names.append(layer.name)
    return names


def _inexact_average(layer) -> bool:
    kind = type(layer).__name__
    if "AveragePooling" not in kind:
        return False
    size = int(np.prod(layer.input_shape[1:-1])) if kind.startswith("Global") else int(np.prod(layer.pool_size))
    return size & (size - 1) != 0


def _unquantized_weights(layer) -> list[str]:
    kind = type(layer).__name__
    if not kind.startswith("Q"):
        return ["all"]
    if "Separable" in kind:
        attributes = ("depthwise_quantizer", "pointwise_quantizer")
    elif "Depthwise" in kind:
        attributes = ("depthwise_quantizer",)
    else:
        attributes = ("kernel_quantizer",)
    missing = [a.removesuffix("_quantizer") for a in attributes if getattr(layer, f"{a}_internal", None) is None]
    if getattr(layer, "use_bias", False) and getattr(layer, "bias_quantizer_internal", None) is None:
        missing.append("bias")
    return missing


def _is_quantizer(layer) -> bool:
    return type(layer).__name__ == "QActivation" and hasattr(getattr(layer, "quantizer", None), "get_config")


def _quantize_float_layers(arch: Architecture, canonical_model, floats: list[str], grid: InputGrid,
                           calibration: np.ndarray, changes: list) -> None:
    ranges = _output_ranges(canonical_model, calibration, floats)
    for name in floats:
        current = rebuild(arch)
        types = propagate(current, grid.fixed_type, stop={name})
        layer = current.get_layer(name)
        x = types[arch.inputs_of(name)[0]].result
        if type(layer).__name__ in WEIGHTED:
            _quantize_weights(arch, layer, x, _unquantized_weights(layer), changes)
        follower = _relu_follower(arch, name)
        target = follower or name
        if target in arch.outputs or all(_feeds_exactly(spec) for spec in arch.consumers(target)):
            continue
        low, high = ranges[name]
        _quantize_output(arch, name, follower, 0.0 if follower else low, high, changes)


def _output_ranges(model, x: np.ndarray, names: list[str]) -> dict:
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    probe = tf.keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outputs = probe.predict(x.astype(np.float32), verbose=0, batch_size=1024)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return {n: (float(np.min(o)), float(np.max(o))) for n, o in zip(names, outputs)}


def _quantize_weights(arch: Architecture, layer, x, missing: list[str], changes: list) -> None:
    """quantized_bits quantizers for a layer's float weights (`missing`: their names, or "all"), keeping its
    sums within float32's exact range; weights that have a quantizer keep it."""
    spec = arch.layer(layer.name)
    values = layer_values(layer)
    fraction_in, magnitude = x.fraction, max(abs(x.low), abs(x.high))
    bias_bound = float(np.abs(values["bias"]).max(initial=0)) if "bias" in values else 0.0
    for key in [k for k in ("weight", "depthwise", "pointwise") if k in values]:
        kernel = values[key]
        depthwise = key == "depthwise" or "Depthwise" in spec["class_name"]
        matrix = kernel.reshape(int(np.prod(kernel.shape[:-2])), -1) if depthwise else kernel.reshape(-1, kernel.shape[-1])
        bound = float((np.abs(matrix).sum(axis=0) * magnitude).max()) + bias_bound
        integer = _integer_bits(float(np.abs(kernel).max()))
        headroom = FLOAT32_SIGNIFICAND_BITS - 1 - (math.floor(math.log2(bound)) + 1 if bound > 0 else 0) - fraction_in
        if "all" not in missing and {"weight": "kernel"}.get(key, key) not in missing:
            fraction_in, magnitude = fraction_in + fraction_bits(kernel, WEIGHT_FRACTION_LIMIT), bound
            continue
        fraction = min(WEIGHT_BITS - 1 - integer, headroom)
        bits = fraction + integer + 1
        if bits < 2:
            raise UnsupportedError(f"layer {layer.name!r}: expected float weights a fixed-point type can hold while QKeras's "
                                   f"float32 sums stay exact, received weights up to {np.abs(kernel).max():.3g} on inputs "
                                   f"of {x.text()}; quantize the layer with QKeras")
        attribute = "depthwise_quantizer" if key == "weight" and "Depthwise" in spec["class_name"] else _KERNEL_ATTRIBUTES[key]
        spec["config"][attribute] = _quantized_bits(bits, integer, True)
        changes.append({"layer": layer.name, "change": f"{key} quantized_bits({bits},{integer},alpha=1)",
                        "reason": f"float weights up to {np.abs(kernel).max():.4g} need {integer} integer bits; {fraction} "
                                  f"fraction bits keep its sums within float32's {FLOAT32_SIGNIFICAND_BITS} bits "
                                  f"(at most {WEIGHT_BITS} bits)"})
        fraction_in, magnitude = fraction_in + fraction, bound
    if "bias" in values and ("all" in missing or "bias" in missing):
        integer = _integer_bits(bias_bound)
        bits = integer + 1 + fraction_in
        spec["config"]["bias_quantizer"] = _quantized_bits(bits, integer, True)
        changes.append({"layer": layer.name, "change": f"bias quantized_bits({bits},{integer},alpha=1)",
                        "reason": "a float bias, on the grid of the layer's products"})
    spec["class_name"] = _QUANTIZED_CLASS.get(spec["class_name"], spec["class_name"])


def _quantized_bits(bits: int, integer: int, signed: bool) -> dict:
    return {"class_name": "quantized_bits", "config": {"bits": bits, "integer": integer, "keep_negative": signed, "alpha": 1}}


def _integer_bits(magnitude: float) -> int:
    """QKeras's `integer` (sign excluded) for a quantizer whose range reaches `magnitude`; at least 0, since
    QKeras 0.9 computes 2**integer with TensorFlow's integer power, which refuses negative exponents."""
    if magnitude <= 0:
        return 0
    return max(math.ceil(math.log2(magnitude * (1 + 2.0 ** -20))), 0)


def _relu_follower(arch: Architecture, name: str) -> str | None:
    consumers = arch.consumers(name)
    if len(consumers) == 1 and consumers[0]["class_name"] == "Activation" and consumers[0]["config"]["activation"] == "relu":
        return consumers[0]["name"]
    return None


def _is_softmax(spec: dict) -> bool:
    return spec["class_name"] == "Activation" and spec["config"].get("activation") == "softmax"


def _resolve_softmax_input(arch: Architecture, grid: InputGrid, changes: list) -> None:
    """A quantizer in front of a softmax whose input is finer than its exp table can resolve: rounded to the
    table's step, equal logits stay equal and unequal ones stay apart, in the reference and in the firmware
    alike, so csim's softmax picks QKeras's class (see `hls_softmax`)."""
    from edgeaccel.convert.hls_softmax import LOGITS_FRACTION_BITS, MAX_TABLE_BITS

    softmaxes = [spec["name"] for spec in arch.layers if _is_softmax(spec)]
    if not softmaxes:
        return
    name = arch.inputs_of(softmaxes[0])[0]
    logits_type = propagate(rebuild(arch), grid.fixed_type, stop=set(softmaxes))[name].result
    fraction = LOGITS_FRACTION_BITS
    if logits_type.fraction <= fraction:
        return
    integer = max(logits_type.integer - 1, 0)
    bits = integer + 1 + fraction
    inserted = arch.insert_after(name, "QActivation", {"name": f"{name}_quant",
                                                        "activation": _quantized_bits(bits, integer, True)})
    changes.append({"layer": inserted, "change": f"inserted quantized_bits({bits},{integer},alpha=1) after {name!r}",
                    "reason": f"the logits ({logits_type.text()}) are finer than a {2 ** MAX_TABLE_BITS}-entry exp table "
                              f"resolves over a span of {2 ** (MAX_TABLE_BITS - fraction)}; rounded to 2^-{fraction}, the "
                              f"softmax cannot tie the top class with another"})


def _feeds_exactly(spec: dict) -> bool:
    """True for a consumer that needs no quantizer in front of it: an activation quantizer or a softmax."""
    if spec["class_name"] == "QActivation":
        return True
    return spec["class_name"] == "Activation" and spec["config"].get("activation") == "softmax"


def _quantize_output(arch: Architecture, name: str, relu: str | None, low: float, high: float, changes: list) -> None:
    if relu:
        integer = max(_integer_bits(high), 0)
        spec = arch.layer(relu)
        spec["class_name"] = "QActivation"
        spec["config"] = {"name": relu, "activation": {"class_name": "quantized_relu",
                                                       "config": {"bits": OUTPUT_BITS, "integer": integer}}}
        changes.append({"layer": relu, "change": f"relu -> quantized_relu({OUTPUT_BITS},{integer})",
                        "reason": f"the float layer {name!r} reaches {high:.4g} on the calibration data; {OUTPUT_BITS} bits"})
        return
    signed = low < 0
    integer = _integer_bits(max(abs(low), abs(high)))
    integer = integer if signed else max(integer, 0)
    inserted = arch.insert_after(name, "QActivation", {"name": f"{name}_quant",
                                                        "activation": _quantized_bits(OUTPUT_BITS, integer, signed)})
    changes.append({"layer": inserted, "change": f"inserted quantized_bits({OUTPUT_BITS},{integer}"
                    f"{'' if signed else ',keep_negative=False'},alpha=1) after {name!r}",
                    "reason": f"the float layer reaches [{low:.4g}, {high:.4g}] on the calibration data; {OUTPUT_BITS} bits"})


def _fit_input_to_float32(model, grid: InputGrid, source: str, changes: list) -> tuple[InputGrid, str]:
    """The widest input (down to MIN_INPUT_BITS) with which no layer needs more than float32's 24 significant
    bits; the calibration grid itself when it has none, or when no narrower one reaches that."""
    if _worst_float32_bits(model, grid) <= FLOAT32_SIGNIFICAND_BITS:
        return grid, source
    for bits in range(grid.bits - 1, MIN_INPUT_BITS - 1, -1):
        narrower = InputGrid(bits, grid.integer, grid.signed)
        if _worst_float32_bits(model, narrower) <= FLOAT32_SIGNIFICAND_BITS:
            source += (f"; narrowed to {narrower.precision} so that QKeras's float32 sums stay exact "
                       f"(at most {FLOAT32_SIGNIFICAND_BITS} significant bits)")
            changes.append({"layer": "input", "change": f"input {narrower.precision}", "reason": source})
            return narrower, source
    return grid, source


def _worst_float32_bits(model, grid: InputGrid) -> int:
    return max((t.float32_bits for t in propagate(model, grid.fixed_type).values()), default=0)


def _float32_notes(model, grid: InputGrid) -> list[str]:
    return [f"layer {name!r}: its sums can need {t.float32_bits} significant bits, more than float32's "
            f"{FLOAT32_SIGNIFICAND_BITS}, so QKeras itself may round them where csim computes them exactly"
            for name, t in propagate(model, grid.fixed_type).items() if t.float32_bits > FLOAT32_SIGNIFICAND_BITS]
