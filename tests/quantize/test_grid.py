import numpy as np
import pytest

from edgeaccel.quantize.grid import InputGrid


@pytest.mark.parametrize("bits,integer,signed", [(8, 0, False), (8, 0, True), (6, 2, True), (4, 1, False), (10, 3, True)])
def test_numpy_grid_equals_qkeras_quantized_bits(bits, integer, signed):
    from qkeras import quantized_bits

    x = np.random.default_rng(bits).uniform(-20, 20, size=4000).astype(np.float32)
    x = np.concatenate([x, np.arange(-64, 64, 1 / 512, dtype=np.float32)])
    qkeras = quantized_bits(bits, integer, keep_negative=signed, alpha=1)(x).numpy()
    np.testing.assert_array_equal(InputGrid(bits, integer, signed).quantize(x), qkeras)
