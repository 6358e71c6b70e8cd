"""Which upstream call a push becomes, per API family (docs/architecture.md §3.1, §13).

- `all_member_push`: `im_push` (docs/upstream.md §2.1).
- `timpush`: a broadcast goes to `timpush/push` in its IM form (`MsgBody`, `OnlineOnlyFlag`, no
  `MsgLifeTime`; docs/upstream.md §3.1); `audience.accounts` is a test send through
  `timpush/batch` (notification only, docs/upstream.md §3.2). `DataId` is the push_id.

A request field that the configured family cannot carry is a 422 naming the field and the API:
nothing is ever silently dropped (docs/decisions.md §16).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from push_common.errors import FieldProblem, ValidationFailed
from push_common.push.request import PushRequest
from push_common.push.wire import condition_of, im_push_body, msg_body_of, offline_push_info_of
from push_common.upstream_api import ALL_MEMBER_PUSH, TIMPUSH, UpstreamApi

BROADCAST = "broadcast"
TEST = "test"


@dataclass(frozen=True)
class UpstreamCall:
    """One push as it goes upstream: where to, the exact body, and what kind of push it is."""

    api: UpstreamApi
    service: str
    command: str
    body: dict[str, Any]
    kind: str  # broadcast | test

    @property
    def takes_quota(self) -> bool:
        """Test sends never take a slot of the daily push quota."""
        return self.kind == BROADCAST


def check_fields(req: PushRequest, api: UpstreamApi) -> None:
    """422 listing every field the configured API family cannot carry or needs."""
    problems = _problems(req, api)
    if problems:
        raise ValidationFailed(
            f"the request does not fit the configured upstream API ({_api_name(req, api)})",
            errors=problems,
        )


def upstream_call(
    req: PushRequest, *, api: UpstreamApi, msg_random: int, push_id: str, admin: str
) -> UpstreamCall:
    """The exact call for a request that passed `check_fields`."""
    check_fields(req, api)
    if api == ALL_MEMBER_PUSH:
        body = im_push_body(req, msg_random=msg_random, sender=req.sender)
        return UpstreamCall(ALL_MEMBER_PUSH, ALL_MEMBER_PUSH, "im_push", body, BROADCAST)
    if req.audience.accounts is not None:
        return UpstreamCall(
            TIMPUSH, TIMPUSH, "batch", _batch_body(req, msg_random, push_id, admin), TEST
        )
    return UpstreamCall(TIMPUSH, TIMPUSH, "push", _push_body(req, msg_random, push_id), BROADCAST)


def _push_body(req: PushRequest, msg_random: int, push_id: str) -> dict[str, Any]:
    assert req.message is not None  # check_fields
    body: dict[str, Any] = {}
    if req.sender is not None:
        body["From_Account"] = req.sender
    body["MsgRandom"] = msg_random
    # 0 = stored as a conversation message (roaming, unread; fan-out 200 users/s),
    # 1 = notification only.
    body["OnlineOnlyFlag"] = 0 if req.keep_in_history else 1
    if (condition := condition_of(req.audience)) is not None:
        body["Condition"] = condition
    body["MsgBody"] = msg_body_of(req.message)
    if req.notification is not None:
        body["OfflinePushInfo"] = offline_push_info_of(req.notification)
    body["DataId"] = push_id
    return body


def _batch_body(req: PushRequest, msg_random: int, push_id: str, admin: str) -> dict[str, Any]:
    assert req.notification is not None and req.audience.accounts is not None  # check_fields
    return {
        "From_Account": req.sender or admin,  # required by timpush/batch
        "To_Account": list(req.audience.accounts),
        "MsgRandom": msg_random,
        "OfflinePushInfo": offline_push_info_of(req.notification),
        "DataId": push_id,
    }


def _api_name(req: PushRequest, api: UpstreamApi) -> str:
    if api == ALL_MEMBER_PUSH:
        return "all_member_push/im_push"
    return "timpush/batch" if req.audience.accounts is not None else "timpush/push"


def _problems(req: PushRequest, api: UpstreamApi) -> list[FieldProblem]:
    name = _api_name(req, api)
    if api == ALL_MEMBER_PUSH:
        return _legacy_problems(req, name)
    problems: list[FieldProblem] = []
    if req.offline_ttl_seconds:
        hint = "" if req.audience.accounts is not None else "; see keep_in_history"
        message = f"{name} has no MsgLifeTime: leave offline_ttl_seconds out (or 0){hint}"
        problems.append(FieldProblem("offline_ttl_seconds", message, 90026))
    if req.audience.accounts is not None:
        return problems + _test_send_problems(req, name)
    if req.message is None:
        problems.append(FieldProblem("message", f"{name} needs a message", 90007))
    return problems


def _legacy_problems(req: PushRequest, name: str) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if req.audience.accounts is not None:
        message = f"test sends to named accounts need TIM_PUSH_API=timpush; {name} has none"
        problems.append(FieldProblem("audience.accounts", message))
    if req.keep_in_history is not None:
        message = f"{name} has no OnlineOnlyFlag; keep_in_history needs TIM_PUSH_API=timpush"
        problems.append(FieldProblem("keep_in_history", message))
    if req.message is None and req.audience.accounts is None:
        problems.append(FieldProblem("message", f"{name} needs a message", 90007))
    return problems


def _test_send_problems(req: PushRequest, name: str) -> list[FieldProblem]:
    """timpush/batch carries an offline notification and nothing else."""
    problems: list[FieldProblem] = []
    if req.message is not None:
        message = f"{name} carries a notification only: leave message out"
        problems.append(FieldProblem("message", message))
    if req.keep_in_history is not None:
        message = f"{name} has no OnlineOnlyFlag: leave keep_in_history out"
        problems.append(FieldProblem("keep_in_history", message))
    n = req.notification
    if n is None:
        return [*problems, FieldProblem("notification", f"{name} needs a notification", 90043)]
    for field, value in (("title", n.title), ("body", n.body)):
        if not value:
            message = f"{name} needs notification.{field}"
            problems.append(FieldProblem(f"notification.{field}", message, 90043))
    if not n.enabled:
        message = f"{name} sends the notification only; it cannot be disabled"
        problems.append(FieldProblem("notification.enabled", message, 90043))
    return problems
