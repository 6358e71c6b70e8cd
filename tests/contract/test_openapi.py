"""`openapi/openapi.yaml` agrees with template.yaml, the models, the error model and events/.

Static checks (no network). The fuzz tests in tests/proofs/fuzz check real answers against the same
document.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from jsonschema import ValidationError
from moto import mock_aws
from openapi_spec_validator import validate as validate_spec

import push_common
from devstack.aws import create_table
from devstack.template import load_template, route_table, tables
from openapi.generate import GENERATED, build, push_schemas
from push_common.edge.http import idempotency_key
from push_common.errors import (
    FieldProblem,
    GatewayError,
    MethodNotAllowed,
    OutcomeUnknown,
    PushNotFound,
    ValidationFailed,
)
from push_common.push.listing import KINDS, PARAMETERS, STATUSES, PushListing, parse_list_query
from push_common.push.record_views import parse_push_id, record_view
from push_common.push.records import NewPush, PushAnswer, PushRecords
from push_common.push.request import PushRequest
from push_common.push.wire import im_push_body
from push_common.quota import IntervalWait, QuotaSnapshot
from push_common.tim_client import UpstreamError
from push_common.upstream_codes import UPSTREAM_CODES
from tests.support.openapi_spec import (
    document,
    documented_routes,
    operation,
    request_schema,
    resolve,
    response_problems,
    validator,
)

ROOT = Path(__file__).resolve().parents[2]
# The POST /v1/pushes events (push_api_post_recall.json is another route).
PUSH_EVENTS = sorted(
    p
    for p in (ROOT / "events").glob("push_api_post_*.json")
    if json.loads(p.read_text("utf-8"))["routeKey"] == "POST /v1/pushes"
)
INVALID_PUSH_EVENTS = {"push_api_post_invalid", "push_api_post_not_utf8"}
# Statuses every route with a JSON body can answer before any business rule runs.
BODY_STATUSES = {"400", "413", "422"}
# 409 carries it for `idempotency_in_progress`, not for `schedule_day_full`.
RETRY_AFTER_REQUIRED = {("POST", "/v1/pushes"): {"429"}}


def _errors(schema_name: str, data: Any) -> list[str]:
    schema = {"$ref": f"#/components/schemas/{schema_name}"}
    return [e.message for e in validator(schema).iter_errors(data)]


def _event_body(path: Path) -> Any:
    return json.loads(json.loads(path.read_text("utf-8"))["body"])


def test_document_is_valid_openapi_3_1() -> None:
    assert document()["openapi"].startswith("3.1")
    validate_spec(document())


def test_document_lists_exactly_the_template_routes() -> None:
    assert documented_routes() == set(route_table(load_template()))


def test_generated_push_schemas_are_up_to_date() -> None:
    # Given the committed document; when the generator re-runs; then nothing changes
    assert build(document()) == document(), "stale: run .venv/bin/python -m openapi.generate"
    assert document()["components"][GENERATED] == list(push_schemas())


def test_recall_event_body_agrees_with_the_schema() -> None:
    body = _event_body(ROOT / "events" / "push_api_post_recall.json")
    assert _errors("RecallRequest", body) == []


def test_push_request_body_is_the_generated_model_schema() -> None:
    assert request_schema("POST", "/v1/pushes") == {"$ref": "#/components/schemas/PushRequest"}
    assert document()["components"]["schemas"]["PushRequest"] == push_schemas()["PushRequest"]


# The base64 body of invalid UTF-8 has no JSON to check (it is the 400 case).
JSON_PUSH_EVENTS = [p for p in PUSH_EVENTS if p.stem != "push_api_post_not_utf8"]


@pytest.mark.parametrize("path", JSON_PUSH_EVENTS, ids=lambda p: p.stem)
def test_push_event_bodies_agree_with_schema_and_model(path: Path) -> None:
    body = _event_body(path)
    errors = _errors("PushRequest", body)
    if path.stem in INVALID_PUSH_EVENTS:
        assert errors, "the invalid example must break the documented schema too"
    else:
        assert errors == []
        PushRequest.model_validate(body)


@pytest.mark.parametrize(
    "path", [p for p in PUSH_EVENTS if p.stem not in INVALID_PUSH_EVENTS], ids=lambda p: p.stem
)
def test_dry_run_answer_of_every_valid_event_matches_the_document(path: Path) -> None:
    req = PushRequest.model_validate(_event_body(path))
    answer = {
        "dry_run": True,
        "upstream_request": im_push_body(req, msg_random=4294967295, sender=req.sender),
        "quota": _snapshot(next_push=True).to_dict(),
    }
    assert _errors("DryRunResult", answer) == []


def test_request_examples_in_the_document_are_valid() -> None:
    for method, path in sorted(documented_routes()):
        body = operation(method, path).get("requestBody")
        if body is None:
            continue
        media = resolve(body)["content"]["application/json"]
        for example in media.get("examples", {}).values():
            assert _errors_for(media["schema"], example["value"]) == [], (method, path)
            if path == "/v1/pushes":
                PushRequest.model_validate(example["value"])


def _errors_for(schema: dict[str, Any], data: Any) -> list[str]:
    return [e.message for e in validator(schema).iter_errors(data)]


@pytest.mark.parametrize("next_push", [True, False])
def test_quota_snapshot_matches_quota_schemas(next_push: bool) -> None:
    snapshot = _snapshot(next_push=next_push)
    assert _errors("Quota", snapshot.to_dict()) == []
    assert _errors("QuotaBrief", snapshot.brief()) == []
    accepted = {
        "push_id": "3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11",
        "task_id": "1400000000_537397568_1733961700_20",
        "status": "submitted",
        "quota": snapshot.brief(),
    }
    assert _errors("PushAccepted", accepted) == []


def _snapshot(*, next_push: bool) -> QuotaSnapshot:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    return QuotaSnapshot(
        limit=100, used=4, resets_at=now, next_push_not_before=now if next_push else None,
        timezone="Asia/Shanghai",
    )  # fmt: skip


def _all_errors() -> list[type[GatewayError]]:
    """Every GatewayError subclass defined in push_common (all its modules imported first)."""
    for module in pkgutil.walk_packages(push_common.__path__, "push_common."):
        importlib.import_module(module.name)
    seen: list[type[GatewayError]] = []
    todo: list[type[GatewayError]] = [GatewayError]
    while todo:
        cls = todo.pop()
        todo.extend(c for c in cls.__subclasses__() if c not in seen)
        if cls.__module__.startswith("push_common.") and cls not in seen:
            seen.append(cls)
    # UpstreamError takes its status from the upstream code table: checked per code below.
    return sorted(
        (c for c in seen if c not in (GatewayError, UpstreamError)), key=lambda c: c.__name__
    )


# Errors whose constructor is not GatewayError's (a new one fails here until it is listed).
SPECIAL_ERRORS: dict[type[GatewayError], GatewayError] = {
    MethodNotAllowed: MethodNotAllowed("detail", allow=["GET", "POST"]),
    IntervalWait: IntervalWait(1500),
    OutcomeUnknown: OutcomeUnknown("detail", timed_out=True, upstream_code=91000),
}


def _instances(cls: type[GatewayError]) -> list[GatewayError]:
    if cls in SPECIAL_ERRORS:
        return [SPECIAL_ERRORS[cls]]
    full = cls(
        "detail", errors=[FieldProblem("users.a[0]", "too long", 90020)], upstream_code=90020,
        retry_after=3,
    )  # fmt: skip
    return [full, cls("detail")]


def _documented_statuses() -> set[str]:
    return {s for m, p in documented_routes() for s in operation(m, p)["responses"]}


@pytest.mark.parametrize("cls", _all_errors(), ids=lambda c: c.__name__)
def test_every_gateway_error_renders_a_documented_problem(cls: type[GatewayError]) -> None:
    for error in _instances(cls):
        assert _errors("Problem", error.to_problem()) == []


# API Gateway answers unknown routes and methods itself (404/405), never the function.
@pytest.mark.parametrize(
    "cls", [c for c in _all_errors() if c.status not in (404, 405)], ids=lambda c: c.__name__
)
def test_every_gateway_error_status_is_documented_somewhere(cls: type[GatewayError]) -> None:
    assert str(cls.status) in _documented_statuses()


@pytest.mark.parametrize("code", sorted(UPSTREAM_CODES))
def test_every_upstream_code_renders_a_documented_problem(code: int) -> None:
    error = UpstreamError(code, "some info")
    assert str(error.status) in _documented_statuses()
    assert _errors("Problem", error.to_problem()) == []


@pytest.mark.parametrize("route", sorted(documented_routes()))
def test_every_error_response_is_a_problem_document(route: tuple[str, str]) -> None:
    for status, ref in operation(*route)["responses"].items():
        if int(status) < 400:
            continue
        content = resolve(ref)["content"]
        schema = content["application/problem+json"]["schema"]
        body = ValidationFailed("x").to_problem() | {"status": int(status)}
        if status == "429":
            body |= {"code": "push_interval", "retryable": True}
        assert _errors_for(schema, body) == [], (route, status)


@pytest.mark.parametrize("route", sorted(documented_routes()))
def test_every_body_route_documents_the_body_errors(route: tuple[str, str]) -> None:
    op = operation(*route)
    if "requestBody" in op:
        assert set(op["responses"]) >= BODY_STATUSES, route
    required = RETRY_AFTER_REQUIRED.get(route, set())
    for status in required:
        header = resolve(resolve(op["responses"][status])["headers"]["Retry-After"])
        assert header["required"] is True


def test_every_operation_is_sigv4_signed() -> None:
    scheme = document()["components"]["securitySchemes"]["sigv4"]
    assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert document()["security"] == [{"sigv4": []}]
    assert all("security" not in operation(*r) for r in documented_routes())


@pytest.mark.parametrize(
    "key", ["k", "order-42:retry", "~" * 255, "with space", "", "x" * 256, "caf\xe9", "a\x7f", "\t"]
)
def test_idempotency_key_parameter_matches_the_handler(key: str) -> None:
    param = resolve(operation("POST", "/v1/pushes")["parameters"][0])
    assert param["name"] == "Idempotency-Key" and param["in"] == "header"
    documented = validator(param["schema"]).is_valid(key)
    try:
        accepted = idempotency_key({"Idempotency-Key": key}) == key
    except ValidationFailed:
        accepted = False
    assert documented == accepted


def test_oracle_catches_an_undocumented_status_and_a_wrong_body() -> None:
    headers = {"content-type": "application/json"}
    assert response_problems("GET", "/v1/quota", 500, headers, b"{}")
    assert response_problems("GET", "/v1/quota", 200, headers, b'{"limit": 1}')
    assert response_problems("POST", "/v1/pushes", 429, {"content-type": "application/json"}, b"{}")
    with pytest.raises(ValidationError):
        validator({"$ref": "#/components/schemas/Problem"}).validate({"status": 200})


# --- push records (docs/architecture.md §3.5) -------------------------------------------------

PUSHES_TABLE = "push-records"


def _stored_records(records: PushRecords) -> None:
    """One record per outcome and channel, written by the real write path."""
    request = {"audience": {"all": True}, "message": {"text": "Sale"}}
    outcomes: list[tuple[str, int, str, dict[str, Any] | None]] = [
        ("submitted", 202, "http", None),
        (
            "failed",
            502,
            "http",
            {"code": "upstream_rejected", "detail": "no", "upstream_code": 90045},
        ),
        ("outcome_unknown", 504, "eventbridge", {"code": "outcome_unknown", "detail": "timeout"}),
        ("sending", 0, "http", None),
    ]
    for n, (status, http_status, channel, error) in enumerate(outcomes):
        push_id = f"00000000-0000-4000-8000-{n:012d}"
        event = channel == "eventbridge"
        push = NewPush(
            push_id=push_id, request=request, request_hash=str(n),
            caller="eventbridge:orders" if event else "arn:aws:iam::123456789012:role/orders",
            caller_session=None if event else "arn:aws:sts::123456789012:assumed-role/orders/s",
            channel=channel, event_source="orders" if event else None,
            idempotency_key=f"key-{n}" if n % 2 else None,
        )  # fmt: skip
        claim = records.claim(push, lease_until_ms=records.now_ms() + 60_000)
        assert not isinstance(claim, PushAnswer)
        if status == "sending":
            continue
        answer = PushAnswer(push_id=push_id, status=http_status, body={}, record_status=status)
        task = "1400000000_1" if status == "submitted" else None
        records.finish(claim, answer, task_id=task, sent_at_ms=records.now_ms(), error=error)


@pytest.fixture(scope="module")
def stored() -> Any:
    """(the record views, a page of two) as the routes answer them, from moto."""
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="ap-southeast-1")
        create_table(ddb, PUSHES_TABLE, tables(load_template())["PushesTable"])
        records = PushRecords(ddb, PUSHES_TABLE, retention_days=90)
        _stored_records(records)
        ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(4)]
        views = [record_view(records.get(push_id) or {}) for push_id in ids]
        page = PushListing(ddb, PUSHES_TABLE).page(parse_list_query({"limit": "2"}))
        return views, page


def test_every_stored_record_matches_the_push_record_schema(stored: Any) -> None:
    views, _ = stored
    assert [view["status"] for view in views] == [
        "submitted", "failed", "outcome_unknown", "sending",
    ]  # fmt: skip
    for view in views:
        assert _errors("PushRecord", view) == [], view["status"]


def test_a_page_matches_the_push_list_schema(stored: Any) -> None:
    _, page = stored
    assert len(page["pushes"]) == 2 and page["next_cursor"]
    assert _errors("PushList", page) == []
    assert _errors("PushList", {"pushes": [], "next_cursor": None}) == []


def test_push_record_schema_lists_exactly_the_view_fields(stored: Any) -> None:
    views, _ = stored
    schema = resolve({"$ref": "#/components/schemas/PushRecord"})
    assert list(schema["properties"]) == list(views[0]) == schema["required"]
    statuses = resolve({"$ref": "#/components/schemas/PushStatus"})["enum"]
    assert set(statuses) == STATUSES


def test_push_not_found_is_documented_on_the_record_route() -> None:
    problem = PushNotFound("no push x").to_problem()
    assert _errors("Problem", problem) == []
    assert "404" in operation("GET", "/v1/pushes/{push_id}")["responses"]


@pytest.mark.parametrize(
    "push_id", ["3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11", "a", "x" * 64, "x" * 65, "", "a b", "a_b"]
)
def test_push_id_parameter_matches_the_handler(push_id: str) -> None:
    param = resolve(operation("GET", "/v1/pushes/{push_id}")["parameters"][0])
    assert (param["name"], param["in"], param["required"]) == ("push_id", "path", True)
    documented = validator(param["schema"]).is_valid(push_id)
    try:
        accepted = parse_push_id(push_id) == push_id
    except ValidationFailed:
        accepted = False
    assert documented == accepted


def _list_parameter(name: str) -> dict[str, Any]:
    params = [resolve(p) for p in operation("GET", "/v1/pushes")["parameters"]]
    (param,) = [p for p in params if p["name"] == name]
    return param


def test_list_parameters_are_the_handler_parameters() -> None:
    params = [resolve(p) for p in operation("GET", "/v1/pushes")["parameters"]]
    assert [p["name"] for p in params] == list(PARAMETERS)
    assert all(p["in"] == "query" and p["required"] is False for p in params)
    assert set(resolve(_list_parameter("kind")["schema"])["enum"]) == KINDS
    assert set(resolve(_list_parameter("status")["schema"])["enum"]) == STATUSES


@pytest.mark.parametrize("limit", [0, 1, 20, 100, 101])
def test_limit_parameter_matches_the_handler(limit: int) -> None:
    schema = _list_parameter("limit")["schema"]
    documented = validator(schema).is_valid(limit)
    try:
        accepted = parse_list_query({"limit": str(limit)}).limit == limit
    except ValidationFailed:
        accepted = False
    assert documented == accepted
    assert schema["default"] == parse_list_query({}).limit
