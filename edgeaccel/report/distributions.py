"""Per-layer weight and activation distributions against their quantizers' range and step.

An analysis in the spirit of hls4ml's numerical profiling: where values fall outside the quantizer's
range they are clipped; where they use only a small part of it, bits are wasted.
"""

import numpy as np

from edgeaccel.quantize.grid import input_grid

MAX_VALUES = 200_000


def layer_precisions(qmodel) -> list[dict]:
    """One row per layer: class, output shape and the QKeras quantizers it computes with."""
    rows = []
    for layer in qmodel.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        row = {"name": layer.name, "class": kind, "output_shape": str(tuple(layer.output_shape[1:]))}
        for key, attribute in (("weight", "kernel_quantizer_internal"), ("bias", "bias_quantizer_internal"),
                               ("activation", "quantizer")):
            quantizer = getattr(layer, attribute, None)
            if quantizer is not None:
                row[key] = str(quantizer)
        activation = getattr(layer, "activation", None)
        if "activation" not in row and activation is not None and kind.startswith("Q") and hasattr(activation, "bits"):
            row["activation"] = str(activation)
        rows.append(row)
    return rows


def weight_distributions(qmodel) -> list[dict]:
    """The float (pre-quantization) kernel values of every quantized layer, with the quantizer's range."""
    found = []
    for layer in qmodel.layers:
        quantizer = getattr(layer, "kernel_quantizer_internal", None)
        if quantizer is None or not layer.get_weights():
            continue
        values = layer.get_weights()[0].ravel()
        found.append(_distribution(layer.name, "weights", values, quantizer))
    return found


def activation_distributions(qmodel, x: np.ndarray) -> list[dict]:
    """The values entering every QActivation (the input quantizer included) on the data `x`."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    layers = [layer for layer in qmodel.layers if type(layer).__name__ == "QActivation"]
    if not layers:
        return []
    probe = tf.keras.Model(qmodel.inputs, [layer.input for layer in layers])
    values = probe.predict(x.astype(np.float32), batch_size=1024, verbose=0)
    values = values if isinstance(values, list) else [values]
    return [_distribution(layer.name, "activations", np.asarray(v).ravel(), layer.quantizer)
            for layer, v in zip(layers, values)]


def _distribution(name: str, kind: str, values: np.ndarray, quantizer) -> dict:
    low, high, step = quantizer_grid(quantizer)
    half = step / 2 if step else 0.0
    above = values > high + half
    below = (values < low - half) if low < 0 else np.zeros_like(above)
    peak = float(np.max(np.abs(values))) if values.size else 0.0
    span = max(abs(low), abs(high))
    unused_integer_bits = int(np.floor(np.log2(span / peak))) if peak > 0 and span > 2 * peak else 0
    sample = values if values.size <= MAX_VALUES else np.random.default_rng(0).choice(values, MAX_VALUES, replace=False)
    zeros = float(np.mean(np.asarray(quantizer(values.astype(np.float32))) == 0)) if values.size else 0.0
    return {"layer": name, "kind": kind, "quantizer": str(quantizer), "low": low, "high": high, "step": step,
            "clipped_fraction": float(np.mean(above | below)), "unused_integer_bits": unused_integer_bits,
            "zero_fraction": zeros,
            "min": float(values.min()), "max": float(values.max()), "values": sample.astype(np.float32)}


def quantizer_grid(quantizer) -> tuple[float, float, float | None]:
    """The smallest and largest value a quantizer outputs, and its step, read off the quantizer itself
    (a fine ramp through it), so that every QKeras quantizer is handled the same way."""
    bound = 2.0 * max(abs(float(np.asarray(quantizer.max()))), 1.0)
    ramp = np.linspace(-bound, bound, 400_001, dtype=np.float32)
    levels = np.unique(np.asarray(quantizer(ramp), dtype=np.float64))
    step = float(np.min(np.diff(levels))) if len(levels) > 1 else None
    return float(levels[0]), float(levels[-1]), step


def input_grid_text(qmodel) -> str | None:
    grid = input_grid(qmodel)
    return None if grid is None else f"{grid.bits} bits, {'signed' if grid.signed else 'unsigned'}, step {grid.step:g}"
