"""The Push service family `v4/timpush/*` (docs/upstream.md §3): push, batch, revoke, statistics
and the attribute/tag twins, over the same state as `all_member_push`.

`timpush/push` shares `im_push`'s daily quota and interval; `batch`, `revoke` and the statistics
have their own per-second limits (checked by the core on real time). Every timpush task is kept
in `SandboxState.tasks` so revoke and statistics can find it; an `im_push` TaskId is unknown
here (90049), as the upstream doc gives no way to recall one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devstack.sandbox import attrtag
from devstack.sandbox.errors import ApiError, JsonObj, is_int, ok, utf8_len
from devstack.sandbox.msgbody import check_offline_push_info
from devstack.sandbox.quota import Dedup, PushQuota
from devstack.sandbox.rules import UINT32_MAX, validate_push
from devstack.sandbox.state import SandboxState

MAX_BATCH_ACCOUNTS = 500
MAX_DATA_ID_BYTES = 64
MAX_STATS_TASKS = 5
REVOKE_WINDOW_SECONDS = 24 * 3600
STATS_DAYS_SECONDS = 7 * 86400
# Calls per second, enforced by the core; the code a caller over the limit gets.
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "batch": (30, 60007),
    "revoke": (1, 90051),
    "all_member_push_statistics": (1, 60007),
}


def _check_data_id(body: JsonObj) -> str | None:
    data_id = body.get("DataId")
    if data_id is None:
        return None
    if not isinstance(data_id, str) or utf8_len(data_id) > MAX_DATA_ID_BYTES:
        raise ApiError(90001, f"DataId must be a string of at most {MAX_DATA_ID_BYTES} bytes")
    return data_id


def _check_msg_random(body: JsonObj) -> int:
    value: Any = body.get("MsgRandom")
    if not (is_int(value) and 0 <= value <= UINT32_MAX):
        raise ApiError(90005, "MsgRandom must be a uint32")
    return int(value)


def _task_id(st: SandboxState, sdkappid: int, now: float, msg_random: int) -> str:
    st.task_seq += 1
    return f"{st.task_seq:08x}_{int(now):08x}_{sdkappid:x}_{msg_random:08x}_{st.task_seq:06x}"


def push(
    st: SandboxState,
    quota: PushQuota,
    dedup: Dedup,
    body: JsonObj,
    *,
    sdkappid: int,
    admin: str,
    now: float,
) -> JsonObj:
    """timpush/push (IM form): like im_push, with OnlineOnlyFlag and DataId, no MsgLifeTime."""
    if "MsgLifeTime" in body:
        raise ApiError(90001, "MsgLifeTime is not a field of timpush/push")
    flag = body.get("OnlineOnlyFlag", 0)
    if not (is_int(flag) and flag in (0, 1)):
        raise ApiError(90001, "OnlineOnlyFlag must be 0 or 1")
    data_id = _check_data_id(body)
    rest = {k: v for k, v in body.items() if k not in ("OnlineOnlyFlag", "DataId")}
    request = validate_push(rest, attr_names=st.name_index(), senders=st.users | {admin})
    earlier = dedup.lookup(request.msg_random, now)
    if earlier is not None:
        return ok(TaskId=earlier)
    quota.check(now)
    quota.consume(now)
    task_id = _task_id(st, sdkappid, now, request.msg_random)
    dedup.remember(request.msg_random, task_id, now)
    recipients = st.recipients(request.condition)
    _remember(st, task_id, "push", request.msg_random, request.from_account or admin, body,
              recipients, now, data_id=data_id, online_only=flag)  # fmt: skip
    return ok(TaskId=task_id)


def batch(
    st: SandboxState, dedup: Dedup, body: JsonObj, *, sdkappid: int, admin: str, now: float
) -> JsonObj:
    """timpush/batch: a notification to 1-500 named accounts; no daily quota."""
    sender = body.get("From_Account")
    if not isinstance(sender, str) or sender not in st.users | {admin}:
        raise ApiError(90008, "From_Account missing or does not exist")
    accounts = body.get("To_Account")
    if not isinstance(accounts, list) or not accounts:
        raise ApiError(90001, "To_Account must be a non-empty array")
    if len(accounts) > MAX_BATCH_ACCOUNTS:
        raise ApiError(90018, f"more than {MAX_BATCH_ACCOUNTS} accounts")
    if not all(isinstance(a, str) and a for a in accounts):
        raise ApiError(60015, "To_Account entries must be non-empty strings")
    msg_random = _check_msg_random(body)
    if "OfflinePushInfo" not in body:
        raise ApiError(90043, "timpush/batch needs OfflinePushInfo")
    check_offline_push_info(body["OfflinePushInfo"])
    data_id = _check_data_id(body)
    earlier = dedup.lookup(msg_random, now)
    if earlier is not None:
        return ok(TaskId=earlier)
    task_id = "batch_" + _task_id(st, sdkappid, now, msg_random)
    dedup.remember(msg_random, task_id, now)
    _remember(st, task_id, "batch", msg_random, sender, body, sorted(set(accounts)), now,
              data_id=data_id, online_only=1)  # fmt: skip
    return ok(TaskId=task_id)


def revoke(st: SandboxState, body: JsonObj, *, now: float) -> JsonObj:
    """timpush/revoke: 90049 unknown task, 90050 already revoked, 90052 older than 24 h."""
    task_id = body.get("TaskId")
    task = st.tasks.get(task_id) if isinstance(task_id, str) else None
    if task is None:
        raise ApiError(90049, "no push task with this TaskId")
    if task["revoked_at"] is not None:
        raise ApiError(90050, "task already revoked")
    if now - task["at"] > REVOKE_WINDOW_SECONDS:
        raise ApiError(90052, "task older than 24 hours")
    if "OfflinePushInfo" not in body:
        raise ApiError(90053, "revoke needs OfflinePushInfo")
    check_offline_push_info(body["OfflinePushInfo"])
    task["revoked_at"] = now
    task["replacement"] = body["OfflinePushInfo"]
    return ok()


def statistics(st: SandboxState, body: JsonObj, *, now: float) -> JsonObj:
    """all_member_push_statistics: counts of the asked tasks created within [StartTime, EndTime]."""
    start: Any = body.get("StartTime")
    end: Any = body.get("EndTime")
    ids = body.get("TaskID", [])
    if not (is_int(start) and is_int(end)) or start > end:
        raise ApiError(90001, "StartTime and EndTime must be integers, StartTime <= EndTime")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(90001, "TaskID must be an array of strings")
    if len(ids) > MAX_STATS_TASKS:
        raise ApiError(90018, f"at most {MAX_STATS_TASKS} TaskIDs")
    wanted = ids or [t for t, task in st.tasks.items() if task["command"] == "push"]
    results = []
    for task_id in wanted:
        task = st.tasks.get(task_id)
        if task is None or task["command"] != "push" or not start <= task["at"] <= end:
            continue
        if now - task["at"] > STATS_DAYS_SECONDS:
            continue
        results.append(_stats(task_id, task))
    return {**ok(Results=results), "ErrorInfo": "sucess"}  # [sic], as Tencent answers


def _stats(task_id: str, task: JsonObj) -> JsonObj:
    """Deterministic figures: every recipient sent and delivered, none clicked, one platform."""
    n = len(task["recipients"])
    counts = {"TotalCount": n, "SentCount": n, "DeliveredCount": n, "ClickCount": 0}
    online_only = task["online_only"] == 1
    platform = {"EventType": 1 if online_only else 2, "PushPlatform": 1, **counts}
    return {"TaskID": task_id, **counts, "PlatformStatistics": [platform] if n else []}


def _remember(
    st: SandboxState,
    task_id: str,
    command: str,
    msg_random: int,
    sender: str,
    body: JsonObj,
    recipients: list[str],
    now: float,
    *,
    data_id: str | None,
    online_only: int,
) -> None:
    st.tasks[task_id] = {
        "command": command,
        "recipients": recipients,
        "at": now,
        "online_only": online_only,
        "revoked_at": None,
        "replacement": None,
    }
    st.pushes.append(
        {
            "task_id": task_id,
            "api": "timpush",
            "command": command,
            "msg_random": msg_random,
            "from_account": sender,
            "data_id": data_id,
            "body": body,
            "recipients": recipients,
            "at": now,
        }
    )


def clear_all_tags(st: SandboxState, body: JsonObj) -> JsonObj:
    """timpush's name for im_remove_all_tags."""
    return attrtag.remove_all_tags(st, body)


