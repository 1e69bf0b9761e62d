"""Magnitude pruning during QAT, following the hls4ml tutorial's flow (fastmachinelearning/hls4ml-tutorial,
part3_compression.ipynb and part4_quantization.ipynb): tensorflow-model-optimization's
`prune_low_magnitude` around the QKeras layers, `UpdatePruningStep` while fitting, and the wrappers
stripped afterwards, leaving the plain QKeras layers with zeros in their kernels.

QKeras's weighted layers (QDense, QConv1D/2D, QDepthwiseConv2D, ...) are tfmot `PrunableLayer`s
that name their kernel as the prunable weight; plain Keras Dense and convolutions are pruned through
tfmot's registry. The model is pruned on a fresh copy and the trained, masked weights are copied
back into the caller's model, whose graph is left as it was.
"""

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np

from edgeaccel.errors import ModelError
from edgeaccel.specs import PruningSpec

log = logging.getLogger(__name__)

MASK_UPDATE_STEPS = 100  # the tutorial's `frequency`


@dataclass(frozen=True)
class PruningRun:
    """A model wrapped for pruning: fit `model` with `callbacks`, then call `finish`."""

    model: object
    callbacks: list
    spec: PruningSpec

    def finish(self, original) -> dict:
        """Mask the kernels for good, copy the trained weights into `original` (the model given to
        `prunable_copy`) and return the per-layer sparsity of its quantized kernels."""
        wrappers = _wrappers(self.model)
        for wrapper in wrappers:
            wrapper.pruning_obj.weight_mask_op()
        for layer in self.model.layers:
            inner = layer.layer if layer in wrappers else layer
            if inner.weights:
                original.get_layer(inner.name).set_weights(inner.get_weights())
        pruned = {wrapper.layer.name for wrapper in wrappers}
        layers = kernel_sparsity(original, pruned)
        short = {name: round(layer["sparsity"], 4) for name, layer in layers.items()
                 if layer["sparsity"] < self.spec.target_sparsity - 1.0 / layer["weights"]}
        if short:
            log.warning("pruning: layers below the target sparsity %.2f: %s", self.spec.target_sparsity, short)
        return {"target_sparsity": self.spec.target_sparsity, "schedule": self.spec.schedule,
                "layers": layers, "total": total_sparsity(layers)}


def prunable_copy(model, spec: PruningSpec, steps_per_epoch: int, epochs: int) -> PruningRun:
    """A copy of `model` (same weights) with every layer that has a kernel wrapped by
    `prune_low_magnitude`, and the callbacks that advance the pruning schedule."""
    tf = _tf()
    import tensorflow_model_optimization as tfmot

    sparsity = tfmot.sparsity.keras
    begin = spec.begin_epoch * steps_per_epoch
    end = spec.settled_epoch(epochs) * steps_per_epoch
    frequency = mask_update_steps(steps_per_epoch)
    if spec.schedule == "constant":
        schedule = sparsity.ConstantSparsity(spec.target_sparsity, begin_step=begin, end_step=end, frequency=frequency)
    else:
        schedule = sparsity.PolynomialDecay(0.0, spec.target_sparsity, begin_step=begin, end_step=end, frequency=frequency)

    def fresh(layer):
        with warnings.catch_warnings():  # tf_keras warns that QKeras quantizers are not Constraints
            warnings.filterwarnings("ignore", message=".*keras.constraints.serialize.*")
            copy = layer.__class__.from_config(layer.get_config())
        return sparsity.prune_low_magnitude(copy, pruning_schedule=schedule) if has_prunable_kernel(layer) else copy

    copy = tf.keras.models.clone_model(model, clone_function=fresh)
    for layer in copy.layers:
        inner = getattr(layer, "layer", layer)
        if inner.weights:
            inner.set_weights(model.get_layer(inner.name).get_weights())
    if not _wrappers(copy):
        raise ModelError(f"training.pruning: expected a model with Dense or convolution kernels to prune, received "
                         f"none among its layers ({', '.join(layer.name for layer in model.layers)})")
    return PruningRun(copy, [sparsity.UpdatePruningStep()], spec)


def mask_update_steps(steps_per_epoch: int) -> int:
    """How often the masks are updated: the largest divisor of an epoch's steps up to the tutorial's 100,
    so that an update falls on the schedule's last step and the target is reached exactly."""
    return max(d for d in range(1, min(MASK_UPDATE_STEPS, steps_per_epoch) + 1) if steps_per_epoch % d == 0)


def has_prunable_kernel(layer) -> bool:
    """Whether tfmot can prune this layer's kernel: a PrunableLayer naming weights (every QKeras
    weighted layer), or a plain Keras Dense or convolution."""
    tf = _tf()
    import tensorflow_model_optimization as tfmot

    if isinstance(layer, tfmot.sparsity.keras.PrunableLayer):
        return bool(layer.get_prunable_weights())
    return isinstance(layer, (tf.keras.layers.Dense, tf.keras.layers.Conv1D, tf.keras.layers.Conv2D,
                              tf.keras.layers.DepthwiseConv2D))


def kernel_sparsity(model, names: set[str] | None = None) -> dict[str, dict]:
    """Per layer with a kernel (or only `names`): its weights, how many are zero after the layer's
    weight quantizer (what the hardware gets), and that fraction. A pure analysis."""
    layers = {}
    for layer in model.layers:
        kernel = _kernel(layer)
        if kernel is None or (names is not None and layer.name not in names):
            continue
        quantizer = getattr(layer, "kernel_quantizer_internal", None) or getattr(layer, "depthwise_quantizer_internal", None)
        values = np.asarray(quantizer(kernel) if quantizer is not None else kernel)
        zeros = int(np.count_nonzero(values == 0))
        layers[layer.name] = {"weights": int(values.size), "zeros": zeros, "sparsity": zeros / values.size}
    return layers


def total_sparsity(layers: dict[str, dict]) -> dict:
    weights = sum(layer["weights"] for layer in layers.values())
    zeros = sum(layer["zeros"] for layer in layers.values())
    return {"weights": weights, "zeros": zeros, "sparsity": zeros / weights if weights else 0.0}


def _kernel(layer):
    for name in ("kernel", "depthwise_kernel"):
        variable = getattr(layer, name, None)
        if variable is not None and hasattr(variable, "numpy"):
            return variable.numpy().astype(np.float32)
    return None


def _wrappers(model) -> list:
    # the wrapper class is not in tfmot's public API (the hls4ml tutorial imports these modules too)
    from tensorflow_model_optimization.python.core.sparsity.keras.pruning_wrapper import PruneLowMagnitude

    return [layer for layer in model.layers if isinstance(layer, PruneLowMagnitude)]


def _tf():
    from edgeaccel.tfenv import tensorflow

    return tensorflow()


def steps_per_epoch(samples: int, validation_fraction: float, batch_size: int) -> int:
    """The optimizer steps Keras takes per epoch on `samples` with `validation_split`."""
    fitted = math.floor(samples * (1.0 - validation_fraction))  # as tf_keras's train_validation_split
    return max(1, math.ceil(fitted / batch_size))
