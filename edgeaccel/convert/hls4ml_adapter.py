"""The one module that calls hls4ml (1.3.0). Everything else in edgeaccel goes through here.

`plan_design` turns a reference model (see `hls_reference`) and its exact types (see
`exact_types`) into a finished hls4ml configuration before anything is converted: every type is
explicit, the reuse factor is checked for every layer (a layer that cannot take the requested one
gets the closest valid one, with a note, as hls4ml itself does), and the layer list hls4ml builds
the design from is rewritten so that each layer computes what QKeras computes:

- weights are the values QKeras computes with (its quantizers evaluated by QKeras), and hls4ml
  sees no weight quantizer: its own QKeras quantizer wrappers are where 1-bit `binary` weights
  become {0, 1}, `quantized_po2` and `alpha='auto_po2'` crash under NumPy 2 (`np.product`), and an
  alpha scale becomes an extra layer;
- activations take the exact forms of `hls_activations`; BatchNormalization takes the scale and
  bias TensorFlow computes in float32;
- every type is explicit, so hls4ml's optimizers that only act on unspecified types (folding a
  BatchNormalization into the layer before it, merging a linear activation, which drops a final
  quantizer) leave the design alone; hls4ml 1.3 ignores `SkipOptimizers` (graph.py: "this is now
  effectively broken"), so a binary activation sits behind a widening copy that keeps hls4ml's
  BatchNormalization-plus-sign fusion (which outputs 1-bit {0, 1}) from matching. A ternary one is
  meant to fuse: hls4ml has no standalone ternary template, and its fused thresholds, rounded down
  to the input's grid, are exact for the scale `hls_activations.ternary_scale` picks.

`build_design` converts once, through hls4ml's Keras-2 parser (hls4ml 1.3 sends tf_keras/QKeras
models to its Keras-3 parser when Keras 3 is installed), and checks that every layer of the
resulting graph has the planned types; a layer hls4ml changed is an error, never a silent
difference. No global state is changed.
"""

import contextlib
import copy
import io
import json
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgeaccel.convert.exact_types import LayerTypes
from edgeaccel.convert.hls_activations import PLUS_MINUS_ONE
from edgeaccel.errors import ToolError, UnsupportedError
from edgeaccel.quantize.fixed import FixedType, covering, parse_precision
from edgeaccel.tfenv import quiet_native_stderr, tensorflow

log = logging.getLogger(__name__)

PROJECT_NAME = "myproject"
_WEIGHT_QUANTIZER_KEYS = ("kernel_quantizer", "bias_quantizer", "depthwise_quantizer", "pointwise_quantizer",
                          "gamma_quantizer", "beta_quantizer", "mean_quantizer", "variance_quantizer")
_READER_NAMES = {"kernel": "weight", "depthwise_kernel": "depthwise", "pointwise_kernel": "pointwise", "bias": "bias"}
_HELPER_SUFFIX = {"binary_gt0": "_shift", "ternary": "_scale"}
_INTERNAL_STEP = "internal step of an exact activation (no Keras output)"


@dataclass
class DesignPlan:
    """A finished hls4ml configuration and the layer list it applies to."""

    layers: list
    inputs: list
    outputs: list
    config: dict
    backend: str
    io_type: str
    planned: dict
    twins: dict  # hls4ml layer -> (the reference layer its output equals, or None; why none)
    reuse_notes: list = field(default_factory=list)


def _hls4ml():
    tensorflow()
    with quiet_native_stderr():
        import hls4ml
    return hls4ml


