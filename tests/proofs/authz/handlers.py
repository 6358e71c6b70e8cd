"""Run the real handlers in this process, as Lambda would, with the files of `events/`."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import Any

from devstack.template import FunctionSpec, functions, load_template
from tests.support.env import load_event
from tests.support.lambda_context import FakeLambdaContext


@dataclass(frozen=True)
class Answer:
    """An HTTP function's result as a caller sees it."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any]


def spec(logical_id: str) -> FunctionSpec:
    return functions(load_template())[logical_id]


def invoke(logical_id: str, event: dict[str, Any]) -> Any:
    """One invocation of the template's handler for `logical_id`."""
    function = spec(logical_id)
    handler = importlib.import_module(function.module).lambda_handler
    return handler(event, FakeLambdaContext(logical_id, function.timeout * 1000))


def call_http(logical_id: str, event: dict[str, Any]) -> Answer:
    result = invoke(logical_id, event)
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    body = json.loads(result["body"]) if result.get("body") else {}
    return Answer(int(result["statusCode"]), headers, body)


def api_event(name: str, *, key: str | None = None, body: dict[str, Any] | None = None) -> Any:
    """`events/<name>`, optionally with another Idempotency-Key or body."""
    event = load_event(name)
    if key is not None:
        event["headers"]["idempotency-key"] = key
    if body is not None:
        event["body"], event["isBase64Encoded"] = json.dumps(body), False
    return event


def api_query(name: str, **params: str) -> Any:
    """`events/<name>` with these query parameters instead of its own."""
    event = load_event(name)
    event["queryStringParameters"] = dict(params)
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in params.items())
    return event


def push_requested(detail: dict[str, Any], event_id: str) -> dict[str, Any]:
    """An EventBridge `Push Requested` event as the rule delivers it."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "Push Requested",
        "source": "orders-service",
        "account": "123456789012",
        "time": "2026-11-26T02:00:00Z",
        "region": "ap-southeast-1",
        "resources": [],
        "detail": detail,
    }
