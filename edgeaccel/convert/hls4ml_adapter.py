"""The one module that calls hls4ml (1.3.0). Everything else in edgeaccel goes through here.

Why an adapter:
- hls4ml 1.3 sends every Keras model to its Keras-3 parser when Keras 3 is installed
  (`keras.__version__ >= '3.0'`), and a tf_keras/QKeras model then fails with
  "'Node' object has no attribute 'arguments'". `convert_keras2` builds the same conversion
  config `convert_from_keras_model` builds and calls the Keras-2 parser (`parse_keras_model`)
  directly. `config_from_qkeras` hands `config_from_keras_model` the model's architecture dict,
  which takes its Keras-2 branch. Neither changes any global state.
- hls4ml 1.3 parses QBatchNormalization's quantizers but does not apply them; `_qkeras_reader`
  does, so the weights in the firmware are the ones QKeras computes with.
- hls4ml leaves some result types at the model default (`fixed<16,6>`) where QKeras is exact:
  activations without quantizers, average-pooling results, BatchNorm scale/bias, the input.
  `exact_graph` pins each of them to a type that holds the exact value.
"""

import copy
import json
import logging
import warnings
from pathlib import Path

import numpy as np

from edgeaccel.errors import UnsupportedError
from edgeaccel.tfenv import quiet_native_stderr, tensorflow

log = logging.getLogger(__name__)

BATCHNORM_PRECISION = "fixed<40,10,RND,SAT>"
SOFTMAX_TABLE_SIZE = 4096
SOFTMAX_TABLE_PRECISION = "ufixed<18,8,RND,SAT>"
_PIN_PASSES = 6


def _hls4ml():
    tensorflow()
    with quiet_native_stderr():
        import hls4ml
    return hls4ml


def config_from_qkeras(qmodel, backend: str) -> dict:
    """hls4ml's per-layer config (granularity 'name'), with precisions taken from the QKeras quantizers."""
    hls4ml = _hls4ml()
    arch = _ArchitectureDict(_architecture(qmodel))
    arch.get_layer = qmodel.get_layer
    try:
        config = hls4ml.utils.config_from_keras_model(arch, granularity="name", backend=backend)
    except Exception as e:
        raise _unsupported(e, qmodel) from e
    _unsigned_quantizers_stay_unsigned(qmodel, config)
    return config


def _unsigned_quantizers_stay_unsigned(qmodel, config: dict) -> None:
    """hls4ml 1.3 types every quantized_bits as signed (`fixed<bits, integer+1>`), ignoring
    keep_negative=False: an unsigned 8-bit input quantizer (step 1/256) would become fixed<8,1>
    (step 1/128) and csim would lose a bit. The types are corrected to ufixed<bits, integer>."""
    for layer in qmodel.layers:
        entry = config["LayerName"].get(layer.name)
        if entry is None or not isinstance(entry.get("Precision"), dict):
            continue
        quantizers = {"result": getattr(layer, "quantizer", None) if type(layer).__name__ == "QActivation" else None,
                      "weight": getattr(layer, "kernel_quantizer_internal", None),
                      "bias": getattr(layer, "bias_quantizer_internal", None)}
        for key, quantizer in quantizers.items():
            if type(quantizer).__name__ == "quantized_bits" and not quantizer.keep_negative:
                rounding = "RND_CONV,SAT" if key == "result" else "TRN,WRAP"
                entry["Precision"][key] = f"ufixed<{int(quantizer.bits)},{int(quantizer.integer)},{rounding}>"


def check_supported(qmodel) -> None:
    """Refuse, by name and class, the first layer hls4ml 1.3's Keras-2 parser has no handler for."""
    hls4ml = _hls4ml()
    supported = set(hls4ml.converters.get_supported_keras_layers())
    for layer in qmodel.layers:
        kind = type(layer).__name__
        if kind not in supported:
            raise UnsupportedError(f"layer {layer.name!r}: expected a layer hls4ml 1.3 supports, received {kind}")


