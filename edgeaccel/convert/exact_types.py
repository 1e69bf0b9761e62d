"""The exact fixed-point type of every layer output of a QKeras model, from its input type and weights.

Pure analysis over a (canonical, see `hls_reference`) QKeras model: for each layer, the smallest
type that holds its output for every input of the input type, without rounding, unless the layer
itself rounds (an activation quantizer: then the quantizer's type, see `hls_activations`).
Sums take the ranges from the weight values themselves (sum of |w| times the input's bound), so
an accumulator is as narrow as the weights allow and still never overflows. The firmware is
given exactly these types, which makes its arithmetic QKeras's arithmetic.

QKeras computes in float32. A sum is exact there only while it fits in float32's 24-bit
significand; `float32_bits` says how many significant bits a layer's sums can need, so that a
layer whose QKeras output may itself be rounded is named rather than silently compared.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from edgeaccel.convert.hls_activations import ActivationForm, activation_form
from edgeaccel.errors import UnsupportedError
from edgeaccel.quantize.fixed import FixedType, covering, fraction_bits, range_type

FLOAT32_SIGNIFICAND_BITS = 24
INEXACT_EXTRA_FRACTION = 16
BATCHNORM_BITS = 40
WEIGHT_FRACTION_LIMIT = 64
WEIGHTED = {"Dense", "QDense", "Conv1D", "QConv1D", "Conv2D", "QConv2D", "DepthwiseConv2D", "QDepthwiseConv2D",
            "SeparableConv1D", "QSeparableConv1D", "SeparableConv2D", "QSeparableConv2D", "QConv2DBatchnorm"}
BATCHNORM = {"BatchNormalization", "QBatchNormalization"}
ACTIVATIONS = {"Activation", "QActivation"}
RESHAPING = {"Flatten", "Reshape", "Permute", "ZeroPadding1D", "ZeroPadding2D", "UpSampling1D", "UpSampling2D", "Cropping1D",
             "Cropping2D", "MaxPooling1D", "MaxPooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D"}
AVERAGING = {"AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D"}
MERGING = {"Add", "Subtract", "Average", "Maximum", "Minimum", "Concatenate"}
SUPPORTED = {"InputLayer"} | WEIGHTED | BATCHNORM | ACTIVATIONS | RESHAPING | AVERAGING | MERGING
RECURRENT = {"SimpleRNN", "LSTM", "GRU", "QSimpleRNN", "QLSTM", "QGRU", "Bidirectional"}


@dataclass
class LayerTypes:
    """The types of one layer: its output, its accumulator, its weights (hls4ml's names: weight, bias,
    depthwise, pointwise, scale), and for a separable convolution the depthwise result. `exact` is
    False for an average over a count that is not a power of two, which no fixed-point type holds."""

    result: FixedType
    accum: FixedType | None = None
    weights: dict = field(default_factory=dict)
    activation: ActivationForm | None = None
    depthwise_result: FixedType | None = None
    float32_bits: int = 0
    exact: bool = True


def inbound_layers(model) -> dict[str, list[str]]:
    """Each layer's input layers, by name (functional models)."""
    inbound = {}
    for spec in model.get_config()["layers"]:
        nodes = spec.get("inbound_nodes") or []
        inbound[spec["name"]] = [entry[0] for entry in nodes[0]] if nodes else []
    return inbound


def propagate(model, input_type: FixedType, values: dict | None = None, stop: set | None = None) -> dict[str, LayerTypes]:
    """The types of every layer, in graph order. `values` maps layer names to weight values (default:
    `layer_values`); propagation ends before the first layer named in `stop`."""
    inbound = inbound_layers(model)
    types: dict[str, LayerTypes] = {}
    for layer in model.layers:
        if stop and layer.name in stop:
            break
        kind = type(layer).__name__
        if kind == "InputLayer":
            types[layer.name] = LayerTypes(input_type)
            continue
        if kind in RECURRENT:
            raise UnsupportedError(f"layer {layer.name!r}: expected no recurrent layer, received {kind}: hls4ml 1.3 computes "
                                   f"its sigmoid and tanh from lookup tables, so csim cannot equal QKeras bit for bit")
        if kind not in SUPPORTED:
            raise UnsupportedError(f"layer {layer.name!r}: expected a layer edgeaccel computes exactly (Dense, Conv1D/2D, "
                                   f"depthwise and separable convolutions, BatchNormalization, pooling, merges, reshapes, "
                                   f"quantized activations), received {kind}")
        inputs = [types[name].result for name in inbound[layer.name]]
        weights = values[layer.name] if values is not None and layer.name in values else layer_values(layer)
        types[layer.name] = layer_types(layer, inputs, weights)
    return types


