"""What a `.tflite` flatbuffer holds: ops, I/O quantization, weight bytes. A pure analysis.

`weight_bytes` counts every constant tensor; `kernel_bytes` those of two or more dimensions
(Dense and Conv kernels), which int8 stores in a quarter of the float32 bytes. Biases stay int32.
"""

import numpy as np


def describe_tflite(flatbuffer: bytes) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    ops = interpreter._get_ops_details()
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    produced = {i for op in ops for i in op["outputs"]}
    inputs = {d["index"] for d in interpreter.get_input_details()}
    constants = {i for op in ops for i in op["inputs"] if i >= 0 and i not in produced and i not in inputs}
    kernel_bytes = other_bytes = 0
    for index in constants:
        tensor = tensors[index]
        size = int(np.prod(tensor["shape"])) * np.dtype(tensor["dtype"]).itemsize
        if len(tensor["shape"]) >= 2:
            kernel_bytes += size
        else:
            other_bytes += size
    return {
        "bytes": len(flatbuffer),
        "ops": sorted({op["op_name"] for op in ops}),
        "op_count": len(ops),
        "weight_bytes": kernel_bytes + other_bytes,
        "kernel_bytes": kernel_bytes,
        "inputs": [_io(d) for d in interpreter.get_input_details()],
        "outputs": [_io(d) for d in interpreter.get_output_details()],
    }


def _io(detail: dict) -> dict:
    scale, zero_point = detail["quantization"]
    return {
        "name": detail["name"],
        "shape": [int(d) for d in detail["shape_signature"]],
        "dtype": np.dtype(detail["dtype"]).name,
        "scale": float(scale),
        "zero_point": int(zero_point),
    }


# TF's converter widens an empty calibration range (a tensor that was constant on every calibration
# sample) to about [-1e-6, 1e-6]; the requantization multipliers of such a tensor overflow, and LiteRT and
# TFLite Micro then abort the process while allocating.
EMPTY_RANGE_SCALE = 2.5e-6 / 255


def constant_tensors(flatbuffer: bytes) -> list[tuple[str, float]]:
    """Activation tensors whose int8 scale says their calibration range was empty: (name, scale)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    ops = interpreter._get_ops_details()
    produced = {i for op in ops for i in op["outputs"]}
    found = []
    for tensor in interpreter.get_tensor_details():
        scales = tensor["quantization_parameters"]["scales"]
        if tensor["index"] in produced and np.dtype(tensor["dtype"]).kind == "i" and len(scales) and scales.max() <= EMPTY_RANGE_SCALE:
            found.append((tensor["name"], float(scales.max())))
    return found


WEIGHTED_OPS = ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV")


def kernel_sparsity(flatbuffer: bytes) -> dict:
    """Per weighted op, how many of its kernel's stored values are zero (equal to the zero point),
    and in total. A pure analysis of the flatbuffer's constants."""
    from ai_edge_litert.interpreter import Interpreter

    from edgeaccel.tfenv import quiet_native_stderr

    with quiet_native_stderr():
        interpreter = Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    layers = []
    for op in interpreter._get_ops_details():
        if op["op_name"] not in WEIGHTED_OPS:
            continue
        index = op["inputs"][2 if op["op_name"] == "TRANSPOSE_CONV" else 1]
        values = interpreter.get_tensor(index)
        zero_points = tensors[index]["quantization_parameters"]["zero_points"]
        zero = int(zero_points[0]) if len(zero_points) else 0
        zeros = int(np.count_nonzero(values == zero))
        layers.append({"op": op["op_name"], "index": int(op["index"]), "tensor": tensors[index]["name"],
                       "weights": int(values.size), "zeros": zeros, "sparsity": zeros / values.size})
    weights = sum(layer["weights"] for layer in layers)
    zeros = sum(layer["zeros"] for layer in layers)
    return {"layers": layers, "total": {"weights": weights, "zeros": zeros, "sparsity": zeros / weights if weights else 0.0}}
