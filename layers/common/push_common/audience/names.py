"""The app's attribute names (docs/upstream.md §2.2-2.3): read, and the guarded admin update."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from push_common.attribute_names import (
    fetch_attribute_index,
    get_attribute_names,
    invalidate_attribute_names,
)
from push_common.audience.models import SetAttributeNames
from push_common.audience.rules import check_names_list
from push_common.errors import FieldProblem, ReindexRefused
from push_common.observability import logger
from push_common.tim_caller import TimCaller


def list_attribute_names(client: TimCaller) -> dict[str, Any]:
    """`{"names": [...]}` in index order, always read from upstream (refreshing the cache).

    Other Lambdas may hold a cached list from before a `PUT`; a reader must see the truth.
    """
    return {"names": list(get_attribute_names(client, force_refresh=True))}


def set_attribute_names(
    client: TimCaller, request: SetAttributeNames, *, principal: str
) -> dict[str, Any]:
    """im_set_attr_name with names at indexes 0..n-1; logs who changed what.

    Refused (409 `reindex_refused`) when an existing name would change index or disappear,
    unless `allow_reindex`: users' stored values are kept by index, so they would silently
    move to another name. The answer lists the names upstream holds after the update.
    """
    check_names_list(request.names)
    current = fetch_attribute_index(client)
    moved = reindex_problems(current, request.names)
    if moved and not request.allow_reindex:
        detail = "set allow_reindex to true to move or drop existing attribute names"
        raise ReindexRefused(detail, errors=moved)
    try:
        wire = {str(index): name for index, name in enumerate(request.names)}
        client.call("im_set_attr_name", {"AttrNames": wire})
    finally:
        invalidate_attribute_names()  # also after a timeout: the outcome is unknown
    after = list(fetch_attribute_index(client).values())
    logger.info(
        "attribute names changed",
        principal=principal,
        old_names=list(current.values()),
        new_names=after,
        reindexed=bool(moved),
    )
    return {"names": after}


def reindex_problems(current: Mapping[int, str], names: Sequence[str]) -> list[FieldProblem]:
    """One problem per existing name whose index would change or which would be dropped."""
    problems: list[FieldProblem] = []
    for index, old in current.items():
        if index < len(names) and names[index] == old:
            continue
        if old in names:
            moved_to = names.index(old)
            message = f"{old!r} would move from index {index} to {moved_to}"
            problems.append(FieldProblem(f"names[{moved_to}]", message))
        else:
            problems.append(FieldProblem("names", f"{old!r} (index {index}) would be dropped"))
    return problems
