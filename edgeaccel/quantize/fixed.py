"""Fixed-point types as hls4ml writes them (`fixed<W,I,RND_CONV,SAT>`, `ufixed<W,I>`, `int<W>`), in NumPy.

`FixedType` is what edgeaccel reasons with when it chooses precisions: the smallest type that holds
a set of values exactly, or a range at a given step, with the semantics of Xilinx's `ap_fixed`
(width W bits, I of them integer bits including the sign, a rounding and a saturation mode).
Pure Python and NumPy: it never imports hls4ml or TensorFlow.
"""

import re
from dataclasses import dataclass, replace

import numpy as np

from edgeaccel.errors import ConfigError

ROUNDINGS = ("TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_INF", "RND_MIN_INF", "RND_CONV")
SATURATIONS = ("WRAP", "SAT", "SAT_ZERO", "SAT_SYM")
_TEXT = re.compile(r"^\s*(?:ap_)?(u?)(fixed|int)\s*<\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?((?:,\s*(?:AP_)?[A-Z_]+\s*)*)(?:,\s*\d+\s*)?>\s*$")


@dataclass(frozen=True)
class FixedType:
    width: int
    integer: int
    signed: bool = True
    rounding: str = "TRN"
    saturation: str = "WRAP"

    def __post_init__(self):
        if self.width < 1:
            raise ConfigError(f"fixed-point type: expected a width of at least 1 bit, received {self.width}")
        if self.rounding not in ROUNDINGS or self.saturation not in SATURATIONS:
            raise ConfigError(f"fixed-point type: expected a rounding among {ROUNDINGS} and a saturation among "
                              f"{SATURATIONS}, received {self.rounding}, {self.saturation}")

    @property
    def fraction(self) -> int:
        return self.width - self.integer

    @property
    def step(self) -> float:
        return 2.0 ** -self.fraction

    @property
    def low(self) -> float:
        return -(2.0 ** (self.integer - 1)) if self.signed else 0.0

    @property
    def high(self) -> float:
        return (2.0 ** (self.integer - 1) if self.signed else 2.0 ** self.integer) - self.step

    def text(self) -> str:
        """hls4ml's precision string, e.g. `fixed<8,1,RND_CONV,SAT>`; modes only when they are not the defaults."""
        modes = "" if (self.rounding, self.saturation) == ("TRN", "WRAP") else f",{self.rounding},{self.saturation}"
        return f"{'' if self.signed else 'u'}fixed<{self.width},{self.integer}{modes}>"

    def plain(self) -> "FixedType":
        """The same bits with the default modes (truncation, wrap-around): for values that are exact anyway."""
        return replace(self, rounding="TRN", saturation="WRAP")

    def holds(self, other: "FixedType") -> bool:
        """True when every value of `other` is a value of this type."""
        return self.fraction >= other.fraction and self.low <= other.low and self.high >= other.high


def parse_precision(text: str) -> FixedType:
    """A precision in hls4ml syntax (`fixed<16,6>`, `ap_ufixed<8,0,AP_RND_CONV,AP_SAT>`, `int<8>`)."""
    match = _TEXT.match(str(text))
    if not match:
        raise ConfigError(f"precision: expected hls4ml syntax such as fixed<16,6> or ufixed<8,0,RND_CONV,SAT>, received {text!r}")
    unsigned, kind, width, integer, modes = match.groups()
    width = int(width)
    integer = width if kind == "int" else int(integer if integer is not None else width)
    names = [m.strip().removeprefix("AP_") for m in modes.split(",") if m.strip()]
    rounding = next((m for m in names if m in ROUNDINGS), "TRN")
    saturation = next((m for m in names if m in SATURATIONS), "WRAP")
    return FixedType(width, integer, not unsigned, rounding, saturation)


def fraction_bits(values: np.ndarray, limit: int = 64) -> int:
    """The fraction bits needed to write every value exactly (at most `limit`; 0 for integers).

    Raises when a value needs more than `limit` bits (a float that is not a short dyadic number)."""
    values = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    values = values[values != 0]
    for bits in range(0, limit + 1):
        scaled = values * 2.0 ** bits
        if np.all(scaled == np.floor(scaled)):
            return bits
    raise ConfigError(f"fixed-point type: expected values with at most {limit} fraction bits, received finer ones")


def covering(values: np.ndarray, limit: int = 64) -> FixedType:
    """The smallest plain type that holds every one of `values` exactly."""
    values = np.asarray(values, dtype=np.float64)
    fraction = fraction_bits(values, limit)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    return range_type(low, high, fraction)


def range_type(low: float, high: float, fraction: int) -> FixedType:
    """The smallest plain type with `fraction` fraction bits whose range covers [low, high]."""
    signed = low < 0
    integer = 1 - fraction
    while True:
        candidate = FixedType(integer + fraction, integer, signed)
        if candidate.low <= low and candidate.high >= high:
            return candidate
        integer += 1


def widest_fraction_type(low: float, high: float, width: int) -> FixedType:
    """The plain `width`-bit type covering [low, high] with the most fraction bits (the finest step)."""
    for fraction in range(width + 64, -1, -1):
        candidate = range_type(low, high, fraction)
        if candidate.width <= width:
            return FixedType(width, width - fraction, candidate.signed)
    raise ConfigError(f"fixed-point type: expected a range that {width} bits can cover, received [{low}, {high}]")
