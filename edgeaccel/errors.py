"""The exception hierarchy. Every message says what was expected and what was received."""


class EdgeAccelError(Exception):
    """Base class. `exit_code` is what the CLI exits with."""

    exit_code = 2


class ConfigError(EdgeAccelError):
    """A project file, board file or option is malformed or out of range."""


class DataError(EdgeAccelError):
    """A data file is missing, malformed, non-finite or of the wrong shape."""


class ModelError(EdgeAccelError):
    """A model file is missing, corrupt, or holds something a target cannot take."""


class UnsupportedError(EdgeAccelError):
    """A layer, op or option that a target does not support."""


class EnvironmentProblem(EdgeAccelError):
    """The Python environment is not set up the way the stack needs (e.g. Keras 3 as tf.keras)."""

    exit_code = 3


class ToolError(EdgeAccelError):
    """An external tool (g++, vivado, edgetpu_compiler, ...) is missing or failed."""

    exit_code = 3


class DeployError(EdgeAccelError):
    """A remote operation failed: unreachable host, refused key, remote runner failure."""

    exit_code = 4


class ValidationMismatch(EdgeAccelError):
    """Outputs that should agree do not (e.g. board results against the simulation)."""

    exit_code = 1


def received_path(path) -> str:
    """What a path that should have been a file is, for the 'received' half of a message."""
    import os

    if not os.path.lexists(path):
        return "a path that does not exist"
    if os.path.isdir(path):
        return "a directory"
    if not os.path.isfile(path):
        return "something that is not a regular file"
    return "a file"
