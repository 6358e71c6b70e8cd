"""The app's attribute names (upstream `im_get_attr_name`), cached in-process for a short while.

Push conditions and attribute writes may only use these names (upstream 90033), so both paths
check against this list; `PUT /v1/attribute-names` invalidates it after a change.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from push_common import caches
from push_common.settings import get_settings
from push_common.tim_caller import TimCaller
from push_common.tim_client import get_tim_client

_cached: tuple[float, dict[int, str]] | None = None


def parse_attr_names(response: Mapping[str, Any]) -> dict[int, str]:
    """`{"AttrNames": {"0": "sex", "1": "city"}}` → `{0: "sex", 1: "city"}` (lenient parse)."""
    raw = response.get("AttrNames") or {}
    out: dict[int, str] = {}
    if not isinstance(raw, Mapping):
        return out
    for key, name in raw.items():
        if isinstance(key, str) and key.isdecimal() and isinstance(name, str) and name:
            out[int(key)] = name
    return dict(sorted(out.items()))


def fetch_attribute_index(client: TimCaller) -> dict[int, str]:
    """Ask upstream for the current index → name map (never cached) and refresh the cache."""
    global _cached
    index = parse_attr_names(client.call("im_get_attr_name", {}))
    _cached = (time.monotonic(), index)
    return index


def get_attribute_names(
    client: TimCaller | None = None, *, force_refresh: bool = False
) -> tuple[str, ...]:
    """The app's attribute names in index order, cached for `attr_names_max_age_seconds`."""
    max_age = get_settings().attr_names_max_age_seconds
    if not force_refresh and _cached is not None and time.monotonic() - _cached[0] < max_age:
        return tuple(_cached[1].values())
    return tuple(fetch_attribute_index(client or get_tim_client()).values())


def attribute_names_for(wanted: Iterable[str], client: TimCaller | None = None) -> tuple[str, ...]:
    """The app's names, re-read from upstream once if the cached list lacks any of `wanted`.

    Each Lambda caches the names, so one that did not serve a `PUT /v1/attribute-names` may
    hold a list without a just-added name; a miss costs one call, a hit costs nothing.
    """
    known = get_attribute_names(client)
    if set(wanted).issubset(known):
        return known
    return get_attribute_names(client, force_refresh=True)


@caches.register_timed
def invalidate_attribute_names() -> None:
    """Forget the cached names; the next `get_attribute_names()` asks upstream."""
    global _cached
    _cached = None
