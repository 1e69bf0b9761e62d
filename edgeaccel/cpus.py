"""How many CPU cores this process may use, so that work sharing a machine does not oversubscribe it.

The budget is `EDGEACCEL_CPUS` when it is set (a sweep trial sets it to the cores Ray gave it),
otherwise the cores this process may run on (its affinity mask). csim compiles and simulates with
that many threads; `limit_cpus` also caps TensorFlow's intra- and inter-op thread pools
(`tf.config.threading`, before TensorFlow runs anything) and, through the environment, those of the
processes this one starts.
"""

import os

from edgeaccel.errors import ConfigError, EnvironmentProblem

BUDGET_VARIABLE = "EDGEACCEL_CPUS"
_THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")


def cpu_budget() -> int:
    """The cores this process may use: EDGEACCEL_CPUS, else the affinity mask (never less than 1)."""
    given = os.environ.get(BUDGET_VARIABLE)
    if given is None:
        return max(1, len(os.sched_getaffinity(0)))
    try:
        value = int(given)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{BUDGET_VARIABLE}: expected a positive integer number of cores, received {given!r}")
    return value


def limit_cpus(cpus: int) -> dict:
    """Cap this process (and the processes it starts) at `cpus` cores: edgeaccel's own threads and
    TensorFlow's intra- and inter-op pools. Returns the thread counts in force. Raises
    EnvironmentProblem when TensorFlow has already run with other pools (they cannot change then)."""
    if cpus < 1:
        raise ConfigError(f"cpus: expected a positive integer, received {cpus}")
    os.environ[BUDGET_VARIABLE] = str(cpus)
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(cpus)
    _set_tensorflow_threads(cpus)
    return threads_in_force()


def threads_in_force() -> dict:
    """The threads this process computes with: csim's and TensorFlow's pools (0: TensorFlow's default, every core)."""
    from edgeaccel.tfenv import tensorflow

    threading = tensorflow().config.threading
    return {"budget": cpu_budget(), "csim": cpu_budget(), "tensorflow_intra_op": threading.get_intra_op_parallelism_threads(),
            "tensorflow_inter_op": threading.get_inter_op_parallelism_threads()}


def _set_tensorflow_threads(cpus: int) -> None:
    from edgeaccel.tfenv import tensorflow

    threading = tensorflow().config.threading
    if threading.get_intra_op_parallelism_threads() == cpus and threading.get_inter_op_parallelism_threads() == cpus:
        return
    try:
        threading.set_intra_op_parallelism_threads(cpus)
        threading.set_inter_op_parallelism_threads(cpus)
    except RuntimeError as e:
        raise EnvironmentProblem(f"TensorFlow threads: expected to cap them at {cpus} before TensorFlow runs, "
                                 f"received a TensorFlow that has already started its pools ({e})") from e
