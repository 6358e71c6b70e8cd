"""Cold children run what ships, laid out the way Lambda lays it out.

On Lambda the function's directory is the task root and the working directory (/var/task), the
layer's `python/` directory is /opt/python, and boto3/botocore/urllib3 come from the runtime.
Here: the function directory and the layer of `make build` (.aws-sam/build, precompiled .pyc),
then the dev venv's site-packages standing in for the runtime's packages. `python -S` keeps the
venv's own `site` (and the editable install of push_common) out, so nothing is imported from the
source tree. The layer is built for arm64: on another host its native extensions (pydantic_core)
cannot load, so a small overlay in front of the layer holds the same versions for this host,
checked by their dist-info.
"""

from __future__ import annotations

import os
import platform
import shutil
import sysconfig
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BENCH_BUILD: another `make build` output to run instead (e.g. an older commit's, for A/B).
BUILD = Path(os.environ.get("BENCH_BUILD") or ROOT / ".aws-sam" / "build")
LAYER_PYTHON = BUILD / "CommonLayer" / "python"
OVERLAY = ROOT / ".aws-sam" / "bench-native" / platform.machine()
RUNTIME = Path(sysconfig.get_paths()["purelib"])  # boto3, botocore, urllib3 (the runtime's)
FUNCTION_DIRS = {
    "push_api": "PushApiFunction",
    "push_event": "PushEventFunction",
    "audience_api": "AudienceApiFunction",
}
_HOST_TAG = f"{platform.machine()}-linux-gnu"


@dataclass(frozen=True)
class Layout:
    """Where a cold child runs (`cwd`, the task root) and its PYTHONPATH."""

    task_root: Path
    pythonpath: str


def layout(function: str) -> Layout:
    """The Lambda layout of `function` from the build (call `prepare()` once first)."""
    task_root = BUILD / FUNCTION_DIRS[function]
    # sys.path[0] is the task root (`python -m` from cwd); the bench package comes last.
    paths = [OVERLAY, LAYER_PYTHON, RUNTIME, ROOT]
    return Layout(task_root, ":".join(str(p) for p in paths))


def prepare() -> list[str]:
    """Check the build is there and fill the native overlay; the overlay's package names."""
    if not LAYER_PYTHON.is_dir():
        raise RuntimeError(f"{LAYER_PYTHON} missing: run `make build`")
    foreign = sorted(
        {p.relative_to(LAYER_PYTHON).parts[0] for p in LAYER_PYTHON.rglob("*.so")}
        - {p.relative_to(LAYER_PYTHON).parts[0] for p in LAYER_PYTHON.rglob(f"*{_HOST_TAG}.so")}
    )
    for package in foreign:
        _check_same_version(package)
    wanted = sorted(p.name for package in foreign for p in RUNTIME.glob(f"{package}-*.dist-info"))
    stamp = OVERLAY / "overlay.txt"
    if stamp.is_file() and stamp.read_text(encoding="utf-8").split() == wanted:
        return foreign  # already filled (another bench may be running from it)
    if OVERLAY.exists():
        shutil.rmtree(OVERLAY)
    OVERLAY.mkdir(parents=True)
    for package in foreign:
        shutil.copytree(RUNTIME / package, OVERLAY / package)
    stamp.write_text("\n".join(wanted), encoding="utf-8")
    return foreign


def _check_same_version(package: str) -> None:
    layer = sorted(p.name for p in LAYER_PYTHON.glob(f"{package}-*.dist-info"))
    host = sorted(p.name for p in RUNTIME.glob(f"{package}-*.dist-info"))
    if not layer or layer != host:
        raise RuntimeError(f"native package {package}: layer has {layer}, this host has {host}")
