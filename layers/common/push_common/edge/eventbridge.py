"""EventBridge events → their envelope (id, source, detail). What a detail means is the
feature's business (`push.event_api` for `Push Requested`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import ValidationError

from push_common.errors import BadRequest


@dataclass(frozen=True)
class EventEnvelope:
    event_id: str
    source: str
    detail: dict[str, Any]  # {} when the detail is not a JSON object
    account: str | None = None  # the account the event was put from


def parse_event_envelope(event: dict[str, Any]) -> EventEnvelope:
    """Validate the envelope with Powertools' EventBridge model; the detail is validated later."""
    try:
        envelope = EventBridgeModel.model_validate(event)
    except ValidationError as exc:
        raise BadRequest("not an EventBridge event", code="invalid_event") from exc
    detail = envelope.detail if isinstance(envelope.detail, dict) else {}
    return EventEnvelope(
        event_id=envelope.id, source=envelope.source, detail=detail, account=envelope.account
    )
