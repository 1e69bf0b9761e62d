"""Training a float or QKeras model reproducibly from a seed, with a progress bar on stderr."""

import logging
from dataclasses import dataclass

import numpy as np

from edgeaccel import interrupts
from edgeaccel.compress import Compression
from edgeaccel.specs import TrainingSpec
from edgeaccel.tfenv import tensorflow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingResult:
    epochs_run: int
    best_epoch: int
    history: dict
    compression: dict | None = None


def seed_everything(seed: int) -> None:
    tf = tensorflow()
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def freeze_batchnorm(model) -> int:
    """Fine-tune with every BatchNormalization layer in inference mode, its moving statistics and affine terms
    fixed (Keras runs a non-trainable BatchNormalization with its moving statistics): QAT of a trained model then
    trains exactly the folded convolution that the int8 export ships. Updating the statistics instead leaves them
    behind the changing weights after a short fine-tune (measured on bench/mlperf_tiny.py's synthetic data, float
    0.96/0.99: MobileNetV1 0.25 0.74 after 2 QAT epochs at learning rate 1e-4 with updating statistics, 0.975 at 3e-4
    with them fixed; DS-CNN 0.825 after 3 epochs at 3e-4 updating, 1.0 after 2 fixed). Returns how many were frozen."""
    frozen = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    for layer in frozen:
        layer.trainable = False
    if frozen:
        log.info("QAT: %d BatchNormalization layers fixed at the float model's statistics", len(frozen))
    return len(frozen)


def loss_for(task: str, spec: TrainingSpec) -> str:
    """The Keras loss of a task: sparse categorical cross-entropy for classes, MSE (or MAE if asked) otherwise."""
    if task == "classification":
        return "sparse_categorical_crossentropy"
    return "mean_absolute_error" if spec.loss == "mae" else "mean_squared_error"


def train(model, x: np.ndarray, y: np.ndarray, spec: TrainingSpec, seed: int, label: str,
          progress: bool = True, task: str = "classification",
          compression: "Compression | None" = None) -> TrainingResult:
    """Fit `model` in place on (x, y) with the task's loss; the best weights by the early-stopping monitor are kept.
    With `compression` (edgeaccel.compress), the model is pruned and/or distilled as it says, and
    early stopping watches only from the epoch the pruning masks are final."""
    tf = tensorflow()
    seed_everything(seed)
    plan = compression.plan(model, x, y, spec) if compression else None
    fitted = plan.model if plan else model
    fitted.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=spec.learning_rate),
        loss=plan.loss if plan and plan.loss else loss_for(task, spec),
        metrics=plan.metrics if plan and plan.metrics else (["accuracy"] if task == "classification" else []),
    )
    callbacks = (plan.callbacks if plan else []) + [_epoch_progress(tf, spec.epochs, label, enabled=progress),
                                                    _interrupt_check(tf)]
    if spec.early_stopping is not None and spec.validation_fraction > 0:
        callbacks.append(tf.keras.callbacks.EarlyStopping(
            monitor=spec.early_stopping.monitor, patience=spec.early_stopping.patience,
            restore_best_weights=True, mode="max" if "accuracy" in spec.early_stopping.monitor else "min",
            start_from_epoch=plan.watch_from_epoch if plan else 0,
        ))
    history = fitted.fit(
        x, plan.targets if plan else y, epochs=spec.epochs, batch_size=spec.batch_size,
        validation_split=spec.validation_fraction, shuffle=True, verbose=0, callbacks=callbacks,
    )
    epochs_run = len(history.history["loss"])
    monitor = spec.early_stopping.monitor if spec.early_stopping and spec.validation_fraction > 0 else "loss"
    values = history.history[monitor]
    watched = min(plan.watch_from_epoch if plan else 0, epochs_run - 1)
    best = watched + int(np.argmax(values[watched:]) if "accuracy" in monitor else np.argmin(values[watched:])) + 1
    log.info("%s: %d epochs, best epoch %d (%s %.4f, loss %s)", label, epochs_run, best, monitor, values[best - 1], loss_for(task, spec))
    return TrainingResult(epochs_run, best, {k: [float(v) for v in vs] for k, vs in history.history.items()},
                          plan.finish() if plan else None)


def _interrupt_check(tf):
    """A Keras callback that stops the fit at the next batch after a Ctrl-C, even one a library swallowed."""

    class InterruptCheck(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            interrupts.raise_if_requested()

    return InterruptCheck()


def _epoch_progress(tf, epochs: int, label: str, enabled: bool):
    """A Keras callback drawing one tqdm bar over the epochs, on stderr."""
    from edgeaccel.progress import progress_bar

    class EpochProgress(tf.keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = progress_bar(epochs, label, unit="epoch", enabled=enabled)

        def on_epoch_end(self, epoch, logs=None):
            shown = {k: f"{v:.3f}" for k, v in (logs or {}).items() if k in ("loss", "accuracy", "val_accuracy")}
            self.bar.set_postfix(shown, refresh=False)
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochProgress()
