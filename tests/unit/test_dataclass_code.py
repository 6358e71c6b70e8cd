"""Precompiled dataclass methods (push_common.dataclass_code, docs/decisions.md §24).

The cache may only ever be missing, never wrong: a recorded text runs the very code `exec` would
compile, anything else compiles as before, and a file from another interpreter is ignored.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from push_common import dataclass_code

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(str(p) for p in (ROOT / "functions").glob("*/handler.py"))


@pytest.fixture(autouse=True)
def plain_dataclasses() -> Iterator[None]:
    dataclass_code.uninstall()
    yield
    dataclass_code.uninstall()


def make_point() -> type[Any]:
    @dataclasses.dataclass(frozen=True)
    class Point:
        x: int
        label: str = "origin"
        tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)

    return Point


def recorded(tmp_path: Path) -> Path:
    with dataclass_code.recording() as seen:
        make_point()
    path = tmp_path / "dataclass_code.bin"
    dataclass_code.write(seen, path)
    assert len(seen) == 1
    return path


def test_a_recorded_class_runs_the_same_code_and_behaves_the_same(tmp_path: Path) -> None:
    path = recorded(tmp_path)
    plain = make_point()
    cached_exec = dataclass_code.install(path)
    assert cached_exec is not None
    cached = make_point()
    assert (cached_exec.hits, cached_exec.misses) == (1, 0)
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
        assert getattr(cached, name).__code__.co_code == getattr(plain, name).__code__.co_code
        assert getattr(cached, name).__qualname__ == getattr(plain, name).__qualname__
    a, b = cached(1, tags=("t",)), cached(1, tags=("t",))
    assert a == b and hash(a) == hash(b) and a != cached(2)
    assert repr(a) == repr(plain(1, tags=("t",)))
    assert cached(3).tags == () and cached(3).label == "origin"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.x = 5


def test_a_text_that_was_not_recorded_compiles_as_before(tmp_path: Path) -> None:
    cached_exec = dataclass_code.install(recorded(tmp_path))
    assert cached_exec is not None

    @dataclasses.dataclass
    class Other:
        y: str

    assert (cached_exec.hits, cached_exec.misses) == (0, 1)
    assert Other("a") == Other("a") and repr(Other("a")).endswith("Other(y='a')")


def test_a_file_from_another_interpreter_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dataclass_code, "_stamp", lambda: (b"\x00\x00\r\n", 0))
    path = recorded(tmp_path)
    monkeypatch.undo()
    assert dataclass_code.load(path) is None
    assert dataclass_code.install(path) is None
    assert "exec" not in vars(dataclasses)


@pytest.mark.parametrize("content", [b"", b"not marshal", None])
def test_a_missing_or_unreadable_file_means_no_cache(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "dataclass_code.bin"
    if content is not None:
        path.write_bytes(content)
    assert dataclass_code.install(path) is None
    assert "exec" not in vars(dataclasses)
    assert make_point()(1).x == 1


def test_installing_twice_keeps_one_cache(tmp_path: Path) -> None:
    path = recorded(tmp_path)
    first = dataclass_code.install(path)
    assert first is not None and dataclass_code.install(path) is first


RECORD = """
import sys
from pathlib import Path
from push_common import dataclass_code
seen = dataclass_code.record_handlers(Path(h) for h in sys.argv[2:])
dataclass_code.write(seen, Path(sys.argv[1]))
"""
REPLAY = """
import json, sys
from pathlib import Path
from push_common import dataclass_code
cached = dataclass_code.install(Path(sys.argv[1]))
for handler in sys.argv[2:]:
    dataclass_code.import_handler(Path(handler))
print(json.dumps({"hits": cached.hits, "misses": cached.misses}))
"""


def test_every_dataclass_a_cold_handler_import_creates_is_served_from_the_record(
    tmp_path: Path,
) -> None:
    """What `make build` does, on the source tree: record in one process, replay in a fresh one."""
    path = tmp_path / "dataclass_code.bin"
    env = {**os.environ, "POWERTOOLS_METRICS_NAMESPACE": "test"}
    subprocess.run([sys.executable, "-c", RECORD, str(path), *HANDLERS], env=env, check=True)
    out = subprocess.run(
        [sys.executable, "-c", REPLAY, str(path), *HANDLERS],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    counts = json.loads(out.stdout)
    assert counts["misses"] == 0, counts
    assert counts["hits"] >= 40, counts  # ours, pydantic's and annotated_types'


def test_installing_while_recording_does_not_stop_the_recording(tmp_path: Path) -> None:
    path = recorded(tmp_path)  # an earlier build's file
    with dataclass_code.recording() as seen:
        assert dataclass_code.install(path) is None
        make_point()
    assert len(seen) == 1
