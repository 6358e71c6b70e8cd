"""AWS clients created once per process (on first use) and reused across warm invocations.

They are boto3's low-level clients made by its core, botocore, directly: boto3's own layer adds
resources and S3 transfers, which we never use, and ~60 modules to every cold start
(docs/decisions.md §32).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config

from push_common import caches

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

# Tight timeouts: a synchronous caller waits on us; botocore's standard mode retries throttles.
# No client-side parameter validation: our requests are built by our code, the service checks
# them anyway, and the check walks every request's shape on each call (docs/decisions.md §23).
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=3,
    retries={"mode": "standard", "total_max_attempts": 3},
    parameter_validation=False,
)


@caches.register
@cache
def _session() -> botocore.session.Session:
    """One session per process, as boto3's default session: it loads each service model once."""
    return botocore.session.get_session()


@caches.register
@cache
def dynamodb() -> DynamoDBClient:
    return cast("DynamoDBClient", _session().create_client("dynamodb", config=_CONFIG))


@caches.register
@cache
def eventbridge() -> EventBridgeClient:
    return cast("EventBridgeClient", _session().create_client("events", config=_CONFIG))


@caches.register
@cache
def secretsmanager() -> SecretsManagerClient:
    return cast("SecretsManagerClient", _session().create_client("secretsmanager", config=_CONFIG))


@caches.register
@cache
def scheduler() -> Any:  # no mypy_boto3 stubs are pinned for EventBridge Scheduler
    return _session().create_client("scheduler", config=_CONFIG)


@caches.register_renewal
def close_connections() -> None:
    """Close the pooled connections of every client built so far (kept, they reconnect)."""
    for built in (dynamodb, eventbridge, secretsmanager, scheduler):
        if built.cache_info().currsize:
            client: Any = built()
            client._endpoint.http_session.close()  # botocore's URLLib3Session: pools cleared
