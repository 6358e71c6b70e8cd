"""`/_local/events`: PutEvents entries delivered to the functions whose rule pattern matches."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from devstack.bus_policy import BusPolicy
from devstack.config import ACCOUNT_ID
from devstack.workers import InvocationError

Invoke = Callable[[str, dict[str, Any]], Any]


class MalformedRequest(ValueError):
    """The PutEvents body itself is unusable (not its individual entries)."""


def parse_entries(body: bytes) -> list[Any]:
    """The `Entries` list of a PutEvents body (1 to 10 of them, as EventBridge allows)."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise MalformedRequest("body is not JSON") from exc
    entries = payload.get("Entries") if isinstance(payload, dict) else None
    if not isinstance(entries, list) or not 1 <= len(entries) <= 10:
        raise MalformedRequest("`Entries` must be a list of 1 to 10 entries")
    return entries


def entry_error(entry: Any) -> tuple[str, str] | None:
    """(ErrorCode, ErrorMessage) EventBridge would answer for this entry, or None if valid."""
    if not isinstance(entry, dict):
        return "InvalidArgument", "Entry must be an object."
    for name in ("Source", "DetailType", "Detail"):
        if not isinstance(entry.get(name), str) or not entry[name]:
            return "InvalidArgument", f"Parameter {name} is not valid. Reason: {name} is required."
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        return "MalformedDetail", "Detail is malformed."
    if not isinstance(detail, dict):
        return "MalformedDetail", "Detail is malformed."
    return None


def build_event(entry: Mapping[str, Any], region: str, account: str = ACCOUNT_ID) -> dict[str, Any]:
    """The event EventBridge delivers to a target for one valid entry put from `account`."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": json.loads(entry["Detail"]),
    }


def _value_matches(rule: Any, value: Any, present: bool) -> bool:
    if isinstance(rule, dict) and "exists" in rule:
        return bool(rule["exists"]) == present
    if isinstance(rule, dict) and "prefix" in rule:
        return isinstance(value, str) and value.startswith(str(rule["prefix"]))
    return present and rule == value


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """EventBridge matching for equality lists, nested objects, `prefix` and `exists`."""
    for name, rule in pattern.items():
        present = name in event
        value = event.get(name)
        if isinstance(rule, dict):
            if not (isinstance(value, dict) and matches(rule, value)):
                return False
            continue
        values = value if isinstance(value, list) else [value]
        if not any(_value_matches(r, v, present) for r in rule for v in values):
            return False
    return True


class LocalEvents:
    """Delivers PutEvents entries synchronously and lists what the functions published."""

    def __init__(
        self,
        targets: Mapping[str, Sequence[Mapping[str, Any]]],
        invoke: Invoke,
        published: Callable[[], list[dict[str, Any]]],
        region: str,
        policy: BusPolicy | None = None,
    ) -> None:
        self._targets = targets
        self._invoke = invoke
        self._published = published
        self._region = region
        self._policy = policy

    def put(self, body: bytes, account: str = ACCOUNT_ID) -> dict[str, Any]:
        """Answer of PutEvents from `account`; raises MalformedRequest for an unusable body."""
        results = [self._put_one(entry, account) for entry in parse_entries(body)]
        failed = sum(1 for result in results if "ErrorCode" in result)
        return {"Entries": results, "FailedEntryCount": failed}

    def published(self) -> dict[str, Any]:
        """`GET /_local/events`."""
        return {"events": self._published()}

    def _put_one(self, entry: Any, account: str) -> dict[str, Any]:
        error = entry_error(entry)
        if error is not None:
            return {"ErrorCode": error[0], "ErrorMessage": error[1]}
        if self._policy is not None and not self._policy.allows(account, entry["Source"]):
            # Simplified: refused per entry (the bus policy's events:source condition is).
            message = f"account {account} may not put source {entry['Source']!r} on this bus"
            return {"ErrorCode": "AccessDeniedException", "ErrorMessage": message}
        event = build_event(entry, self._region, account)
        result: dict[str, Any] = {"EventId": event["id"]}
        for function, patterns in self._targets.items():
            if not any(matches(p, event) for p in patterns):
                continue
            try:
                self._invoke(function, event)
            except InvocationError as exc:
                # EventBridge would retry this delivery; locally the caller sees why instead.
                print(f"[local events] {function} failed on {event['id']}: {exc}", file=sys.stderr)
                result["DeliveryError"] = {
                    "function": function,
                    "errorType": exc.error.get("errorType"),
                    "errorMessage": exc.error.get("errorMessage"),
                }
        return result
