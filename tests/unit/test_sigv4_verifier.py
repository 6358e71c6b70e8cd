"""devstack.sigv4: the local stack verifies SigV4 signatures as API Gateway would."""

from __future__ import annotations

import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from devstack.sigv4 import (
    LocalCredentials,
    SignatureRejected,
    SigV4Verifier,
    is_signed,
    parse_authorization,
)

KEY_ID, SECRET = "AKIATESTLOCAL0000000", "test-secret-0123456789"
CALLER = "arn:aws:iam::111122223333:role/sdk-tests"
REGION = "ap-southeast-1"
URL = "http://127.0.0.1:3000/v1/users/tags?accounts=alice%2Cbob&z=1&a=2"
BODY = b'{"users": {"alice": ["vip"]}}'


def signed(
    *,
    secret: str = SECRET,
    key_id: str = KEY_ID,
    service: str = "execute-api",
    region: str = REGION,
    url: str = URL,
    body: bytes = BODY,
    method: str = "POST",
    token: str | None = None,
) -> AWSRequest:
    """A request signed by botocore exactly as the SDK signs it."""
    request = AWSRequest(
        method=method, url=url, data=body, headers={"content-type": "application/json"}
    )
    SigV4Auth(Credentials(key_id, secret, token), service, region).add_auth(request)
    return request


def verify(request: AWSRequest, *, body: bytes | None = None, clock: float | None = None) -> str:
    path, _, query = str(request.url).split("127.0.0.1:3000", 1)[1].partition("?")
    headers = [("Host", "127.0.0.1:3000"), *request.headers.items(), ("User-Agent", "x")]
    sent = (request.body or b"") if body is None else body
    assert isinstance(sent, bytes)
    verifier = SigV4Verifier(
        LocalCredentials(KEY_ID, SECRET, CALLER),
        REGION,
        clock=(lambda: clock) if clock is not None else time.time,
    )
    return verifier.verify(str(request.method), path, query, headers, sent)


def rejected(request: AWSRequest, **kwargs: object) -> SignatureRejected:
    with pytest.raises(SignatureRejected) as caught:
        verify(request, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_a_good_signature_acts_as_the_configured_caller() -> None:
    assert verify(signed()) == CALLER


def test_a_session_token_is_signed_along_and_accepted() -> None:
    assert verify(signed(token="session-token")) == CALLER


def test_get_without_body_verifies() -> None:
    assert verify(signed(method="GET", body=b"")) == CALLER


def test_wrong_secret_is_an_invalid_signature() -> None:
    error = rejected(signed(secret="not-the-secret"))
    assert error.code == "invalid_signature"
    assert SECRET not in error.detail


def test_a_tampered_body_is_an_invalid_signature() -> None:
    assert rejected(signed(), body=b'{"users": {"mallory": ["vip"]}}').code == "invalid_signature"


def test_a_tampered_query_is_an_invalid_signature() -> None:
    request = signed()
    request.url = str(request.url).replace("alice", "carol")
    assert rejected(request).code == "invalid_signature"


def test_an_unknown_key_is_refused_without_echoing_it() -> None:
    error = rejected(signed(key_id="AKIAOTHERKEY00000000"))
    assert error.code == "unknown_access_key"
    assert "AKIAOTHERKEY" not in error.detail


def test_another_service_is_refused() -> None:
    error = rejected(signed(service="s3"))
    assert error.code == "invalid_credential_scope"
    assert "execute-api" in error.detail


def test_another_region_is_refused() -> None:
    error = rejected(signed(region="us-east-1"))
    assert error.code == "invalid_credential_scope"
    assert REGION in error.detail


@pytest.mark.parametrize("skew", [-301, 301, 3600])
def test_a_date_more_than_five_minutes_off_is_expired(skew: int) -> None:
    assert rejected(signed(), clock=time.time() + skew).code == "signature_expired"


def test_a_date_within_five_minutes_is_accepted() -> None:
    assert verify(signed(), clock=time.time() + 290) == CALLER


def test_an_unsigned_header_may_change_but_a_signed_one_may_not() -> None:
    request = signed()
    request.headers["X-Unsigned"] = "anything"
    assert verify(request) == CALLER
    request.headers.replace_header("content-type", "text/plain")
    assert rejected(request).code == "invalid_signature"


@pytest.mark.parametrize(
    "value",
    [
        "AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA1 Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=00",
    ],
)
def test_a_malformed_authorization_is_refused(value: str) -> None:
    with pytest.raises(SignatureRejected) as caught:
        parse_authorization(value)
    assert caught.value.code == "invalid_signature"


def test_only_aws4_authorization_counts_as_signed() -> None:
    assert is_signed([("Authorization", "AWS4-HMAC-SHA256 Credential=x")])
    assert not is_signed([("Authorization", "Bearer abc")])
    assert not is_signed([("Host", "x")])
