"""EventBridge `Push Requested` events → (request, context) for the push service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import ValidationError

from push_common.errors import BadRequest
from push_common.identity import Caller, event_caller
from push_common.push.request import PushRequestedDetail
from push_common.push.validation import validate_model


@dataclass(frozen=True)
class PushRequestedEvent:
    event_id: str
    source: str
    idempotency_key: str  # detail.idempotency_key, else the event id
    detail: dict[str, Any]
    account: str | None = None  # the account the event was put from
    own_account: str | None = None  # this stack's account

    @property
    def caller(self) -> Caller:
        """`eventbridge:<source>`, qualified by the account when that is not ours."""
        return event_caller(self.source, self.account, self.own_account)

    def request(self) -> PushRequestedDetail:
        """The detail validated exactly like an HTTP body (422 with field problems)."""
        return validate_model(PushRequestedDetail, self.detail)


def parse_push_requested(
    event: dict[str, Any], own_account: str | None = None
) -> PushRequestedEvent:
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
        account=envelope.account,
        own_account=own_account,
    )
