"""DATA.npz files: `x` (float32, samples first) and, where labels are known, `y`."""

from pathlib import Path

import numpy as np

from edgeaccel.staging import replaced_atomically
from edgeaccel.errors import DataError, received_path


def read_npz(path: Path | str, need_labels: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """x (float32) and y (labels or targets, one row per sample; checked numeric and finite), or None without y."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: expected an existing .npz file with x (and y), received {received_path(path)}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except Exception as e:
        raise DataError(f"{path}: expected a NumPy .npz archive, received an unreadable file ({e})") from e
    if "x" not in arrays:
        raise DataError(f"{path}: expected an array named 'x', received {sorted(arrays) or 'no arrays'}")
    x = check_finite(np.asarray(arrays["x"]), f"{path}: x")
    y = arrays.get("y")
    if y is None and need_labels:
        raise DataError(f"{path}: expected labels in an array named 'y', received only {sorted(arrays)}")
    if y is not None:
        y = check_targets(np.asarray(y), len(x), f"{path}: y")
    return x, y


def write_npz(path: Path | str, x: np.ndarray, y: np.ndarray | None = None) -> None:
    """Write atomically: a crash never leaves a half-written file under `path`."""
    path = Path(path)
    arrays = {"x": np.asarray(x, dtype=np.float32)}
    if y is not None:
        arrays["y"] = np.asarray(y)
    with replaced_atomically(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def check_finite(x: np.ndarray, what: str) -> np.ndarray:
    if x.dtype.kind not in "fiu" or x.ndim < 1 or len(x) == 0:
        raise DataError(f"{what}: expected a non-empty numeric array with samples first, received dtype {x.dtype} shape {x.shape}")
    x = x.astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        first = int(np.argwhere(bad.reshape(len(x), -1).any(axis=1))[0, 0])
        raise DataError(
            f"{what}: expected finite values, received {int(np.isnan(x).sum())} NaN and "
            f"{int(np.isinf(x).sum())} Inf (first in sample {first})"
        )
    return x


def check_targets(y: np.ndarray, samples: int, what: str) -> np.ndarray:
    """Labels or targets: numeric and finite, one row per sample. Integer labels keep their integer dtype."""
    if y.dtype.kind not in "fiub" or y.ndim < 1 or len(y) != samples:
        raise DataError(f"{what}: expected numeric labels or targets, one row per sample ({samples}), "
                        f"received dtype {y.dtype} shape {y.shape}")
    if y.dtype.kind == "f":
        check_finite(y, what)
        return y.astype(np.float32)
    return y.astype(np.int64)


def check_labels(y: np.ndarray, samples: int, what: str) -> np.ndarray:
    if y.shape != (samples,):
        raise DataError(f"{what}: expected one label per sample, shape ({samples},), received shape {y.shape}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.all(y == np.round(y)):
            raise DataError(f"{what}: expected integer class labels, received non-integer values")
    elif y.dtype.kind not in "iu":
        raise DataError(f"{what}: expected integer class labels, received dtype {y.dtype}")
    if (y < 0).any():
        raise DataError(f"{what}: expected class labels >= 0, received {int(y.min())}")
    return y.astype(np.int64)


def check_against_input(x: np.ndarray, input_shape: tuple, what: str) -> None:
    """Samples must have the model's input shape (without the batch axis)."""
    expected = tuple(int(d) for d in input_shape if d is not None)
    if tuple(x.shape[1:]) != expected:
        raise DataError(
            f"{what}: expected samples of shape {expected} (the model's input), received {tuple(x.shape[1:])}"
        )
