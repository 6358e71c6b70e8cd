"""One place that knows every process-level cache, so tests and secret rotation can reset them.

Modules register at import either a `functools.cache`-wrapped function (its `cache_clear` is
used) or a plain zero-argument clearing function; `clear_all()` runs them all. Two narrower
registries serve a SnapStart restore (docs/architecture.md §10): caches that hold a clock
reading (`register_timed`), cleared by `clear_timed()`, and objects holding connection pools
(`register_renewal`), whose pools `renew_connections()` drops while keeping the objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_clearers: list[Callable[[], Any]] = []
_timed: list[Callable[[], Any]] = []
_renewers: list[Callable[[], Any]] = []


def register[F: Callable[..., Any]](target: F) -> F:
    """Remember how to clear `target` (returned unchanged, so it can decorate)."""
    _clearers.append(getattr(target, "cache_clear", target))
    return target


def register_timed[F: Callable[..., Any]](target: F) -> F:
    """Like `register`, for a cache whose entries carry a clock reading (max age, expiry)."""
    register(target)
    _timed.append(getattr(target, "cache_clear", target))
    return target


def register_renewal[F: Callable[[], Any]](renew: F) -> F:
    """Remember a function that closes the connection pools of what is already built."""
    _renewers.append(renew)
    return renew


def clear_all() -> None:
    """Reset settings, clients, cached secrets and UserSigs of this process."""
    from push_common.settings import get_settings

    get_settings.cache_clear()
    for clear in _clearers:
        clear()


def clear_timed() -> None:
    """Forget every cached value that carries a clock reading (secrets, sigs, names, pacing)."""
    for clear in _timed:
        clear()


def renew_connections() -> None:
    """Close every pooled connection; the clients stay and connect again on their next call."""
    for renew in _renewers:
        renew()
