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


def fpga_estimate_section(blind: dict, heldout: dict, fit: dict) -> list[str]:
    """The FPGA estimate against published reports it was not fitted on (the held-out families whose errors
    no change of the estimate was written knowing, all held-out families, and each fit family left out in
    turn), beside rule4ml on the same rows."""
    from bench.fpga_calibration import BLIND_ROUNDS, SEEN_HELDOUT

    rule4ml_ran = heldout["summary"]["lut"]["rule4ml"] is not None or fit["summary"]["lut"]["rule4ml"] is not None
    lines = ["## FPGA estimate against published synthesis reports", "",
             "Median absolute error, |estimate - report| / report (a report of 0 counted as 1), on published hls4ml "
             "synthesis reports the estimate was not fitted on (`edgeaccel/estimate/data/fpga_reports.csv`). rule4ml 0.2.0 "
             "(its default GNN estimators) on the same rows: the same architecture, strategy, reuse factor, precision and "
             "tool version, on the closest board it knows; it rejects some architectures (recurrent layers and "
             "some convolutional networks), and its column is then over the rows it estimated."
             + ("" if rule4ml_ran else " rule4ml was not run (the quick bench, or it is not installed: `pip install '.[bench]'`)."),
             ""]
    lines += ["Earlier blind rounds: families gathered after the estimate was written, estimated with the calibration of "
              "the time, their errors recorded (`fpga_calibration.BLIND_ROUNDS`), then fitted:", "",
              "| round | rows | " + " | ".join(title for _, title in FPGA_FIGURES) + " | II exact | estimated with |",
              "|---|---:|" + "---:|" * len(FPGA_FIGURES) + "---:|---|"]
    for name, entry in BLIND_ROUNDS.items():
        errors = entry["median_error_percent"]
        lines.append(f"| {name}: {', '.join(entry['families'])} | {entry['rows']} | "
                     + " | ".join(f"{errors[figure]}%" for figure, _ in FPGA_FIGURES) + f" | {entry['ii_exact']} | {entry['with']} |")
    lines += [""] + [f"{name}, beside rule4ml: {entry['beside_rule4ml']}." for name, entry in BLIND_ROUNDS.items() if "beside_rule4ml" in entry]
    lines += [""]
    seen = sorted({r["family"] for r in heldout["rows"]} & set(SEEN_HELDOUT))
    lines += _fpga_table(blind, f"Blind: the held-out model families ({', '.join(sorted({r['family'] for r in blind['rows']})) or 'none'}), "
                                f"{blind['count']} rows, never fitted, and no change of the estimate was written knowing their errors; "
                                "edgeaccel with the shipped calibration:")
    lines += _fpga_table(heldout, f"All held-out model families ({', '.join(sorted({r['family'] for r in heldout['rows']}))}), "
                                  f"{heldout['count']} rows, never fitted; edgeaccel with the shipped calibration. "
                                  + "".join(f"Not blind: {family}: {SEEN_HELDOUT[family]}. " for family in seen))
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
             "`.tflite` (REFERENCE.md). Arena: the smallest that allocates and invokes on tflite-micro's host interpreter. "
             "Tensor names (the converter's debugging strings from Keras names) are counted in the int8 bytes.", "",
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
    if both:
        lines += ["", f"edgeaccel's error is below rule4ml's on every figure in {summary['rows_beating_rule4ml']} of the {both} rows "
                      "rule4ml estimated."]
    return lines + [""]


def sweep_scaling_section(result: dict) -> list[str]:
    lines = ["## Sweep: trials per minute with 1 and 2 workers (local Ray)", "",
             f"The same {result['trials']}-trial grid (digits MLP 32, {result['epochs']} epochs, HLS for the PYNQ-Z2, csim and "
             "estimate per trial; every trial a different design, so none reuses another's csim build), once with one trial "
             "at a time and once with two, each on a fresh local Ray with its own csim cache; one core per trial. The load "
             "average is the machine's (other work slows a run down; a trial's CPU seconds against its wall seconds show how much).", "",
             "| workers | load average (1 min) at the start | wall s | trials per minute | median trial s | median trial CPU s |",
             "|---:|---:|---:|---:|---:|---:|"]
    for workers in (1, 2):
        seconds = sorted(s for s in result["trial_seconds"][workers] if s is not None)
        cpu = sorted(s for s in result["cpu_seconds"][workers] if s is not None)
        lines.append(f"| {workers} | {result['loads'][workers]:.2f} | {result['seconds'][workers]:.1f} | {result['per_minute'][workers]:.2f} | "
                     f"{seconds[len(seconds) // 2]:.1f} | {cpu[len(cpu) // 2]:.1f} |")
    return lines + ["", f"Scaling from 1 to 2 workers: {result['ratio']:.2f}× (2 cores).", ""]


