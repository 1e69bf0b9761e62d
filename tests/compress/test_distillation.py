"""Distillation: the loss is Hinton's (the Keras example's), the student is trained through its
logits and recorded, and a teacher that cannot teach is refused with one line."""

import re

import numpy as np
import pytest

from conftest import error_line, run_cli, write_project
from edgeaccel.compress.distillation import distillation_loss, packed_targets
from edgeaccel.specs import DistillationSpec


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_the_loss_is_cross_entropy_plus_t_squared_kl_on_softened_logits():
    rng = np.random.default_rng(0)
    labels, teacher, student = rng.integers(0, 4, 6), rng.normal(0, 3, (6, 4)), rng.normal(0, 3, (6, 4))
    alpha, temperature = 0.3, 2.5
    loss = distillation_loss(DistillationSpec(alpha=alpha, temperature=temperature))
    computed = np.asarray(loss(packed_targets(labels, teacher.astype(np.float32)), student.astype(np.float32)))
    hard = -np.log(softmax(student)[np.arange(6), labels])
    p, q = softmax(teacher / temperature), softmax(student / temperature)
    expected = alpha * hard + (1 - alpha) * temperature ** 2 * np.sum(p * (np.log(p) - np.log(q)), axis=1)
    np.testing.assert_allclose(computed, expected, rtol=1e-4)


def test_a_distilled_student_is_trained_and_recorded(tmp_path):
    from edgeaccel.models.files import load_model
    from edgeaccel.pipeline import train_project

    project = write_project(tmp_path / "d.yaml", model={"builtin": "mlp", "hidden": [16]},
                            quantization={"weight_bits": 3, "bias_bits": 3, "activation_bits": 3, "activation_integer": 1},
                            training={"epochs": 3, "float_baseline": True,
                                      "distillation": {"teacher": "float", "temperature": 3.0, "alpha": 0.2}},
                            targets={"tflite": None})
    build = train_project(project, tmp_path / "build", progress=False)
    assert build.metrics["compression"] == {"distillation": {"teacher": "float baseline", "temperature": 3.0, "alpha": 0.2}}
    from edgeaccel.data import read_npz

    x, y = read_npz(tmp_path / "build" / "test.npz")
    student = load_model(tmp_path / "build" / "model.h5")
    assert np.mean(student.predict(x, verbose=0).argmax(1) == y) > 0.5, "the student learned through the distillation loss"


def test_a_teacher_that_cannot_teach_is_refused_before_training(tmp_path):
    from edgeaccel.errors import ModelError
    from edgeaccel.models.files import save_model
    from edgeaccel.pipeline import train_project
    from edgeaccel.tfenv import tensorflow

    untrained = write_project(tmp_path / "u.yaml", training={"float_baseline": False, "distillation": {"teacher": "float"}})
    assert ("training.distillation.teacher: expected training.float_baseline: true for the teacher 'float'"
            in error_line(run_cli("train", untrained, "--out", tmp_path / "out")))

    tf = tensorflow()
    inputs = tf.keras.Input((8, 8, 1))
    flat = tf.keras.layers.Flatten()(inputs)
    save_model(tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation="softmax")(flat)), tmp_path / "fused.h5")
    save_model(tf.keras.Model(inputs, tf.keras.layers.Dense(5)(flat)), tmp_path / "five.h5")
    cases = [("fused.h5", ModelError, "expected the teacher's softmax as its own Activation layer (its input are the logits), "
                                      "received it inside layer 'dense'"),
             ("five.h5", ModelError, "expected a classifier with 10 outputs (one per class), received outputs of shape (5,)"),
             ("missing.h5", ModelError, "expected an existing Keras .h5 model file")]
    for teacher, error, message in cases:
        project = write_project(tmp_path / "t.yaml", training={"epochs": 1000, "distillation": {"teacher": teacher}})
        with pytest.raises(error, match=re.escape(message)):
            train_project(project, tmp_path / "out", progress=False)  # 1000 epochs: it must fail before training
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_alpha_outside_zero_one_is_refused(tmp_path, alpha):
    project = write_project(tmp_path / "a.yaml", training={"distillation": {"alpha": alpha}})
    assert "training.distillation.alpha: expected" in error_line(run_cli("train", project))
