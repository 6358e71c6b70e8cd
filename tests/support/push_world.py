"""The push service over moto in-process, driven by one clock: records, the quota item and
EventBridge Scheduler are the real code; Tencent is the recording fake of push_fakes.

`with moto_world(env) as world:` gives a `World` whose `deps()` are rebuilt from `world.env` on
every call, so a test can change the configuration between two steps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import boto3
from moto import mock_aws

from devstack.aws import create_table
from devstack.template import load_template, tables
from push_common.push.records import PushRecords
from push_common.push.service import PushContext, PushDeps
from push_common.quota import QuotaPolicy, QuotaStore
from push_common.schedules import Schedules, ScheduleTarget
from push_common.settings import Settings
from push_common.tim_client import TimClient
from tests.support.push_fakes import CREDS, FakeTimClient

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 26, 10, 0, tzinfo=ZONE)
GROUP = "pushes"
ORDERS = "arn:aws:iam::123456789012:role/orders"
SALE = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}
TARGET = ScheduleTarget(
    GROUP,
    "arn:aws:lambda:ap-southeast-1:123456789012:function:dispatch",
    "arn:aws:iam::123456789012:role/scheduler",
    "arn:aws:sqs:ap-southeast-1:123456789012:dlq",
)


class Clock:
    def __init__(self) -> None:
        self.now = START.timestamp()

    def __call__(self) -> float:
        return self.now

    def ms(self) -> int:
        return int(self.now * 1000)


@dataclass
class World:
    clock: Clock
    ddb: Any
    scheduler: Any
    client: FakeTimClient = field(default_factory=FakeTimClient)
    env: dict[str, str] = field(default_factory=dict)

    def deps(self) -> PushDeps:
        settings = Settings.from_env({**os.environ, "PUSH_DAILY_LIMIT": "3", **self.env})
        policy = QuotaPolicy.of(settings)
        return PushDeps(
            settings=settings,
            client=cast(TimClient, self.client),
            credentials=lambda: CREDS,
            quota=lambda creds: QuotaStore(
                self.ddb, "push-quota", str(creds.sdkappid), policy, clock=self.clock
            ),
            attribute_names=lambda wanted: ("sex", "city"),
            records=PushRecords(self.ddb, "push-records", retention_days=90, now_ms=self.clock.ms),
            sleep=lambda seconds: setattr(self.clock, "now", self.clock.now + seconds),
            monotonic=lambda: self.clock.now,
            schedules=lambda: Schedules(self.scheduler, TARGET),
        )

    def quota(self, day: str | None = None) -> dict[str, Any]:
        return self.deps().quota(CREDS).snapshot(day).to_dict()

    def schedule_names(self) -> list[str]:
        return [s["Name"] for s in self.scheduler.list_schedules(GroupName=GROUP)["Schedules"]]

    def schedules(self) -> list[dict[str, Any]]:
        return [self.scheduler.get_schedule(GroupName=GROUP, Name=n) for n in self.schedule_names()]

    def item(self, push_id: str) -> dict[str, Any]:
        item = self.deps().records.get(push_id)
        assert item is not None
        return item

    def status(self, push_id: str) -> str:
        return str(self.item(push_id)["status"]["S"])


@contextmanager
def moto_world(env: Mapping[str, str] | None = None) -> Iterator[World]:
    """The tables of template.yaml and a schedule group, in a fresh moto account."""
    with mock_aws():
        ddb = boto3.client("dynamodb")
        names = {"QuotaTable": "push-quota", "PushesTable": "push-records"}
        for logical_id, spec in tables(load_template()).items():
            create_table(ddb, names[logical_id], spec)
        scheduler = boto3.client("scheduler")
        scheduler.create_schedule_group(Name=GROUP)
        yield World(Clock(), ddb, scheduler, env=dict(env or {}))


def ctx(caller: str = ORDERS, key: str | None = "sale-1") -> PushContext:
    return PushContext(caller=caller, idempotency_scope=caller, idempotency_key=key, deadline=None)
