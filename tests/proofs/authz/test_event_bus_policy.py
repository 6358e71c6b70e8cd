"""The event door: who may put events on the stack's bus (its resource policy in template.yaml).

Evaluated for a deployment with partner accounts, the widest configuration: this account may
put events (its IAM policies then decide which principals), each partner only with the allowed
sources, nobody else at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from devstack.intrinsics import evaluate, parameter_values
from devstack.template import load_template, resources_of_type

TEMPLATE = load_template()
OWN_ROOT = "arn:aws:iam::123456789012:root"
PARTNERS = ["210987654321", "333344445555"]
SOURCES = ["orders-service", "billing"]
PARAMS = {
    **parameter_values(TEMPLATE, {}, {}),
    "PartnerAccounts": ",".join(PARTNERS),
    "AllowedEventSources": ",".join(SOURCES),
}
POLICIES = resources_of_type(TEMPLATE, "AWS::Events::EventBusPolicy")


def _statements() -> list[dict[str, Any]]:
    out = []
    for resource in POLICIES.values():
        condition = resource.get("Condition")
        if condition and not evaluate({"Condition": condition}, TEMPLATE, PARAMS, "r"):
            continue
        out.append(evaluate(resource["Properties"]["Statement"], TEMPLATE, PARAMS, "r"))
    return out


STATEMENTS = _statements()


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement["Principal"]
    assert isinstance(principal, dict) and set(principal) == {"AWS"}, principal  # never "*"
    aws = principal["AWS"]
    return aws if isinstance(aws, list) else [aws]


def test_policies_use_statements_on_the_stacks_own_bus() -> None:
    assert len(POLICIES) == 2 and len(STATEMENTS) == 2
    for resource in POLICIES.values():
        props = resource["Properties"]
        assert props["EventBusName"] == {"Ref": "EventBus"}
        # the legacy single-grant properties (Principal, Action, Condition) are not used
        assert set(props) == {"EventBusName", "StatementId", "Statement"}


@pytest.mark.parametrize("statement", STATEMENTS, ids=lambda s: str(s["Principal"]))
def test_each_statement_allows_only_put_events_on_the_bus(statement: dict[str, Any]) -> None:
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}


def test_who_may_put_events() -> None:
    principals = sorted(p for s in STATEMENTS for p in _principals(s))
    assert principals == sorted([OWN_ROOT, *PARTNERS])


def test_other_accounts_only_with_the_allowed_sources() -> None:
    for statement in STATEMENTS:
        if _principals(statement) == [OWN_ROOT]:
            continue
        assert statement["Condition"] == {"StringEquals": {"events:source": SOURCES}}


def test_partners_are_never_granted_without_an_allow_list() -> None:
    # The template's Rules refuse the deployment; this checks they name both parameters.
    rule = TEMPLATE["Rules"]["PartnerAccountsNeedAllowedSources"]
    assert "PartnerAccounts" in str(rule["RuleCondition"])
    assert "AllowedEventSources" in str(rule["Assertions"][0]["Assert"])
