"""Which hls4ml construct computes a QKeras activation exactly, or why none does.

QKeras defines its quantizers in float32 TensorFlow; hls4ml 1.3 has its own idea of them, and
it is not always the same function (`binary` at 0, a `ternary` threshold, unsigned
`quantized_bits`, a fused final quantizer it drops). This module reads each activation as QKeras
computes it (quantizers.py in QKeras 0.9) and names an hls4ml construct with the same output on
every fixed-point input:

- `quantized_bits`, `quantized_tanh` (hard): a cast to the quantizer's type, round half to even
  (AP_RND_CONV) and saturate, which is what `tf.round` and the clip compute;
- `quantized_relu`: ReLU into the unsigned type, with the same rounding; with a negative slope,
  hls4ml's leaky ReLU, exact while the input stays above -2^integer (QKeras clips there);
- `quantized_sigmoid` (hard): hls4ml's hard sigmoid, clip(x/2 + 1/2, 0, 1), into the type;
- `binary` (x >= 0 gives +1): hls4ml's `binary_tanh`, into a signed 2-bit type so that -1 stays
  -1 (hls4ml's 1-bit XNOR encoding would give 0);
- QKeras's `binary_tanh` (x > 0 gives +1): the same after shifting the input down half a step;
- `ternary` with threshold t: hls4ml's ternary tanh (thresholds at +-1/2) after an exact scaling
  that puts the input grid's thresholds on the right side of +-1/2.

Anything else (stochastic or real-valued tanh/sigmoid, power-of-two or u-law activations, a
learned alpha scale) is refused with the layer and the reason.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from edgeaccel.errors import UnsupportedError
from edgeaccel.quantize.fixed import FixedType, fraction_bits, range_type

PLUS_MINUS_ONE = FixedType(2, 2, True)


@dataclass(frozen=True)
class ActivationForm:
    """`kind`: cast, relu, leaky_relu, hard_sigmoid, binary, binary_gt0, ternary or softmax.

    `parameter`: the leaky slope, the scale in front of a ternary, or the shift in front of a binary_gt0;
    `pre_result`: the exact type of that scaled or shifted input."""

    kind: str
    result: FixedType | None
    parameter: float | None = None
    source: str = ""
    pre_result: FixedType | None = None


def activation_form(layer, input_type: FixedType) -> ActivationForm:
    """The exact hardware form of an activation layer (QActivation or Activation) fed with `input_type`."""
    kind = type(layer).__name__
    quantizer = getattr(layer, "quantizer", None) if kind == "QActivation" else None
    if quantizer is None:
        return _plain_activation(layer, input_type)
    name = getattr(quantizer, "__name__", type(quantizer).__name__)
    if not hasattr(quantizer, "get_config") and name in ("relu", "linear", "softmax", "tanh", "sigmoid"):
        return _plain_activation(layer, input_type, name)
    describe = f"layer {layer.name!r} ({quantizer})"
    handler = _QUANTIZERS.get(name)
    if handler is None:
        raise UnsupportedError(f"{describe}: expected an activation quantizer edgeaccel can compute exactly "
                               f"({', '.join(sorted(_QUANTIZERS))}), received {name}")
    return handler(quantizer, input_type, describe)


def _plain_activation(layer, input_type: FixedType, name: str | None = None) -> ActivationForm:
    name = name or getattr(getattr(layer, "activation", None), "__name__", "linear")
    if name == "linear":
        return ActivationForm("cast", input_type.plain(), source="linear")
    if name == "relu":
        integer = input_type.integer - 1 if input_type.signed else input_type.integer
        return ActivationForm("relu", FixedType(max(integer + input_type.fraction, 1), integer, False), source="relu")
    if name == "softmax":
        return ActivationForm("softmax", None, source="softmax")
    raise UnsupportedError(f"layer {layer.name!r}: expected a quantized activation or relu/linear/softmax, received a float "
                           f"{name} (hls4ml computes it from a lookup table, so csim could not match Keras bit for bit); "
                           f"quantize it with QKeras (e.g. quantized_{name}) first")


def _check_common(quantizer, describe: str) -> None:
    if float(getattr(quantizer, "qnoise_factor", 1.0)) != 1.0:
        raise UnsupportedError(f"{describe}: expected qnoise_factor=1 (a fully quantized output), received "
                               f"{float(quantizer.qnoise_factor)}, which mixes in the unquantized value")


def _quantized_bits(quantizer, input_type: FixedType, describe: str) -> ActivationForm:
    _check_common(quantizer, describe)
    if quantizer.alpha not in (None, 1, 1.0):
        raise UnsupportedError(f"{describe}: expected alpha=1 or None on an activation, received alpha={quantizer.alpha!r}, "
                               f"a scale QKeras computes from each batch")
    bits, integer, signed = int(quantizer.bits), int(quantizer.integer), bool(quantizer.keep_negative)
    if bits - int(signed) < 1:
        raise UnsupportedError(f"{describe}: expected at least one magnitude bit, received {bits} bit(s) with a sign "
                               f"(QKeras then computes a binary sign, use binary() for that)")
    saturation = "SAT_SYM" if (quantizer.symmetric and signed) else "SAT"
    result = FixedType(bits, integer + int(signed), signed, "RND_CONV", saturation)
    return ActivationForm("cast", result, source=str(quantizer))


def _quantized_relu(quantizer, input_type: FixedType, describe: str) -> ActivationForm:
    _check_common(quantizer, describe)
    if quantizer.use_sigmoid:
        raise UnsupportedError(f"{describe}: expected use_sigmoid=0, received a sigmoid-shaped quantized ReLU")
    bits, integer, slope = int(quantizer.bits), int(quantizer.integer), float(quantizer.negative_slope)
    if quantizer.relu_upper_bound is not None:
        raise UnsupportedError(f"{describe}: expected relu_upper_bound=None, received {quantizer.relu_upper_bound} "
                               f"(hls4ml's quantized ReLU has no clip below its type's maximum, so the design would pass "
                               f"the values QKeras clips)")
    if slope == 0.0:
        return ActivationForm("relu", FixedType(bits, integer, False, "RND_CONV", "SAT"), source=str(quantizer))
    if not 0 < slope <= 1 or (slope * 2 ** 16) % 1:
        raise UnsupportedError(f"{describe}: expected a negative slope in (0, 1] with a short binary expansion, received {slope}")
    if input_type.low < -(2.0 ** integer):
        raise UnsupportedError(f"{describe}: QKeras clips the negative side at -slope*2^{integer}, hls4ml's leaky ReLU does "
                               f"not, and the input ({input_type.text()}) reaches {input_type.low}")
    return ActivationForm("leaky_relu", FixedType(bits, integer + 1, True, "RND_CONV", "SAT"), slope, str(quantizer))


def _quantized_tanh(quantizer, input_type: FixedType, describe: str) -> ActivationForm:
    _check_common(quantizer, describe)
    if quantizer.use_real_tanh:
        raise UnsupportedError(f"{describe}: expected the hard tanh (use_real_tanh=False), received the float32 tanh, "
                               f"which hls4ml computes from a lookup table")
    _check_hard_sigmoid(describe)
    saturation = "SAT_SYM" if quantizer.symmetric else "SAT"
    return ActivationForm("cast", FixedType(int(quantizer.bits), 1, True, "RND_CONV", saturation), source=str(quantizer))


def _quantized_sigmoid(quantizer, input_type: FixedType, describe: str) -> ActivationForm:
    _check_common(quantizer, describe)
    if quantizer.use_real_sigmoid:
        raise UnsupportedError(f"{describe}: expected the hard sigmoid (use_real_sigmoid=False), received the float32 "
                               f"sigmoid, which hls4ml computes from a lookup table")
    if quantizer.symmetric:
        raise UnsupportedError(f"{describe}: expected symmetric=False, received a symmetric quantized sigmoid")
    _check_hard_sigmoid(describe)
    return ActivationForm("hard_sigmoid", FixedType(int(quantizer.bits), 0, False, "RND_CONV", "SAT"), source=str(quantizer))


def _check_hard_sigmoid(describe: str) -> None:
    from qkeras import quantizers

    if quantizers._sigmoid is not quantizers.hard_sigmoid:
        raise UnsupportedError(f"{describe}: expected QKeras's default hard sigmoid, received "
                               f"{getattr(quantizers._sigmoid, '__name__', quantizers._sigmoid)} (set_internal_sigmoid)")


def _binary(quantizer, input_type: FixedType, describe: str) -> ActivationForm:
    if quantizer.alpha not in (None, 1, 1.0) or quantizer.use_01:
        raise UnsupportedError(f"{describe}: expected binary() with outputs -1 and +1 (alpha=None or 1, use_01=False), "
                               f"received alpha={quantizer.alpha!r}, use_01={quantizer.use_01}")
    return ActivationForm("binary", PLUS_MINUS_ONE, source=str(quantizer))


def _binary_tanh(quantizer, input_type: FixedType, describe: str) -> ActivationForm:
    shift = -input_type.step / 2
    shifted = range_type(input_type.low + shift, input_type.high + shift, input_type.fraction + 1)
    return ActivationForm("binary_gt0", PLUS_MINUS_ONE, shift, "binary_tanh", shifted)


def _ternary(quantizer, input_type: FixedType, describe: str) -> ActivationForm:
    if isinstance(quantizer.alpha, str) or quantizer.alpha not in (None, 1, 1.0):
        raise UnsupportedError(f"{describe}: expected ternary() with outputs -1, 0, +1 (alpha=None or 1), "
                               f"received alpha={quantizer.alpha!r}")
    threshold = float(np.float32(quantizer.default_threshold if quantizer.threshold is None else quantizer.threshold))
    scale = ternary_scale(threshold, input_type.step)
    scaled = range_type(input_type.low * scale, input_type.high * scale, input_type.fraction + fraction_bits(np.array([scale])))
    return ActivationForm("ternary", PLUS_MINUS_ONE, scale, str(quantizer), scaled)


def ternary_scale(threshold: float, step: float) -> float:
    """A scale a with a*x > 1/2 exactly when x >= threshold, and a*x <= -1/2 exactly when x <= -threshold, for
    every x on a grid of `step` (hls4ml's ternary tanh compares with +-1/2): any a in (1/2t, 1/2(t - step)),
    t the threshold rounded up to the grid, with the fewest fraction bits."""
    step_ = Fraction(step)
    on_grid = math.ceil(Fraction(threshold) / step_) * step_
    if on_grid <= step_:
        return float(1 / step_)
    low, high = Fraction(1, 2) / on_grid, Fraction(1, 2) / (on_grid - step_)
    bits = 0
    while True:
        candidate = Fraction(math.floor(low * 2 ** bits) + 1, 2 ** bits)
        if low < candidate < high:
            return float(candidate)
        bits += 1


_QUANTIZERS = {
    "quantized_bits": _quantized_bits,
    "quantized_relu": _quantized_relu,
    "quantized_tanh": _quantized_tanh,
    "quantized_sigmoid": _quantized_sigmoid,
    "binary": _binary,
    "binary_tanh": _binary_tanh,
    "ternary": _ternary,
}
