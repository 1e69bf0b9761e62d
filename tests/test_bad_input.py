"""Bad input anywhere in the CLI: one line, the documented exit code, never 70, earlier outputs intact.
Issue 14's cases (a clumsy user, not a fault); the deploy cases are in tests/deploy/."""

import json
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EDGEACCEL, REPO, error_line, run_cli, write_project


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bad")
    np.savez(directory / "flat.npz", x=np.zeros((3, 5), np.float32))
    np.savez(directory / "ints.npz", y=np.arange(3))
    (directory / "not-a-model.h5").write_text("plain text")
    (directory / "a-directory.npz").mkdir()
    (directory / "list.yaml").write_text("- a\n- b\n")
    return directory


def _cases(build, bad):
    """(argv, exit code, what the line must say) for bad invocations of every verb."""
    return [
        (["convert"], 2, "the following arguments are required: MODEL.h5, --target, -o/--out"),
        (["convert", build / "model.h5", "--target", "hls", "--reuse-factor", "zero", "-o", bad / "o"], 2, "--reuse-factor: expected"),
        (["convert", build / "model.h5", "--target", "hls", "--io-type", "io_serial", "-o", bad / "o"], 2,
         "--io-type: expected 'auto', 'io_parallel' or 'io_stream', received 'io_serial'"),
        (["convert", build / "model.h5", "--target", "hls", "--input-precision", "fixed16", "-o", bad / "o"], 2,
         "--input-precision: expected hls4ml syntax such as fixed<16,6>"),
        (["convert", build / "model.h5", "--target", "tflite", "--mode", "int4", "-o", bad / "o"], 2, "--mode: expected"),
        (["convert", build / "model.h5", "--target", "tflite", "--calibration-samples", "-3", "-o", bad / "o"], 2,
         "--calibration-samples: expected greater than 0"),
        (["convert", bad / "not-a-model.h5", "--target", "tflite", "-o", bad / "o"], 2, "expected a Keras-2 HDF5 model file"),
        (["convert", bad, "--target", "tflite", "-o", bad / "o"], 2, "received a directory"),
        (["convert", build / "model.h5", "--target", "hls", "--board", "../../etc/passwd", "-o", bad / "o"], 2,
         "board: expected a board name"),
        (["convert", build / "model.h5", "--target", "tflm", "--board", "pynq-z2", "-o", bad / "o"], 2,
         "expected an MCU board for --target tflm"),
        (["sim", build / "tflite", "--backend", "tflite", "--data", bad / "flat.npz"], 2, "expected samples of shape (8, 8, 1)"),
        (["sim", build / "tflite", "--backend", "tflite", "--data", bad / "ints.npz"], 2, "expected an array named 'x'"),
        (["sim", build / "tflite", "--backend", "tflite", "--data", bad / "a-directory.npz"], 2, "received a directory"),
        (["sim", build / "tflite", "--backend", "tflite", "--data", build / "test.npz", "--out", "/proc/nope/x.npy"], 2,
         "--out: expected a writable .npy path"),
        (["sim", build / "tflite", "--backend", "verilator", "--data", build / "test.npz"], 2, "--backend: expected one of keras"),
        (["sim", build / "hls", "--backend", "tflite", "--data", build / "test.npz"], 2, "received an hls artifact"),
        (["estimate", build / "tflite", "--board", "pynq-z2"], 2, "expected an hls, tflm or edgetpu artifact"),
        (["estimate", bad, "--board", "pynq-z2"], 2, "expected a convert output directory with artifact.json"),
        (["boards", "../../x"], 2, "board: expected a board name"),
        (["boards", "nosuch"], 2, "unknown board"),
        (["report", bad], 2, "expected a build directory with metrics.json"),
        (["run", bad / "list.yaml"], 2, "expected a mapping of keys at the top level, received a list"),
        (["train", bad], 2, "expected an existing YAML file, received a directory"),
        (["testbench", build / "tflite"], 2, "expected an hls artifact"),
        (["bitstream", build / "tflite"], 2, "expected an hls artifact"),
    ]