def layer_types(layer, inputs: list[FixedType], weights: dict) -> LayerTypes:
    kind = type(layer).__name__
    if kind in ACTIVATIONS:
        form = activation_form(layer, inputs[0])
        return LayerTypes(form.result if form.result is not None else inputs[0], activation=form)
    if kind in RESHAPING:
        return LayerTypes(inputs[0].plain())
    if kind in AVERAGING:
        return _average_pooling(layer, inputs[0])
    if kind in MERGING:
        return LayerTypes(_merge(layer, inputs))
    if kind in BATCHNORM:
        return _affine(inputs[0], weights["scale"], weights["bias"])
    declared = declared_types(layer)
    operands = {key: _Operand(value, declared.get(key)) for key, value in weights.items()}
    bias = operands.get("bias")
    if "Separable" in kind:
        depthwise = _weighted(inputs[0], operands["depthwise"].rows(depthwise=True), None)
        pointwise = _weighted(depthwise.result, operands["pointwise"].rows(), bias)
        return LayerTypes(pointwise.result, pointwise.accum, {k: o.type for k, o in operands.items()},
                          depthwise_result=depthwise.result, float32_bits=max(depthwise.float32_bits, pointwise.float32_bits))
    typed = _weighted(inputs[0], operands["weight"].rows(depthwise="Depthwise" in kind), bias)
    typed.weights = {k: o.type for k, o in operands.items()}
    return typed


def declared_types(layer) -> dict[str, FixedType]:
    """The types a layer's weight quantizers declare, where they declare one (a fixed-point grid that does not
    depend on the weights: quantized_bits without an alpha scale, binary, ternary). Types taken from the
    quantizer rather than the values stay the same when the model is retrained, so a retrain reuses the
    compiled csim library and `CsimBackend.use_weights` works."""
    names = {"weight": "depthwise" if "Depthwise" in type(layer).__name__ else "kernel", "depthwise": "depthwise",
             "pointwise": "pointwise", "bias": "bias"}
    declared = {}
    for key, prefix in names.items():
        quantizer = getattr(layer, f"{prefix}_quantizer_internal", None)
        fixed = _quantizer_type(quantizer) if quantizer is not None else None
        if fixed is not None:
            declared[key] = fixed
    return declared


def _quantizer_type(quantizer) -> FixedType | None:
    name = type(quantizer).__name__
    plain_alpha = getattr(quantizer, "alpha", None) in (None, 1, 1.0) and not isinstance(getattr(quantizer, "alpha", None), str)
    if name == "quantized_bits" and plain_alpha and float(quantizer.qnoise_factor) == 1.0:
        bits, integer, signed = int(quantizer.bits), int(quantizer.integer), bool(quantizer.keep_negative)
        if bits - int(signed) >= 1:
            return FixedType(bits, integer + int(signed), signed)
    if name in ("binary", "ternary") and plain_alpha and not getattr(quantizer, "use_01", False):
        return FixedType(2, 2, True)
    return None