def convert_keras2(qmodel, hls_config: dict, output_dir: Path, backend: str, io_type: str, **backend_options):
    """`hls4ml.converters.convert_from_keras_model` without its Keras-3 switch: always the Keras-2 parser."""
    _hls4ml()
    from hls4ml.converters.keras_v2_to_hls import parse_keras_model
    from hls4ml.model import ModelGraph
    from hls4ml.utils.config import create_config

    backend_options = dict(backend_options)
    testbench_inputs = backend_options.pop("input_data_tb", None)
    testbench_outputs = backend_options.pop("output_data_tb", None)
    config = create_config(output_dir=str(output_dir), project_name="myproject", backend=backend, io_type=io_type,
                           **backend_options)
    config["KerasModel"] = qmodel
    config["InputData"] = testbench_inputs
    config["OutputPredictions"] = testbench_outputs
    config["TraceOutput"] = any(entry.get("Trace") for entry in hls_config.get("LayerName", {}).values())
    model_config = dict(hls_config.get("Model", {}))
    model_config.setdefault("Precision", "fixed<16,6>")
    model_config.setdefault("ReuseFactor", 1)
    model_config["BitExact"] = None
    config["HLSConfig"] = {"Model": model_config} | {k: copy.deepcopy(v) for k, v in hls_config.items()
                                                       if k in ("LayerName", "LayerType", "Flows", "Optimizers", "SkipOptimizers")}
    try:
        layers, inputs, outputs, _ = parse_keras_model(_architecture(qmodel), _qkeras_reader(qmodel))
        with quiet_native_stderr():
            return ModelGraph.from_layer_list(config, layers, inputs, outputs)
    except Exception as e:
        raise _unsupported(e, qmodel) from e


def exact_graph(qmodel, hls_config: dict, output_dir: Path, backend: str, io_type: str, **backend_options):
    """Convert with every 'auto' result type QKeras computes exactly pinned to an exact type.

    Returns (graph, config). A few passes are needed: pinning one layer's type changes the
    inferred types of the layers after it.
    """
    config = copy.deepcopy(hls_config)
    layer_config = config["LayerName"]
    for name, entry in layer_config.items():
        if _keras_class(qmodel, name) in ("BatchNormalization", "QBatchNormalization"):
            entry["Precision"]["scale"] = BATCHNORM_PRECISION
            entry["Precision"]["bias"] = BATCHNORM_PRECISION
    _pin_input_to_its_quantizer(qmodel, layer_config)
    pinned: set[str] = set()
    for _ in range(_PIN_PASSES):
        graph = convert_keras2(qmodel, config, output_dir, backend, io_type, **backend_options)
        changed = False
        for layer in graph.get_layers():
            entry = layer_config.get(layer.name)
            if entry is None or "Precision" not in entry or layer.get_input_variable() is None:
                continue
            if entry["Precision"].get("result") != "auto" and layer.name not in pinned:
                continue
            exact = _exact_result_type(layer)
            if exact is not None and entry["Precision"].get("result") != exact:
                entry["Precision"]["result"] = exact
                pinned.add(layer.name)
                changed = True
        if not changed:
            return graph, config
    return graph, config


def configure_softmax(hls_config: dict, layer_name: str, implementation: str) -> None:
    entry = hls_config["LayerName"].setdefault(layer_name, {})
    entry["Implementation"] = implementation
    if implementation == "stable":
        entry["TableSize"] = SOFTMAX_TABLE_SIZE
        precision = entry.setdefault("Precision", {})
        if not isinstance(precision, dict):
            precision = entry["Precision"] = {"result": precision}
        precision["exp_table"] = SOFTMAX_TABLE_PRECISION
        precision["inv_table"] = SOFTMAX_TABLE_PRECISION


def enable_trace(hls_config: dict) -> None:
    """Trace every layer: the csim library can then return any layer's output (C++ only, no synthesis cost)."""
    for entry in hls_config["LayerName"].values():
        entry["Trace"] = True


def valid_reuse_factors(backend: str, n_in: int, n_out: int) -> list[int]:
    hls4ml = _hls4ml()
    return hls4ml.backends.get_backend(backend).get_valid_reuse_factors(n_in, n_out)


