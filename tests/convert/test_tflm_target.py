import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import error_line, run_cli
from edgeaccel.readers.tflite_graph import read_graph
from edgeaccel.readers.tflite_info import describe_tflite
from edgeaccel.convert.tflm_arena import arena_works

HERE = Path(__file__).resolve().parent
CXX = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror"]


def _details(directory):
    return json.loads((directory / "artifact.json").read_text())["tflm"]


def test_tflm_artifact_holds_sources_model_and_manifest(digits_tflm):
    manifest = json.loads((digits_tflm / "artifact.json").read_text())
    assert manifest["target"] == "tflm" and manifest["board"] == "nano33ble"
    expected = {"model.tflite", "model_data.cc", "model_data.h", "op_resolver.h", "main.cc", "CMakeLists.txt"}
    assert expected == set(manifest["files"])
    details = manifest["tflm"]
    assert details["model_file"] == "model.tflite" and details["input_grid"]["step"] == 1 / 256
    assert details["inputs"][0]["shape"] == [1, 8, 8, 1] and details["inputs"][0]["dtype"] == "int8"
    assert details["macs"] == 64 * 64 + 64 * 32 + 32 * 10


def test_model_data_compiles_and_equals_the_flatbuffer(digits_tflm, tmp_path):
    subprocess.run([*CXX, "-c", digits_tflm / "model_data.cc", "-o", tmp_path / "model_data.o"], check=True)
    subprocess.run([*CXX, f"-I{digits_tflm}", HERE / "tflm_model_data_check.cc", tmp_path / "model_data.o",
                    "-o", tmp_path / "check"], check=True)
    result = subprocess.run([tmp_path / "check", digits_tflm / "model.tflite"], capture_output=True, text=True)
    size = (digits_tflm / "model.tflite").stat().st_size
    assert result.stdout.strip() == f"bytes={size} aligned=1 equal=1", result.stdout
    source = (digits_tflm / "model_data.cc").read_text()
    assert "alignas(16) const unsigned char g_model_data[]" in source
    assert f"const unsigned int g_model_data_len = {size};" in source


