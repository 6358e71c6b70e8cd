"""HTTP API: POST /v1/pushes, GET /v1/quota. Routing and error mapping only."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from push_common.edge.http import (
    caller_principal,
    idempotency_key,
    json_response,
    problem_response,
    raw_body,
)
from push_common.errors import GatewayError, NotFound
from push_common.observability import count, logger, metrics
from push_common.push.deps import default_deps
from push_common.push.http_api import handle_push, handle_quota
from push_common.push.idempotency import register_context
from push_common.push.service import PushContext

app = APIGatewayHttpResolver()


@app.post("/v1/pushes")
def create_push() -> Response[str]:
    event = app.current_event.raw_event
    caller = caller_principal(event)
    ctx = PushContext(
        caller=caller,
        idempotency_scope=caller,
        idempotency_key=idempotency_key(app.current_event.headers),
        deadline=_deadline(),
    )
    status, body = handle_push(raw_body(event), ctx, default_deps())
    return json_response(status, body)


@app.get("/v1/quota")
def get_quota() -> Response[str]:
    return json_response(200, handle_quota(default_deps()))


@app.exception_handler(GatewayError)
def on_gateway_error(exc: GatewayError) -> Response[str]:
    logger.warning("request refused", code=exc.code, status=exc.status, detail=exc.detail)
    count("RequestRefused")
    return problem_response(exc)


@app.not_found
def on_not_found(_: Exception) -> Response[str]:
    return problem_response(NotFound(f"no route {app.current_event.raw_event.get('routeKey')}"))


def _deadline() -> float | None:
    remaining = app.lambda_context.get_remaining_time_in_millis()
    return time.monotonic() + remaining / 1000 - 0.5  # leave time to answer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    count("Requests")
    register_context(context)
    return app.resolve(event, context)
