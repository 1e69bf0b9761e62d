"""How faithfully csim reproduces its fixed-point reference. Pure analyses over a csim backend.

`csim_fidelity` compares the model's real outputs with the firmware's real outputs: the final
outputs (bit for bit, or by argmax when the model ends in a softmax, which is a lookup table in
hardware), the logits (the softmax's input, bit for bit), and every layer of the design against
its Keras twin. A layer without a twin (an internal step, a copy hls4ml inserted) or without a
trace is reported as unchecked with the reason, never as exact. The reference is the QKeras model
saved in the artifact, the given model made fixed-point (see `convert.hls_reference`). A layer
QKeras computes in float32 with no exact fixed-point equivalent (BatchNormalization, an average over
a count that is not a power of two, sums wider than float32's 24 significant bits) is "approximate"
where it differs by float32 rounding only; the quantizer after it is compared exactly.
"""

import numpy as np

from edgeaccel.errors import ModelError

ARGMAX_THRESHOLD = 0.999
LAYER_SAMPLES = 256
FLOAT_LAYERS = {"BatchNormalization", "QBatchNormalization", "AveragePooling1D", "AveragePooling2D",
                "GlobalAveragePooling1D", "GlobalAveragePooling2D"}
FLOAT_TOLERANCE = 1e-4


def csim_fidelity(csim, reference, x: np.ndarray) -> dict:
    """The comparison of csim with `reference` on `x`: None for the artifact's reference.h5, or a reference
    of the same design (`convert.hls.reference_for(artifact, retrained)`, for weights swapped in with
    `use_weights`). One model run per sample for the outputs and logits, with every layer traced on the first
    LAYER_SAMPLES samples, and again on up to LAYER_SAMPLES samples that differ, to find where they start to."""
    from edgeaccel.models.canonical import canonical_model

    model = csim.reference if reference is None else canonical_model(reference)
    logits_name, output_name = csim.logits_layer, model.layers[-1].name
    missing = [name for name in (logits_name,) if name not in {layer.name for layer in model.layers}]
    if missing:
        raise ModelError(f"reference: expected the design's layer {missing[0]!r} (see the artifact's reference changes), "
                         f"received a model without it; pass None for the artifact's reference, or "
                         f"edgeaccel.convert.hls.reference_for(artifact, model)")
    rows, compared = _layer_plan(csim, model)
    logits_traced = logits_name != output_name and csim.is_traced(logits_name)
    head = min(len(x), LAYER_SAMPLES)
    first = csim.layer_outputs(x[:head], sorted(set(compared) | ({logits_name} if logits_traced else set())))
    if len(x) > head:
        rest = csim.layer_outputs(x[head:], [logits_name] if logits_traced else [])
    else:
        rest = {key: values[:0] for key, values in first.items()}
    outputs = np.concatenate([first[None], rest[None]])
    logits = np.concatenate([first[logits_name], rest[logits_name]]) if logits_traced else outputs
    expected = keras_layer_outputs(model, csim.grid.quantize(x), [logits_name, output_name])
    reference_outputs = expected[output_name].reshape(len(x), -1)
    reference_logits = expected[logits_name].reshape(len(x), -1)
    logits_exact = np.all(logits == reference_logits, axis=1)
    outputs_exact = np.all(outputs == reference_outputs, axis=1)
    softmax = None
    if csim.softmax_layer:
        softmax = {"layer": csim.softmax_layer, "threshold": ARGMAX_THRESHOLD,
                   "argmax_agreement": float(np.mean(outputs.argmax(1) == reference_outputs.argmax(1))),
                   "max_abs_diff": float(np.abs(outputs - reference_outputs).max())}
    wrong = ~(logits_exact & (outputs_exact if softmax is None else True))
    if wrong.any():
        checked = np.flatnonzero(wrong)[:LAYER_SAMPLES]
        traced = csim.layer_outputs(x[checked], sorted(compared))
    else:
        checked, traced = np.arange(head), first
    layers = _compare_layers(csim, model, rows, compared, traced, x[checked])
    first_divergence = next((row for row in layers if row["status"] == "differs"), None)
    ok = bool(logits_exact.all() and (softmax["argmax_agreement"] >= ARGMAX_THRESHOLD if softmax else outputs_exact.all()))
    result = {
        "samples": int(len(x)),
        "reference": csim.artifact.details.reference.description
        if reference is None else "the given model (canonical form)",
        "input_precision": csim.artifact.details.input_precision.to_dict(),
        "logits_layer": logits_name,
        "bit_exact_fraction": float(logits_exact.mean()),
        "max_abs_diff": float(np.abs(logits - reference_logits).max()),
        "outputs": {"layer": output_name, "bit_exact_fraction": float(outputs_exact.mean()),
                    "max_abs_diff": float(np.abs(outputs - reference_outputs).max())},
        "softmax": softmax,
        "layers": layers,
        "layers_samples": int(len(checked)),
        "layers_on": "the samples that differ" if wrong.any() else f"the first {len(checked)} samples",
        "first_divergence": _divergence(first_divergence, csim) if first_divergence else None,
        "ok": ok,
    }
    result["verdict"] = verdict(result)
    return result


