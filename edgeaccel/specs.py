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

    @pydantic.model_validator(mode="after")
    def _loss_fits_task(self):
        if self.task == "classification" and self.loss != "auto":
            raise ValueError(f"loss {self.loss!r}: expected auto (cross-entropy) for task classification")
        if self.task in ("regression", "autoencoder") and self.early_stopping and self.early_stopping.monitor == "val_accuracy":
            raise ValueError(f"early_stopping.monitor val_accuracy: expected val_loss for task {self.task}")
        return self
