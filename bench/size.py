"""Package size: the `sam build` output zipped in memory (deflate), layer and each function."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

from bench.report import Figure, pending

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".aws-sam" / "build"
LAYER = "CommonLayer"
LAYER_LIMIT_MB, FUNCTION_LIMIT_KB = 8.0, 50.0
SOURCES = ("template.yaml", "layers/common", "functions")
_IGNORED_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache"}


def newest_source_mtime() -> float:
    """Latest modification among the build inputs (caches and egg-info ignored)."""
    newest = 0.0
    for name in SOURCES:
        top = ROOT / name
        for path in [top, *top.rglob("*")] if top.is_dir() else [top]:
            parts = set(path.parts)
            ignored = _IGNORED_PARTS & parts or any(p.endswith(".egg-info") for p in parts)
            if path.is_file() and not ignored:
                newest = max(newest, path.stat().st_mtime)
    return newest


def build_is_fresh() -> bool:
    marker = BUILD / "template.yaml"
    return marker.is_file() and marker.stat().st_mtime >= newest_source_mtime()


def ensure_build(allow_build: bool) -> str | None:
    """Run `make build` when the output is missing or stale; the reason when it is unusable."""
    if build_is_fresh():
        return None
    if not allow_build:
        return "build missing or older than the sources (--no-build)"
    proc = subprocess.run(["make", "build"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0 or not (BUILD / LAYER).is_dir():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        return "make build failed: " + " / ".join(tail)
    return None


def zipped_size(directory: Path) -> int:
    """Bytes of `directory` as a deflated zip, the way SAM uploads it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            archive.write(path, path.relative_to(directory))
    return buffer.tell()


def pyc_coverage(directory: Path) -> tuple[int, int]:
    """(modules with a compiled .pyc next to them, all .py modules) under `directory`."""
    sources = [p for p in directory.rglob("*.py") if "__pycache__" not in p.parts]
    compiled = sum(
        1 for p in sources if any((p.parent / "__pycache__").glob(f"{p.stem}.cpython-*.pyc"))
    )
    return compiled, len(sources)


def measure(allow_build: bool = True) -> list[Figure]:
    """Zipped sizes and the layer's content checks."""
    problem = ensure_build(allow_build)
    if problem is not None:
        return [pending("size: layer zipped", "MB", LAYER_LIMIT_MB, problem)]
    layer = BUILD / LAYER
    shipped = sorted(p.name for p in (layer / "python").glob("boto*"))
    compiled, total = pyc_coverage(layer)
    figures = [
        Figure("size: layer zipped", zipped_size(layer) / 2**20, "MB", LAYER_LIMIT_MB),
        Figure("size: boto3/botocore in layer", len(shipped), "dirs", 0, note=",".join(shipped)),
        Figure("size: layer .py without .pyc", total - compiled, "files", 0, note=f"of {total}"),
    ]
    for function in sorted(p for p in BUILD.iterdir() if p.is_dir() and p.name != LAYER):
        size_kb = zipped_size(function) / 1024
        figures.append(Figure(f"size: {function.name} zipped", size_kb, "KB", FUNCTION_LIMIT_KB))
    return figures