def add_tag(st: SandboxState, body: JsonObj) -> JsonObj:
    """timpush/add_tag: `Replace` 1 overwrites a user's tags (up to 100), 0 (default) appends."""
    replace = body.get("Replace", 0)
    if not (is_int(replace) and replace in (0, 1)):
        raise ApiError(90001, "Replace must be 0 or 1")
    if replace == 1:
        for entry in body.get("UserTags") or ():
            if isinstance(entry, dict) and isinstance(entry.get("To_Account"), str):
                st.user_tags.pop(entry["To_Account"], None)
    return attrtag.add_tag(st, {k: v for k, v in body.items() if k != "Replace"})


# Audience twins (docs/upstream.md §3.3): the same bodies and answers as §2.2-2.10.
AUDIENCE: dict[str, Callable[[SandboxState, JsonObj], JsonObj]] = {
    "set_attr_name": attrtag.set_attr_name,
    "get_attr_name": attrtag.get_attr_name,
    "get_attr": attrtag.get_attr,
    "set_attr": attrtag.set_attr,
    "remove_attr": attrtag.remove_attr,
    "get_tag": attrtag.get_tag,
    "add_tag": add_tag,
    "remove_tag": attrtag.remove_tag,
    "clear_all_tags": clear_all_tags,
}
COMMANDS = ("push", "batch", "revoke", "all_member_push_statistics", *AUDIENCE)
