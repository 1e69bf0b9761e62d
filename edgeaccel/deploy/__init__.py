"""Deploying an artifact to a board over SSH: a bundle (files + standalone runner), an atomic
release, and a validation run against the simulation. `edgeaccel deploy` and `make deploy` call
`deploy()`.

    from edgeaccel.deploy import DeployRequest, deploy
    result = deploy(DeployRequest(board="rpi4", host="pi4.local", artifact="build/digits/tflite"))
    result.validation.passed, result.timing["p99_ms"]

A deploy: build the bundle (reference outputs from the host simulation), connect, upload into
releases/<id>.partial, verify every sha256 on the board, run the runner there, compare its
outputs with the reference, then rename to releases/<id>, switch `current`, and prune old
releases. Any failure before the switch leaves `current` where it was.
"""

import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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
    progress: bool = True


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

    def summary(self) -> dict:
        summary = {"release": self.release, "previous": self.previous, "board": self.address, "workdir": self.workdir,
                   "bundle": self.kind, "runtime": self.runtime, "timing": self.timing, "seconds": round(self.seconds, 3),
                   "removed": list(self.removed)}
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

    if request.keep < 1:
        raise ConfigError(f"--keep: expected at least 1 release to keep, received {request.keep}")
    board = load_board(request.board)
    destination = destination_for(board, request.host, user=request.user, port=request.port, workdir=request.workdir,
                                  python=request.remote_python, key=request.key, known_hosts=request.known_hosts,
                                  trust_new_host=request.trust_new_host, connect_timeout_s=request.connect_timeout_s)
    python = destination.python_command
    if request.rollback:
        if request.artifact is not None:
            raise ConfigError(f"--rollback: expected no ARTIFACT (it switches back to the previous release), received {request.artifact}")
        return _rollback(destination, python)
    if request.artifact is None:
        raise ConfigError("deploy: expected an ARTIFACT directory (or --rollback), received none")
    return _deploy(request, board, destination, python)


def _deploy(request: DeployRequest, board, destination, python: list[str]) -> DeployResult:
    from edgeaccel.artifact import read_artifact
    from edgeaccel.deploy.bundle import build_bundle, bundle_kind, resolve_artifact
    from edgeaccel.deploy.golden import golden_inputs
    from edgeaccel.deploy.release import Releases
    from edgeaccel.deploy.transport import connect
    from edgeaccel.deploy.validate import compare

    started = time.monotonic()
    artifact = read_artifact(resolve_artifact(Path(request.artifact).expanduser(), board, request.board))
    kind = bundle_kind(artifact, board, request.bundle)
    x, _ = golden_inputs(artifact, request.data, request.samples)
    with tempfile.TemporaryDirectory(prefix="edgeaccel-bundle-") as scratch:
        bundle = build_bundle(artifact, board, kind, x, Path(scratch) / "bundle", bitstream=request.bitstream)
        log.info("%s bundle for %s: %d files, %d bytes, %d golden samples", kind, board.name, len(bundle.files),
                 bundle.bytes, len(bundle.reference))
        with connect(destination) as session:
            releases = Releases(session, python)
            release_id = releases.new_id(bundle)
            previous = releases.current()
            partial = releases.partial(release_id)
            try:
                releases.upload(bundle, release_id, progress=request.progress)
                releases.verify(bundle, partial)
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
            releases.finish(partial, release_id)
            releases.switch(release_id)
            removed = releases.prune(request.keep)
    return DeployResult(release_id, previous, destination.address, destination.workdir, kind, validation,
                        results["timing"], results.get("runtime"), time.monotonic() - started, tuple(removed))


def _run(session, python: list[str], bundle, remote: str, timeout_s: float) -> dict:
    """The bundle's runner on the board; its results file, fetched back."""
    from edgeaccel.deploy.bundle import RESULTS

    log.info("running %s on the board", bundle.runner)
    run = session.run([*python, bundle.runner, "--out", RESULTS], cwd=remote, timeout_s=timeout_s)
    if run.status != 0:
        raise DeployError(f"ssh {session.destination.address}: {bundle.runner} in {remote}: expected exit status 0, "
                          f"received {run.status}: {run.stderr_tail()}")
    text = session.read(f"{remote}/{RESULTS}")
    try:
        results = json.loads(text)
    except json.JSONDecodeError:
        results = None
    if not isinstance(results, dict) or not {"outputs", "timing"} <= results.keys():
        raise DeployError(f"ssh {session.destination.address}: {remote}/{RESULTS}: expected JSON with outputs and timing, "
                          f"received {text[:120]!r}")
    return results


def _rollback(destination, python: list[str]) -> DeployResult:
    from edgeaccel.deploy.release import Releases
    from edgeaccel.deploy.transport import connect

    started = time.monotonic()
    with connect(destination) as session:
        releases = Releases(session, python)
        current = releases.current()
        if current is None:
            raise DeployError(f"ssh {destination.address}: rollback: expected {releases.current_link} to point to a "
                              f"release, received no such link")
        target = releases.previous(current)
        releases.switch(target)
    return DeployResult(target, current, destination.address, destination.workdir, seconds=time.monotonic() - started)
