"""The QKeras twin of a float Keras model, built by QKeras's own `model_quantize`.

The twin always begins with an input quantizer, `QActivation(quantized_bits(input_bits, ...))`,
so that every backend (TFLite, TFLM, csim) can be fed exactly the values QKeras saw.
"""

import json
import warnings

from edgeaccel.errors import ModelError, UnsupportedError
from edgeaccel.specs import QuantSpec
from edgeaccel.tfenv import tensorflow

INPUT_QUANTIZER = "input_quant"
_WEIGHTED = {"Dense", "Conv1D", "Conv2D"}
_PASSTHROUGH = {"InputLayer", "Flatten", "Reshape", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
                "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
                "GlobalMaxPooling2D", "BatchNormalization", "Add", "Dropout", "ZeroPadding1D", "ZeroPadding2D",
                "Concatenate"}
_ACTIVATIONS = {"relu", "tanh", "softmax", "linear", "sigmoid"}


def weight_quantizer(bits: int, integer: int) -> str:
    return f"quantized_bits({bits},{integer},alpha=1)"


def input_quantizer(quant: QuantSpec, signed: bool) -> str:
    keep_negative = 1 if signed else 0
    return f"quantized_bits({quant.input_bits},{quant.input_integer},keep_negative={keep_negative},alpha=1)"


def activation_quantizer(name: str, quant: QuantSpec) -> str | None:
    if name == "relu":
        return f"quantized_relu({quant.activation_bits},{quant.activation_integer})"
    if name == "tanh":
        return f"quantized_tanh({quant.activation_bits},{quant.activation_integer})"
    if name == "sigmoid":
        return f"quantized_sigmoid({quant.activation_bits})"
    return None


def quantize_model(float_model, quant: QuantSpec, input_signed: bool):
    """Return the QKeras twin of `float_model` carrying its weights; `float_model` is not changed."""
    tf = tensorflow()
    from qkeras.utils import model_quantize

    check_quantizable(float_model)
    with_input = _with_input_layer(float_model, tf)
    config = {INPUT_QUANTIZER: input_quantizer(quant, input_signed)}
    for layer in with_input.layers:
        spec = quant.for_layer(layer.name)
        kind = type(layer).__name__
        if kind in _WEIGHTED:
            config[layer.name] = {
                "kernel_quantizer": weight_quantizer(spec.weight_bits, spec.weight_integer),
                "bias_quantizer": weight_quantizer(spec.bias_bits, spec.bias_integer),
                "activation_quantizer": activation_quantizer(layer.activation.__name__, spec),
            }
        elif kind == "Activation" and layer.name != INPUT_QUANTIZER:
            quantizer = activation_quantizer(layer.activation.__name__, spec)
            if quantizer:
                config[layer.name] = quantizer
        elif kind == "ReLU":
            config[layer.name] = activation_quantizer("relu", spec)
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
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in _WEIGHTED or kind == "Activation" or kind == "ReLU" or kind in _PASSTHROUGH:
            activation = getattr(layer, "activation", None)
            if activation is not None and activation.__name__ not in _ACTIVATIONS:
                raise UnsupportedError(
                    f"layer {layer.name!r} ({kind}): expected an activation among {sorted(_ACTIVATIONS)}, "
                    f"received {activation.__name__!r}"
                )
            continue
        if type(layer).__module__.startswith("qkeras"):
            raise ModelError(
                f"model.path: expected a float Keras model to quantize, received a QKeras model "
                f"(layer {layer.name!r} is {kind}); give it to `edgeaccel convert` directly"
            )
        raise UnsupportedError(
            f"layer {layer.name!r}: expected one of {sorted(_WEIGHTED | _PASSTHROUGH | {'Activation', 'ReLU'})}, "
            f"received {kind}"
        )


def _with_input_layer(model, tf):
    """A functional copy of `model` with a linear Activation named `input_quant` after its input."""
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
    rebuilt = tf.keras.models.model_from_json(json.dumps(spec))
    for layer in functional.layers:
        rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    return rebuilt
