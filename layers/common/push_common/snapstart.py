"""Lambda SnapStart runtime hooks (docs/architecture.md §10, docs/decisions.md §18).

A handler calls `install(primer, ...)` at import. Where Lambda's `snapshot_restore_py` exists
(the managed Python runtime), `before_snapshot` and `after_restore` are registered with it;
anywhere else (tests, the local stack, a function without SnapStart) nothing is registered and
the functions start the ordinary way.

- Before the snapshot the primers run: imports, boto3 clients, the upstream client, pydantic
  validators. Never I/O, never the secret or a UserSig (they would outlive a key rotation inside
  the snapshot), never ids, tokens or random values meant to be unique.
- After a restore: every pooled connection is closed (sockets in a snapshot belong to another
  host), cached values carrying a clock reading are forgotten, and `random` is seeded afresh,
  so no two restored environments share a random sequence. Clients and primed imports stay.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from typing import Any

from push_common import caches

Primer = Callable[[], Any]

_primers: list[Primer] = []
_registered_with: object | None = None


def install(*primers: Primer) -> bool:
    """Add `primers` and register the hooks with the runtime once; True when it has them."""
    global _registered_with
    _primers.extend(p for p in primers if p not in _primers)
    try:
        import snapshot_restore_py as runtime  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False
    if _registered_with is not runtime:
        runtime.register_before_snapshot(before_snapshot)
        runtime.register_after_restore(after_restore)
        _registered_with = runtime
    return True


def modules(*names: str) -> Primer:
    """A primer importing `names`: modules a handler loads only with some routes' first request
    (docs/decisions.md §22) still go into the snapshot."""

    def load() -> None:
        for name in names:
            importlib.import_module(name)

    return load


def before_snapshot() -> None:
    """Prime the process for its snapshot: run every primer, in the order they were given."""
    for prime in _primers:
        prime()


def after_restore() -> None:
    """Make a restored copy of the process its own: new connections, clocks and randomness."""
    caches.renew_connections()
    caches.clear_timed()
    random.seed()  # from os.urandom: each restored environment draws its own sequence
