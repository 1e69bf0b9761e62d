"""Deploying an artifact to a board over SSH: a bundle (files + standalone runner), an atomic
release, and a validation run against the simulation. `edgeaccel deploy` and `make deploy` call
`deploy()`.

    from edgeaccel.deploy import DeployRequest, deploy
    result = deploy(DeployRequest(board="rpi4", host="pi4.local", artifact="build/digits/tflite"))
    result.validation.passed, result.timing["p99_ms"]

A deploy: load the key and build the bundle (reference outputs from the host simulation), connect,
start the board agent (which takes the deploy lock), remove what failed deploys left, check the free space, upload into
releases/<id>.partial, verify every sha256 on the board, run the runner there, compare its outputs
with the reference, then rename to releases/<id>, switch `current`, and prune old releases. Any
failure before the switch leaves `current` where it was. A rollback takes the same lock and checks
the older release's files and manifest on the board before it switches `current` to it.
"""

import json
import logging
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from edgeaccel.errors import ConfigError, DeployError, ValidationMismatch

if TYPE_CHECKING:
    from edgeaccel.deploy.validate import Validation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeployRequest:
    board: str
    host: str
    artifact: Path | str | None = None
    user: str | None = None
    port: int | None = None
    key: Path | str | None = None
    workdir: str | None = None
    remote_python: str | None = None
    known_hosts: Path | str | None = None
    trust_new_host: bool = False
    keep: int = 5
    rollback: bool = False
    bitstream: Path | str | None = None
    bundle: str | None = None
    data: Path | str | None = None
    samples: int | None = None
    connect_timeout_s: float | None = None
    run_timeout_s: float = 1800.0
    lock_timeout_s: float = 60.0
    progress: bool = True
    ask_passphrase: Callable[[Path], str] | None = None  # asked for an encrypted --key without EDGEACCEL_KEY_PASSPHRASE


@dataclass(frozen=True)
class DeployResult:
    release: str
    previous: str | None
    address: str
    workdir: str
    kind: str | None = None
    validation: "Validation | None" = None
    timing: dict | None = None
    runtime: str | None = None
    seconds: float = 0.0
    removed: tuple = ()
    transfer: str | None = None
    golden: str | None = None

    def summary(self) -> dict:
        summary = {"release": self.release, "previous": self.previous, "board": self.address, "workdir": self.workdir,
                   "bundle": self.kind, "runtime": self.runtime, "timing": self.timing, "seconds": round(self.seconds, 3),
                   "removed": list(self.removed), "transfer": self.transfer, "golden": self.golden}
        if self.validation is not None:
            summary["validation"] = self.validation.summary()
        return summary

    def describe(self) -> str:
        if self.validation is None:
            return f"{self.address}: current -> releases/{self.release} (was {self.previous})"
        t = self.timing
        return (f"{self.address}: current -> releases/{self.release} ({self.kind}, {self.runtime}); "
                f"{self.validation.describe()}; latency mean {t['mean_ms']:.3f} ms, p50 {t['p50_ms']:.3f} ms, "
                f"p99 {t['p99_ms']:.3f} ms, {t['throughput_per_s']:.0f} samples/s at batch 1; deploy took {self.seconds:.1f} s")


def deploy(request: DeployRequest) -> DeployResult:
    """Deploy `request.artifact` (or, with `rollback`, switch back to the previous release)."""
    from edgeaccel.boards import load_board
    from edgeaccel.deploy.destination import destination_for
    from edgeaccel.deploy.keys import load_key

    _check_request(request)
    board = load_board(request.board)
    destination = destination_for(board, request.host, user=request.user, port=request.port, workdir=request.workdir,
                                  python=request.remote_python, key=request.key, known_hosts=request.known_hosts,
                                  trust_new_host=request.trust_new_host, connect_timeout_s=request.connect_timeout_s)
    if request.rollback and request.artifact is not None:
        raise ConfigError(f"--rollback: expected no ARTIFACT (it switches back to the previous release), received {request.artifact}")
    if not request.rollback and request.artifact is None:
        raise ConfigError("deploy: expected an ARTIFACT directory (or --rollback), received none")
    key = load_key(destination.key, request.ask_passphrase) if destination.key is not None else None
    if request.rollback:
        return _rollback(destination, key, request.lock_timeout_s)
    return _deploy(request, board, destination, key)