def _layer_plan(csim, model) -> tuple[list[dict], dict]:
    """A row per design layer: unchecked ones with their reason, the others with their Keras twin."""
    names = {layer.name for layer in model.layers}
    rows, compared = [], {}
    for name, record in csim.layers.items():
        twin = record.get("reference_layer")
        if record["class"] == "Input":
            rows.append({"layer": name, "status": "unchecked", "reason": "the input, fed on the input grid by edgeaccel"})
        elif name == csim.softmax_layer:
            rows.append({"layer": name, "status": "approximate",
                         "reason": "a softmax is a lookup table in hardware: compared by argmax (see softmax)"})
        elif twin is None:
            rows.append({"layer": name, "status": "unchecked", "reason": record.get("unchecked_reason", "no Keras twin")})
        elif twin not in names:
            rows.append({"layer": name, "status": "unchecked", "reason": f"the reference has no layer {twin!r}"})
        elif not csim.is_traced(name):
            rows.append({"layer": name, "status": "unchecked", "reason": f"hls4ml does not trace {record['class']} layers"})
        else:
            compared[name] = twin
            rows.append({"layer": name, "reference_layer": twin})
    return rows, compared


def _compare_layers(csim, model, rows: list[dict], compared: dict, traced: dict, x: np.ndarray) -> list[dict]:
    """The rows, with each compared layer's status on `x` (whose traced outputs are `traced`)."""
    if not compared or not len(x):
        return [row if row.get("status") else row | {"status": "unchecked", "reason": "no samples"} for row in rows]
    expected = keras_layer_outputs(model, csim.grid.quantize(x), sorted(set(compared.values())))
    result = []
    for row in rows:
        if row["layer"] not in compared:
            result.append(row)
            continue
        got, want = traced[row["layer"]], expected[row["reference_layer"]].reshape(len(x), -1)
        if got.shape != want.shape:
            result.append(row | {"status": "unchecked", "reason": f"{got.shape[1]} values in csim, {want.shape[1]} in Keras"})
            continue
        wrong = np.any(got != want, axis=1)
        difference = float(np.abs(got - want).max())
        row = row | {"status": "differs" if wrong.any() else "exact", "mismatched_samples": float(wrong.mean()),
                     "max_abs_diff": difference}
        float_arithmetic = type(model.get_layer(row["reference_layer"])).__name__ in FLOAT_LAYERS or \
            csim.layers[row["layer"]].get("reference_float32_inexact", False)
        if wrong.any() and float_arithmetic and difference <= FLOAT_TOLERANCE * max(float(np.abs(want).max()), 1e-30):
            row |= {"status": "approximate", "reason": f"QKeras computes {row['reference_layer']!r} in float32, csim "
                                                       f"exactly: they differ by up to {difference:.3g} (float32 rounding)"}
        result.append(row)
    return result


def verdict(result: dict) -> str:
    """One line: what was compared, on how many samples, and where and why it differs."""
    n = result["samples"]
    logits = result["logits_layer"]
    exact_logits = round(result["bit_exact_fraction"] * n)
    text = f"csim against {result['reference']}: logits ('{logits}') bit-exact on {exact_logits} of {n} samples"
    if result["softmax"]:
        s = result["softmax"]
        text += (f", softmax ('{s['layer']}', a lookup table in hardware) argmax agreement {s['argmax_agreement']:.4f} "
                 f"(required >= {s['threshold']})")
    elif result["outputs"]["layer"] != logits:
        text += f", outputs ('{result['outputs']['layer']}') bit-exact on {round(result['outputs']['bit_exact_fraction'] * n)} of {n}"
    counts = {status: sum(1 for row in result["layers"] if row["status"] == status)
              for status in ("exact", "approximate", "differs", "unchecked")}
    text += "; layers: " + ", ".join(f"{n} {status}" for status, n in counts.items() if n) + f" on {result['layers_on']}"
    first = result["first_divergence"]
    if first:
        text += (f"; first divergence at '{first['layer']}' ({first['class']}, {first['hls_type']}) on "
                 f"{first['mismatched_samples']:.2%} of those samples, by up to {first['max_abs_diff']:.3g}")
    return text


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


def keras_layer_outputs(qmodel, x: np.ndarray, names: list[str]) -> dict:
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    names = list(dict.fromkeys(names))
    probe = tf.keras.Model(qmodel.inputs, [qmodel.get_layer(name).output for name in names])
    outputs = probe.predict(x.astype(np.float32), batch_size=1024, verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return {name: np.asarray(out, dtype=np.float64) for name, out in zip(names, outputs)}


def _divergence(row: dict, csim) -> dict:
    record = csim.layers[row["layer"]]
    return {"layer": row["layer"], "reference_layer": row["reference_layer"], "class": record["class"],
            "hls_type": record["result"], "mismatched_samples": row["mismatched_samples"], "max_abs_diff": row["max_abs_diff"]}