@dataclass
class _Operand:
    """A weight tensor and the type it is declared in (None: the smallest type holding its values)."""

    values: np.ndarray
    declared: FixedType | None

    @property
    def type(self) -> FixedType:
        return self.declared or covering(self.values, WEIGHT_FRACTION_LIMIT)

    def rows(self, depthwise: bool = False) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        """One column per output: the lowest and highest value each weight can take in its type, the fraction
        bits, and the values themselves (what QKeras's float32 sums are made of)."""
        values = np.asarray(self.values, dtype=np.float64)
        matrix = values.reshape(int(np.prod(values.shape[:-2])), -1) if depthwise else values.reshape(-1, values.shape[-1])
        if self.declared is None:
            return matrix, matrix, fraction_bits(matrix, WEIGHT_FRACTION_LIMIT), matrix
        low, high = np.full(matrix.shape, self.declared.low), np.full(matrix.shape, self.declared.high)
        return low, high, self.declared.fraction, matrix

    def span(self) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        values = np.asarray(self.values, dtype=np.float64).reshape(-1)
        if self.declared is None:
            return values, values, fraction_bits(values, WEIGHT_FRACTION_LIMIT), values
        return np.full(values.shape, self.declared.low), np.full(values.shape, self.declared.high), self.declared.fraction, values


def _weighted(x: FixedType, rows: tuple, bias: "_Operand | None") -> LayerTypes:
    """Sum over the rows (one column per output) of input times weight, plus bias, with the weights anywhere
    between their lowest and highest values (the result type holds any retrain); `float32_bits` from the
    actual weights, which are what QKeras sums."""
    low_w, high_w, weight_fraction, values = rows
    corners = np.stack([low_w * x.low, low_w * x.high, high_w * x.low, high_w * x.high])
    high, low = corners.max(axis=0).sum(axis=0), corners.min(axis=0).sum(axis=0)
    bound = (np.abs(values) * max(abs(x.low), abs(x.high))).sum(axis=0)
    fraction = x.fraction + weight_fraction
    if bias is not None:
        bias_low, bias_high, bias_fraction, bias_values = bias.span()
        high, low = high + bias_high, low + bias_low
        bound = bound + np.abs(bias_values)
        fraction = max(fraction, bias_fraction)
    result = range_type(float(low.min()), float(high.max()), fraction)
    return LayerTypes(result, result, float32_bits=_significant_bits(float(bound.max()), fraction))


def _affine(x: FixedType, scale: np.ndarray, bias: np.ndarray) -> LayerTypes:
    """x * scale + bias per channel (BatchNormalization as hls4ml computes it), the scale and bias in
    BATCHNORM_BITS-bit types whose integer bits are rounded up to a multiple of 4 (stable across retrains)
    and the output's range taken from those types."""
    scale_type, bias_type = _batchnorm_type(scale), _batchnorm_type(bias)
    products = [a * b for a in (scale_type.low, scale_type.high) for b in (x.low, x.high)]
    low, high = min(products) + bias_type.low, max(products) + bias_type.high
    fraction = max(x.fraction + scale_type.fraction, bias_type.fraction)
    result = range_type(low, high, fraction)
    bound = max(abs(p) for p in products) + max(abs(bias_type.low), abs(bias_type.high))
    return LayerTypes(result, weights={"scale": scale_type, "bias": bias_type}, float32_bits=_significant_bits(bound, fraction))


def _batchnorm_type(values: np.ndarray) -> FixedType:
    magnitude = float(np.abs(values).max(initial=0))
    integer = max(4, 4 * math.ceil((math.floor(math.log2(magnitude)) + 2 if magnitude > 0 else 1) / 4))
    return FixedType(BATCHNORM_BITS, integer, True, "RND_CONV", "SAT")


def _average_pooling(layer, x: FixedType) -> LayerTypes:
    """Sum, then divide by the pool size in the accumulator (hls4ml's `y /= length`), which therefore holds the
    sum's integer bits and the quotient's fraction bits. Exact when the pool size is a power of two; otherwise the
    quotient keeps INEXACT_EXTRA_FRACTION more fraction bits and is as inexact as float32's (see `exact`)."""
    kind = type(layer).__name__
    size = int(np.prod(layer.input_shape[1:-1])) if kind.startswith("Global") else int(np.prod(layer.pool_size))
    shift = math.ceil(math.log2(size))
    exact = 2 ** shift == size
    fraction = x.fraction + shift + (0 if exact else INEXACT_EXTRA_FRACTION)
    accum = FixedType(x.integer + shift + fraction, x.integer + shift, x.signed)
    return LayerTypes(FixedType(x.integer + fraction, x.integer, x.signed), accum, exact=exact)


