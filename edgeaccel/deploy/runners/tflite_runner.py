"""edgeaccel deploy runner for .tflite models: Linux CPU boards, and Coral boards through the Edge TPU
delegate. Standalone: numpy and whichever TFLite interpreter the board has (tflite_runtime,
ai_edge_litert or tensorflow.lite), never edgeaccel.

    python3 tflite_runner.py --out results.json

It feeds the golden inputs (already quantized to the model's input tensor) one sample at a time,
and writes the raw output tensors with the per-sample latency to the results file.
"""

from __future__ import annotations

import importlib
import time

import numpy as np

from edgeaccel_results import HERE, fail, latency_summary, start, write_results

WARMUP = 5
INTERPRETERS = ("tflite_runtime.interpreter", "ai_edge_litert.interpreter", "tensorflow.lite")


def open_interpreter(model: str, delegate: str | None):
    """The first TFLite interpreter the board has, with `delegate` (e.g. libedgetpu.so.1) loaded."""
    missing = []
    for name in INTERPRETERS:
        try:
            module = importlib.import_module(name)
        except ImportError as e:
            missing.append(f"{name} ({e})")
            continue
        version = _version(name)
        load_delegate = getattr(module, "load_delegate", None) or getattr(getattr(module, "experimental", None), "load_delegate", None)
        delegates = []
        if delegate:
            try:
                delegates = [load_delegate(delegate)]
            except (ValueError, OSError, RuntimeError, TypeError) as e:
                fail(f"expected the delegate {delegate} to load (install the Edge TPU runtime, libedgetpu1-std), "
                     f"received: {e}")
        try:
            interpreter = module.Interpreter(model_path=model, experimental_delegates=delegates or None)
        except (ValueError, RuntimeError) as e:
            fail(f"expected {model} to load in {name} {version}, received: {e}")
        return interpreter, f"{name.split('.')[0]} {version}"
    fail(f"expected a TFLite interpreter on the board, received none: {'; '.join(missing)}")


def _version(module: str) -> str:
    try:
        from importlib import metadata
    except ImportError:
        return "(unknown version)"
    package = {"tflite_runtime": "tflite-runtime", "ai_edge_litert": "ai-edge-litert", "tensorflow": "tensorflow"}[module.split(".")[0]]
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "(unknown version)"


def main() -> None:
    out, bundle = start(__doc__.splitlines()[0])
    spec = bundle["runner_args"]
    interpreter, runtime = open_interpreter(str(HERE / spec["model"]), spec.get("delegate"))
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]
    sink = interpreter.get_output_details()[0]
    x = np.load(HERE / bundle["golden"]["inputs"], allow_pickle=False)
    expected = tuple(int(d) for d in source["shape"][1:])
    if x.shape[1:] != expected or x.dtype != source["dtype"]:
        fail(f"expected golden inputs of shape (N, {', '.join(map(str, expected))}) and dtype "
             f"{np.dtype(source['dtype']).name}, received {x.shape} {x.dtype}")
    for sample in x[:WARMUP]:
        interpreter.set_tensor(source["index"], sample[np.newaxis])
        interpreter.invoke()
    outputs, seconds = [], []
    for sample in x:
        began = time.perf_counter()
        interpreter.set_tensor(source["index"], sample[np.newaxis])
        interpreter.invoke()
        y = interpreter.get_tensor(sink["index"])
        seconds.append(time.perf_counter() - began)
        outputs.append(y[0].tolist())
    scale, zero_point = sink["quantization"]
    write_results(out, outputs, latency_summary(seconds), runtime, delegate=spec.get("delegate"),
                  output_dtype=np.dtype(sink["dtype"]).name, output_quantization=[float(scale), int(zero_point)])


if __name__ == "__main__":
    main()
