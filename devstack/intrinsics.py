"""The few CloudFormation intrinsics a rule pattern uses, evaluated for a local deployment.

The rule's event pattern depends on parameters (`!If [HasAllowedEventSources, !Split [...],
!Ref AWS::NoValue]`); the local stack must match events with the pattern CloudFormation would
deploy for the same parameter values, not with the unevaluated template text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from devstack.config import ACCOUNT_ID

NO_VALUE = "AWS::NoValue"
_PSEUDO = {"AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}


_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)\}")


class _Removed:
    """What `!Ref AWS::NoValue` evaluates to: the key (or list item) disappears."""


REMOVED = _Removed()


class UnsupportedIntrinsic(ValueError):
    """An intrinsic the local evaluator does not know (fail loudly, never guess)."""


def parameter_values(
    template: Mapping[str, Any], function_env: Mapping[str, Any], overrides: Mapping[str, str]
) -> dict[str, str]:
    """Parameter name -> value: its default, or the override of the variable that `Ref`s it.

    Locally, parameters are set through the functions' variables (`ALLOWED_EVENT_SOURCES=...
    make run`); a variable `X: !Ref P` given as an override is parameter P's value.
    """
    params = template.get("Parameters", {})
    values = {n: str(p["Default"]) for n, p in params.items() if p.get("Default") is not None}
    for name, raw in function_env.items():
        is_parameter = isinstance(raw, dict) and set(raw) == {"Ref"} and raw["Ref"] in params
        if is_parameter and name in overrides:
            values[str(raw["Ref"])] = overrides[name]
    return values


def evaluate(
    value: Any, template: Mapping[str, Any], parameters: Mapping[str, str], region: str
) -> Any:
    """`value` with Ref, Fn::If, Fn::Split, Fn::Equals, Fn::Not/And/Or, Condition evaluated."""
    return _Evaluator(template, parameters, region).value(value)


class _Evaluator:
    def __init__(
        self, template: Mapping[str, Any], parameters: Mapping[str, str], region: str
    ) -> None:
        self._conditions: Mapping[str, Any] = template.get("Conditions", {})
        self._refs = {**_PSEUDO, "AWS::Region": region, **parameters}

    def value(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.value(v) for v in value]
            return [v for v in items if v is not REMOVED]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                return self._intrinsic(key, arg)
        out = {k: self.value(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not REMOVED}

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            if arg == NO_VALUE:
                return REMOVED
            if arg not in self._refs:
                raise UnsupportedIntrinsic(f"Ref {arg} has no local value")
            return self._refs[arg]
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.value(when_true if self.condition(name) else when_false)
        if key == "Fn::Split":
            separator, text = arg
            # CloudFormation keeps spaces; the parameters forbid them, a local override may not.
            return [part.strip() for part in str(self.value(text)).split(separator)]
        if key in ("Condition", "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._boolean(key, arg)
        if key == "Fn::Sub" and isinstance(arg, str):
            return _SUB_NAME.sub(lambda m: str(self._intrinsic("Ref", m.group(1))), arg)
        if key == "Fn::GetAtt":
            return {key: arg}  # a resource attribute has no value before deployment
        raise UnsupportedIntrinsic(f"{key} is not evaluated locally")

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            raise UnsupportedIntrinsic(f"unknown condition {name}")
        return self._truth(self._conditions[name])

    def _truth(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            return bool(self._boolean(key, arg))
        raise UnsupportedIntrinsic(f"not a condition: {value!r}")

    def _boolean(self, key: str, arg: Any) -> bool:
        if key == "Condition":
            return self.condition(str(arg))
        if key == "Fn::Equals":
            left, right = (self.value(a) for a in arg)
            return bool(left == right)
        if key == "Fn::Not":
            return not self._truth(arg[0])
        if key == "Fn::And":
            return all(self._truth(a) for a in arg)
        if key == "Fn::Or":
            return any(self._truth(a) for a in arg)
        raise UnsupportedIntrinsic(f"{key} is not a condition function")
