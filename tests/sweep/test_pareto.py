"""The Pareto front, its distance from the default configuration and --best: pure analyses of rows."""

import pytest

from edgeaccel.errors import ConfigError
from edgeaccel.sweep.pareto import against_default, pareto_front, pick_best, scarcest


def fpga(trial, accuracy, lut, ff=10.0, dsp=0.0, bram=1.0, board="pynq-z2", default=False, status="ok"):
    return {"trial": trial, "status": status, "default": default, "target": "hls", "parameters": {"board": board},
            "accuracy": accuracy, "lut_percent": lut, "ff_percent": ff, "dsp_percent": dsp, "bram18_percent": bram,
            "lut": int(lut * 532), "ff": int(ff * 1064), "dsp": int(dsp * 2.2), "bram18": int(bram * 2.8)}


def mcu(trial, accuracy, flash, ram, default=False):
    return {"trial": trial, "status": "ok", "default": default, "target": "tflm", "parameters": {"board": "nano33ble"},
            "accuracy": accuracy, "flash_percent": flash, "ram_percent": ram, "flash_bytes": int(flash * 10485.76),
            "ram_bytes": int(ram * 2621.44)}


def test_the_scarcest_resource_is_the_largest_share_of_the_board():
    assert scarcest(fpga("a", 0.9, lut=40.0, ff=12.0, dsp=55.0)) == ("dsp", 55.0)
    assert scarcest(mcu("m", 0.9, flash=5.0, ram=7.5)) == ("ram", 7.5)


def test_the_front_keeps_exactly_the_undominated_trials_per_board():
    rows = [fpga("big", 0.98, lut=60.0, default=True), fpga("mid", 0.975, lut=30.0), fpga("small", 0.95, lut=12.0),
            fpga("worse", 0.95, lut=35.0),  # less accurate than mid for more LUTs
            fpga("tie", 0.95, lut=12.0),  # the same point as small: one point of the front
            fpga("ff_bound", 0.99, lut=10.0, ff=70.0),  # its scarcest resource is FF at 70%: dominated by nothing
            fpga("failed", 0.0, lut=0.0, status="failed"),
            fpga("other_board", 0.5, lut=1.0, board="zcu102")]
    front = pareto_front(rows)
    assert front["pynq-z2"] == ["ff_bound", "big", "mid", "small"]
    assert front["zcu102"] == ["other_board"]


def test_an_mcu_trial_is_dominated_only_on_both_flash_and_ram():
    rows = [mcu("a", 0.97, flash=10.0, ram=4.0), mcu("b", 0.97, flash=8.0, ram=5.0), mcu("c", 0.96, flash=11.0, ram=4.5)]
    assert pareto_front(rows)["nano33ble"] == ["b", "a"]  # equally accurate: ordered by (flash, RAM)


def test_against_default_finds_the_cheapest_front_trial_within_one_point():
    rows = [fpga("default", 0.980, lut=56.0, default=True), fpga("half", 0.972, lut=27.0), fpga("quarter", 0.960, lut=14.0)]
    result = against_default(rows)
    assert result["compared"] and result["default"] == "default" and result["measure"] == "lut_ratio"
    cheapest = result["cheapest_within_tolerance"]
    assert cheapest["trial"] == "half" and cheapest["lut_ratio"] == pytest.approx(int(27.0 * 532) / int(56.0 * 532))
    assert cheapest["accuracy_change"] == pytest.approx(-0.008)
    assert {point["trial"] for point in result["front"]} == {"default", "half", "quarter"}


def test_against_default_says_why_it_cannot_compare():
    assert against_default([fpga("a", 0.9, lut=10.0)]) == {
        "compared": False, "reason": "the sweep has no trial of the project's own configuration"}
    failed = fpga("d", 0.0, lut=0.0, default=True, status="failed") | {"error": "--reuse-factor: expected one of [1, 2]"}
    assert "failed: --reuse-factor" in against_default([failed])["reason"]


def test_best_is_the_most_accurate_within_the_limits_ties_to_the_smaller_design():
    rows = [fpga("a", 0.98, lut=90.0), fpga("b", 0.97, lut=60.0), fpga("c", 0.97, lut=40.0), fpga("d", 0.90, lut=10.0),
            mcu("m", 0.99, flash=5.0, ram=5.0)]
    assert pick_best(rows, {"lut": 0.8})["trial"] == "c"  # b and c tie on accuracy; c is smaller; m has no LUTs
    assert pick_best(rows, {})["trial"] == "m"
    assert pick_best(rows, {"lut": 0.5}, min_accuracy=0.95)["trial"] == "c"
    with pytest.raises(ConfigError, match=r"--max-lut 0.05, received none among 5; the smallest is m"):
        pick_best(rows, {"lut": 0.05})
    with pytest.raises(ConfigError, match=r"expected a fraction of the board in \(0, 1\], received 80 \(did you mean 0.8\?\)"):
        pick_best(rows, {"lut": 80})
