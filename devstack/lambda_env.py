"""The environment a function gets locally: its template variables resolved against local names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devstack.template import FunctionSpec

# Inherited from the stack's own environment so a worker interpreter behaves normally.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT")


@dataclass(frozen=True)
class LocalNames:
    """Local stand-ins for the template's resources: logical id -> local name, plus fixed ones."""

    refs: Mapping[str, str]
    secret_name: str
    bus_name: str
    tim_base_url: str
    arns: Mapping[str, str] = field(default_factory=dict)  # logical id -> its local ARN


def function_env(
    spec: FunctionSpec,
    names: LocalNames,
    aws_env: Mapping[str, str],
    overrides: Mapping[str, str],
    inherited_from: Mapping[str, str],
) -> dict[str, str]:
    """Template variables (Refs resolved) + local wiring + developer overrides, in that order."""
    env = {n: inherited_from[n] for n in _INHERITED if n in inherited_from}
    for name, raw in spec.environment.items():
        value = resolve(raw, names.refs, names.arns)
        if value is not None:
            env[name] = value
    env.update(
        TIM_SECRET_ID=names.secret_name, TIM_REGION="singapore", TIM_BASE_URL=names.tim_base_url
    )
    if "EVENT_BUS_NAME" in spec.environment:
        env["EVENT_BUS_NAME"] = names.bus_name
    env.update(aws_env)
    env.update(overrides)
    return env


def resolve(raw: Any, refs: Mapping[str, str], arns: Mapping[str, str] | None = None) -> str | None:
    """A literal, a `Ref` or a `!GetAtt X.Arn` we know, as a string; other intrinsics are left
    out (None)."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str | int | float):
        return str(raw)
    if isinstance(raw, dict) and set(raw) == {"Ref"}:
        return refs.get(str(raw["Ref"]))
    if isinstance(raw, dict) and set(raw) == {"Fn::GetAtt"} and raw["Fn::GetAtt"][1] == "Arn":
        return (arns or {}).get(str(raw["Fn::GetAtt"][0]))
    return None
