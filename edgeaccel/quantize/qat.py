"""The QKeras twin of a float Keras model, built by QKeras's own `model_quantize`.

The twin always begins with an input quantizer, `QActivation(quantized_bits(input_bits, ...))`,
so that every backend (TFLite, TFLM, csim) can be fed exactly the values QKeras saw.

Layers, and how each is quantized:
- Dense, Conv1D, Conv2D, Conv2DTranspose: kernel and bias quantizers, the activation quantized.
- DepthwiseConv2D: depthwise and bias quantizers (QDepthwiseConv2D).
- SeparableConv2D: rebuilt as DepthwiseConv2D `<name>_depthwise` followed by a 1x1 Conv2D `<name>`,
  which compute the same function with the same weights, and quantized as those two. QKeras 0.9's
  `model_quantize` cannot build a QSeparableConv2D (it passes `kernel_quantizer`, which
  QSeparableConv2D refuses); TFLite runs a separable convolution as these two ops anyway.
- ReLU and relu: `quantized_relu(activation_bits, activation_integer)`. A bounded ReLU
  (ReLU(max_value=m), relu6) keeps its bound: `quantized_relu` with enough integer bits to cover
  m and `relu_upper_bound=m`, held in a QActivation whose string form survives save and load.
- tanh, sigmoid: quantized_tanh, quantized_sigmoid; softmax and linear stay float.
- Pooling, Flatten, Reshape, BatchNormalization (kept float, folded at export), Add, Concatenate,
  Dropout, padding, cropping and upsampling pass through.
Anything else (recurrent layers, leaky or thresholded ReLUs, other activations) is refused by name,
before any training starts.
"""

import json
import logging
import math
import warnings

from edgeaccel.errors import ModelError, UnsupportedError
from edgeaccel.specs import QuantSpec
from edgeaccel.tfenv import tensorflow

log = logging.getLogger(__name__)

INPUT_QUANTIZER = "input_quant"
DEPTHWISE_SUFFIX = "_depthwise"
# The weight quantizers of each weighted layer kind, as model_quantize names them.
_WEIGHTED = {"Dense": "kernel_quantizer", "Conv1D": "kernel_quantizer", "Conv2D": "kernel_quantizer",
             "Conv2DTranspose": "kernel_quantizer", "DepthwiseConv2D": "depthwise_quantizer"}
_SEPARABLE = {"SeparableConv2D"}
_PASSTHROUGH = {"InputLayer", "Flatten", "Reshape", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
                "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
                "GlobalMaxPooling2D", "BatchNormalization", "Add", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
                "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D", "Concatenate"}
_RECURRENT = {"SimpleRNN", "LSTM", "GRU", "Bidirectional", "ConvLSTM2D"}
_ACTIVATIONS = {"relu", "relu6", "tanh", "softmax", "linear", "sigmoid"}


def weight_quantizer(bits: int, integer: int) -> str:
    return f"quantized_bits({bits},{integer},alpha=1)"


def input_quantizer(quant: QuantSpec, signed: bool) -> str:
    keep_negative = 1 if signed else 0
    return f"quantized_bits({quant.input_bits},{quant.input_integer},keep_negative={keep_negative},alpha=1)"


def activation_quantizer(name: str, quant: QuantSpec, upper_bound: float | None = None) -> str | None:
    """The QKeras quantizer of a float activation; `upper_bound` is a bounded ReLU's maximum (6 for relu6)."""
    if name == "relu6":
        upper_bound = 6.0
    if name in ("relu", "relu6") and upper_bound is not None:
        return bounded_relu_quantizer(upper_bound, quant.activation_bits)
    if name in ("relu", "relu6"):
        return f"quantized_relu({quant.activation_bits},{quant.activation_integer})"
    if name == "tanh":
        return f"quantized_tanh({quant.activation_bits},{quant.activation_integer})"
    if name == "sigmoid":
        return f"quantized_sigmoid({quant.activation_bits})"
    return None


