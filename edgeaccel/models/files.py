"""Reading and writing Keras-2 HDF5 model files, float or QKeras."""

import warnings
from pathlib import Path

from edgeaccel.staging import replaced_atomically
from edgeaccel.errors import ModelError, received_path
from edgeaccel.tfenv import tensorflow


def load_model(path: Path | str):
    """Load a float Keras or QKeras `.h5` (Keras-2 HDF5); the optimizer state is not needed."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: expected an existing Keras .h5 model file, received {received_path(path)}")
    tensorflow()
    import h5py
    from qkeras.utils import load_qmodel

    try:
        with h5py.File(path, "r") as f:
            if "model_config" not in f.attrs:
                raise ModelError(f"{path}: expected a whole Keras-2 HDF5 model (with model_config), received a weights-only or foreign HDF5 file")
    except OSError as e:
        raise ModelError(f"{path}: expected a Keras-2 HDF5 model file, received a file h5py cannot read ({e})") from e
    try:
        return load_qmodel(str(path), compile=False)
    except Exception as e:
        raise ModelError(f"{path}: expected a loadable Keras-2 HDF5 model, received one that fails to load ({type(e).__name__}: {e})") from e


def save_model(model, path: Path | str) -> None:
    """Save atomically in the Keras-2 HDF5 format, without the optimizer."""
    path = Path(path)
    with replaced_atomically(path) as tmp, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*HDF5 file via `model.save\\(\\)`.*")
        warnings.filterwarnings("ignore", message=".*keras.constraints.serialize.*")
        model.save(str(tmp), include_optimizer=False, save_format="h5")


def input_shape(model) -> tuple:
    shape = model.input_shape
    if isinstance(shape, list):
        raise ModelError(f"expected a model with one input, received {len(shape)} inputs")
    return tuple(shape[1:])


def is_quantized(model) -> bool:
    return any(type(layer).__module__.startswith("qkeras") for layer in model.layers)
