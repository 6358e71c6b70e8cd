"""Invocation events and a Lambda context for the bench (stdlib only: cold children import it)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

CALLER_ARN = "arn:aws:iam::123456789012:user/bench"
EVENT_SOURCE = "bench.orders"
PUSH_BODY = {"audience": {"all": True}, "message": {"text": "Bench push"}}
AUDIENCE_ACCOUNTS = "bench-user-1"


class BenchContext:
    """The LambdaContext attributes Powertools and the handlers read."""

    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:123456789012:function:bench"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def __init__(self, timeout_s: float = 12.0) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def http_event(
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event signed by the bench's IAM principal."""
    query = query or {}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in query.items()),
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "authorizer": {"iam": {"userArn": CALLER_ARN, "callerId": "AIDABENCH"}},
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "10.0.0.1",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = json.dumps(body, separators=(",", ":"))
    return event


def push_http_event(idempotency_key: str) -> dict[str, Any]:
    """`POST /v1/pushes` to all users, with an `Idempotency-Key` so the store is written."""
    return http_event(
        "POST", "/v1/pushes", body=PUSH_BODY, headers={"idempotency-key": idempotency_key}
    )


def push_requested_event(idempotency_key: str) -> dict[str, Any]:
    """An EventBridge `Push Requested` event with the same push as the HTTP one."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Push Requested",
        "source": EVENT_SOURCE,
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "ap-southeast-1",
        "resources": [],
        "detail": {**PUSH_BODY, "idempotency_key": idempotency_key},
    }


def audience_event() -> dict[str, Any]:
    """`GET /v1/users/tags?accounts=...`: one upstream call, no DynamoDB."""
    return http_event("GET", "/v1/users/tags", query={"accounts": AUDIENCE_ACCOUNTS})


def first_event(function: str, idempotency_key: str) -> dict[str, Any]:
    """The first request a cold `function` answers in the cold bench."""
    if function == "push_api":
        return push_http_event(idempotency_key)
    if function == "push_event":
        return push_requested_event(idempotency_key)
    return audience_event()


def succeeded(function: str, response: Any) -> bool:
    """Whether `response` is the success answer of `function` to its first event."""
    if function == "push_event":
        return isinstance(response, dict) and response.get("outcome") == "sent"
    expected = 202 if function == "push_api" else 200
    return isinstance(response, dict) and response.get("statusCode") == expected
