"""Who may put events on the local bus: the template's `AWS::Events::EventBusPolicy` statements.

`POST /_local/events` with `X-Local-Caller-Arn` puts events as that principal's account, so a
partner account's events can be tried locally. The own account may always put events (its IAM
policies decide, and locally everyone is allowed); another account needs an Allow statement
naming it whose `events:source` condition (StringEquals, the only one the template uses) admits
the entry's source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from devstack.intrinsics import evaluate
from devstack.template import resources_of_type

_ACCOUNT_IN_PRINCIPAL = re.compile(r"^(?:arn:aws[a-z-]*:iam::)?([0-9]{12})(?::root)?$")


@dataclass(frozen=True)
class Grant:
    accounts: frozenset[str]
    sources: frozenset[str] | None  # None: any source


@dataclass(frozen=True)
class BusPolicy:
    own_account: str
    grants: Sequence[Grant]

    def allows(self, account: str, source: str) -> bool:
        if account == self.own_account:
            return True
        return any(
            account in g.accounts and (g.sources is None or source in g.sources)
            for g in self.grants
        )


def bus_policy(
    template: Mapping[str, Any], parameters: Mapping[str, str], region: str, own_account: str
) -> BusPolicy:
    """The grants of the statements active for these parameters."""
    grants = []
    for resource in resources_of_type(dict(template), "AWS::Events::EventBusPolicy").values():
        condition = resource.get("Condition")
        if condition and not evaluate({"Condition": condition}, template, parameters, region):
            continue
        statement = evaluate(resource["Properties"]["Statement"], template, parameters, region)
        if statement.get("Effect") == "Allow":
            grants.append(_grant(statement))
    return BusPolicy(own_account, tuple(grants))


def _grant(statement: Mapping[str, Any]) -> Grant:
    principal = statement.get("Principal", {})
    aws = principal.get("AWS", []) if isinstance(principal, dict) else []
    accounts = {
        m.group(1)
        for p in (aws if isinstance(aws, list) else [aws])
        if (m := _ACCOUNT_IN_PRINCIPAL.match(str(p)))
    }
    sources = statement.get("Condition", {}).get("StringEquals", {}).get("events:source")
    if isinstance(sources, str):
        sources = [sources]
    return Grant(frozenset(accounts), None if sources is None else frozenset(sources))
