"""The FPGA estimate against published synthesis reports, beside rule4ml 0.2 on the same rows.

edgeaccel's estimate of each held-out row of `edgeaccel/estimate/data/fpga_reports.csv` is
computed from the stored hls4ml 1.3 layer records of the rebuilt design (bench/data, reproduced
by `python -m bench.fpga_calibration --rebuild` and the zoo test) with the shipped calibration.

rule4ml (PyPI 0.2.0, its default GNN estimators, trained on hls4ml 0.8.1/1.1.0 syntheses) is given
the same architecture as a Keras 3 model of plain layers (it parses nothing else: QKeras layers
become their Keras counterparts), the row's strategy, reuse factor and model precision, the
closest board it knows (pynq-z2, zcu102, alveo-u200, alveo-u250), the row's Vivado/Vitis version
and the hls4ml version it knows closest to the report's. It is a bench-only dependency (the `bench`
extra): it needs torch and, here, `sys.modules["triton"] = None` before it is imported.
"""

import logging
import statistics
import sys

from bench import fpga_calibration as calibration_tool

log = logging.getLogger(__name__)
FIGURES = ("lut", "ff", "dsp", "bram18", "latency_cycles")
RULE4ML_FIGURES = {"lut": "LUT", "ff": "FF", "dsp": "DSP", "bram18": "BRAM", "latency_cycles": "CYCLES", "ii_cycles": "INTERVAL"}
RULE4ML_BOARDS = (("xc7z020", "pynq-z2"), ("xczu", "zcu102"), ("xcu200", "alveo-u200"), ("xcu250", "alveo-u250"))


def compare(split: str = "heldout", with_rule4ml: bool = True) -> dict:
    """Median absolute relative error per figure on the rows of `split` ("heldout", its "blind" part (see
    `fpga_calibration.SEEN_HELDOUT`), or "fit"), edgeaccel beside rule4ml
    (left out, like an uninstalled rule4ml, when `with_rule4ml` is false: the quick bench). On the
    held-out rows edgeaccel is the shipped calibration; on the fit rows, each row's estimate comes from
    a fit that left its model family out."""
    from edgeaccel.estimate.fpga import calibration as calibrations

    rows = [row for row in calibration_tool.read_rows() if row["split"] == split or (split == "blind" and row["blind"])]
    records = calibration_tool.read_records()
    shipped = calibrations.shipped()
    if split in ("heldout", "blind"):
        ours = {entry["id"]: entry for entry in calibration_tool.evaluate(rows, records, shipped)}
    else:
        left_out = calibration_tool.leave_one_family_out(rows, records)
        ours = {row["id"]: calibration_tool.compared(row, left_out[row["id"]], shipped) for row in rows}
    theirs = rule4ml_predictions(rows) if with_rule4ml else {}
    table = []
    for row in rows:
        entry = {"id": row["id"], "family": row["family"], "tool": row["tool"], "figures": {}}
        for figure in FIGURES + ("ii_cycles",):
            report = float(row[figure])
            mine = ours[row["id"]][figure]
            other = theirs.get(row["id"], {}).get(figure)
            entry["figures"][figure] = {"report": report, "edgeaccel": mine["estimate"], "within_range": mine["within_range"],
                                        "rule4ml": other,
                                        "edgeaccel_error": mine["error"],
                                        "rule4ml_error": None if other is None else calibration_tool.relative_error(other, report)}
        table.append(entry)
    summary = {}
    both = [entry for entry in table if entry["id"] in theirs]
    for figure in FIGURES:
        errors = [e["figures"][figure] for e in table]
        summary[figure] = {"edgeaccel": _median([f["edgeaccel_error"] for f in errors]),
                           "edgeaccel_on_rule4ml_rows": _median([e["figures"][figure]["edgeaccel_error"] for e in both]),
                           "rule4ml": _median([f["rule4ml_error"] for f in errors]),
                           "within_range": sum(f["within_range"] for f in errors)}
    ii = [e["figures"]["ii_cycles"] for e in table]
    summary["ii_cycles"] = {"edgeaccel_exact": sum(f["edgeaccel"] == f["report"] for f in ii),
                            "rule4ml_exact": sum(round(f["rule4ml"]) == f["report"] for f in ii if f["rule4ml"] is not None) if theirs else None,
                            "edgeaccel": _median([f["edgeaccel_error"] for f in ii]),
                            "rule4ml": _median([calibration_tool.relative_error(f["rule4ml"], f["report"]) if f["rule4ml"] is not None else None
                                                for f in ii])}
    summary["rule4ml_rows"] = len(both)
    summary["rows_beating_rule4ml"] = sum(all(f["edgeaccel_error"] < f["rule4ml_error"] for f in entry["figures"].values()
                                              if f["rule4ml_error"] is not None) for entry in both)
    return {"split": split, "rows": table, "summary": summary, "count": len(rows),
            "synthesis": calibration_tool.synthesis_over_hls_report(calibration_tool.read_rows())}


