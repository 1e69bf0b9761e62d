"""Knowledge distillation into a QKeras student (Hinton, Vinyals and Dean 2015, "Distilling the
Knowledge in a Neural Network"), with the loss of the Keras example (keras-team/keras-io,
examples/vision/knowledge_distillation.py):

    loss = alpha * CE(labels, softmax(student)) + (1 - alpha) * T^2 * KL(softmax(teacher / T) || softmax(student / T))

The teacher is fixed, so its logits are computed once and travel beside the labels as the fit
targets; the student is fitted through its logits (the input of its final softmax), a model that
shares the student's layers, so the student itself is trained.
"""

import numpy as np

from edgeaccel.errors import ModelError
from edgeaccel.specs import DistillationSpec


def logits_model(model, role: str):
    """A model sharing `model`'s layers whose output is its logits, and whether `model` ended in a
    softmax. A final softmax must be its own Activation layer (its input are the logits); a model
    without a final softmax already outputs logits. A softmax fused into a Dense is refused."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    last = model.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if type(last).__name__ == "Activation" and activation == "softmax":
        return tf.keras.Model(model.inputs, last.input, name=f"{model.name}_logits")
    if activation == "softmax" or type(last).__name__ == "Softmax":
        raise ModelError(f"training.distillation: expected the {role}'s softmax as its own Activation layer (its input "
                         f"are the logits), received it inside layer {last.name!r} ({type(last).__name__})")
    return model


def check_teacher(teacher, classes: int) -> None:
    """A teacher must give its logits (see `logits_model`), one per class."""
    shape = tuple(logits_model(teacher, "teacher").output_shape[1:])
    if shape != (classes,):
        raise ModelError(f"training.distillation.teacher: expected a classifier with {classes} outputs (one per class), "
                         f"received outputs of shape {shape}")


def teacher_logits(teacher, x: np.ndarray, classes: int) -> np.ndarray:
    """The teacher's logits on `x`, one per class."""
    check_teacher(teacher, classes)
    return np.asarray(logits_model(teacher, "teacher").predict(x, batch_size=1024, verbose=0), dtype=np.float32)


def packed_targets(labels: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """The fit targets: each row is the class label followed by the teacher's logits."""
    return np.concatenate([labels.reshape(-1, 1).astype(np.float32), logits], axis=1)


def distillation_loss(spec: DistillationSpec):
    """The Keras loss on packed targets (label, teacher logits) and the student's logits."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()
    alpha, temperature = spec.alpha, spec.temperature

    def distillation(packed, student):
        labels = tf.cast(packed[:, 0], tf.int32)
        teacher = packed[:, 1:]
        hard = tf.keras.losses.sparse_categorical_crossentropy(labels, student, from_logits=True)
        soft_teacher = tf.nn.softmax(teacher / temperature)
        kl = tf.reduce_sum(soft_teacher * (tf.nn.log_softmax(teacher / temperature) - tf.nn.log_softmax(student / temperature)), axis=-1)
        return alpha * hard + (1.0 - alpha) * temperature ** 2 * kl

    return distillation


def label_accuracy():
    """Accuracy of the student's logits against the labels in the packed targets (reported as `accuracy`)."""
    from edgeaccel.tfenv import tensorflow

    tf = tensorflow()

    def accuracy(packed, student):
        labels = tf.cast(packed[:, 0], tf.int64)
        return tf.cast(tf.equal(tf.argmax(student, axis=-1), labels), tf.float32)

    return accuracy
