"""A push record as callers read it (`GET /v1/pushes/{push_id}` and every listed push).

The stored item keeps JSON attributes as strings and bookkeeping a caller never sees (the
stored answer, the lease, the attempt token, the request hash, the TTL); the view parses the
JSON, drops the bookkeeping and shows every field of the contract, `null` when not set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from push_common.errors import FieldProblem, PushNotFound, ValidationFailed
from push_common.push.records import Item, PushRecords

# push_ids are UUIDs; the wider shape leaves room for other id schemes without a 5xx on garbage.
PUSH_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def parse_push_id(raw: str | None) -> str:
    """The path's push_id, or a 422 naming `path.push_id` (1-64 of A-Z, a-z, 0-9, `-`).

    An id that cannot be a push_id is malformed input (422), not an unknown push (404): no
    lookup is made for it.
    """
    if raw is None or not PUSH_ID.fullmatch(raw):
        raise ValidationFailed(
            "push_id must be 1-64 characters of A-Z, a-z, 0-9 and '-'",
            errors=[FieldProblem("path.push_id", "1-64 characters of A-Z, a-z, 0-9 and '-'")],
        )
    return raw


def record_view(item: Item) -> dict[str, Any]:
    """The contract's record view of one stored item (raw DynamoDB attribute values)."""
    return {
        "push_id": _string(item, "push_id"),
        "status": _string(item, "status"),
        "created_at": _string(item, "created_at"),
        "caller": _string(item, "caller"),
        "caller_session": _string(item, "caller_session"),
        "channel": _string(item, "channel"),
        "event_source": _string(item, "event_source"),
        "idempotency_key": _string(item, "idempotency_key"),
        "kind": _string(item, "kind"),
        "upstream_api": _string(item, "upstream_api"),
        "request": _json(item, "request"),
        "send_at": _string(item, "send_at"),
        "sent_at": _string(item, "sent_at"),
        "task_id": _string(item, "task_id"),
        "error": _json(item, "error"),
        "recalled_at": _string(item, "recalled_at"),
        "approved_by": _string(item, "approved_by"),
        "approved_at": _string(item, "approved_at"),
        "rejected_by": _string(item, "rejected_by"),
        "rejected_at": _string(item, "rejected_at"),
        # While it waits for approval (and once it has expired): when the window ends.
        "expires_at": _string(item, "approval_expires_at")
        if _string(item, "status") in ("pending_approval", "expired")
        else None,
    }


def get_record(records: PushRecords, push_id: str) -> dict[str, Any]:
    """The view of one push, or 404 `push_not_found`.

    A record still `sending` is shown as stored, even after its lease has passed: it becomes
    `outcome_unknown` when the push is next written (a retry), never on a read.
    """
    item = records.get(push_id)
    if not item:
        raise PushNotFound(f"no push {push_id}")
    return record_view(item)


def _string(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    if isinstance(value, Mapping) and isinstance(value.get("S"), str):
        return str(value["S"])
    return None


def _json(item: Mapping[str, Any], name: str) -> Any:
    text = _string(item, name)
    return None if text is None else json.loads(text)
