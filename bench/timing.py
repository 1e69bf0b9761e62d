"""Repeated measurements: every figure is the median of its runs, with the min and max beside it."""

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Stat:
    median: float
    low: float
    high: float
    runs: int

    def text(self, fmt: str = "{:.3g}") -> str:
        if self.runs == 1:
            return fmt.format(self.median)
        return f"{fmt.format(self.median)} ({fmt.format(self.low)}–{fmt.format(self.high)})"

    def inverse(self, scale: float = 1.0) -> "Stat":
        """scale / x, e.g. samples per second from seconds (the order of min and max flips)."""
        return Stat(scale / self.median, scale / self.high, scale / self.low, self.runs)


def seconds(fn: Callable[[], object], repeats: int, setup: Callable[[], object] | None = None) -> Stat:
    runs = []
    for _ in range(repeats):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return Stat(statistics.median(runs), min(runs), max(runs), repeats)


def ratio(a: Stat, b: Stat) -> float:
    return a.median / b.median
