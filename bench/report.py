"""BENCHMARKS.md, written by the harness from its own measurements (never edited by hand)."""

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from edgeaccel.staging import write_text_atomically

PACKAGES = ("tensorflow", "tf-keras", "qkeras", "hls4ml", "ai-edge-litert", "tflite-micro", "numpy")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    compiler = subprocess.run(["g++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return f"{cpu}, {os.cpu_count()} cores, {memory} GiB RAM, {platform.system()} {platform.release()}; {compiler}"


def versions() -> str:
    found = []
    for package in PACKAGES:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} (not installed)")
    return f"Python {platform.python_version()}, " + ", ".join(found)


def header(title: str, quick: bool) -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {title}", "", "Written by `make bench` (`python -m bench.run`); do not edit by hand.", "",
             f"- date: {now}", f"- machine: {machine()}", f"- versions: {versions()}",
             "- each figure is the median of its runs, with (min–max) beside it"]
    if quick:
        lines.append("- **quick mode** (tiny sizes, a smoke test): the figures are not meaningful")
    return lines + [""]


def csim_section(rows: list[dict]) -> list[str]:
    lines = ["## csim: hls4ml 1.3 `compile()` + `predict()` against edgeaccel", "",
             "Same precisions on both sides (edgeaccel's exact configuration), softmax dropped, QKeras logits as the reference.", "",
             "| model | hls4ml build s | edgeaccel cold build s | hls4ml samples/s | edgeaccel 1 core | edgeaccel all cores | scaling (goal) | bit-exact hls4ml / edgeaccel |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['hls4ml_build_s'].text()} | {r['edgeaccel_build_s'].text()} | "
                     f"{r['hls4ml_per_s'].text('{:.0f}')} | {r['edgeaccel_1core_per_s'].text('{:.0f}')} | "
                     f"{r['edgeaccel_all_per_s'].text('{:.0f}')} | {r['scaling']:.2f}× on {r['cores']} cores "
                     f"(≥ {r['scaling_goal']:.2f}×) | {r['exact_hls4ml']:.4f} / {r['exact_edgeaccel']:.4f} |")
    lines += ["", "Re-simulation after a weights-only retrain (same architecture and precisions):", "",
              "| model | hls4ml convert + compile + predict s | edgeaccel convert (cached library) + predict s | speed-up | edgeaccel `use_weights` + predict s | speed-up | bit-exact after reload |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['resim_hls4ml_s'].text()} | {r['resim_reconvert_s'].text()} | "
                     f"{r['resim_speedup_reconvert']:.1f}× | {r['resim_swap_s'].text()} | {r['resim_speedup_swap']:.1f}× | "
                     f"{r['exact_after_swap']:.4f} |")
    return lines + [""]


def scaling_section(rows: list[dict]) -> list[str]:
    lines = ["## csim scaling with model size (16-W-W-5 MLP, 8-bit, io_parallel)", "",
             "| width W | multiplications | cold build s | samples/s (all cores) |", "|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['width']} | {r['multiplications']} | {r['build_s'].text()} | {r['per_s'].text('{:.0f}')} |")
    return lines + [""]


def write(path: Path, sections: list[list[str]], quick: bool) -> None:
    text = "\n".join(header("edgeaccel benchmarks", quick) + [line for section in sections for line in section])
    write_text_atomically(path, text + "\n")


def qat_section(results: list[dict]) -> list[str]:
    lines = ["## QAT: test accuracy against bit width (digits, same seed and epochs)", "",
             "Weights, biases and activations at the given width, inputs at 8 bits; QAT starts from the float model's weights.",
             "Training is seeded and deterministic, so each figure is a single run.", ""]
    for result in results:
        widths = [row["bits"] for row in result["rows"]]
        lines += [f"**{result['model']}**, {result['epochs']} epoch(s)", "",
                  "| float | " + " | ".join(f"{b}-bit" for b in widths) + " |",
                  "|---:|" + "---:|" * len(widths),
                  f"| {result['float']:.4f} | " + " | ".join(f"{row['accuracy']:.4f}" for row in result["rows"]) + " |", ""]
    return lines


