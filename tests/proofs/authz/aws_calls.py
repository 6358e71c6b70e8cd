"""Record every AWS API call a handler makes, as the IAM action and template resource it needs.

Every botocore client goes through `BaseClient._make_api_call`, whichever session built it
(boto3's default one, or the private sessions Powertools' providers create), so wrapping that
one method sees them all. Calls are recorded whether they succeed or fail: IAM is checked before
DynamoDB evaluates a condition, so a refused conditional write still needs its permission.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.client

# Request parameters that name the resource a call acts on, per service (IAM signing name).
_RESOURCE_PARAMS = {
    "dynamodb": "TableName",
    "secretsmanager": "SecretId",
    "scheduler": "GroupName",
}
DEFAULT_BUS = "default"
_METHOD = "_make_api_call"  # not in botocore's stubs


@dataclass(frozen=True)
class AwsCall:
    """One API call: its IAM action (`dynamodb:UpdateItem`) and the resource key it acted on."""

    action: str
    resource: str
    phase: str


@dataclass
class AwsCallRecorder:
    """Maps local resource names (`push-quota`) to template resource keys (`QuotaTable`)."""

    resource_keys: Mapping[str, str]
    calls: list[AwsCall] = field(default_factory=list)
    phase: str = "aws"  # scenarios name the conditions the next calls are made under

    def granted_form(self, phase: str | None = None) -> dict[str, set[str]]:
        """Resource key -> actions called (in `phase`, or in any), as `Mappings.IamActions`."""
        out: dict[str, set[str]] = {}
        for call in self.calls:
            if phase is None or call.phase == phase:
                out.setdefault(call.resource, set()).add(call.action)
        return out

    def clear(self) -> None:
        self.calls.clear()

    def note(self, service: str, operation: str, params: Mapping[str, Any]) -> None:
        action = f"{service}:{operation}"
        for name in resource_names(service, params):
            resource = self.resource_keys.get(name, f"unknown:{name}")
            self.calls.append(AwsCall(action, resource, self.phase))
        for role in passed_roles(service, params):
            resource = self.resource_keys.get(role, f"unknown:{role}")
            self.calls.append(AwsCall("iam:PassRole", resource, self.phase))

    @contextlib.contextmanager
    def recording(self) -> Iterator[AwsCallRecorder]:
        """Record every call made inside the block (and only those)."""
        client_class = botocore.client.BaseClient
        original = vars(client_class)[_METHOD]

        def wrapper(client: Any, operation: str, params: dict[str, Any]) -> Any:
            self.note(client.meta.service_model.signing_name, operation, params)
            return original(client, operation, params)

        setattr(client_class, _METHOD, wrapper)
        try:
            yield self
        finally:
            setattr(client_class, _METHOD, original)


def resource_names(service: str, params: Mapping[str, Any]) -> list[str]:
    """Local names of the resources one call touches (PutEvents: one per entry's bus)."""
    if service == "events" and "Entries" in params:
        return sorted({str(e.get("EventBusName") or DEFAULT_BUS) for e in params["Entries"]})
    param = _RESOURCE_PARAMS.get(service)
    if param is not None and param in params:
        if service == "dynamodb" and "IndexName" in params:  # IAM checks the index's ARN
            return [f"{params[param]}/index/{params['IndexName']}"]
        return [str(params[param])]
    return [f"{service}:*"]


def passed_roles(service: str, params: Mapping[str, Any]) -> list[str]:
    """Roles a call hands to a service, which IAM checks as `iam:PassRole` on the caller:
    a schedule's target role (docs/architecture.md §14)."""
    if service == "scheduler" and "Target" in params:
        return [str(params["Target"]["RoleArn"])]
    return []


def strip_old_item(parsed: dict[str, Any], **_: Any) -> None:
    """botocore `after-call` hook: answer a failed condition without the old item, as dynalite
    (the local stack's DynamoDB) does, since it ignores ReturnValuesOnConditionCheckFailure."""
    if parsed.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
        parsed.pop("Item", None)
