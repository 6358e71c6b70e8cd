"""A handler's init phase: imported first by every handler, `end()` last (docs/decisions.md §28).

Importing this module starts the init phase:
- the cyclic garbage collector pauses: an import makes tens of thousands of objects and almost
  no garbage, and each full collection on the way walks all of them again (45 M instructions
  of the push_api import, callgrind);
- dataclass methods come precompiled from the layer (push_common.dataclass_code,
  docs/decisions.md §24).

`end()`, at the bottom of the handler module, moves everything the import made into the
collector's permanent generation (`gc.freeze`: never walked again, on this cold start or on any
warm request) and turns the collector back on. Only handlers import this module, so tests and
tools that import `push_common` keep the collector as it is.
"""

from __future__ import annotations

import gc

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
