"""The `POST /v1/pushes` and `GET /v1/quota` use cases, fed by the edge with plain values."""

from __future__ import annotations

from typing import Any

from push_common.body import decode_json_object
from push_common.push.records import PushAnswer
from push_common.push.request import PushRequest
from push_common.push.service import PushContext, PushDeps, dry_run
from push_common.push.submission import submit_push
from push_common.push.validation import validate_model


def handle_push(
    raw: bytes, ctx: PushContext, deps: PushDeps
) -> PushAnswer | tuple[int, dict[str, Any]]:
    """A dry run's (200, body), or the push's answer (fresh or replayed from its record)."""
    data = decode_json_object(raw, max_bytes=deps.settings.max_body_bytes)
    req = validate_model(PushRequest, data)
    if req.dry_run:
        return 200, dry_run(req, ctx, deps)
    return submit_push(req, ctx, deps)


def handle_quota(deps: PushDeps) -> dict[str, Any]:
    """The app's quota right now (docs/architecture.md §3.2)."""
    return deps.quota(deps.credentials()).snapshot().to_dict()