def bounded_relu_quantizer(upper_bound: float, bits: int) -> str:
    """`quantized_relu` clipping at `upper_bound`, with the fewest integer bits whose range covers it."""
    integer = max(0, math.ceil(math.log2(upper_bound)))
    while 2.0 ** integer - 2.0 ** (integer - bits) < upper_bound:
        integer += 1
    if integer > bits:
        raise UnsupportedError(f"a ReLU bounded at {upper_bound:g}: expected activation_bits >= {integer} to cover it, "
                               f"received {bits}")
    return f"quantized_relu({bits},{integer},relu_upper_bound={upper_bound:g},is_quantized_clip=False)"


def quantize_model(float_model, quant: QuantSpec, input_signed: bool):
    """Return the QKeras twin of `float_model` carrying its weights; `float_model` is not changed."""
    tf = tensorflow()
    from qkeras.utils import model_quantize

    check_quantizable(float_model)
    with_input, split = _rebuilt(float_model, tf)
    config = {INPUT_QUANTIZER: input_quantizer(quant, input_signed)}
    for layer in with_input.layers:
        spec = quant.for_layer(split.get(layer.name, layer.name))
        kind = type(layer).__name__
        if kind in _WEIGHTED:
            config[layer.name] = {
                _WEIGHTED[kind]: weight_quantizer(spec.weight_bits, spec.weight_integer),
                "bias_quantizer": weight_quantizer(spec.bias_bits, spec.bias_integer),
                "activation_quantizer": activation_quantizer(layer.activation.__name__, spec),
            }
        elif kind == "Activation" and layer.name != INPUT_QUANTIZER:
            quantizer = activation_quantizer(layer.activation.__name__, spec)
            if quantizer:
                config[layer.name] = quantizer
        elif kind == "ReLU":
            bound = None if layer.max_value is None else float(layer.max_value)
            config[layer.name] = activation_quantizer("relu", spec, bound)
    for name, quantizer in config.items():
        if isinstance(quantizer, str) and "relu_upper_bound" in quantizer:
            log.info("layer %r: a bounded ReLU, quantized as %s", name, quantizer)
    unknown = set(quant.overrides) - {layer.name for layer in with_input.layers}
    if unknown:
        names = ", ".join(layer.name for layer in with_input.layers)
        raise ModelError(f"quantization.overrides: expected layer names of the model ({names}), received {sorted(unknown)}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The initializer .* is unseeded")
        return model_quantize(_QuantizableView(with_input), config, quant.activation_bits, transfer_weights=True)


class _QuantizableView:
    """What `model_quantize` reads of a model: `to_json()` and `layers`.

    tf_keras writes `module` and `registered_name` beside each layer's class name. QKeras renames
    the class (Dense → QDense) but keeps them, and tf_keras then looks for `QDense` in
    `keras.layers` and fails. The view drops those two keys from the layer entries.
    """

    def __init__(self, model):
        self.layers = model.layers
        self._model = model

    def to_json(self) -> str:
        spec = json.loads(self._model.to_json())
        for layer in spec["config"]["layers"]:
            layer.pop("module", None)
            layer.pop("registered_name", None)
        return json.dumps(spec)


def check_quantizable(model) -> None:
    """Refuse, by layer name and class, what quantization or export cannot take. Cheap: no training."""
    for layer in model.layers:
        kind = type(layer).__name__
        if type(layer).__module__.startswith("qkeras"):
            raise ModelError(
                f"model.path: expected a float Keras model to quantize, received a QKeras model "
                f"(layer {layer.name!r} is {kind}); give it to `edgeaccel convert` directly"
            )
        if kind in _RECURRENT:
            raise UnsupportedError(f"layer {layer.name!r}: expected a feed-forward layer, received {kind} (QKeras can quantize "
                                   "recurrent layers, but edgeaccel's TFLite, TFLite Micro and hls exports do not take them)")
        if kind == "ReLU" and (float(layer.negative_slope) != 0.0 or float(layer.threshold) != 0.0):
            raise UnsupportedError(f"layer {layer.name!r} (ReLU): expected negative_slope=0 and threshold=0, received "
                                   f"negative_slope={float(layer.negative_slope):g}, threshold={float(layer.threshold):g}")
        if kind not in _WEIGHTED and kind not in _SEPARABLE and kind not in _PASSTHROUGH and kind not in ("Activation", "ReLU"):
            known = sorted(set(_WEIGHTED) | _SEPARABLE | _PASSTHROUGH | {"Activation", "ReLU"})
            raise UnsupportedError(f"layer {layer.name!r}: expected one of {known}, received {kind}")
        activation = getattr(layer, "activation", None)
        if activation is not None and activation.__name__ not in _ACTIVATIONS:
            raise UnsupportedError(f"layer {layer.name!r} ({kind}): expected an activation among {sorted(_ACTIVATIONS)}, "
                                   f"received {activation.__name__!r}")