def plan_design(reference_model, types: dict[str, LayerTypes], values: dict, *, backend: str, io_type: str,
                reuse_factor: int, strategy: str, softmax: dict | None) -> DesignPlan:
    """The finished configuration: `types` from `exact_types.propagate`, `values` from `exact_types.layer_values`,
    `softmax` the softmax layer's hls4ml config (from `hls_softmax`), or None."""
    _hls4ml()
    from hls4ml.converters.keras_v2_to_hls import parse_keras_model

    arch = _architecture_for_hls4ml(reference_model)
    try:
        with warnings.catch_warnings(), _printed_to_log():
            warnings.simplefilter("ignore")
            layers, inputs, outputs, shapes = parse_keras_model(arch, _Reader(reference_model, values))
    except Exception as e:
        raise UnsupportedError(f"expected a model hls4ml 1.3's Keras parser reads, received one it rejects: "
                               f"{type(e).__name__}: {e}") from e
    planned: dict[str, dict] = {}
    twins: dict[str, tuple[str | None, str]] = {}
    rewritten = []
    for spec in layers:
        rewritten += _rewrite(spec, types, values, shapes, planned, twins)
    reuse, notes = _reuse_factors(rewritten, backend, reuse_factor)
    config = _config(rewritten, planned, reuse, reuse_factor, strategy, softmax)
    for spec in rewritten:
        if spec["class_name"] == "Softmax":
            planned[spec["name"]] = _softmax_types(config["LayerName"][spec["name"]])
    return DesignPlan(rewritten, inputs, outputs, config, backend, io_type, planned, twins, notes)


def build_design(plan: DesignPlan, output_dir: Path, testbench: dict | None = None, **backend_options):
    """Convert once with the finished configuration; raise when hls4ml's graph deviates from the plan."""
    _hls4ml()
    from hls4ml.model import ModelGraph
    from hls4ml.utils.config import create_config

    config = create_config(output_dir=str(output_dir), project_name=PROJECT_NAME, backend=plan.backend,
                           io_type=plan.io_type, **backend_options)
    testbench = testbench or {}
    config["InputData"] = testbench.get("inputs")
    config["OutputPredictions"] = testbench.get("outputs")
    config["TraceOutput"] = True
    config["HLSConfig"] = copy.deepcopy(plan.config)
    try:
        with quiet_native_stderr(), warnings.catch_warnings(), _printed_to_log():
            warnings.simplefilter("ignore")
            graph = ModelGraph.from_layer_list(config, copy.deepcopy(plan.layers), plan.inputs, plan.outputs)
    except Exception as e:
        raise ToolError(f"hls4ml 1.3 failed to build the design: {type(e).__name__}: {e}") from e
    _check_against_plan(graph, plan)
    plan.reuse_notes += _reuse_adjustments(graph, plan)
    return graph


def _reuse_adjustments(graph, plan: DesignPlan) -> list[str]:
    """Notes for the layers whose reuse factor hls4ml set otherwise than planned (the halves of a separable
    convolution, which hls4ml creates and validates itself)."""
    requested = plan.config["Model"]["ReuseFactor"]
    notes = []
    for layer in graph.get_layers():
        actual = layer.get_attr("reuse_factor")
        expected = plan.config["LayerName"].get(layer.name, {}).get("ReuseFactor", requested)
        if actual is not None and int(actual) != int(expected):
            notes.append(f"layer {layer.name!r}: hls4ml uses reuse factor {actual} (requested {expected}), the closest "
                         f"valid one for its multiplications")
    return notes


def default_hls4ml_graph(model, output_dir: Path, backend: str = "Vivado", io_type: str = "io_parallel"):
    """What hls4ml 1.3's documentation does with a Keras model: `config_from_keras_model(granularity='name')`
    (fixed<16,6> where no quantizer says otherwise) and a conversion with that configuration. The
    benchmark's baseline; edgeaccel itself never builds this."""
    hls4ml = _hls4ml()
    view = _ArchitectureView(json.loads(model.to_json()))
    view.get_layer = model.get_layer
    hls_config = hls4ml.utils.config_from_keras_model(view, granularity="name", backend=backend)
    return convert_keras2(model, hls_config, output_dir, backend, io_type)


