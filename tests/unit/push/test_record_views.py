"""`GET /v1/pushes/{push_id}`: the record view and the path id check."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.push_api.handler import app
from push_common.errors import PushNotFound, ValidationFailed
from push_common.push.record_views import get_record, parse_push_id, record_view
from tests.support.lambda_context import FakeLambdaContext

CONTRACT_FIELDS = [
    "push_id", "status", "created_at", "caller", "caller_session", "channel", "event_source",
    "idempotency_key", "kind", "upstream_api", "request", "send_at", "sent_at", "task_id", "error",
    "recalled_at", "approved_by", "approved_at", "rejected_by", "rejected_at", "expires_at",
]  # fmt: skip
PUSH_ID = "3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11"


def s(value: str) -> dict[str, str]:
    return {"S": value}


ITEM = {
    "push_id": s(PUSH_ID),
    "status": s("outcome_unknown"),
    "created_at": s("2026-11-29T10:00:00.123Z"),
    "created_ms": {"N": "1795946400123"},
    "list_pk": s("push"),
    "list_sk": s(f"2026-11-29T10:00:00.123Z#{PUSH_ID}"),
    "caller": s("eventbridge:orders-service"),
    "channel": s("eventbridge"),
    "event_source": s("orders-service"),
    "idempotency_key": s("sale-1"),
    "kind": s("broadcast"),
    "upstream_api": s("all_member_push"),
    "request": s('{"audience":{"all":true},"message":{"text":"Sale"}}'),
    "request_hash": s("abc"),
    "error": s('{"code":"outcome_unknown","detail":"timed out","upstream_code":91000}'),
    "answer": s("{}"),
    "answer_status": {"N": "504"},
    "answer_headers": s("{}"),
    "attempt": s("a-1"),
    "rerunnable": {"BOOL": False},
    "expires_at": {"N": "1803722400"},
}


def test_view_has_exactly_the_contract_fields_in_order() -> None:
    view = record_view(ITEM)
    assert list(view) == CONTRACT_FIELDS
    assert view["request"] == {"audience": {"all": True}, "message": {"text": "Sale"}}
    assert view["error"] == {
        "code": "outcome_unknown",
        "detail": "timed out",
        "upstream_code": 91000,
    }
    assert (view["caller_session"], view["sent_at"], view["task_id"]) == (None, None, None)
    assert (view["event_source"], view["channel"]) == ("orders-service", "eventbridge")
    assert all(view[name] is None for name in ("send_at", "recalled_at", "approved_by"))


def test_a_stale_sending_record_is_shown_as_stored() -> None:
    item = {**ITEM, "status": s("sending"), "lease_until_ms": {"N": "1"}}
    del item["error"]
    view = record_view(item)
    assert (view["status"], view["error"]) == ("sending", None)
    assert "lease_until_ms" not in view


@pytest.mark.parametrize("push_id", [PUSH_ID, "a", "A-1", "x" * 64, "-"])
def test_push_ids_of_1_to_64_plain_characters_are_looked_up(push_id: str) -> None:
    assert parse_push_id(push_id) == push_id


@pytest.mark.parametrize(
    "push_id",
    [None, "", "x" * 65, "a/b", "a%2Fb", "a b", "ä", "a\n", "a.b", "\udcff", "../x", "a_b"],
)
def test_other_ids_are_422_naming_the_path_parameter(push_id: str | None) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_push_id(push_id)
    assert [problem.field for problem in exc.value.errors] == ["path.push_id"]


class Records:
    def __init__(self, item: dict[str, Any] | None) -> None:
        self.item = item
        self.asked: list[str] = []

    def get(self, push_id: str) -> dict[str, Any] | None:
        self.asked.append(push_id)
        return self.item


def test_unknown_push_is_404_push_not_found() -> None:
    with pytest.raises(PushNotFound) as exc:
        get_record(Records(None), PUSH_ID)  # type: ignore[arg-type]
    problem = exc.value.to_problem()
    assert (problem["status"], problem["code"]) == (404, "push_not_found")


def _get(path_parameters: Any) -> dict[str, Any]:
    event = {"routeKey": "GET /v1/pushes/{push_id}", "pathParameters": path_parameters}
    return app.resolve(event, FakeLambdaContext())


@pytest.mark.parametrize(
    "path_parameters", [None, {}, {"push_id": ""}, {"push_id": "a/b"}, {"push_id": "x" * 10_000}]
)
def test_handler_answers_odd_ids_with_422_without_a_lookup(path_parameters: Any) -> None:
    result = _get(path_parameters)
    body = json.loads(result["body"])
    assert (result["statusCode"], result["headers"]["Content-Type"]) == (
        422,
        "application/problem+json",
    )
    assert [e["field"] for e in body["errors"]] == ["path.push_id"]
