"""The normalised caller in the push use case: broadcast policy and event sources."""

from __future__ import annotations

from typing import Any

import pytest

from push_common.errors import Forbidden, GatewayError
from push_common.identity import http_caller
from push_common.push.policy import check_event_source
from push_common.push.request import PushRequest
from push_common.push.service import PushContext
from push_common.push.submission import submit_push
from push_common.settings import Settings
from tests.support.env import BASE_ENV
from tests.support.push_fakes import harness

ACCT = "123456789012"
SESSION = f"arn:aws:sts::{ACCT}:assumed-role/orders/i-0abc"
EVERYONE = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}


def _ctx(raw: str) -> PushContext:
    caller = http_caller(raw)
    return PushContext(caller=caller.name, caller_session=caller.session)


def _submit(raw: str, **env: str) -> dict[str, Any]:
    req = PushRequest.model_validate(EVERYONE)
    return dict(submit_push(req, _ctx(raw), harness(**env).deps()).body)


@pytest.mark.parametrize(
    "entry",
    [
        f"arn:aws:iam::{ACCT}:role/orders",
        f"arn:aws:iam::{ACCT}:role/team/path/orders",
        f"arn:aws:sts::{ACCT}:assumed-role/orders/some-other-session",
    ],
)
def test_a_listed_role_broadcasts_from_any_of_its_sessions(entry: str) -> None:
    assert _submit(SESSION, BROADCAST_ALL_PRINCIPALS=entry)["status"] == "submitted"


@pytest.mark.parametrize(
    "entry",
    [
        "arn:aws:iam::210987654321:role/orders",
        f"arn:aws-cn:iam::{ACCT}:role/orders",
        f"arn:aws:iam::{ACCT}:role/orders-admin",
        f"arn:aws:iam::{ACCT}:user/orders",
    ],
)
def test_other_principals_do_not_cover_the_session(entry: str) -> None:
    with pytest.raises(GatewayError) as caught:
        _submit(SESSION, BROADCAST_ALL_PRINCIPALS=entry)
    assert (type(caught.value), caught.value.code) == (Forbidden, "broadcast_not_allowed")


def test_the_session_is_logged_beside_the_normalised_caller(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _submit(SESSION)
    [record] = [r for r in caplog.records if r.getMessage() == "push accepted"]
    logged = vars(record)
    assert (logged["caller"], logged["caller_session"]) == (
        f"arn:aws:iam::{ACCT}:role/orders",
        SESSION,
    )


def _settings(**env: str) -> Settings:
    return Settings.from_env({**BASE_ENV, **env})


def test_any_source_may_push_without_an_allow_list() -> None:
    check_event_source("anything", _settings())


def test_listed_sources_may_push() -> None:
    check_event_source("billing", _settings(ALLOWED_EVENT_SOURCES="orders-service, billing"))


@pytest.mark.parametrize("source", ["mallory", "Billing", "billing-2", "orders-service,billing"])
def test_other_sources_are_refused(source: str) -> None:
    with pytest.raises(Forbidden) as caught:
        check_event_source(source, _settings(ALLOWED_EVENT_SOURCES="orders-service,billing"))
    assert (caught.value.code, caught.value.retryable) == ("source_not_allowed", False)