def convert_keras2(model, hls_config: dict, output_dir: Path, backend: str, io_type: str, **backend_options):
    """hls4ml 1.3's own conversion of `model` with a hand-written configuration, as a user's hls4ml script
    does (`convert_from_keras_model`, always through the Keras-2 parser): for the benchmarks that rebuild
    published designs. edgeaccel's conversion is `plan_design` and `build_design`."""
    _hls4ml()
    from hls4ml.converters.keras_v2_to_hls import KerasModelReader, parse_keras_model
    from hls4ml.model import ModelGraph
    from hls4ml.utils.config import create_config

    config = create_config(output_dir=str(output_dir), project_name=PROJECT_NAME, backend=backend, io_type=io_type,
                           **backend_options)
    config["KerasModel"] = model
    model_config = {"Precision": "fixed<16,6>", "ReuseFactor": 1} | hls_config.get("Model", {}) | {"BitExact": None}
    config["HLSConfig"] = copy.deepcopy(hls_config) | {"Model": model_config}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*keras.constraints.serialize.*")
        arch = json.loads(model.to_json())
    with quiet_native_stderr(), _printed_to_log():
        layers, inputs, outputs, _ = parse_keras_model(arch, KerasModelReader(model))
        return ModelGraph.from_layer_list(config, layers, inputs, outputs)


class _ArchitectureView(dict):
    """A Keras-2 architecture dict that also answers `get_layer`, as `config_from_keras_model` needs for a dict."""


def valid_reuse_factors(backend: str, n_in: int, n_out: int) -> list[int]:
    return _hls4ml().backends.get_backend(backend).get_valid_reuse_factors(n_in, n_out)


def layer_records(graph, twins: dict | None = None, float32_inexact: set | None = None) -> list[dict]:
    """What each hls4ml layer is and computes with. With the `twins` of a `DesignPlan`, also the reference
    layer its output equals (`reference_layer`, or None with an `unchecked_reason`;
    `reference_float32_inexact` when QKeras's float32 arithmetic can round that layer's output, a name in
    `float32_inexact`). The estimate and artifact.json read these."""
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
            accum = _fixed(layer.types["accum_t"].precision)
            if accum is not None and (accum.rounding, accum.saturation) != ("TRN", "WRAP"):
                record["accum_modes"] = f"{accum.rounding},{accum.saturation}"
        for table in ("table_t", "exp_table_t", "inv_table_t"):
            if table in layer.types:
                record[table[:-2]] = _type_text(layer.types[table].precision)
        for attribute in ("n_in", "n_out", "n_chan", "n_filt", "filt_height", "filt_width", "in_height", "in_width",
                          "out_height", "out_width", "pool_height", "pool_width", "reuse_factor", "strategy",
                          "activation", "implementation", "pool_op", "stride_height", "stride_width", "n_partitions",
                          "table_size", "n_timesteps"):
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
        if twins is None:
            records.append(record)
            continue
        twin = _twin(layer, twins)
        record["reference_layer"] = twin[0]
        if twin[0] is None:
            record["unchecked_reason"] = twin[1]
        elif float32_inexact and twin[0] in float32_inexact:
            record["reference_float32_inexact"] = True
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
    with quiet_native_stderr(), _printed_to_log():
        graph.write()


def write_weights_only(graph) -> None:
    """Write firmware/weights/ (the .txt files csim loads at run time) under the graph's output folder, nothing else."""
    (Path(graph.config.get_output_dir()) / "firmware" / "weights").mkdir(parents=True, exist_ok=True)
    with quiet_native_stderr():
        graph.config.backend.writer.write_weights(graph)


def input_output_sizes(graph) -> tuple[int, int]:
    inputs, outputs = graph.get_input_variables(), graph.get_output_variables()
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedError(f"expected a model with one input and one output, received {len(inputs)} and {len(outputs)}")
    return int(np.prod(inputs[0].shape)), int(np.prod(outputs[0].shape))


@contextlib.contextmanager
def _printed_to_log():
    """hls4ml prints progress and warnings to stdout; library code logs instead (at debug level)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    for line in buffer.getvalue().splitlines():
        if line.strip():
            log.debug("hls4ml: %s", line)


def _architecture_for_hls4ml(model) -> dict:
    """The model's architecture with every weight quantizer removed (the reader hands hls4ml the quantized
    values) and every activation layer a plain linear Activation (rewritten into its exact form afterwards)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*keras.constraints.serialize.*")
        arch = json.loads(model.to_json())
    for spec in arch["config"]["layers"]:
        config = spec["config"]
        for key in _WEIGHT_QUANTIZER_KEYS:
            if key in config:
                config[key] = None
        if spec["class_name"] == "QConv2DBatchnorm":
            spec["class_name"] = "QConv2D"
            config["use_bias"] = True
        if spec["class_name"] == "QActivation" or (spec["class_name"] == "Activation" and config["activation"] != "softmax"):
            spec["class_name"], spec["config"] = "Activation", {"name": config["name"], "activation": "linear"}
    return arch


