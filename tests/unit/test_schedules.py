"""EventBridge Scheduler adapter (docs/architecture.md §14): idempotent create and delete, and
AWS failures as 503s, with botocore's Stubber (no network)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from push_common.errors import DependencyUnavailable
from push_common.schedules import Schedules, ScheduleTarget, schedule_name

TARGET = ScheduleTarget(
    "pushes", "arn:aws:lambda:ap-southeast-1:1:function:d", "arn:aws:iam::1:role/s"
)
PUSH = "3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11"


@pytest.fixture
def stub() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("scheduler", region_name="ap-southeast-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_create_names_the_schedule_after_the_push_and_omits_an_unset_dlq(
    stub: tuple[Any, Stubber],
) -> None:
    client, stubber = stub
    expected = {
        "Name": schedule_name(PUSH),
        "GroupName": "pushes",
        "ScheduleExpression": "at(2026-11-25T20:00:01)",
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "ClientToken": f"create-{PUSH}",
        "State": "ENABLED",
        "Target": ANY,
    }
    stubber.add_response("create_schedule", {"ScheduleArn": "arn:x"}, expected)
    Schedules(client, TARGET).create(PUSH, 1795636800001)


def test_create_again_is_fine_and_other_errors_are_503(stub: tuple[Any, Stubber]) -> None:
    client, stubber = stub
    stubber.add_client_error("create_schedule", "ConflictException", http_status_code=409)
    stubber.add_client_error("create_schedule", "ThrottlingException", http_status_code=400)
    schedules = Schedules(client, TARGET)
    schedules.create(PUSH, 1795636800000)
    with pytest.raises(DependencyUnavailable) as refused:
        schedules.create(PUSH, 1795636800000)
    assert refused.value.code == "aws_throttled"


def test_delete_says_whether_there_was_a_schedule(stub: tuple[Any, Stubber]) -> None:
    client, stubber = stub
    params = {"Name": schedule_name(PUSH), "GroupName": "pushes", "ClientToken": f"delete-{PUSH}"}
    stubber.add_response("delete_schedule", {}, params)
    stubber.add_client_error("delete_schedule", "ResourceNotFoundException", http_status_code=404)
    stubber.add_client_error("delete_schedule", "InternalServerException", http_status_code=500)
    schedules = Schedules(client, TARGET)
    assert schedules.delete(PUSH) is True
    assert schedules.delete(PUSH) is False
    with pytest.raises(DependencyUnavailable):
        schedules.delete(PUSH)
