"""Models: the builtin float architectures, loading model files, and training."""
