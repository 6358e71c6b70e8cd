"""The local stack checks SigV4 over real HTTP like API Gateway (signed by botocore, no SDK)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from devstack.config import DEV_ACCESS_KEY_ID, DEV_SECRET_ACCESS_KEY
from tests.support.stack_client import Reply, StackProcess, request

pytestmark = pytest.mark.integration

REGION = "ap-southeast-1"


def signed_request(
    stack: StackProcess,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    secret: str = DEV_SECRET_ACCESS_KEY,
    service: str = "execute-api",
    region: str = REGION,
) -> Reply:
    url = stack.url + path
    headers = {"content-type": "application/json"} if body else {}
    aws = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials(DEV_ACCESS_KEY_ID, secret), service, region).add_auth(aws)
    return request(method, url, body or None, headers=dict(aws.headers.items()))


def problem_of(reply: Reply) -> dict[str, Any]:
    assert reply.status == 403, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = reply.json()
    assert body["status"] == 403
    return body


def test_a_good_signature_passes(local_stack: StackProcess) -> None:
    assert signed_request(local_stack, "GET", "/v1/quota").status == 200
    tags = signed_request(local_stack, "GET", "/v1/users/tags?accounts=sig-a%2Csig-b")
    assert tags.status == 200, tags.body
    assert set(tags.json()["users"]) == {"sig-a", "sig-b"}
    body = b'{"users": {"sig-a": ["signed"]}}'
    assert signed_request(local_stack, "POST", "/v1/users/tags", body).status == 200


def test_a_wrong_secret_is_403_invalid_signature(local_stack: StackProcess) -> None:
    reply = signed_request(local_stack, "GET", "/v1/quota", secret="wrong")
    assert problem_of(reply)["code"] == "invalid_signature"


@pytest.mark.parametrize(("service", "region"), [("lambda", REGION), ("execute-api", "eu-west-1")])
def test_another_service_or_region_is_403(
    local_stack: StackProcess, service: str, region: str
) -> None:
    reply = signed_request(local_stack, "GET", "/v1/quota", service=service, region=region)
    assert problem_of(reply)["code"] == "invalid_credential_scope"


def test_a_stale_date_is_403_signature_expired(
    local_stack: StackProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=6)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: stale)
    reply = signed_request(local_stack, "GET", "/v1/quota")
    assert problem_of(reply)["code"] == "signature_expired"


def test_a_presigned_query_is_refused_not_ignored(local_stack: StackProcess) -> None:
    reply = request("GET", f"{local_stack.url}/v1/quota?X-Amz-Signature=00&X-Amz-Credential=x")
    assert problem_of(reply)["code"] == "invalid_signature"


def test_unsigned_requests_keep_working(local_stack: StackProcess) -> None:
    assert request("GET", f"{local_stack.url}/v1/quota").status == 200
    assert request("GET", f"{local_stack.url}/_local/events").status == 200
