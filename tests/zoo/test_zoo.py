"""Other people's published models (see published.py) through convert -> csim -> testbench: bit-exact with
their fixed-point reference (softmax argmax agreement >= 0.999), or refused at convert with one line that
names the layer and the reason. A few small models whose firmware differs most from hls4ml's defaults
run convert -> csim in the default suite (tests/convert/test_hls.py covers the float path and the
bench the plain quantized_bits one); every other model's full path, testbench included (another g++ build),
runs in `make test-zoo`, but for the two slowest (BENCH_ONLY), which `make bench` measures."""

import numpy as np
import pytest

from edgeaccel.data import write_npz
from edgeaccel.errors import EdgeAccelError
from edgeaccel.models.files import save_model
from edgeaccel.targets import ConvertRequest, convert
from zoo.published import ZOO, randomized

CALIBRATION_SAMPLES = 500
TEST_SAMPLES = 1000
SLOW_TEST_SAMPLES = 300
DEFAULT_SUITE = {
    "hls4ml_btnn_binary",  # binary weights and activations (XNOR products)
    "hls4ml_qactivation_kwarg_ternary",  # a ternary activation hls4ml fuses with its scale
    "hls4ml_qlstm",  # refused by name
    "qkeras_example_mnist_po2",  # refused by name
}

# The zoo's slowest builds, measured in the bench zoo table only (bench/zoo.py), to keep `make test-zoo` within
# its CI budget: 36 minutes with them under a load of 6-7 on 2 cores, where these two took 10 of them. The
# CIFAR-10 CNNs hls4ml_finn_rn07 and tutorial_part6_qkeras_cnn stay.
BENCH_ONLY = {"mlperf_tiny_resnet8_float", "qkeras_example_mnist"}


def _marks(entry):
    return [] if entry.name in DEFAULT_SUITE else [pytest.mark.zoo]


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.name, marks=_marks(e)) for e in ZOO if e.name not in BENCH_ONLY])
def test_published_model(entry, tmp_path):
    artifact = _convert(entry, tmp_path)
    if artifact is None:
        return
    from edgeaccel.sim.csim_backend import CsimBackend
    from edgeaccel.sim.fidelity import csim_fidelity

    x = entry.inputs(SLOW_TEST_SAMPLES if entry.slow else TEST_SAMPLES, 1)
    fidelity = csim_fidelity(CsimBackend(artifact.directory), None, x)
    assert fidelity["bit_exact_fraction"] == 1.0 and fidelity["max_abs_diff"] == 0.0, fidelity["verdict"]
    if fidelity["softmax"]:
        assert fidelity["softmax"]["argmax_agreement"] >= 0.999, fidelity["verdict"]
    else:
        assert fidelity["outputs"]["bit_exact_fraction"] == 1.0, fidelity["verdict"]
    assert fidelity["ok"] and fidelity["first_divergence"] is None, fidelity["verdict"]
    assert not [row for row in fidelity["layers"] if row["status"] == "differs"]
    assert np.isfinite(artifact.estimate["latency_cycles"])
    if entry.name not in DEFAULT_SUITE:
        _check_testbench(artifact, fidelity["softmax"] is not None)


@pytest.mark.zoo
@pytest.mark.parametrize("entry", [pytest.param(e, id=e.name) for e in ZOO
                                   if e.name in DEFAULT_SUITE and e.expect == "bit-exact"])
def test_published_model_testbench(entry, tmp_path):
    """The testbench of the models whose csim the default suite checks."""
    artifact = _convert(entry, tmp_path)
    _check_testbench(artifact, artifact.details.softmax_layer is not None)


def _convert(entry, tmp_path):
    """The artifact, or None after checking a refusal is the one expected."""
    model = entry.build() if entry.own_weights else randomized(entry.build())
    save_model(model, tmp_path / "model.h5")
    write_npz(tmp_path / "calib.npz", entry.inputs(CALIBRATION_SAMPLES, 0))
    request = ConvertRequest(tmp_path / "model.h5", tmp_path / "hls", board="pynq-z2")
    if not entry.expect.startswith("refused: "):
        return convert(request, "hls")
    with pytest.raises(EdgeAccelError) as refusal:
        convert(request, "hls")
    line = str(refusal.value)
    assert "\n" not in line and entry.expect.removeprefix("refused: ") in line, line
    assert line.startswith("layer '"), f"a refusal names the layer first: {line}"
    assert not (tmp_path / "hls").exists()
    return None


def _check_testbench(artifact, softmax: bool) -> None:
    from edgeaccel.sim.testbench import run_testbench

    testbench = run_testbench(artifact.directory)
    assert testbench.ok and testbench.samples == 200, testbench.verdict
    if not softmax:
        assert testbench.matches_reference == 1.0, testbench.verdict
