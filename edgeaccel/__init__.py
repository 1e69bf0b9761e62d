"""edgeaccel: quantization-aware Keras models to TFLite, TFLite Micro, Edge TPU and hls4ml FPGAs.

Importing this package is cheap: it does not import TensorFlow. It sets TF_USE_LEGACY_KERAS=1
so that a later `import tensorflow` gives tf_keras (Keras 2) as `tf.keras`, which QKeras needs.
"""

from edgeaccel.tfenv import prepare_environment

prepare_environment()

__version__ = "0.1.0"
