"""Compiling an hls4ml project's C++ with g++ into edgeaccel's csim library, cached.

The cache key is a hash of every source the library is compiled from, except the weights
(`firmware/weights/`): hls4ml's C simulation reads the weights from .txt files at run time, so a
model retrained with the same architecture and precisions reuses the compiled library.
`n_zeros`/`n_nonzeros` in parameters.h are left out of the key too; they count zero weights and
only matter for hls4ml's compressed weights, which edgeaccel does not use.
"""

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from edgeaccel.cpus import cpu_budget
from edgeaccel.errors import ToolError
from edgeaccel.progress import progress_bar
from edgeaccel.resources import hls_template
from edgeaccel.tools import run_tool

log = logging.getLogger(__name__)

TEMPLATES = hls_template("csim")
CXX = os.environ.get("CXX", "g++")
CXXFLAGS = ["-O3", "-std=c++17", "-fPIC", "-fno-gnu-unique"]
LIBRARY = "libcsim.so"
_WEIGHT_COUNTS = re.compile(rb"^\s*static const unsigned n_(non)?zeros = \d+;\s*$", re.M)


def cache_dir() -> Path:
    return Path(os.environ.get("EDGEACCEL_CACHE", Path.home() / ".cache" / "edgeaccel")) / "csim"


def csim_library(project: Path, n_in: int, n_out: int) -> Path:
    """The compiled library for `project`, built now unless an identical build is cached."""
    defines = [f"-DEDGEACCEL_N_IN={n_in}", f"-DEDGEACCEL_N_OUT={n_out}"]
    key = source_key(project, CXXFLAGS + defines)
    library = cache_dir() / key / LIBRARY
    if library.is_file():
        log.info("csim: reusing the compiled library %s (same sources, weights aside)", key[:12])
        return library
    library.parent.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f"{key[:12]}.partial-", dir=library.parent.parent))
    try:
        _compile(project, defines, build)
        _check_loadable(build / LIBRARY)
        library.parent.mkdir(exist_ok=True)
        os.replace(build / LIBRARY, library)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return library


def source_key(project: Path, flags: list[str]) -> str:
    digest = hashlib.sha256()
    digest.update(compiler_version().encode())
    digest.update(" ".join(flags).encode())
    sources = [Path(__file__)] + sorted(TEMPLATES.glob("*")) + [project / "myproject_bridge.cpp"] + sorted(
        path for path in (project / "firmware").rglob("*")
        if path.is_file() and "weights" not in path.relative_to(project / "firmware").parts)
    for path in sources:
        content = path.read_bytes()
        if path.name == "parameters.h":
            content = _WEIGHT_COUNTS.sub(b"", content)
        digest.update(path.name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


def compiler_version() -> str:
    try:
        return subprocess.run([CXX, "--version"], capture_output=True, text=True, check=True).stdout.splitlines()[0]
    except (OSError, subprocess.CalledProcessError) as e:
        raise ToolError(f"csim: expected a C++ compiler {CXX!r} on PATH (Debian package g++), received none ({e})") from e


def _compile(project: Path, defines: list[str], build: Path) -> None:
    includes = [f"-I{project}", f"-I{project / 'firmware'}", f"-I{project / 'firmware' / 'ap_types'}",
                "-include", str(TEMPLATES / "weights_dir.h")]
    sources = sorted((project / "firmware").glob("*.cpp")) + [TEMPLATES / "edgeaccel_bridge.cpp"]
    objects = [build / f"{source.stem}.o" for source in sources]
    commands = [[CXX, *CXXFLAGS, *includes, *defines, "-c", str(source), "-o", str(obj)]
                for source, obj in zip(sources, objects)]
    log.info("csim: compiling %s with %s", project, CXX)
    with ThreadPoolExecutor(max_workers=cpu_budget()) as pool, \
            progress_bar(len(commands) + 1, "csim compile", unit="file") as bar:
        for _ in pool.map(run_tool, commands):
            bar.update(1)
    run_tool([CXX, "-shared", "-o", str(build / LIBRARY), *map(str, objects)])


def _check_loadable(library: Path) -> None:
    import ctypes

    try:
        ctypes.CDLL(str(library), mode=os.RTLD_LOCAL)
    except OSError as e:
        raise ToolError(f"csim: expected a loadable library from {CXX}, received one the loader rejects ({e})") from e
