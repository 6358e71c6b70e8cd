"""API Gateway HTTP API (payload v2) helpers shared by the HTTP handlers.

Bodies are read raw from the event: Powertools' `current_event.body`/`json_body` decode with
UTF-8 and raise on other bytes, which must be a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from push_common.errors import BadRequest, FieldProblem, GatewayError, ValidationFailed
from push_common.identity import Caller, http_caller

PROBLEM_JSON = "application/problem+json"
ANONYMOUS = "anonymous"
_IDEMPOTENCY_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The request body as bytes, whatever API Gateway's encoding."""
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("body is not valid base64") from exc
    try:
        return str(body).encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates smuggled in as text
        raise BadRequest("body is not valid UTF-8") from exc


def caller_principal(event: Mapping[str, Any]) -> str:
    """The IAM principal ARN that signed the request (HTTP API AWS_IAM authorizer)."""
    iam = event.get("requestContext", {}).get("authorizer", {}).get("iam") or {}
    return str(iam.get("userArn") or iam.get("callerId") or ANONYMOUS)


def caller_identity(event: Mapping[str, Any]) -> Caller:
    """The signer as a normalised caller (a role's sessions are one caller), raw ARN kept."""
    return http_caller(caller_principal(event))


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """`Idempotency-Key` (1-255 printable ASCII) or None; a malformed key is a 422."""
    value = next((v for k, v in headers.items() if k.lower() == "idempotency-key"), None)
    if value is None:
        return None
    if not _IDEMPOTENCY_KEY.match(value) or not value.strip():
        raise ValidationFailed(
            "Idempotency-Key must be 1-255 printable ASCII characters",
            errors=[FieldProblem("headers.Idempotency-Key", "1-255 printable ASCII characters")],
        )
    return value


@dataclass(frozen=True)
class ApiGatewayResponse:
    """What a route returns: turned into API Gateway's payload-v2 result by `to_apigw`.

    (Not an HTTP response on the wire: that is `tim_wire.HttpResponse`, urllib3's side.)
    """

    status: int
    body: str
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_apigw(self) -> dict[str, Any]:
        """The payload-v2 result API Gateway turns into the HTTP response."""
        headers = {"Content-Type": self.content_type, **self.headers}
        return {
            "statusCode": self.status,
            "headers": headers,
            "body": self.body,
            "isBase64Encoded": False,
        }


def json_response(status: int, body: Mapping[str, Any]) -> ApiGatewayResponse:
    return ApiGatewayResponse(status, _dumps(body))


def stored_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str], *, replayed: bool
) -> ApiGatewayResponse:
    """An answer kept with a push record; a replay says so (`Idempotent-Replayed: true`)."""
    content_type = PROBLEM_JSON if status >= 400 else "application/json"
    extra = {**headers, "Idempotent-Replayed": "true"} if replayed else dict(headers)
    return ApiGatewayResponse(status, _dumps(body), content_type, extra)


def problem_response(exc: GatewayError) -> ApiGatewayResponse:
    """RFC 9457 problem with `Retry-After` when the error says when to retry."""
    return ApiGatewayResponse(exc.status, _dumps(exc.to_problem()), PROBLEM_JSON, exc.headers())


def _dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
