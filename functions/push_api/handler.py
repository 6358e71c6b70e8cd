"""HTTP API: pushes (send, schedule, cancel, approve, reject), their records, recall and report,
and the quota. Routing only; the work is in push_common.push."""

from __future__ import annotations

from typing import Any

from push_common import coldstart, snapstart

# The handler's own modules, in a frame-stack chunk of their own (docs/decisions.md §29);
# the imports below then find them loaded.
coldstart.preload(
    "push_common.edge.http",
    "push_common.edge.router",
    "push_common.observability",
    "push_common.push.deps",
    "push_common.push.http_api",
    "push_common.push.service",
)

from push_common.edge.http import (
    ApiGatewayResponse,
    idempotency_key,
    json_response,
    stored_response,
)
from push_common.edge.router import HttpRequest, Router
from push_common.observability import (
    LambdaContext,
    correlation_paths,
    count,
    logger,
    metrics,
)
from push_common.push.deps import default_deps, prime
from push_common.push.http_api import (
    handle_approve,
    handle_cancel,
    handle_push,
    handle_quota,
    handle_reject,
)
from push_common.push.service import PushContext

# A route's own modules (listing, records, recall, report, approvals) load with its first request,
# not on every cold start: a push does not need them (docs/decisions.md §22).

app = Router()
# SnapStart: primed before the snapshot (the routes' own modules too), renewed after each restore
ROUTE_MODULES = ("listing", "record_views", "recall", "report", "scheduling", "approval")
snapstart.install(prime, snapstart.modules(*(f"push_common.push.{m}" for m in ROUTE_MODULES)))


@app.route("POST", "/v1/pushes")
def create_push(request: HttpRequest) -> ApiGatewayResponse:
    deps = default_deps()
    caller = request.identity
    ctx = PushContext(
        caller=caller.name,
        caller_session=caller.session,
        channel="http",
        # Scoped by the normalised caller: a retry from another session of the role finds its push.
        idempotency_scope=caller.name,
        idempotency_key=idempotency_key(request.headers),
        deadline=request.deadline(margin_seconds=0.5),  # leave time to answer
        max_interval_wait_seconds=deps.settings.quota_max_wait_ms / 1000,
    )
    answer = handle_push(request.body(), ctx, deps)
    if isinstance(answer, tuple):
        return json_response(*answer)
    return stored_response(answer.status, answer.body, answer.headers, replayed=answer.replayed)


@app.route("GET", "/v1/pushes")
def list_push_records(request: HttpRequest) -> ApiGatewayResponse:
    from push_common.push.listing import default_listing, list_pushes

    return json_response(200, list_pushes(request.query, default_listing()))


@app.route("GET", "/v1/pushes/{push_id}")
def get_push_record(request: HttpRequest) -> ApiGatewayResponse:
    from push_common.push.record_views import get_record

    return json_response(200, get_record(default_deps().records, _valid_push_id(request)))


@app.route("DELETE", "/v1/pushes/{push_id}")
def cancel_push(request: HttpRequest) -> ApiGatewayResponse:
    push_id = _valid_push_id(request)
    return json_response(200, handle_cancel(push_id, request.identity, default_deps()))


@app.route("POST", "/v1/pushes/{push_id}/approve")
def approve(request: HttpRequest) -> ApiGatewayResponse:
    push_id = _valid_push_id(request)
    answer = handle_approve(
        push_id, request.identity, default_deps(), deadline=request.deadline(margin_seconds=0.5)
    )
    return stored_response(answer.status, answer.body, answer.headers, replayed=False)


@app.route("POST", "/v1/pushes/{push_id}/reject")
def reject(request: HttpRequest) -> ApiGatewayResponse:
    push_id = _valid_push_id(request)
    return json_response(200, handle_reject(push_id, request.identity, default_deps()))


@app.route("GET", "/v1/quota")
def get_quota(request: HttpRequest) -> ApiGatewayResponse:
    return json_response(
        200, handle_quota(default_deps(), request.query, caller=request.identity.name)
    )


@app.route("POST", "/v1/pushes/{push_id}/recall")
def recall(request: HttpRequest) -> ApiGatewayResponse:
    from push_common.push.recall import recall_push

    body = recall_push(
        _push_id(request),
        request.body(),
        request.identity,
        default_deps(),
        deadline=request.deadline(margin_seconds=0.5),
    )
    return json_response(200, body)


@app.route("GET", "/v1/pushes/{push_id}/report")
def report(request: HttpRequest) -> ApiGatewayResponse:
    from push_common.push.report import push_report

    body = push_report(
        _push_id(request), default_deps(), deadline=request.deadline(margin_seconds=0.5)
    )
    return json_response(200, body)


def _valid_push_id(request: HttpRequest) -> str:
    """The path's push_id, or 404 `push_not_found` for one that cannot be an id."""
    from push_common.push.record_views import parse_push_id

    return parse_push_id(request.path_parameters.get("push_id"))


def _push_id(request: HttpRequest) -> str:
    return str((request.event.get("pathParameters") or {}).get("push_id", ""))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    count("Requests")
    return app.resolve(event, context)


coldstart.end()  # the last line: the init phase is over (docs/decisions.md §28)
