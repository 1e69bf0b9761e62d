"""`make bench`: run every benchmark side by side in one process and write BENCHMARKS.md.

    python -m bench.run            # full sizes (minutes)
    python -m bench.run --quick    # tiny sizes: the smoke test that keeps the harness from rotting
    python -m bench.run --only pruning,distillation   # re-measure these sections; the others in --out are kept
    python -m bench.run --only mlperf   # the MLPerf Tiny reference models alone
    python -m bench.run --only fpga     # the FPGA estimate against published reports, beside rule4ml
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
from bench import compression, csim, e2e, fpga_estimate, mlperf_tiny, qat, report, sweep, tflite, zoo

FULL = {"samples": 20000, "cnn_samples": 5000, "resim_samples": 1000, "repeats": 3, "widths": (16, 64, 256),
        "scaling_samples": 5000, "qat_bits": [8, 6, 4, 3, 2], "qat_epochs": 30, "e2e_repeats": 3, "e2e_tiny": False,
        "tflite_epochs": 20, "tflite_samples": 360,
        "mlperf_samples": 1000, "mlperf_float_epochs": 10, "mlperf_qat_epochs": 5,
        "mlperf_models": tuple(mlperf_tiny.MODELS),
        "sweep_space": {"weight_bits": [8, 7, 6, 5, 4, 3]}, "sweep_epochs": 5, "front_sweep": True,
        "pruning_levels": [0.0, 0.5, 0.75, 0.9], "pruning_models": ("digits", "jet"), "pruning_epochs": 30,
        "jet_samples": 20000, "jet_epochs": 30,
        "distillation_bits": [4, 3, 2], "distillation_epochs": 30, "distillation_cases": compression.DISTILLATION_CASES,
        "distillation_seeds": compression.SEEDS, "zoo_models": None, "zoo_samples": 300}
QUICK = {"samples": 64, "cnn_samples": 32, "resim_samples": 16, "repeats": 1, "widths": (8,), "scaling_samples": 32,
         "qat_bits": [8, 4], "qat_epochs": 1, "e2e_repeats": 1, "e2e_tiny": True,
         "tflite_epochs": 1, "tflite_samples": 20,
         "mlperf_samples": 60, "mlperf_float_epochs": 1, "mlperf_qat_epochs": 1, "mlperf_models": ("kws_ds_cnn",),
         "sweep_space": {"weight_bits": [8]}, "sweep_epochs": 1, "front_sweep": False,
         "pruning_levels": [0.0, 0.75], "pruning_models": ("digits",), "pruning_epochs": 2, "jet_samples": 1000, "jet_epochs": 2,
         "distillation_bits": [2], "distillation_epochs": 1, "distillation_cases": compression.DISTILLATION_CASES[:1],
         "distillation_seeds": (0,), "zoo_models": zoo.QUICK_MODELS, "zoo_samples": 50}
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
    parser.add_argument("--only", type=_groups, help=f"comma-separated, of: {', '.join(GROUPS)}; the sections re-measured "
                                                     "replace theirs in --out, whose other sections are kept")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    warnings.filterwarnings("ignore")
    sizes = QUICK if args.quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="edgeaccel-bench-"))
    saved_cache = os.environ.get("EDGEACCEL_CACHE")
    if args.only:
        try:
            sections = [section for group in args.only for section in GROUPS[group](sizes, workdir)]
            report.replace_sections(args.out, sections, args.quick)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"bench: updated {', '.join(args.only)} in {args.out}", file=sys.stderr)
        return 0
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
        mlperf = mlperf_rows(sizes, workdir)
        sections = [report.csim_section(rows), report.scaling_section(scaling), report.tflite_section(host),
                    report.qat_section(accuracy), *fpga_sections(sizes, workdir), report.mlperf_section(mlperf)]
        sections += e2e_sections(sizes, workdir)
        sections += pruning_sections(sizes, workdir) + distillation_sections(sizes, workdir)
        sections += sweep_scaling_sections(sizes, workdir) + sweep_front_sections(sizes, workdir)
        sections += zoo_sections(sizes, workdir)
        report.write(args.out, sections, args.quick)
    finally:
        if saved_cache is None:
            os.environ.pop("EDGEACCEL_CACHE", None)
        else:
            os.environ["EDGEACCEL_CACHE"] = saved_cache
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


def mlperf_rows(sizes: dict, workdir: Path) -> list[dict]:
    print("bench: MLPerf Tiny reference models", file=sys.stderr)
    return [mlperf_tiny.run_reference(name, workdir / name, sizes["mlperf_samples"], sizes["mlperf_float_epochs"],
                                      sizes["mlperf_qat_epochs"]) for name in sizes["mlperf_models"]]


def fpga_sections(sizes: dict, workdir: Path) -> list[list[str]]:
    """The FPGA estimate against published reports (rule4ml beside it, except in the quick bench)."""
    print("bench: FPGA estimate against published reports", file=sys.stderr)
    splits = ("blind", "heldout", "fit")
    return [report.fpga_estimate_section(*(fpga_estimate.compare(split, with_rule4ml=sizes is not QUICK) for split in splits))]


def mlperf_sections(sizes: dict, workdir: Path) -> list[list[str]]:
    return [report.mlperf_section(mlperf_rows(sizes, workdir))]


def e2e_sections(sizes: dict, workdir: Path) -> list[list[str]]:
    print("bench: end to end", file=sys.stderr)
    project = e2e.REPO / "examples" / "digits.yaml"
    if sizes["e2e_tiny"]:
        project = workdir / "tiny.yaml"
        project.write_text(TINY_PROJECT)
    run = e2e.run_project(project, workdir / "e2e" / "build", sizes["e2e_repeats"])
    compile_ = e2e.csim_compile(workdir / "e2e" / "build" / "hls", workdir / "e2e" / "compile-cache", sizes["e2e_repeats"])
    return [report.e2e_section(run, compile_, project.name)]


def pruning_sections(sizes: dict, workdir: Path) -> list[list[str]]:
    print("bench: pruning", file=sys.stderr)
    pruning = [compression.pruning_levels(model, sizes["pruning_levels"], sizes["jet_epochs" if model == "jet" else "pruning_epochs"],
                                          sizes["jet_samples"], workdir / f"pruning-{model}") for model in sizes["pruning_models"]]
    return [report.pruning_section(pruning)]


def distillation_sections(sizes: dict, workdir: Path) -> list[list[str]]:
    print("bench: distillation", file=sys.stderr)
    distillation = [compression.distillation_gain(**case, bits=sizes["distillation_bits"], epochs=sizes["distillation_epochs"],
                                                  seeds=sizes["distillation_seeds"]) for case in sizes["distillation_cases"]]
    return [report.distillation_section(distillation)]


def sweep_scaling_sections(sizes: dict, workdir: Path) -> list[list[str]]:
    return [report.sweep_scaling_section(_sweep_scaling(sizes, workdir))]


def _sweep_scaling(sizes: dict, workdir: Path) -> dict:
    if "scaling" not in _MEASURED:
        print("bench: sweep scaling", file=sys.stderr)
        _MEASURED["scaling"] = (sweep.scaling(sizes["sweep_space"], sizes["sweep_epochs"], workdir / "sweep-scaling")
                                | {"epochs": sizes["sweep_epochs"]})
    return _MEASURED["scaling"]


def sweep_front_sections(sizes: dict, workdir: Path) -> list[list[str]]:
    if not sizes["front_sweep"]:  # quick: the front of the scaling grid stands in for the digits sweep
        scaling = _sweep_scaling(sizes, workdir)
        return [report.sweep_front_section(scaling["summaries"][2], "the scaling project", "its grid", scaling["loads"][2])]
    print("bench: sweep of examples/digits.yaml", file=sys.stderr)
    project, space = sweep.digits_sweep_files()
    load = os.getloadavg()[0]
    summary = sweep.run(project, space, workdir / "sweep-front")
    return [report.sweep_front_section(summary, "examples/digits.yaml", "examples/digits-sweep.yaml", load)]


_MEASURED: dict = {}  # the scaling runs, measured once per process (quick mode's front reuses them)
def zoo_sections(sizes: dict, workdir: Path) -> list[list[str]]:
    print("bench: zoo", file=sys.stderr)
    return [report.zoo_section(zoo.zoo_rows(sizes["zoo_models"], sizes["zoo_samples"], workdir / "zoo"))]


GROUPS = {"fpga": fpga_sections, "mlperf": mlperf_sections, "e2e": e2e_sections, "zoo": zoo_sections, "pruning": pruning_sections, "distillation": distillation_sections, "sweep-scaling": sweep_scaling_sections,
          "sweep-front": sweep_front_sections}


def _groups(text: str) -> list[str]:
    groups = [group.strip() for group in text.split(",") if group.strip()]
    unknown = [group for group in groups if group not in GROUPS]
    if unknown or not groups:
        raise argparse.ArgumentTypeError(f"expected some of {', '.join(GROUPS)}, received {text!r}")
    return groups


if __name__ == "__main__":
    sys.exit(main())
