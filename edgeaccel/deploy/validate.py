"""Comparing a board's outputs with the simulation's: a pure function from two arrays to a verdict,
under a tolerance (each bundle kind's is in kinds.py)."""

from dataclasses import asdict, dataclass

import numpy as np

from edgeaccel.errors import ValidationMismatch


@dataclass(frozen=True)
class Tolerance:
    rule: str
    min_argmax_agreement: float = 1.0

    def describe(self) -> str:
        return "bit-exact outputs" if self.rule == "bit-exact" else f"argmax agreement >= {self.min_argmax_agreement:g}"


@dataclass(frozen=True)
class Validation:
    tolerance: Tolerance
    reference: str
    samples: int
    exact_fraction: float
    argmax_agreement: float
    max_abs_diff: float
    first_difference: dict | None

    @property
    def passed(self) -> bool:
        if self.tolerance.rule == "bit-exact":
            return self.exact_fraction == 1.0
        return self.argmax_agreement >= self.tolerance.min_argmax_agreement

    def summary(self) -> dict:
        return {"passed": self.passed, "tolerance": self.tolerance.describe(), **{k: v for k, v in asdict(self).items() if k != "tolerance"}}

    def describe(self) -> str:
        return (f"{self.samples} samples against {self.reference}: {self.exact_fraction:.4f} bit-exact, argmax agreement "
                f"{self.argmax_agreement:.4f}, max |diff| {self.max_abs_diff:g} (required: {self.tolerance.describe()})")

    def mismatch(self) -> str:
        first = self.first_difference
        where = (f"; first difference at sample {first['sample']} output {first['output']}: expected {first['expected']!r}, "
                 f"received {first['received']!r}") if first else ""
        return (f"board outputs against {self.reference}: expected {self.tolerance.describe()}, received "
                f"{round(self.exact_fraction * self.samples)} of {self.samples} samples equal and argmax agreement "
                f"{self.argmax_agreement:.4f}{where}")


def compare(reference: np.ndarray, outputs, tolerance: Tolerance, reference_name: str) -> Validation:
    received = np.asarray(outputs)
    if received.shape != reference.shape:
        raise ValidationMismatch(f"board outputs: expected shape {reference.shape} (as {reference_name}), received {received.shape}")
    received = received.astype(reference.dtype) if reference.dtype.kind == "f" else received.astype(np.int64)
    expected = reference if reference.dtype.kind == "f" else reference.astype(np.int64)
    equal = expected == received
    flat_e, flat_r = expected.reshape(len(expected), -1), received.reshape(len(received), -1)
    first = None
    if not equal.all():
        sample, output = (int(i) for i in np.argwhere(~equal.reshape(len(equal), -1))[0])
        first = {"sample": sample, "output": output, "expected": flat_e[sample, output].item(),
                 "received": flat_r[sample, output].item()}
    return Validation(
        tolerance=tolerance,
        reference=reference_name,
        samples=len(expected),
        exact_fraction=float(np.mean(equal.reshape(len(equal), -1).all(axis=1))),
        argmax_agreement=float(np.mean(flat_e.argmax(axis=1) == flat_r.argmax(axis=1))),
        max_abs_diff=float(np.max(np.abs(flat_e.astype(np.float64) - flat_r.astype(np.float64)))),
        first_difference=first,
    )
