import json
import shutil

import numpy as np
import pytest

from conftest import error_line, run_cli
from edgeaccel.convert.edgetpu import parse_compiler_log
from edgeaccel.readers.tflite_graph import read_graph
from edgeaccel.data import read_npz
from edgeaccel.sim import open_backend


@pytest.fixture(scope="module")
def digits_edgetpu(digits_build, tmp_path_factory):
    out = tmp_path_factory.mktemp("edgetpu") / "digits-edgetpu"
    result = run_cli("convert", digits_build / "model.h5", "--target", "edgetpu", "--board", "coral-devboard", "-o", out,
                     check=True)
    return out, result


def test_edgetpu_model_is_full_int8_with_static_shapes(digits_edgetpu):
    out, _ = digits_edgetpu
    details = json.loads((out / "artifact.json").read_text())["edgetpu"]
    assert details["io_type"] == "int8" and details["inputs"][0]["dtype"] == details["outputs"][0]["dtype"] == "int8"
    graph = read_graph((out / "model.tflite").read_bytes())
    activations = [t for op in graph.ops for t in op.tensors if not t.constant]
    assert activations and all(t.static and t.dtype == "int8" for t in activations)
    assert graph.inputs[0].signature == (1, 8, 8, 1)


def test_digits_maps_entirely_to_the_edge_tpu(digits_edgetpu):
    out, result = digits_edgetpu
    mapping = json.loads((out / "artifact.json").read_text())["estimate"]
    assert [row["op"] for row in mapping["ops"]] == ["RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"]
    assert all(row["maps_to"] == "edgetpu" for row in mapping["ops"])
    assert mapping["summary"] == {"ops": 5, "edgetpu": 5, "cpu": 0, "split": None, "fully_mapped": True}
    assert "5 of 5 ops on the Edge TPU, 0 on the CPU" in result.stdout


def test_compiler_run_or_its_absence_said_plainly(digits_edgetpu):
    out, result = digits_edgetpu
    compiler = json.loads((out / "artifact.json").read_text())["edgetpu"]["compiler"]
    if shutil.which("edgetpu_compiler"):
        assert compiler["available"] and compiler["operations"] and (out / "model_edgetpu.tflite").is_file()
    else:
        assert compiler == {"available": False, "reason": compiler["reason"]}
        assert "edgetpu_compiler is not on PATH" in compiler["reason"]
        assert "edgetpu_compiler is not on PATH" in result.stdout and "edgetpu_compiler is not on PATH" in result.stderr


def test_litert_runs_the_edgetpu_model_as_the_tflite_target(digits_build, digits_edgetpu):
    out, _ = digits_edgetpu
    x, _ = read_npz(digits_build / "test.npz")
    edgetpu = open_backend("tflite", out).predict(x)
    tflite = open_backend("tflite", digits_build / "tflite").predict(x)
    assert np.mean(edgetpu.argmax(1) == tflite.argmax(1)) >= 0.99


def test_edgetpu_needs_an_edgetpu_board(digits_build, tmp_path):
    line = error_line(run_cli("convert", digits_build / "model.h5", "--target", "edgetpu", "--board", "nano33ble",
                              "-o", tmp_path / "out"))
    assert "--board: expected an Edge TPU board for --target edgetpu, received 'nano33ble' (kind mcu)" in line


def test_compiler_operation_log_is_parsed():
    log = """Edge TPU Compiler version 16.0.384591198
Input: model.tflite
Output: model_edgetpu.tflite

Operator                       Count      Status

FULLY_CONNECTED                2          Mapped to Edge TPU
LEAKY_RELU                     1          Operation not supported
SOFTMAX                        1          More than one subgraph is not supported
"""
    assert parse_compiler_log(log) == [
        {"operator": "FULLY_CONNECTED", "count": 2, "status": "Mapped to Edge TPU"},
        {"operator": "LEAKY_RELU", "count": 1, "status": "Operation not supported"},
        {"operator": "SOFTMAX", "count": 1, "status": "More than one subgraph is not supported"},
    ]
