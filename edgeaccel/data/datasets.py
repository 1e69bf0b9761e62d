"""Data sources named in a project file: loaded, their task settled, normalized and split reproducibly.

The task decides what the model is fitted to and how it is scored:
- classification: y holds integer class labels (>= 0); the split is stratified;
- regression: y holds float targets, one row per sample;
- autoencoder: the model reconstructs x. y, when present, is either the targets (x's shape, e.g.
  clean versions of noisy inputs) or 0/1 anomaly labels; with labels, training uses the normal
  (label 0) samples only, as the MLPerf Tiny anomaly-detection reference does, and the test split
  keeps both for the anomaly-score AUC.
`task: auto` infers it: no y, or y of x's shape, is an autoencoder; float y is regression; integer
y is classification. The task and the reason are stated in the output.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeaccel.data.npz import check_finite, check_labels, read_npz
from edgeaccel.errors import DataError
from edgeaccel.specs import DataSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Dataset:
    x: np.ndarray
    y: np.ndarray | None
    description: str


@dataclass(frozen=True)
class Task:
    name: str
    reason: str
    classes: int | None = None
    anomaly_labels: bool = False


@dataclass(frozen=True)
class Split:
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    scale: float
    task: Task

    @property
    def classes(self) -> int | None:
        return self.task.classes

    @property
    def fit_x(self) -> np.ndarray:
        """The training inputs (for an autoencoder with anomaly labels: the normal samples only)."""
        return self.x_train[self.y_train == 0] if self.task.anomaly_labels else self.x_train

    @property
    def fit_y(self) -> np.ndarray:
        """What the model is fitted to: labels, targets, or (an autoencoder) its own inputs."""
        return targets(self.task, self.fit_x, self.y_train[self.y_train == 0] if self.task.anomaly_labels else self.y_train)


def targets(task: Task, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """The model's intended outputs for inputs x: y, or x itself for an autoencoder without target arrays."""
    if task.name == "autoencoder" and (y is None or task.anomaly_labels):
        return x
    return y


def load_dataset(spec: DataSpec, base_dir: Path = Path(".")) -> Dataset:
    if spec.source == "sklearn:digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = digits.images.astype(np.float32)[..., np.newaxis]
        return Dataset(check_finite(x, "sklearn:digits"), digits.target.astype(np.int64), "sklearn digits, 8x8x1, 0..16")
    if spec.source.startswith("sklearn:"):
        raise DataError(f"data.source: expected 'sklearn:digits' or a .npz path, received {spec.source!r}")
    path = Path(spec.source)
    path = path if path.is_absolute() else base_dir / path
    x, y = read_npz(path)
    return Dataset(x, y, f"{path.name}, samples of shape {x.shape[1:]}")


def settle_task(requested: str, x: np.ndarray, y: np.ndarray | None, what: str = "data") -> Task:
    """The task of (x, y): `requested`, checked against the data, or inferred from it when 'auto'."""
    same_shape = y is not None and y.shape == x.shape
    if requested == "auto":
        if y is None:
            requested, reason = "autoencoder", "inferred: the data has no y, so the model reconstructs x"
        elif same_shape:
            requested, reason = "autoencoder", f"inferred: y has x's shape {tuple(x.shape[1:])}"
        elif y.dtype.kind == "f":
            requested, reason = "regression", "inferred: y is float"
        else:
            requested, reason = "classification", "inferred: y holds integer labels"
    else:
        reason = "stated in training.task"
    if requested == "classification":
        if y is None:
            raise DataError(f"{what}: expected class labels in y for task classification, received no y")
        labels = check_labels(y, len(x), f"{what}: y")
        return Task("classification", reason, classes=int(labels.max()) + 1)
    if requested == "regression":
        if y is None or len(y) != len(x) or y.dtype.kind not in "fiu":
            received = "no y" if y is None else f"y of dtype {y.dtype} and shape {y.shape}"
            raise DataError(f"{what}: expected numeric targets y, one row per sample, for task regression, received {received}")
        return Task("regression", reason)
    if y is None or same_shape:
        return Task("autoencoder", reason)
    if y.ndim == 1 and len(y) == len(x) and set(np.unique(y).tolist()) <= {0, 1}:
        return Task("autoencoder", reason + "; y holds 0/1 anomaly labels", anomaly_labels=True)
    raise DataError(f"{what}: expected for task autoencoder no y, targets of x's shape {tuple(x.shape)} or 0/1 anomaly labels, "
                    f"received y of shape {y.shape}")


def split_dataset(data: Dataset, spec: DataSpec, task: str = "auto") -> Split:
    """Split reproducibly (stratified for classes and anomaly labels); with `max_abs` the scale comes from the
    training part only and applies to x (and to an autoencoder's target arrays), never to labels or regression targets."""
    from sklearn.model_selection import train_test_split

    settled = settle_task(task, data.x, data.y, f"data {spec.source}")
    log.info("task: %s (%s)", settled.name, settled.reason)
    y = data.y
    if settled.name == "classification":
        y = check_labels(y, len(data.x), f"data {spec.source}: y")
    stratify = None
    if settled.name == "classification" or settled.anomaly_labels:
        counts = np.bincount(y.astype(np.int64))
        stratify = y if counts[counts > 0].min() >= 2 else None
    arrays = [data.x] if y is None else [data.x, y]
    try:
        parts = train_test_split(*arrays, test_size=spec.test_fraction, random_state=spec.seed, stratify=stratify)
    except ValueError as e:
        raise DataError(f"data: expected enough samples for test_fraction={spec.test_fraction}, received {len(data.x)} ({e})") from e
    x_train, x_test = parts[0], parts[1]
    y_train, y_test = (parts[2], parts[3]) if y is not None else (None, None)
    scale = 1.0
    if spec.normalize == "max_abs":
        peak = float(np.abs(x_train).max())
        scale = peak if peak > 0 else 1.0
    if settled.name == "autoencoder" and y is not None and not settled.anomaly_labels:
        y_train, y_test = (y_train / scale).astype(np.float32), (y_test / scale).astype(np.float32)
    return Split((x_train / scale).astype(np.float32), y_train, (x_test / scale).astype(np.float32), y_test, scale, settled)
