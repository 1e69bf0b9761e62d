"""The input grid of a QKeras model's `quantized_bits` input quantizer, in NumPy.

Backends use it to feed exactly the values the QKeras model sees, without importing TensorFlow.
Rounding is half-to-even, as `tf.round` inside QKeras.
"""

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class InputGrid:
    bits: int
    integer: int
    signed: bool

    @property
    def step(self) -> float:
        return 2.0 ** -self.fraction_bits

    @property
    def fraction_bits(self) -> int:
        return self.bits - self.integer - (1 if self.signed else 0)

    @property
    def codes(self) -> tuple[int, int]:
        """The smallest and largest integer code."""
        if self.signed:
            return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        return 0, 2 ** self.bits - 1

    def quantize(self, x: np.ndarray) -> np.ndarray:
        low, high = self.codes
        return (np.clip(np.round(x / self.step), low, high) * self.step).astype(np.float32)

    def to_dict(self) -> dict:
        return asdict(self) | {"step": self.step}

    @classmethod
    def from_dict(cls, d: dict) -> "InputGrid":
        return cls(int(d["bits"]), int(d["integer"]), bool(d["signed"]))


def input_grid(qmodel) -> InputGrid | None:
    """The grid of the model's first layer when it is `QActivation(quantized_bits(...))`, else None."""
    from edgeaccel.quantize.qat import INPUT_QUANTIZER

    layer = next((l for l in qmodel.layers if type(l).__name__ != "InputLayer"), None)
    quantizer = getattr(layer, "quantizer", None)
    if layer is None or type(quantizer).__name__ != "quantized_bits":
        return None
    if layer.name != INPUT_QUANTIZER and type(layer).__name__ != "QActivation":
        return None
    return InputGrid(int(quantizer.bits), int(quantizer.integer), bool(quantizer.keep_negative))
