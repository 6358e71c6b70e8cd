"""Send this process's fd 1 (where Powertools logs and EMF metrics go) to a file for a while."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stdout_to(path: str = os.devnull) -> Iterator[None]:
    """Redirect fd 1 to `path` (appending); the real stdout comes back afterwards."""
    sys.stdout.flush()
    saved = os.dup(1)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(target, 1)
    os.close(target)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@contextmanager
def captured_lines() -> Iterator[list[str]]:
    """Collect what was written to fd 1 inside the block (lines, filled in at exit)."""
    lines: list[str] = []
    with tempfile.NamedTemporaryFile("r", suffix=".log", encoding="utf-8") as tmp:
        with stdout_to(tmp.name):
            yield lines
        tmp.seek(0)
        lines.extend(tmp.read().splitlines())