def sweep_front_section(summary: dict, project: str, space: str, load: float) -> list[str]:
    d = summary["against_default"]
    rows = {row["trial"]: row for row in summary["rows"]}
    lines = [f"## Sweep: the Pareto front against the default configuration ({project}, PYNQ-Z2)", "",
             f"`edgeaccel sweep {project} --space {space}`: {summary['trials']} trials ({summary['finished']} finished) in "
             f"{summary['seconds']:.0f} s on {summary['cluster']['cpus']} cores, one trial per core. Load average (1 min) "
             f"before the run: {load:.2f}.", ""]
    if not d["compared"]:
        return lines + [f"Not compared: {d['reason']}.", ""]
    default = rows[d["default"]]
    lines += [f"Default (the project's own configuration): accuracy {default['accuracy']:.4f}, LUT {default['lut']} "
              f"({default['lut_percent']}%), scarcest {default['scarcest'].upper()} {default['scarcest_percent']}%.", "",
              "| trial | configuration | accuracy | Δ accuracy | LUT | LUT × default | scarcest | multipliers | csim bit-exact |",
              "|---|---|---:|---:|---:|---:|---|---:|---:|"]
    for point in d["front"]:
        row = rows[point["trial"]]
        c = row["configuration"]
        lines.append(f"| `{point['trial']}`{' (default)' if row['default'] else ''} | {c['weight_bits']}-bit, sparsity "
                     f"{c['sparsity']}, hidden {c['hidden']} | {row['accuracy']:.4f} | {point['accuracy_change']:+.4f} | "
                     f"{row['lut']} | {point['lut_ratio']:.2f} | {row['scarcest'].upper()} {row['scarcest_percent']}% | "
                     f"{row['multipliers']} | {row['fidelity_exact']:.4f} |")
    cheapest = d["cheapest_within_tolerance"]
    half = [f"`{p['trial']}`" for p in d["front"]
            if p["lut_ratio"] is not None and p["lut_ratio"] <= 0.5 and p["accuracy_change"] >= -0.01]
    lines += ["", (f"Cheapest front point within 1 point of the default's accuracy: `{cheapest['trial']}`, "
                   f"{cheapest['lut_ratio']:.2f}× its LUTs at {cheapest['accuracy_change']:+.4f} accuracy." if cheapest else
                   "No front point is within 1 point of the default's accuracy."),
              f"Front points with at most half the default's LUTs and at most 1 point of accuracy lost: "
              f"{', '.join(half) if half else 'none'}.", ""]
    return lines


