"""The local EventBridge Scheduler (docs/architecture.md §14).

The functions create their one-time schedules in the AWS emulator (moto's Scheduler API), as on
AWS. This small timer polls the emulator every 0.5 s and fires each schedule that is due: it
deletes the schedule (ActionAfterCompletion DELETE) and invokes its target function with the
schedule's `Input`, through the same worker pools as every other invocation. An invocation that
raises is retried after 1 s, up to 3 times (Lambda's async retries, shortened). Schedules fire
within about 1.5 s of their time (`at()` is whole seconds, rounded up by the gateway).
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from devstack import aws
from devstack.workers import InvocationError

POLL_SECONDS = 0.5
RETRIES = 3
RETRY_PAUSE_SECONDS = 1.0
_AT = re.compile(r"at\(([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\)")

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class LocalSchedule:
    """One pending one-time schedule, as the emulator holds it."""

    group: str
    name: str
    at: datetime
    function: str  # the target's logical id (the last part of its local ARN)
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "fires_at": self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "target": self.function,
            "input": self.payload,
        }


def parse_schedule(group: str, schedule: Mapping[str, Any]) -> LocalSchedule | None:
    """A one-time `at()` schedule, or None for anything else (left alone)."""
    match = _AT.fullmatch(str(schedule.get("ScheduleExpression", "")))
    if match is None:
        return None
    zone = ZoneInfo(str(schedule.get("ScheduleExpressionTimezone") or "UTC"))
    at = datetime.fromisoformat(match.group(1)).replace(tzinfo=zone)
    target = schedule.get("Target") or {}
    try:
        payload = json.loads(target.get("Input") or "{}")
    except ValueError:
        payload = {}
    function = str(target.get("Arn", "")).rsplit(":", 1)[-1]
    return LocalSchedule(group, str(schedule["Name"]), at, function, payload)


class LocalScheduler:
    """Polls the emulator's schedule groups and fires what is due; `pending()` lists the rest."""

    def __init__(self, env: Mapping[str, str], groups: Sequence[str], invoke: Invoke) -> None:
        self._client = aws.client("scheduler", env)
        self._groups = list(groups)
        self._invoke = invoke
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-scheduler", daemon=True)
        self._known: dict[tuple[str, str], LocalSchedule | None] = {}
        self.fired: list[dict[str, Any]] = []  # what fired, with the function's answer

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def pending(self) -> list[LocalSchedule]:
        """Every one-time schedule not fired yet, soonest first."""
        found: list[LocalSchedule] = []
        seen: set[tuple[str, str]] = set()
        for group in self._groups:
            listed = self._client.list_schedules(GroupName=group).get("Schedules", [])
            for entry in listed:
                key = (group, str(entry["Name"]))
                seen.add(key)
                if key not in self._known:
                    with contextlib.suppress(ClientError):  # deleted meanwhile
                        full = self._client.get_schedule(GroupName=group, Name=key[1])
                        self._known[key] = parse_schedule(group, full)
                schedule = self._known.get(key)
                if schedule is not None:
                    found.append(schedule)
        for gone in set(self._known) - seen:
            del self._known[gone]
        return sorted(found, key=lambda s: (s.at, s.name))

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self._fire_due()
            except Exception as exc:  # the emulator stopping, say: keep the timer alive
                print(f"[local scheduler] poll failed: {exc!r}", file=sys.stderr, flush=True)

    def _fire_due(self) -> None:
        now = datetime.now(UTC)
        for schedule in self.pending():
            if schedule.at > now:
                break
            try:
                # ActionAfterCompletion DELETE: once taken, the schedule is no longer pending.
                self._client.delete_schedule(GroupName=schedule.group, Name=schedule.name)
            except ClientError:
                continue  # deleted by a cancel at this very moment: it does not fire
            self._known.pop((schedule.group, schedule.name), None)
            threading.Thread(target=self._fire, args=(schedule,), daemon=True).start()

    def _fire(self, schedule: LocalSchedule) -> None:
        for attempt in range(RETRIES + 1):
            try:
                result = self._invoke(schedule.function, dict(schedule.payload))
            except InvocationError as exc:
                print(
                    f"[local scheduler] {schedule.function} failed on {schedule.name} "
                    f"(attempt {attempt + 1}): {exc}",
                    file=sys.stderr,
                    flush=True,
                )
                if self._stop.wait(RETRY_PAUSE_SECONDS):
                    return
                continue
            self.fired.append({**schedule.to_dict(), "result": result, "at": time.time()})
            return
