"""Which ops of an int8 `.tflite` model the Edge TPU runs and which fall back to the CPU, and why.
A pure analysis of the flatbuffer against Coral's documented constraints
(coral.ai/docs/edgetpu/models-intro), plus a text renderer:

- every tensor is 8-bit (int32 constants are allowed: biases, shapes, axes);
- every activation tensor has a static shape and at most 3 dimensions larger than 1;
- the op is in the supported list, and pooling and concatenation carry no fused activation;
- the first op that fails splits the graph: it and every op after it run on the CPU (the compiler
  maps one leading part of the graph). A Quantize at a graph input or a Dequantize at a graph
  output that converts from or to float runs on the CPU without splitting the graph.

A dynamic batch dimension (TF2's converter leaves the batch of a `--target tflite` model as -1) is
read as 1 by default: `--target edgetpu` converts the same model with a static batch of 1, so both
artifacts of one model get the same mapping, and the analysis says it assumed so.

Known compiler limits are reported too: edgetpu_compiler 16 cannot parse some op versions newer
converters emit (edgetpu#631, #845). Only `edgetpu_compiler` itself has the final word.
"""

from edgeaccel.readers.tflite_graph import OpInfo, TfliteGraph, read_graph
from edgeaccel.errors import ModelError

EIGHT_BIT = ("int8", "uint8")
SUPPORTED_OPS = frozenset({
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "EXPAND_DIMS",
    "FULLY_CONNECTED", "L2_NORMALIZATION", "LOGISTIC", "MAXIMUM", "MAX_POOL_2D", "MEAN", "MINIMUM", "MUL", "PACK",
    "PAD", "PRELU", "QUANTIZE", "REDUCE_MAX", "REDUCE_MIN", "RELU", "RELU6", "RELU_N1_TO_1", "RESHAPE",
    "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "RSQRT", "SLICE", "SOFTMAX", "SPACE_TO_DEPTH", "SPLIT",
    "SQUARED_DIFFERENCE", "SQUEEZE", "STRIDED_SLICE", "SUB", "SUM", "TANH", "TRANSPOSE_CONV", "UNIDIRECTIONAL_SEQUENCE_LSTM",
})
NO_FUSED_ACTIVATION = frozenset({"AVERAGE_POOL_2D", "MAX_POOL_2D", "CONCATENATION"})
MAX_NONTRIVIAL_DIMS = 3
REJECTED_VERSIONS = {"CONV_2D": (6, "edgetpu#631"), "TRANSPOSE_CONV": (4, "edgetpu#845")}


def analyse_edgetpu(flatbuffer: bytes, batch_as_one: bool = True) -> dict:
    """Per op: Edge TPU or CPU, and why; the split point; the compiler limits the model meets.
    `batch_as_one`: read a dynamic batch dimension as 1 (what `--target edgetpu` converts to)."""
    graph = read_graph(flatbuffer)
    _check_full_integer(graph)
    dynamic_batch = any(t.signature and t.signature[0] < 0 for op in graph.ops for t in op.tensors if not t.constant)
    ops, split = [], None
    for op in graph.ops:
        problem = op_problem(op, batch_as_one)
        edge = _edge_conversion(op, graph)
        if edge:
            ops.append(_row(op, "cpu", edge))
        elif split is not None:
            ops.append(_row(op, "cpu", f"after the split at op {split['index']} ({split['op']}): the CPU runs the rest of the graph"))
        elif problem:
            split = {"index": op.index, "op": op.name, "reason": problem}
            ops.append(_row(op, "cpu", problem))
        else:
            ops.append(_row(op, "edgetpu", "mapped to the Edge TPU"))
    on_tpu = sum(1 for row in ops if row["maps_to"] == "edgetpu")
    compiler_limits = [f"{op.name} version {op.version}: edgetpu_compiler 16 cannot parse it ({REJECTED_VERSIONS[op.name][1]})"
                       for op in graph.ops if op.name in REJECTED_VERSIONS and op.version >= REJECTED_VERSIONS[op.name][0]]
    return {
        "kind": "edgetpu",
        "ops": ops,
        "summary": {"ops": len(ops), "edgetpu": on_tpu, "cpu": len(ops) - on_tpu, "split": split,
                    "fully_mapped": on_tpu == len(ops)},
        "inputs": [_tensor_text(t) for t in graph.inputs],
        "outputs": [_tensor_text(t) for t in graph.outputs],
        "compiler_limits": compiler_limits,
        "assumptions": (["the model's batch dimension is dynamic (-1); read as 1, the static batch --target edgetpu converts to"]
                        if dynamic_batch and batch_as_one else []),
        "constraints": "coral.ai/docs/edgetpu/models-intro: 8-bit tensors, static shapes, <= 3 non-trivial dimensions, "
                       "supported ops; the first unsupported op and all after it run on the CPU",
    }


