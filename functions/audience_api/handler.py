"""HTTP API: user tags and attributes (docs/architecture.md §3.3).

Routing only; the work is in push_common.
"""

from __future__ import annotations

from typing import Any

from push_common import coldstart

# The handler's own modules, in a frame-stack chunk of their own (docs/decisions.md §29);
# the imports below then find them loaded.
coldstart.preload(
    "push_common.audience.models",
    "push_common.audience.names",
    "push_common.audience.rules",
    "push_common.audience.service",
    "push_common.audience.validation",
    "push_common.body",
    "push_common.edge.http",
    "push_common.edge.router",
    "push_common.observability",
    "push_common.settings",
    "push_common.tim_caller",
    "push_common.tim_client",
)

from push_common.audience import models, names, service
from push_common.audience.rules import parse_accounts_query
from push_common.audience.validation import validate_model
from push_common.body import decode_json_object
from push_common.edge.http import ApiGatewayResponse, json_response
from push_common.edge.router import HttpRequest, Router
from push_common.observability import (
    LambdaContext,
    correlation_paths,
    count,
    logger,
    metrics,
)
from push_common.settings import get_settings
from push_common.tim_caller import DeadlineCaller
from push_common.tim_client import get_tim_client

app = Router()


@app.route("GET", "/v1/attribute-names")
def get_attribute_names(request: HttpRequest) -> ApiGatewayResponse:
    return json_response(200, names.list_attribute_names(_client(request)))


@app.route("PUT", "/v1/attribute-names")
def put_attribute_names(request: HttpRequest) -> ApiGatewayResponse:
    body = validate_model(models.SetAttributeNames, _body(request))
    result = names.set_attribute_names(_client(request), body, principal=request.caller)
    return json_response(200, result)


@app.route("GET", "/v1/users/attributes")
def get_user_attributes(request: HttpRequest) -> ApiGatewayResponse:
    return json_response(200, service.get_user_attributes(_client(request), _accounts(request)))


@app.route("PATCH", "/v1/users/attributes")
def patch_user_attributes(request: HttpRequest) -> ApiGatewayResponse:
    body = validate_model(models.SetUserAttributes, _body(request))
    return json_response(200, service.set_user_attributes(_client(request), body))


@app.route("POST", "/v1/users/attributes/remove")
def remove_user_attributes(request: HttpRequest) -> ApiGatewayResponse:
    body = validate_model(models.RemoveUserAttributes, _body(request))
    return json_response(200, service.remove_user_attributes(_client(request), body))


@app.route("GET", "/v1/users/tags")
def get_user_tags(request: HttpRequest) -> ApiGatewayResponse:
    return json_response(200, service.get_user_tags(_client(request), _accounts(request)))


@app.route("POST", "/v1/users/tags")
def add_user_tags(request: HttpRequest) -> ApiGatewayResponse:
    body = validate_model(models.UserTags, _body(request))
    return json_response(200, service.add_user_tags(_client(request), body))


@app.route("POST", "/v1/users/tags/remove")
def remove_user_tags(request: HttpRequest) -> ApiGatewayResponse:
    body = validate_model(models.UserTags, _body(request))
    return json_response(200, service.remove_user_tags(_client(request), body))


@app.route("POST", "/v1/users/tags/clear")
def clear_user_tags(request: HttpRequest) -> ApiGatewayResponse:
    body = validate_model(models.ClearTags, _body(request))
    return json_response(200, service.clear_user_tags(_client(request), body))


def _body(request: HttpRequest) -> dict[str, Any]:
    return decode_json_object(request.body(), max_bytes=get_settings().max_body_bytes)


def _accounts(request: HttpRequest) -> list[str]:
    return parse_accounts_query(request.query)


def _client(request: HttpRequest) -> DeadlineCaller:
    # Leave a second to render the per-account outcome after the last upstream call.
    return DeadlineCaller(get_tim_client(), request.deadline(margin_seconds=1.0))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    count("Requests")
    return app.resolve(event, context)


coldstart.end()  # the last line: the init phase is over (docs/decisions.md §28)
