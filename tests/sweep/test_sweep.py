"""`edgeaccel sweep` on real Ray, through the CLI: a 4-trial grid on digits on a local Ray, the same
sweep on a two-node cluster (`ray start --head` + `ray start --address`), `--best`, and a resume
after the driver is killed mid-sweep. Each trial really trains, converts to HLS, compiles and runs
csim and estimates; the models are tiny (16 hidden units, 2 epochs) to keep the suite fast."""

import csv
import json
import os
import signal
import subprocess
import time

import pytest
import yaml

from cluster import ray_cluster  # noqa: F401  (the two-node cluster fixture)
from conftest import EDGEACCEL, REPO, error_line, run_cli

TINY_PROJECT = {
    "name": "tiny",
    "data": {"source": "sklearn:digits", "seed": 0},
    "model": {"builtin": "mlp", "hidden": [16]},
    "quantization": {"activation_integer": 2},
    "training": {"epochs": 2, "float_baseline": False},
    "targets": {"tflite": {"mode": "int8"}, "hls": {"board": "pynq-z2", "reuse_factor": 1}},
}
GRID = {"weight_bits": [8, 4], "sparsity": [0.0, 0.5]}  # the project's own (8 bits, unpruned) is one of the 4


def write_inputs(directory, space=GRID):
    directory.mkdir(parents=True, exist_ok=True)
    project, space_file = directory / "tiny.yaml", directory / "space.yaml"
    project.write_text(yaml.safe_dump(TINY_PROJECT))
    space_file.write_text(yaml.safe_dump(space))
    return project, space_file


