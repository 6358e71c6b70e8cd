"""Human-readable output: short summaries and tables, instants in the caller's local zone."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tim_push.errors import ProblemError, TimPushError, TransportError

# Members that hold instants; shown in the local zone (the gateway answers UTC or quota zone).
INSTANT_FIELDS = frozenset(
    {
        "created_at",
        "sent_at",
        "send_at",
        "resets_at",
        "next_push_not_before",
        "expires_at",
        "recalled_at",
        "approved_at",
        "rejected_at",
        "as_of",
    }
)
RECORD_FIELDS = (
    "push_id",
    "status",
    "kind",
    "created_at",
    "send_at",
    "sent_at",
    "task_id",
    "caller",
    "channel",
    "idempotency_key",
    "upstream_api",
    "expires_at",
    "approved_by",
    "approved_at",
    "rejected_by",
    "rejected_at",
    "recalled_at",
)


def local_time(value: Any) -> str:
    """An RFC 3339 instant as local 'YYYY-MM-DD HH:MM:SS ±hh:mm'; anything else unchanged."""
    if not isinstance(value, str) or not value:
        return "-" if value is None else str(value)
    try:
        # Python 3.10's fromisoformat does not take "Z".
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        return value
    return parsed.astimezone().isoformat(sep=" ", timespec="seconds")


def as_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(ln, widths, strict=True)).rstrip() for ln in lines
    )


def quota_line(quota: Mapping[str, Any]) -> str:
    parts = [f"{quota.get('used', '?')}/{quota.get('limit', '?')} used"]
    if quota.get("scheduled"):
        parts.append(f"{quota['scheduled']} scheduled")
    parts.append(f"{quota.get('remaining', '?')} left")
    if quota.get("resets_at"):
        parts.append(f"resets {local_time(quota['resets_at'])}")
    return "quota: " + ", ".join(parts)


def quota_text(quota: Mapping[str, Any]) -> str:
    lines = [quota_line(quota)]
    if quota.get("next_push_not_before"):
        lines.append(f"next push not before {local_time(quota['next_push_not_before'])}")
    if quota.get("timezone"):
        lines.append(f"quota time zone: {quota['timezone']}")
    caller = quota.get("caller")
    if isinstance(caller, Mapping):
        lines.append(
            f"your share ({caller.get('name')}): {caller.get('used')}/{caller.get('budget')} used, "
            f"{caller.get('remaining')} left"
        )
    return "\n".join(lines)


def push_answer_text(answer: Mapping[str, Any]) -> str:
    push_id, status = answer.get("push_id"), answer.get("status")
    if status == "scheduled":
        head = f"push {push_id} scheduled for {local_time(answer.get('send_at'))}"
    elif status == "pending_approval":
        head = (
            f"push {push_id} is waiting for approval "
            f"(expires {local_time(answer.get('expires_at'))})"
        )
    else:
        task = f" (task {answer['task_id']})" if answer.get("task_id") else ""
        head = f"push {push_id} {status}{task}"
    quota = answer.get("quota")
    return head + (f"\n{quota_line(quota)}" if isinstance(quota, Mapping) else "")


def dry_run_text(answer: Mapping[str, Any]) -> str:
    lines = ["dry run passed: nothing sent, no quota used", "upstream request:"]
    lines.append(as_json(answer.get("upstream_request")))
    quota = answer.get("quota")
    if isinstance(quota, Mapping):
        lines.append(quota_line(quota))
    return "\n".join(lines)


def record_text(record: Mapping[str, Any]) -> str:
    width = max(len(f) for f in RECORD_FIELDS)
    lines = []
    for name in RECORD_FIELDS:
        if record.get(name) is None:
            continue
        value = record[name]
        shown = local_time(value) if name in INSTANT_FIELDS else str(value)
        lines.append(f"{name.ljust(width)}  {shown}")
    error = record.get("error")
    if isinstance(error, Mapping):
        upstream = f" (upstream {error['upstream_code']})" if error.get("upstream_code") else ""
        lines.append(
            f"{'error'.ljust(width)}  {error.get('code')}: {error.get('detail')}{upstream}"
        )
    return "\n".join(lines)


def page_text(page: Mapping[str, Any]) -> str:
    pushes = page.get("pushes") or []
    rows = [
        [
            local_time(p.get("created_at")),
            str(p.get("push_id", "")),
            str(p.get("status", "")),
            str(p.get("kind", "")),
            str(p.get("caller", "")),
        ]
        for p in pushes
    ]
    text = table(["CREATED", "PUSH ID", "STATUS", "KIND", "CALLER"], rows) if rows else "no pushes"
    if page.get("next_cursor"):
        text += f"\nmore: --cursor {page['next_cursor']}"
    return text


def report_text(report: Mapping[str, Any]) -> str:
    head = (
        f"push {report.get('push_id')} (task {report.get('task_id')}): "
        f"total {report.get('total')}, sent {report.get('sent')}, "
        f"delivered {report.get('delivered')}, clicked {report.get('clicked')}"
        f"\nas of {local_time(report.get('as_of'))}"
    )
    platforms = report.get("platforms") or []
    if not platforms:
        return head
    columns = ("platform", "event_type", "total", "sent", "delivered", "clicked")
    rows = [[str(p.get(c, "")) for c in columns] for p in platforms]
    return head + "\n" + table([c.upper() for c in columns], rows)


def write_text(result: Mapping[str, Any]) -> str:
    lines = [f"succeeded: {', '.join(result.get('succeeded') or []) or '-'}"]
    for failure in result.get("failed") or []:
        upstream = f", upstream {failure['upstream_code']}" if failure.get("upstream_code") else ""
        lines.append(
            f"failed: {failure.get('account')} ({failure.get('code')}{upstream}): "
            f"{failure.get('detail')}"
        )
    return "\n".join(lines)


def tags_text(users: Mapping[str, Sequence[str]]) -> str:
    return "\n".join(f"{a}: {', '.join(t) or '-'}" for a, t in users.items())


def attrs_text(users: Mapping[str, Mapping[str, str]]) -> str:
    return "\n".join(
        f"{a}: {', '.join(f'{k}={v}' for k, v in attrs.items()) or '-'}"
        for a, attrs in users.items()
    )


def error_text(error: TimPushError) -> str:
    """What a person needs: status, code, detail, each field problem, push id, when to retry."""
    if isinstance(error, ProblemError):
        lines = [f"error: {error.status} {error.code}: {error.detail}"]
        lines += [
            f"  {e.field}: {e.message}"
            + (f" (upstream {e.upstream_code})" if e.upstream_code else "")
            for e in error.errors
        ]
        if error.upstream_code is not None:
            lines.append(f"upstream code: {error.upstream_code}")
        if error.push_id:
            lines.append(f"push_id: {error.push_id}")
        if error.retry_after is not None:
            lines.append(f"retry after: {error.retry_after:g} s")
    else:
        lines = [f"error: {error}"]
    key = getattr(error, "idempotency_key", None)
    if key and isinstance(error, (TransportError, ProblemError)) and _worth_key(error):
        lines.append(f"idempotency key: {key} (retry with --key {key}: never sent twice)")
    return "\n".join(lines)


def _worth_key(error: TimPushError) -> bool:
    # After no answer or a 5xx/429, retrying under the same key is the safe next step.
    return isinstance(error, TransportError) or (
        isinstance(error, ProblemError) and (error.status >= 500 or error.status == 429)
    )