def test_no_bad_input_gives_an_internal_error(digits_build, bad_inputs):
    failures = []
    for argv, code, words in _cases(digits_build, bad_inputs):
        result = run_cli(*argv)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        if result.returncode != code or len(lines) != 1 or words not in lines[0] or "Traceback" in result.stderr:
            failures.append(f"{' '.join(map(str, argv))}: exit {result.returncode}, stderr {result.stderr.strip()[-300:]!r}")
    assert not failures, "\n".join(failures)
    assert not (bad_inputs / "o").exists()


def test_debug_keeps_the_documented_exit_code(tmp_path):
    result = run_cli("--debug", "train", tmp_path / "nope.yaml")
    assert result.returncode == 2 and "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("edgeaccel: error: ")


def test_a_usage_mistake_is_one_line():
    result = run_cli("sim", "--backend")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "edgeaccel: error: argument --backend: expected one argument (see `edgeaccel sim --help`)"]


def test_keras_backend_snaps_huge_inputs_like_every_backend(digits_build):
    """QKeras's straight-through quantizer computes x + (q(x) - x), which is 0 in float32 for |x| ~ 1e10;
    the backends all snap inputs to the input grid first, so they agree on out-of-range data."""
    from edgeaccel.data import read_npz
    from edgeaccel.targets import open_backend

    x, _ = read_npz(digits_build / "test.npz")
    scaled = x * 1e10
    keras = open_backend("keras", digits_build).predict(scaled)
    tflite = open_backend("tflite", digits_build / "tflite").predict(scaled)
    csim = open_backend("csim", digits_build / "hls").predict(scaled)
    assert np.mean(keras.argmax(1) == tflite.argmax(1)) >= 0.99
    assert np.mean(keras.argmax(1) == csim.argmax(1)) >= 0.99
    assert len(set(keras.argmax(1))) > 1, "not a constant answer"


@pytest.mark.parametrize("section,value,words", [
    ("training", {"batch_size": 1e20}, "training.batch_size: expected an integer of a usable size, received 1e+20"),
    ("training", {"batch_size": 10 ** 9}, "training.batch_size: expected less than or equal to 1048576, received 1000000000"),
    ("training", {"epochs": 10 ** 9}, "training.epochs: expected less than or equal to 100000"),
    ("data", {"source": "sklearn:digits", "seed": 2 ** 40}, "data.seed: expected less than or equal to 4294967295"),
    ("data", {"source": "sklearn:digits", "seed": -1}, "data.seed: expected greater than or equal to 0"),
])
def test_out_of_range_project_values_are_named(tmp_path, section, value, words):
    assert words in error_line(run_cli("train", write_project(tmp_path / "p.yaml", **{section: value})))


def test_an_unknown_board_is_refused_before_training(tmp_path):
    """With 100000 epochs, a check that waited for training would never answer."""
    project = write_project(tmp_path / "p.yaml", training={"epochs": 100000, "float_baseline": True},
                            targets={"hls": {"board": "nosuch"}})
    line = error_line(run_cli("run", project, "--out", tmp_path / "build"))
    assert "unknown board: expected one of" in line and "received 'nosuch'" in line
    assert not (tmp_path / "build").exists()
    project = write_project(tmp_path / "q.yaml", training={"epochs": 100000}, targets={"hls": {"board": "nano33ble"}})
    assert "expected an FPGA board for --target hls, received 'nano33ble'" in error_line(run_cli("run", project))


def test_a_report_of_wrong_metrics_is_refused_and_the_old_report_kept(digits_build, tmp_path):
    build = tmp_path / "build"
    shutil.copytree(digits_build, build)
    before = (build / "report.md").read_text()
    metrics = json.loads((build / "metrics.json").read_text())
    metrics["backends"]["qkeras"]["accuracy"] = "high"
    (build / "metrics.json").write_text(json.dumps(metrics))
    line = error_line(run_cli("report", build))
    assert "backends.qkeras.accuracy: expected a valid number, received 'high'" in line
    metrics["backends"]["qkeras"]["accuracy"] = 0.9
    metrics["estimates"] = {"hls": {"resources": "lots"}}
    (build / "metrics.json").write_text(json.dumps(metrics))
    assert "expected the metrics `edgeaccel run` writes" in error_line(run_cli("report", build))
    assert (build / "report.md").read_text() == before


