"""Precompiled dataclass methods for cold starts (docs/decisions.md §24).

`@dataclass` writes each class's `__init__`, `__repr__`, `__eq__` (and `__setattr__`, `__hash__`
when frozen) as source text and compiles it with `exec` at import: about 1 ms of CPU per class,
which `.pyc` files cannot save. A cold push creates ~75 of them (ours, pydantic's and
annotated_types'), about 8 % of the handler's import. `make build` records the compiled code of
every such text in the layer (`record`); `install` makes `dataclasses` run that code instead of
compiling the identical text again. A text that is not recorded (another Python, another
version of a package, a class the recording did not import) compiles as before, so the cache
can only ever be missing, never wrong: it is keyed by the whole text, and by the interpreter's
bytecode magic and optimisation level.
"""

from __future__ import annotations

import builtins
import dataclasses
import importlib
import importlib.util
import marshal
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

CACHE_FILE = Path(__file__).with_name("dataclass_code.bin")  # written into the built layer only
_FILENAME = "<string>"  # what exec(text) compiles under, so tracebacks read the same


def _stamp() -> tuple[bytes, int]:
    return importlib.util.MAGIC_NUMBER, sys.flags.optimize


def compile_like_exec(text: str) -> CodeType:
    """The code `exec(text)` compiles inside `dataclasses` (a module with no __future__ flags)."""
    return compile(text, _FILENAME, "exec", dont_inherit=True)


class _CachedExec:
    """Stands in for the builtin `exec` inside `dataclasses` only."""

    def __init__(self, codes: Mapping[str, CodeType]) -> None:
        self.codes = codes
        self.hits = 0
        self.misses = 0

    def __call__(self, source: Any, globals_: Any = None, locals_: Any = None) -> None:
        code = self.codes.get(source) if isinstance(source, str) else None
        if code is None:
            self.misses += 1
            builtins.exec(source, globals_, locals_)
        else:
            self.hits += 1
            builtins.exec(code, globals_, locals_)


def load(path: Path = CACHE_FILE) -> dict[str, CodeType] | None:
    """The recorded codes, or None when there are none for this interpreter."""
    try:
        # loads(bytes), not load(file): load reads a file object piece by piece, 10x slower here
        stamp, codes = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None  # no cache (source tree, tests) or an unreadable one: compile as before
    if tuple(stamp) != _stamp() or not isinstance(codes, dict):
        return None
    return codes


def install(path: Path = CACHE_FILE) -> _CachedExec | None:
    """Serve recorded dataclass code from `path`, if it holds any for this interpreter."""
    current = vars(dataclasses).get("exec")
    if current is not None:  # installed already, or `recording()` is collecting: leave it
        return current if isinstance(current, _CachedExec) else None
    codes = load(path)
    if codes is None:
        return None
    cached = _CachedExec(codes)
    # A module global shadows the builtin for `dataclasses`' own `exec(...)` calls only.
    dataclasses.exec = cached  # type: ignore[attr-defined]
    return cached


def uninstall() -> None:
    if isinstance(getattr(dataclasses, "exec", None), _CachedExec):
        del dataclasses.exec  # type: ignore[attr-defined]


@contextmanager
def recording() -> Iterator[dict[str, CodeType]]:
    """Collect the code of every dataclass created inside the block (used by `make build`)."""
    seen: dict[str, CodeType] = {}
    previous = dataclasses.__dict__.get("exec")

    def record(source: Any, globals_: Any = None, locals_: Any = None) -> None:
        if isinstance(source, str):
            seen[source] = compile_like_exec(source)
        builtins.exec(source, globals_, locals_)

    dataclasses.exec = record  # type: ignore[attr-defined]
    try:
        yield seen
    finally:
        if previous is None:
            del dataclasses.exec  # type: ignore[attr-defined]
        else:
            dataclasses.exec = previous  # type: ignore[attr-defined]


# What a handler imports besides push_common (the runtime's and the layer's libraries).
SHARED_LIBRARIES = ("botocore.session", "urllib3", "TLSSigAPIv2", "pydantic")


def record_handlers(handlers: Iterable[Path]) -> dict[str, CodeType]:
    """What `make build` records, in a fresh process: the code of every dataclass created while
    the shared libraries, every module of push_common and each handler file are imported."""
    import pkgutil

    import push_common

    uninstall()  # a file left by an earlier build must not hide what is recorded
    with recording() as seen:
        for name in SHARED_LIBRARIES:
            importlib.import_module(name)
        for module in pkgutil.walk_packages(push_common.__path__, "push_common."):
            importlib.import_module(module.name)
        for handler in handlers:
            import_handler(handler)
    return seen


def import_handler(path: Path) -> ModuleType:
    """Import a function's `handler.py` as Lambda does, under a name of its own."""
    name = f"handler_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def write(codes: Mapping[str, CodeType], path: Path = CACHE_FILE) -> None:
    with path.open("wb") as stream:
        marshal.dump((_stamp(), dict(codes)), stream)
