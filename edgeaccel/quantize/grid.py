"""The input grid: the fixed-point values a model's inputs are quantized to, in NumPy.

Backends use it to feed exactly the values the QKeras reference sees, without importing
TensorFlow. Rounding is half-to-even and out-of-range values saturate, as `quantized_bits` does
(`tf.round` inside QKeras) and as `ap_fixed<..., AP_RND_CONV, AP_SAT>` does in the firmware.

The grid comes from the model's own input quantizer (`QActivation(quantized_bits(...))` first),
or, for a model without one, from `--input-precision` or from calibration data
(`grid_from_calibration`).
"""

from dataclasses import asdict, dataclass

import numpy as np

from edgeaccel.errors import ConfigError
from edgeaccel.quantize.fixed import FixedType, fraction_bits, range_type, widest_fraction_type

LOSSLESS_LIMIT_BITS = 16
DEFAULT_INPUT_BITS = 16


@dataclass(frozen=True)
class InputGrid:
    """`bits` in total; `integer` bits left of the binary point, sign excluded (QKeras's convention)."""

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

    @property
    def fixed_type(self) -> FixedType:
        """The firmware's input type: round half to even, saturate."""
        return FixedType(self.bits, self.integer + (1 if self.signed else 0), self.signed, "RND_CONV", "SAT")

    @property
    def precision(self) -> str:
        return self.fixed_type.text()

    def quantize(self, x: np.ndarray) -> np.ndarray:
        low, high = self.codes
        return (np.clip(np.round(x / self.step), low, high) * self.step).astype(np.float32)

    def to_dict(self) -> dict:
        return asdict(self) | {"step": self.step, "precision": self.precision}

    @classmethod
    def from_dict(cls, d: dict) -> "InputGrid":
        return cls(int(d["bits"]), int(d["integer"]), bool(d["signed"]))

    @classmethod
    def from_type(cls, fixed: FixedType) -> "InputGrid":
        return cls(fixed.width, fixed.integer - (1 if fixed.signed else 0), fixed.signed)


def input_grid(qmodel) -> InputGrid | None:
    """The grid of the model's first layer when it is an input quantizer, `QActivation(quantized_bits(...))`
    with a plain fixed-point grid (no alpha scale, not symmetric, not stochastic); else None."""
    from edgeaccel.quantize.qat import INPUT_QUANTIZER

    layer = next((l for l in qmodel.layers if type(l).__name__ != "InputLayer"), None)
    quantizer = getattr(layer, "quantizer", None)
    if layer is None or type(quantizer).__name__ != "quantized_bits":
        return None
    if layer.name != INPUT_QUANTIZER and type(layer).__name__ != "QActivation":
        return None
    plain = (quantizer.alpha in (None, 1, 1.0) and not quantizer.symmetric and not quantizer.use_stochastic_rounding
             and float(quantizer.qnoise_factor) == 1.0 and int(quantizer.bits) > int(quantizer.keep_negative))
    if not plain:
        return None
    return InputGrid(int(quantizer.bits), int(quantizer.integer), bool(quantizer.keep_negative))


def grid_from_calibration(x: np.ndarray, bits: int = DEFAULT_INPUT_BITS) -> tuple[InputGrid, str]:
    """The smallest grid that covers the calibration data's range, and why it was chosen.

    Data that already lies on a power-of-two grid (pixels / 16, integer counts) keeps that grid
    when it fits in LOSSLESS_LIMIT_BITS: the quantization then changes nothing. Other data gets
    `bits` bits: the integer bits its range needs, the rest fraction bits.
    """
    x = np.asarray(x, dtype=np.float64)
    low, high = float(x.min()), float(x.max())
    try:
        lossless = range_type(low, high, fraction_bits(x, limit=LOSSLESS_LIMIT_BITS))
    except ConfigError:
        lossless = None
    if lossless is not None and lossless.width <= LOSSLESS_LIMIT_BITS:
        grid = InputGrid.from_type(lossless)
        return grid, (f"the calibration data lies on a 2^-{grid.fraction_bits} grid in [{low:.6g}, {high:.6g}]: "
                      f"{grid.precision} holds it exactly")
    grid = InputGrid.from_type(widest_fraction_type(low, high, bits))
    return grid, (f"the calibration data spans [{low:.6g}, {high:.6g}]: {grid.precision} covers it with {grid.bits} bits, "
                  f"a step of 2^-{grid.fraction_bits}")
