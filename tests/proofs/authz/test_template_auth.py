"""IAM on every way into the functions, from template.yaml (tests/contract checks the basics:
AWS_IAM default, no per-route override, every route on `HttpApi`; this adds what they do not)."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.apigw import iam_authorizer
from devstack.template import FUNCTION_TYPE, functions, load_template, resources_of_type
from tests.support.env import EVENTS, load_event

TEMPLATE = load_template()
HTTP_API_AUTH_KEYS = {"EnableIamAuthorizer", "DefaultAuthorizer"}
# Resource types that would open another door to a function (or to API Gateway) beside HttpApi.
OTHER_DOORS = {
    "AWS::Serverless::Api",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::Lambda::Url",
    "AWS::Lambda::Permission",
}
HTTP_EVENT_FILES = sorted(p.name for p in EVENTS.glob("*.json") if "routeKey" in load_event(p.name))


def _http_routes() -> list[tuple[str, str, dict[str, Any]]]:
    """(function, route key, event properties) for every HttpApi event of every function."""
    return [
        (
            function,
            f"{e['Properties']['Method'].upper()} {e['Properties']['Path']}",
            e["Properties"],
        )
        for function, resource in resources_of_type(TEMPLATE, FUNCTION_TYPE).items()
        for e in resource["Properties"].get("Events", {}).values()
        if e["Type"] == "HttpApi"
    ]


ROUTES = _http_routes()


@pytest.mark.parametrize(("function", "route", "props"), ROUTES, ids=[r for _, r, _ in ROUTES])
def test_route_resolves_to_an_api_whose_default_is_iam(function, route, props) -> None:
    # Follow the route's ApiId to the resource itself rather than trusting its name
    api = TEMPLATE["Resources"][props["ApiId"]["Ref"]]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    assert api["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    assert props.get("Auth", {}).get("Authorizer", "AWS_IAM") == "AWS_IAM"


def test_no_route_is_a_catch_all() -> None:
    for _, route, _ in ROUTES:
        method, path = route.split(" ", 1)
        assert method != "ANY" and path != "$default" and "+}" not in path, route


@pytest.mark.parametrize("api_id", sorted(resources_of_type(TEMPLATE, "AWS::Serverless::HttpApi")))
def test_http_api_has_no_other_authorizer_and_no_own_definition(api_id: str) -> None:
    props = TEMPLATE["Resources"][api_id]["Properties"]
    assert set(props["Auth"]) == HTTP_API_AUTH_KEYS  # no `Authorizers` (JWT / Lambda) at all
    # An OpenAPI body could add routes (or `$default`) that bypass the events checked above
    assert not {"DefinitionBody", "DefinitionUri"} & set(props)
    assert props.get("DisableExecuteApiEndpoint") in (None, False)


def test_exactly_one_http_api() -> None:
    assert list(resources_of_type(TEMPLATE, "AWS::Serverless::HttpApi")) == ["HttpApi"]


def test_no_other_door_to_the_functions() -> None:
    types = {r["Type"] for r in TEMPLATE["Resources"].values()}
    assert types & OTHER_DOORS == set()
    for logical_id, spec in resources_of_type(TEMPLATE, FUNCTION_TYPE).items():
        assert "FunctionUrlConfig" not in spec["Properties"], logical_id


def test_globals_do_not_change_the_http_api_auth() -> None:
    assert "Auth" not in TEMPLATE.get("Globals", {}).get("HttpApi", {})


def test_the_only_non_http_trigger_is_the_push_requested_rule() -> None:
    triggered = {i: s.eventbridge_patterns for i, s in functions(TEMPLATE).items()}
    assert {i for i, p in triggered.items() if p} == {"PushEventFunction"}


@pytest.mark.parametrize("name", HTTP_EVENT_FILES)
def test_every_http_event_file_carries_an_iam_caller(name: str) -> None:
    iam = load_event(name)["requestContext"]["authorizer"]["iam"]
    assert iam["userArn"].startswith("arn:aws:iam::")


def test_local_adapter_fills_the_iam_identity_like_api_gateway() -> None:
    arn = "arn:aws:iam::111122223333:role/pusher"
    iam = iam_authorizer(arn)["iam"]
    assert iam["userArn"] == arn
    assert iam["accountId"] == "111122223333"
    assert set(iam) >= set(
        load_event("push_api_post_all.json")["requestContext"]["authorizer"]["iam"]
    )


def test_local_adapter_passes_a_role_session_through_as_api_gateway_does() -> None:
    session = "arn:aws:sts::111122223333:assumed-role/pusher/i-0abc123"
    iam = iam_authorizer(session)["iam"]
    assert iam["userArn"] == session  # raw: the function normalises it, not the adapter
    assert iam["accountId"] == "111122223333"
    assert iam["userId"].startswith("AROA") and iam["userId"].endswith(":i-0abc123")
    assert iam["callerId"] == iam["userId"]