class _Reader:
    """hls4ml's weight reader, handing out the values QKeras computes with."""

    def __init__(self, model, values: dict):
        self.model = model
        self.values = values

    def get_weights_data(self, layer_name, var_name):
        key = _READER_NAMES.get(var_name)
        values = self.values.get(layer_name, {})
        if key == "depthwise" and "depthwise" not in values:
            key = "weight"
        if key in values:
            return np.asarray(values[key], dtype=np.float64)
        layer = self.model.get_layer(layer_name)
        for weight in layer.weights:
            if var_name in weight.name:
                return weight.numpy()
        return None


def _rewrite(spec: dict, types: dict, values: dict, shapes: dict, planned: dict, twins: dict) -> list[dict]:
    """The layer dicts hls4ml builds `spec` from, with their planned types; `twins` gets each one's reference layer."""
    name, kind = spec["name"], spec["class_name"]
    if name in types:
        typed = types[name]
        twins[name] = (name, "")
        if typed.activation is not None and kind in ("Activation", "Softmax"):
            return _activation_dicts(spec, typed, _input_type(spec, types, planned), shapes[spec["inputs"][0]][1:],
                                     planned, twins)
        plan = {"result": typed.result}
        if typed.accum is not None:
            plan["accum"] = typed.accum
        plan |= typed.weights
        if typed.depthwise_result is not None:
            config_keys = {"depthwise": typed.weights["depthwise"], "pointwise": typed.weights["pointwise"],
                           "depthwise_result": typed.depthwise_result, "depthwise_accum": typed.depthwise_result,
                           "pointwise_accum": typed.accum, "result": typed.result} | _bias_of(typed)
            planned[name] = config_keys
            planned[f"{name}_depthwise"] = {"result": typed.depthwise_result, "accum": typed.depthwise_result,
                                            "weight": typed.weights["depthwise"]}
            planned[f"{name}_pointwise"] = {"result": typed.result, "accum": typed.accum,
                                            "weight": typed.weights["pointwise"]} | _bias_of(typed)
            twins[f"{name}_pointwise"] = (name, "")
            twins[f"{name}_depthwise"] = (None, "depthwise half of a separable convolution (Keras has no output for it)")
            return [spec]
        if kind in ("BatchNormalization", "QBatchNormalization"):
            spec = spec | {"class_name": "BatchNormalization", "scale_data": values[name]["scale"],
                           "bias_data": values[name]["bias"]}
        planned[name] = plan
        return [spec]
    if kind == "Activation" and spec.get("activation") == "linear":
        source = name.removesuffix("_linear")
        if source in types:
            planned[name] = {"result": types[source].result}
            twins[name] = (source, "")
            return [spec]
    raise UnsupportedError(f"layer {name!r}: expected a layer of the reference model, received an hls4ml layer "
                           f"({kind}) edgeaccel has no type for")


def _input_type(spec: dict, types: dict, planned: dict) -> FixedType:
    source = spec["inputs"][0]
    return planned[source]["result"] if source in planned else types[source].result


def _bias_of(typed: LayerTypes) -> dict:
    return {"bias": typed.weights["bias"]} if "bias" in typed.weights else {}


