"""Read `template.yaml` the way the local stack and the contract tests need it.

CloudFormation short-form tags (`!Ref`, `!GetAtt`, `!Sub`, `!If`, ...) become their long-form
dicts (`{"Ref": x}`, `{"Fn::GetAtt": [id, attr]}`), so everything downstream sees plain data and
the template stays the single source of truth for handlers, routes, rules and table schemas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
FUNCTION_TYPE = "AWS::Serverless::Function"


@dataclass(frozen=True)
class FunctionSpec:
    """One `AWS::Serverless::Function`, with `Globals.Function` already applied."""

    logical_id: str
    code_uri: str
    handler: str
    module: str
    timeout: int
    memory: int
    environment: dict[str, Any]
    http_routes: list[tuple[str, str]]
    eventbridge_patterns: list[dict[str, Any]]


@dataclass(frozen=True)
class TableSpec:
    """One `AWS::DynamoDB::Table`: what an emulator needs to create it."""

    logical_id: str
    key_schema: list[dict[str, Any]]
    attribute_definitions: list[dict[str, Any]]
    ttl_attribute: str | None
    global_indexes: list[dict[str, Any]] = field(default_factory=list)


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that also accepts CloudFormation's short-form intrinsic tags."""


def _construct_intrinsic(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data, intrinsic functions in their long form."""
    with path.open(encoding="utf-8") as stream:
        data: dict[str, Any] = yaml.load(stream, Loader=_CfnLoader)  # SafeLoader subclass
    return data


def resources_of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource for every resource of `type_name`."""
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == type_name
    }


def parameter_defaults(template: dict[str, Any]) -> dict[str, Any]:
    """Parameter name -> its `Default` (None when it has none)."""
    return {name: p.get("Default") for name, p in template.get("Parameters", {}).items()}


def functions(template: dict[str, Any]) -> dict[str, FunctionSpec]:
    """Every function of the template, keyed by logical id."""
    defaults = template.get("Globals", {}).get("Function", {})
    rule_patterns = _rule_patterns_by_target(template)
    return {
        logical_id: _function_spec(
            logical_id, resource.get("Properties", {}), defaults, rule_patterns.get(logical_id, [])
        )
        for logical_id, resource in resources_of_type(template, FUNCTION_TYPE).items()
    }


def tables(template: dict[str, Any]) -> dict[str, TableSpec]:
    """Every DynamoDB table of the template, keyed by logical id."""
    specs: dict[str, TableSpec] = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        props = resource.get("Properties", {})
        ttl = props.get("TimeToLiveSpecification", {})
        specs[logical_id] = TableSpec(
            logical_id=logical_id,
            key_schema=list(props.get("KeySchema", [])),
            attribute_definitions=list(props.get("AttributeDefinitions", [])),
            ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") is True else None,
            global_indexes=list(props.get("GlobalSecondaryIndexes", [])),
        )
    return specs


def route_table(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(METHOD, path) -> logical id of the function that serves it."""
    return {
        route: spec.logical_id
        for spec in functions(template).values()
        for route in spec.http_routes
    }


def iam_actions(template: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Function logical id -> resource key -> AWS actions granted (`Mappings.IamActions`)."""
    mapping: dict[str, dict[str, list[str]]] = template.get("Mappings", {}).get("IamActions", {})
    return mapping


def _function_spec(
    logical_id: str,
    props: dict[str, Any],
    defaults: dict[str, Any],
    extra_patterns: list[dict[str, Any]],
) -> FunctionSpec:
    merged = {**defaults, **props}
    code_uri = str(merged["CodeUri"]).strip("/")
    handler = str(merged["Handler"])
    module_path = handler.rsplit(".", 1)[0].replace("/", ".")
    events = list(props.get("Events", {}).values())
    return FunctionSpec(
        logical_id=logical_id,
        code_uri=code_uri,
        handler=handler,
        module=".".join([*Path(code_uri).parts, module_path]),
        timeout=int(merged.get("Timeout", 3)),
        memory=int(merged.get("MemorySize", 128)),
        environment={
            **defaults.get("Environment", {}).get("Variables", {}),
            **props.get("Environment", {}).get("Variables", {}),
        },
        http_routes=[
            (str(e["Properties"]["Method"]).upper(), str(e["Properties"]["Path"]))
            for e in _events_of_type(events, "HttpApi")
        ],
        eventbridge_patterns=[
            *(e["Properties"]["Pattern"] for e in _events_of_type(events, "EventBridgeRule")),
            *extra_patterns,
        ],
    )


def _events_of_type(events: Iterable[dict[str, Any]], type_name: str) -> list[dict[str, Any]]:
    return [event for event in events if event.get("Type") == type_name]


def _rule_patterns_by_target(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Patterns of stand-alone `AWS::Events::Rule` resources, keyed by the function they target."""
    patterns: dict[str, list[dict[str, Any]]] = {}
    for resource in resources_of_type(template, "AWS::Events::Rule").values():
        props = resource.get("Properties", {})
        for target in props.get("Targets", []):
            logical_id = _function_of_arn(target.get("Arn"))
            if logical_id is not None and "EventPattern" in props:
                patterns.setdefault(logical_id, []).append(props["EventPattern"])
    return patterns


def _function_of_arn(arn: Any) -> str | None:
    """Logical id behind `!GetAtt Fn.Arn` or `!Ref Fn` (an alias ARN `!Ref Fn.Alias` too)."""
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        return str(arn["Fn::GetAtt"][0])
    if isinstance(arn, dict) and "Ref" in arn:
        return str(arn["Ref"]).split(".", 1)[0]
    return None
