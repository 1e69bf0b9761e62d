"""TFLite and TFLite Micro on the host: per-inference latency (LiteRT against the TFLM host
interpreter, one sample per invoke as on a device), size against the float model, agreement with QKeras."""

import time
from pathlib import Path

import numpy as np
import yaml

from bench.timing import Stat


def compare_tflite(builtin: str, epochs: int, samples: int, repeats: int, workdir: Path) -> dict:
    from edgeaccel.targets import ConvertRequest, convert
    from edgeaccel.data import read_npz
    from edgeaccel.pipeline import train_project
    from edgeaccel.sim import open_backend

    workdir.mkdir(parents=True, exist_ok=True)
    project = {"name": builtin, "data": {"source": "sklearn:digits"}, "model": {"builtin": builtin, "hidden": [32]},
               "training": {"epochs": epochs, "float_baseline": False}}
    (workdir / "project.yaml").write_text(yaml.safe_dump(project))
    build = train_project(workdir / "project.yaml", workdir / "build", progress=False)
    model = build.directory / "model.h5"
    int8 = convert(ConvertRequest(model, workdir / "int8"), "tflite")
    float32 = convert(ConvertRequest(model, workdir / "float32", options={"mode": "float32"}), "tflite")
    tflm = convert(ConvertRequest(model, workdir / "tflm", board="nucleo-l4r5zi"), "tflm")
    x, _ = read_npz(build.directory / "test.npz")
    x = x[:samples]
    reference = open_backend("keras", model).predict(x).argmax(1)
    litert = open_backend("tflite", int8.directory)
    micro = open_backend("tflm", tflm.directory)
    return {
        "model": f"digits {builtin}",
        "int8_bytes": int8.details["bytes"],
        "float32_bytes": float32.details["bytes"],
        "arena_bytes": tflm.details.get("arena_bytes"),
        "litert_us": _per_sample(litert, x, repeats),
        "tflm_us": _per_sample(micro, x, repeats),
        "agreement_litert": float(np.mean(litert.predict(x).argmax(1) == reference)),
        "agreement_tflm": float(np.mean(micro.predict(x).argmax(1) == reference)),
    }


def _per_sample(backend, x: np.ndarray, repeats: int) -> Stat:
    """Median microseconds per inference, one sample per call (a device's situation)."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for sample in x:
            backend.predict(sample[np.newaxis])
        runs.append(1e6 * (time.perf_counter() - start) / len(x))
    ordered = sorted(runs)
    return Stat(ordered[len(ordered) // 2], ordered[0], ordered[-1], len(ordered))
