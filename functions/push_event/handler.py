"""EventBridge `Push Requested` → the push service. Parsing and wiring only."""

from __future__ import annotations

import time
from typing import Any

from push_common import coldstart, snapstart

# The handler's own modules, in a frame-stack chunk of their own (docs/decisions.md §29);
# the imports below then find them loaded.
coldstart.preload(
    "push_common.observability",
    "push_common.push.deps",
    "push_common.push.event_api",
    "push_common.settings",
)

from push_common.observability import (
    LambdaContext,
    correlation_paths,
    count,
    logger,
    metrics,
)
from push_common.push import event_api
from push_common.push.deps import default_deps
from push_common.push.event_api import handle_push_requested, parse_push_requested
from push_common.settings import get_settings

# SnapStart: primed before the snapshot (scheduling and approvals too, docs/decisions.md §22),
# renewed on restore
snapstart.install(
    event_api.prime,
    snapstart.modules("push_common.push.scheduling", "push_common.push.approval"),
)


def own_account(context: object) -> str | None:
    """This stack's account: STACK_ACCOUNT_ID, else the account in this function's ARN."""
    parts = str(getattr(context, "invoked_function_arn", "") or "").split(":")
    return get_settings().stack_account_id or (parts[4] if len(parts) > 4 and parts[4] else None)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    count("Requests")
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - 1.0
    request = parse_push_requested(event, own_account(context))
    return handle_push_requested(request, default_deps(), deadline=deadline)


coldstart.end()  # the last line: the init phase is over (docs/decisions.md §28)
