"""AMD/Xilinx device families, read off a part name: the DSP slice HLS maps products to and how
much logic fits in a clock period.

- 7-series (xc7z, xc7a, xc7k, xc7v): DSP48E1, a 25x18 signed multiplier.
- UltraScale (xcku040..xcku115, xcvu065..xcvu440) and UltraScale+ (xczu, xck26, Alveo xcu, xcvu*p,
  xcku*p, xcau): DSP48E2, a 27x18 signed multiplier.

`logic_delay` is the relative delay of an adder or LUT level, 1.0 for a 7-series -1 part: the
estimate's pipeline depths scale with it (a faster fabric packs more logic into one clock period,
so the same layer takes fewer cycles).
"""

import re
from dataclasses import dataclass

from edgeaccel.errors import UnsupportedError

FAMILY_DELAY = {"7-series": 1.0, "UltraScale": 0.8, "UltraScale+": 0.65}
# An unregistered DSP multiplication on a 7-series -1 part as HLS schedules it: longer than the 4.375 ns
# Vivado HLS and the 3.65 ns Vitis HLS leave of a 5 ns clock, so both build two-cycle `mul` instances
# (67 FF each) on a Zynq-7020 in the published reports; one cycle on UltraScale+ (0 FF, Alveo U55C).
DSP_MULTIPLY_NS = 4.5
SPEED_GRADE_DELAY = {1: 1.0, 2: 0.88, 3: 0.8}


@dataclass(frozen=True)
class Device:
    part: str
    family: str
    dsp: str
    dsp_a_bits: int
    dsp_b_bits: int
    speed_grade: int
    logic_delay: float

    @property
    def dsp_multiply_ns(self) -> float:
        return DSP_MULTIPLY_NS * self.logic_delay

    def dsps_per_product(self, a_bits: int, b_bits: int) -> int:
        """DSP slices one signed a x b product takes (the wider operand on the slice's wide port)."""
        wide, narrow = max(a_bits, b_bits), min(a_bits, b_bits)
        return -(-wide // self.dsp_a_bits) * -(-narrow // self.dsp_b_bits)


def device_for(part: str) -> Device:
    """The device family of an AMD/Xilinx part name; UnsupportedError for any other part."""
    name = part.lower()
    if re.match(r"x[caq]7", name):
        family = "7-series"
    elif re.match(r"xc(zu|k2|u\d|au|vu\d+p|ku\d+p)", name):
        family = "UltraScale+"
    elif re.match(r"xc(ku|vu)\d{3}", name):
        family = "UltraScale"
    else:
        raise UnsupportedError(f"part {part!r}: expected an AMD/Xilinx 7-series, UltraScale or UltraScale+ part "
                               "(xc7..., xcku/xcvu..., xczu/xck26/xcu...), received one the FPGA estimate does not model")
    grade = re.search(r"-(\d)(?:l|lv|e|i)?(?:-|$)", name)
    speed_grade = int(grade.group(1)) if grade else 1
    e1 = family == "7-series"
    return Device(part=part, family=family, dsp="DSP48E1" if e1 else "DSP48E2", dsp_a_bits=25 if e1 else 27, dsp_b_bits=18,
                  speed_grade=speed_grade,
                  logic_delay=FAMILY_DELAY[family] * SPEED_GRADE_DELAY.get(speed_grade, 1.0))
