import json

import numpy as np
import pytest

from conftest import error_line, run_cli
from edgeaccel.boards import load_board
from edgeaccel.targets import ConvertRequest, convert
from edgeaccel.data import write_npz
from edgeaccel.estimate import estimate_artifact
from edgeaccel.estimate.mcu import STACK_RAM_BYTES, calibration, estimate_mcu, flash_parts


@pytest.fixture(scope="module")
def large_mlp_tflm(tmp_path_factory, grid_inputs):
    """An untrained 8-bit MLP of 1.1 M parameters (64-1024-1024-10) converted for the Nano 33 BLE (1 MB flash)."""
    from edgeaccel.models.builtin import build_float_model
    from edgeaccel.models.files import save_model
    from edgeaccel.specs import ModelSpec, QuantSpec
    from edgeaccel.quantize.qat import quantize_model

    directory = tmp_path_factory.mktemp("large")
    qmodel = quantize_model(build_float_model(ModelSpec(builtin="mlp", hidden=[1024, 1024]), (8, 8, 1), 10), QuantSpec(),
                            input_signed=False)
    assert qmodel.count_params() > 1_100_000
    save_model(qmodel, directory / "model.h5")
    write_npz(directory / "calib.npz", grid_inputs[:100])
    return convert(ConvertRequest(directory / "model.h5", directory / "tflm", board="nano33ble",
                                  options={"calibration_samples": 100}), "tflm").directory


def test_digits_fits_the_nano33ble_with_every_part_counted(digits_tflm):
    details = json.loads((digits_tflm / "artifact.json").read_text())["tflm"]
    estimate = estimate_mcu(details, load_board("nano33ble"))
    measured = calibration()["kernels"]["reference"]
    model = details["cross_compile"]["flash_bytes"] if details["cross_compile"]["available"] else details["bytes"]
    kernels = sum(measured["ops"][op] for op in ("RESHAPE", "FULLY_CONNECTED", "SOFTMAX")) + measured["shared_groups"]["exp_tanh"]["bytes"]
    assert set(estimate["kernel_flash"]) == {"RESHAPE", "FULLY_CONNECTED", "SOFTMAX", "exp_tanh (shared)"}
    assert estimate["flash"]["parts"] == {"model": model, "tflm_framework": measured["framework_bytes"], "op_kernels": kernels}
    assert estimate["flash"]["used"] == model + measured["framework_bytes"] + kernels and estimate["unmeasured_ops"] == []
    assert estimate["flash"]["available"] == 1024 * 1024 and estimate["ram"]["available"] == 256 * 1024
    assert estimate["ram"]["used"] == details["arena_bytes"] + measured["static_ram_bytes"] + STACK_RAM_BYTES
    assert estimate["ram"]["percent"] == round(100 * estimate["ram"]["used"] / (256 * 1024), 1)
    assert estimate["macs"] == 6464 and estimate["fits"] and estimate["verdict"] == "fits"
    assert json.loads((digits_tflm / "artifact.json").read_text())["estimate"] == estimate


@pytest.mark.parametrize("kernels", ["reference", "cmsis_nn"])
def test_flash_estimate_is_within_5_percent_of_real_cortex_m4f_links(kernels):
    """The estimate against whole-model arm-none-eabi links recorded in tflm_flash_cortex_m4f.json (how they were
    made is written there): edgeaccel's main.cc + model_data.cc for the digits models and the four MLPerf Tiny models."""
    links = [link for link in calibration()["links"] if link["kernels"] == kernels]
    assert len(links) >= 5
    for link in links:
        parts, _, unmeasured = flash_parts(link["ops"], link["model_section_bytes"], kernels)
        estimate, measured = sum(parts.values()), link["text"] + link["data"]
        assert unmeasured == [] and abs(estimate / measured - 1) <= 0.05, (link["model"], estimate, measured)


def test_an_op_without_a_measured_figure_is_named_and_counted_as_the_largest():
    parts, per_op, unmeasured = flash_parts(["FULLY_CONNECTED", "SVDF"], 1000)
    assert unmeasured == ["SVDF"] and per_op["SVDF"] == max(calibration()["kernels"]["reference"]["ops"].values())