def layer_records(graph) -> list[dict]:
    """What each hls4ml layer is and computes with: the estimate and artifact.json read these."""
    records = []
    for layer in graph.get_layers():
        output = layer.get_output_variable()
        record = {
            "name": layer.name,
            "class": layer.class_name,
            "result": _type_text(output.type.precision),
            "result_bits": int(output.type.precision.width),
            "outputs": int(np.prod(output.shape)),
            "shape": [int(d) for d in output.shape],
        }
        for weight_name, variable in layer.weights.items():
            record[f"{weight_name}_type"] = _type_text(variable.type.precision)
        if "accum_t" in layer.types:
            record["accum"] = _type_text(layer.types["accum_t"].precision)
        for table in ("table_t", "exp_table_t", "inv_table_t"):
            if table in layer.types:
                record[table[:-2]] = _type_text(layer.types[table].precision)
        for attribute in ("n_in", "n_out", "n_chan", "n_filt", "filt_height", "filt_width", "in_height", "in_width",
                          "out_height", "out_width", "in_width", "out_width", "pool_height", "pool_width",
                          "reuse_factor", "strategy", "activation", "implementation", "pool_op", "stride_height",
                          "stride_width", "n_partitions", "table_size", "n_timesteps"):
            value = layer.get_attr(attribute)
            if value is not None and not hasattr(value, "__dict__"):
                record[attribute] = value if isinstance(value, (int, float, str)) else str(value)
        if "weight" in layer.weights:
            data = layer.weights["weight"].data
            record["weights"] = int(np.size(data))
            record["nonzero_weights"] = int(np.count_nonzero(data))
        for weight_name in _CONSTANT_OPERANDS:
            if weight_name in layer.weights:
                digits, bits = _constant_histograms(layer.weights[weight_name])
                record[f"{weight_name}_digits"] = digits
                record[f"{weight_name}_significant_bits"] = bits
        input_variable = layer.get_input_variable()
        if input_variable is not None:
            record["input_bits"] = int(input_variable.type.precision.width)
            record["input"] = _type_text(input_variable.type.precision)
        records.append(record)
    return records


_CONSTANT_OPERANDS = ("weight", "scale", "depthwise", "pointwise", "recurrent_weight")


def _constant_histograms(variable) -> tuple[list[int], list[int]]:
    """How HLS sees a layer's constant operands, as two histograms over its values in the weight
    type: index k of the first counts the values with k non-zero digits in canonical signed-digit
    form (0: a zero weight, 1: a power of two, a shift); index k of the second, the values whose
    magnitude is k bits wide once trailing zero bits are dropped (the multiplier width HLS needs)."""
    from hls4ml.model.types import ExponentPrecisionType, FixedPrecisionType, IntegerPrecisionType

    data = np.asarray(variable.data, dtype=np.float64).ravel()
    precision = variable.type.precision
    if isinstance(precision, (FixedPrecisionType, IntegerPrecisionType)):
        fractional = precision.width - getattr(precision, "integer", precision.width)
        scaled = data * 2.0**fractional
        rounding = str(getattr(precision, "rounding_mode", "TRN"))
        values = np.floor(scaled + 0.5) if rounding.startswith("RND") else np.floor(scaled)
        low = -(2 ** (precision.width - 1)) if precision.signed else 0
        values = np.clip(values, low, 2 ** (precision.width - int(precision.signed)) - 1).astype(np.int64)
    else:
        values = (data != 0).astype(np.int64) if not isinstance(precision, ExponentPrecisionType) else np.sign(data).astype(np.int64)
    magnitude = np.abs(values)
    digits = np.zeros_like(magnitude)
    rest = magnitude.copy()
    while rest.any():
        odd = (rest & 1) == 1
        digits += odd
        rest = np.where(odd & ((rest & 3) == 3), rest + 1, np.where(odd, rest - 1, rest)) >> 1
    odd_part = magnitude // (magnitude & -magnitude).clip(min=1)
    widths = np.where(odd_part > 0, np.floor(np.log2(odd_part.clip(min=1))).astype(np.int64) + 1, 0)
    return np.bincount(digits).tolist(), np.bincount(widths).tolist()


def write_project(graph) -> None:
    with quiet_native_stderr():
        graph.write()


def input_output_sizes(graph) -> tuple[int, int]:
    inputs, outputs = graph.get_input_variables(), graph.get_output_variables()
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedError(f"expected a model with one input and one output, received {len(inputs)} and {len(outputs)}")
    return int(np.prod(inputs[0].shape)), int(np.prod(outputs[0].shape))


def softmax_input_layer(graph) -> str | None:
    """The name of the layer feeding a final softmax (the logits), or None without one."""
    layers = list(graph.get_layers())
    last = layers[-1]
    if last.class_name == "Softmax" or (last.get_attr("activation") or "") == "softmax":
        return last.inputs[0]
    return None


def _architecture(qmodel) -> dict:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*keras.constraints.serialize.*")
        return json.loads(qmodel.to_json())


