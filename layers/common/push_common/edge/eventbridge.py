"""EventBridge `Push Requested` events → (request, context) for the push service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import ValidationError

from push_common.errors import BadRequest
from push_common.push.request import PushRequestedDetail
from push_common.push.validation import validate_model


@dataclass(frozen=True)
class PushRequestedEvent:
    event_id: str
    source: str
    idempotency_key: str  # detail.idempotency_key, else the event id
    detail: dict[str, Any]

    def request(self) -> PushRequestedDetail:
        """The detail validated exactly like an HTTP body (422 with field problems)."""
        return validate_model(PushRequestedDetail, self.detail)


def parse_push_requested(event: dict[str, Any]) -> PushRequestedEvent:
    """Validate the envelope with Powertools' EventBridge model; the detail is validated later."""
    try:
        envelope = EventBridgeModel.model_validate(event)
    except ValidationError as exc:
        raise BadRequest("not an EventBridge event", code="invalid_event") from exc
    detail = envelope.detail if isinstance(envelope.detail, dict) else {}
    key = detail.get("idempotency_key")
    return PushRequestedEvent(
        event_id=envelope.id,
        source=envelope.source,
        idempotency_key=key if isinstance(key, str) and key else envelope.id,
        detail=detail,
    )