def test_resolver_size_equals_the_distinct_ops_each_added_once(digits_tflm):
    header = (digits_tflm / "op_resolver.h").read_text()
    count = int(re.search(r"constexpr unsigned int kModelOpCount = (\d+);", header).group(1))
    assert "tflite::MicroMutableOpResolver<kModelOpCount>" in header
    calls = re.findall(r"resolver\.(Add\w+)\(\)", header)
    flatbuffer = (digits_tflm / "model.tflite").read_bytes()
    litert_ops = describe_tflite(flatbuffer)["ops"]
    assert len(calls) == len(set(calls)) == count == len(litert_ops) == 3
    # The clipped ReLUs are fused into the FULLY_CONNECTED before them (no MINIMUM + RELU pairs).
    graph = read_graph(flatbuffer)
    assert set(graph.op_names) == set(litert_ops) == {"RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}
    assert [op.fused_activation for op in graph.ops if op.name == "FULLY_CONNECTED"] == ["RELU", "RELU", "NONE"]
    assert sorted(calls) == ["AddFullyConnected", "AddReshape", "AddSoftmax"]
    assert _details(digits_tflm)["resolver"]["type"] == "tflite::MicroMutableOpResolver<3>"


def test_main_and_resolver_parse_against_the_tflm_api(digits_tflm):
    subprocess.run([*CXX, "-fsyntax-only", f"-I{digits_tflm}", f"-I{HERE / 'tflm_api_subset'}", digits_tflm / "main.cc"],
                   check=True)


def test_measured_arena_is_positive_and_written_into_main_cc(digits_tflm):
    arena = _details(digits_tflm)["arena"]
    main = (digits_tflm / "main.cc").read_text()
    assert arena["arena_bytes"] > 0 and arena["arena_bytes"] % 16 == 0
    assert f"constexpr size_t kTensorArenaSize = {arena['arena_bytes']};" in main
    assert _details(digits_tflm)["arena_bytes"] == arena["arena_bytes"]
    assert arena["recorded_bytes"] <= arena["minimum_bytes"]
    assert arena["arena_bytes"] >= 1.25 * arena["minimum_bytes"] and arena["arena_bytes"] >= arena["minimum_bytes"] + 1024


def test_minimum_arena_is_the_smallest_that_runs(digits_tflm):
    arena = _details(digits_tflm)["arena"]
    model = digits_tflm / "model.tflite"
    assert arena_works(model, arena["minimum_bytes"])[0]
    assert not arena_works(model, arena["minimum_bytes"] - 16)[0]
    ok, output = arena_works(model, arena["arena_bytes"])
    assert ok and f"Arena allocation total {arena['recorded_bytes']} bytes" in output


def test_cross_compiled_flash_footprint_or_a_plain_reason(digits_tflm):
    cross = _details(digits_tflm)["cross_compile"]
    size = (digits_tflm / "model.tflite").stat().st_size
    if shutil.which("arm-none-eabi-g++"):
        assert cross["available"] and "-mcpu=cortex-m4" in cross["command"] and "-mfloat-abi=hard" in cross["command"]
        assert cross["sections"][".rodata.g_model_data"] == size
        assert cross["model_section_alignment"] == 16
        assert cross["flash_bytes"] == size + 4 and cross["ram_bytes"] == 0
    else:
        assert not cross["available"] and "gcc-arm-none-eabi" in cross["reason"]


def test_tflm_for_a_non_arm_board_says_why_it_is_not_cross_compiled(digits_build, tmp_path):
    run_cli("convert", digits_build / "model.h5", "--target", "tflm", "--board", "esp32s3", "-o", tmp_path / "esp", "--quiet",
            check=True)
    details = _details(tmp_path / "esp")
    assert not details["cross_compile"]["available"] and "xtensa" in details["cross_compile"]["reason"]
    assert json.loads((tmp_path / "esp" / "artifact.json").read_text())["estimate"]["flash"]["parts"]["model"] == details["bytes"]


@pytest.mark.parametrize("board,expected", [
    ("nope", "unknown board: expected one of"),
    ("pynq-z2", "--board: expected an MCU board for --target tflm, received 'pynq-z2' (kind fpga)"),
    ("coral", "--board: expected an MCU board for --target tflm, received 'coral-devboard' (kind edgetpu)"),
])
def test_bad_boards_get_one_line_errors(digits_build, tmp_path, board, expected):
    result = run_cli("convert", digits_build / "model.h5", "--target", "tflm", "--board", board, "-o", tmp_path / "out")
    assert expected in error_line(result) and result.returncode == 2
    assert not (tmp_path / "out").exists()


def test_a_model_tflm_refuses_whatever_the_arena_is_refused_at_once_with_the_op_and_the_reason(tmp_path):
    """TFLM checks in Prepare that a per-tensor FULLY_CONNECTED's bias scale is its input scale times its weight scale
    (within 2% of the output scale). A model failing that is refused with the op and TFLM's check, not retried in
    ever larger arenas (it used to grow the arena to 700 MB before giving up)."""
    import numpy as np
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    from edgeaccel.convert.tflite import to_tflite
    from edgeaccel.convert.tflm_arena import measure_arena
    from edgeaccel.errors import ModelError
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    tf.keras.utils.set_random_seed(0)
    inputs = tf.keras.Input((16,))
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(4)(tf.keras.layers.Dense(8, activation="relu")(inputs)))
    rng = np.random.default_rng(0)
    kernel, bias = model.layers[-1].get_weights()
    model.layers[-1].set_weights([kernel, rng.uniform(-0.5, 0.5, bias.shape)])  # a zero bias is left out of the .tflite
    x = rng.uniform(-1, 1, (64, 16)).astype(np.float32)
    data = bytearray(to_tflite(model, "int8", x, dense="per_tensor"))
    (tmp_path / "good.tflite").write_bytes(data)
    assert measure_arena(tmp_path / "good.tflite")["minimum_bytes"] > 0
    flatbuffer = schema.Model.GetRootAs(data, 0)
    subgraph = flatbuffer.Subgraphs(0)
    last = subgraph.Operators(subgraph.OperatorsLength() - 1)
    bias = subgraph.Tensors(int(last.InputsAsNumpy()[2]))
    assert subgraph.Tensors(int(last.InputsAsNumpy()[1])).Quantization().ScaleLength() == 1
    bias.Quantization().ScaleAsNumpy()[:] *= 100
    (tmp_path / "bad.tflite").write_bytes(data)
    with pytest.raises(ModelError) as refused:
        measure_arena(tmp_path / "bad.tflite")
    index = subgraph.OperatorsLength() - 1
    assert str(refused.value) == (f"tflite-micro: expected FULLY_CONNECTED (op {index}) of bad.tflite to prepare, received a "
                                  "refusal that no arena size fixes: tensorflow/lite/micro/kernels/kernel_util.cc:478 "
                                  "scale_diff / output_scale <= 0.02 was not true.")