class _ArchitectureDict(dict):
    """A Keras-2 architecture dict that also answers `get_layer`, as `config_from_keras_model` needs."""


def _keras_class(qmodel, name: str) -> str | None:
    try:
        return type(qmodel.get_layer(name)).__name__
    except ValueError:
        return None


def _pin_input_to_its_quantizer(qmodel, layer_config: dict) -> None:
    """The input type becomes the input quantizer's type, so the float→fixed conversion at the
    input rounds as QKeras does (no double rounding through the default fixed<16,6>)."""
    input_layer = qmodel.layers[0]
    consumers = [node.outbound_layer for node in input_layer._outbound_nodes]
    if len(consumers) == 1 and type(consumers[0]).__name__ == "QActivation" and input_layer.name in layer_config:
        result = layer_config.get(consumers[0].name, {}).get("Precision", {}).get("result")
        if result and result != "auto":
            layer_config[input_layer.name]["Precision"]["result"] = result


def _exact_result_type(layer) -> str | None:
    from hls4ml.model.types import FixedPrecisionType

    precision = layer.get_input_variable().type.precision
    if layer.class_name == "Activation" and layer.get_attr("activation") in ("relu", "linear"):
        if layer.get_attr("activation") == "relu" and precision.signed:
            return _type_text(FixedPrecisionType(precision.width - 1, precision.integer - 1, False))
        return _type_text(precision)
    if layer.class_name in ("Pooling1D", "Pooling2D", "GlobalPooling1D", "GlobalPooling2D") and \
            str(layer.get_attr("pool_op", "")).lower() == "average":
        return _type_text(layer.types["accum_t"].precision)
    return None


def _type_text(precision) -> str:
    from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType

    sign = "" if precision.signed else "u"
    if isinstance(precision, IntegerPrecisionType) and not isinstance(precision, FixedPrecisionType):
        return f"{sign}int<{precision.width}>"
    return f"{sign}fixed<{precision.width},{precision.integer}>"


def _unsupported(error: Exception, qmodel) -> Exception:
    message = str(error)
    for layer in qmodel.layers:
        if type(layer).__name__ in message:
            return UnsupportedError(f"layer {layer.name!r}: expected a layer hls4ml 1.3 supports, received {type(layer).__name__} ({message})")
    return UnsupportedError(f"expected a model hls4ml 1.3 can convert, received one it rejects: {type(error).__name__}: {message}")


_QBN_QUANTIZERS = {"gamma": "gamma_quantizer_internal", "beta": "beta_quantizer_internal",
                   "moving_mean": "mean_quantizer_internal", "moving_variance": "variance_quantizer_internal"}


def _qkeras_reader(model):
    """hls4ml's KerasModelReader, applying QBatchNormalization's quantizers to its parameters."""
    from hls4ml.converters.keras_v2_to_hls import KerasModelReader

    class QKerasReader(KerasModelReader):
        def get_weights_data(self, layer_name, var_name):
            data = super().get_weights_data(layer_name, var_name)
            layer = self.model.get_layer(layer_name)
            quantizer = getattr(layer, _QBN_QUANTIZERS.get(var_name, ""), None)
            if data is not None and type(layer).__name__ == "QBatchNormalization" and quantizer is not None:
                data = np.asarray(quantizer(data.astype(np.float32)))
            return data

    return QKerasReader(model)


def reuse_factor_problems(graph, backend: str, requested: int) -> list[tuple[str, list[int]]]:
    """Layers for which `requested` is not a valid reuse factor, with the valid ones."""
    hls4ml = _hls4ml()
    fpga_backend = hls4ml.backends.get_backend(backend)
    problems = []
    for layer in graph.get_layers():
        if "weight" not in layer.weights or layer.class_name in ("BatchNormalization",):
            continue
        try:
            sizes = fpga_backend.get_layer_mult_size(layer)
        except Exception:
            continue
        n_in, n_out = sizes[0][:2] if isinstance(sizes, list) else sizes[:2]
        valid = fpga_backend.get_valid_reuse_factors(n_in, n_out)
        if requested not in valid:
            problems.append((layer.name, valid))
    return problems


def write_weights_only(graph) -> None:
    """Write firmware/weights/ (the .txt files csim loads at run time) under the graph's output folder, nothing else."""
    (Path(graph.config.get_output_dir()) / "firmware" / "weights").mkdir(parents=True, exist_ok=True)
    with quiet_native_stderr():
        graph.config.backend.writer.write_weights(graph)
