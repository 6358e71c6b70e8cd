"""EventBridge Scheduler `{"push_id": ...}` → fire the scheduled push. Parsing and wiring only."""

from __future__ import annotations

import time
from typing import Any

from push_common import coldstart

# The handler's own modules, in a frame-stack chunk of their own (docs/decisions.md §29);
# the imports below then find them loaded.
coldstart.preload(
    "push_common.observability",
    "push_common.push.deps",
    "push_common.push.dispatch",
)

from push_common.observability import LambdaContext, count, logger, metrics
from push_common.push.deps import default_deps
from push_common.push.dispatch import dispatch, parse_dispatch


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    count("Requests")
    push_id = parse_dispatch(event)
    if push_id is None:  # not retried: no schedule of ours sends this
        logger.error("dispatcher invoked without a push_id")
        return {"outcome": "invalid_event"}
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - 1.0
    return dispatch(push_id, default_deps(), deadline=deadline)


coldstart.end()  # the last line: the init phase is over (docs/decisions.md §28)