def _activation_dicts(spec: dict, typed: LayerTypes, input_type: FixedType, input_shape: list, planned: dict,
                      twins: dict) -> list[dict]:
    form = typed.activation
    name = spec["name"]
    base = {"name": name, "inputs": spec["inputs"], "data_format": "channels_last"}
    if form.kind == "softmax":
        planned[name] = {}
        return [spec | {"class_name": "Softmax", "activation": "softmax"}]
    planned[name] = {"result": form.result}
    if form.kind == "cast":
        return [base | {"class_name": "Activation", "activation": "linear"}]
    if form.kind == "relu":
        return [base | {"class_name": "Activation", "activation": "relu"}]
    if form.kind == "leaky_relu":
        planned[name]["param"] = covering(np.array([form.parameter]))
        return [base | {"class_name": "LeakyReLU", "activation": "leaky_relu", "activ_param": form.parameter}]
    if form.kind == "hard_sigmoid":
        from hls4ml.model.types import FixedPrecisionType

        half = FixedPrecisionType(width=2, integer=0, signed=False)
        return [base | {"class_name": "HardActivation", "activation": "hard_sigmoid", "slope": 0.5, "shift": 0.5,
                        "slope_prec": half, "shift_prec": half}]
    specs, source, source_type = [], spec["inputs"], input_type
    if form.kind != "binary":
        helper = name + _HELPER_SUFFIX[form.kind]
        twins[helper] = (None, _INTERNAL_STEP)
        scale, bias = (1.0, form.parameter) if form.kind == "binary_gt0" else (form.parameter, 0.0)
        planned[helper] = {"scale": covering(np.array([scale])), "bias": covering(np.array([bias])), "result": form.pre_result}
        specs.append(_affine_spec(helper, source, scale, bias, input_shape))
        source, source_type = [helper], form.pre_result
    if form.kind == "ternary":
        fused = f"bnbt_{helper}"
        planned[fused] = {"result": PLUS_MINUS_ONE}
        twins[fused] = (name, "")
        return specs + [base | {"inputs": source, "class_name": "TernaryTanh", "activation": "ternary_tanh", "threshold": 0.5}]
    hold = f"{name}_hold"
    twins[hold] = (None, _INTERNAL_STEP)
    planned[hold] = {"result": FixedType(source_type.width + 1, source_type.integer + 1, source_type.signed)}
    specs.append({"name": hold, "inputs": source, "data_format": "channels_last", "class_name": "Activation",
                  "activation": "linear"})
    return specs + [base | {"inputs": [hold], "class_name": "Activation", "activation": "binary_tanh"}]


def _affine_spec(name: str, inputs: list, scale: float, bias: float, shape: list) -> dict:
    """A BatchNormalization dict computing x * scale + bias elementwise on a tensor of `shape` (batch excluded)."""
    size = int(np.prod(shape))
    channels = -1 if len(shape) == 1 else int(shape[-1])
    count = size if channels == -1 else channels
    return {"name": name, "class_name": "BatchNormalization", "inputs": inputs, "data_format": "channels_last",
            "n_in": size, "n_out": size, "n_filt": channels, "use_gamma": True, "use_beta": True,
            "scale_data": np.full(count, scale), "bias_data": np.full(count, bias)}


def _reuse_factors(layers: list[dict], backend: str, requested: int) -> tuple[dict, list[str]]:
    """The reuse factor of every multiplying layer: the requested one where valid, else the closest valid one."""
    fpga = _hls4ml().backends.get_backend(backend)
    chosen, notes = {}, []
    for spec in layers:
        sizes = _mult_size(spec)
        if sizes is None:
            continue
        valid = fpga.get_valid_reuse_factors(*sizes)
        if requested in valid:
            chosen[spec["name"]] = requested
            continue
        closest = fpga.get_closest_reuse_factor(valid, requested)
        chosen[spec["name"]] = closest
        shown = ", ".join(map(str, valid[:12])) + (", ..." if len(valid) > 12 else "")
        notes.append(f"layer {spec['name']!r}: reuse factor {requested} is not valid for its {sizes[0]}x{sizes[1]} "
                     f"multiplications (valid: {shown}); using {closest}, the closest, as hls4ml does")
    return chosen, notes


def _mult_size(spec: dict) -> tuple[int, int] | None:
    """hls4ml's (n_in, n_out) for the reuse factor of a multiplying layer (FPGABackend.get_layer_mult_size)."""
    kind = spec["class_name"]
    if "Dense" in kind:
        return int(spec["n_in"]), int(spec["n_out"])
    if "Conv1D" in kind and "Separable" not in kind:
        return int(spec["n_chan"]) * int(spec["filt_width"]), int(spec["n_filt"])
    if "Conv2D" in kind and "Separable" not in kind:
        return int(spec["n_chan"]) * int(spec["filt_height"]) * int(spec["filt_width"]), int(spec["n_filt"])
    return None


