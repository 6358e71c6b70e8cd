"""`openapi/openapi.yaml` (audience routes) agrees with the resolver, template, events/, answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import ValidationError
from openapi_spec_validator import validate as validate_spec

from devstack.template import functions, load_template
from tests.support.audience_calls import invoke
from tests.support.fake_tim import FakeTim, names_answer
from tests.support.openapi_check import (
    audience_routes,
    load_doc,
    validate_request,
    validate_response,
)

EVENTS = Path(__file__).resolve().parents[3] / "events"
EVENT_FILES = sorted(EVENTS.glob("audience_*.json"))


def test_document_is_valid_openapi_3_1() -> None:
    assert load_doc()["openapi"].startswith("3.1")
    validate_spec(load_doc())


def test_document_and_template_list_the_same_routes() -> None:
    spec = functions(load_template())["AudienceApiFunction"]
    assert set(spec.http_routes) == audience_routes()


def test_every_event_file_is_a_documented_route() -> None:
    keys = {tuple(json.loads(p.read_text("utf-8"))["routeKey"].split(" ")) for p in EVENT_FILES}
    assert keys == audience_routes()


@pytest.mark.parametrize("route", sorted(audience_routes()))
def test_every_documented_route_is_served(
    route: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a request with no body or query: validation may refuse it, routing must not
    monkeypatch.setattr("functions.audience_api.handler.get_tim_client", lambda: FakeTim())
    method, path = route
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "http": {"method": method, "path": path},
            "requestId": "r",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    status, _, body = invoke(event)
    assert status != 404, body
    if status != 200:
        validate_response(method, path, status, "application/problem+json", body)


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda p: p.stem)
def test_event_bodies_and_answers_match_the_document(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex", "city")})
    monkeypatch.setattr("functions.audience_api.handler.get_tim_client", lambda: fake)
    event = json.loads(path.read_text("utf-8"))
    method, route = event["routeKey"].split(" ")
    if "body" in event:
        validate_request(method, route, json.loads(event["body"]))
    status, headers, body = invoke(event)
    validate_response(method, route, status, headers["Content-Type"], body)


def test_undocumented_status_is_caught() -> None:
    with pytest.raises(KeyError):
        validate_response("GET", "/v1/users/tags", 409, "application/problem+json", {})


def test_schema_mismatch_is_caught() -> None:
    with pytest.raises(ValidationError):
        validate_response("POST", "/v1/users/tags", 200, "application/json", {"succeeded": []})
