"""What a project file says about each stage before export: the data, the model, the quantization
and the training. Stages read these records; the whole project file is `edgeaccel.project.Project`.
"""

from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import Field, PositiveInt

from edgeaccel.yamlschema import Strict

Bits = Annotated[int, Field(ge=2, le=16)]
IntegerBits = Annotated[int, Field(ge=0, le=8)]


class DataSpec(Strict):
    source: str = Field(description="'sklearn:digits', or a path to a .npz with x (and y: class labels, float targets, "
                                    "or targets of x's shape; for an autoencoder, optional 0/1 anomaly labels)")
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.2
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    normalize: Literal["max_abs", "none"] = "max_abs"


class ModelSpec(Strict):
    builtin: Literal["mlp", "cnn"] | None = None
    path: Path | None = Field(None, description="a user's float Keras .h5 to quantize")
    hidden: list[PositiveInt] = [64, 32]
    filters: list[PositiveInt] = [8, 16]
    kernel_size: PositiveInt = 3
    batchnorm: bool = False

    @pydantic.model_validator(mode="after")
    def _one_source(self):
        if (self.builtin is None) == (self.path is None):
            raise ValueError("expected exactly one of 'builtin' (mlp or cnn) or 'path' (a float Keras .h5)")
        return self


class LayerQuantSpec(Strict):
    weight_bits: Bits | None = None
    weight_integer: IntegerBits | None = None
    bias_bits: Bits | None = None
    bias_integer: IntegerBits | None = None
    activation_bits: Bits | None = None
    activation_integer: IntegerBits | None = None


class QuantSpec(Strict):
    weight_bits: Bits = 8
    weight_integer: IntegerBits = 0
    bias_bits: Bits = 8
    bias_integer: IntegerBits = 0
    activation_bits: Bits = 8
    activation_integer: IntegerBits = 0
    input_bits: Bits = 8
    input_integer: IntegerBits = 0
    overrides: dict[str, LayerQuantSpec] = {}
    sweep_bits: list[Bits] = Field([], description="also QAT-train at these widths, for the accuracy-versus-bits plot")

    def for_layer(self, name: str) -> "QuantSpec":
        """The spec with the override for layer `name` applied."""
        override = self.overrides.get(name)
        if override is None:
            return self
        return self.model_copy(update=override.model_dump(exclude_none=True))


class EarlyStoppingSpec(Strict):
    patience: PositiveInt = 5
    monitor: Literal["val_loss", "val_accuracy"] = "val_loss"


class PruningSpec(Strict):
    """Magnitude pruning during QAT (tensorflow-model-optimization's prune_low_magnitude)."""

    target_sparsity: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        description="fraction of each pruned layer's weights set to zero (Dense and convolution kernels)")
    schedule: Literal["polynomial", "constant"] = Field(
        "polynomial", description="polynomial: sparsity rises from 0 at begin_epoch to the target at end_epoch; "
                                  "constant: the target from begin_epoch on (the hls4ml tutorial's ConstantSparsity)")
    begin_epoch: Annotated[int, Field(ge=0)] = 0
    end_epoch: Annotated[int, Field(ge=1)] | None = Field(
        None, description="the epoch by which the target is reached and masks stop changing "
                          "(default: halfway through the epochs for polynomial, begin_epoch + 1 for constant)")

    def settled_epoch(self, epochs: int) -> int:
        """The epoch from which the sparsity is final (early stopping watches only from there)."""
        if self.end_epoch is not None:
            return self.end_epoch
        if self.schedule == "constant":
            return self.begin_epoch + 1
        return self.begin_epoch + max(1, (epochs - self.begin_epoch) // 2)


class DistillationSpec(Strict):
    """Knowledge distillation: a teacher's softened logits train the QKeras student (Hinton et al. 2015)."""

    teacher: Literal["float"] | Path = Field(
        "float", description="'float': the project's float model (the trained float baseline, or model.path); "
                             "or a path to a bigger Keras .h5 classifier taking the same inputs")
    temperature: Annotated[float, Field(gt=0.0, le=100.0)] = Field(4.0, description="softens both sets of logits")
    alpha: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.5, description="weight of the hard-label loss; 1 - alpha weighs the KL term on the softened logits")


class TrainingSpec(Strict):
    task: Literal["auto", "classification", "regression", "autoencoder"] = Field(
        "auto", description="auto: an autoencoder when y is absent or has x's shape, regression when y is float, "
                            "classification when y holds integer labels")
    loss: Literal["auto", "mse", "mae"] = Field("auto", description="auto: cross-entropy for classification, mse otherwise")
    epochs: Annotated[int, Field(ge=1, le=100_000)] = 30
    batch_size: Annotated[int, Field(ge=1, le=1 << 20)] = 32
    learning_rate: Annotated[float, Field(gt=0.0, le=1.0)] = 0.003
    validation_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1
    early_stopping: EarlyStoppingSpec | None = EarlyStoppingSpec()
    float_baseline: bool = True
    pruning: PruningSpec | None = Field(None, description="prune the QKeras model's kernels during QAT")
    distillation: DistillationSpec | None = Field(None, description="train the QKeras model from a teacher's logits too")

    @pydantic.model_validator(mode="after")
    def _loss_fits_task(self):
        if self.task == "classification" and self.loss != "auto":
            raise ValueError(f"loss {self.loss!r}: expected auto (cross-entropy) for task classification")
        if self.task in ("regression", "autoencoder") and self.early_stopping and self.early_stopping.monitor == "val_accuracy":
            raise ValueError(f"early_stopping.monitor val_accuracy: expected val_loss for task {self.task}")
        if self.task in ("regression", "autoencoder") and self.distillation is not None:
            raise ValueError(f"distillation: expected task classification (a teacher's logits are class scores), received task {self.task}")
        return self

    @pydantic.model_validator(mode="after")
    def _pruning_fits_the_epochs(self):
        if self.pruning is None:
            return self
        begin, settled = self.pruning.begin_epoch, self.pruning.settled_epoch(self.epochs)
        if begin >= self.epochs or not begin < settled <= self.epochs:
            raise ValueError(f"expected pruning.begin_epoch ({begin}) < pruning.end_epoch ({settled}) <= epochs ({self.epochs})")
        return self