def _check_request(request: DeployRequest) -> None:
    if request.keep < 1:
        raise ConfigError(f"--keep: expected at least 1 release to keep, received {request.keep}")
    for option, value in (("--lock-timeout", request.lock_timeout_s), ("run timeout", request.run_timeout_s)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ConfigError(f"{option}: expected a finite number of seconds, 0 or more, received {value!r}")


def _deploy(request: DeployRequest, board, destination, key) -> DeployResult:
    from edgeaccel.artifact import read_artifact
    from edgeaccel.deploy.bundle import build_bundle
    from edgeaccel.deploy.golden import golden_inputs
    from edgeaccel.deploy.kinds import choose_kind, resolve_artifact
    from edgeaccel.deploy.agent import board_agent
    from edgeaccel.deploy.release import Releases
    from edgeaccel.deploy.transport import connect
    from edgeaccel.deploy.validate import compare

    started = time.monotonic()
    artifact = read_artifact(resolve_artifact(Path(request.artifact).expanduser(), board, request.board))
    kind = choose_kind(artifact, board, request.bundle)
    x, source = golden_inputs(artifact, request.data, request.samples)
    python = destination.python_command
    with tempfile.TemporaryDirectory(prefix="edgeaccel-bundle-") as scratch:
        bundle = build_bundle(artifact, board, kind, x, Path(scratch) / "bundle", bitstream=request.bitstream,
                              golden_source=source)
        log.info("%s bundle for %s: %d files, %d bytes, %d golden samples", kind.name, board.name, len(bundle.files),
                 bundle.bytes, len(bundle.reference))
        with connect(destination, key) as session, board_agent(session, python, request.lock_timeout_s) as agent:
            releases = Releases(agent, python)
            release_id = releases.new_id(bundle)
            previous = releases.prepare(bundle, release_id).current
            try:
                partial = releases.upload(bundle, release_id, progress=request.progress)
            except DeployError as e:
                raise DeployError(f"{e}; current still points to {previous or 'nothing'}") from e
            try:
                results = _run(session, python, bundle, partial, request.run_timeout_s)
                validation = compare(bundle.reference, results["outputs"], bundle.tolerance, bundle.reference_name)
                log.info("validation: %s", validation.describe())
                if not validation.passed:
                    raise ValidationMismatch(validation.mismatch())
            except (DeployError, ValidationMismatch) as e:
                kept = releases.reject(partial, release_id)
                raise type(e)(f"{e}; current still points to {previous or 'nothing'}"
                              f"{f', the release is kept as {kept}' if kept else ''}") from e
            removed = releases.finish(release_id, request.keep)
            transfer = session.transfer
    return DeployResult(release_id, previous, destination.address, destination.workdir, kind.name, validation,
                        results["timing"], results.get("runtime"), time.monotonic() - started, tuple(removed),
                        transfer, source)


def _run(session, python: list[str], bundle, remote: str, timeout_s: float) -> dict:
    """The bundle's runner on the board; its results file, fetched back."""
    from edgeaccel.deploy.bundle import RESULTS

    log.info("running %s on the board", bundle.runner)
    # -B: no __pycache__ in the release (under sudo it would be root's, and block its removal later)
    run = session.run([*python, "-B", bundle.runner, "--out", RESULTS], cwd=remote, timeout_s=timeout_s)
    if run.status != 0:
        raise DeployError(f"ssh {session.destination.address}: {bundle.runner} in {remote}: expected exit status 0, "
                          f"received {run.status_text}: {run.stderr_tail()}")
    text = session.read(f"{remote}/{RESULTS}")
    try:
        results = json.loads(text)
    except json.JSONDecodeError:
        results = None
    if not isinstance(results, dict) or not {"outputs", "timing"} <= results.keys():
        raise DeployError(f"ssh {session.destination.address}: {remote}/{RESULTS}: expected JSON with outputs and timing, "
                          f"received {text[:120]!r}")
    return results


def _rollback(destination, key, lock_timeout_s: float) -> DeployResult:
    from edgeaccel.deploy.agent import board_agent
    from edgeaccel.deploy.release import Releases
    from edgeaccel.deploy.transport import connect

    started = time.monotonic()
    python = destination.python_command
    with connect(destination, key) as session, board_agent(session, python, lock_timeout_s) as agent:
        releases = Releases(agent, python)
        current = releases.current()
        if current is None:
            raise DeployError(f"ssh {destination.address}: rollback: expected {releases.current_link} to point to a "
                              f"release, received no such link")
        target = releases.previous(current)
        try:
            releases.verify_release(target)
        except DeployError as e:
            raise DeployError(f"rollback to releases/{target} refused: {e}; current still points to {current}") from e
        releases.switch(target)
    return DeployResult(target, current, destination.address, destination.workdir, seconds=time.monotonic() - started)
