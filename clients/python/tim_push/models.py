"""Shapes of requests and answers (the HTTP contract in the repository's README / OpenAPI).

Answers are plain JSON objects typed as TypedDicts: fields the gateway adds later still arrive,
and nothing is lost in translation. `total=False` where the gateway may omit members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

JSON = dict[str, Any]


class Quota(TypedDict, total=False):
    limit: int
    used: int
    scheduled: int
    remaining: int
    resets_at: str
    next_push_not_before: str | None
    timezone: str
    caller: dict[str, Any]


class PushAnswer(TypedDict, total=False):
    """202 of POST /v1/pushes: submitted, scheduled or pending approval."""

    push_id: str
    task_id: str
    status: str
    send_at: str
    expires_at: str
    quota: Quota


class DryRunAnswer(TypedDict, total=False):
    """200 of POST /v1/pushes with dry_run: the exact upstream body and the quota forecast."""

    dry_run: bool
    upstream_request: JSON
    quota: Quota


class PushRecord(TypedDict, total=False):
    push_id: str
    status: str
    created_at: str
    caller: str
    caller_session: str
    channel: str
    event_source: str | None
    idempotency_key: str | None
    kind: str
    upstream_api: str
    request: JSON
    send_at: str | None
    sent_at: str | None
    task_id: str | None
    error: JSON | None
    recalled_at: str | None
    approved_by: str | None
    approved_at: str | None
    rejected_by: str | None


class PushPage(TypedDict):
    pushes: list[PushRecord]
    next_cursor: str | None


class PlatformReport(TypedDict, total=False):
    platform: int
    event_type: int
    total: int
    sent: int
    delivered: int
    clicked: int


class PushReport(TypedDict, total=False):
    push_id: str
    task_id: str
    total: int
    sent: int
    delivered: int
    clicked: int
    platforms: list[PlatformReport]
    as_of: str


class AccountFailure(TypedDict, total=False):
    account: str
    code: str
    upstream_code: int | None
    detail: str


class WriteResult(TypedDict):
    """200 of every audience write: per-account outcome, never a silent half-apply."""

    succeeded: list[str]
    failed: list[AccountFailure]


class UserTags(TypedDict):
    users: dict[str, list[str]]


class UserAttributes(TypedDict):
    users: dict[str, dict[str, str]]


class AttributeNames(TypedDict):
    names: list[str]


class Audience:
    """Builders for the `audience` object; "everyone" must be said explicitly."""

    @staticmethod
    def everyone() -> JSON:
        return {"all": True}

    @staticmethod
    def tags(any_of: Sequence[str] = (), all_of: Sequence[str] = ()) -> JSON:
        """Users with any of `any_of` and/or all of `all_of` (at least one list non-empty)."""
        return {"tags": _non_empty({"any": list(any_of), "all": list(all_of)})}

    @staticmethod
    def attributes(
        any_of: Mapping[str, str] | None = None, all_of: Mapping[str, str] | None = None
    ) -> JSON:
        """Users matching any / all of the attribute values (names must be the app's names)."""
        return {"attributes": _non_empty({"any": dict(any_of or {}), "all": dict(all_of or {})})}

    @staticmethod
    def accounts(accounts: Sequence[str]) -> JSON:
        """A test send to named users (Push service only; needs a notification, no message)."""
        return {"accounts": list(accounts)}


def _non_empty(parts: dict[str, Any]) -> JSON:
    return {k: v for k, v in parts.items() if v}
