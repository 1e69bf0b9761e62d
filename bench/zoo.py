"""The zoo table: other people's published models (tests/zoo/published.py) through edgeaccel's hls target,
and through hls4ml 1.3 as its documentation converts them (`config_from_keras_model(granularity='name')`,
default precision fixed<16,6>, compile(), predict(), with the io_type edgeaccel chose).

For each model: whether edgeaccel converts it as published (or the one-line refusal), how much of csim is
bit-exact with the fixed-point reference (logits; softmax argmax agreement), how much of hls4ml's default
build is bit-exact with QKeras on the same inputs (or why it fails), and edgeaccel's build time (convert and
csim compile, in a child process with a cold cache) and peak memory (of that child and the g++ processes it ran).
"""

import contextlib
import io
import os
import sys
from pathlib import Path

import numpy as np

from bench.e2e import REPO, measured

sys.path.insert(0, str(REPO / "tests"))

QUICK_MODELS = ("hls4ml_dense_activation_exact",)
_BUILD = """
import sys, edgeaccel
from pathlib import Path
from edgeaccel.targets import ConvertRequest, convert
from edgeaccel.errors import EdgeAccelError
from edgeaccel.sim.csim_backend import CsimBackend
directory = Path(sys.argv[1])
try:
    artifact = convert(ConvertRequest(directory / "model.h5", directory / "hls", board="pynq-z2"), "hls")
except EdgeAccelError as e:
    print(e, file=sys.stderr)
    sys.exit(2)
CsimBackend(artifact.directory)
"""


def zoo_rows(names: list[str] | None, samples: int, workdir: Path) -> list[dict]:
    from zoo.published import ZOO

    rows = []
    for entry in ZOO:
        if names is None or entry.name in names:
            print(f"bench: zoo {entry.name}", file=sys.stderr)
            rows.append(zoo_row(entry, samples, workdir / entry.name))
    return rows


def zoo_row(entry, samples: int, directory: Path) -> dict:
    from edgeaccel.data import write_npz
    from edgeaccel.models.files import save_model
    from zoo.published import randomized

    directory.mkdir(parents=True, exist_ok=True)
    model = entry.build() if entry.own_weights else randomized(entry.build())
    save_model(model, directory / "model.h5")
    write_npz(directory / "calib.npz", entry.inputs(500, 0))
    x = entry.inputs(samples, 1)
    row = {"model": entry.name, "source": entry.source}
    cache = directory / "cache"
    try:
        seconds, peak = measured([sys.executable, "-c", _BUILD, str(directory)], {"EDGEACCEL_CACHE": str(cache)})
    except RuntimeError as e:
        return row | {"converted": False, "refusal": _last_line(str(e)),
                      "hls4ml": _hls4ml_default(model, x, directory / "hls4ml", "io_parallel")}
    os.environ["EDGEACCEL_CACHE"] = str(cache)
    from edgeaccel.sim.csim_backend import CsimBackend
    from edgeaccel.sim.fidelity import csim_fidelity

    csim = CsimBackend(directory / "hls")
    fidelity = csim_fidelity(csim, None, x)
    row["hls4ml"] = _hls4ml_default(model, x, directory / "hls4ml", csim.artifact.details.io_type)
    return row | {"converted": True, "build_s": seconds, "peak_rss_mib": peak, "bit_exact": fidelity["bit_exact_fraction"],
                  "outputs_exact": fidelity["outputs"]["bit_exact_fraction"],
                  "argmax": (fidelity["softmax"] or {}).get("argmax_agreement"), "ok": fidelity["ok"]}


def _hls4ml_default(model, x: np.ndarray, directory: Path, io_type: str) -> dict:
    """hls4ml 1.3's documented conversion with its default config, compiled and run on `x` against QKeras
    (with edgeaccel's io_type: io_parallel would take many minutes and gigabytes on the CIFAR-10 CNNs)."""
    from edgeaccel.convert.hls4ml_adapter import default_hls4ml_graph

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            graph = default_hls4ml_graph(model, directory, io_type=io_type)
            graph.compile()
            predicted = np.asarray(graph.predict(np.ascontiguousarray(x.reshape(len(x), -1).astype(np.float64))))
    except Exception as e:  # noqa: BLE001 - any failure of hls4ml is the finding this column reports
        return {"ok": False, "error": f"{type(e).__name__}: {_last_line(str(e))}"[:120]}
    reference = np.asarray(model.predict(x, verbose=0)).reshape(len(x), -1)
    predicted = predicted.reshape(len(x), -1)
    return {"ok": True, "bit_exact": float(np.mean(np.all(predicted == reference, axis=1))),
            "argmax": float(np.mean(predicted.argmax(1) == reference.argmax(1))) if reference.shape[1] > 1 else None}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].removeprefix("edgeaccel: error: ") if lines else text
