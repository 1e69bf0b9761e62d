import json

import pytest

from conftest import run_cli
from edgeaccel.boards import load_board
from edgeaccel.errors import ConfigError
from edgeaccel.estimate.fpga import estimate_fpga, layers_from_hls_records


def _records(digits_build):
    return json.loads((digits_build / "hls" / "artifact.json").read_text())["hls"]["layers"]


@pytest.mark.parametrize("strategy", ["latency", "resource"])
def test_estimate_is_monotonic_in_reuse_factor(digits_build, strategy):
    board = load_board("zcu102")
    previous = None
    for reuse in (1, 2, 4, 8, 16, 32):
        records = [r | {"reuse_factor": reuse, "strategy": strategy} for r in _records(digits_build)]
        estimate = estimate_fpga(layers_from_hls_records(records, {}), board, "io_parallel")
        used = {k: v["used"] for k, v in estimate["resources"].items()}
        if previous:
            assert used["lut"] <= previous[0]["lut"] and used["dsp"] <= previous[0]["dsp"]
            assert estimate["latency_cycles"] >= previous[1] and estimate["ii_cycles"] >= previous[2]
        previous = (used, estimate["latency_cycles"], estimate["ii_cycles"])
    assert previous[2] == 32, "the initiation interval of a fully reused dense layer is the reuse factor"


def test_multiplications_and_fit_of_the_digits_mlp(digits_build):
    estimate = json.loads((digits_build / "hls" / "artifact.json").read_text())["estimate"]
    assert estimate["multiplications"] == 64 * 64 + 64 * 32 + 32 * 10
    assert estimate["fits"] and estimate["verdict"] == "fits"
    assert estimate["resources"]["dsp"]["used"] == 0, "8-bit products map to LUTs"


def test_a_model_too_large_for_pynq_z2_is_flagged(digits_build):
    records = [r | {"reuse_factor": 1} for r in _records(digits_build)]
    pynq = estimate_fpga(layers_from_hls_records(records, {}), load_board("pynq-z2"), "io_parallel")
    assert not pynq["fits"] and "LUT" in pynq["verdict"] and pynq["resources"]["lut"]["percent"] > 100
    u50 = estimate_fpga(layers_from_hls_records(records, {}), load_board("alveo-u50"), "io_parallel")
    assert u50["fits"]


def test_wide_products_use_dsps(digits_build):
    records = [r | {"weight_type": "fixed<16,6>", "input_bits": 16} if "weight_type" in r else r for r in _records(digits_build)]
    estimate = estimate_fpga(layers_from_hls_records(records, {}), load_board("zcu102"), "io_parallel")
    assert estimate["resources"]["dsp"]["used"] > 0


def test_estimate_cli(digits_build):
    text = run_cli("estimate", digits_build / "hls", check=True).stdout
    assert "verdict: fits" in text and "LUT" in text and "pynq-z2" in text
    other = json.loads(run_cli("estimate", digits_build / "hls", "--board", "kv260", "--json", check=True).stdout)
    assert other["board"] == "kv260" and other["resources"]["uram"]["available"] == 64


def test_estimate_needs_an_fpga_board(digits_build):
    with pytest.raises(ConfigError, match="expected an FPGA board"):
        estimate_fpga([], load_board("rpi-pico"), "io_parallel")
