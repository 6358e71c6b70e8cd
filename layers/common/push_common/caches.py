"""One place that knows every process-level cache, so tests and secret rotation can reset them.

Modules register their cache-clearing callables here at import; `clear_all()` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable

_clearers: list[Callable[[], None]] = []


def register(clear: Callable[[], None]) -> Callable[[], None]:
    """Remember `clear` (returned unchanged, so it can decorate) for `clear_all()`."""
    _clearers.append(clear)
    return clear


def clear_all() -> None:
    """Reset settings, clients, cached secrets and UserSigs of this process."""
    from aws_lambda_powertools.utilities import parameters

    from push_common.settings import get_settings

    get_settings.cache_clear()
    parameters.clear_caches()
    for clear in _clearers:
        clear()
