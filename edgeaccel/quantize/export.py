"""A plain Keras model carrying a QKeras model's quantized weights, for TFLite conversion.

Converting QKeras layers directly leaves float quantizer ops in the TFLite graph. Instead each
QKeras layer becomes its Keras counterpart with the weights its quantizers produce; quantized
ReLUs become ReLUs clipped where QKeras clips; BatchNormalization is folded into the Dense or
Conv layer before it where that layer feeds nothing else; the input quantizer is dropped (the
int8 input tensor and `InputGrid` take its place).
"""

import warnings

import numpy as np

from edgeaccel.errors import UnsupportedError
from edgeaccel.tfenv import tensorflow

_WEIGHTED = {"QDense": "Dense", "QConv1D": "Conv1D", "QConv2D": "Conv2D", "Dense": "Dense",
             "Conv1D": "Conv1D", "Conv2D": "Conv2D"}
_BATCHNORM = {"BatchNormalization", "QBatchNormalization"}
_QKERAS_ONLY_SUFFIXES = ("_quantizer", "_range", "_initializer", "_constraint", "_regularizer")


def plain_keras_model(qmodel):
    """Return a new float Keras model computing what `qmodel` computes, minus activation rounding."""
    tf = tensorflow()
    consumers = _consumer_counts(qmodel)
    tensors: dict[str, object] = {}
    pending_fold: dict[str, object] = {}
    for layer in qmodel.layers:
        kind = type(layer).__name__
        inbound = _inbound_names(layer)
        args = [tensors[name] for name in inbound]
        if kind == "InputLayer":
            tensors[layer.name] = tf.keras.Input(shape=layer.input_shape[0][1:] if isinstance(layer.input_shape, list) else layer.input_shape[1:], name=layer.name)
        elif kind in _WEIGHTED:
            plain, activation = _weighted_layer(tf, layer, kind)
            out = plain(args[0])
            if activation is not None:
                out = activation(out)
            elif consumers[layer.name] == 1:
                pending_fold[layer.name] = plain
            tensors[layer.name] = out
        elif kind in _BATCHNORM and inbound[0] in pending_fold:
            _fold_batchnorm(pending_fold.pop(inbound[0]), layer)
            tensors[layer.name] = args[0]
        elif kind in ("QActivation", "Activation", "ReLU"):
            plain = _activation_layer(tf, layer)
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
    outputs = [tensors[name] for name in qmodel.output_names]
    return tf.keras.Model(tensors[qmodel.input_names[0]], outputs[0] if len(outputs) == 1 else outputs, name=f"{qmodel.name}_plain")


def _weighted_layer(tf, layer, kind):
    config = {k: v for k, v in _config(layer).items() if not k.endswith(_QKERAS_ONLY_SUFFIXES)}
    activation = layer.activation
    activation_name = getattr(activation, "__name__", type(activation).__name__)
    config["activation"] = activation_name if activation_name in ("linear", "softmax", "relu", "tanh", "sigmoid") else "linear"
    plain = getattr(tf.keras.layers, _WEIGHTED[kind]).from_config(config)
    kernel_q = getattr(layer, "kernel_quantizer_internal", None)
    bias_q = getattr(layer, "bias_quantizer_internal", None)
    weights = layer.get_weights()
    quantized = [_apply(kernel_q, weights[0])] + ([_apply(bias_q, weights[1])] if len(weights) > 1 else [])
    plain.build(layer.input_shape)
    plain.set_weights(quantized)
    separate = None if config["activation"] == activation_name else _quantizer_activation(tf, activation, f"{layer.name}_act")
    return plain, separate


def _activation_layer(tf, layer):
    if type(layer).__name__ == "ReLU" or type(layer).__name__ == "Activation":
        return type(layer).from_config(_config(layer))
    return _quantizer_activation(tf, layer.quantizer, layer.name)


def _quantizer_activation(tf, quantizer, name):
    kind = type(quantizer).__name__
    if kind == "quantized_bits":
        return None
    if kind in ("quantized_relu", "quantized_relu_po2"):
        return tf.keras.layers.ReLU(max_value=float(quantizer.max()), name=name)
    if kind == "quantized_tanh":
        return tf.keras.layers.Activation("tanh", name=name)
    if kind == "quantized_sigmoid":
        return tf.keras.layers.Activation("sigmoid", name=name)
    raise UnsupportedError(f"activation {name!r}: expected quantized_bits, quantized_relu, quantized_tanh or quantized_sigmoid, received {kind}")


def _fold_batchnorm(plain, bn) -> None:
    gamma, beta, mean, variance = _bn_parameters(bn)
    scale = gamma / np.sqrt(variance + bn.epsilon)
    weights = plain.get_weights()
    kernel = weights[0] * scale
    bias = weights[1] if len(weights) > 1 else np.zeros_like(mean)
    if len(weights) == 1:
        raise UnsupportedError(f"layer {plain.name!r}: expected a bias to fold BatchNormalization into, received use_bias=False")
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
