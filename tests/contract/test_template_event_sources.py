"""Who may push by event, in template.yaml: the rule's sources, the bus policy, the settings.

Values are evaluated the way CloudFormation would for given parameters (devstack.intrinsics,
the same evaluator the local stack matches events with).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from devstack.intrinsics import evaluate, parameter_values
from devstack.template import FunctionSpec

REGION = "ap-southeast-1"
OWN = "123456789012"
PARTNERS = "210987654321,333344445555"


def _params(template: dict[str, Any], **given: str) -> dict[str, str]:
    return {**parameter_values(template, {}, {}), **given}


def _rule_pattern(template: dict[str, Any], **given: str) -> Any:
    events = template["Resources"]["PushEventFunction"]["Properties"]["Events"]
    pattern = events["PushRequested"]["Properties"]["Pattern"]
    return evaluate(pattern, template, _params(template, **given), REGION)


def _active(template: dict[str, Any], logical_id: str, **given: str) -> bool:
    condition = template["Resources"][logical_id].get("Condition")
    if condition is None:
        return True
    return bool(evaluate({"Condition": condition}, template, _params(template, **given), REGION))


def _statement(template: dict[str, Any], logical_id: str, **given: str) -> Any:
    statement = template["Resources"][logical_id]["Properties"]["Statement"]
    return evaluate(statement, template, _params(template, **given), REGION)


def test_rule_matches_any_source_without_an_allow_list(template: dict[str, Any]) -> None:
    assert _rule_pattern(template) == {"detail-type": ["Push Requested"]}


def test_rule_matches_only_the_allowed_sources(template: dict[str, Any]) -> None:
    pattern = _rule_pattern(template, AllowedEventSources="orders-service,billing")
    assert pattern == {"detail-type": ["Push Requested"], "source": ["orders-service", "billing"]}


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("AllowedEventSources", ["", "orders", "com.example.orders,billing"], ["a, b", "a,", ",a"]),
        ("PartnerAccounts", ["", "210987654321", PARTNERS], ["2109876543", "210987654321,", "x"]),
    ],
)
def test_comma_list_parameters_refuse_what_fn_split_would_get_wrong(
    template: dict[str, Any], name: str, good: list[str], bad: list[str]
) -> None:
    pattern = re.compile(template["Parameters"][name]["AllowedPattern"])
    assert all(pattern.fullmatch(v) for v in good)
    assert not any(pattern.fullmatch(v) for v in bad)


def test_the_function_checks_the_same_sources_and_knows_its_account(
    specs: dict[str, FunctionSpec],
) -> None:
    env = specs["PushEventFunction"].environment
    assert env["ALLOWED_EVENT_SOURCES"] == {"Ref": "AllowedEventSources"}
    assert env["STACK_ACCOUNT_ID"] == {"Ref": "AWS::AccountId"}


def test_the_http_function_knows_the_admins(specs: dict[str, FunctionSpec]) -> None:
    assert specs["PushApiFunction"].environment["ADMIN_PRINCIPALS"] == {"Ref": "AdminPrincipals"}


def test_this_account_may_put_events_on_the_bus(template: dict[str, Any]) -> None:
    policy = template["Resources"]["EventBusOwnAccountPolicy"]
    assert policy["Type"] == "AWS::Events::EventBusPolicy"
    assert policy["Properties"]["EventBusName"] == {"Ref": "EventBus"}
    assert _active(template, "EventBusOwnAccountPolicy")
    statement = _statement(template, "EventBusOwnAccountPolicy")
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OWN}:root"}
    assert (statement["Effect"], statement["Action"]) == ("Allow", "events:PutEvents")
    assert statement["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    assert "Condition" not in statement


def test_no_partner_statement_without_partners(template: dict[str, Any]) -> None:
    assert not _active(template, "EventBusPartnerAccountsPolicy")


def test_partners_may_put_only_the_allowed_sources(template: dict[str, Any]) -> None:
    given = {"PartnerAccounts": PARTNERS, "AllowedEventSources": "orders-service,billing"}
    assert _active(template, "EventBusPartnerAccountsPolicy", **given)
    statement = _statement(template, "EventBusPartnerAccountsPolicy", **given)
    assert statement["Principal"] == {"AWS": PARTNERS.split(",")}
    assert (statement["Effect"], statement["Action"]) == ("Allow", "events:PutEvents")
    assert statement["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    assert statement["Condition"] == {
        "StringEquals": {"events:source": ["orders-service", "billing"]}
    }


def test_the_stack_never_writes_the_policy_of_an_existing_bus(template: dict[str, Any]) -> None:
    given = {
        "ExistingEventBusName": "shared",
        "PartnerAccounts": PARTNERS,
        "AllowedEventSources": "orders-service",
    }
    assert not _active(template, "EventBusOwnAccountPolicy", **given)
    assert not _active(template, "EventBusPartnerAccountsPolicy", **given)


def test_partners_require_an_allow_list_and_the_stacks_own_bus(template: dict[str, Any]) -> None:
    rule = template["Rules"]["PartnerAccountsNeedAllowedSources"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "PartnerAccounts"}, ""]}]}
    asserted = [a["Assert"] for a in rule["Assertions"]]
    assert asserted == [
        {"Fn::Not": [{"Fn::Equals": [{"Ref": "AllowedEventSources"}, ""]}]},
        {"Fn::Equals": [{"Ref": "ExistingEventBusName"}, ""]},
    ]
