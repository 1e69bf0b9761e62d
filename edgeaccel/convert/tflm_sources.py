"""The C/C++ sources of a TFLite Micro artifact, rendered from the Jinja2 templates in
`templates/tflm/`: model_data.cc/.h, op_resolver.h, main.cc and a CMakeLists.txt to adapt."""

import hashlib

import jinja2

from edgeaccel.readers.tflite_graph import TfliteGraph
from edgeaccel.errors import UnsupportedError

TEMPLATES = {
    "model_data.h": "model_data.h.j2",
    "model_data.cc": "model_data.cc.j2",
    "op_resolver.h": "op_resolver.h.j2",
    "main.cc": "main.cc.j2",
    "CMakeLists.txt": "CMakeLists.txt.j2",
}

# The MicroMutableOpResolver method that registers each builtin op
# (tensorflow/lite/micro/micro_mutable_op_resolver.h).
RESOLVER_METHODS = {
    "ABS": "AddAbs", "ADD": "AddAdd", "ADD_N": "AddAddN", "ARG_MAX": "AddArgMax", "ARG_MIN": "AddArgMin",
    "ASSIGN_VARIABLE": "AddAssignVariable", "AVERAGE_POOL_2D": "AddAveragePool2D",
    "BATCH_TO_SPACE_ND": "AddBatchToSpaceNd", "BROADCAST_ARGS": "AddBroadcastArgs", "BROADCAST_TO": "AddBroadcastTo",
    "CALL_ONCE": "AddCallOnce", "CAST": "AddCast", "CEIL": "AddCeil", "CONCATENATION": "AddConcatenation",
    "CONV_2D": "AddConv2D", "COS": "AddCos", "CUMSUM": "AddCumSum", "DEPTH_TO_SPACE": "AddDepthToSpace",
    "DEPTHWISE_CONV_2D": "AddDepthwiseConv2D", "DEQUANTIZE": "AddDequantize", "DIV": "AddDiv", "ELU": "AddElu",
    "EQUAL": "AddEqual", "EXP": "AddExp", "EXPAND_DIMS": "AddExpandDims", "FILL": "AddFill", "FLOOR": "AddFloor",
    "FLOOR_DIV": "AddFloorDiv", "FLOOR_MOD": "AddFloorMod", "FULLY_CONNECTED": "AddFullyConnected",
    "GATHER": "AddGather", "GATHER_ND": "AddGatherNd", "GREATER": "AddGreater", "GREATER_EQUAL": "AddGreaterEqual",
    "HARD_SWISH": "AddHardSwish", "IF": "AddIf", "L2_NORMALIZATION": "AddL2Normalization", "L2_POOL_2D": "AddL2Pool2D",
    "LEAKY_RELU": "AddLeakyRelu", "LESS": "AddLess", "LESS_EQUAL": "AddLessEqual", "LOG": "AddLog",
    "LOGICAL_AND": "AddLogicalAnd", "LOGICAL_NOT": "AddLogicalNot", "LOGICAL_OR": "AddLogicalOr",
    "LOGISTIC": "AddLogistic", "LOG_SOFTMAX": "AddLogSoftmax", "MAXIMUM": "AddMaximum", "MAX_POOL_2D": "AddMaxPool2D",
    "MEAN": "AddMean", "MINIMUM": "AddMinimum", "MIRROR_PAD": "AddMirrorPad", "MUL": "AddMul", "NEG": "AddNeg",
    "NOT_EQUAL": "AddNotEqual", "PACK": "AddPack", "PAD": "AddPad", "PADV2": "AddPadV2", "PRELU": "AddPrelu",
    "QUANTIZE": "AddQuantize", "READ_VARIABLE": "AddReadVariable", "REDUCE_MAX": "AddReduceMax", "RELU": "AddRelu",
    "RELU6": "AddRelu6", "RESHAPE": "AddReshape", "RESIZE_BILINEAR": "AddResizeBilinear",
    "RESIZE_NEAREST_NEIGHBOR": "AddResizeNearestNeighbor", "ROUND": "AddRound", "RSQRT": "AddRsqrt",
    "SELECT_V2": "AddSelectV2", "SHAPE": "AddShape", "SIN": "AddSin", "SLICE": "AddSlice", "SOFTMAX": "AddSoftmax",
    "SPACE_TO_BATCH_ND": "AddSpaceToBatchNd", "SPACE_TO_DEPTH": "AddSpaceToDepth", "SPLIT": "AddSplit",
    "SPLIT_V": "AddSplitV", "SQRT": "AddSqrt", "SQUARE": "AddSquare", "SQUEEZE": "AddSqueeze",
    "STRIDED_SLICE": "AddStridedSlice", "SUB": "AddSub", "SVDF": "AddSvdf", "TANH": "AddTanh",
    "TRANSPOSE": "AddTranspose", "TRANSPOSE_CONV": "AddTransposeConv", "UNPACK": "AddUnpack",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "AddUnidirectionalSequenceLSTM", "VAR_HANDLE": "AddVarHandle",
    "WHILE": "AddWhile", "ZEROS_LIKE": "AddZerosLike",
}

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("edgeaccel.convert", "templates/tflm"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_ENVIRONMENT.filters["hexbytes"] = lambda row: ", ".join(f"0x{byte:02x}" for byte in row)


def resolver_ops(graph: TfliteGraph) -> list[dict]:
    """Each distinct op of the graph once, in order of first use, with its resolver method."""
    custom = [op.name for op in graph.ops if op.custom]
    if custom:
        raise UnsupportedError(f"tflm: expected builtin ops only, received custom op {custom[0]!r} "
                               "(register its kernel with AddCustom yourself)")
    unknown = [name for name in graph.op_names if name not in RESOLVER_METHODS]
    if unknown:
        raise UnsupportedError(f"tflm: expected ops MicroMutableOpResolver can add, received {', '.join(unknown)}")
    return [{"name": name, "method": RESOLVER_METHODS[name]} for name in graph.op_names]


def render_sources(flatbuffer: bytes, graph: TfliteGraph, context: dict) -> dict[str, str]:
    """File name -> text. `context` gives version, source, board, chip, core, arena, input, output, toolchain fields."""
    values = context | {
        "data": flatbuffer,
        "length": len(flatbuffer),
        "sha256": hashlib.sha256(flatbuffer).hexdigest(),
        "ops": resolver_ops(graph),
    }
    return {name: _ENVIRONMENT.get_template(template).render(values) for name, template in TEMPLATES.items()}
