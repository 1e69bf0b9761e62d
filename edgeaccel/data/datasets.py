"""Data sources named in a project file, normalized and split reproducibly."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeaccel.data.npz import check_finite, read_npz
from edgeaccel.errors import DataError
from edgeaccel.specs import DataSpec


@dataclass(frozen=True)
class Dataset:
    x: np.ndarray
    y: np.ndarray
    classes: int
    description: str


@dataclass(frozen=True)
class Split:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scale: float
    classes: int


def load_dataset(spec: DataSpec, base_dir: Path = Path(".")) -> Dataset:
    if spec.source == "sklearn:digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = digits.images.astype(np.float32)[..., np.newaxis]
        return Dataset(check_finite(x, "sklearn:digits"), digits.target.astype(np.int64), 10, "sklearn digits, 8x8x1, 0..16")
    if spec.source.startswith("sklearn:"):
        raise DataError(f"data.source: expected 'sklearn:digits' or a .npz path, received {spec.source!r}")
    path = Path(spec.source)
    path = path if path.is_absolute() else base_dir / path
    x, y = read_npz(path, need_labels=True)
    return Dataset(x, y, int(y.max()) + 1, f"{path.name}, samples of shape {x.shape[1:]}")


def split_dataset(data: Dataset, spec: DataSpec) -> Split:
    """Stratified split; with `max_abs` the scale comes from the training part only."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(data.y, minlength=data.classes)
    stratify = data.y if counts[counts > 0].min() >= 2 else None
    try:
        x_train, x_test, y_train, y_test = train_test_split(
            data.x, data.y, test_size=spec.test_fraction, random_state=spec.seed, stratify=stratify
        )
    except ValueError as e:
        raise DataError(f"data: expected enough samples for test_fraction={spec.test_fraction}, received {len(data.x)} ({e})") from e
    scale = 1.0
    if spec.normalize == "max_abs":
        peak = float(np.abs(x_train).max())
        scale = peak if peak > 0 else 1.0
    return Split(
        (x_train / scale).astype(np.float32), y_train,
        (x_test / scale).astype(np.float32), y_test,
        scale, data.classes,
    )
