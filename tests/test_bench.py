"""The benchmark harness runs on tiny sizes, so that `make bench` does not rot. No timing is asserted."""

import re

import pytest

from bench.run import main
from edgeaccel.estimate.fpga import calibration


def test_bench_quick_writes_its_tables(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    assert main(["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert "## csim: hls4ml 1.3 `compile()` + `predict()` against edgeaccel" in text
    assert "| jet_mlp |" in text and "| digits_cnn |" in text
    assert "1.0000 / 1.0000" in text, "both csim builds must be bit-exact against QKeras"
    assert "machine:" in text and "hls4ml 1.3.0" in text
    assert "| kws_ds_cnn (per_channel Dense) | " in text
    for section in ("## csim scaling", "## TFLite and TFLite Micro on the host", "## QAT: test accuracy", "## End to end",
                    "## FPGA estimate against published synthesis reports", "## MLPerf Tiny reference models",
                    "## Pruning: accuracy, estimated multipliers",
                    "## Distillation: QAT accuracy with and without a teacher", "## Sweep: trials per minute with 1 and 2 workers",
                    "## Sweep: the Pareto front against the default configuration",
                    "## Zoo: published models through edgeaccel and through hls4ml 1.3's defaults"):
        assert section in text
    summary = calibration.shipped().summary
    assert "| deeppicar_best_resource_a35t_vitis2024.2 | " in text and f"| II | exact in {summary['heldout_ii_exact']} " in text
    assert re.search(rf"\| II \| exact in \d+ of {summary['fit_rows']} ", text), "the fit families, each left out in turn"
    for name, entry in summary["earlier_blind_rounds"].items():
        assert f"| {name}: {', '.join(entry['families'])} | {entry['rows']} | {entry['median_error_percent']['lut']}% |" in text
    assert "| hls4ml_dense_activation_exact | bit-exact | 1.0000 |" in text
    pruned = [line for line in text.splitlines() if line.startswith("| 75% | ")]
    assert len(pruned) == 1 and "| 1.0000 | 75.0% |" in pruned[0], "csim bit-exact at 75% sparsity"


def test_only_replaces_its_sections_and_keeps_the_others(tmp_path):
    from bench.report import replace_sections

    out = tmp_path / "BENCHMARKS.md"
    out.write_text("# edgeaccel benchmarks\n\n- date: then\n\n## csim\n\nkept 1.0000\n\n## Pruning: old\n\nold row\n")
    replace_sections(out, [["## Pruning: old", "", "new row", ""], ["## Sweep: new", "", "added row", ""]], quick=False)
    replace_sections(out, [["## Distillation", "", "last row"]], quick=False)
    text = out.read_text()
    assert "added row\n\n## Distillation\n" in text
    assert text.startswith("# edgeaccel benchmarks\n\n- date: then\n\n## csim\n\nkept 1.0000\n\n## Pruning: old\n")
    assert "old row" not in text and text.count("new row") == 1 and text.rstrip().endswith("last row")
    assert text.count("Re-measured alone by `python -m bench.run --only ...`") == 3


def test_only_refuses_an_unknown_group(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--only", "pruning,sweeps"])
    assert exit_.value.code == 2
    assert "expected some of fpga, mlperf, e2e, zoo, pruning, distillation, sweep-scaling, sweep-front, received 'pruning,sweeps'" in capsys.readouterr().err
