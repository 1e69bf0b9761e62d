"""A plain Keras model carrying a QKeras model's quantized weights, for TFLite conversion.

Converting QKeras layers directly leaves float quantizer ops in the TFLite graph. Instead each
QKeras layer becomes its Keras counterpart with the weights its quantizers produce;
BatchNormalization is folded into the Dense or convolution before it where that layer feeds
nothing else; the input quantizer is dropped (the int8 input tensor and `InputGrid` take its place).

Quantized ReLUs keep their clipping without extra ops: a ReLU bounded at 6 becomes ReLU6 (a fused
RELU6 in TFLite), and any other bound m becomes a ReLU followed by a fake quantization to [0, m]
(`tf.quantization.fake_quant_with_min_max_args`). The converter folds that into the layer before
it: a fused RELU whose int8 output range is exactly [0, m], so int8 saturation does the clipping.
For an 8-bit `quantized_relu(8, i)` that range gives the int8 tensor QKeras's own grid, 2^(i-8).
A plain Keras model (not QKeras) is exported as it is, Sequential or functional.
"""

import warnings

import numpy as np

from edgeaccel.errors import UnsupportedError
from edgeaccel.tfenv import tensorflow

# QKeras (and plain Keras) weighted layers: their Keras class, and the attribute of their kernel quantizer.
_WEIGHTED = {"QDense": "Dense", "QConv1D": "Conv1D", "QConv2D": "Conv2D", "QConv2DTranspose": "Conv2DTranspose",
             "QDepthwiseConv2D": "DepthwiseConv2D", "Dense": "Dense", "Conv1D": "Conv1D", "Conv2D": "Conv2D",
             "Conv2DTranspose": "Conv2DTranspose", "DepthwiseConv2D": "DepthwiseConv2D"}
_KERNEL_QUANTIZERS = ("kernel_quantizer_internal", "depthwise_quantizer_internal")
_BATCHNORM = {"BatchNormalization", "QBatchNormalization"}
_QKERAS_ONLY_SUFFIXES = ("_quantizer", "_range", "_initializer", "_constraint", "_regularizer")
RELU6 = 6.0


def plain_keras_model(qmodel, int8: bool = False):
    """Return a new float Keras model computing what `qmodel` computes, minus activation rounding.

    `int8`: for int8 conversion, bounded ReLUs other than ReLU6 carry the fake quantization that
    folds their bound into the int8 range; otherwise they are ReLU(max_value=bound).
    """
    tf = tensorflow()
    model = _functional(qmodel, tf)
    consumers = _consumer_counts(model)
    tensors: dict[str, object] = {}
    pending_fold: dict[str, object] = {}
    for layer in model.layers:
        kind = type(layer).__name__
        inbound = _inbound_names(layer)
        args = [tensors[name] for name in inbound]
        if kind == "InputLayer":
            shape = layer.input_shape[0] if isinstance(layer.input_shape, list) else layer.input_shape
            tensors[layer.name] = tf.keras.Input(shape=shape[1:], name=layer.name)
        elif kind in _WEIGHTED:
            plain, activation = _weighted_layer(tf, layer, kind, int8)
            out = plain(args[0])
            if activation is not None:
                out = activation(out)
            elif consumers[layer.name] == 1:
                pending_fold[layer.name] = plain
            tensors[layer.name] = out
        elif kind in _BATCHNORM and inbound[0] in pending_fold:
            _fold_batchnorm(pending_fold.pop(inbound[0]), layer)
            tensors[layer.name] = args[0]
        elif kind == "QActivation":
            plain = _quantizer_activation(tf, layer.quantizer, layer.name, int8)
            tensors[layer.name] = plain(args[0]) if plain is not None else args[0]
        elif kind.startswith("Q") and kind != "QBatchNormalization":
            plain_kind = kind[1:]
            config = {k: v for k, v in _config(layer).items() if not k.endswith(_QKERAS_ONLY_SUFFIXES)}
            if plain_kind not in ("AveragePooling2D", "GlobalAveragePooling2D"):
                raise UnsupportedError(f"layer {layer.name!r}: expected a layer TFLite export supports, received {kind}")
            tensors[layer.name] = getattr(tf.keras.layers, plain_kind).from_config(config)(args[0])
        else:
            clone = type(layer).from_config(_config(layer))
            out = clone(args if len(args) > 1 else args[0])
            clone.set_weights(layer.get_weights())
            tensors[layer.name] = out
    outputs = [tensors[name] for name in model.output_names]
    return tf.keras.Model(tensors[model.input_names[0]], outputs[0] if len(outputs) == 1 else outputs, name=f"{model.name}_plain")


def ranged_relu(top: float, name: str):
    """ReLU then a fake quantization to [0, top]: TFLite's converter makes it a fused RELU with that int8 range."""
    tf = tensorflow()
    return tf.keras.layers.Lambda(
        lambda x: tf.quantization.fake_quant_with_min_max_args(tf.nn.relu(x), min=0.0, max=top, num_bits=8), name=name)


