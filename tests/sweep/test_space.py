"""SPACE.yaml, the trial projects made from it, and bad sweep input: one line, exit 2, before Ray starts."""

import numpy as np
import pytest
import yaml

from conftest import error_line, run_cli
from edgeaccel.sweep.space import SweepProject, grid, load_space, project_with, trial_name, trial_project

PROJECT = {
    "name": "p",
    "data": {"source": "data.npz", "seed": 0},
    "model": {"builtin": "mlp", "hidden": [32]},
    "quantization": {"activation_integer": 2, "sweep_bits": [4]},
    "training": {"epochs": 3, "pruning": {"target_sparsity": 0.5, "schedule": "constant"}},
    "targets": {"tflite": {"mode": "int8"}, "hls": {"board": "pynq-z2", "reuse_factor": 8, "strategy": "latency"}},
}


@pytest.fixture
def project(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "data.npz", x=rng.random((50, 4), dtype=np.float32), y=rng.integers(0, 3, 50))
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(PROJECT))
    return SweepProject(path)


def space_file(tmp_path, text: str):
    path = tmp_path / "space.yaml"
    path.write_text(text)
    return path


def test_a_trial_project_applies_its_parameters_and_builds_one_target(project, tmp_path):
    trial = trial_project(project, {"activation_bits": 2, "sparsity": 0.75, "reuse_factor": 4, "board": "zcu102"}, "t1")
    assert trial["quantization"]["activation_bits"] == 2 and trial["quantization"]["activation_integer"] == 1
    assert trial["quantization"]["sweep_bits"] == []
    assert trial["training"]["pruning"] == {"target_sparsity": 0.75, "schedule": "constant"}
    assert trial["targets"]["hls"] == {"board": "zcu102", "reuse_factor": 4, "strategy": "latency"}
    assert all(spec is None for name, spec in trial["targets"].items() if name != "hls")
    assert trial["data"]["source"] == str(tmp_path / "data.npz"), "relative paths are made absolute"
    unpruned = trial_project(project, {"sparsity": 0.0, "board": "nano33ble"}, "t2")
    assert "pruning" not in unpruned["training"]
    assert unpruned["targets"]["tflm"] == {"board": "nano33ble"} and unpruned["targets"]["hls"] is None


def test_the_grid_runs_each_distinct_trial_once_the_projects_own_first(project, tmp_path):
    space = load_space(space_file(tmp_path, "reuse_factor: [8, 4]\nboard: [pynq-z2, nano33ble]\n"))
    configurations = grid(space, project)
    # the project's own (pynq-z2, reuse factor 8) first; on the MCU the reuse factors build the same trial
    assert configurations == [{"board": "pynq-z2"}, {"board": "nano33ble"}, {"reuse_factor": 4, "board": "pynq-z2"}]
    assert trial_name(project, {"board": "pynq-z2"}) == trial_name(project, {"reuse_factor": 8, "board": "pynq-z2"})


def test_best_keeps_the_users_other_targets_and_bit_sweep(project):
    best = project_with(project, {"weight_bits": 4, "reuse_factor": 2, "board": "pynq-z2"})
    assert best["targets"]["tflite"] == {"mode": "int8"}
    assert best["targets"]["hls"] == {"board": "pynq-z2", "reuse_factor": 2, "strategy": "latency"}
    assert best["quantization"]["weight_bits"] == 4 and best["quantization"]["sweep_bits"] == [4]


@pytest.mark.parametrize("space, message", [
    ("weight_bitz: [4]\n", "weight_bitz: unknown key; expected one of activation_bits, board, hidden, input_bits, io_type, "
                           "reuse_factor, sparsity, strategy, weight_bits, received 'weight_bitz'"),
    ("weight_bits: [4, 4]\n", "weight_bits: expected distinct values, received [4, 4]"),
    ("weight_bits: []\n", "weight_bits: expected List should have at least 1 item after validation"),
    ("sparsity: [1.0]\n", "sparsity.0: expected less than 1"),
    ("board: [rpi4]\n", "board 'rpi4': expected an FPGA or MCU board"),
    ("{}\n", "expected at least one parameter to sweep"),
])
def test_a_bad_space_is_one_line(project, tmp_path, space, message):
    line = error_line(run_cli("sweep", project.path, "--space", space_file(tmp_path, space), "--out", tmp_path / "out"))
    assert message in line
    assert not (tmp_path / "out").exists()


def test_bad_sweep_options_are_one_line(project, tmp_path):
    space = space_file(tmp_path, "weight_bits: [8, 4]\n")
    assert "--trials: expected 2 (every configuration of the grid" in error_line(
        run_cli("sweep", project.path, "--space", space, "--trials", 5))
    assert "expected PROJECT.yaml and --space SPACE.yaml, received no --space" in error_line(run_cli("sweep", project.path))
    assert "--max-*/--min-accuracy/-o: expected with --best" in error_line(
        run_cli("sweep", project.path, "--space", space, "--max-lut", 0.5))
    assert "--best: expected --out DIR (the sweep directory) or PROJECT.yaml" in error_line(run_cli("sweep", "--best"))
    assert f"{tmp_path / 'nothing'}: expected a sweep directory with sweep.json" in error_line(
        run_cli("sweep", "--best", "--out", tmp_path / "nothing"))
    refused = run_cli("sweep", project.path, "--space", space, "--out", tmp_path / "out", "--address", "127.0.0.1:1")
    assert refused.returncode == 3 and "--address: expected a Ray cluster's head at 127.0.0.1:1" in error_line(refused)
    assert not (tmp_path / "out").exists()
    user_model = dict(PROJECT, model={"path": "float.h5"})
    (tmp_path / "user.yaml").write_text(yaml.safe_dump(user_model))
    assert "space hidden: expected a project with a builtin model" in error_line(
        run_cli("sweep", tmp_path / "user.yaml", "--space", space_file(tmp_path, "hidden: [[8]]\n")))
