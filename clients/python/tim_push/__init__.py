"""Python SDK of tim-push-gateway: SigV4-signed, idempotent pushes and audience management.

from tim_push import Audience, TimPushClient
client = TimPushClient("https://abc123.execute-api.ap-southeast-1.amazonaws.com")
answer = client.push(Audience.tags(any_of=["vip"]), text="Sale starts now")
"""

from __future__ import annotations

__version__ = "0.1.0"

from tim_push.client import TimPushClient, new_idempotency_key
from tim_push.errors import (
    BadRequest,
    ConfigurationError,
    Conflict,
    FieldError,
    Forbidden,
    InternalError,
    NotFound,
    OutcomeUnknown,
    PayloadTooLarge,
    ProblemError,
    RateLimited,
    RefusedError,
    ResponseTimeout,
    ServerError,
    ServiceUnavailable,
    TimPushError,
    TransportError,
    UpstreamRejected,
    UpstreamTimeout,
    ValidationFailed,
)
from tim_push.models import Audience
from tim_push.transport import Timeouts

__all__ = [
    "Audience",
    "BadRequest",
    "ConfigurationError",
    "Conflict",
    "FieldError",
    "Forbidden",
    "InternalError",
    "NotFound",
    "OutcomeUnknown",
    "PayloadTooLarge",
    "ProblemError",
    "RateLimited",
    "RefusedError",
    "ResponseTimeout",
    "ServerError",
    "ServiceUnavailable",
    "TimPushClient",
    "TimPushError",
    "Timeouts",
    "TransportError",
    "UpstreamRejected",
    "UpstreamTimeout",
    "ValidationFailed",
    "__version__",
    "new_idempotency_key",
]