def op_problem(op: OpInfo, batch_as_one: bool = False) -> str | None:
    """Why the Edge TPU cannot run `op`, or None. `batch_as_one`: a dynamic leading (batch) dimension counts as 1."""
    if op.custom:
        return f"custom op {op.name!r}: the Edge TPU runs builtin ops only"
    if op.name == "DEQUANTIZE":
        return f"DEQUANTIZE to {op.outputs[0].dtype} inside the graph (for a float op): the Edge TPU takes 8-bit tensors"
    if op.name not in SUPPORTED_OPS:
        return f"{op.name} is not an Edge TPU op"
    for tensor in op.tensors:
        if tensor.dtype not in EIGHT_BIT and not (tensor.constant and tensor.dtype == "int32"):
            return f"tensor {tensor.name!r} is {tensor.dtype}: the Edge TPU takes 8-bit tensors"
        if tensor.constant:
            continue
        dims = tensor.signature[1:] if batch_as_one else tensor.signature
        if any(d < 0 for d in dims):
            return f"tensor {tensor.name!r} has a dynamic shape {list(tensor.signature)}: the Edge TPU needs static shapes"
        if tensor.nontrivial_dims > MAX_NONTRIVIAL_DIMS:
            return (f"tensor {tensor.name!r} has shape {list(tensor.shape)}, {tensor.nontrivial_dims} dimensions larger than 1: "
                    f"the Edge TPU takes at most {MAX_NONTRIVIAL_DIMS}")
    if op.name in NO_FUSED_ACTIVATION and op.fused_activation not in (None, "NONE"):
        return f"{op.name} with a fused {op.fused_activation}: the Edge TPU takes it without a fused activation"
    if op.name == "FULLY_CONNECTED" and op.outputs[0].nontrivial_dims > 1:
        return f"FULLY_CONNECTED output {list(op.outputs[0].shape)}: the Edge TPU takes a one-dimensional output"
    return None


def _edge_conversion(op: OpInfo, graph: TfliteGraph) -> str | None:
    """A float<->8-bit conversion at the graph's edge, which the CPU runs without splitting the graph."""
    graph_inputs = {t.index for t in graph.inputs}
    graph_outputs = {t.index for t in graph.outputs}
    if op.name == "QUANTIZE" and op.inputs[0].index in graph_inputs and op.inputs[0].dtype not in EIGHT_BIT:
        return f"converts the {op.inputs[0].dtype} graph input to 8 bits: the CPU runs it at the graph's edge"
    if op.name == "DEQUANTIZE" and op.outputs[0].index in graph_outputs and op.outputs[0].dtype not in EIGHT_BIT:
        return f"converts to the {op.outputs[0].dtype} graph output: the CPU runs it at the graph's edge"
    return None


def _check_full_integer(graph: TfliteGraph) -> None:
    activations = {t.dtype for op in graph.ops for t in op.tensors if not t.constant}
    if not activations & set(EIGHT_BIT):
        raise ModelError("edgetpu: expected a full-integer int8 .tflite (8-bit activations), "
                         f"received one whose activations are {', '.join(sorted(activations)) or 'absent'}")


def _row(op: OpInfo, maps_to: str, reason: str) -> dict:
    return {"index": op.index, "op": op.name, "version": op.version, "maps_to": maps_to, "reason": reason}


def _tensor_text(tensor) -> dict:
    return {"name": tensor.name, "dtype": tensor.dtype, "shape": list(tensor.signature)}


def render_edgetpu_analysis(analysis: dict, compiler: dict | None = None) -> str:
    """The op mapping as a table, the split, and what edgetpu_compiler said (or that it is absent)."""
    lines = [f"{'#':>3}  {'op':<24} {'v':>2}  {'runs on':<8} why"]
    for row in analysis["ops"]:
        lines.append(f"{row['index']:>3}  {row['op']:<24} {row['version']:>2}  {row['maps_to']:<8} {row['reason']}")
    summary = analysis["summary"]
    lines.append("")
    lines.append(f"{summary['edgetpu']} of {summary['ops']} ops on the Edge TPU, {summary['cpu']} on the CPU")
    if summary["split"]:
        split = summary["split"]
        lines.append(f"graph split at op {split['index']} ({split['op']}): {split['reason']}")
    lines += [f"compiler limit: {limit}" for limit in analysis["compiler_limits"]]
    lines += [f"assumed: {assumption}" for assumption in analysis.get("assumptions", [])]
    if compiler is not None:
        if compiler.get("available"):
            mapped = ", ".join(f"{row['operator']} x{row['count']}: {row['status']}" for row in compiler.get("operations", []))
            lines.append(f"edgetpu_compiler ({compiler.get('version', '?')}): {mapped or 'no operation log'}")
        else:
            lines.append(compiler["reason"])
    return "\n".join(lines)
