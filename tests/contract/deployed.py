"""The template's values as a deployment would see them (parameters with their defaults)."""

from __future__ import annotations

from typing import Any

from devstack.template import parameter_defaults

# Pseudo parameters as CloudFormation would give them.
PSEUDO_PARAMETERS = {"AWS::AccountId": "123456789012", "AWS::Region": "ap-southeast-1"}
# Values a deployer must pass (the parameters without defaults).
REQUIRED_PARAMETERS = {
    "TimSecretArn": (
        "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:tim-push-gateway/admin-AbCdEf"
    ),
    "TimRegion": "singapore",
}


def resolve(value: Any, template: dict[str, Any]) -> str:
    """A deployed environment value: parameters as deployed with defaults, resources by id."""
    if isinstance(value, dict) and "Ref" in value:
        name = str(value["Ref"])
        parameters = {**parameter_defaults(template), **REQUIRED_PARAMETERS, **PSEUDO_PARAMETERS}
        if name in parameters:
            return str(parameters[name])
        assert name in template["Resources"], f"Ref to unknown {name}"
        return f"{name}-physical-name"
    if isinstance(value, dict) and "Fn::If" in value:
        condition, when_true, _ = value["Fn::If"]
        assert condition in template["Conditions"]
        return resolve(when_true, template)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        assert logical_id in template["Resources"], f"GetAtt of unknown {logical_id}"
        assert attribute == "Arn", f"unexpected attribute {attribute}"
        return f"arn:aws:service:ap-southeast-1:123456789012:{logical_id}"
    assert not isinstance(value, dict | list), f"unexpected intrinsic {value}"
    return str(value)
