"""Once per key (docs/architecture.md §12): Powertools idempotency over DynamoDB.

The record key is (scope, key): the caller's IAM principal for HTTP, the event `source` for
EventBridge. The request body is hashed as the payload, so the same key with another body is a
422. Only successes are remembered: a push that raised is deleted from the store and may be
retried; its MsgRandom (derived from the same scope and key) lets upstream de-duplicate it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, Protocol

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from botocore.exceptions import BotoCoreError, ClientError

from push_common import caches, clients
from push_common.aws_errors import as_dependency_error
from push_common.errors import DependencyUnavailable, IdempotencyInProgress, IdempotencyKeyReused
from push_common.push.request import PushRequest
from push_common.push.service import PushContext, PushDeps, submit
from push_common.settings import get_settings

# Tencent de-duplicates a MsgRandom for 7 days; remembering results as long keeps both aligned.
WINDOW_SECONDS = 7 * 86400


class LambdaContextLike(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


Submit = Callable[..., dict[str, Any]]


@caches.register
@cache
def _guarded() -> tuple[Submit, IdempotencyConfig]:
    settings = get_settings()
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.require("idempotency_table"), boto3_client=clients.dynamodb()
    )
    config = IdempotencyConfig(
        event_key_jmespath="[scope, key]",
        payload_validation_jmespath="request",
        expires_after_seconds=WINDOW_SECONDS,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(
        data_keyword_argument="envelope", persistence_store=persistence, config=config
    )
    def run(
        *,
        envelope: dict[str, Any],
        req: PushRequest,
        ctx: PushContext,
        deps: PushDeps,
        executed: list[bool],
    ) -> dict[str, Any]:
        executed.append(True)  # tells the caller this was not a replay from the store
        return submit(req, ctx, deps)

    return run, config


def register_context(context: LambdaContextLike) -> None:
    """In-progress records then expire with this invocation, so a killed Lambda can be retried."""
    _guarded()[1].register_lambda_context(context)  # type: ignore[arg-type]


def submit_once(req: PushRequest, ctx: PushContext, deps: PushDeps) -> dict[str, Any]:
    """`submit`, at most once per (scope, key); without a key, simply `submit`."""
    return submit_once_traced(req, ctx, deps)[0]


def submit_once_traced(
    req: PushRequest, ctx: PushContext, deps: PushDeps
) -> tuple[dict[str, Any], bool]:
    """(result, replayed): `replayed` is True when the result came from the store."""
    if ctx.idempotency_key is None:
        return submit(req, ctx, deps), False
    envelope = {
        "scope": ctx.idempotency_scope or "",
        "key": ctx.idempotency_key,
        "request": req.model_dump(mode="json", by_alias=True, exclude_defaults=True),
    }
    run, _ = _guarded()
    executed: list[bool] = []
    try:
        result = run(envelope=envelope, req=req, ctx=ctx, deps=deps, executed=executed)
    except IdempotencyAlreadyInProgressError as exc:
        raise IdempotencyInProgress(
            "a request with this Idempotency-Key is still being processed", retry_after=2
        ) from exc
    except IdempotencyValidationError as exc:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body"
        ) from exc
    except IdempotencyPersistenceLayerError as exc:
        cause = exc.__cause__
        if isinstance(cause, ClientError | BotoCoreError):
            raise as_dependency_error(cause, service="DynamoDB (idempotency)") from exc
        raise DependencyUnavailable(
            "the idempotency store is unavailable", code="aws_unavailable", retry_after=2
        ) from exc
    return result, not executed
