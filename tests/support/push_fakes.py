"""Recording stand-ins for the push service's dependencies (quota store, upstream client)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from push_common.credentials import AdminCredentials
from push_common.errors import GatewayError
from push_common.push.records import Claim, NewPush, PushAnswer, PushRecords
from push_common.push.service import PushDeps
from push_common.quota import QuotaPolicy, QuotaSnapshot, QuotaStore, Reservation
from push_common.quota_calendar import QuotaCalendar
from push_common.quota_pools import Pool
from push_common.settings import Settings
from push_common.tim_client import TimClient

ZONE = ZoneInfo("Asia/Shanghai")
NOW_MS = 1_795_658_400_000  # 2026-11-26T10:00:00+08:00
TODAY = "2026-11-26"
CREDS = AdminCredentials(sdkappid=1400000000, identifier="administrator", key=SecretStr("k"))
OK_ANSWER = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "TaskId": "1400000000_1"}

Step = Callable[[], dict[str, Any]]


@dataclass
class FakeQuota:
    """Duck-typed `QuotaStore`: every call is recorded as (method, argument)."""

    policy: QuotaPolicy
    used: int = 3
    refusals: list[GatewayError] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    clock_ms: int = NOW_MS

    def now_ms(self) -> int:
        return self.clock_ms

    def reserve(self, pool: Pool | None = None) -> Reservation:
        self.calls.append(("reserve", pool))
        if self.refusals:
            raise self.refusals.pop(0)
        self.used += 1
        return Reservation(
            day=TODAY, at_ms=NOW_MS, used=self.used, pool=None if pool is None else pool.name
        )

    def release(self, reservation: Reservation) -> None:
        self.calls.append(("release", reservation))

    def mark_exhausted(self, day: str) -> None:
        self.calls.append(("mark_exhausted", day))

    def note_upstream_push(self, at_ms: int) -> None:
        self.calls.append(("note_upstream_push", at_ms))

    def snapshot(self, day: str | None = None, *, caller: str | None = None) -> QuotaSnapshot:
        self.calls.append(("snapshot", day))
        return QuotaSnapshot(
            limit=self.policy.limit,
            used=self.used,
            resets_at=datetime(2026, 11, 27, tzinfo=ZONE),
            next_push_not_before=None,
            timezone=ZONE.key,
        )

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]


@dataclass
class FakeTimClient:
    """Duck-typed `TimClient`: scripted steps per call (raise or answer), calls recorded."""

    steps: list[Step] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)

    def call(self, command: str, body: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        self.calls.append((command, dict(body), kwargs))
        return self.steps.pop(0)() if self.steps else dict(OK_ANSWER)


@dataclass
class FakeRecords:
    """Duck-typed `PushRecords` kept in a dict (the real one is tested over DynamoDB)."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    finish_error: GatewayError | None = None

    def now_ms(self) -> int:
        return NOW_MS

    def claim(self, push: NewPush, *, lease_until_ms: int) -> Claim | PushAnswer:
        self.calls.append(("claim", push.push_id))
        old = self.records.get(push.push_id)
        if old is not None and not (old["status"] == "failed" and old["answer"].rerunnable):
            answer: PushAnswer = old["answer"]
            return PushAnswer(
                push_id=answer.push_id,
                status=answer.status,
                body=answer.body,
                headers=answer.headers,
                record_status=answer.record_status,
                replayed=True,
                rerunnable=answer.rerunnable,
            )
        self.records[push.push_id] = {"status": "sending", "push": push, "lease": lease_until_ms}
        return Claim(push.push_id, "attempt", rerun=old is not None)

    def finish(self, claim: Claim, answer: PushAnswer, **fields: Any) -> bool:
        self.calls.append(("finish", answer.record_status))
        if self.finish_error is not None:
            raise self.finish_error
        self.records[claim.push_id].update(status=answer.record_status, answer=answer, **fields)
        return True

    def abandon(self, claim: Claim, answer: PushAnswer) -> None:
        self.calls.append(("abandon", claim.push_id))
        del self.records[claim.push_id]


def raising(error: Exception) -> Step:
    def step() -> dict[str, Any]:
        raise error

    return step


@dataclass
class Harness:
    """PushDeps wired to fakes, plus the fakes themselves and the recorded sleeps."""

    settings: Settings
    quota: FakeQuota
    client: FakeTimClient
    records: FakeRecords = field(default_factory=FakeRecords)
    attribute_names: tuple[str, ...] = ("sex", "city")
    sleeps: list[float] = field(default_factory=list)
    quota_opened: int = 0
    names_wanted: list[list[str]] = field(default_factory=list)

    def deps(self) -> PushDeps:
        def quota_for(creds: AdminCredentials) -> QuotaStore:
            assert creds == CREDS
            self.quota_opened += 1
            return cast(QuotaStore, self.quota)

        def names(wanted: Iterable[str]) -> tuple[str, ...]:
            self.names_wanted.append(sorted(wanted))
            return self.attribute_names

        return PushDeps(
            settings=self.settings,
            client=cast(TimClient, self.client),
            credentials=lambda: CREDS,
            quota=quota_for,
            attribute_names=names,
            records=cast(PushRecords, self.records),
            sleep=self.sleeps.append,
            monotonic=lambda: 1000.0 + sum(self.sleeps),
        )


def harness(**env: str) -> Harness:
    """Fakes over the test environment plus `env` (e.g. ALLOWED_SENDERS="ops-bot")."""
    import os

    settings = Settings.from_env({**os.environ, **env})
    policy = QuotaPolicy(
        limit=settings.push_daily_limit,
        interval_ms=settings.push_min_interval_ms,
        margin_ms=settings.quota_safety_margin_ms,
        calendar=QuotaCalendar(settings.zone),
    )
    return Harness(settings=settings, quota=FakeQuota(policy), client=FakeTimClient())