def _functional(model, tf):
    """`model` itself, or for a Sequential the functional model over the same layers (with its InputLayer)."""
    if isinstance(model, tf.keras.Sequential):
        return tf.keras.Model(model.inputs, model.outputs, name=model.name)
    return model


def _weighted_layer(tf, layer, kind, int8: bool):
    """The plain Keras layer with the quantized weights (always with a bias, so BatchNorm can fold), and a separate activation."""
    config = {k: v for k, v in _config(layer).items() if not k.endswith(_QKERAS_ONLY_SUFFIXES)}
    activation = layer.activation
    activation_name = getattr(activation, "__name__", type(activation).__name__)
    config["activation"] = activation_name if activation_name in ("linear", "softmax", "relu", "relu6", "tanh", "sigmoid") else "linear"
    config["use_bias"] = True
    plain = getattr(tf.keras.layers, _WEIGHTED[kind]).from_config(config)
    kernel_q = next((getattr(layer, name) for name in _KERNEL_QUANTIZERS if getattr(layer, name, None) is not None), None)
    bias_q = getattr(layer, "bias_quantizer_internal", None)
    weights = layer.get_weights()
    plain.build(layer.input_shape)
    kernel = _apply(kernel_q, weights[0])
    bias = _apply(bias_q, weights[1]) if len(weights) > 1 else np.zeros(plain.get_weights()[1].shape, np.float32)
    plain.set_weights([kernel, bias])
    separate = None if config["activation"] == activation_name else _quantizer_activation(tf, activation, f"{layer.name}_act", int8)
    return plain, separate


def _quantizer_activation(tf, quantizer, name, int8: bool):
    kind = type(quantizer).__name__
    if kind == "quantized_bits":
        return None
    if kind == "quantized_relu":
        if quantizer.negative_slope:
            raise UnsupportedError(f"activation {name!r}: expected quantized_relu without a negative slope, received {quantizer}")
        top = relu_top(quantizer)
        if top == RELU6 or not int8:
            return tf.keras.layers.ReLU(max_value=top, name=name)
        return ranged_relu(top, name)
    if kind == "quantized_relu_po2":
        return tf.keras.layers.ReLU(max_value=float(quantizer.max()), name=name)
    if kind == "quantized_tanh":
        return tf.keras.layers.Activation("tanh", name=name)
    if kind == "quantized_sigmoid":
        return tf.keras.layers.Activation("sigmoid", name=name)
    raise UnsupportedError(f"activation {name!r}: expected quantized_bits, quantized_relu, quantized_tanh or quantized_sigmoid, received {kind}")


def relu_top(quantizer) -> float:
    """The largest value a `quantized_relu` outputs: its `relu_upper_bound` where that applies, else 2^i - 2^(i-bits)."""
    if quantizer.relu_upper_bound and not quantizer.is_quantized_clip:
        return float(quantizer.relu_upper_bound)
    integer, bits = float(quantizer.integer), float(quantizer.bits)
    return 2.0 ** integer - 2.0 ** (integer - bits)


def _fold_batchnorm(plain, bn) -> None:
    gamma, beta, mean, variance = _bn_parameters(bn)
    scale = gamma / np.sqrt(variance + bn.epsilon)
    kernel, bias = plain.get_weights()
    kind = type(plain).__name__
    if kind == "DepthwiseConv2D":
        kernel = kernel * scale.reshape(kernel.shape[2], kernel.shape[3])
    elif kind == "Conv2DTranspose":
        kernel = kernel * scale.reshape(1, 1, -1, 1)
    else:
        kernel = kernel * scale
    plain.set_weights([kernel.astype(np.float32), ((bias - mean) * scale + beta).astype(np.float32)])


def _bn_parameters(bn):
    values = {w.name.split("/")[-1].split(":")[0]: w.numpy() for w in bn.weights}
    channels = values["moving_mean"].shape
    gamma = values.get("gamma", np.ones(channels, np.float32))
    beta = values.get("beta", np.zeros(channels, np.float32))
    return gamma, beta, values["moving_mean"], values["moving_variance"]


def _apply(quantizer, values: np.ndarray) -> np.ndarray:
    if quantizer is None:
        return values
    return np.asarray(quantizer(values.astype(np.float32)), dtype=np.float32)


def _config(layer) -> dict:
    """`get_config()` without tf_keras's warning that QKeras quantizers are not Constraints."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*keras.constraints.serialize.*")
        return layer.get_config()


def _inbound_names(layer) -> list[str]:
    if not layer.inbound_nodes:
        return []
    nodes = layer.inbound_nodes[0].inbound_layers
    nodes = nodes if isinstance(nodes, list) else [nodes]
    return [n.name for n in nodes]


def _consumer_counts(model) -> dict[str, int]:
    counts = {layer.name: 0 for layer in model.layers}
    for layer in model.layers:
        for name in _inbound_names(layer):
            counts[name] += 1
    for name in model.output_names:
        counts[name] += 1
    return counts
