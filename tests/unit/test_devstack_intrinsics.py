"""The local evaluation of the template's parameter-dependent values (rule patterns)."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.events import matches
from devstack.intrinsics import UnsupportedIntrinsic, evaluate, parameter_values
from devstack.template import functions, load_template

TEMPLATE = load_template()
SPECS = functions(TEMPLATE)
VARIABLES = {k: v for spec in SPECS.values() for k, v in spec.environment.items()}


def _pattern(overrides: dict[str, str]) -> Any:
    params = parameter_values(TEMPLATE, VARIABLES, overrides)
    (pattern,) = SPECS["PushEventFunction"].eventbridge_patterns
    return evaluate(pattern, TEMPLATE, params, "ap-southeast-1")


def _event(source: str) -> dict[str, Any]:
    return {"source": source, "detail-type": "Push Requested", "detail": {}}


def test_parameters_follow_the_variables_that_ref_them() -> None:
    params = parameter_values(TEMPLATE, VARIABLES, {"ALLOWED_EVENT_SOURCES": "a,b"})
    assert params["AllowedEventSources"] == "a,b"
    assert parameter_values(TEMPLATE, VARIABLES, {})["AllowedEventSources"] == ""
    assert params["PushDailyLimit"] == "100"  # defaults for the rest


def test_without_an_allow_list_the_local_rule_takes_every_source() -> None:
    pattern = _pattern({})
    assert pattern == {"detail-type": ["Push Requested"]}
    assert matches(pattern, _event("anyone"))


def test_with_an_allow_list_the_local_rule_takes_only_those_sources() -> None:
    pattern = _pattern({"ALLOWED_EVENT_SOURCES": "orders-service, billing"})
    assert pattern["source"] == ["orders-service", "billing"]
    assert matches(pattern, _event("billing"))
    assert not matches(pattern, _event("mallory"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}, "arn:aws:iam::1:root"),
        ({"Fn::If": ["C", "yes", "no"]}, "yes"),
        ({"Fn::If": ["NotC", "yes", {"Ref": "AWS::NoValue"}]}, None),
        ([{"Ref": "AWS::NoValue"}, "kept"], ["kept"]),
        ({"k": {"Fn::If": ["NotC", 1, {"Ref": "AWS::NoValue"}]}, "j": 2}, {"j": 2}),
        ({"Fn::GetAtt": ["Bus", "Arn"]}, {"Fn::GetAtt": ["Bus", "Arn"]}),
        ({"Fn::Split": [",", {"Ref": "P"}]}, ["x", "y"]),
    ],
)
def test_evaluated_intrinsics(value: Any, expected: Any) -> None:
    template = {
        "Conditions": {
            "C": {"Fn::Not": [{"Fn::Equals": [{"Ref": "P"}, ""]}]},
            "NotC": {
                "Fn::And": [{"Fn::Not": [{"Condition": "C"}]}, {"Fn::Or": [{"Condition": "C"}]}]
            },
        }
    }
    out = evaluate({"v": value}, template, {"P": "x,y", "AWS::AccountId": "1"}, "r")
    assert out.get("v") == expected


@pytest.mark.parametrize(
    "value",
    [{"Ref": "Unknown"}, {"Fn::If": ["Missing", 1, 2]}, {"Fn::Join": ["", []]}],
)
def test_unknown_intrinsics_fail_loudly(value: Any) -> None:
    with pytest.raises(UnsupportedIntrinsic):
        evaluate(value, {"Conditions": {}}, {}, "r")
