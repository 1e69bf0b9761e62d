"""A Keras/QKeras model in canonical form: the same function, one operation per layer.

- Inference no-ops (Dropout and friends) are removed.
- Fused activations (`QDense(..., activation=quantized_relu(6))`, `Dense(10, activation='softmax')`)
  become their own layer after the one that computed them, named `<layer>_<activation>` as hls4ml
  names them, so that the pre-activation values (logits, accumulators) are a layer's output.
- Keras's ReLU and Softmax layers with default arguments become the Activation layers they equal.

`Architecture` is the editable JSON form (functional); `rebuild` makes a model from it.
"""

import json
from dataclasses import dataclass

from edgeaccel.errors import UnsupportedError

NOOPS = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
         "AlphaDropout", "ActivityRegularization"}


@dataclass
class Architecture:
    """A functional model's architecture (tf_keras JSON) and its weights by layer name."""

    spec: dict
    weights: dict

    @property
    def layers(self) -> list[dict]:
        return self.spec["config"]["layers"]

    @property
    def outputs(self) -> set[str]:
        return {entry[0] for entry in self.spec["config"]["output_layers"]}

    def layer(self, name: str) -> dict:
        return next(spec for spec in self.layers if spec["name"] == name)

    def inputs_of(self, name: str) -> list[str]:
        nodes = self.layer(name).get("inbound_nodes") or []
        return [entry[0] for entry in nodes[0]] if nodes else []

    def consumers(self, name: str) -> list[dict]:
        return [spec for spec in self.layers
                if any(entry[0] == name for node in spec.get("inbound_nodes", []) for entry in node)]

    def unique_name(self, name: str) -> str:
        taken = {spec["name"] for spec in self.layers}
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name}_{number}"
        return candidate

    def remove(self, name: str) -> None:
        """Remove a one-input layer; its users take its input instead."""
        source = self.inputs_of(name)[0]
        self.layers.remove(self.layer(name))
        self._redirect(name, source)

    def insert_after(self, name: str, class_name: str, config: dict) -> str:
        """Insert a new layer after `name`, taking over every use of its output; return its name."""
        config = dict(config, name=self.unique_name(config["name"]))
        self._redirect(name, config["name"])
        position = next(i for i, spec in enumerate(self.layers) if spec["name"] == name) + 1
        self.layers.insert(position, {"class_name": class_name, "config": config, "name": config["name"],
                                      "inbound_nodes": [[[name, 0, 0, {}]]]})
        return config["name"]

    def rename(self, old: str, new: str) -> None:
        """Give layer `old` the name `new`, everywhere it is referred to."""
        spec = self.layer(old)
        spec["name"] = spec["config"]["name"] = new
        self._redirect(old, new)
        for entry in self.spec["config"]["input_layers"]:
            if entry[0] == old:
                entry[0] = new
        if old in self.weights:
            self.weights[new] = self.weights.pop(old)

    def _redirect(self, old: str, new: str) -> None:
        for spec in self.layers:
            if spec["name"] == new:
                continue
            for node in spec.get("inbound_nodes", []):
                for entry in node:
                    if entry[0] == old:
                        entry[0] = new
        for entry in self.spec["config"]["output_layers"]:
            if entry[0] == old:
                entry[0] = new


def architecture(model) -> Architecture:
    """The functional architecture of `model` (Sequential models included) and a copy of its weights."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedError(f"expected a model with one input and one output, received {len(model.inputs)} and "
                               f"{len(model.outputs)}")
    functional = tf.keras.Model(model.inputs, model.outputs, name=model.name)
    spec = json.loads(functional.to_json())
    return Architecture(spec, {layer.name: layer.get_weights() for layer in functional.layers})


def canonical(model) -> tuple[Architecture, list[dict]]:
    """The canonical architecture of `model`, and the no-op layers removed (layer, change, reason)."""
    arch = architecture(model)
    removed = []
    for spec in list(arch.layers):
        if spec["class_name"] in NOOPS:
            arch.remove(spec["name"])
            removed.append({"layer": spec["name"], "change": "removed", "reason": f"{spec['class_name']} does nothing at inference"})
    for spec in list(arch.layers):
        _standardize(spec)
        activation = spec["config"].get("activation")
        if spec["class_name"] not in ("Activation", "QActivation") and activation not in (None, "linear"):
            _split_activation(arch, spec)
    return arch, removed


def canonical_model(model):
    """`model` in canonical form (a new model; `model` is not changed)."""
    arch, _ = canonical(model)
    return rebuild(arch)


def _standardize(spec: dict) -> None:
    config = spec["config"]
    if spec["class_name"] == "ReLU" and not config.get("max_value") and not config.get("negative_slope") \
            and not config.get("threshold"):
        spec["class_name"], spec["config"] = "Activation", {"name": config["name"], "activation": "relu"}
    elif spec["class_name"] == "Softmax" and config.get("axis", -1) == -1:
        spec["class_name"], spec["config"] = "Activation", {"name": config["name"], "activation": "softmax"}


def _split_activation(arch: Architecture, spec: dict) -> None:
    activation = spec["config"]["activation"]
    if isinstance(activation, dict):
        kind, class_name = activation["class_name"], "QActivation"
    elif _is_qkeras_quantizer(activation):
        kind, class_name = activation.split("(")[0], "QActivation"
    else:
        kind, class_name = activation, "Activation"
    spec["config"]["activation"] = "linear"
    arch.insert_after(spec["name"], class_name, {"name": f"{spec['name']}_{kind}", "activation": activation})


def _is_qkeras_quantizer(text: str) -> bool:
    from qkeras.quantizers import get_quantizer

    try:
        quantizer = get_quantizer(text)
    except (ValueError, NameError, SyntaxError):
        return False
    return hasattr(quantizer, "get_config") or text.split("(")[0] == "binary_tanh"


def rebuild(arch: Architecture):
    """The functional model `arch` describes, layer by layer, with its weights.

    Built through the functional API rather than `model_from_json`: from JSON, tf_keras 2.21 hands
    a QActivation its quantizer as a plain dict, which QKeras 0.9 then tries to call."""
    from qkeras.quantizers import get_quantizer
    from qkeras.utils import _add_supported_quantized_objects

    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    objects: dict = {}
    _add_supported_quantized_objects(objects)
    tensors = {}
    for spec in arch.layers:
        config = json.loads(json.dumps(spec["config"]))
        kind, name = spec["class_name"], spec["name"]
        if kind == "InputLayer":
            tensors[name] = tf.keras.Input(shape=config["batch_input_shape"][1:], name=name, dtype=config.get("dtype"))
            continue
        if len(spec["inbound_nodes"]) != 1:
            raise UnsupportedError(f"layer {name!r}: expected a layer used once, received one shared by "
                                   f"{len(spec['inbound_nodes'])} calls")
        if kind == "QActivation" and isinstance(config["activation"], dict):
            activation = config["activation"]
            config["activation"] = get_quantizer({"class_name": activation["class_name"], "config": activation.get("config", {})})
        cls = objects.get(kind) or getattr(tf.keras.layers, kind)
        inputs = [tensors[entry[0]] for entry in spec["inbound_nodes"][0]]
        tensors[name] = cls.from_config(config)(inputs[0] if len(inputs) == 1 else inputs)
    model = tf.keras.Model([tensors[entry[0]] for entry in arch.spec["config"]["input_layers"]],
                           [tensors[entry[0]] for entry in arch.spec["config"]["output_layers"]],
                           name=arch.spec["config"]["name"])
    for layer in model.layers:
        if arch.weights.get(layer.name):
            layer.set_weights(arch.weights[layer.name])
    return model
