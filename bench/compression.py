"""Compression: pruning at several sparsities (accuracy, estimated multipliers, DSP and LUT, csim
exactness) on digits and on the jet-tagging MLP, and the accuracy distillation adds to QAT at 4, 3
and 2 bits on digits (same seed and epochs).

The jet-tagging MLP is the hls4ml tutorial's (fastmachinelearning/hls4ml-tutorial,
part3_compression.ipynb: 16-64-32-32-5, lecun_uniform, l1(1e-4), ap_fixed<16,6>, pruned to 75%
with ConstantSparsity). Its data set (OpenML hls4ml_lhc_jets_hlf) cannot be downloaded here, so it
is trained on synthetic data of the same shape: 16 features, 5 classes (scikit-learn's
make_classification), and its accuracies are not the tutorial's.
"""

from pathlib import Path

import numpy as np
import yaml

JET_FEATURES, JET_CLASSES = 16, 5


def jet_float_model():
    """The tutorial's float jet-tagging MLP (part3_compression.ipynb), before pruning."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    layers, l1 = tf.keras.layers, tf.keras.regularizers.l1
    inputs = tf.keras.Input((JET_FEATURES,), name="jets")
    x = inputs
    for name, units in (("fc1", 64), ("fc2", 32), ("fc3", 32)):
        x = layers.Dense(units, name=name, kernel_initializer="lecun_uniform", kernel_regularizer=l1(0.0001))(x)
        x = layers.Activation("relu", name=f"relu{name[-1]}")(x)
    x = layers.Dense(JET_CLASSES, name="output", kernel_initializer="lecun_uniform", kernel_regularizer=l1(0.0001))(x)
    return tf.keras.Model(inputs, layers.Activation("softmax", name="softmax")(x), name="jet_tagging_mlp")


def jet_data(path: Path, samples: int, seed: int = 0) -> Path:
    """Synthetic stand-in for the jet features: 16 standardized features, 5 classes."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=samples, n_features=JET_FEATURES, n_informative=10, n_redundant=3,
                               n_classes=JET_CLASSES, n_clusters_per_class=2, class_sep=1.0, random_state=seed)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    np.savez(path, x=x.astype(np.float32), y=y.astype(np.int64))
    return path


