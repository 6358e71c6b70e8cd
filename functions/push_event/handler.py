"""EventBridge `Push Requested` → the push service. Parsing and wiring only."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from push_common.observability import count, logger, metrics
from push_common.push.deps import default_deps
from push_common.push.event_api import handle_push_requested, parse_push_requested
from push_common.push.idempotency import register_context


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    count("Requests")
    register_context(context)
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - 1.0
    return handle_push_requested(parse_push_requested(event), default_deps(), deadline=deadline)
