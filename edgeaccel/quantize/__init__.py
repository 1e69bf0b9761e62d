"""Quantization: the QKeras twin of a float model, and the plain Keras model TFLite is made from."""
