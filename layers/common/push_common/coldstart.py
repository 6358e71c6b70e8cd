"""A handler's init phase: imported first by every handler, `end()` last (docs/decisions.md §28).

Importing this module starts the init phase:
- the cyclic garbage collector pauses: an import makes tens of thousands of objects and almost
  no garbage, and each full collection on the way walks all of them again (45 M instructions
  of the push_api import, callgrind);
- dataclass methods come precompiled from the layer (push_common.dataclass_code,
  docs/decisions.md §24).

`preload(...)`, right after, imports the handler's modules from a frame with room above it
(docs/decisions.md §29).

`end()`, at the bottom of the handler module, moves everything the import made into the
collector's permanent generation (`gc.freeze`: never walked again, on this cold start or on any
warm request) and turns the collector back on. Only handlers import this module, so tests and
tools that import `push_common` keep the collector as it is.
"""

from __future__ import annotations

import gc
import importlib
import types
from collections.abc import Callable

from push_common import dataclass_code

_paused = gc.isenabled()  # a second handler in one process (tests) finds it paused or ended
gc.disable()
dataclass_code.install()


def end() -> None:
    """The handler module is imported: keep its objects out of every later collection."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def preload(*modules: str) -> None:
    """Import `modules` from the base of a frame-stack chunk of their own (docs/decisions.md §29).

    CPython keeps frames on a per-thread stack of 16 KiB chunks and frees a chunk as soon as the
    frame at its base returns. An import's call depth swings up and down thousands of times;
    each swing across a chunk boundary maps and unmaps a chunk (300 to 6,000 such pairs for one
    handler import, depending only on how deep in the runtime's stack the handler is imported).
    `_call_with_headroom` has a 64 KiB frame, more than a chunk holds, so CPython gives it a
    fresh 128 KiB chunk wherever it is called, and the imports run in the ~64 KiB above it:
    no boundary is crossed, at any depth.
    """
    _call_with_headroom(lambda: _import_all(modules))


def _import_all(modules: tuple[str, ...]) -> None:
    for module in modules:
        importlib.import_module(module)


def _call(fn: Callable[[], None]) -> None:
    fn()


# A frame's size is its code's locals plus `co_stacksize` slots; 8192 extra slots (64 KiB) do
# not fit the 16 KiB chunk, so the frame starts a chunk of the next power of two, 128 KiB.
# Only the slots used are ever touched: the rest of the 64 KiB stays untouched virtual memory.
_HEADROOM_SLOTS = 8192
_call_with_headroom: Callable[[Callable[[], None]], None] = types.FunctionType(
    _call.__code__.replace(co_stacksize=_call.__code__.co_stacksize + _HEADROOM_SLOTS),
    _call.__globals__,
    "_call_with_headroom",
)