def pruning_section(results: list[dict]) -> list[str]:
    lines = ["## Pruning: accuracy, estimated multipliers, DSP and LUT, csim exactness", "",
             "tensorflow-model-optimization's prune_low_magnitude around the QKeras layers during QAT (the hls4ml tutorial's "
             "flow), HLS for the PYNQ-Z2 at reuse factor 1 (Latency strategy: products by zero weights removed), same seed and "
             "epochs at every sparsity. Multipliers, DSP and LUT are edgeaccel's FPGA estimate (non-zero weights only, powers "
             "of two as shifts). csim bit-exact: the logits against QKeras's; csim accuracy and agreement go through the "
             "design's hardware softmax.", ""]
    for result in results:
        lines += [f"**{result['model']}**, {result['epochs']} epochs", "",
                  "| sparsity | QKeras accuracy | csim accuracy | csim argmax agreement | csim bit-exact | zero weights | multipliers | fewer multipliers | DSP | LUT (%) |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in result["rows"]:
            lines.append(f"| {r['sparsity']:.0%} | {r['qkeras_accuracy']:.4f} | {r['csim_accuracy']:.4f} | {r['csim_agreement']:.4f} | {r['csim_bit_exact']:.4f} | "
                         f"{r['zero_weights']:.1%} | {r['multipliers']} | {r['multiplier_reduction']:.2f}× | {r['dsp']} | "
                         f"{r['lut']} ({r['lut_percent']}%) |")
        broken = [r for r in result["rows"] if r["csim_bit_exact"] == 1.0 and r["csim_agreement"] < 0.9]
        if broken:
            levels = ", ".join(f"{r['sparsity']:.0%}" for r in broken)
            lines += ["", f"**The hardware softmax disagrees**: at {levels} sparsity the logits "
                      "are bit-exact with QKeras's but the argmax after the design's softmax agrees in only "
                      f"{min(r['csim_agreement'] for r in broken):.1%}–{max(r['csim_agreement'] for r in broken):.1%} of "
                      "samples: the softmax stage is wrong at this precision, not the pruned layers before it."]
        lines.append("")
    return lines


def distillation_section(results: list[dict]) -> list[str]:
    lines = ["## Distillation: QAT accuracy with and without a teacher (digits)", "",
             "For each seed, plain and distilled QAT start from the same float student with the same shuffling and epochs "
             "(early stopping on a 10% validation split, as a project trains); accuracies are means over the seeds, and the "
             "gain of each seed is listed. Weights, biases and activations at the given width, inputs at 8 bits.", ""]
    for result in results:
        lines += [f"**{result['model']}** student, teacher: {result['teacher']} (test accuracy {result['teacher_accuracy']:.4f}; "
                  f"on its training samples {result['teacher_train_accuracy']:.4f}, with a mean softened top-class probability "
                  f"of {result['teacher_softened_confidence']:.3f}), "
                  f"temperature {result['temperature']:g}, alpha {result['alpha']:g}, up to {result['epochs']} epochs, "
                  f"{result['seeds']} seed(s)", "",
                  "| bits | plain QAT | distilled | gain | gain per seed |", "|---:|---:|---:|---:|---|"]
        for r in result["rows"]:
            lines.append(f"| {r['bits']} | {r['plain']:.4f} | {r['distilled']:.4f} | {r['gain']:+.4f} | "
                         f"{', '.join(f'{g:+.4f}' for g in r['gains'])} |")
        unresolved = [r for r in result["rows"] if len(r["gains"]) > 1 and min(r["gains"]) <= 0 <= max(r["gains"])]
        if unresolved:
            lines += ["", "No gain resolved at " + ", ".join(f"{r['bits']} bits" for r in unresolved) + ": the seeds' gains "
                      "straddle zero, so the mean is within their spread."]
        lines.append("")
    return lines


def replace_sections(path: Path, sections: list[list[str]], quick: bool) -> None:
    """Put re-measured sections in place of theirs (same heading) in the benchmarks file at `path`, or at
    its end; each says when it was measured, since the file's header dates the other sections."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = path.read_text() if path.is_file() else "\n".join(header("edgeaccel benchmarks", quick))
    parts = text.rstrip("\n").split("\n## ")
    kept, existing = parts[0], {part.split("\n", 1)[0]: part.rstrip("\n") + "\n" for part in parts[1:]}
    for section in sections:
        heading = section[0].removeprefix("## ")
        note = f"_Re-measured alone by `python -m bench.run --only ...` on {now}{' (quick mode)' if quick else ''}._"
        existing[heading] = "\n".join([heading, "", note] + section[1:]).rstrip("\n") + "\n"
    write_text_atomically(path, "\n## ".join([kept.rstrip("\n") + "\n"] + list(existing.values())) + "\n")


def zoo_section(rows: list[dict]) -> list[str]:
    lines = ["## Zoo: published models through edgeaccel and through hls4ml 1.3's defaults", "",
             "Other people's models re-created in `tests/zoo/published.py` (sources cited there), random weights at their "
             "initializers' scale. edgeaccel: converted as published or the one-line refusal; csim against its fixed-point "
             "reference (logits bit-exact fraction; softmax argmax agreement); build = convert + csim compile in a child "
             "process with a cold cache, peak RSS of it and its compilers (one run each). hls4ml 1.3: `config_from_keras_model(granularity="
             "'name')` and `compile()` with the io_type edgeaccel chose, its `predict()` against QKeras on the same float "
             "inputs.", "",
             "| model | edgeaccel | bit-exact (logits) | argmax | build s | peak RSS MiB | hls4ml 1.3 default: bit-exact |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        hls4ml = r["hls4ml"]
        baseline = f"{hls4ml['bit_exact']:.4f}" if hls4ml["ok"] else f"fails: {hls4ml['error']}"
        if not r["converted"]:
            lines.append(f"| {r['model']} | refused: {r['refusal']} | | | | | {baseline} |")
            continue
        argmax = "" if r["argmax"] is None else f"{r['argmax']:.4f}"
        lines.append(f"| {r['model']} | {'bit-exact' if r['ok'] else 'differs'} | {r['bit_exact']:.4f} | {argmax} | "
                     f"{r['build_s']:.0f} | {r['peak_rss_mib']:.0f} | {baseline} |")
    converted = [r for r in rows if r["converted"]]
    exact = sum(1 for r in converted if r["ok"])
    baseline = sum(1 for r in rows if r["hls4ml"]["ok"] and r["hls4ml"]["bit_exact"] == 1.0)
    lines += ["", f"edgeaccel: {len(converted)} of {len(rows)} converted as published, {exact} of them bit-exact; "
                  f"{len(rows) - len(converted)} refused by name. hls4ml 1.3 with its default configuration: "
                  f"{baseline} of {len(rows)} bit-exact.", ""]
    return lines
