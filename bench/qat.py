"""QAT: test accuracy at 8, 6, 4, 3 and 2 bits against the float baseline, same seed and epochs."""

from edgeaccel.specs import ModelSpec, QuantSpec, TrainingSpec


def accuracy_against_bits(builtin: str, bits: list[int], epochs: int) -> dict:
    import numpy as np

    from edgeaccel.data import load_dataset, split_dataset
    from edgeaccel.models.builtin import build_float_model
    from edgeaccel.models.training import seed_everything, train
    from edgeaccel.specs import DataSpec
    from edgeaccel.quantize.sweep import bit_sweep

    spec = DataSpec(source="sklearn:digits", seed=0)
    split = split_dataset(load_dataset(spec), spec)
    training = TrainingSpec(epochs=epochs, early_stopping=None, validation_fraction=0.0)
    seed_everything(0)
    float_model = build_float_model(ModelSpec(builtin=builtin, hidden=[64, 32] if builtin == "mlp" else [32]),
                                    split.x_train.shape[1:], split.classes)
    train(float_model, split.x_train, split.y_train, training, 0, f"float {builtin}", progress=False)
    baseline = float(np.mean(float_model.predict(split.x_test, verbose=0).argmax(-1) == split.y_test))
    rows = bit_sweep(float_model, QuantSpec(activation_integer=2), bits, split.x_train, split.y_train, split.x_test,
                     split.y_test, training, 0, input_signed=False, progress=False)
    return {"model": builtin, "epochs": epochs, "float": baseline, "rows": rows}