def test_ctrl_c_during_training_exits_130_and_keeps_the_previous_build(tmp_path):
    previous = tmp_path / "build"
    previous.mkdir()
    (previous / "model.h5").write_text("the previous build")
    project = write_project(tmp_path / "p.yaml", training={"epochs": 100000, "early_stopping": None})
    process = subprocess.Popen([*EDGEACCEL, "train", str(project), "--out", str(previous)], cwd=REPO, text=True,
                               stderr=subprocess.PIPE, env=os.environ | {"PYTHONPATH": str(REPO)})
    time.sleep(25)  # TensorFlow's import and the first epochs
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()  # a child that ignored the interrupt would train 100000 epochs beside the rest of the suite
    assert process.returncode == 130, stderr[-2000:]
    assert stderr.strip().splitlines()[-1] == "edgeaccel: interrupted; earlier outputs are unchanged"
    assert (previous / "model.h5").read_text() == "the previous build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "p.yaml"]


def test_an_interrupt_a_library_swallowed_still_stops_training_at_the_next_batch():
    """Under load, one SIGINT once left `edgeaccel train` running: Python raises the KeyboardInterrupt wherever
    the main thread is, and a library catching every exception there loses it. The interrupt is remembered and
    training checks it after every batch."""
    from edgeaccel import interrupts
    from edgeaccel.models.training import train
    from edgeaccel.specs import TrainingSpec
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2, activation="softmax")])
    x, y = np.random.default_rng(0).normal(size=(64, 4)).astype("float32"), np.arange(64) % 2
    spec = TrainingSpec(epochs=3, batch_size=8, early_stopping=None, validation_fraction=0.0)
    interrupts.install()
    try:
        try:
            signal.raise_signal(signal.SIGINT)
        except BaseException:
            pass  # a library's bare `except:`
        with pytest.raises(KeyboardInterrupt):
            train(model, x, y, spec, seed=0, label="t", progress=False)
        assert int(model.optimizer.iterations) == 1, "training stops after its first batch"
        interrupts.install()
        assert train(model, x, y, spec, seed=0, label="t", progress=False).epochs_run == 3, "a new install forgets it"
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def test_an_interrupt_wrapped_by_tensorflow_counts_as_one():
    from edgeaccel.cli import _interrupt_in_chain

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemError("<built-in function TFE_Py_Execute> returned a result with an exception set")
    except SystemError as wrapped:
        assert _interrupt_in_chain(wrapped)
    assert not _interrupt_in_chain(SystemError("another failure"))


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=True),
                     st.text(max_size=12), st.lists(st.integers(-5, 5), max_size=3))
_SECTIONS = {
    "data": ["source", "test_fraction", "seed", "normalize", "task"],
    "model": ["builtin", "path", "hidden", "filters", "kernel_size", "batchnorm"],
    "quantization": ["weight_bits", "input_bits", "activation_integer", "overrides", "sweep_bits"],
    "training": ["epochs", "batch_size", "learning_rate", "validation_fraction", "early_stopping", "float_baseline"],
    "targets": ["tflite", "tflm", "edgetpu", "hls", "onnx", "nosuch"],
}
_PROJECTS = st.fixed_dictionaries(
    {"name": st.one_of(st.just("p"), _SCALARS)},
    optional={section: st.one_of(_SCALARS, st.dictionaries(st.sampled_from(keys), st.one_of(_SCALARS, st.dictionaries(
        st.sampled_from(["board", "mode", "io_type", "reuse_factor", "patience", "weight_bits"]), _SCALARS, max_size=3)),
        max_size=4)) for section, keys in _SECTIONS.items()})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(project=_PROJECTS)
def test_any_project_file_loads_or_is_refused_in_one_line(project, tmp_path):
    """Fuzzing the project schema: a file either loads or gives a ConfigError of one line naming a key."""
    from edgeaccel.errors import ConfigError
    from edgeaccel.project import load_project

    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(project))
    try:
        load_project(path)
    except ConfigError as e:
        message = str(e)
        assert "\n" not in message and message.startswith(f"{path}: ") and "expected" in message
