"""The graph inside a `.tflite` flatbuffer: ops in execution order, with their tensors' types, shapes
and constness. Read with the TFLite schema bindings tflite-micro ships, not with an interpreter, so
a model holding custom or unresolvable ops can still be read. A pure reader.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from edgeaccel.errors import ModelError


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    signature: tuple[int, ...]
    constant: bool

    @property
    def static(self) -> bool:
        return all(d >= 0 for d in self.signature)

    @property
    def nontrivial_dims(self) -> int:
        return sum(1 for d in self.shape if d > 1)

    @property
    def elements(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class OpInfo:
    index: int
    name: str
    custom: bool
    version: int
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    fused_activation: str | None
    options: dict = field(default_factory=dict)  # the builtin options' scalar fields, as the schema names them (strideH, padding, ...)

    @property
    def tensors(self) -> tuple[TensorInfo, ...]:
        return self.inputs + self.outputs


@dataclass(frozen=True)
class TfliteGraph:
    ops: tuple[OpInfo, ...]
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    subgraphs: int

    @property
    def op_names(self) -> list[str]:
        """The distinct op names, in order of first use."""
        return list(dict.fromkeys(op.name for op in self.ops))


def read_graph(flatbuffer: bytes) -> TfliteGraph:
    """The main subgraph of a `.tflite` flatbuffer."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    if len(flatbuffer) < 8 or not schema.Model.ModelBufferHasIdentifier(flatbuffer, 0):
        raise ModelError(f"expected a .tflite flatbuffer (file identifier TFL3), received {len(flatbuffer)} bytes without it")
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(flatbuffer, 0))
    builtin_names = _names(schema.BuiltinOperator)
    type_names = {code: name.lower() for code, name in _names(schema.TensorType).items()}
    activation_names = _names(schema.ActivationFunctionType)
    subgraph = model.subgraphs[0]
    graph_inputs = {int(i) for i in _indices(subgraph.inputs)}
    tensors = [_tensor(i, t, model.buffers, type_names, graph_inputs) for i, t in enumerate(subgraph.tensors or [])]
    ops = []
    for position, op in enumerate(subgraph.operators or []):
        code = model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        custom = builtin == schema.BuiltinOperator.CUSTOM
        name = (code.customCode or b"").decode() if custom else builtin_names.get(builtin, f"BUILTIN_{builtin}")
        activation = getattr(op.builtinOptions, "fusedActivationFunction", None)
        ops.append(OpInfo(position, name, custom, int(code.version),
                          tuple(tensors[i] for i in _indices(op.inputs) if i >= 0),
                          tuple(tensors[i] for i in _indices(op.outputs) if i >= 0),
                          None if activation is None else activation_names.get(activation, str(activation)),
                          _scalar_options(op.builtinOptions)))
    return TfliteGraph(tuple(ops), tuple(tensors[i] for i in _indices(subgraph.inputs)),
                       tuple(tensors[i] for i in _indices(subgraph.outputs)), len(model.subgraphs))


def count_macs(op: OpInfo) -> int:
    """Multiply-accumulates of one op (Dense and convolutions; other ops count 0)."""
    if op.name == "FULLY_CONNECTED":
        return op.outputs[0].elements * op.inputs[1].shape[-1]
    if op.name == "CONV_2D":
        _, kh, kw, cin = op.inputs[1].shape
        return op.outputs[0].elements * kh * kw * cin
    if op.name == "DEPTHWISE_CONV_2D":
        _, kh, kw, _ = op.inputs[1].shape
        return op.outputs[0].elements * kh * kw
    if op.name == "TRANSPOSE_CONV":
        cout, kh, kw, _ = op.inputs[1].shape
        return op.inputs[2].elements * kh * kw * cout
    return 0


def _tensor(index, tensor, buffers, type_names, graph_inputs) -> TensorInfo:
    shape = tuple(int(d) for d in _indices(tensor.shape))
    signature = tuple(int(d) for d in _indices(tensor.shapeSignature)) if tensor.shapeSignature is not None else shape
    data = buffers[tensor.buffer].data if 0 < tensor.buffer < len(buffers) else None
    constant = index not in graph_inputs and data is not None and len(data) > 0
    name = tensor.name.decode() if isinstance(tensor.name, bytes) else str(tensor.name)
    return TensorInfo(index, name, type_names.get(tensor.type, str(tensor.type)), shape, signature, constant)


def _scalar_options(options) -> dict:
    if options is None:
        return {}
    return {key: value for key, value in vars(options).items() if isinstance(value, (bool, int, float))}


def _indices(values) -> list[int]:
    return [] if values is None else [int(v) for v in np.asarray(values).ravel()]


def _names(enum_class) -> dict[int, str]:
    return {value: name for name, value in vars(enum_class).items() if not name.startswith("_") and isinstance(value, int)}
