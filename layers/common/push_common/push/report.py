"""`GET /v1/pushes/{push_id}/report` (docs/architecture.md §13): Tencent's delivery statistics
for one push's task (`timpush/all_member_push_statistics`, docs/upstream.md §3.5).

The upstream call is limited to 1/s per app and its data to 7 days, so the answer is cached in
the push record for `REPORT_CACHE_MS` (shared by every Lambda) and upstream calls pass the
shared gate; a caller waiting behind another Lambda's call usually finds its fresh answer.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping
from typing import Any

from push_common.errors import Conflict, PushNotFound, RateLimited
from push_common.push.families import TEST
from push_common.push.records import Item, iso_ms, parse_iso_ms
from push_common.push.service import PushDeps
from push_common.upstream_api import TIMPUSH

STATISTICS_COMMAND = "all_member_push_statistics"
STATISTICS_INTERVAL_MS = 1000  # 1 call per second (docs/upstream.md §1.5)
REPORT_CACHE_MS = 60_000
DATA_DAYS_MS = 7 * 86400 * 1000  # statistics are kept 7 days after the push
WINDOW_LEAD_SECONDS = 60  # the query window opens a minute before sent_at (clock skew)


def push_report(push_id: str, deps: PushDeps, *, deadline: float | None) -> dict[str, Any]:
    """200 body of the report, from the record's cache or one statistics call."""
    item = _reportable(push_id, deps)
    task_id = _str(item, "task_id")
    sent_ms = parse_iso_ms(_str(item, "sent_at"))
    assert sent_ms is not None  # _reportable
    give_up = deps.monotonic() + deps.settings.quota_max_wait_ms / 1000
    gate = None
    while True:
        if (cached := _cached(item, deps.records.now_ms())) is not None:
            return cached
        if deps.gate is None:
            break
        gate = gate or deps.open_gate(deps.credentials(), "statistics", STATISTICS_INTERVAL_MS)
        wait_ms = gate.try_pass()
        if wait_ms == 0:
            break
        pause = wait_ms / 1000 + secrets.randbelow(20) / 1000
        if deps.monotonic() + pause > give_up:
            raise RateLimited(
                "delivery reports are limited to one upstream call per second; retry shortly",
                code="report_rate_limited",
                retry_after=max(1, math.ceil(wait_ms / 1000)),
            )
        deps.sleep(pause)
        item = _reportable(push_id, deps)  # another Lambda may just have cached a fresh answer
    now = deps.records.now_ms()
    body = {
        "StartTime": sent_ms // 1000 - WINDOW_LEAD_SECONDS,
        # Rounded up: a task created earlier in this very second is inside the window.
        "EndTime": math.ceil(min(now, sent_ms + DATA_DAYS_MS) / 1000),
        "TaskID": [task_id],
    }
    out = deps.client.call(STATISTICS_COMMAND, body, service=TIMPUSH, deadline=deadline)
    report = normalise_report(push_id, task_id, out, as_of=iso_ms(now))
    if report is None:
        raise Conflict(
            "Tencent IM has no statistics for this push yet", code="report_not_available"
        )
    deps.records.store_report(push_id, report, now)
    return report


def normalise_report(
    push_id: str, task_id: str, answer: Mapping[str, Any], *, as_of: str
) -> dict[str, Any] | None:
    """The answer's entry for `task_id` in the gateway's shape; None when there is none."""
    results = answer.get("Results")
    if not isinstance(results, list):
        return None
    entries = [r for r in results if isinstance(r, Mapping)]
    match = [r for r in entries if r.get("TaskID") == task_id]
    if not match and len(entries) == 1 and not entries[0].get("TaskID"):
        match = entries  # one unnamed entry for the one task asked about
    if not match:
        return None
    entry = match[0]
    platforms = entry.get("PlatformStatistics")
    return {
        "push_id": push_id,
        "task_id": task_id,
        **_counts(entry),
        "platforms": [
            {
                "platform": _int(p.get("PushPlatform")),
                "event_type": _int(p.get("EventType")),
                **_counts(p),
            }
            for p in (platforms if isinstance(platforms, list) else [])
            if isinstance(p, Mapping)
        ],
        "as_of": as_of,
    }


def _counts(entry: Mapping[str, Any]) -> dict[str, int]:
    return {
        "total": _int(entry.get("TotalCount")),
        "sent": _int(entry.get("SentCount")),
        "delivered": _int(entry.get("DeliveredCount")),
        "clicked": _int(entry.get("ClickCount")),
    }


def _int(value: Any) -> int:
    """Counts are integers; anything else (absent, text, negative) reads as 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, value)


def _reportable(push_id: str, deps: PushDeps) -> Item:
    item = deps.records.get(push_id)
    if not item:
        raise PushNotFound(f"no push {push_id!r}")
    if (_str(item, "upstream_api") or "all_member_push") != TIMPUSH:
        raise Conflict(
            "this push went through all_member_push, which has no delivery report",
            code="report_not_supported",
        )
    if _str(item, "kind") == TEST:
        raise Conflict("test sends have no delivery report", code="report_not_available")
    sent_ms = parse_iso_ms(_str(item, "sent_at"))
    if not _str(item, "task_id") or sent_ms is None:
        raise Conflict("this push has no Tencent task to report on", code="report_not_available")
    if deps.records.now_ms() - sent_ms > DATA_DAYS_MS:
        raise Conflict(
            "Tencent IM keeps delivery statistics for 7 days", code="report_not_available"
        )
    return item


def _cached(item: Item, now_ms: int) -> dict[str, Any] | None:
    raw = _str(item, "report")
    at = item.get("report_at_ms", {}).get("N")
    if not raw or at is None or now_ms - int(at) >= REPORT_CACHE_MS:
        return None
    report: dict[str, Any] = json.loads(raw)
    return report


def _str(item: Item, name: str) -> str:
    return str(item.get(name, {}).get("S", ""))
