"""The TFLite Micro backend: tflite-micro's host interpreter (the reference kernels an MCU build
starts from), one sample per invoke, as on a microcontroller. A tflm artifact runs in the arena
written into its main.cc, so every simulation also checks that arena."""

from pathlib import Path

import numpy as np

from edgeaccel.data import check_against_input
from edgeaccel.errors import ModelError
from edgeaccel.sim.tflite_backend import dequantize, quantize, tflite_model


class TflmBackend:
    name = "tflm"

    def __init__(self, artifact: Path):
        from tflite_micro.python.tflite_micro import runtime

        path, self.grid, details = tflite_model(artifact)
        self.arena_bytes = details.get("arena_bytes") if details is not None else None
        try:
            self.interpreter = runtime.Interpreter.from_file(str(path), arena_size=self.arena_bytes)
        except (RuntimeError, ValueError) as e:
            arena = f"a {self.arena_bytes}-byte arena" if self.arena_bytes else "the default arena"
            raise ModelError(f"{path}: expected a model TFLite Micro can allocate in {arena}, received a failure ({e})") from e
        self.input = _detail(self.interpreter.get_input_details(0))
        self.output = _detail(self.interpreter.get_output_details(0))
        self.input_shape = tuple(int(d) for d in self.input["shape"][1:])

    def predict(self, x: np.ndarray) -> np.ndarray:
        check_against_input(x, self.input_shape, "x")
        if self.grid is not None:
            x = self.grid.quantize(x)
        outputs = np.empty((len(x), *self.output["shape"][1:]), dtype=np.float32)
        for i, sample in enumerate(x):
            self.interpreter.set_input(quantize(sample[np.newaxis], self.input), 0)
            self.interpreter.invoke()
            outputs[i] = dequantize(self.interpreter.get_output(0), self.output)[0]
        return outputs


def _detail(detail: dict) -> dict:
    """tflite-micro's tensor details in the form LiteRT's take (dtype, shape, (scale, zero point))."""
    parameters = detail["quantization_parameters"]
    scales, zero_points = parameters["scales"], parameters["zero_points"]
    quantization = (float(scales[0]), int(zero_points[0])) if len(scales) else (0.0, 0)
    return {"dtype": detail["dtype"], "shape": tuple(int(d) for d in detail["shape"]), "quantization": quantization}
