"""The FPGA estimate against synthesis reports other people published.

The table is edgeaccel/estimate/data/fpga_reports.csv (sources: fastmachinelearning/hls4ml-tutorial
notebook outputs and committed reports, fastmachinelearning/hls4ml test/pytest/test_report,
thaarres/dnd_hls4ml, seanlipps/ECE226_CoDesign, Alezander9/ML_FPGAonPixel, tsopeter/753-FPGA,
uw-acme/HLS4ML_VS_MANUAL, pominiq/DNNonSilicon, Brainz22/L1JetTagger; and, gathered later in four rounds,
each a test set held out whole until its blind errors were recorded, 20 more repositories: see the
`source_repository` column and `fpga_calibration.BLIND_ROUNDS`);
bench/fpga_published.py rebuilds every design in code, citing its source. The default tests use the
stored hls4ml 1.3 layer records of the rebuilt designs; the zoo test rebuilds and converts every model first.
"""

import hashlib
import json
import re
import statistics
from importlib import resources

import pytest

from bench import fpga_calibration, fpga_published
from edgeaccel.estimate.fpga import calibration
from edgeaccel.estimate.fpga.templates import CALIBRATED_KINDS, MISESTIMATED_KINDS, kind_of

FIGURES = ("lut", "ff", "dsp", "bram18", "latency_cycles")
# Measured on the held-out rows (bench/fpga_calibration.py prints them; BENCHMARKS.md has them beside
# rule4ml's), all of them and the blind ones (no change of the estimate was written knowing their errors:
# `fpga_calibration.SEEN_HELDOUT`), and on the fit rows, each family left out of the fit in turn. The
# issue's goal is 25%. The blind rows left (DeepPicar, the L1 LLP tagger) are 3; the seven blind rounds'
# figures are recorded in `fpga_calibration.BLIND_ROUNDS`. These bounds pin the figures so that a change
# that worsens them fails.
HELDOUT_MEDIAN_ERROR_AT_MOST = {"lut": 0.35, "ff": 0.35, "dsp": 0.25, "bram18": 0.02, "latency_cycles": 0.08}
BLIND_MEDIAN_ERROR_AT_MOST = {"lut": 0.48, "ff": 0.32, "dsp": 1.0, "bram18": 0.24, "latency_cycles": 0.06}
FIT_LEFT_OUT_MEDIAN_ERROR_AT_MOST = {"lut": 0.21, "ff": 0.35, "dsp": 0.06, "bram18": 0.01, "latency_cycles": 0.09}
HELDOUT_FAMILIES = {"deeppicar_cnn", "l1_llp_jet_tagger", "toptag_rnn"}


def _rows() -> list[dict]:
    return fpga_calibration.read_rows()


def test_every_row_names_its_source_and_a_rebuilt_model():
    rows = _rows()
    records = fpga_calibration.read_records()
    assert len(rows) == 96 and len({row["id"] for row in rows}) == 96
    for row in rows:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", row["source_repository"]) and re.fullmatch(r"[0-9a-f]{40}", row["source_commit"])
        assert row["source_path"] and row["model"] in fpga_published.ARCHITECTURES and row["family"]
        assert row["tool"] in ("vivado", "vitis") and re.fullmatch(r"\d\.\d", row["hls4ml_release"])
        assert row["id"] in records and records[row["id"]]
        for figure in ("lut", "ff", "dsp", "bram18", "latency_cycles", "ii_cycles"):
            assert float(row[figure]) >= 0
    assert sum(row["tool"] == "vitis" for row in rows) == 39 and sum(row["strategy"] == "resource" for row in rows) == 27


