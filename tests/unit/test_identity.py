"""Caller identity: normalisation, matching configured principals, and who may change a push."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from push_common.edge.http import caller_identity
from push_common.errors import Forbidden, NotOwner
from push_common.identity import (
    Caller,
    event_caller,
    http_caller,
    is_listed,
    may_change,
    normalise_principal,
    same_principal,
)
from push_common.push.event_api import parse_push_requested
from push_common.settings import Settings
from tests.support.env import BASE_ENV, load_event

ACCT = "123456789012"
ROLE = f"arn:aws:iam::{ACCT}:role/orders"

NORMALISATION = [
    # assumed-role sessions become their role, whatever the session name
    (f"arn:aws:sts::{ACCT}:assumed-role/orders/i-0abc123", ROLE),
    (f"arn:aws:sts::{ACCT}:assumed-role/orders/ecs-task-7f3e", ROLE),
    (f"arn:aws:sts::{ACCT}:assumed-role/orders/alice@example.com", ROLE),
    (
        f"arn:aws:sts::{ACCT}:assumed-role/Team.Role_+=,@-1/botocore-session-1700000000",
        f"arn:aws:iam::{ACCT}:role/Team.Role_+=,@-1",
    ),
    # the partition is kept
    (
        f"arn:aws-cn:sts::{ACCT}:assumed-role/orders/s1",
        f"arn:aws-cn:iam::{ACCT}:role/orders",
    ),
    (
        f"arn:aws-us-gov:sts::{ACCT}:assumed-role/orders/s1",
        f"arn:aws-us-gov:iam::{ACCT}:role/orders",
    ),
    (
        f"arn:aws-iso-b:sts::{ACCT}:assumed-role/orders/s1",
        f"arn:aws-iso-b:iam::{ACCT}:role/orders",
    ),
    # IAM users and roles (with or without a path) stay as they are
    (f"arn:aws:iam::{ACCT}:user/alice", f"arn:aws:iam::{ACCT}:user/alice"),
    (f"arn:aws:iam::{ACCT}:user/ops/alice", f"arn:aws:iam::{ACCT}:user/ops/alice"),
    (f"arn:aws-cn:iam::{ACCT}:user/alice", f"arn:aws-cn:iam::{ACCT}:user/alice"),
    (ROLE, ROLE),
    (f"arn:aws:iam::{ACCT}:role/team/path/orders", f"arn:aws:iam::{ACCT}:role/team/path/orders"),
    (f"arn:aws:iam::{ACCT}:root", f"arn:aws:iam::{ACCT}:root"),
    (f"arn:aws:sts::{ACCT}:federated-user/bob", f"arn:aws:sts::{ACCT}:federated-user/bob"),
]
MALFORMED = [
    "",
    "anonymous",
    "AIDAEXAMPLEUSERID",
    "arn:aws:sts::12345:assumed-role/orders/s1",  # short account
    "arn:aws:sts::123456789012:assumed-role/orders",  # no session
    "arn:aws:sts::123456789012:assumed-role/orders/",  # empty session
    "arn:aws:sts::123456789012:assumed-role//s1",  # empty role
    "arn:aws:sts::123456789012:assumed-role/a/b/c",  # sessions have no path
    "arn:aws:sts:us-east-1:123456789012:assumed-role/orders/s1",  # STS ARNs have no region
    "arn:gcp:sts::123456789012:assumed-role/orders/s1",  # not an AWS partition
    "ARN:AWS:STS::123456789012:ASSUMED-ROLE/ORDERS/S1",
    "arn:aws:sts::123456789012:assumed-role/orders/s1\n",
    "arn:aws:sts::123456789012:assumed-role/or ders/s1",
    "eventbridge:orders-service",
    "arn:aws:sts::123456789012:assumed-role/orders/s1:extra",
]


@pytest.mark.parametrize(("raw", "normalised"), NORMALISATION)
def test_normalisation_table(raw: str, normalised: str) -> None:
    assert normalise_principal(raw) == normalised
    assert http_caller(raw) == Caller(name=normalised, session=raw)


@pytest.mark.parametrize("raw", MALFORMED)
def test_malformed_principals_are_kept_as_given(raw: str) -> None:
    assert normalise_principal(raw) == raw
    assert http_caller(raw) == Caller(name=raw, session=raw)


@given(st.text(max_size=300))
def test_normalisation_never_crashes(raw: str) -> None:
    out = normalise_principal(raw)
    assert out == raw or out.startswith("arn:aws")
    assert normalise_principal(out) == out  # idempotent
    is_listed(out, [raw, ROLE, "eventbridge:x"])


def test_caller_is_frozen() -> None:
    caller = http_caller(ROLE)
    with pytest.raises(AttributeError):
        caller.name = "someone else"  # type: ignore[misc]


def test_http_caller_read_from_the_iam_authorizer() -> None:
    event = load_event("push_api_post_all.json")
    session = f"arn:aws:sts::{ACCT}:assumed-role/orders/i-0abc"
    event["requestContext"]["authorizer"]["iam"]["userArn"] = session
    assert caller_identity(event) == Caller(ROLE, session)


def test_http_caller_without_identity_is_anonymous() -> None:
    assert caller_identity({"requestContext": {}}) == Caller("anonymous", "anonymous")


MATCHING = [
    # role entries match every session of the role, with or without the entry's path
    (ROLE, ROLE, True),
    (f"arn:aws:iam::{ACCT}:role/team/path/orders", ROLE, True),
    (f"arn:aws:iam::{ACCT}:role/team/orders", ROLE, True),
    (f"arn:aws:sts::{ACCT}:assumed-role/orders/other-session", ROLE, True),
    # ... but not another account, partition or role
    ("arn:aws:iam::210987654321:role/orders", ROLE, False),
    (f"arn:aws-cn:iam::{ACCT}:role/orders", ROLE, False),
    (f"arn:aws:iam::{ACCT}:role/orders-2", ROLE, False),
    (f"arn:aws:iam::{ACCT}:role/ORDERS", ROLE, False),
    (f"arn:aws:iam::{ACCT}:role/orders/team", ROLE, False),  # `team` is the name there
    (f"arn:aws:iam::{ACCT}:user/orders", ROLE, False),
    # users match exactly (their ARN as the caller shows it, path included)
    (f"arn:aws:iam::{ACCT}:user/alice", f"arn:aws:iam::{ACCT}:user/alice", True),
    (f"arn:aws:iam::{ACCT}:user/ops/alice", f"arn:aws:iam::{ACCT}:user/ops/alice", True),
    (f"arn:aws:iam::{ACCT}:user/alice", f"arn:aws:iam::{ACCT}:user/ops/alice", False),
    (f"arn:aws:iam::{ACCT}:user/alice", f"arn:aws:iam::{ACCT}:role/alice", False),
    # eventbridge names match exactly: the account qualifier matters
    ("eventbridge:orders", "eventbridge:orders", True),
    ("eventbridge:orders", "eventbridge:210987654321/orders", False),
    ("eventbridge:210987654321/orders", "eventbridge:210987654321/orders", True),
    ("eventbridge:orders", "eventbridge:orders-2", False),
    ("", ROLE, False),
]


@pytest.mark.parametrize(("entry", "name", "expected"), MATCHING)
def test_configured_principal_matching(entry: str, name: str, expected: bool) -> None:
    assert same_principal(entry, name) is expected
    assert is_listed(name, [entry]) is expected


def test_nothing_is_listed_in_an_empty_list() -> None:
    assert not is_listed(ROLE, [])


@pytest.mark.parametrize(
    ("account", "own", "name"),
    [
        (ACCT, ACCT, "eventbridge:orders-service"),
        ("210987654321", ACCT, "eventbridge:210987654321/orders-service"),
        (None, ACCT, "eventbridge:orders-service"),
        (ACCT, None, "eventbridge:orders-service"),
    ],
)
def test_event_caller(account: str | None, own: str | None, name: str) -> None:
    assert event_caller("orders-service", account, own) == Caller(name, None)


def test_event_caller_from_the_envelope() -> None:
    event = {**load_event("push_event_requested.json"), "account": "210987654321"}
    parsed = parse_push_requested(event, own_account=ACCT)
    assert parsed.caller.name == f"eventbridge:210987654321/{event['source']}"
    same_account = parse_push_requested({**event, "account": ACCT}, own_account=ACCT)
    assert same_account.caller.name == f"eventbridge:{event['source']}"


def _settings(**env: str) -> Settings:
    return Settings.from_env({**BASE_ENV, **env})


ADMIN_ROLE = f"arn:aws:iam::{ACCT}:role/platform/ops-admin"
ADMIN_USER = f"arn:aws:iam::{ACCT}:user/oncall"


@pytest.mark.parametrize(
    ("owner", "actor", "expected"),
    [
        # the creator, from any session of its role
        (ROLE, http_caller(f"arn:aws:sts::{ACCT}:assumed-role/orders/another-task"), True),
        (ROLE, http_caller(ROLE), True),
        ("eventbridge:orders", Caller("eventbridge:orders"), True),
        # admins, listed by role (with a path) or as users
        (ROLE, http_caller(f"arn:aws:sts::{ACCT}:assumed-role/ops-admin/alice"), True),
        (ROLE, http_caller(ADMIN_USER), True),
        # anyone else
        (ROLE, http_caller(f"arn:aws:sts::{ACCT}:assumed-role/billing/i-1"), False),
        (ROLE, http_caller("arn:aws:sts::210987654321:assumed-role/orders/i-1"), False),
        (ROLE, http_caller(f"arn:aws:iam::{ACCT}:user/oncall-2"), False),
        ("eventbridge:orders", Caller("eventbridge:210987654321/orders"), False),
        (ROLE, http_caller("anonymous"), False),
    ],
)
def test_may_change(owner: str, actor: Caller, expected: bool) -> None:
    settings = _settings(ADMIN_PRINCIPALS=f"{ADMIN_ROLE}, {ADMIN_USER}")
    assert may_change(owner, actor, settings) is expected


def test_without_admins_only_the_owner_may_change() -> None:
    settings = _settings()
    assert settings.admin_principals == frozenset()
    assert may_change(ROLE, http_caller(ROLE), settings)
    assert not may_change(ROLE, http_caller(ADMIN_USER), settings)


def test_settings_read_the_new_variables() -> None:
    settings = _settings(
        ADMIN_PRINCIPALS=" a , b,,",
        ALLOWED_EVENT_SOURCES="orders-service,billing",
        STACK_ACCOUNT_ID=ACCT,
    )
    assert settings.admin_principals == {"a", "b"}
    assert settings.allowed_event_sources == {"orders-service", "billing"}
    assert settings.stack_account_id == ACCT
    assert _settings(STACK_ACCOUNT_ID="").stack_account_id is None


def test_not_owner_is_a_403_problem() -> None:
    exc = NotOwner("only the creator or an admin may cancel this push")
    assert isinstance(exc, Forbidden)
    problem = exc.to_problem()
    assert (problem["status"], problem["code"], problem["retryable"]) == (403, "not_owner", False)
    assert problem["type"].endswith(":not_owner")
