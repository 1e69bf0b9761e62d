"""The onnx target: the QKeras model as an ONNX graph that computes what QKeras computes, simulated
with onnxruntime. The bridge to ONNX tools (onnxruntime, TVM, FINN's ONNX frontend).

tf2onnx traces the QKeras model itself, quantizers included: weight quantizers fold into constant
weights, and every activation quantizer becomes its rounding and clipping (Round, Min, Max, Mul),
so onnxruntime reproduces QKeras's arithmetic bit for bit up to the last quantizer. Float ops after
it (a final softmax) agree to float rounding only: onnxruntime's exp is not TensorFlow's. The input
quantizer, when the model has one, is in the graph too; the backend snaps inputs to its grid first,
as every backend does.

Why not QONNX `Quant` nodes: qonnx 1.0.0 dropped its Keras converter, and qonnx 0.4.0, the last
release with it, pins protobuf==3.20.3 and imports `onnx.mapping` (removed in onnx 1.19), while
TensorFlow 2.21 requires protobuf>=6.31.1. The two cannot be installed together.
"""

import collections
import logging
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import Field

from edgeaccel.artifact import Artifact, read_artifact, write_manifest
from edgeaccel.convert import ConvertRequest, Target, TargetOptions
from edgeaccel.details import Details, GridRecord, Record
from edgeaccel.errors import ModelError, UnsupportedError
from edgeaccel.staging import staged_directory
from edgeaccel.tfenv import quiet_native_stderr, tensorflow

log = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"


class OnnxOptions(TargetOptions):
    opset: int = Field(17, ge=13, le=21, description="the ONNX opset to write (default 17; 13 to 21)")


class OnnxTensor(Record):
    name: str
    shape: list[int | None]


class OnnxDetails(Details):
    TARGETS: ClassVar[tuple[str, ...]] = ("onnx",)

    model_file: str
    bytes: int
    opset: int
    producer: str
    ops: dict[str, int] = Field(description="ONNX operator counts")
    inputs: list[OnnxTensor]
    outputs: list[OnnxTensor]
    input_grid: GridRecord | None


def convert_onnx(request: ConvertRequest) -> Artifact:
    import tf2onnx

    from edgeaccel.models.files import load_model
    from edgeaccel.quantize.grid import input_grid

    request = request.with_options(OnnxOptions)
    model = load_model(request.model_path)
    tf = tensorflow()
    if len(model.inputs) != 1:
        raise UnsupportedError(f"onnx: expected a model with one input, received {len(model.inputs)}")
    signature = (tf.TensorSpec((None, *model.input_shape[1:]), tf.float32, name="input"),)
    try:
        with quiet_native_stderr():
            proto, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=request.options.opset)
    except Exception as e:
        raise UnsupportedError(f"onnx: expected a model tf2onnx {tf2onnx.__version__} converts, "
                               f"received one it rejects ({type(e).__name__}: {e})") from e
    flatbuffer = proto.SerializeToString()
    grid = input_grid(model)
    with staged_directory(request.out_dir) as staged:
        (staged / MODEL_FILE).write_bytes(flatbuffer)
        details = OnnxDetails(
            model_file=MODEL_FILE, bytes=len(flatbuffer), opset=request.options.opset,
            producer=f"{proto.producer_name} {proto.producer_version}",
            ops=dict(sorted(collections.Counter(node.op_type for node in proto.graph.node).items())),
            inputs=[_tensor(value) for value in proto.graph.input],
            outputs=[_tensor(value) for value in proto.graph.output],
            input_grid=grid.to_dict() if grid else None,
        )
        write_manifest(staged, "onnx", request.board, details, source=request.model_path)
    log.info("onnx: %d-byte model, opset %d, %d nodes", len(flatbuffer), request.options.opset, len(proto.graph.node))
    return read_artifact(request.out_dir, OnnxDetails)


def _tensor(value) -> dict:
    dims = value.type.tensor_type.shape.dim
    return {"name": value.name, "shape": [d.dim_value if d.HasField("dim_value") else None for d in dims]}


class OnnxBackend:
    """onnxruntime on the CPU, one run per batch; inputs snapped to the model's input grid first."""

    name = "onnx"

    def __init__(self, artifact: Path | str):
        import onnxruntime

        from edgeaccel.quantize.grid import InputGrid

        manifest = read_artifact(artifact, OnnxDetails)
        details = manifest.details
        self.grid = InputGrid.from_dict(details.input_grid) if details.input_grid else None
        try:
            self.session = onnxruntime.InferenceSession(str(manifest.file(details.model_file)),
                                                        providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ModelError(f"{manifest.file(details.model_file)}: expected an ONNX model onnxruntime loads, "
                             f"received one it rejects ({e})") from e
        self.input_name = self.session.get_inputs()[0].name
        self.input_shape = tuple(details.inputs[0].shape[1:])

    def predict(self, x: np.ndarray) -> np.ndarray:
        from edgeaccel.data import check_against_input

        check_against_input(x, self.input_shape, "x")
        if self.grid is not None:
            x = self.grid.quantize(x)
        return self.session.run(None, {self.input_name: np.asarray(x, dtype=np.float32)})[0]


TARGET = Target(
    name="onnx",
    title="ONNX (onnxruntime)",
    summary="an ONNX graph computing what QKeras computes, bit for bit (tf2onnx), run by onnxruntime",
    convert=convert_onnx,
    Options=OnnxOptions,
    Details=OnnxDetails,
    simulator=OnnxBackend,
)
