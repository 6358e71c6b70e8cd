"""Caller identity over real HTTP and `/_local/events`, against the local stack.

Role sessions are one caller (idempotency, broadcast policy, logs); events are
`eventbridge:<source>` from this account and `eventbridge:<account>/<source>` from a partner;
ALLOWED_EVENT_SOURCES and PartnerAccounts decide which events reach the function at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.config import ACCOUNT_ID
from tests.support.stack_client import Reply, StackProcess, request

pytestmark = pytest.mark.integration

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/orders"
SESSION_A = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/orders/i-0aaa"
SESSION_B = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/orders/ecs-task-bbb"
OTHER_ROLE_SESSION = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/billing/i-0ccc"
BROADCASTER = f"arn:aws:iam::{ACCOUNT_ID}:role/team/marketing/broadcaster"
BROADCASTER_SESSION = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/broadcaster/alice"
PARTNER = "210987654321"
STRANGER = "999988887777"
VIP = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "Your order shipped"}}
ALL = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}
STACK_ENV = {
    "PUSH_MIN_INTERVAL_MS": "0",
    "ALLOWED_EVENT_SOURCES": "orders-service,billing",
    "PARTNER_ACCOUNTS": PARTNER,
    "BROADCAST_ALL_PRINCIPALS": f"{BROADCASTER},eventbridge:billing",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    log = tmp_path_factory.mktemp("identity-stack") / "stack.log"
    running = StackProcess(log, STACK_ENV).start()
    yield running
    running.stop()


def push(stack: StackProcess, body: dict[str, Any], caller: str, key: str | None = None) -> Reply:
    headers = {"X-Local-Caller-Arn": caller, **({"Idempotency-Key": key} if key else {})}
    return request("POST", f"{stack.url}/v1/pushes", body, headers)


def upstream_pushes(stack: StackProcess) -> list[dict[str, Any]]:
    pushes: list[dict[str, Any]] = request("GET", f"{stack.sandbox_url}/_sandbox/pushes").json()[
        "pushes"
    ]
    return pushes


def log_lines(stack: StackProcess, message: str) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for line in stack.log_text().splitlines()
        if line.startswith("{") and f'"message":"{message}"' in line
    ]


def put_event(
    stack: StackProcess, source: str, detail: dict[str, Any], caller: str | None = None
) -> dict[str, Any]:
    entry = {"Source": source, "DetailType": "Push Requested", "Detail": json.dumps(detail)}
    headers = {"X-Local-Caller-Arn": caller} if caller else {}
    reply = request("POST", f"{stack.url}/_local/events", {"Entries": [entry]}, headers)
    assert reply.status == 200, reply.body
    result: dict[str, Any] = reply.json()["Entries"][0]
    return result


def published(stack: StackProcess, key: str) -> list[dict[str, Any]]:
    events = request("GET", f"{stack.url}/_local/events").json()["events"]
    return [e for e in events if e["detail"].get("idempotency_key") == key]


# --- HTTP: one caller per role ---------------------------------------------------------------


def test_two_sessions_of_one_role_with_one_key_get_one_push(stack: StackProcess) -> None:
    key = f"sale-{uuid.uuid4()}"
    before = len(upstream_pushes(stack))

    first = push(stack, VIP, SESSION_A, key)
    second = push(stack, VIP, SESSION_B, key)  # e.g. a retry from another container

    assert (first.status, second.status) == (202, 202), (first.body, second.body)
    ids = [(r.json()["push_id"], r.json()["task_id"]) for r in (first, second)]
    assert ids[0] == ids[1]
    assert len(upstream_pushes(stack)) - before == 1
    # Logged as the role, with the session that actually pushed beside it
    (line,) = [x for x in log_lines(stack, "push accepted") if x["push_id"] == ids[0][0]]
    assert (line["caller"], line["caller_session"]) == (ROLE, SESSION_A)


def test_another_role_with_the_same_key_is_another_push(stack: StackProcess) -> None:
    key = f"sale-{uuid.uuid4()}"
    mine = push(stack, VIP, SESSION_A, key)
    theirs = push(stack, VIP, OTHER_ROLE_SESSION, key)
    assert (mine.status, theirs.status) == (202, 202)
    assert mine.json()["push_id"] != theirs.json()["push_id"]


def test_a_role_listed_with_its_path_broadcasts_from_its_sessions(stack: StackProcess) -> None:
    reply = push(stack, ALL, BROADCASTER_SESSION)
    assert reply.status == 202, reply.body
    refused = push(stack, ALL, OTHER_ROLE_SESSION)
    assert (refused.status, refused.json()["code"]) == (403, "broadcast_not_allowed")


# --- events: allowed sources and accounts ----------------------------------------------------


def test_an_allowed_source_pushes_as_eventbridge_source(stack: StackProcess) -> None:
    key = f"order-{uuid.uuid4()}"
    result = put_event(stack, "orders-service", {**VIP, "idempotency_key": key})
    assert "DeliveryError" not in result and "ErrorCode" not in result, result
    (sent,) = published(stack, key)
    assert sent["detail-type"] == "Push Sent"
    assert sent["detail"]["request_event_id"] == result["EventId"]
    (line,) = [
        x for x in log_lines(stack, "push accepted") if x["push_id"] == sent["detail"]["push_id"]
    ]
    assert line["caller"] == "eventbridge:orders-service"


def test_a_source_outside_the_allow_list_reaches_nothing(stack: StackProcess) -> None:
    key = f"order-{uuid.uuid4()}"
    before = len(upstream_pushes(stack))
    result = put_event(stack, "mallory", {**VIP, "idempotency_key": key})
    # Accepted by the bus (this account may put any source) but matched by no rule
    assert set(result) == {"EventId"}, result
    assert published(stack, key) == []
    assert len(upstream_pushes(stack)) == before


def test_a_partner_pushes_an_allowed_source_as_its_own_caller(stack: StackProcess) -> None:
    key = f"order-{uuid.uuid4()}"
    partner = f"arn:aws:sts::{PARTNER}:assumed-role/orders/i-0ddd"
    result = put_event(stack, "orders-service", {**VIP, "idempotency_key": key}, partner)
    assert set(result) == {"EventId"}, result
    (sent,) = published(stack, key)
    assert sent["detail-type"] == "Push Sent"
    (line,) = [
        x for x in log_lines(stack, "push accepted") if x["push_id"] == sent["detail"]["push_id"]
    ]
    assert line["caller"] == f"eventbridge:{PARTNER}/orders-service"


def test_a_partner_is_not_the_internal_source_it_names(stack: StackProcess) -> None:
    # `eventbridge:billing` may broadcast; the partner's billing events are not that caller
    key = f"sale-{uuid.uuid4()}"
    partner = f"arn:aws:iam::{PARTNER}:user/ops"
    put_event(stack, "billing", {**ALL, "idempotency_key": key}, partner)
    (failed,) = published(stack, key)
    assert (failed["detail-type"], failed["detail"]["code"]) == (
        "Push Failed",
        "broadcast_not_allowed",
    )


@pytest.mark.parametrize(
    ("account", "source"),
    [(PARTNER, "tim-push-gateway"), (PARTNER, "mallory"), (STRANGER, "orders-service")],
)
def test_the_bus_refuses_what_the_policy_does_not_grant(
    stack: StackProcess, account: str, source: str
) -> None:
    key = f"order-{uuid.uuid4()}"
    caller = f"arn:aws:iam::{account}:user/someone"
    result = put_event(stack, source, {**VIP, "idempotency_key": key}, caller)
    assert result["ErrorCode"] == "AccessDeniedException"
    assert published(stack, key) == []
