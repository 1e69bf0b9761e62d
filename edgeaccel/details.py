"""What each built-in target records about its artifact (the `details` of artifact.json), as typed records.

The writer (a convert target) builds its record, so a misspelt or missing field fails at convert;
the readers (sim backends, deploy bundles, estimates, reports) load the same record from
artifact.json, so a manifest that does not match fails at load, with one line. A target that only
its own module reads (e.g. `onnx`) defines its details record beside its converter instead.
Fields read as attributes (`details.n_in`) or, for code that walks them generically, as items
(`details["n_in"]`).
"""

from typing import Any, ClassVar, Literal

from pydantic import Field

from edgeaccel.yamlschema import Strict


class Record(Strict):
    """A record whose fields read as attributes or as items (`record["name"]`)."""

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in type(self).model_fields

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, None) if key in type(self).model_fields else None
        return default if value is None else value

    def to_dict(self) -> dict:
        return self.model_dump()


class Details(Record):
    """Base of every target's artifact details. `TARGETS` names the targets whose artifacts carry it."""

    TARGETS: ClassVar[tuple[str, ...]] = ()


class GridRecord(Record):
    """The input grid (edgeaccel.quantize.grid.InputGrid), as stored."""

    bits: int
    integer: int
    signed: bool
    step: float
    precision: str | None = Field(None, description="the grid as an hls4ml type, e.g. ufixed<8,0,RND_CONV,SAT>")


class TensorRecord(Record):
    name: str
    shape: list[int]
    dtype: str
    scale: float
    zero_point: int


class FlatbufferDetails(Details):
    """What every `.tflite`-based artifact records (edgeaccel.readers.tflite_info.describe_tflite and the export)."""

    bytes: int
    ops: list[str]
    op_count: int
    weight_bytes: int
    kernel_bytes: int
    inputs: list[TensorRecord]
    outputs: list[TensorRecord]
    mode: Literal["int8", "float16", "dynamic", "float32"]
    dense_quantization: Literal["per_channel", "per_tensor"] | None = None
    model_file: str
    input_grid: GridRecord | None = None
    calibration_samples: int = 0


class TfliteDetails(FlatbufferDetails):
    TARGETS: ClassVar[tuple[str, ...]] = ("tflite",)

    float32_reference: dict[str, Any] = Field(description="bytes and weight bytes of the float32 conversion")


class TflmDetails(FlatbufferDetails):
    TARGETS: ClassVar[tuple[str, ...]] = ("tflm",)

    arena_bytes: int
    arena: dict[str, Any]
    kernels: Literal["reference", "cmsis_nn"] = "reference"
    resolver: dict[str, Any]
    macs: int
    macs_per_op: list[dict[str, Any]]
    sources: list[str]
    cross_compile: dict[str, Any]
    sparsity: dict[str, Any] | None = Field(
        None, description="zero weights per weighted op, and that TFLite Micro stores and multiplies them all the same")


class EdgeTpuDetails(FlatbufferDetails):
    TARGETS: ClassVar[tuple[str, ...]] = ("edgetpu",)

    io_type: str
    compiler: dict[str, Any]


class InputPrecisionRecord(Record):
    precision: str = Field(description="the firmware's input type, e.g. fixed<16,6,RND_CONV,SAT>")
    source: str = Field(description="where it came from: the model's input quantizer, --input-precision, or the "
                                    "calibration data (and why)")


class ReferenceRecord(Record):
    """What the fixed-point reference (reference.h5) changes from the given model (edgeaccel.convert.hls_reference)."""

    description: str
    changes: list[dict[str, str]] = Field(description="each change: layer, change, reason")
    notes: list[str] = Field(description="where QKeras's own float32 arithmetic may round")
    cost_on_calibration: dict[str, Any] | None = Field(
        description="the reference against the given model on the calibration data (None without changes or data)")


class HlsDetails(Details):
    TARGETS: ClassVar[tuple[str, ...]] = ("hls",)

    project_dir: str
    reference_model: str = Field(description="the fixed-point QKeras reference csim is checked against")
    backend: str
    part: str
    clock_mhz: float
    io_type: str
    io_type_reason: str
    strategy: str
    reuse_factor: int
    reuse_factor_notes: list[str] = Field(description="the layers that took the closest valid reuse factor instead")
    softmax: str
    softmax_layer: str | None
    softmax_tables: dict[str, Any] | None = Field(description="the stable softmax's tables and why (hls_softmax)")
    logits_layer: str
    output_layer: str
    input_grid: GridRecord
    input_precision: InputPrecisionRecord
    reference: ReferenceRecord
    n_in: int
    n_out: int
    output_shape: list[int]
    layers: list[dict[str, Any]]
    precisions: dict[str, dict[str, Any]]
    hls_config: dict[str, Any]
    sparsity: dict[str, Any] | None = Field(
        None, description="zero weights per layer of the firmware, and whether the strategy drops their multiplications")


BUILTIN_DETAILS: dict[str, type[Details]] = {
    target: record for record in (TfliteDetails, TflmDetails, EdgeTpuDetails, HlsDetails) for target in record.TARGETS
}
