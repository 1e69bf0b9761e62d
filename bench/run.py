"""`make bench`: run every benchmark side by side in one process and write BENCHMARKS.md.

    python -m bench.run            # full sizes (minutes)
    python -m bench.run --quick    # tiny sizes: the smoke test that keeps the harness from rotting
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import edgeaccel  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from bench import csim, e2e, fpga_estimate, mlperf_tiny, qat, report, tflite

FULL = {"samples": 20000, "cnn_samples": 5000, "resim_samples": 1000, "repeats": 3, "widths": (16, 64, 256),
        "scaling_samples": 5000, "qat_bits": [8, 6, 4, 3, 2], "qat_epochs": 30, "e2e_repeats": 3,
        "tflite_epochs": 20, "tflite_samples": 360,
        "mlperf_samples": 1000, "mlperf_float_epochs": 10, "mlperf_qat_epochs": 5,
        "mlperf_models": tuple(mlperf_tiny.MODELS)}
QUICK = {"samples": 64, "cnn_samples": 32, "resim_samples": 16, "repeats": 1, "widths": (8,), "scaling_samples": 32,
         "qat_bits": [8, 4], "qat_epochs": 1, "e2e_repeats": 1,
         "tflite_epochs": 1, "tflite_samples": 20,
         "mlperf_samples": 60, "mlperf_float_epochs": 1, "mlperf_qat_epochs": 1, "mlperf_models": ("kws_ds_cnn",)}
TINY_PROJECT = """name: tiny
data: {source: sklearn:digits}
model: {builtin: mlp, hidden: [8]}
training: {epochs: 1, float_baseline: false}
targets: {tflite: {mode: int8}, hls: {board: pynq-z2}}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    warnings.filterwarnings("ignore")
    sizes = QUICK if args.quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="edgeaccel-bench-"))
    saved_cache = os.environ.get("EDGEACCEL_CACHE")
    try:
        rows = []
        for model_fn, samples in ((csim.jet_mlp, sizes["samples"]), (csim.digits_cnn, sizes["cnn_samples"])):
            print(f"bench: csim {model_fn.__name__}", file=sys.stderr)
            rows.append(csim.compare_csim(model_fn, samples, sizes["resim_samples"], sizes["repeats"], workdir / model_fn.__name__))
        print("bench: csim scaling", file=sys.stderr)
        scaling = csim.scaling(sizes["widths"], sizes["scaling_samples"], sizes["repeats"], workdir / "scaling")
        print("bench: TFLite and TFLite Micro", file=sys.stderr)
        host = [tflite.compare_tflite(builtin, sizes["tflite_epochs"], sizes["tflite_samples"], sizes["repeats"],
                                      workdir / f"tflite-{builtin}") for builtin in ("mlp", "cnn")]
        print("bench: QAT accuracy against bits", file=sys.stderr)
        accuracy = [qat.accuracy_against_bits(builtin, sizes["qat_bits"], sizes["qat_epochs"]) for builtin in ("mlp", "cnn")]
        print("bench: MLPerf Tiny reference models", file=sys.stderr)
        mlperf = [mlperf_tiny.run_reference(name, workdir / name, sizes["mlperf_samples"], sizes["mlperf_float_epochs"],
                                            sizes["mlperf_qat_epochs"]) for name in sizes["mlperf_models"]]
        print("bench: end to end", file=sys.stderr)
        project = e2e.REPO / "examples" / "digits.yaml"
        if args.quick:
            project = workdir / "tiny.yaml"
            project.write_text(TINY_PROJECT)
        run = e2e.run_project(project, workdir / "e2e" / "build", sizes["e2e_repeats"])
        compile_ = e2e.csim_compile(workdir / "e2e" / "build" / "hls", workdir / "e2e" / "compile-cache", sizes["e2e_repeats"])
        print("bench: FPGA estimate against published reports", file=sys.stderr)
        fpga = [fpga_estimate.compare(split, with_rule4ml=not args.quick) for split in ("heldout", "fit")]
        report.write(args.out, [report.csim_section(rows), report.scaling_section(scaling), report.tflite_section(host),
                                report.qat_section(accuracy), report.fpga_estimate_section(*fpga), report.mlperf_section(mlperf),
                                report.e2e_section(run, compile_, project.name)], args.quick)
    finally:
        if saved_cache is None:
            os.environ.pop("EDGEACCEL_CACHE", None)
        else:
            os.environ["EDGEACCEL_CACHE"] = saved_cache
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