def e2e_section(run: dict, compile_: dict, project: str) -> list[str]:
    return ["## End to end", "",
            "| what | wall s | peak RSS MiB |", "|---|---:|---:|",
            f"| `edgeaccel run {project}` (the job `make demo` runs, after the install) | {run['seconds'].text()} | {run['peak_rss_mib'].text('{:.0f}')} |",
            f"| csim compilation of its hls artifact (cold cache) | {compile_['seconds'].text()} | {compile_['peak_rss_mib'].text('{:.0f}')} |",
            ""]


def tflite_section(rows: list[dict]) -> list[str]:
    lines = ["## TFLite and TFLite Micro on the host", "",
             "Per-inference latency with one sample per call, as on a device, through edgeaccel's backends (input "
             "quantization included): LiteRT's interpreter against the tflite-micro host interpreter (the kernels an MCU runs).", "",
             "| model | int8 bytes | float32 bytes | ratio | TFLM arena bytes | LiteRT µs/inference | TFLM µs/inference | agreement with QKeras LiteRT / TFLM |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['int8_bytes']} | {r['float32_bytes']} | {r['int8_bytes'] / r['float32_bytes']:.3f} | "
                     f"{r['arena_bytes']} | {r['litert_us'].text('{:.1f}')} | {r['tflm_us'].text('{:.1f}')} | "
                     f"{r['agreement_litert']:.4f} / {r['agreement_tflm']:.4f} |")
    return lines + [""]


FPGA_FIGURES = (("lut", "LUT"), ("ff", "FF"), ("dsp", "DSP"), ("bram18", "BRAM18"), ("latency_cycles", "latency cycles"))


def fpga_estimate_section(heldout: dict, fit: dict) -> list[str]:
    """The FPGA estimate against published reports it was not fitted on (the held-out families, and each
    fit family left out in turn), beside rule4ml on the same rows."""
    rule4ml_ran = heldout["summary"]["lut"]["rule4ml"] is not None or fit["summary"]["lut"]["rule4ml"] is not None
    lines = ["## FPGA estimate against published synthesis reports", "",
             "Median absolute error, |estimate - report| / report (a report of 0 counted as 1), on published hls4ml "
             "synthesis reports the estimate was not fitted on (`edgeaccel/estimate/data/fpga_reports.csv`). rule4ml 0.2.0 "
             "(its default GNN estimators) on the same rows: the same architecture, strategy, reuse factor, precision and "
             "tool version, on the closest board it knows; it rejects some architectures (recurrent layers, a QConv1D + "
             "GlobalAveragePooling1D network), and its column is then over the rows it estimated."
             + ("" if rule4ml_ran else " rule4ml was not run (the quick bench, or it is not installed: `pip install '.[bench]'`)."),
             ""]
    lines += _fpga_table(heldout, f"Held-out model families ({', '.join(sorted({r['family'] for r in heldout['rows']}))}), "
                                  f"{heldout['count']} rows, never fitted; edgeaccel with the shipped calibration:")
    lines += _fpga_table(fit, f"Fit families, each left out of the fit in turn ({fit['count']} rows); edgeaccel with the "
                              "coefficients fitted on the other families:")
    synthesis = heldout["synthesis"]
    lines += [f"The figures are the HLS C-synthesis report's. On the {synthesis['rows']} rows that also publish Vivado's "
              "`vivado_synth.rpt`, synthesis reported a median " + ", ".join(f"{synthesis[figure]:.2f}x the {figure.upper()}"
                                                                              for figure in ("lut", "ff", "dsp"))
              + " of the HLS report.", ""]
    lines += ["Per held-out row, estimate / report (rule4ml in brackets):", "",
              "| row | " + " | ".join(title for _, title in FPGA_FIGURES) + " | II |", "|---|" + "---:|" * (len(FPGA_FIGURES) + 1)]
    for row in heldout["rows"]:
        cells = []
        for figure in [f for f, _ in FPGA_FIGURES] + ["ii_cycles"]:
            entry = row["figures"][figure]
            other = "" if entry["rule4ml"] is None else f" ({entry['rule4ml']:.0f})"
            cells.append(f"{entry['edgeaccel']:.0f} / {entry['report']:.0f}{other}")
        lines.append(f"| {row['id']} | " + " | ".join(cells) + " |")
    return lines + [""]


