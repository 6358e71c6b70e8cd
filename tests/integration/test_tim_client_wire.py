"""TimClient over real HTTP against the loopback upstream sandbox (signature checked upstream)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.sandbox import UpstreamSandbox
from devstack.sandbox.server import DEV_KEY
from push_common.credentials import AdminCredentials
from push_common.errors import DependencyUnavailable, OutcomeUnknown, UpstreamTimeout
from push_common.settings import Settings, get_settings
from push_common.tim_client import TimClient, UpstreamError, UpstreamUnreachable
from push_common.usersig import UserSigCache

pytestmark = pytest.mark.integration

CREDS = AdminCredentials(sdkappid=1400000000, identifier="administrator", key=DEV_KEY)
PUSH = {
    "MsgRandom": 3182094412,
    "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale starts now"}}],
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[UpstreamSandbox]:
    with UpstreamSandbox() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_sandbox(sandbox: UpstreamSandbox) -> None:
    sandbox.reset()
    sandbox.add_users("alice", "bob")


def settings_for(url: str) -> Settings:
    return get_settings().model_copy(update={"tim_base_url": url})


def client(url: str, creds: AdminCredentials = CREDS, **kwargs: Any) -> TimClient:
    def credentials(*, force_refresh: bool = False) -> AdminCredentials:
        return creds

    return TimClient(
        settings_for(url),
        credentials=credentials,
        sigs=UserSigCache(expire_seconds=3600),
        sleep=lambda _seconds: None,
        **kwargs,
    )


def test_push_is_accepted_with_a_real_signature(sandbox: UpstreamSandbox) -> None:
    answer = client(sandbox.url).call("im_push", PUSH, at_most_once=True)
    assert answer["TaskId"] == sandbox.pushes()[0]["task_id"]
    assert sandbox.pushes()[0]["msg_random"] == PUSH["MsgRandom"]


def test_empty_body_command(sandbox: UpstreamSandbox) -> None:
    assert "AttrNames" in client(sandbox.url).call("im_get_attr_name", {})


def test_internal_error_is_retried_with_the_same_body_for_a_read(sandbox: UpstreamSandbox) -> None:
    sandbox.add_fault("error_code", command="im_get_attr_name", error_code=91000)
    client(sandbox.url).call("im_get_attr_name", {})
    calls = [c for c in sandbox.calls() if c["command"] == "im_get_attr_name"]
    assert [c["error_code"] for c in calls] == [91000, 0]
    assert calls[0]["body"] == calls[1]["body"]


def test_internal_error_to_a_push_is_outcome_unknown_never_repeated(
    sandbox: UpstreamSandbox,
) -> None:
    sandbox.add_fault("error_code", command="im_push", error_code=91000)
    with pytest.raises(OutcomeUnknown) as caught:
        client(sandbox.url).call("im_push", PUSH, at_most_once=True)
    assert (caught.value.status, caught.value.upstream_code) == (502, 91000)
    assert len([c for c in sandbox.calls() if c["command"] == "im_push"]) == 1


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("accept_then_close", 502),
        ("accept_then_http_status", 502),
        ("accept_then_non_json", 502),
        ("accept_then_truncated", 502),
        ("accept_then_error_code", 502),
    ],
)
def test_a_push_processed_then_answered_badly_is_outcome_unknown(
    sandbox: UpstreamSandbox, kind: str, status: int
) -> None:
    sandbox.add_fault(kind, command="im_push")
    with pytest.raises(OutcomeUnknown) as caught:
        client(sandbox.url).call("im_push", PUSH, at_most_once=True)
    assert caught.value.status == status
    assert len(sandbox.pushes()) == 1  # it was broadcast: the gateway must not send it again
    assert len([c for c in sandbox.calls() if c["command"] == "im_push"]) == 1


def test_a_refused_connection_is_retried_for_a_push() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tim = client(f"http://127.0.0.1:{port}")
    with pytest.raises(UpstreamUnreachable) as caught:
        tim.call("im_push", PUSH, at_most_once=True)
    assert caught.value.retryable and caught.value.status == 503


@pytest.mark.parametrize("kind", ["http_status", "non_json"])
def test_unusable_answers_are_retried(sandbox: UpstreamSandbox, kind: str) -> None:
    sandbox.add_fault(kind, command="im_get_attr_name", times=2)
    assert "AttrNames" in client(sandbox.url).call("im_get_attr_name", {})


def test_unusable_answers_end_as_503(sandbox: UpstreamSandbox) -> None:
    sandbox.add_fault("http_status", command="im_get_attr_name", times=3)
    with pytest.raises(DependencyUnavailable):
        client(sandbox.url).call("im_get_attr_name", {})


def test_dropped_connection_is_not_retried_for_a_push(sandbox: UpstreamSandbox) -> None:
    sandbox.add_fault("close", command="im_push")
    with pytest.raises(OutcomeUnknown):
        client(sandbox.url).call("im_push", PUSH, at_most_once=True)
    assert len([c for c in sandbox.calls() if c["command"] == "im_push"]) == 1


def test_dropped_connection_is_retried_for_a_read(sandbox: UpstreamSandbox) -> None:
    sandbox.add_fault("close", command="im_get_attr_name")
    assert "AttrNames" in client(sandbox.url).call("im_get_attr_name", {})


def test_slow_answer_times_out_at_the_deadline(sandbox: UpstreamSandbox) -> None:
    sandbox.add_fault("delay", command="im_get_attr_name", delay_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        client(sandbox.url).call("im_get_attr_name", {}, deadline=started + 0.3)
    assert time.monotonic() - started < 0.9


def test_wrong_key_is_an_auth_failure_after_one_resign(sandbox: UpstreamSandbox) -> None:
    wrong = AdminCredentials(sdkappid=1400000000, identifier="administrator", key="wrong")
    with pytest.raises(UpstreamError) as caught:
        client(sandbox.url, wrong).call("im_push", PUSH, at_most_once=True)
    assert (caught.value.status, caught.value.code) == (502, "upstream_auth_failed")
    assert len(sandbox.calls()) == 2 and sandbox.pushes() == []


def test_quota_refusal_is_429(sandbox: UpstreamSandbox) -> None:
    tim = client(sandbox.url)
    tim.call("im_push", PUSH, at_most_once=True)
    with pytest.raises(UpstreamError) as caught:
        tim.call("im_push", {**PUSH, "MsgRandom": 1}, at_most_once=True)
    assert (caught.value.status, caught.value.code) == (429, "push_interval")
    assert json.loads(json.dumps(caught.value.to_problem()))["upstream_code"] == 90024


def test_refused_connection_is_503_after_three_attempts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DependencyUnavailable) as caught:
        client(f"http://127.0.0.1:{port}").call("im_get_attr_name", {})
    assert caught.value.code == "upstream_unavailable"
