"""The Tencent IM admin credentials, read from Secrets Manager and cached with a max age.

Secret shape (docs/architecture.md §5):
`{"sdkappid": 1400000000, "identifier": "administrator", "key": "…"}`.
Errors never carry the secret's value: only the names of the fields that are wrong.
"""

# Models: no `from __future__ import annotations`, so pydantic need not evaluate annotation
# strings when each class is created on a cold start (docs/decisions.md §26).

import json
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from push_common import caches, clients
from push_common.aws_errors import THROTTLE_CODES, error_code
from push_common.errors import DependencyUnavailable, GatewayError, SecretInvalid
from push_common.settings import get_settings

_TRANSIENT_AWS_CODES = THROTTLE_CODES | frozenset(
    {
        "InternalServiceError",
        "InternalServiceErrorException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_RETRY_AFTER_SECONDS = 1


class AdminCredentials(BaseModel):
    """SDKAppID, admin identifier and secret key; `repr` never shows the key."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", hide_input_in_errors=True, defer_build=True
    )

    sdkappid: int = Field(strict=True, gt=0)
    identifier: str = Field(strict=True, min_length=1)
    key: SecretStr = Field(min_length=1)


def get_admin_credentials(*, force_refresh: bool = False) -> AdminCredentials:
    """The admin credentials, cached for `SECRET_MAX_AGE_SECONDS`; `force_refresh` re-reads."""
    global _last
    settings = get_settings()
    name = settings.tim_secret_id
    now = time.monotonic()
    cached = None if force_refresh else _last
    if (
        cached is not None
        and cached.name == name
        and now - cached.at < settings.secret_max_age_seconds
    ):
        return cached.credentials
    credentials = _parse(name, _fetch(name))
    _last = _Read(name, credentials, now)  # only a read that parsed is kept
    return credentials


@dataclass(frozen=True)
class _Read:
    name: str
    credentials: AdminCredentials
    at: float  # time.monotonic() when read


# Our own max-age cache rather than Powertools' parameters utility: that package imports every
# provider it has (SSM, AppConfig, DynamoDB and boto3.dynamodb.conditions) on each cold start to
# read one secret (docs/decisions.md §27).
_last: _Read | None = None


def _fetch(name: str) -> Any:
    """The secret's JSON value, read from Secrets Manager now."""
    try:
        answer = clients.secretsmanager().get_secret_value(SecretId=name)
    except (ClientError, BotoCoreError) as exc:
        raise _read_failure(name, exc) from None
    try:
        return json.loads(answer["SecretString"])
    except (KeyError, ValueError):  # a binary secret, or text that is not JSON
        raise SecretInvalid(f"secret {name} is not a JSON object") from None


@caches.register_timed
def _forget_secret() -> None:
    global _last
    _last = None


def prepare_reader() -> None:
    """Build the secret reader without reading anything (primes a SnapStart snapshot)."""
    clients.secretsmanager()


def _read_failure(name: str, cause: BaseException | None) -> GatewayError:
    if isinstance(cause, ConnectionError | HTTPClientError):
        return _unavailable(name, type(cause).__name__)
    if isinstance(cause, ClientError):
        code = error_code(cause) or "unknown"
        status = int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if code in _TRANSIENT_AWS_CODES or status >= 500:
            return _unavailable(name, code)
        return SecretInvalid(f"secret {name} could not be read ({code})")
    reason = type(cause).__name__ if cause else "unknown error"
    return SecretInvalid(f"secret {name} could not be read ({reason})")


def _unavailable(name: str, reason: str) -> DependencyUnavailable:
    return DependencyUnavailable(
        f"Secrets Manager unavailable while reading {name} ({reason})",
        code="secret_unavailable",
        retry_after=_RETRY_AFTER_SECONDS,
    )


def _parse(name: str, raw: Any) -> AdminCredentials:
    if not isinstance(raw, dict):
        raise SecretInvalid(f"secret {name} is not a JSON object")
    try:
        return AdminCredentials.model_validate(raw)
    except ValidationError as exc:
        # Only field names and error types: the input values are the secret.
        problems = ", ".join(
            f"{'.'.join(map(str, err['loc']))} ({err['type']})" for err in exc.errors()
        )
        raise SecretInvalid(f"secret {name} is malformed: {problems}") from None
