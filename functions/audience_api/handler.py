"""HTTP API: user tags and attributes (design §3.3). Routing and error mapping only."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from push_common.audience import models, names, service
from push_common.audience.caller import DeadlineCaller
from push_common.audience.rules import parse_accounts_query
from push_common.audience.validation import parse
from push_common.body import decode_json_object
from push_common.edge.http import caller_principal, json_response, problem_response, raw_body
from push_common.errors import GatewayError, NotFound
from push_common.observability import logger
from push_common.settings import get_settings
from push_common.tim_client import get_tim_client

app = APIGatewayHttpResolver()


@app.get("/v1/attribute-names")
def get_attribute_names() -> Response[str]:
    return json_response(200, names.list_attribute_names(_client()))


@app.put("/v1/attribute-names")
def put_attribute_names() -> Response[str]:
    request = parse(models.SetAttributeNames, _body())
    principal = caller_principal(app.current_event.raw_event)
    return json_response(200, names.set_attribute_names(_client(), request, principal=principal))


@app.get("/v1/users/attributes")
def get_user_attributes() -> Response[str]:
    return json_response(200, service.get_user_attributes(_client(), _accounts()))


@app.patch("/v1/users/attributes")
def patch_user_attributes() -> Response[str]:
    request = parse(models.SetUserAttributes, _body())
    return json_response(200, service.set_user_attributes(_client(), request))


@app.post("/v1/users/attributes/remove")
def remove_user_attributes() -> Response[str]:
    request = parse(models.RemoveUserAttributes, _body())
    return json_response(200, service.remove_user_attributes(_client(), request))


@app.get("/v1/users/tags")
def get_user_tags() -> Response[str]:
    return json_response(200, service.get_user_tags(_client(), _accounts()))


@app.post("/v1/users/tags")
def add_user_tags() -> Response[str]:
    request = parse(models.UserTags, _body())
    return json_response(200, service.add_user_tags(_client(), request))


@app.post("/v1/users/tags/remove")
def remove_user_tags() -> Response[str]:
    request = parse(models.UserTags, _body())
    return json_response(200, service.remove_user_tags(_client(), request))


@app.post("/v1/users/tags/clear")
def clear_user_tags() -> Response[str]:
    request = parse(models.ClearTags, _body())
    return json_response(200, service.clear_user_tags(_client(), request))


@app.exception_handler(GatewayError)
def on_gateway_error(exc: GatewayError) -> Response[str]:
    logger.warning("request refused", code=exc.code, status=exc.status, detail=exc.detail)
    return problem_response(exc)


@app.not_found
def on_not_found(_: Exception) -> Response[str]:
    return problem_response(NotFound(f"no route {app.current_event.raw_event.get('routeKey')}"))


def _body() -> dict[str, Any]:
    raw = raw_body(app.current_event.raw_event)
    return decode_json_object(raw, max_bytes=get_settings().max_body_bytes)


def _accounts() -> list[str]:
    return parse_accounts_query(app.current_event.raw_event.get("queryStringParameters") or {})


def _client() -> DeadlineCaller:
    remaining = app.lambda_context.get_remaining_time_in_millis()
    # Leave a second to render the per-account outcome after the last upstream call.
    return DeadlineCaller(get_tim_client(), time.monotonic() + remaining / 1000 - 1.0)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
