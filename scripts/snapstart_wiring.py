"""Transform template.yaml the way CloudFormation's SAM transform does and report, per push
function, its SnapStart setting and what every trigger invokes (docs/architecture.md §10).

Runs with the SAM CLI's interpreter (`.venv-sam/bin/python scripts/snapstart_wiring.py`), which
has samtranslator; prints one JSON object and exits 1 when a trigger does not invoke the alias.
Used by scripts/build.sh and tests/contract/test_template_snapstart.py.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

FUNCTIONS = ("PushApiFunction", "PushEventFunction")
PARAMETERS = {
    "TimSecretArn": "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:tim-AbCdEf",
    "TimRegion": "singapore",
    "AWS::Region": "ap-southeast-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
}


class _NoManagedPolicies:
    """The template names no managed policy, so nothing needs looking up."""

    def load(self) -> dict[str, str]:
        return {}


def _refs(value: Any) -> set[str]:
    """Logical ids a value points at (Ref, Fn::GetAtt, Fn::Sub with ${Id})."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else str(inner).split(".")[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found |= {p.split("}")[0].split(".")[0] for p in str(text).split("${")[1:]}
            found |= _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _refs(inner)
    return found


def _triggers(resources: dict[str, Any]) -> Iterator[tuple[str, set[str], Any]]:
    """(trigger, logical ids it invokes, qualifier) for rules, permissions, invoke configs and
    the HTTP API's route integrations."""
    for name, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Events::Rule":
            yield name, _refs(props.get("Targets")), None
        elif resource["Type"] in ("AWS::Lambda::Permission", "AWS::Lambda::EventInvokeConfig"):
            yield name, _refs(props.get("FunctionName")), props.get("Qualifier")
        elif resource["Type"] == "AWS::ApiGatewayV2::Api":
            for path, operations in props.get("Body", {}).get("paths", {}).items():
                for method, op in operations.items():
                    uri = op.get("x-amazon-apigateway-integration", {}).get("uri")
                    yield f"{method.upper()} {path}", _refs(uri), None


def _owned(resources: dict[str, Any], kind: str, function: str) -> list[str]:
    return [
        name
        for name, resource in resources.items()
        if resource["Type"] == kind and function in _refs(resource["Properties"])
    ]


def _function_wiring(resources: dict[str, Any], function: str) -> dict[str, Any]:
    aliases = _owned(resources, "AWS::Lambda::Alias", function)
    alias = aliases[0] if len(aliases) == 1 else None
    alias_name = alias and resources[alias]["Properties"].get("Name")
    triggers: dict[str, str] = {}  # trigger -> "alias" or "function"
    for trigger, refs, qualifier in _triggers(resources):
        qualified = function in refs and qualifier is not None and qualifier == alias_name
        on_alias = alias is not None and (alias in refs or qualified)
        if on_alias or function in refs:
            triggers[trigger] = "alias" if on_alias else "function"
    return {
        "snap_start": resources[function]["Properties"].get("SnapStart"),
        "alias": alias,
        "alias_name": alias_name,
        "versions": len(_owned(resources, "AWS::Lambda::Version", function)),
        "triggers": triggers,
    }


def wiring(template_path: Path, snap_start: str) -> dict[str, Any]:
    """Per push function: SnapStart, alias, versions and where each trigger points."""
    source = yaml_parse(template_path.read_text(encoding="utf-8"))
    for name, resource in source["Resources"].items():  # as `sam validate`: local paths -> S3
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://bucket/{name}.zip"
    out = transform(source, {**PARAMETERS, "SnapStart": snap_start}, _NoManagedPolicies())
    return {f: _function_wiring(out["Resources"], f) for f in FUNCTIONS}


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
    result = {value: wiring(path, value) for value in ("PublishedVersions", "None")}
    print(json.dumps(result, indent=1, sort_keys=True))
    bad = [
        f"{value}/{fn}/{trigger}"
        for value, functions in result.items()
        for fn, info in functions.items()
        for trigger, target in info["triggers"].items()
        if target != "alias"
    ]
    if bad:
        print(f"snapstart wiring: not on the alias: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
