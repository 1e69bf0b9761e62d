"""A two-node Ray cluster on this machine for the sweep tests: `ray start --head` plus a second
`ray start --address` worker node, each with one CPU, a small object store, token authentication
with a token made for the test, and a temp dir of its own. Both run with `--block` in process
groups of their own, so the fixture stops exactly the processes it started (SIGTERM to each
`ray start`, which stops its node; SIGKILL to the group if it does not)."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RAY = Path(sys.executable).with_name("ray")


@dataclass(frozen=True)
class RayCluster:
    address: str
    env: dict


def ray_environment(tmp: Path) -> dict:
    """What every process of the test cluster (and the driver joining it) runs with."""
    token = tmp / "auth_token"
    token.write_text(secrets.token_hex(32))
    return os.environ | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token), "PYTHONPATH": str(REPO),
                         "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0", "RAY_USAGE_STATS_ENABLED": "0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(arguments: list[str], env: dict, log: Path) -> subprocess.Popen:
    node = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--object-store-memory", str(80 * 1024 * 1024),
            "--disable-usage-stats", "--block"]
    with open(log, "w") as out:
        return subprocess.Popen([str(RAY), "start", *arguments, *node], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # what the node left behind, in the group it was started in
        except ProcessLookupError:
            pass


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive_nodes(address: str, env: dict) -> int:
    probe = "import ray; ray.init(address=%r, logging_level='ERROR'); print(sum(n['Alive'] for n in ray.nodes()))" % address
    try:
        result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return 0
    return int(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 and result.stdout.strip() else 0


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ray-cluster")
    env = ray_environment(tmp)
    port = _free_port()
    address = f"127.0.0.1:{port}"
    sessions = tempfile.mkdtemp(prefix="ea-ray-")  # short: Ray's socket paths must fit in 107 bytes
    processes = [_start(["--head", "--port", str(port), "--temp-dir", sessions, "--include-dashboard=false"],
                        env, tmp / "head.log")]
    try:
        deadline = time.monotonic() + 180
        while not _listening(port) or _alive_nodes(address, env) < 1:
            assert processes[0].poll() is None, (tmp / "head.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the Ray head did not come up in 180 s"
            time.sleep(1)
        processes.append(_start(["--address", address], env, tmp / "worker.log"))
        while _alive_nodes(address, env) < 2:
            assert processes[1].poll() is None, (tmp / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the second Ray node did not join in 180 s"
            time.sleep(1)
        yield RayCluster(address, env)
    finally:
        _stop(processes)
        shutil.rmtree(sessions, ignore_errors=True)