def _rebuilt(model, tf):
    """A functional copy of `model` with a linear Activation `input_quant` after its input and every
    SeparableConv2D split in two; and, for each split depthwise layer, the name it came from."""
    if len(model.inputs) != 1:
        raise UnsupportedError(f"expected a model with one input, received {len(model.inputs)} inputs")
    if any(layer.name == INPUT_QUANTIZER for layer in model.layers):
        raise ModelError(f"expected no layer named {INPUT_QUANTIZER!r} in a float model, received one")
    functional = tf.keras.Model(model.inputs, model.outputs, name=model.name)
    spec = json.loads(functional.to_json())
    layers = spec["config"]["layers"]
    input_name = spec["config"]["input_layers"][0][0]
    for layer in layers:
        for node in layer["inbound_nodes"]:
            for inbound in node:
                if inbound[0] == input_name:
                    inbound[0] = INPUT_QUANTIZER
    position = next(i for i, layer in enumerate(layers) if layer["name"] == input_name) + 1
    layers.insert(position, {
        "class_name": "Activation",
        "config": {"name": INPUT_QUANTIZER, "trainable": True, "dtype": "float32", "activation": "linear"},
        "name": INPUT_QUANTIZER,
        "inbound_nodes": [[[input_name, 0, 0, {}]]],
    })
    split = {}
    for index in reversed(range(len(layers))):
        if layers[index]["class_name"] in _SEPARABLE:
            layers[index:index + 1] = _split_separable(layers[index])
            split[layers[index]["name"]] = layers[index + 1]["name"]
    rebuilt = tf.keras.models.model_from_json(json.dumps(spec))
    for layer in functional.layers:
        weights = layer.get_weights()
        if type(layer).__name__ in _SEPARABLE:
            rebuilt.get_layer(layer.name + DEPTHWISE_SUFFIX).set_weights(weights[:1])
            rebuilt.get_layer(layer.name).set_weights(weights[1:])
        else:
            rebuilt.get_layer(layer.name).set_weights(weights)
    return rebuilt, split


def _split_separable(layer: dict) -> list[dict]:
    """A SeparableConv2D's JSON entry as a DepthwiseConv2D (no bias) and a 1x1 Conv2D with its bias and activation."""
    config, name = layer["config"], layer["name"]
    depthwise_name = name + DEPTHWISE_SUFFIX
    shared = {"trainable": config["trainable"], "dtype": config["dtype"], "data_format": config["data_format"]}
    depthwise = {"name": depthwise_name, **shared, "kernel_size": config["kernel_size"], "strides": config["strides"],
                 "padding": config["padding"], "dilation_rate": config["dilation_rate"],
                 "depth_multiplier": config["depth_multiplier"], "activation": "linear", "use_bias": False,
                 "depthwise_initializer": config["depthwise_initializer"], "depthwise_regularizer": config["depthwise_regularizer"],
                 "depthwise_constraint": config["depthwise_constraint"]}
    pointwise = {"name": name, **shared, "filters": config["filters"], "kernel_size": [1, 1], "strides": [1, 1],
                 "padding": "valid", "dilation_rate": [1, 1], "groups": 1, "activation": config["activation"],
                 "use_bias": config["use_bias"], "kernel_initializer": config["pointwise_initializer"],
                 "bias_initializer": config["bias_initializer"], "kernel_regularizer": config["pointwise_regularizer"],
                 "bias_regularizer": config["bias_regularizer"], "activity_regularizer": config["activity_regularizer"],
                 "kernel_constraint": config["pointwise_constraint"], "bias_constraint": config["bias_constraint"]}
    return [{"class_name": "DepthwiseConv2D", "config": depthwise, "name": depthwise_name, "inbound_nodes": layer["inbound_nodes"]},
            {"class_name": "Conv2D", "config": pointwise, "name": name, "inbound_nodes": [[[depthwise_name, 0, 0, {}]]]}]