def _merge(layer, inputs: list[FixedType]) -> FixedType:
    kind = type(layer).__name__
    fraction = max(t.fraction for t in inputs)
    if kind in ("Add", "Subtract", "Average"):
        lows, highs = [t.low for t in inputs], [t.high for t in inputs]
        if kind == "Subtract":
            low, high = lows[0] - highs[1], highs[0] - lows[1]
        else:
            low, high = sum(lows), sum(highs)
        if kind == "Average":
            shift = math.ceil(math.log2(len(inputs)))
            if 2 ** shift != len(inputs):
                raise UnsupportedError(f"layer {layer.name!r}: expected an average of a power-of-two number of inputs, "
                                       f"received {len(inputs)}")
            low, high, fraction = low / 2 ** shift, high / 2 ** shift, fraction + shift
        return range_type(low, high, fraction)
    return range_type(min(t.low for t in inputs), max(t.high for t in inputs), fraction)


def _significant_bits(bound: float, fraction: int) -> int:
    """Significant bits of a value up to `bound` on a 2^-fraction grid."""
    if bound <= 0:
        return 0
    return max(math.floor(math.log2(bound)) + 1 + fraction, 0)


def layer_values(layer) -> dict[str, np.ndarray]:
    """The weights QKeras computes with, under hls4ml's names: each QKeras quantizer evaluated on
    its weight by QKeras itself (so alpha scales, po2, binary and ternary values are QKeras's own);
    QConv2DBatchnorm folded as QKeras folds it; BatchNormalization as the scale and bias TensorFlow
    multiplies and adds in float32."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    kind = type(layer).__name__

    def evaluated(quantizer, value):
        value = tf.constant(np.asarray(value, dtype=np.float32))
        return np.asarray(quantizer(value) if quantizer else value, dtype=np.float64)

    if kind in BATCHNORM:
        return _batchnorm_values(layer, tf)
    if kind == "QConv2DBatchnorm":
        kernel, bias = layer.get_folded_weights()
        return {"weight": evaluated(layer.kernel_quantizer_internal, kernel.numpy()),
                "bias": evaluated(layer.bias_quantizer_internal, bias.numpy())}
    if kind not in WEIGHTED:
        return {}
    quantizer = lambda name: getattr(layer, f"{name}_quantizer_internal", None)  # noqa: E731
    values = {}
    if "Separable" in kind:
        values["depthwise"] = evaluated(quantizer("depthwise"), layer.depthwise_kernel.numpy())
        values["pointwise"] = evaluated(quantizer("pointwise"), layer.pointwise_kernel.numpy())
    elif "Depthwise" in kind:
        values["weight"] = evaluated(quantizer("depthwise"), layer.depthwise_kernel.numpy())
    else:
        values["weight"] = evaluated(quantizer("kernel"), layer.kernel.numpy())
    if layer.use_bias:
        values["bias"] = evaluated(quantizer("bias"), layer.bias.numpy())
    return values


def _batchnorm_values(layer, tf) -> dict[str, np.ndarray]:
    """scale = gamma / sqrt(variance + epsilon) and bias = beta - mean * scale, as tf.nn.batch_normalization
    computes them in float32 (with QBatchNormalization's quantizers applied to the four parameters first)."""
    def parameter(name, quantizer_name, default):
        variable = getattr(layer, name, None)
        if variable is None:
            return tf.constant(default, dtype=tf.float32)
        quantizer = getattr(layer, f"{quantizer_name}_quantizer_internal", None)
        return quantizer(variable) if quantizer else tf.convert_to_tensor(variable)

    gamma = parameter("gamma", "gamma", 1.0)
    beta = parameter("beta", "beta", 0.0)
    mean = parameter("moving_mean", "mean", 0.0)
    variance = parameter("moving_variance", "variance", 1.0)
    inv = tf.math.rsqrt(variance + layer.epsilon) * gamma
    bias = beta - mean * inv
    channels = int(layer.moving_mean.shape[0])
    return {"scale": np.broadcast_to(inv.numpy().astype(np.float64), (channels,)).copy(),
            "bias": np.broadcast_to(bias.numpy().astype(np.float64), (channels,)).copy()}
