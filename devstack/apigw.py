"""API Gateway HTTP API (payload format 2.0): request -> event, and function result -> response."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from devstack.config import ACCOUNT_ID
from devstack.routes import Match


@dataclass(frozen=True)
class HttpRequest:
    """What the adapter received, before any API Gateway interpretation."""

    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass
class HttpResponse:
    """What the adapter sends back."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def iam_authorizer(caller_arn: str) -> dict[str, Any]:
    """`requestContext.authorizer` of an AWS_IAM route for the principal `caller_arn`."""
    account = caller_arn.split(":")[4] if caller_arn.count(":") >= 5 else "000000000000"
    user_id = "AIDA" + caller_arn.rsplit("/", 1)[-1].upper().replace("-", "")[:17]
    if ":assumed-role/" in caller_arn:
        # A role session (`.../assumed-role/ROLE/SESSION`): API Gateway reports the STS ARN as
        # userArn, passed through untouched, and `ROLE-ID:SESSION` as the ids.
        role, _, session = caller_arn.split(":assumed-role/", 1)[1].partition("/")
        user_id = "AROA" + role.upper().replace("-", "")[:17] + ":" + session
    return {
        "iam": {
            "accessKey": "ASIALOCALDEVELOPER00",
            "accountId": account,
            "callerId": user_id,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": caller_arn,
            "userId": user_id,
        }
    }


def _body_fields(body: bytes) -> dict[str, Any]:
    if not body:
        return {"isBase64Encoded": False}
    try:
        return {"body": body.decode("utf-8"), "isBase64Encoded": False}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True}


def build_event(
    request: HttpRequest, match: Match, caller_arn: str, request_id: str
) -> dict[str, Any]:
    """The v2 event API Gateway would send for `request` on the matched route."""
    forwarded = {"x-forwarded-for": request.source_ip, "x-forwarded-proto": "http"}
    headers = {**forwarded, **_joined([(n.lower(), v) for n, v in request.headers])}
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "authorizer": iam_authorizer(caller_arn),
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": match.route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        **_body_fields(request.body),
    }
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers["cookie"].replace(",", ";").split(";")]
    if request.query:
        event["queryStringParameters"] = _joined(parse_qsl(request.query, keep_blank_values=True))
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    return event


def to_response(result: Any) -> HttpResponse:
    """Interpret a handler's return value as API Gateway's payload format 2.0 does."""
    if not (isinstance(result, dict) and "statusCode" in result):
        body = json.dumps(result).encode()
        return HttpResponse(200, [("content-type", "application/json")], body)
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    headers += [("set-cookie", str(c)) for c in result.get("cookies") or []]
    return HttpResponse(int(result["statusCode"]), headers, body)


def problem(status: int, title: str, detail: str, code: str) -> HttpResponse:
    """An RFC 9457 problem response for errors the adapter itself detects."""
    body = {
        "type": f"urn:tim-push-gateway:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "retryable": False,
    }
    return HttpResponse(
        status, [("content-type", "application/problem+json")], json.dumps(body).encode()
    )


def json_response(status: int, payload: Any) -> HttpResponse:
    """A plain JSON response (local endpoints)."""
    return HttpResponse(
        status, [("content-type", "application/json")], json.dumps(payload).encode()
    )
