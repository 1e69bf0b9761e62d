"""The hls4ml tutorial's pruned jet-tagging MLP (fastmachinelearning/hls4ml-tutorial,
part3_compression.ipynb: 16-64-32-32-5, lecun_uniform, l1(1e-4), ap_fixed<16,6>, pruned to 75% with
ConstantSparsity), through edgeaccel's pruning, HLS conversion, csim and FPGA estimate. Its data set
(OpenML hls4ml_lhc_jets_hlf) cannot be downloaded here, so it trains on synthetic data of the same
shape (bench/compression.py)."""

import pytest

from bench.compression import jet_project
from edgeaccel.artifact import read_artifact

pytestmark = pytest.mark.zoo


@pytest.fixture(scope="module")
def jet_builds(tmp_path_factory):
    from edgeaccel.pipeline import run_project

    directory = tmp_path_factory.mktemp("jet")
    return {sparsity: run_project(jet_project(directory, sparsity, epochs=30, samples=20000), directory / f"build-{sparsity}",
                                  progress=False)
            for sparsity in (0.0, 0.75)}


def test_the_tutorials_75_percent_pruning_keeps_csim_exact_and_cuts_the_multipliers(jet_builds):
    dense, pruned = (read_artifact(jet_builds[s].directory / "hls") for s in (0.0, 0.75))
    layers = jet_builds[0.75].metrics["compression"]["pruning"]["layers"]
    assert set(layers) == {"fc1", "fc2", "fc3", "output"}
    assert all(0.75 <= layer["sparsity"] < 0.76 for layer in layers.values()), layers
    for sparsity in (0.0, 0.75):
        assert jet_builds[sparsity].metrics["fidelity"]["csim"]["bit_exact_fraction"] == 1.0
    multipliers = lambda artifact: sum(layer["multipliers"] for layer in artifact.estimate["layers"])  # noqa: E731
    assert multipliers(dense) >= 3 * multipliers(pruned), (multipliers(dense), multipliers(pruned))
    dsp = lambda artifact: artifact.estimate["resources"]["dsp"]["used"]  # noqa: E731
    assert dsp(dense) >= 3 * dsp(pruned), "16-bit products are DSPs: pruning 75% leaves about a quarter"
    # bench/compression.py at the same sizes measured 0.855 dense and 0.806 pruned on this synthetic data
    accuracy = {s: jet_builds[s].metrics["backends"]["qkeras"]["accuracy"] for s in (0.0, 0.75)}
    assert accuracy[0.0] > 0.8 and accuracy[0.75] >= accuracy[0.0] - 0.06, accuracy


@pytest.mark.xfail(strict=True, reason="hardware softmax of the 16-bit jet design: logits bit-exact, argmax after the "
                                       "stable softmax agrees with QKeras in about 20% of samples (measured 2026-11-25)")
def test_the_hardware_softmax_agrees_with_qkeras(jet_builds):
    for sparsity in (0.0, 0.75):
        assert jet_builds[sparsity].metrics["backends"]["hls"]["argmax_agreement"] >= 0.99
