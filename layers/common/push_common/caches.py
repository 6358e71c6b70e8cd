"""One place that knows every process-level cache, so tests and secret rotation can reset them.

Modules register at import either a `functools.cache`-wrapped function (its `cache_clear` is
used) or a plain zero-argument clearing function; `clear_all()` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_clearers: list[Callable[[], Any]] = []


def register[F: Callable[..., Any]](target: F) -> F:
    """Remember how to clear `target` (returned unchanged, so it can decorate)."""
    _clearers.append(getattr(target, "cache_clear", target))
    return target


def clear_all() -> None:
    """Reset settings, clients, cached secrets and UserSigs of this process."""
    from aws_lambda_powertools.utilities import parameters

    from push_common.settings import get_settings

    get_settings.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    for clear in _clearers:
        clear()
