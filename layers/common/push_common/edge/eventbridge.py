"""EventBridge events → their envelope (id, source, detail). What a detail means is the
feature's business (`push.event_api` for `Push Requested`).

The envelope model has the fields and types of Powertools' `EventBridgeModel`, declared here:
importing that one loads every event model Powertools ships (ALB, S3, SQS, Kinesis, ...), which no
request of ours needs and every cold start of push_event paid for (docs/architecture.md §10).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from push_common.errors import BadRequest


@dataclass(frozen=True)
class EventEnvelope:
    event_id: str
    source: str
    detail: dict[str, Any]  # {} when the detail is not a JSON object
    account: str | None = None  # the account the event was put from


class EventBridgeEnvelope(BaseModel):
    """An EventBridge event as delivered to a Lambda target (the detail is not looked into)."""

    model_config = ConfigDict(defer_build=True)

    version: str
    id: str
    source: str
    account: str
    time: datetime
    region: str
    resources: list[str]
    detail_type: str | None = Field(None, alias="detail-type")
    detail: dict[str, Any]
    replay_name: str | None = Field(None, alias="replay-name")


def parse_event_envelope(event: dict[str, Any]) -> EventEnvelope:
    """Validate the envelope; the detail is validated later, by the feature."""
    try:
        envelope = EventBridgeEnvelope.model_validate(event)
    except ValidationError as exc:
        raise BadRequest("not an EventBridge event", code="invalid_event") from exc
    detail = envelope.detail if isinstance(envelope.detail, dict) else {}
    return EventEnvelope(
        event_id=envelope.id, source=envelope.source, detail=detail, account=envelope.account
    )
