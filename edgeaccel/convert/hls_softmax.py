"""Sizing hls4ml's 'stable' softmax tables from the logits' type and the calibration logits.

hls4ml 1.3 computes d_i = max(x) - x_i, looks exp(-d_i) up in a table indexed by all the bits of
d_i in a type `inp_norm_t`, sums, and multiplies by 1/sum from a second table. Left to itself it
sizes `inp_norm_t` from the logits' type: with wide logits (fixed<30,15>) the top 10 bits of d
step by 32, every d < 32 reads exp(0) = 1, and every output is 1/n (a degenerate softmax).

Here the table's step Δ is the logits' own step when the table stays within MAX_TABLE_BITS
address bits, so that the largest logit (d = 0, exp = 1) is always strictly above every other
(d >= one step); otherwise the step that keeps the calibration samples whose top two logits fall
in one table cell below TIE_BUDGET. The table spans d up to where exp(-d) drops below the output's
resolution, or as far as the calibration logits spread (99.9% of the samples) when that is less,
and d beyond saturates. The exponentials, the sum, the inverse and the outputs get
enough fraction bits that the top two stay distinct after every rounding: then csim's argmax is
QKeras's whenever the logits are bit-exact and not tied within Δ. Logits finer than
LOGITS_FRACTION_BITS never reach the softmax: `hls_reference` rounds them to that step first, in the
reference and in the firmware, so that a MAX_TABLE_BITS table over a span of 16 resolves them.
"""

import math
from dataclasses import dataclass

import numpy as np

from edgeaccel.quantize.fixed import FixedType

MAX_TABLE_BITS = 12
MAX_TABLE_BITS_FOR_TIES = 14
TIE_BUDGET = 0.001
INVERSE_TABLE_BITS = 10
MIN_OUTPUT_FRACTION = 15
SPAN_QUANTILE = 0.999
LOGITS_FRACTION_BITS = MAX_TABLE_BITS - 4


@dataclass(frozen=True)
class SoftmaxTables:
    step: float
    exp_table_bits: int
    inp_norm: FixedType
    exp_table: FixedType
    accum: FixedType
    inv_inp: FixedType
    inv_table: FixedType
    result: FixedType
    calibration_ties: float | None
    reason: str

    def layer_config(self) -> dict:
        """The hls4ml layer config keys for the softmax layer (its table types are `<name>_t` keys, not Precision)."""
        return {"Implementation": "stable", "TableSize": 2 ** self.exp_table_bits,
                "exp_table_size": 2 ** self.exp_table_bits, "inv_table_size": 2 ** INVERSE_TABLE_BITS,
                "inp_norm_t": self.inp_norm.text(), "exp_table_t": self.exp_table.text(),
                "inv_table_t": self.inv_table.text(), "inv_inp_t": self.inv_inp.text(),
                "Precision": {"result": self.result.text(), "accum": self.accum.text()}}

    def describe(self) -> dict:
        return {"step": self.step, "exp_table_entries": 2 ** self.exp_table_bits, "inv_table_entries": 2 ** INVERSE_TABLE_BITS,
                "inp_norm": self.inp_norm.text(), "exp_table": self.exp_table.text(), "inv_table": self.inv_table.text(),
                "result": self.result.text(), "calibration_ties": self.calibration_ties, "reason": self.reason}


def _span_bits(output_fraction: int, calibration_logits: np.ndarray | None) -> int:
    """The table spans d up to 2^span_bits: where exp(-d) leaves the output's resolution, or the calibration spread."""
    span = (output_fraction + 1) * math.log(2)
    if calibration_logits is not None and len(calibration_logits):
        flat = calibration_logits.reshape(len(calibration_logits), -1)
        span = min(span, float(np.quantile(flat.max(axis=1) - flat.min(axis=1), SPAN_QUANTILE)))
    return max(math.ceil(math.log2(max(span, 2.0 ** -8))), 1)


def size_softmax(logits_type: FixedType, classes: int, calibration_logits: np.ndarray | None) -> SoftmaxTables:
    output_fraction = MIN_OUTPUT_FRACTION
    span_bits = _span_bits(output_fraction, calibration_logits)
    step_bits = logits_type.fraction
    reason = f"the logits' step 2^-{step_bits}: the top logit always reads exp(0) alone"
    ties = _ties(calibration_logits, 2.0 ** -step_bits)
    if span_bits + step_bits > MAX_TABLE_BITS:
        step_bits, ties, reason = _coarser_step(span_bits, step_bits, calibration_logits)
    step = 2.0 ** -step_bits
    address_bits = span_bits + step_bits
    exp_fraction = step_bits + 3
    output_fraction = max(output_fraction, math.ceil(math.log2(2 * classes)) + step_bits + 2)
    sum_integer = math.ceil(math.log2(classes + 1))
    return SoftmaxTables(
        step=step,
        exp_table_bits=address_bits,
        inp_norm=FixedType(address_bits, span_bits, False, "TRN", "SAT"),
        exp_table=FixedType(exp_fraction + 1, 1, False, "RND", "SAT"),
        accum=FixedType(exp_fraction + sum_integer, sum_integer, False),
        inv_inp=FixedType(INVERSE_TABLE_BITS, sum_integer, False, "TRN", "SAT"),
        inv_table=FixedType(output_fraction + 2, 1, False, "RND", "SAT"),
        result=FixedType(output_fraction + 1, 1, False, "RND", "SAT"),
        calibration_ties=ties,
        reason=reason,
    )


def _ties(logits: np.ndarray | None, step: float) -> float | None:
    """Fraction of samples whose top two logits differ by less than `step` but are not equal."""
    if logits is None or len(logits) == 0:
        return None
    top = np.sort(logits.reshape(len(logits), -1), axis=1)[:, -2:]
    gap = top[:, 1] - top[:, 0]
    return float(np.mean((gap > 0) & (gap < step)))


def _coarser_step(span_bits: int, step_bits: int, logits: np.ndarray | None) -> tuple[int, float | None, str]:
    """The finest step a MAX_TABLE_BITS table allows, refined up to MAX_TABLE_BITS_FOR_TIES address bits while
    the calibration samples' top two logits fall in one cell more often than TIE_BUDGET."""
    if logits is None or len(logits) == 0:
        candidate = MAX_TABLE_BITS - span_bits
        return candidate, None, f"a 2^{MAX_TABLE_BITS}-entry table (step 2^-{candidate}); no calibration logits to check ties"
    for address_bits in range(MAX_TABLE_BITS, MAX_TABLE_BITS_FOR_TIES + 1):
        candidate = min(address_bits - span_bits, step_bits)
        ties = _ties(logits, 2.0 ** -candidate)
        if ties <= TIE_BUDGET:
            return candidate, ties, (f"a 2^{address_bits}-entry table (step 2^-{candidate}): the top two calibration logits "
                                     f"share a cell in {ties:.4%} of the samples")
    return candidate, ties, (f"a 2^{MAX_TABLE_BITS_FOR_TIES}-entry table (step 2^-{candidate}), the largest: the top two "
                             f"calibration logits share a cell in {ties:.4%} of the samples")
