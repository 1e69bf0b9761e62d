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
    # On this synthetic data, pruning 75% cost 4.9 points in bench/compression.py (0.855 -> 0.806) and 6.3 points
    # with the input quantization issue 10 applies to the QKeras reference (0.862 -> 0.799).
    accuracy = {s: jet_builds[s].metrics["backends"]["qkeras"]["accuracy"] for s in (0.0, 0.75)}
    assert accuracy[0.0] > 0.8 and accuracy[0.75] >= accuracy[0.0] - 0.08, accuracy


def test_the_hardware_softmax_agrees_with_qkeras(jet_builds):
    """Before issue 10's softmax tables sized from the logits, this agreement was about 0.2 (chance for 5 classes).
    Near-ties of the table softmax flip a few argmaxes, and how many depends on the training run: on an idle
    machine at least 0.999, in one run beside another test suite 0.99875 (threaded training is not bit-reproducible)."""
    for sparsity in (0.0, 0.75):
        assert jet_builds[sparsity].metrics["backends"]["hls"]["argmax_agreement"] >= 0.995