def _config(layers: list[dict], planned: dict, reuse: dict, requested: int, strategy: str, softmax: dict | None) -> dict:
    strategy = strategy.capitalize()
    layer_config = {}
    for spec in layers:
        name = spec["name"]
        entry = {"Trace": True, "Strategy": strategy, "ReuseFactor": reuse.get(name, requested),
                 "Precision": {key: value.text() for key, value in planned.get(name, {}).items() if value is not None}}
        if spec["class_name"] == "Softmax":
            if softmax is None:
                raise UnsupportedError(f"layer {name!r}: expected the softmax to be sized (or dropped), received neither")
            entry |= {k: v for k, v in softmax.items() if k != "Precision"}
            entry["Precision"] |= softmax["Precision"]
        layer_config[name] = entry
    return {"Model": {"Precision": "fixed<16,6>", "ReuseFactor": requested, "Strategy": strategy, "BitExact": False},
            "LayerName": layer_config}


def _softmax_types(entry: dict) -> dict:
    types = {key: parse_precision(text) for key, text in entry["Precision"].items()}
    return types | {key.removesuffix("_t"): parse_precision(text) for key, text in entry.items() if key.endswith("_t")}


def _check_against_plan(graph, plan: DesignPlan) -> None:
    """Every planned type is the graph's; layers hls4ml inserted (copies, padding, repacking) hold their input."""
    for layer in graph.get_layers():
        name = layer.name
        output = _fixed(layer.get_output_variable().type.precision)
        planned = plan.planned.get(name)
        if planned is None:
            source = layer.get_input_variable()
            if source is not None and output is not None and not output.holds(_fixed(source.type.precision)):
                raise ToolError(f"hls4ml 1.3 inserted layer {name!r} ({layer.class_name}) with type {output.text()}, "
                                f"which does not hold its input {_fixed(source.type.precision).text()}")
            continue
        for key, expected in planned.items():
            actual = _planned_key_type(layer, key, output)
            if expected is not None and actual != expected and not _same_values(actual, expected):
                raise ToolError(f"hls4ml 1.3 changed the {key} type edgeaccel planned for layer {name!r} ({layer.class_name}): "
                                f"expected {expected.text()}, received {actual.text() if actual else 'a non-fixed type'}")


def _planned_key_type(layer, key: str, output: FixedType | None) -> FixedType | None:
    if key == "result":
        return output
    if key in layer.weights:
        return _fixed(layer.weights[key].type.precision)
    if f"{key}_t" in layer.types:
        return _fixed(layer.types[f"{key}_t"].precision)
    raise ToolError(f"layer {layer.name!r} ({layer.class_name}): expected a {key} type in hls4ml's layer, received none")


def _same_values(actual: FixedType | None, expected: FixedType) -> bool:
    """Types that hold exactly the same values and round the same way (hls4ml may drop redundant modes)."""
    if actual is None:
        return False
    same_bits = (actual.width, actual.integer, actual.signed) == (expected.width, expected.integer, expected.signed)
    return same_bits and expected.plain() == expected


def _fixed(precision) -> FixedType | None:
    from hls4ml.model.types import FixedPrecisionType, IntegerPrecisionType

    if isinstance(precision, FixedPrecisionType):
        rounding = str(precision.rounding_mode.name if precision.rounding_mode else "TRN")
        saturation = str(precision.saturation_mode.name if precision.saturation_mode else "WRAP")
        return FixedType(precision.width, precision.integer, precision.signed, rounding, saturation)
    if isinstance(precision, IntegerPrecisionType):
        return FixedType(precision.width, precision.width, precision.signed)
    return None


def _twin(layer, twins: dict) -> tuple[str | None, str]:
    name = layer.name
    if layer.class_name == "Input":
        return name, ""
    if name in twins:
        return twins[name]
    return None, f"{layer.class_name} inserted by hls4ml (moves data, computes nothing)"


def _type_text(precision) -> str:
    fixed = _fixed(precision)
    if fixed is None:
        return str(precision)
    return f"{'' if fixed.signed else 'u'}fixed<{fixed.width},{fixed.integer}>"