def sweep(project, space, out, *extra, env=None):
    result = subprocess.run([*EDGEACCEL, "sweep", str(project), "--space", str(space), "--out", str(out), "--quiet",
                             "--json", *map(str, extra)], cwd=REPO, capture_output=True, text=True,
                            env=(env or os.environ) | {"PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    directory = tmp_path_factory.mktemp("local-sweep")
    project, space = write_inputs(directory)
    return directory / "out", sweep(project, space, directory / "out")


def dominated(row, rows):
    cost = lambda r: max(r[f"{name}_percent"] for name in ("lut", "ff", "dsp", "bram18"))  # noqa: E731
    return any(other["accuracy"] >= row["accuracy"] and cost(other) <= cost(row) and
               (other["accuracy"] > row["accuracy"] or cost(other) < cost(row)) for other in rows)


def test_a_four_trial_grid_on_local_ray(local_sweep):
    directory, summary = local_sweep
    rows = summary["rows"]
    assert summary["cluster"]["address"] == "local" and summary["trials"] == 4 and summary["finished"] == 4
    assert [row["status"] for row in rows] == ["ok"] * 4
    default = [row for row in rows if row["default"]]
    assert len(default) == 1 and default[0]["configuration"]["weight_bits"] == 8 and default[0]["configuration"]["sparsity"] == 0
    configurations = {(row["configuration"]["weight_bits"], row["configuration"]["sparsity"]) for row in rows}
    assert configurations == {(8, 0.0), (8, 0.5), (4, 0.0), (4, 0.5)}
    for row in rows:
        assert row["target"] == "hls" and row["fidelity_exact"] == 1.0, row  # csim logits equal QKeras's bit for bit
        assert row["fidelity_samples"] == 360 and row["agreement"] >= 0.9  # through the hardware softmax, 2 epochs
        # one core per trial: TensorFlow's pools and csim's threads at 1, and never more than a core's CPU time
        assert row["threads"] == {"budget": 1, "csim": 1, "tensorflow_intra_op": 1, "tensorflow_inter_op": 1}
        assert row["cpu_seconds"] <= 1.25 * row["seconds"] + 2.0, row
        assert (directory / "trials" / row["trial"] / "build" / "metrics.json").is_file()
        assert (directory / "trials" / row["trial"] / "project.yaml").is_file()
    by_configuration = {(row["configuration"]["weight_bits"], row["configuration"]["sparsity"]): row for row in rows}
    for bits in (8, 4):
        pruned, dense = by_configuration[(bits, 0.5)], by_configuration[(bits, 0.0)]
        assert pruned["zero_weights"] >= 0.5 and pruned["multipliers"] < dense["multipliers"] and pruned["lut"] < dense["lut"]
    # at 8 bits almost no weight rounds to zero, so halving the weights nearly halves the multipliers (a few of the
    # small weights pruning removes were powers of two, shifts rather than multipliers already);
    # at 4 bits the quantizer alone zeroes a fifth of them, and pruning takes the smallest half of what is left and more
    assert by_configuration[(8, 0.5)]["multipliers"] <= 0.6 * by_configuration[(8, 0.0)]["multipliers"]
    assert by_configuration[(4, 0.0)]["zero_weights"] > by_configuration[(8, 0.0)]["zero_weights"]
    front = set(summary["front"]["pynq-z2"])
    assert front == {row["trial"] for row in rows if not dominated(row, rows)}
    assert all(row["on_front"] == (row["trial"] in front) for row in rows)
    with open(directory / "sweep.csv") as f:
        table = list(csv.DictReader(f))
    assert [line["trial"] for line in table] == [row["trial"] for row in rows]
    assert {line["lut"] for line in table} == {str(row["lut"]) for row in rows}
    html = (directory / "sweep.html").read_text()
    assert "Pareto front: pynq-z2" in html and "data:image/png;base64," in html and default[0]["trial"] in html


def test_best_picks_the_most_accurate_trial_within_the_limit(local_sweep, tmp_path):
    from edgeaccel.project import load_project

    directory, summary = local_sweep
    rows = summary["rows"]
    limit = sorted(row["lut_percent"] for row in rows)[1] / 100  # two of the four trials qualify
    eligible = [row for row in rows if row["lut_percent"] <= 100 * limit]
    expected = min(eligible, key=lambda row: (-row["accuracy"], row["scarcest_percent"], row["trial"]))
    result = run_cli("sweep", "--best", "--out", directory, "--max-lut", limit, "-o", tmp_path / "best.yaml", "--json",
                     check=True)
    assert json.loads(result.stdout)["trial"] == expected["trial"]
    best = load_project(tmp_path / "best.yaml")
    assert best.quantization.weight_bits == expected["configuration"]["weight_bits"]
    assert (best.training.pruning.target_sparsity if best.training.pruning else 0.0) == expected["configuration"]["sparsity"]
    assert best.targets.hls.board == "pynq-z2" and best.targets.hls.reuse_factor == 1
    assert best.targets.tflite is not None, "the project's other targets are kept"

    assert "did you mean 0.8?" in error_line(run_cli("sweep", "--best", "--out", directory, "--max-lut", 80))
    line = error_line(run_cli("sweep", "--best", "--out", directory, "--max-lut", 0.0001))
    assert "received none among 4" in line and "the smallest is" in line


def test_the_same_sweep_on_a_two_node_cluster(ray_cluster, local_sweep, tmp_path):
    project, space = write_inputs(tmp_path)
    summary = sweep(project, space, tmp_path / "out", "--address", ray_cluster.address, env=ray_cluster.env)
    assert summary["cluster"]["nodes"] == 2 and summary["cluster"]["cpus"] == 2
    rows = {row["trial"]: row for row in summary["rows"]}
    assert len(rows) == 4 and all(row["status"] == "ok" for row in rows.values())
    assert len({row["ray_node"] for row in rows.values()}) == 2, "the trials ran on both nodes"
    local = {row["trial"]: row for row in local_sweep[1]["rows"]}
    assert rows.keys() == local.keys()
    for trial, row in rows.items():  # seeded, deterministic training: the same rows as on the local Ray
        for measured in ("accuracy", "qkeras_accuracy", "fidelity_exact", "multipliers", "lut", "ff", "dsp", "latency_cycles"):
            assert row[measured] == local[trial][measured], (trial, measured)


def test_resume_after_killing_the_driver_reruns_no_finished_trial(tmp_path):
    project, space = write_inputs(tmp_path, {"sparsity": [0.0, 0.5]})
    out = tmp_path / "out"
    driver = subprocess.Popen([*EDGEACCEL, "sweep", str(project), "--space", str(space), "--out", str(out), "--quiet",
                               "--max-concurrent", "1"], cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not list(out.glob("trials/*/row.json")):
            assert driver.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no trial finished in 600 s"
            time.sleep(0.5)
    finally:
        driver.kill()  # SIGKILL: no chance to save anything
        driver.wait()
        try:
            os.killpg(driver.pid, signal.SIGKILL)  # the local Ray's processes the driver left behind
        except ProcessLookupError:
            pass
    finished = {path.parent.name: path.read_text() for path in out.glob("trials/*/row.json")}
    assert len(finished) == 1 and not (out / "sweep.json").exists()

    line = error_line(run_cli("sweep", project, "--space", space, "--out", out))
    assert "expected a directory without a sweep (or --resume to continue it)" in line

    summary = sweep(project, space, out, "--resume")
    assert summary["trials"] == 2 and summary["finished"] == 2
    for trial, text in finished.items():
        assert (out / "trials" / trial / "row.json").read_text() == text, f"{trial} ran again"
    pids = {row["pid"] for row in summary["rows"]}
    assert len(pids) >= 2, "the trials after the kill ran in new processes"


@pytest.mark.zoo
def test_an_optuna_search_runs_the_default_then_tpe_suggestions(tmp_path):
    project, space = write_inputs(tmp_path, {"weight_bits": [8, 6, 4], "sparsity": [0.0, 0.5], "hidden": [[16], [8]]})
    summary = sweep(project, space, tmp_path / "out", "--search", "optuna", "--trials", 4)
    rows = summary["rows"]
    assert summary["search"] == "optuna" and rows[0]["default"] and rows[0]["parameters"] == {"board": "pynq-z2"}
    assert summary["trials"] + summary["suggested_twice"] == 5, "the default, then 4 suggestions"
    assert all(row["status"] == "ok" and row["fidelity_exact"] == 1.0 for row in rows)
    for row in rows[1:]:
        assert set(row["parameters"]) == {"weight_bits", "sparsity", "hidden", "board"}
        assert row["parameters"]["hidden"] in ([16], [8]) and row["configuration"]["hidden"] == row["parameters"]["hidden"]


@pytest.mark.zoo
def test_mcu_boards_build_tflite_micro_trials_whose_front_is_flash_and_ram(tmp_path):
    project, space = write_inputs(tmp_path, {"board": ["nano33ble", "rpi-pico"], "sparsity": [0.0, 0.5]})
    summary = sweep(project, space, tmp_path / "out")
    mcu = [row for row in summary["rows"] if row["parameters"]["board"] != "pynq-z2"]
    assert len(mcu) == 4 and all(row["status"] == "ok" and row["target"] == "tflm" for row in mcu)
    for row in mcu:
        assert row["flash_bytes"] > row["arena_bytes"] > 0 and 0 < row["ram_percent"] < 100
        assert row["fidelity"].startswith("TFLite Micro outputs against") and row["fidelity_exact"] >= 0.95
        assert "no flash or time saved" in row["sparse_weights"]
    for board in ("nano33ble", "rpi-pico"):
        dense, pruned = (next(r for r in mcu if r["parameters"]["board"] == board and r["configuration"]["sparsity"] == s)
                         for s in (0.0, 0.5))
        assert pruned["flash_bytes"] == dense["flash_bytes"], "TFLite Micro stores zero weights like any other"
        (front,) = summary["front"][board]  # equal flash and RAM: only the more accurate is on the front
        assert front in (dense["trial"], pruned["trial"])
        assert next(r for r in mcu if r["trial"] == front)["accuracy"] == max(dense["accuracy"], pruned["accuracy"])


def test_sweep_html_loads_in_chromium_with_the_front(local_sweep, tmp_path):
    import re
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: expected .ci/run / make test to install Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    directory, summary = local_sweep
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", (directory / "sweep.html").as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    headings = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", dom, flags=re.S)]
    assert headings == ["Against the project's own configuration", "Pareto front: pynq-z2", "Every trial"]
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', dom)) == 1
    for trial in summary["front"]["pynq-z2"]:
        assert f"<code>{trial}</code>" in dom
