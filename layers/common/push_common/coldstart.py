"""A handler's init phase: imported first by every handler, `end()` last (docs/decisions.md §28).

Importing this module starts the init phase:
- the cyclic garbage collector pauses: an import makes tens of thousands of objects and almost
  no garbage, and each full collection on the way walks all of them again (45 M instructions
  of the push_api import, callgrind);
- dataclass methods come precompiled from the layer (push_common.dataclass_code,
  docs/decisions.md §24).

`preload(...)`, right after, imports the handler's modules on a thread of its own
(docs/decisions.md §29).

`end()`, at the bottom of the handler module, moves everything the import made into the
collector's permanent generation (`gc.freeze`: never walked again, on this cold start or on any
warm request) and turns the collector back on. Only handlers import this module, so tests and
tools that import `push_common` keep the collector as it is.
"""

from __future__ import annotations

import gc
import importlib
import threading

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
    """Import `modules` on a new thread and wait for it (docs/decisions.md §29).

    CPython keeps frames on a per-thread stack of 16 KiB chunks and frees a chunk as soon as the
    frame at its base returns. An import's call depth swings up and down thousands of times; when
    it starts just below a chunk boundary, every swing maps and unmaps a chunk (we measured from
    300 to 6000 such pairs, up to ~70 ms, for one handler import, depending only on how deep in
    the runtime's own stack the handler happens to be imported). A new thread starts at the
    bottom of a stack of its own, so the cost no longer depends on the caller. An exception of
    the import is raised here, in the handler's thread, as it would have been.
    """
    failed: list[BaseException] = []

    def run() -> None:
        try:
            for module in modules:
                importlib.import_module(module)
        except BaseException as exc:  # re-raised below, in the importing thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="coldstart-preload")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
