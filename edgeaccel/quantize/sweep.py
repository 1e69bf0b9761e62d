"""Accuracy against bit width: the same float model quantized at several widths, each QAT-trained
with the same seed and epochs. Feeds the report's accuracy-versus-bits plot and `make bench`."""

import logging

import numpy as np

from edgeaccel.specs import QuantSpec, TrainingSpec

log = logging.getLogger(__name__)


def bit_sweep(float_model, quant: QuantSpec, bits: list[int], x_train, y_train, x_test, y_test,
              training: TrainingSpec, seed: int, input_signed: bool, progress: bool = True, compression=None) -> list[dict]:
    """Test accuracy of QAT at each width in `bits` (weights, biases and activations; inputs keep theirs),
    compressed as the main model is (`compression`, edgeaccel.compress)."""
    from edgeaccel.models.training import train
    from edgeaccel.quantize.qat import quantize_model

    rows = []
    for width in bits:
        spec = quant.model_copy(update={"weight_bits": width, "bias_bits": width, "activation_bits": width,
                                        "activation_integer": min(quant.activation_integer, width - 1)})
        qmodel = quantize_model(float_model, spec, input_signed=input_signed)
        train(qmodel, x_train, y_train, training, seed, f"QAT {width}-bit", progress, compression=compression)
        accuracy = float(np.mean(qmodel.predict(x_test, verbose=0).argmax(-1) == y_test))
        log.info("bit sweep: %d bits, accuracy %.4f", width, accuracy)
        rows.append({"bits": width, "accuracy": accuracy})
    return rows
