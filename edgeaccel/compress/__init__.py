"""Compression during quantization-aware training: pruning (`compress.pruning`) and knowledge
distillation (`compress.distillation`), the two levers hls4ml users pull besides the bit widths.

`edgeaccel.models.training.train` takes a `Compression`; its `plan` says which model to fit, on
which targets, with which loss, metrics and callbacks, and from which epoch early stopping may
watch (not before the pruning masks are final). `FitPlan.finish` leaves the trained weights in the
caller's model and returns what was done (per-layer sparsity, the distillation settings).
"""

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from edgeaccel.specs import DistillationSpec, PruningSpec, TrainingSpec


@dataclass(frozen=True)
class Compression:
    """pruning and distillation as the project file gives them; `teacher` is the teacher model
    (required with distillation) and `teacher_name` what the records call it."""

    pruning: PruningSpec | None = None
    distillation: DistillationSpec | None = None
    teacher: Any = None
    teacher_name: str = ""

    def __bool__(self) -> bool:
        return self.pruning is not None or self.distillation is not None

    def check(self, classes: int) -> None:
        """Refuse, before any training, a teacher without its logits or with another number of classes."""
        if self.distillation is None:
            return
        from edgeaccel.compress.distillation import check_teacher

        check_teacher(self.teacher, classes)

    def plan(self, model, x: np.ndarray, y: np.ndarray, training: TrainingSpec) -> "FitPlan":
        from edgeaccel.compress import distillation, pruning

        fit_model, targets, loss, metrics, callbacks, finishers = model, y, None, None, [], []
        record: dict = {}
        if self.distillation is not None:
            spec = self.distillation
            fit_model = distillation.logits_model(model, "student")
            logits = distillation.teacher_logits(self.teacher, x, int(model.output_shape[-1]))
            targets = distillation.packed_targets(y, logits)
            loss, metrics = distillation.distillation_loss(spec), [distillation.label_accuracy()]
            record["distillation"] = {"teacher": self.teacher_name, "temperature": spec.temperature, "alpha": spec.alpha}
        watch_from = 0
        if self.pruning is not None:
            steps = pruning.steps_per_epoch(len(x), training.validation_fraction, training.batch_size)
            run = pruning.prunable_copy(fit_model, self.pruning, steps, training.epochs)
            fit_model, callbacks = run.model, run.callbacks
            watch_from = self.pruning.settled_epoch(training.epochs)
            finishers.append(lambda: {"pruning": run.finish(model)})
        return FitPlan(fit_model, targets, loss, metrics, callbacks, watch_from, record, finishers)


@dataclass
class FitPlan:
    """How to fit a compressed model: fit `model` on `targets` (None loss/metrics: the task's own)."""

    model: Any
    targets: np.ndarray
    loss: Callable | None
    metrics: list | None
    callbacks: list
    watch_from_epoch: int
    record: dict = field(default_factory=dict)
    finishers: list = field(default_factory=list)

    def finish(self) -> dict:
        """End the fit: the trained weights are in the caller's model; returns what was done."""
        result = dict(self.record)
        for finisher in self.finishers:
            result |= finisher()
        return result