def jet_project(workdir: Path, sparsity: float, epochs: int, samples: int) -> Path:
    """A project file training the tutorial's jet MLP at ap_fixed<16,6> weights and activations (the
    precision of part 3), pruned to `sparsity` with the tutorial's constant schedule, for the PYNQ-Z2."""
    from edgeaccel.models.files import save_model

    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "jet_float.h5").is_file():
        save_model(jet_float_model(), workdir / "jet_float.h5")
    if not (workdir / "jets.npz").is_file():
        jet_data(workdir / "jets.npz", samples)
    training = {"epochs": epochs, "batch_size": 256, "learning_rate": 0.001, "early_stopping": None, "float_baseline": False}
    if sparsity:
        training["pruning"] = {"target_sparsity": sparsity, "schedule": "constant", "begin_epoch": max(1, epochs // 5)}
    project = {"name": f"jet-{int(sparsity * 100)}", "data": {"source": "jets.npz", "seed": 0},
               "model": {"path": "jet_float.h5"},
               "quantization": {"input_bits": 16, "input_integer": 6, "weight_bits": 16, "weight_integer": 6,
                                "bias_bits": 16, "bias_integer": 6, "activation_bits": 16, "activation_integer": 6},
               "training": training,
               "targets": {"tflite": None, "hls": {"board": "pynq-z2", "reuse_factor": 1}}}
    path = workdir / f"jet-{int(sparsity * 100)}.yaml"
    path.write_text(yaml.safe_dump(project, sort_keys=False))
    return path


def digits_project(workdir: Path, sparsity: float, epochs: int) -> Path:
    """edgeaccel's digits MLP (64-32, 8-bit) pruned to `sparsity`, for the PYNQ-Z2 at reuse factor 1."""
    workdir.mkdir(parents=True, exist_ok=True)
    training = {"epochs": epochs, "float_baseline": True}
    if sparsity:
        training["pruning"] = {"target_sparsity": sparsity}
    project = {"name": f"digits-{int(sparsity * 100)}", "data": {"source": "sklearn:digits", "seed": 0},
               "model": {"builtin": "mlp", "hidden": [64, 32]}, "quantization": {"activation_integer": 2},
               "training": training, "targets": {"tflite": None, "hls": {"board": "pynq-z2", "reuse_factor": 1}}}
    path = workdir / f"digits-{int(sparsity * 100)}.yaml"
    path.write_text(yaml.safe_dump(project, sort_keys=False))
    return path


def pruning_row(project: Path, out: Path) -> dict:
    """One sparsity level: trained, converted, run on csim and estimated, through `edgeaccel run`."""
    from edgeaccel.pipeline import run_project

    metrics = run_project(project, out, progress=False).metrics
    estimate = metrics["estimates"]["hls"]
    resources = estimate["resources"]
    return {"qkeras_accuracy": metrics["backends"]["qkeras"]["accuracy"], "csim_accuracy": metrics["backends"]["hls"]["accuracy"],
            "csim_agreement": metrics["backends"]["hls"]["argmax_agreement"],
            "csim_bit_exact": metrics["fidelity"]["csim"]["bit_exact_fraction"],
            "zero_weights": metrics["weight_sparsity"]["total"]["sparsity"],
            "multipliers": sum(layer["multipliers"] for layer in estimate["layers"]),
            "dsp": resources["dsp"]["used"], "lut": resources["lut"]["used"], "lut_percent": resources["lut"]["percent"]}


def pruning_levels(model: str, levels: list[float], epochs: int, samples: int, workdir: Path) -> dict:
    rows = []
    for sparsity in levels:
        project = (jet_project(workdir, sparsity, epochs, samples) if model == "jet" else
                   digits_project(workdir, sparsity, epochs))
        rows.append({"sparsity": sparsity} | pruning_row(project, workdir / f"build-{int(sparsity * 100)}"))
    dense = rows[0]["multipliers"]
    for row in rows:
        row["multiplier_reduction"] = dense / row["multipliers"] if row["multipliers"] else float("inf")
    title = ("jet-tagging MLP (hls4ml tutorial part 3), 16-bit, synthetic data" if model == "jet"
             else "digits MLP 64-32, 8-bit")
    return {"model": title, "epochs": epochs, "rows": rows}


TEACHERS = {"float": "the student's own float baseline", "cnn": "a bigger float CNN (filters 16-32, dense 64)"}
DISTILLATION_CASES = ({"student_hidden": [64, 32], "teacher": "float"}, {"student_hidden": [16], "teacher": "cnn"})
SEEDS = (0, 1, 2)


def distillation_gain(student_hidden: list[int], teacher: str, bits: list[int], epochs: int, temperature: float = 4.0,
                      alpha: float = 0.5, seeds: tuple = SEEDS) -> dict:
    """Test accuracy of plain QAT and of QAT distilled from `teacher`, at each width: for each seed the
    same float student, starting weights, shuffling and epochs on both sides; means over the seeds."""
    from edgeaccel.compress import Compression
    from edgeaccel.data import load_dataset, split_dataset
    from edgeaccel.models.builtin import build_float_model
    from edgeaccel.models.training import seed_everything, train
    from edgeaccel.quantize.qat import quantize_model
    from edgeaccel.specs import DataSpec, DistillationSpec, ModelSpec, QuantSpec, TrainingSpec

    spec = DataSpec(source="sklearn:digits", seed=0)
    split = split_dataset(load_dataset(spec), spec)
    training = TrainingSpec(epochs=epochs)  # a validation split and early stopping, as a project trains
    accuracy = lambda model: float(np.mean(model.predict(split.x_test, verbose=0).argmax(-1) == split.y_test))  # noqa: E731
    shape, classes = split.x_train.shape[1:], split.classes
    big = None
    if teacher == "cnn":
        seed_everything(0)
        big = build_float_model(ModelSpec(builtin="cnn", filters=[16, 32], hidden=[64]), shape, classes)
        train(big, split.x_train, split.y_train, training, 0, "teacher", progress=False)
    plain, distilled, teachers, softened = {b: [] for b in bits}, {b: [] for b in bits}, [], []
    for seed in seeds:
        seed_everything(seed)
        student_float = build_float_model(ModelSpec(builtin="mlp", hidden=student_hidden), shape, classes)
        train(student_float, split.x_train, split.y_train, training, seed, "float student", progress=False)
        model = big if big is not None else student_float
        teachers.append(accuracy(model))
        softened.append(_softened_confidence(model, split.x_train, split.y_train, temperature))
        distill = Compression(distillation=DistillationSpec(temperature=temperature, alpha=alpha), teacher=model,
                              teacher_name=TEACHERS[teacher])
        for width in bits:
            quant = QuantSpec(weight_bits=width, bias_bits=width, activation_bits=width, activation_integer=min(2, width - 1))
            for results, compression in ((plain, None), (distilled, distill)):
                student = quantize_model(student_float, quant, input_signed=False)
                train(student, split.x_train, split.y_train, training, seed, f"QAT {width}-bit", False, compression=compression)
                results[width].append(accuracy(student))
    rows = [{"bits": b, "plain": float(np.mean(plain[b])), "distilled": float(np.mean(distilled[b])),
             "gain": float(np.mean(distilled[b]) - np.mean(plain[b])),
             "gains": [d - p for d, p in zip(distilled[b], plain[b])]} for b in bits]
    return {"model": f"MLP {'-'.join(map(str, student_hidden))}", "teacher": TEACHERS[teacher],
            "teacher_accuracy": float(np.mean(teachers)),
            "teacher_train_accuracy": float(np.mean([s["accuracy"] for s in softened])),
            "teacher_softened_confidence": float(np.mean([s["confidence"] for s in softened])), "epochs": epochs, "temperature": temperature, "alpha": alpha,
            "seeds": len(seeds), "rows": rows}


def _softened_confidence(teacher, x: np.ndarray, y: np.ndarray, temperature: float) -> dict:
    """The teacher on its own training samples: accuracy, and the mean probability its softened
    distribution gives the top class (1.0: the soft targets are the labels)."""
    from edgeaccel.compress.distillation import logits_model, teacher_logits

    logits = teacher_logits(teacher, x, int(logits_model(teacher, "teacher").output_shape[-1]))
    soft = np.exp((logits - logits.max(axis=1, keepdims=True)) / temperature)
    soft /= soft.sum(axis=1, keepdims=True)
    return {"accuracy": float(np.mean(logits.argmax(1) == y)), "confidence": float(soft.max(axis=1).mean())}
