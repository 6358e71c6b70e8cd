"""An in-process AWS (moto) and the upstream sandbox for driving the real handlers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from devstack.aws import create_table
from devstack.sandbox import UpstreamSandbox
from devstack.template import load_template, tables
from push_common import caches
from tests.support.env import BASE_ENV

KEY = "0a7f6c1e9b2d4c3a8e5f7a6b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d"
SECRET_ID = BASE_ENV["TIM_SECRET_ID"]
BUS = "tim-push-gateway-authz"
SCHEDULE_GROUP = "tim-push-gateway-authz-pushes"
SCHEDULER_ROLE = "arn:aws:iam::123456789012:role/tim-push-gateway-scheduler"
TABLE_NAMES = {
    "QuotaTable": BASE_ENV["QUOTA_TABLE"],
    "PushesTable": BASE_ENV["PUSHES_TABLE"],
}
# The indexes the listings read (template.yaml names each in PushApiFunction's policy).
PUSHES_INDEXES = ("by_created", "by_caller")
# Local name -> the resource key `Mappings.IamActions` grants actions on.
RESOURCE_KEYS = {
    **{name: logical_id for logical_id, name in TABLE_NAMES.items()},
    **{
        f"{TABLE_NAMES['PushesTable']}/index/{index}": "PushesTableIndexes"
        for index in PUSHES_INDEXES
    },
    SECRET_ID: "TimSecret",
    BUS: "EventBus",
    SCHEDULE_GROUP: "ScheduleGroup",
    SCHEDULER_ROLE: "SchedulerRole",
}
UNSET = (
    "BROADCAST_ALL_PRINCIPALS",
    "ADMIN_PRINCIPALS",
    "ALLOWED_EVENT_SOURCES",
    "STACK_ACCOUNT_ID",
    "QUOTA_MAX_WAIT_MS",
    "AWS_ENDPOINT_URL",
    *(
        f"AWS_ENDPOINT_URL_{s}"
        for s in ("DYNAMODB", "SECRETS_MANAGER", "EVENTBRIDGE", "SQS", "SCHEDULER")
    ),
)
SCENARIO_ENV = {
    **BASE_ENV,
    "EVENT_BUS_NAME": BUS,
    "PUSH_MIN_INTERVAL_MS": "0",
    "PUSH_DAILY_LIMIT": "1000",
    "ALLOWED_SENDERS": "ops-bot",
    "SCHEDULE_GROUP_NAME": SCHEDULE_GROUP,
    "SCHEDULER_ROLE_ARN": SCHEDULER_ROLE,
    "SCHEDULE_TARGET_ARN": "arn:aws:lambda:ap-southeast-1:123456789012:function:dispatch",
    "SCHEDULE_DLQ_ARN": "arn:aws:sqs:ap-southeast-1:123456789012:schedule-dlq",
}


def _provision() -> None:
    region = BASE_ENV["AWS_DEFAULT_REGION"]
    admin = {"sdkappid": 1400000000, "identifier": "administrator", "key": KEY}
    boto3.client("secretsmanager", region_name=region).create_secret(
        Name=SECRET_ID, SecretString=json.dumps(admin)
    )
    dynamodb = boto3.client("dynamodb", region_name=region)
    for logical_id, spec in tables(load_template()).items():
        create_table(dynamodb, TABLE_NAMES[logical_id], spec)
    boto3.client("events", region_name=region).create_event_bus(Name=BUS)
    boto3.client("scheduler", region_name=region).create_schedule_group(Name=SCHEDULE_GROUP)


@pytest.fixture(scope="module")
def handler_world() -> Iterator[UpstreamSandbox]:
    """moto + sandbox + the functions' environment, for one module's worth of scenarios."""
    with (
        pytest.MonkeyPatch.context() as patch,
        UpstreamSandbox(key=KEY, min_interval_ms=0, daily_limit=1000) as sandbox,
    ):
        for name in UNSET:
            patch.delenv(name, raising=False)
        for name, value in {**SCENARIO_ENV, "TIM_BASE_URL": sandbox.url}.items():
            patch.setenv(name, value)
        with mock_aws():
            caches.clear_all()
            _provision()
            yield sandbox
            caches.clear_all()
