"""BENCHMARKS.md, written by the harness from its own measurements (never edited by hand)."""

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

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
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text + "\n")
    tmp.replace(path)
