"""Importing TensorFlow with Keras 2 (tf_keras) as `tf.keras`, which QKeras and hls4ml's Keras-2 parser need.

`TF_USE_LEGACY_KERAS=1` only takes effect if it is set before TensorFlow is first imported, so
`import edgeaccel` sets it, and `tensorflow()` refuses to continue when TensorFlow was already
imported with Keras 3 behind `tf.keras`.
"""

import contextlib
import os
import sys

from edgeaccel.errors import EnvironmentProblem


def prepare_environment() -> None:
    """Set the variables TensorFlow reads at import time, unless TensorFlow is already imported."""
    if "tensorflow" not in sys.modules:
        os.environ["TF_USE_LEGACY_KERAS"] = "1"
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def tensorflow():
    """Return the `tensorflow` module with tf_keras behind `tf.keras`, or raise EnvironmentProblem."""
    prepare_environment()
    if "tensorflow" in sys.modules:
        import tensorflow as tf
    else:
        with quiet_native_stderr():
            import tensorflow as tf
        _quiet_python_loggers(tf)

    keras_module = tf.keras.layers.Layer.__module__
    if not keras_module.startswith("tf_keras"):
        raise EnvironmentProblem(
            "TensorFlow was imported before edgeaccel without TF_USE_LEGACY_KERAS=1: "
            f"expected tf.keras to be tf_keras (Keras 2), received {keras_module.split('.')[0]} "
            f"{_keras3_version()}; import edgeaccel first, or set TF_USE_LEGACY_KERAS=1 before importing TensorFlow"
        )
    return tf


def _keras3_version() -> str:
    try:
        import keras

        return keras.__version__
    except ImportError:
        return "(unknown version)"


def _quiet_python_loggers(tf) -> None:
    """TensorFlow's and QKeras's INFO chatter ("Assets written to", "keras dict linear") to WARNING."""
    if os.environ.get("EDGEACCEL_TF_LOGS") == "1":
        return
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.WARNING)
    tf.get_logger().setLevel("WARNING")
    tf.get_logger().addFilter(_drop_compile_notice)


def _drop_compile_notice(record) -> bool:
    """tf_keras warns "Compiled the loaded model, but the compiled metrics have yet to be built" when
    it loads a model saved after training; edgeaccel never evaluates loaded models with Keras metrics."""
    return "Compiled the loaded model" not in record.getMessage()


@contextlib.contextmanager
def quiet_native_stderr():
    """Drop what TensorFlow's and LiteRT's C++ side print to stderr (absl, oneDNN and XNNPACK banners,
    converter statistics). They ignore TF_CPP_MIN_LOG_LEVEL. Python exceptions are unaffected:
    they are raised, not printed. `EDGEACCEL_TF_LOGS=1` shows everything.
    """
    if os.environ.get("EDGEACCEL_TF_LOGS") == "1":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