def test_the_split_is_a_third_of_the_families_by_hash_and_never_splits_a_family():
    rows = _rows()
    added = [row for row in rows if row["family"] in fpga_calibration.ADDED_FAMILIES]
    assert {row["split"] for row in added} <= {"heldout"} and all(row["blind"] for row in added)
    fitted_later = [row for row in rows if row["family"] in fpga_calibration.FITTED_AFTER_BLIND]
    assert len(fitted_later) == 55 and {row["split"] for row in fitted_later} == {"fit"}
    for entry in fpga_calibration.BLIND_ROUNDS.values():
        assert sum(row["family"] in entry["families"] for row in rows) == entry["rows"]
    families = {row["family"] for row in rows} - fpga_calibration.ADDED_FAMILIES - fpga_calibration.FITTED_AFTER_BLIND
    ranked = sorted(families, key=lambda family: hashlib.sha256(family.encode()).hexdigest())
    assert fpga_calibration.heldout_families(families) == set(ranked[:len(families) // 3]) == HELDOUT_FAMILIES
    for family in {row["family"] for row in rows}:
        assert len({row["split"] for row in rows if row["family"] == family}) == 1
    assert sum(row["split"] == "heldout" for row in rows) == 7 + len(added)
    assert {row["family"] for row in rows if row["split"] == "heldout" and not row["blind"]} == set(fpga_calibration.SEEN_HELDOUT)
    assert {row["model"] for row in rows if row["split"] == "heldout"}.isdisjoint(
        {row["model"] for row in rows if row["split"] == "fit"})


def test_the_calibrated_layer_kinds_are_those_of_the_fitted_designs():
    """A layer kind counts as calibrated exactly when some fitted published design has it and did not show it
    misestimated; the others get the wider range (`uncalibrated`), the misestimated ones an "unchecked" verdict."""
    records = fpga_calibration.read_records()
    fitted = {kind_of(record) for row in _rows() if row["split"] == "fit" for record in records[row["id"]]} - {"input"}
    assert fitted == CALIBRATED_KINDS | set(MISESTIMATED_KINDS) and not CALIBRATED_KINDS & set(MISESTIMATED_KINDS)


def _heldout_summary(records: dict, blind_only: bool = False) -> dict:
    rows = [row for row in _rows() if row["split"] == "heldout" and (row["blind"] or not blind_only)]
    table = fpga_calibration.evaluate(rows, records, calibration.shipped())
    medians = {figure: statistics.median(entry[figure]["error"] for entry in table) for figure in FIGURES}
    exact = sum(entry["ii_cycles"]["estimate"] == entry["ii_cycles"]["report"] for entry in table)
    return {"medians": medians, "ii_exact": exact, "table": table}


def _assert_within(summary: dict, bounds: dict) -> None:
    for figure, bound in bounds.items():
        assert summary["medians"][figure] <= bound, (figure, summary["medians"])


def test_heldout_reports_are_estimated_within_the_measured_error():
    records = fpga_calibration.read_records()
    summary, blind = _heldout_summary(records), _heldout_summary(records, blind_only=True)
    _assert_within(summary, HELDOUT_MEDIAN_ERROR_AT_MOST)
    _assert_within(blind, BLIND_MEDIAN_ERROR_AT_MOST)
    shipped = calibration.shipped().summary
    assert shipped["heldout_rows"] == 7 and shipped["fit_rows"] == 89 and shipped["heldout_blind_rows"] == 3
    assert set(shipped["heldout_families"]) == HELDOUT_FAMILIES | fpga_calibration.ADDED_FAMILIES
    assert shipped["heldout_median_error_percent"] == {f: round(100 * v, 1) for f, v in summary["medians"].items()}
    assert shipped["heldout_blind_median_error_percent"] == {f: round(100 * v, 1) for f, v in blind["medians"].items()}
    assert shipped["heldout_ii_exact"] == f"{summary['ii_exact']} of 7"


def test_the_shipped_calibration_is_the_fit_of_the_fit_rows_alone():
    """Nobody edits the coefficients by hand, and the fit never reads a held-out row: refitting with the
    held-out records removed gives the shipped coefficients, ranges and left-out-family errors."""
    shipped = json.loads(resources.files("edgeaccel.estimate").joinpath("data", calibration.CALIBRATION_FILE).read_text())
    rows = _rows()
    records = {key: None if key in {row["id"] for row in rows if row["split"] == "heldout"} else value
               for key, value in fpga_calibration.read_records().items()}
    fit_rows = [row for row in rows if row["split"] == "fit"]
    tools = fpga_calibration.fit(fit_rows, records)
    left_out = fpga_calibration.leave_one_family_out(fit_rows, records)
    assert json.loads(json.dumps(tools)) == shipped["tools"]
    assert fpga_calibration.residual_ranges(fit_rows, records, tools, left_out) == shipped["ranges"]
    left_out_errors = {figure: statistics.median(fpga_calibration.relative_error(left_out[row["id"]][figure], float(row[figure]))
                                                 for row in fit_rows) for figure in FIGURES}
    assert shipped["summary"]["fit_left_out_family_median_error_percent"] == {f: round(100 * v, 1) for f, v in left_out_errors.items()}
    _assert_within({"medians": left_out_errors}, FIT_LEFT_OUT_MEDIAN_ERROR_AT_MOST)


@pytest.mark.zoo
def test_rebuilt_published_designs_give_the_stored_estimates():
    """Every published model rebuilt, trained on synthetic data and converted by hls4ml 1.3 (minutes)."""
    rows = _rows()
    rebuilt = fpga_calibration.rebuild_records(rows)
    stored = fpga_calibration.read_records()
    shipped = calibration.shipped()
    for row in rows:
        fresh = fpga_calibration.estimate_row(row, rebuilt[row["id"]], shipped)
        kept = fpga_calibration.estimate_row(row, stored[row["id"]], shipped)
        for figure in ("lut", "ff", "dsp", "bram18", "latency_cycles", "ii_cycles"):
            assert fpga_calibration.relative_error(fresh[figure], kept[figure]) <= 0.05, (row["id"], figure, fresh[figure], kept[figure])
    _assert_within(_heldout_summary(rebuilt), HELDOUT_MEDIAN_ERROR_AT_MOST)
    _assert_within(_heldout_summary(rebuilt, blind_only=True), BLIND_MEDIAN_ERROR_AT_MOST)