def test_a_model_too_big_for_the_board_is_flagged(large_mlp_tflm):
    nano = estimate_artifact(large_mlp_tflm)
    assert not nano["fits"] and nano["over_budget"] == ["flash"] and nano["flash"]["percent"] > 100
    assert nano["verdict"] == f"does not fit: FLASH {nano['flash']['percent']}%"
    assert nano["macs"] == 64 * 1024 + 1024 * 1024 + 1024 * 10
    nucleo = estimate_artifact(large_mlp_tflm, "nucleo-l4r5zi")
    assert nucleo["fits"] and nucleo["flash"]["available"] == 2048 * 1024
    text = run_cli("estimate", large_mlp_tflm, check=True).stdout
    assert "over budget" in text and "verdict: does not fit: FLASH" in text


def test_estimate_cli_on_a_tflm_artifact(digits_tflm):
    text = run_cli("estimate", digits_tflm, check=True).stdout
    assert "nano33ble (nRF52840, cortex-m4f, 64 MHz)" in text and "verdict: fits" in text
    assert "FLASH" in text and "RAM" in text and "multiply-accumulates per inference: 6464" in text
    other = json.loads(run_cli("estimate", digits_tflm, "--board", "stm32f746g-disco", "--json", check=True).stdout)
    assert other["kind"] == "mcu" and other["ram"]["available"] == 320 * 1024
    line = error_line(run_cli("estimate", digits_tflm, "--board", "zcu102"))
    assert "--board: expected an MCU board for a tflm artifact, received 'zcu102' (kind fpga)" in line


@pytest.mark.parametrize("name,chip,core,clock,flash_kb,ram_kb", [
    ("nano33ble", "nRF52840", "cortex-m4f", 64, 1024, 256),
    ("stm32f746g-disco", "STM32F746NG", "cortex-m7", 216, 1024, 320),
    ("nucleo-l4r5zi", "STM32L4R5ZI", "cortex-m4f", 120, 2048, 640),
    ("esp32s3", "ESP32-S3", "xtensa-lx7", 240, 8192, 512),
    ("rpi-pico", "RP2040", "cortex-m0plus", 133, 2048, 264),
])
def test_mcu_board_figures(name, chip, core, clock, flash_kb, ram_kb):
    mcu = load_board(name).mcu
    assert (mcu.chip, mcu.core, mcu.clock_mhz, mcu.flash_kb, mcu.ram_kb) == (chip, core, clock, flash_kb, ram_kb)


def test_tflm_backend_runs_in_the_large_models_arena(large_mlp_tflm, grid_inputs):
    from edgeaccel.sim import open_backend

    x = grid_inputs[:20]
    tflm = open_backend("tflm", large_mlp_tflm).predict(x)
    litert = open_backend("tflite", large_mlp_tflm).predict(x)
    assert np.mean(tflm.argmax(1) == litert.argmax(1)) >= 0.95


def test_cmsis_nn_kernels_are_an_option_that_sets_the_build_and_the_estimate(digits_build, digits_tflm, tmp_path):
    run_cli("convert", digits_build / "model.h5", "--target", "tflm", "--kernels", "cmsis_nn", "-o", tmp_path / "cmsis",
            "--quiet", check=True)
    cmsis = json.loads((tmp_path / "cmsis" / "artifact.json").read_text())
    reference = json.loads((digits_tflm / "artifact.json").read_text())
    assert cmsis["tflm"]["kernels"] == "cmsis_nn" and reference["tflm"]["kernels"] == "reference"
    assert "OPTIMIZED_KERNEL_DIR=cmsis_nn" in (tmp_path / "cmsis" / "CMakeLists.txt").read_text()
    assert "OPTIMIZED_KERNEL_DIR" not in (digits_tflm / "CMakeLists.txt").read_text()
    framework = {kind: calibration()["kernels"][kind]["framework_bytes"] for kind in ("reference", "cmsis_nn")}
    assert cmsis["estimate"]["kernels"] == "cmsis_nn" and cmsis["estimate"]["flash"]["parts"]["tflm_framework"] == framework["cmsis_nn"]
    assert reference["estimate"]["flash"]["parts"]["tflm_framework"] == framework["reference"]
    assert cmsis["estimate"]["flash"]["used"] > reference["estimate"]["flash"]["used"]  # CMSIS-NN adds code for speed