def mlperf_section(rows: list[dict]) -> list[str]:
    lines = ["## MLPerf Tiny reference models through `edgeaccel run`", "",
             "Re-created from mlcommons/tiny's reference training code (bench/mlperf_tiny.py), float-trained then QAT-trained on "
             "synthetic data of the real input shapes (accuracy figures are on that data, not the benchmark's), converted to "
             "int8 TFLite, TFLite Micro (Nano 33 BLE) and Edge TPU. The reference figures are those of mlcommons/tiny's own int8 "
             "`.tflite` (REFERENCE.md). Arena: the smallest that allocates and invokes on tflite-micro's host interpreter.", "",
             "| model | int8 bytes (reference) | min arena bytes (reference) | ops | float | QKeras | TFLM | TFLM = LiteRT reference kernels | TFLM vs LiteRT optimized | Edge TPU ops mapped | flash estimate |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        b = r["backends"]
        metric = "accuracy" if r["task"] == "classification" else "mse"
        value = (lambda name: f"{b[name][metric]:.4f}" if metric == "accuracy" else f"MSE {b[name][metric]:.4g}, AUC {b[name].get('anomaly_auc') or 0:.3f}")
        optimized = r["tflm_vs_optimized"]
        agreement = (f"argmax {optimized['argmax_agreement']:.4f}" if "argmax_agreement" in optimized else f"r {optimized['correlation']:.4f}")
        lines.append(f"| {r['model']} ({r['dense']} Dense) | {r['int8_bytes']:,} ({r['reference']['bytes']:,}) | "
                     f"{r['arena_minimum']:,} ({r['reference']['arena']:,}) | {r['ops']} | {value('float')} | {value('qkeras')} | "
                     f"{value('tflm')} | {r['tflm_exact_vs_reference_kernels']:.4f} | {agreement}, exact {optimized['exact_fraction']:.4f} | "
                     f"{r['edgetpu']['edgetpu']} of {r['edgetpu']['ops']} | {r['flash_estimate']:,} |")
        if "per_channel" in r:
            lines.append(f"| {r['model']} (per_channel Dense) | {r['per_channel']['int8_bytes']:,} | {r['per_channel']['arena_minimum']:,} "
                         "| | | | | | | | |")
    return lines + [""]


def _fpga_table(result: dict, title: str) -> list[str]:
    summary, count, both = result["summary"], result["count"], result["summary"]["rule4ml_rows"]
    percent = lambda value: "n/a" if value is None else f"{100 * value:.1f}%"
    lines = [title, "", f"| figure | edgeaccel ({count} rows) | edgeaccel on rule4ml's {both} rows | rule4ml 0.2 ({both} rows) "
                        "| report within edgeaccel's range |", "|---|---:|---:|---:|---:|"]
    for figure, name in FPGA_FIGURES:
        entry = summary[figure]
        lines.append(f"| {name} | {percent(entry['edgeaccel'])} | {percent(entry['edgeaccel_on_rule4ml_rows'])} | "
                     f"{percent(entry['rule4ml'])} | {entry['within_range']} of {count} |")
    ii = summary["ii_cycles"]
    theirs = "n/a" if ii["rule4ml_exact"] is None else f"exact in {ii['rule4ml_exact']} of {both} ({percent(ii['rule4ml'])})"
    lines.append(f"| II | exact in {ii['edgeaccel_exact']} of {count} ({percent(ii['edgeaccel'])}) | | {theirs} | |")
    return lines + [""]
