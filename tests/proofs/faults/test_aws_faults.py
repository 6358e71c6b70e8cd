"""AWS dependencies failing (faulty proxy in front of moto): 503 with Retry-After, Tencent IM
never called and no quota spent. botocore's own retries run (with zero back-off) first.
"""

from __future__ import annotations

import pytest

from devstack.faulty_aws import FaultKind
from tests.proofs.faults.harness import Gateway

GET_SECRET = "secretsmanager.GetSecretValue"


@pytest.mark.parametrize("kind", ["throttle", "unavailable", "close"])
def test_secrets_manager_throttled_or_unavailable_answers_503_and_uses_no_quota(
    gateway: Gateway, kind: FaultKind
) -> None:
    gateway.aws.add_fault(GET_SECRET, kind)

    answer = gateway.push(key=f"secret-{kind}")

    assert (answer.status, answer.code) == (503, "secret_unavailable")
    assert answer.body["retryable"] is True
    assert int(answer.headers["retry-after"]) >= 1
    assert len(gateway.aws.calls(GET_SECRET)) == 3  # the SDK retried before giving up
    assert gateway.im_push_calls() == []
    gateway.aws.clear()
    assert gateway.quota()["used"] == 0


def test_secrets_manager_throttled_once_is_absorbed_by_the_sdk_retry(gateway: Gateway) -> None:
    gateway.aws.add_fault(GET_SECRET, "throttle", times=1)

    answer = gateway.push(key="secret-blip")

    assert answer.status == 202
    assert gateway.quota()["used"] == 1


def test_dynamodb_throttled_answers_503_aws_throttled_without_calling_upstream(
    gateway: Gateway,
) -> None:
    gateway.aws.add_fault("DynamoDB_20120810.UpdateItem", "throttle")

    answer = gateway.push()  # no key: the quota reservation is the first DynamoDB write

    assert (answer.status, answer.code) == (503, "aws_throttled")
    assert int(answer.headers["retry-after"]) >= 1
    assert gateway.im_push_calls() == []
    gateway.aws.clear()
    assert gateway.quota()["used"] == 0


@pytest.mark.parametrize("kind", ["unavailable", "close"])
def test_dynamodb_unavailable_answers_503_aws_unavailable_without_calling_upstream(
    gateway: Gateway, kind: FaultKind
) -> None:
    gateway.aws.add_fault("DynamoDB_20120810.*", kind)

    answer = gateway.push(key=f"ddb-{kind}")  # the idempotency store fails first

    assert (answer.status, answer.code) == (503, "aws_unavailable")
    assert int(answer.headers["retry-after"]) >= 1
    assert gateway.im_push_calls() == []
    gateway.aws.clear()
    assert gateway.quota()["used"] == 0


def test_dynamodb_throttled_on_quota_read_answers_503(gateway: Gateway) -> None:
    gateway.aws.add_fault("DynamoDB_20120810.GetItem", "throttle")

    answer = gateway.quota_answer()

    assert (answer.status, answer.code) == (503, "aws_throttled")
    assert int(answer.headers["retry-after"]) >= 1
