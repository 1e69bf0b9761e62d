"""Simulation backends, looked up by name. Each takes float inputs, quantizes them itself, and
returns raw outputs in the shape Keras `predict` gives."""

from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from edgeaccel.errors import ConfigError


class Backend(Protocol):
    name: str

    def predict(self, x: np.ndarray) -> np.ndarray: ...


def _keras(artifact: Path) -> Backend:
    from edgeaccel.sim.keras_backend import KerasBackend

    return KerasBackend(artifact)


def _tflite(artifact: Path) -> Backend:
    from edgeaccel.sim.tflite_backend import TfliteBackend

    return TfliteBackend(artifact)


def _tflite_reference(artifact: Path) -> Backend:
    from edgeaccel.sim.tflite_backend import TfliteBackend

    return TfliteBackend(artifact, reference_kernels=True)


def _csim(artifact: Path) -> Backend:
    from edgeaccel.sim.csim_backend import CsimBackend

    return CsimBackend(artifact)


def _tflm(artifact: Path) -> Backend:
    from edgeaccel.sim.tflm_backend import TflmBackend

    return TflmBackend(artifact)


BACKENDS: dict[str, Callable[[Path], Backend]] = {
    "keras": _keras,
    "tflite": _tflite,
    "tflite-ref": _tflite_reference,
    "csim": _csim,
    "tflm": _tflm,
}


def open_backend(name: str, artifact: Path | str) -> Backend:
    if name not in BACKENDS:
        raise ConfigError(f"--backend: expected one of {', '.join(BACKENDS)}, received {name!r}")
    return BACKENDS[name](Path(artifact))
