"""The HTTP router counts every refusal by its problem `code` (operator dashboard)."""

from __future__ import annotations

import json

import pytest

from push_common.edge.http import ApiGatewayResponse, json_response
from push_common.edge.router import HttpRequest, Router
from push_common.errors import ValidationFailed


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def test_a_refusal_emits_refused_by_code_with_its_code(capsys: pytest.CaptureFixture[str]) -> None:
    app = Router()

    @app.route("POST", "/v1/things")
    def refuse(_: HttpRequest) -> ApiGatewayResponse:
        raise ValidationFailed("bad thing")

    @app.route("GET", "/v1/things")
    def fine(_: HttpRequest) -> ApiGatewayResponse:
        return json_response(200, {})

    capsys.readouterr()
    assert app.resolve({"routeKey": "GET /v1/things"}, Context())["statusCode"] == 200
    assert "RefusedByCode" not in capsys.readouterr().out
    answer = app.resolve({"routeKey": "POST /v1/things"}, Context())
    assert answer["statusCode"] == 422
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    (record,) = [r for r in records if "RefusedByCode" in r]
    assert record["code"] == "validation_failed"
    assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "TimPushGateway"
    assert ["code", "service"] in record["_aws"]["CloudWatchMetrics"][0]["Dimensions"]


def test_an_unexpected_exception_is_a_problem_json_500_without_details() -> None:
    app = Router()

    @app.route("GET", "/v1/boom")
    def boom(_: HttpRequest) -> ApiGatewayResponse:
        raise KeyError("secret-looking internal detail")

    answer = app.resolve({"routeKey": "GET /v1/boom"}, Context())
    body = json.loads(answer["body"])
    assert answer["statusCode"] == 500
    assert answer["headers"]["Content-Type"] == "application/problem+json"
    assert (body["code"], body["retryable"]) == ("internal_error", False)
    assert "secret-looking" not in answer["body"]
