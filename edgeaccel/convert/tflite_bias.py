"""int8 biases requantized to the scale the kernels assume, input scale x weight scale, in place.

The TFLite quantization spec gives the int32 bias of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
TRANSPOSE_CONV the scale input scale x weight scale (per output channel), and the int8 kernels of
LiteRT and TFLite Micro add the bias to the accumulator on that assumption, whatever scale the bias
tensor records. TF's MLIR quantizer (TF 2.21) breaks it when the layer's input comes out of a fake
quantization, which is how edgeaccel folds a clipped ReLU into the layer before it
(`quantize.export.ranged_relu`): the input tensor takes the fake quantization's range [0, m], but the
bias is quantized with the range calibration observed there, [0, max seen]. The model then adds each
such bias multiplied by m / max seen, silently in LiteRT (measured: ResNet-8's biases 1.2-1.9x too
large, a 4-unit Dense's 4.8x), and TFLite Micro refuses a per-tensor FULLY_CONNECTED whose two scales
differ by more than 2% of its output scale (kernel_util.cc: `scale_diff / output_scale <= 0.02`).

`requantize_biases` rewrites each such bias as round(bias x recorded scale / (input scale x weight
scale)) and records that scale: the real bias the converter meant, on the kernels' grid. It works in
place on the flatbuffer's bytes (same size and alignment), and returns what it changed.
"""

import numpy as np

from edgeaccel.errors import ModelError

# op: positions of its data input, weights and bias
BIASED = {"CONV_2D": (0, 1, 2), "DEPTHWISE_CONV_2D": (0, 1, 2), "FULLY_CONNECTED": (0, 1, 2), "TRANSPOSE_CONV": (2, 1, 3)}
RELATIVE_TOLERANCE = 1e-5
_INT32 = 2  # tflite schema TensorType.INT32


def requantize_biases(flatbuffer: bytes) -> tuple[bytes, list[dict]]:
    """The flatbuffer with every int32 bias on input scale x weight scale, and one record per bias changed
    ({"op", "name", "tensor", "factor"}: how many times too large the bias was). Raises ModelError when a bias
    cannot be put on that grid (one recorded scale for distinct per-channel products, or int32 overflow)."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    data = bytearray(flatbuffer)
    model = schema.Model.GetRootAs(data, 0)
    names = {value: name for name, value in vars(schema.BuiltinOperator).items() if isinstance(value, int)}
    subgraph = model.Subgraphs(0)
    changes, written = [], {}
    for index in range(subgraph.OperatorsLength()):
        op = subgraph.Operators(index)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
        inputs = op.InputsAsNumpy() if op.InputsLength() else []
        if name not in BIASED or len(inputs) <= BIASED[name][2] or inputs[BIASED[name][2]] < 0:
            continue
        data_tensor, weights, bias = (subgraph.Tensors(int(inputs[i])) for i in BIASED[name])
        if bias.Type() != _INT32 or not _has_scales(data_tensor, weights, bias):
            continue
        expected = (np.float64(data_tensor.Quantization().ScaleAsNumpy()[0])
                    * weights.Quantization().ScaleAsNumpy().astype(np.float64)).astype(np.float32)
        recorded = bias.Quantization().ScaleAsNumpy()
        if np.allclose(recorded, expected, rtol=RELATIVE_TOLERANCE, atol=0):
            continue
        tensor_name = bias.Name().decode()
        if len(recorded) == 1 and len(np.unique(expected)) > 1:
            raise ModelError(f"int8 conversion: expected the bias {tensor_name!r} of {name} op {index} to have input scale x "
                             f"weight scale, received one scale for {len(np.unique(expected))} distinct per-channel products")
        values = model.Buffers(bias.Buffer()).DataAsNumpy().view("<i4")
        target = expected if len(recorded) > 1 else expected[:1]
        requantized = _round_half_away(values.astype(np.float64) * recorded.astype(np.float64) / target.astype(np.float64))
        if np.abs(requantized).max(initial=0) > np.iinfo(np.int32).max:
            raise ModelError(f"int8 conversion: expected the bias {tensor_name!r} of {name} op {index} to fit int32 at input "
                             f"scale x weight scale, received values up to {np.abs(requantized).max():.3g}")
        new = requantized.astype(np.int32)
        if bias.Buffer() in written and not np.array_equal(written[bias.Buffer()], new):
            raise ModelError(f"int8 conversion: expected the bias {tensor_name!r} of {name} op {index} to own its data, "
                             f"received a buffer shared with another bias that needs other values")
        factor = float(np.median(target.astype(np.float64) / recorded.astype(np.float64)))
        values[:] = new
        recorded[:] = target
        written[bias.Buffer()] = new
        changes.append({"op": index, "name": name, "tensor": tensor_name, "factor": factor})
    return bytes(data), changes


def _has_scales(*tensors) -> bool:
    for tensor in tensors:
        quantization = tensor.Quantization()
        if quantization is None or quantization.ScaleLength() == 0:
            return False
    return True


def _round_half_away(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.floor(np.abs(values) + 0.5)
