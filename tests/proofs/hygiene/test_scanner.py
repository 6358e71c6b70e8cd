"""Positive controls: the scanner finds planted secrets, and the capture really sees the session."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from push_common.credentials import AdminCredentials
from push_common.errors import DependencyUnavailable
from push_common.observability import logger
from push_common.tim_client import redact_url
from push_common.usersig import mint_usersig
from tests.proofs.hygiene.scanner import decodes_as_usersig, find_leaks
from tests.support.capture import CAPTURE

PLANTED_KEY = "planted0123456789abcdef0123456789abcdef0123456789abcdef01234567"
CREDS = AdminCredentials(
    sdkappid=1400000000, identifier="administrator", key=SecretStr(PLANTED_KEY)
)


def kinds(text: str, secrets: tuple[str, ...] = ()) -> list[str]:
    return [leak.kind for leak in find_leaks([("planted", text)], secrets)]


def test_a_planted_admin_key_is_found_and_the_report_does_not_repeat_it() -> None:
    [leak] = find_leaks([("planted", f'{{"detail": "key={PLANTED_KEY}"}}')], {PLANTED_KEY})
    assert leak.kind == "known secret"
    assert PLANTED_KEY not in leak.excerpt


def test_a_minted_usersig_is_found_even_when_nobody_recorded_it() -> None:
    sig = mint_usersig(CREDS, expire_seconds=3600)
    assert decodes_as_usersig(sig)
    assert kinds(f"sent {sig} upstream") == ["UserSig-shaped value"]
    assert kinds(json.dumps({"sig": sig}), (sig,)) == ["known secret", "UserSig-shaped value"]


def test_an_unredacted_usersig_query_value_is_found_but_a_redacted_one_is_not() -> None:
    url = "https://adminapisgp.im.qcloud.com/v4/x/y?identifier=a&usersig=abc*d&random=1"
    assert kinds(url) == ["unredacted usersig="]
    assert kinds(url.replace("usersig=", "UserSig%3D")) == ["unredacted usersig="]
    assert kinds(redact_url(url)) == []
    assert kinds(json.dumps({"url": redact_url(url)})) == []


def test_short_placeholder_keys_are_not_treated_as_secrets() -> None:
    assert kinds("k is a letter", ("k",)) == []


@pytest.mark.usefixtures("_hygiene_plugin")
def test_the_session_capture_sees_gateway_logs_and_problem_bodies() -> None:
    marker = "hygiene-capture-marker-7f3a"
    logger.warning("positive control", marker=marker)
    DependencyUnavailable(f"control {marker}", code="aws_unavailable").to_problem()
    sources = [source for source, text in CAPTURE.texts() if marker in text]
    assert any(source.startswith("log:") for source in sources)
    assert "problem" in sources


@pytest.mark.usefixtures("_hygiene_plugin")
def test_usersigs_minted_in_this_session_become_secrets_to_look_for() -> None:
    from push_common import usersig

    before = CAPTURE.minted
    sig = usersig.mint_usersig(CREDS, expire_seconds=3600)
    assert CAPTURE.minted == before + 1
    assert {sig, PLANTED_KEY} <= CAPTURE.secrets()
