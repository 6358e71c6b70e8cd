"""A non-editable install of the layer package ships every module of it.

The Lambda layer is built from the same sources, but local installs and anything else that
`pip install layers/common` must get the whole package too, not just its top-level modules.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "layers" / "common"


@pytest.mark.slow
def test_wheel_ships_every_subpackage(tmp_path: Path) -> None:
    # A copy, so the build's build/ and *.egg-info never land in (or race over) the worktree.
    source = tmp_path / "src"
    shutil.copytree(
        PACKAGE_DIR, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    )
    # Offline: setuptools comes pinned in the dev set, so neither isolation nor an index is needed.
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--quiet", "--wheel-dir", str(tmp_path / "dist"), str(source)]
    subprocess.run(command, check=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("push_common-*.whl")

    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        path.relative_to(source).as_posix()
        for path in (source / "push_common").rglob("*")
        if path.suffix in {".py", ".typed"} and "__pycache__" not in path.parts
    }
    assert {"push_common/edge/http.py", "push_common/push/service.py"} <= expected
    assert sorted(expected - shipped) == []