def _median(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def rule4ml_predictions(rows: list[dict]) -> dict:
    """rule4ml's figures per row id ({} where rule4ml is not installed; the section then says so)."""
    try:
        sys.modules.setdefault("triton", None)
        from rule4ml.models.wrappers import MultiModelWrapper
    except ImportError:
        return {}
    estimator = MultiModelWrapper()
    estimator.load_default_models()
    predictions = {}
    for row in rows:
        config = {"board": _rule4ml_board(row["part"]),
                  "model": {"strategy": row["strategy"].capitalize(), "precision": _ap(row["precision"]),
                            "reuse_factor": int(row["reuse_factor"])}}
        try:
            frame = estimator.predict(keras3_architecture(row["model"]), hls_configs=[config],
                                      hls4ml_versions=["1.1.0" if float(row["hls4ml_release"]) >= 1.0 else "0.8.1"],
                                      vivado_versions=[row["tool_version"]])
        except Exception as e:  # rule4ml rejects some architectures (e.g. recurrent layers): that row has no rule4ml figure
            log.warning("rule4ml could not estimate %s: %s", row["id"], e)
            continue
        first = frame.iloc[0]
        predictions[row["id"]] = {figure: float(first[column]) for figure, column in RULE4ML_FIGURES.items() if column in frame}
    return predictions


def _rule4ml_board(part: str) -> str:
    return next((board for prefix, board in RULE4ML_BOARDS if part.lower().startswith(prefix)), "alveo-u250")


def _ap(precision: str) -> str:
    inside = precision[precision.index("<") + 1:precision.index(">")].split(",")
    return f"ap_fixed<{inside[0].strip()}, {inside[1].strip()}>"


def keras3_architecture(model_name: str):
    """The published model's architecture as a built Keras 3 model of plain layers, for rule4ml."""
    import keras

    from bench import fpga_published

    source = fpga_published.ARCHITECTURES[model_name]()
    model = keras.Sequential([keras.Input(shape=tuple(source.input_shape[1:]))], name=model_name)
    for layer in source.layers:
        converted = _keras3_layer(keras, layer)
        if converted is not None:
            model.add(converted)
    model.build((None, *source.input_shape[1:]))
    shape = (None, *source.input_shape[1:])
    for layer in model.layers:
        if getattr(layer, "_build_shapes_dict", None) is None:
            # rule4ml reads a Keras 3 layer's input shape from its private _build_shapes_dict,
            # which Keras 3 leaves empty for layers without weights (pooling, flatten, activation)
            layer._build_shapes_dict = {"input_shape": shape}
        shape = layer.compute_output_shape(shape)
    return model


def _keras3_layer(keras, layer):
    kind, config = type(layer).__name__, layer.get_config()
    layers = keras.layers
    if kind in ("Dense", "QDense"):
        return layers.Dense(config["units"], use_bias=config["use_bias"], activation=_activation(config.get("activation")))
    if kind in ("Conv1D", "Conv2D", "QConv1D", "QConv2D", "QConv2DBatchnorm"):
        conv = layers.Conv1D if kind.endswith("Conv1D") else layers.Conv2D
        return conv(config["filters"], config["kernel_size"], strides=config["strides"], padding=config["padding"],
                    use_bias=config.get("use_bias", True), activation=_activation(config.get("activation")))
    if kind == "BatchNormalization":
        return layers.BatchNormalization()
    if kind in ("Activation", "QActivation"):
        activation = _activation(str(config["activation"]))
        return layers.Activation(activation) if activation else None
    if kind == "MaxPooling2D":
        return layers.MaxPooling2D(config["pool_size"])
    if kind in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
        return getattr(layers, kind)()
    if kind in ("GRU", "LSTM"):
        return getattr(layers, kind)(config["units"], return_sequences=config["return_sequences"])
    if kind == "Flatten":
        return layers.Flatten()
    if kind == "InputLayer":
        return None
    raise ValueError(f"layer {layer.name!r}: expected a layer of the published models, received {kind}")


def _activation(name: str | None) -> str | None:
    if not name or name == "linear" or name.startswith("quantized_bits"):
        return None
    if "relu" in name:
        return "relu"
    return name
