"""User tags and attributes (docs/upstream.md §2.4-2.10): validated requests in, wire calls out.

Every function takes the upstream client (tests pass a fake) and a pacer; requests are already
shape-validated models, and the cross-item rules run here before the first upstream call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from push_common.attribute_names import attribute_names_for
from push_common.audience import rules
from push_common.audience.chunking import Pacer, default_pacer, read_chunked, write_chunked
from push_common.audience.models import ClearTags, RemoveUserAttributes, SetUserAttributes, UserTags
from push_common.tim_caller import TimCaller


def get_user_attributes(
    client: TimCaller, accounts: Sequence[str], pacer: Pacer | None = None
) -> dict[str, Any]:
    """`{"users": {account: {name: value}}}` in request order; `{}` for users without any."""
    found = _collect(client, "im_get_attr", "UserAttrs", "Attrs", accounts, pacer)
    return {"users": {a: _as_dict(found.get(a)) for a in accounts}}


def get_user_tags(
    client: TimCaller, accounts: Sequence[str], pacer: Pacer | None = None
) -> dict[str, Any]:
    """`{"users": {account: [tag]}}` in request order; `[]` for users without tags."""
    found = _collect(client, "im_get_tag", "UserTags", "Tags", accounts, pacer)
    return {"users": {a: _as_list(found.get(a)) for a in accounts}}


def set_user_attributes(
    client: TimCaller, request: SetUserAttributes, pacer: Pacer | None = None
) -> dict[str, Any]:
    """im_set_attr; names must be the app's attribute names (90033)."""
    rules.check_users(request.users)
    used = {name for attrs in request.users.values() for name in attrs}
    rules.check_known_names(request.users, attribute_names_for(used, client))
    entries = [(a, {"To_Account": a, "Attrs": attrs}) for a, attrs in request.users.items()]
    return _write(client, "im_set_attr", "UserAttrs", entries, pacer)


def remove_user_attributes(
    client: TimCaller, request: RemoveUserAttributes, pacer: Pacer | None = None
) -> dict[str, Any]:
    """im_remove_attr (`Attrs` is a list of names here); unknown names are refused (90033)."""
    users = {a: list(dict.fromkeys(names)) for a, names in request.users.items()}
    rules.check_users(users)
    used = {name for names in users.values() for name in names}
    rules.check_known_names(users, attribute_names_for(used, client))
    entries = [(a, {"To_Account": a, "Attrs": names}) for a, names in users.items()]
    return _write(client, "im_remove_attr", "UserAttrs", entries, pacer)


def add_user_tags(
    client: TimCaller, request: UserTags, pacer: Pacer | None = None
) -> dict[str, Any]:
    """im_add_tag; at most 10 distinct tags per user per call (90032)."""
    users = rules.check_added_tags(request.users)
    entries = [(a, {"To_Account": a, "Tags": tags}) for a, tags in users.items()]
    return _write(client, "im_add_tag", "UserTags", entries, pacer)


def remove_user_tags(
    client: TimCaller, request: UserTags, pacer: Pacer | None = None
) -> dict[str, Any]:
    """im_remove_tag; absent tags are ignored upstream."""
    users = {a: list(dict.fromkeys(tags)) for a, tags in request.users.items()}
    rules.check_users(users)
    entries = [(a, {"To_Account": a, "Tags": tags}) for a, tags in users.items()]
    return _write(client, "im_remove_tag", "UserTags", entries, pacer)


def clear_user_tags(
    client: TimCaller, request: ClearTags, pacer: Pacer | None = None
) -> dict[str, Any]:
    """im_remove_all_tags for each account."""
    accounts = rules.check_accounts(request.accounts)
    entries = [(a, a) for a in accounts]
    return _write(client, "im_remove_all_tags", "To_Account", entries, pacer)


def _write(
    client: TimCaller,
    command: str,
    key: str,
    entries: Sequence[tuple[str, Any]],
    pacer: Pacer | None,
) -> dict[str, Any]:
    outcome = write_chunked(client, command, key, entries, pacer or default_pacer())
    return outcome.to_dict()


def _collect(
    client: TimCaller,
    command: str,
    list_key: str,
    value_key: str,
    accounts: Sequence[str],
    pacer: Pacer | None,
) -> dict[str, Any]:
    """account → raw value over all chunks (upstream may answer in any order)."""
    found: dict[str, Any] = {}
    for response in read_chunked(client, command, accounts, pacer or default_pacer()):
        for item in response.get(list_key) or ():
            if isinstance(item, Mapping) and isinstance(item.get("To_Account"), str):
                found[item["To_Account"]] = item.get(value_key)
    return found


def _as_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _as_list(value: Any) -> list[str]:
    return [str(tag) for tag in value] if isinstance(value, list) else []
