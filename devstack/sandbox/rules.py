"""Every im_push rule of docs/upstream.md §10, each with its documented error code."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from devstack.sandbox.errors import ApiError, JsonObj, is_int, utf8_len
from devstack.sandbox.msgbody import check_msg_body, check_offline_push_info

MAX_PUSH_BODY_BYTES = 10240
MAX_LIFETIME_SECONDS = 604800
MAX_CONDITION_ENTRIES = 10
MAX_TAG_OR_ATTR_BYTES = 50
UINT32_MAX = 4294967295
TAG_KEYS = ("TagsOr", "TagsAnd")
ATTR_KEYS = ("AttrsOr", "AttrsAnd")


@dataclass(frozen=True)
class Condition:
    """A validated audience; empty lists/dicts mean "no constraint of that kind"."""

    tags_or: list[str] = field(default_factory=list)
    tags_and: list[str] = field(default_factory=list)
    attrs_or: dict[str, str] = field(default_factory=dict)
    attrs_and: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PushRequest:
    """The parts of a valid im_push body the sandbox acts on."""

    msg_random: int
    from_account: str | None
    condition: Condition | None


def check_body_size(raw: bytes) -> None:
    """90056 when the whole body exceeds 10 KB."""
    if len(raw) > MAX_PUSH_BODY_BYTES:
        raise ApiError(90056, f"request body exceeds {MAX_PUSH_BODY_BYTES} bytes")


def validate_push(
    body: JsonObj, *, attr_names: Collection[str], senders: Collection[str]
) -> PushRequest:
    """Check an im_push body; raise ApiError with the first broken rule's code."""
    msg_random: Any = body.get("MsgRandom")
    if not (is_int(msg_random) and 0 <= msg_random <= UINT32_MAX):
        raise ApiError(90005, "MsgRandom must be a uint32")
    check_msg_body(body.get("MsgBody"))
    if "MsgLifeTime" in body:
        _check_lifetime(body["MsgLifeTime"])
    sender = body.get("From_Account")
    if "From_Account" in body and not (isinstance(sender, str) and sender in senders):
        raise ApiError(90008, "From_Account does not exist")
    condition = None
    if "Condition" in body:
        condition = parse_condition(body["Condition"], attr_names)
    if "OfflinePushInfo" in body:
        check_offline_push_info(body["OfflinePushInfo"])
    return PushRequest(msg_random=msg_random, from_account=sender, condition=condition)


def _check_lifetime(value: Any) -> None:
    if not is_int(value):
        raise ApiError(90044, "MsgLifeTime must be an integer")
    if not 0 <= value <= MAX_LIFETIME_SECONDS:
        raise ApiError(90026, "MsgLifeTime must be within 0..604800")


def parse_condition(raw: Any, attr_names: Collection[str]) -> Condition:
    """Validate `Condition` (tags xor attrs, sizes, names) and return it typed."""
    if not isinstance(raw, dict):
        raise ApiError(90001, "Condition must be an object")
    unknown = set(raw) - set(TAG_KEYS) - set(ATTR_KEYS)
    if unknown:
        raise ApiError(90001, f"unknown Condition keys: {sorted(unknown)}")
    if any(k in raw for k in TAG_KEYS) and any(k in raw for k in ATTR_KEYS):
        raise ApiError(90039, "tags and attributes cannot be combined")
    tags_or, tags_and = (check_tag_list(raw.get(k, []), name=k) for k in TAG_KEYS)
    both = set(tags_or) & set(tags_and)
    if both:
        raise ApiError(90022, f"tag in both TagsOr and TagsAnd: {sorted(both)[0]}")
    attrs_or, attrs_and = (_check_attr_map(raw.get(k, {}), k, attr_names) for k in ATTR_KEYS)
    return Condition(tags_or, tags_and, attrs_or, attrs_and)


def check_tag_list(tags: Any, *, name: str) -> list[str]:
    """A list of at most 10 non-empty tags of at most 50 UTF-8 bytes (90032/90040/90020)."""
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ApiError(90001, f"{name} must be an array of strings")
    if len(tags) > MAX_CONDITION_ENTRIES:
        raise ApiError(90032, f"{name} holds more than {MAX_CONDITION_ENTRIES} tags")
    for tag in tags:
        check_tag(tag)
    return list(tags)


def check_tag(tag: str) -> None:
    """90040 for an empty tag, 90020 for one over 50 bytes."""
    if not tag:
        raise ApiError(90040, "empty tag")
    if utf8_len(tag) > MAX_TAG_OR_ATTR_BYTES:
        raise ApiError(90020, "tag longer than 50 bytes")


def _check_attr_map(attrs: Any, key: str, attr_names: Collection[str]) -> dict[str, str]:
    if not isinstance(attrs, dict):
        raise ApiError(90001, f"{key} must be an object")
    if len(attrs) > MAX_CONDITION_ENTRIES:
        raise ApiError(90032, f"{key} holds more than {MAX_CONDITION_ENTRIES} attributes")
    for name, value in attrs.items():
        if name not in attr_names:
            raise ApiError(90033, f"attribute {name!r} is not a configured attribute name")
        check_attr_value(value)
    return dict(attrs)


def check_attr_value(value: Any) -> None:
    """90030 unless a string of 1..50 UTF-8 bytes."""
    if not isinstance(value, str) or not 0 < utf8_len(value) <= MAX_TAG_OR_ATTR_BYTES:
        raise ApiError(90030, "attribute value must be 1..50 bytes")
