"""SigV4 verification of a request, as API Gateway does it for an AWS_IAM route (local stack only).

The signature is recomputed with botocore's own signer over exactly the headers the caller
signed, so the local stack and real clients agree on every canonicalisation detail.
Only the `Authorization: AWS4-HMAC-SHA256 ...` form is supported; query-string (presigned)
signatures are refused rather than silently treated as unsigned.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
MAX_SKEW_SECONDS = 300  # API Gateway refuses signatures more than 5 minutes off
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


class SignatureRejected(Exception):
    """The request carries a signature that does not authenticate it (HTTP 403)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class LocalCredentials:
    """The one key pair the local stack accepts, and the principal it stands for."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    caller_arn: str


@dataclass(frozen=True)
class Authorization:
    """The parts of an `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` value."""

    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


def is_signed(headers: Sequence[tuple[str, str]]) -> bool:
    """True when the request carries a SigV4 Authorization header (any other auth is unsigned)."""
    value = _header(headers, "authorization")
    return value is not None and value.strip().startswith(ALGORITHM)


def parse_authorization(value: str) -> Authorization:
    """Split the header; SignatureRejected('invalid_signature') when it is malformed."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureRejected("invalid_signature", f"unsupported algorithm {algorithm!r}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, val = item.strip().partition("=")
        if sep:
            parts[name.strip()] = val.strip()
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if not parts.get(n)]
    if missing:
        raise SignatureRejected("invalid_signature", f"Authorization lacks {', '.join(missing)}")
    scope = parts["Credential"].split("/")
    if len(scope) != 5:
        raise SignatureRejected(
            "invalid_signature", "Credential must be KEY/DATE/REGION/SERVICE/aws4_request"
        )
    return Authorization(
        access_key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        terminator=scope[4],
        signed_headers=tuple(parts["SignedHeaders"].split(";")),
        signature=parts["Signature"],
    )


class _ExactHeaders(SigV4Auth):
    """botocore's signer, restricted to the headers the caller listed in SignedHeaders."""

    def __init__(self, credentials: Credentials, region: str, signed: Sequence[str]) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        # botocore would pick its own set (skipping e.g. user-agent); the caller's list rules.
        chosen = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or []:
                chosen[name] = value
        return chosen


class SigV4Verifier:
    """Verifies signed requests against one local key pair, service execute-api, one region."""

    def __init__(
        self,
        credentials: LocalCredentials,
        region: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credentials = credentials
        self._region = region
        self._clock = clock

    def verify(
        self,
        method: str,
        path: str,
        query: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
    ) -> str:
        """The caller ARN the signature proves; SignatureRejected (403) otherwise."""
        auth = parse_authorization(_header(headers, "authorization") or "")
        amz_date = self._check_scope(auth, headers)
        missing = [n for n in auth.signed_headers if _header(headers, n) is None]
        if "host" not in auth.signed_headers or missing:
            detail = f"signed headers missing from the request: {', '.join(missing) or 'host'}"
            raise SignatureRejected("invalid_signature", detail)
        expected = self._signature(method, path, query, headers, body, auth, amz_date)
        if not hmac.compare_digest(expected, auth.signature):
            raise SignatureRejected(
                "invalid_signature",
                "the request signature does not match the one computed for it "
                "(check the secret access key and the signing method)",
            )
        claimed = _header(headers, "x-amz-content-sha256")
        if claimed not in (None, "UNSIGNED-PAYLOAD") and claimed != _sha256(body):
            raise SignatureRejected("invalid_signature", "x-amz-content-sha256 does not match")
        return self._credentials.caller_arn

    def _check_scope(self, auth: Authorization, headers: Sequence[tuple[str, str]]) -> str:
        if auth.access_key_id != self._credentials.access_key_id:
            # Never echo the key id back in full: it identifies a credential.
            raise SignatureRejected(
                "unknown_access_key", "the access key id is not known to the local stack"
            )
        if auth.service != SERVICE:
            raise SignatureRejected(
                "invalid_credential_scope",
                f"credential should be scoped to service {SERVICE!r}, not {auth.service!r}",
            )
        if auth.region != self._region:
            raise SignatureRejected(
                "invalid_credential_scope",
                f"credential should be scoped to region {self._region!r}, not {auth.region!r}",
            )
        if auth.terminator != "aws4_request":
            raise SignatureRejected("invalid_signature", "credential scope must end aws4_request")
        amz_date = _header(headers, "x-amz-date") or ""
        try:
            signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
        except ValueError:
            raise SignatureRejected(
                "invalid_signature", "X-Amz-Date is missing or not YYYYMMDDTHHMMSSZ"
            ) from None
        if amz_date[:8] != auth.date:
            raise SignatureRejected("invalid_signature", "credential date differs from X-Amz-Date")
        skew = abs(self._clock() - signed_at.timestamp())
        if skew > MAX_SKEW_SECONDS:
            raise SignatureRejected(
                "signature_expired",
                f"X-Amz-Date {amz_date} is {int(skew)} s from the server's clock "
                f"(at most {MAX_SKEW_SECONDS} s allowed)",
            )
        return amz_date

    def _signature(
        self,
        method: str,
        path: str,
        query: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        auth: Authorization,
        amz_date: str,
    ) -> str:
        host = _header(headers, "host") or ""
        url = f"http://{host}{path}" + (f"?{query}" if query else "")
        request = AWSRequest(method=method, url=url, data=body)
        for name in auth.signed_headers:
            for value in _all(headers, name):
                request.headers[name] = value
        request.context["timestamp"] = amz_date
        creds = Credentials(self._credentials.access_key_id, self._credentials.secret_access_key)
        signer = _ExactHeaders(creds, self._region, auth.signed_headers)
        canonical = signer.canonical_request(request)
        return str(signer.signature(signer.string_to_sign(request, canonical), request))


def _all(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    return [v for n, v in headers if n.lower() == name]


def _header(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    values = _all(headers, name)
    return ",".join(values) if values else None


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
