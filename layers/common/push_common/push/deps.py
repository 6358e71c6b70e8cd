"""Production wiring of the push service: real clients, built once per process on first use."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from push_common import caches, clients
from push_common.attribute_names import attribute_names_for
from push_common.credentials import AdminCredentials, get_admin_credentials, prepare_reader
from push_common.push.records import PushRecords
from push_common.push.request import PushRequest
from push_common.push.service import PushDeps
from push_common.push.validation import validate_model
from push_common.quota import QuotaPolicy, QuotaStore
from push_common.rate_gate import RateGate
from push_common.settings import Settings, get_settings
from push_common.tim_client import get_tim_client

if TYPE_CHECKING:
    from push_common.schedules import Schedules

# Representative inputs for priming: validating them builds every validator a push runs.
SAMPLE_BODY = {"audience": {"all": True}, "message": {"text": "snapshot"}}


@caches.register
@cache
def default_deps() -> PushDeps:
    settings = get_settings()
    policy = QuotaPolicy.of(settings)

    table = settings.require("quota_table")

    def quota_for(creds: AdminCredentials) -> QuotaStore:
        # The quota belongs to the SDKAppID: deployments sharing an app share its 100 a day.
        return QuotaStore(clients.dynamodb(), table, str(creds.sdkappid), policy)

    def gate_for(creds: AdminCredentials, name: str, interval_ms: int) -> RateGate:
        # Per app, like the quota: every deployment calling this SDKAppID shares Tencent's limit.
        return RateGate(clients.dynamodb(), table, f"{name}#{creds.sdkappid}", interval_ms)

    records = PushRecords(
        clients.dynamodb(),
        settings.require("pushes_table"),
        retention_days=settings.push_retention_days,
    )
    return PushDeps(
        settings=settings,
        client=get_tim_client(),
        credentials=get_admin_credentials,
        quota=quota_for,
        attribute_names=attribute_names_for,
        records=records,
        gate=gate_for,
        schedules=lambda: _schedules(settings),
    )


@caches.register
@cache
def _schedules(settings: Settings) -> Schedules:
    """Only the functions that schedule pushes need (and get) these settings."""
    from push_common.schedules import Schedules, ScheduleTarget  # docs/decisions.md §22

    target = ScheduleTarget(
        group=settings.require("schedule_group_name"),
        function_arn=settings.require("schedule_target_arn"),
        role_arn=settings.require("scheduler_role_arn"),
        dlq_arn=settings.schedule_dlq_arn,
    )
    return Schedules(clients.scheduler(), target)


def prime() -> None:
    """Build what an HTTP push builds before its first I/O (docs/architecture.md §10).

    For a SnapStart snapshot: clients, the upstream client and its pool, the secret reader and
    the request validators. No I/O, no secret, no UserSig, no ids (push_common/snapstart.py).
    """
    default_deps()
    clients.secretsmanager()
    prepare_reader()
    validate_model(PushRequest, dict(SAMPLE_BODY))
