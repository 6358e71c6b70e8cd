"""Who is calling: one normalised name per principal, for policy, idempotency and records.

API Gateway reports an IAM role's caller as its STS session
(`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`), which changes with every task, instance or
credential refresh. Policy lists, idempotency scopes and push records must see one caller per
role, so such a session is normalised to `arn:aws:iam::ACCOUNT:role/ROLE`; the raw ARN is kept
as `session` for the record. EventBridge requesters carry no IAM principal: they are named after
the event's `source` (and its account, when it is not this stack's).

Nothing here raises on odd input: a principal that does not parse is kept exactly as given, so a
surprising identity is at worst not normalised, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

EVENTBRIDGE_PREFIX = "eventbridge:"

# Partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ... (kept as they come).
_PARTITION = r"aws(?:-[a-z]+)*"
_ACCOUNT = r"[0-9]{12}"
# IAM names (roles, STS session names) use [\w+=,.@-]; neither contains `/`.
_NAME = r"[\w+=,.@-]+"
# Whole-string matches (fullmatch): `$` would accept a trailing newline.
_ASSUMED_ROLE = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):sts::(?P<account>{_ACCOUNT}):"
    rf"assumed-role/(?P<role>{_NAME})/(?P<session>{_NAME})",
    re.ASCII,
)
# A role ARN may carry a path (`role/team/orders`); STS session ARNs never show it.
_ROLE = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):iam::(?P<account>{_ACCOUNT}):"
    rf"role/(?:{_NAME}/)*(?P<role>{_NAME})",
    re.ASCII,
)


@dataclass(frozen=True)
class Caller:
    """A requester: `name` is the normalised principal, `session` the raw one (if any)."""

    name: str
    session: str | None = None


class PrincipalSettings(Protocol):
    """The slice of `Settings` the ownership rule reads."""

    @property
    def admin_principals(self) -> frozenset[str]: ...


def normalise_principal(principal: str) -> str:
    """An assumed-role session becomes its role; every other principal is returned unchanged."""
    match = _ASSUMED_ROLE.fullmatch(principal)
    if match is None:
        return principal
    return f"arn:{match['partition']}:iam::{match['account']}:role/{match['role']}"


def http_caller(principal: str) -> Caller:
    """The caller of an IAM-signed HTTP request (`requestContext.authorizer.iam.userArn`)."""
    return Caller(name=normalise_principal(principal), session=principal)


def event_caller(source: str, account: str | None, own_account: str | None) -> Caller:
    """`eventbridge:<source>`, or `eventbridge:<account>/<source>` for another account's event.

    The account qualifies the name so that a partner account using the same `source` as an
    internal service is never mistaken for it (in allow-lists, budgets or idempotency scopes).
    """
    if account and own_account and account != own_account:
        return Caller(name=f"{EVENTBRIDGE_PREFIX}{account}/{source}")
    return Caller(name=f"{EVENTBRIDGE_PREFIX}{source}")


def _role_key(principal: str) -> tuple[str, str, str] | None:
    """(partition, account, role name) of a role or role session ARN, else None."""
    match = _ROLE.fullmatch(normalise_principal(principal))
    return None if match is None else (match["partition"], match["account"], match["role"])


def same_principal(entry: str, name: str) -> bool:
    """Does a configured principal `entry` denote the caller called `name`?

    Roles match by partition, account and role name (the entry may carry a path, or even be one
    of the role's sessions); users, `eventbridge:` names and anything else match exactly.
    """
    entry_role, name_role = _role_key(entry), _role_key(name)
    if entry_role is not None or name_role is not None:
        return entry_role == name_role
    return entry == name


def is_listed(name: str, entries: Iterable[str]) -> bool:
    """Is the caller `name` one of the configured principals `entries`?"""
    return any(same_principal(entry, name) for entry in entries)


def may_change(owner: str, actor: Caller, settings: PrincipalSettings) -> bool:
    """May `actor` cancel or recall a push created by `owner` (a normalised caller)?

    The creator may (any session of its role), and so may the principals in ADMIN_PRINCIPALS.
    """
    return same_principal(owner, actor.name) or is_listed(actor.name, settings.admin_principals)
