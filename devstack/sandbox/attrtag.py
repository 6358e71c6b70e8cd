"""The nine attribute/tag commands of docs/upstream.md §2.2-2.10 over SandboxState."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devstack.sandbox.errors import ApiError, JsonObj, ok, utf8_len
from devstack.sandbox.rules import MAX_TAG_OR_ATTR_BYTES, check_attr_value, check_tag
from devstack.sandbox.state import SandboxState

MAX_ACCOUNTS = 100
MAX_TAGS_PER_CALL = 10
MAX_TAGS_PER_USER = 100
ATTR_INDEXES = tuple(str(i) for i in range(10))


def _check_account(account: Any) -> str:
    if not isinstance(account, str):
        raise ApiError(60015, "To_Account must be a string")
    return account


def _accounts(body: JsonObj) -> list[str]:
    accounts = body.get("To_Account")
    if not isinstance(accounts, list):
        raise ApiError(90001, "To_Account must be an array")
    if len(accounts) > MAX_ACCOUNTS:
        raise ApiError(90018, f"more than {MAX_ACCOUNTS} accounts")
    return [_check_account(a) for a in accounts]


def _entries(body: JsonObj, key: str, value_type: type) -> list[tuple[str, Any]]:
    entries = body.get(key)
    if not isinstance(entries, list):
        raise ApiError(90001, f"{key} must be an array")
    if len(entries) > MAX_ACCOUNTS:
        raise ApiError(90018, f"more than {MAX_ACCOUNTS} accounts")
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ApiError(90001, f"{key} entries must be objects")
        account = _check_account(entry.get("To_Account"))
        values = entry.get("Tags" if key == "UserTags" else "Attrs")
        if not isinstance(values, value_type):
            raise ApiError(90001, f"{key} entry has a malformed value list")
        out.append((account, values))
    return out


def set_attr_name(st: SandboxState, body: JsonObj) -> JsonObj:
    """Name attribute indexes "0".."9"; names unique, 1..50 bytes (90033)."""
    names = body.get("AttrNames")
    if not isinstance(names, dict):
        raise ApiError(90001, "AttrNames must be an object")
    merged = {**st.attr_names}
    for index, name in names.items():
        if index not in ATTR_INDEXES:
            raise ApiError(90033, f"attribute index {index!r} not in 0..9")
        if not isinstance(name, str) or not 0 < utf8_len(name) <= MAX_TAG_OR_ATTR_BYTES:
            raise ApiError(90033, "attribute name must be 1..50 bytes")
        merged[index] = name
    if len(set(merged.values())) != len(merged):
        raise ApiError(90033, "attribute names must be unique")
    st.attr_names = dict(sorted(merged.items()))
    return ok()


def get_attr_name(st: SandboxState, body: JsonObj) -> JsonObj:
    """All attribute names by index."""
    return ok(AttrNames=dict(st.attr_names))


def get_attr(st: SandboxState, body: JsonObj) -> JsonObj:
    """Attributes by name per requested account; `{}` for users without any."""
    users = [{"To_Account": a, "Attrs": st.attrs_by_name(a)} for a in _accounts(body)]
    return ok(UserAttrs=users)


def set_attr(st: SandboxState, body: JsonObj) -> JsonObj:
    """Set attribute values (all-or-nothing): names must exist (90033), values 1..50 B (90030)."""
    index = st.name_index()
    entries = _entries(body, "UserAttrs", dict)
    for _, attrs in entries:
        for name, value in attrs.items():
            if name not in index:
                raise ApiError(90033, f"attribute {name!r} is not a configured attribute name")
            check_attr_value(value)
    for account, attrs in entries:
        st.touch(account)
        stored = st.user_attrs.setdefault(account, {})
        stored.update({index[name]: value for name, value in attrs.items()})
    return ok()


def remove_attr(st: SandboxState, body: JsonObj) -> JsonObj:
    """Drop attributes given as a list of names (90033 for an unknown name)."""
    index = st.name_index()
    entries = _entries(body, "UserAttrs", list)
    for _, names in entries:
        if any(not isinstance(n, str) or n not in index for n in names):
            raise ApiError(90033, "unknown attribute name")
    for account, names in entries:
        stored = st.user_attrs.get(account, {})
        for name in names:
            stored.pop(index[name], None)
    return ok()


def get_tag(st: SandboxState, body: JsonObj) -> JsonObj:
    """Tags per requested account."""
    users = [{"To_Account": a, "Tags": list(st.user_tags.get(a, []))} for a in _accounts(body)]
    return ok(UserTags=users)


def _tag_entries(body: JsonObj) -> list[tuple[str, list[str]]]:
    entries = _entries(body, "UserTags", list)
    for _, tags in entries:
        if len(tags) > MAX_TAGS_PER_CALL:
            raise ApiError(90032, f"more than {MAX_TAGS_PER_CALL} tags for one user in one call")
        if not all(isinstance(t, str) for t in tags):
            raise ApiError(90001, "tags must be strings")
        for tag in tags:
            check_tag(tag)
    return entries


def add_tag(st: SandboxState, body: JsonObj) -> JsonObj:
    """Add tags (all-or-nothing); a user holds at most 100 tags (90032)."""
    entries = _tag_entries(body)
    merged: dict[str, list[str]] = {}
    for account, tags in entries:
        current = merged.get(account, st.user_tags.get(account, []))
        merged[account] = current + [t for t in dict.fromkeys(tags) if t not in current]
        if len(merged[account]) > MAX_TAGS_PER_USER:
            raise ApiError(90032, f"{account} would hold more than {MAX_TAGS_PER_USER} tags")
    for account, tags in merged.items():
        st.touch(account)
        st.user_tags[account] = tags
    return ok()


def remove_tag(st: SandboxState, body: JsonObj) -> JsonObj:
    """Remove the given tags; absent ones are ignored."""
    for account, tags in _tag_entries(body):
        if account in st.user_tags:
            st.user_tags[account] = [t for t in st.user_tags[account] if t not in tags]
    return ok()


def remove_all_tags(st: SandboxState, body: JsonObj) -> JsonObj:
    """Clear every tag of the given accounts."""
    for account in _accounts(body):
        st.user_tags.pop(account, None)
    return ok()


Command = Callable[[SandboxState, JsonObj], JsonObj]
COMMANDS: dict[str, Command] = {
    "im_set_attr_name": set_attr_name,
    "im_get_attr_name": get_attr_name,
    "im_get_attr": get_attr,
    "im_set_attr": set_attr,
    "im_remove_attr": remove_attr,
    "im_get_tag": get_tag,
    "im_add_tag": add_tag,
    "im_remove_tag": remove_tag,
    "im_remove_all_tags": remove_all_tags,
}
