"""HTTP API of template.yaml against docs/architecture.md §3: every route, its function, IAM."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.template import FUNCTION_TYPE, load_template, resources_of_type, route_table

DESIGN_ROUTES = {
    ("POST", "/v1/pushes"): "PushApiFunction",
    ("DELETE", "/v1/pushes/{push_id}"): "PushApiFunction",
    ("GET", "/v1/quota"): "PushApiFunction",
    ("GET", "/v1/pushes"): "PushApiFunction",
    ("GET", "/v1/pushes/{push_id}"): "PushApiFunction",
    ("POST", "/v1/pushes/{push_id}/recall"): "PushApiFunction",
    ("GET", "/v1/pushes/{push_id}/report"): "PushApiFunction",
    ("POST", "/v1/pushes/{push_id}/approve"): "PushApiFunction",
    ("POST", "/v1/pushes/{push_id}/reject"): "PushApiFunction",
    ("GET", "/v1/attribute-names"): "AudienceApiFunction",
    ("PUT", "/v1/attribute-names"): "AudienceApiFunction",
    ("GET", "/v1/users/attributes"): "AudienceApiFunction",
    ("PATCH", "/v1/users/attributes"): "AudienceApiFunction",
    ("POST", "/v1/users/attributes/remove"): "AudienceApiFunction",
    ("GET", "/v1/users/tags"): "AudienceApiFunction",
    ("POST", "/v1/users/tags"): "AudienceApiFunction",
    ("POST", "/v1/users/tags/remove"): "AudienceApiFunction",
    ("POST", "/v1/users/tags/clear"): "AudienceApiFunction",
}


def _http_events(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{fn}.{name}", event)
        for fn, resource in resources_of_type(template, FUNCTION_TYPE).items()
        for name, event in resource["Properties"].get("Events", {}).items()
        if event["Type"] == "HttpApi"
    ]


HTTP_EVENTS = _http_events(load_template())


def test_routes_are_exactly_those_of_the_design(template: dict[str, Any]) -> None:
    assert route_table(template) == DESIGN_ROUTES


def test_http_api_requires_iam_on_every_route(template: dict[str, Any]) -> None:
    auth = template["Resources"]["HttpApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "AWS_IAM"
    assert auth["EnableIamAuthorizer"] is True


@pytest.mark.parametrize(("name", "event"), HTTP_EVENTS, ids=[n for n, _ in HTTP_EVENTS])
def test_route_keeps_the_default_authorizer(name: str, event: dict[str, Any]) -> None:
    assert "Auth" not in event["Properties"], f"{name} overrides the API's IAM auth"


@pytest.mark.parametrize(("name", "event"), HTTP_EVENTS, ids=[n for n, _ in HTTP_EVENTS])
def test_route_belongs_to_the_iam_api(name: str, event: dict[str, Any]) -> None:
    # Without ApiId, SAM adds the route to an implicit API that has no authorizer at all
    assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}


def test_http_api_logs_access(template: dict[str, Any]) -> None:
    settings = template["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
