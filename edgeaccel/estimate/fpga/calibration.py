"""The calibration of the FPGA estimate on published synthesis reports, and its error ranges.

`data/fpga_calibration.json` holds, per HLS tool, the coefficients that turn the template
quantities of `templates.py` into LUT and FF counts, and the logic delays that turn a layer's
critical path into pipeline stages. They were fitted (by `python -m bench.fpga_calibration`) on
the rows of the fit families of `data/fpga_reports.csv`; the held-out families' rows were not used.
The file also holds the range of each figure: the 10th to 90th percentile of the ratio reported /
estimated seen when each fit family was left out of the fit in turn (and, for DSP and BRAM18, which
are counted and not fitted, on every fit row): 80% of those figures fell inside their range.
"""

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from edgeaccel.errors import ConfigError

FIGURES = ("lut", "ff", "dsp", "bram18", "latency_cycles")
UNCALIBRATED_SPREAD = 2.0
CALIBRATION_FILE = "fpga_calibration.json"


@dataclass(frozen=True)
class Timing:
    multiply_ns: float
    add_ns: float
    top_cycles: int
    resource_cycles: int = 0


@dataclass(frozen=True)
class ToolCalibration:
    lut: dict
    ff: dict
    timing: Timing


@dataclass(frozen=True)
class Calibration:
    tools: dict
    ranges: dict
    summary: dict

    def tool(self, name: str) -> ToolCalibration:
        if name not in self.tools:
            raise ConfigError(f"--hls-tool: expected one of {', '.join(sorted(self.tools))}, received {name!r}")
        return self.tools[name]

    def range_of(self, figure: str, value: float, spread: float = 1.0) -> tuple[int, int]:
        """The calibrated range of an estimated figure: value scaled by the residual ratios' 10th and 90th
        percentiles (on value + 1, so that zero estimates get a range too), widened by `spread`."""
        low, high = self.ranges[figure]
        return (max(0, math.floor((value + 1) * math.exp(low) / spread - 1)),
                math.ceil((value + 1) * math.exp(high) * spread - 1))


def from_dict(data: dict) -> Calibration:
    tools = {name: ToolCalibration(lut=dict(entry["lut"]), ff=dict(entry["ff"]), timing=Timing(**entry["timing"]))
             for name, entry in data["tools"].items()}
    return Calibration(tools=tools, ranges={k: tuple(v) for k, v in data["ranges"].items()}, summary=data.get("summary", {}))


@lru_cache(maxsize=1)
def shipped() -> Calibration:
    """The calibration shipped in the package."""
    text = resources.files("edgeaccel.estimate").joinpath("data", CALIBRATION_FILE).read_text()
    return from_dict(json.loads(text))


def apply(terms: dict, coefficients: dict) -> float:
    return sum(coefficients.get(name, 0.0) * value for name, value in terms.items())
