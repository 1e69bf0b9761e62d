"""How faithfully csim reproduces QKeras: bit-exact logits, and the first layer that diverges. Pure analyses."""

import numpy as np

from edgeaccel.sim.csim_backend import NotTraced


def csim_fidelity(csim, qmodel, x: np.ndarray) -> dict:
    """Bit-exact fraction and max difference of the logits; on a mismatch, the first diverging layer."""
    reference = keras_layer_outputs(qmodel, csim.grid.quantize(x), [_keras_name(qmodel, csim.logits_layer)])
    logits = csim.logits(x)
    expected = next(iter(reference.values())).reshape(len(x), -1)
    exact = np.all(logits == expected, axis=1)
    result = {
        "samples": int(len(x)),
        "logits_layer": csim.logits_layer,
        "bit_exact_fraction": float(exact.mean()),
        "max_abs_diff": float(np.abs(logits - expected).max()),
        "first_divergence": None,
    }
    if not exact.all():
        result["first_divergence"] = first_divergence(csim, qmodel, x)
    return result


def agreement(outputs: np.ndarray, reference: np.ndarray, reference_name: str, task: str = "classification") -> dict:
    """How closely two backends' raw outputs agree: exactly equal samples, max difference, and the argmax
    agreement (classification) or the correlation (regression, autoencoder)."""
    from edgeaccel.metrics import correlation

    flat, expected = outputs.reshape(len(outputs), -1), reference.reshape(len(reference), -1)
    result = {
        "reference": reference_name,
        "samples": int(len(outputs)),
        "exact_fraction": float(np.mean(np.all(flat == expected, axis=1))),
        "max_abs_diff": float(np.abs(flat - expected).max()),
    }
    if task == "classification":
        result["argmax_agreement"] = float(np.mean(flat.argmax(axis=1) == expected.argmax(axis=1)))
    else:
        result["correlation"] = correlation(flat, expected)
    return result


def first_divergence(csim, qmodel, x: np.ndarray) -> dict | None:
    """The first hls4ml layer (in graph order) whose traced output differs from QKeras's."""
    pairs = [(name, _keras_name(qmodel, name)) for name, record in csim.layers.items() if record["class"] != "Input"]
    pairs = [(hls_name, keras_name) for hls_name, keras_name in pairs if keras_name is not None]
    reference = keras_layer_outputs(qmodel, csim.grid.quantize(x), [keras_name for _, keras_name in pairs])
    for hls_name, keras_name in pairs:
        try:
            traced = csim.layer_output(x, hls_name)
        except NotTraced:
            continue
        expected = reference[keras_name].reshape(len(x), -1)
        if traced.shape != expected.shape:
            continue
        wrong = np.any(traced != expected, axis=1)
        if wrong.any():
            return {
                "layer": hls_name,
                "class": csim.layers[hls_name]["class"],
                "hls_type": csim.layers[hls_name]["result"],
                "mismatched_samples": float(wrong.mean()),
                "max_abs_diff": float(np.abs(traced - expected).max()),
            }
    return None


def keras_layer_outputs(qmodel, x: np.ndarray, names: list[str]) -> dict:
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    probe = tf.keras.Model(qmodel.inputs, [qmodel.get_layer(name).output for name in names])
    outputs = probe.predict(x.astype(np.float32), batch_size=1024, verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return {name: np.asarray(out, dtype=np.float64) for name, out in zip(names, outputs)}


def _keras_name(qmodel, hls_name: str) -> str | None:
    """The Keras layer whose output equals the hls4ml layer `hls_name`, if any.

    A Keras layer with a fused non-linear activation has no output equal to hls4ml's
    pre-activation layer of the same name; hls4ml names that activation `<name>_<activation>`.
    """
    names = {layer.name: layer for layer in qmodel.layers}
    if hls_name in names:
        activation = getattr(getattr(names[hls_name], "activation", None), "__name__", "linear")
        has_fused_activation = type(names[hls_name]).__name__ != "QActivation" and activation not in ("linear",)
        if type(names[hls_name]).__name__ in ("QActivation", "Activation") or not has_fused_activation:
            return hls_name
        return None
    for suffix in ("_relu", "_tanh", "_sigmoid", "_softmax", "_quantized_relu", "_quantized_tanh"):
        base = hls_name.removesuffix(suffix)
        if base != hls_name and base in names:
            return base
    return None
