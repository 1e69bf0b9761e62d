"""The reference backend: the QKeras (or float Keras) model itself, run by tf_keras."""

from pathlib import Path

import numpy as np

from edgeaccel.data import check_against_input
from edgeaccel.errors import ModelError
from edgeaccel.quantize.grid import input_grid


class KerasBackend:
    name = "keras"

    def __init__(self, artifact: Path, batch_size: int = 1024):
        from edgeaccel.models.files import input_shape, load_model

        path = artifact / "model.h5" if artifact.is_dir() else artifact
        if path.suffix != ".h5":
            raise ModelError(f"{artifact}: expected a Keras .h5 file or a build directory holding model.h5, received {path.name}")
        self.model = load_model(path)
        self.input_shape = input_shape(self.model)
        self.grid = input_grid(self.model)
        self.batch_size = batch_size

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's outputs; inputs are snapped to its input grid first, as every backend does. (QKeras's
        straight-through quantizer computes x + (q(x) - x), which loses q(x) in float32 when |x| is huge.)"""
        check_against_input(x, self.input_shape, "x")
        if self.grid is not None:
            x = self.grid.quantize(x)
        return np.asarray(self.model.predict(x.astype(np.float32), batch_size=self.batch_size, verbose=0))
