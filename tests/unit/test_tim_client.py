"""TimClient: URL and body on the wire, retry policy per failure kind, deadlines, redaction."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3
from urllib3.connection import HTTPConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from push_common import caches, tim_client
from push_common.credentials import AdminCredentials
from push_common.errors import DependencyUnavailable, OutcomeUnknown, UpstreamTimeout
from push_common.settings import get_settings
from push_common.tim_client import TimClient, UpstreamError, get_tim_client, redact_url
from push_common.usersig import UserSigCache

KEY = "k" * 64
CREDS = AdminCredentials(sdkappid=1400000000, identifier="administrator", key=KEY)
SIG = "eJyr*Vgr-x_CdY*S_"  # has every character of the UserSig alphabet that URLs escape
PUSH = {"MsgRandom": 3182094412, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {}}]}


@dataclass
class FakeResponse:
    status: int = 200
    data: bytes = b'{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}'


def envelope(code: int, info: str = "", **extra: Any) -> FakeResponse:
    status = "OK" if code == 0 else "FAIL"
    body = {"ActionStatus": status, "ErrorCode": code, "ErrorInfo": info, **extra}
    return FakeResponse(200, json.dumps(body).encode())


@dataclass
class Sent:
    method: str
    url: str
    body: bytes
    headers: Mapping[str, str]
    timeout: urllib3.Timeout

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, strict_parsing=True)


@dataclass
class StubHttp:
    """Answers each request with the next scripted response or raises the next exception."""

    script: list[FakeResponse | Exception]
    sent: list[Sent] = field(default_factory=list)
    wrote: bool | None = None  # None: keeps no account (like a plain PoolManager)

    def request(
        self, method: str, url: str, *, body: bytes, headers: Mapping[str, str], timeout: Any
    ) -> FakeResponse:
        self.sent.append(Sent(method, url, body, headers, timeout))
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def __getattr__(self, name: str) -> Any:
        if name == "wrote_request_bytes" and self.wrote is not None:
            return lambda: self.wrote
        raise AttributeError(name)


@dataclass
class FakeClock:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class FakeCredentials:
    refreshes: int = 0
    reads: int = 0

    def __call__(self, *, force_refresh: bool = False) -> AdminCredentials:
        self.reads += 1
        self.refreshes += force_refresh
        return CREDS


class FakeSigs(UserSigCache):
    def __init__(self) -> None:
        super().__init__(expire_seconds=86400)
        self.invalidations = 0

    def get(self, creds: AdminCredentials) -> str:
        return f"{SIG}{self.invalidations}"

    def invalidate(self) -> None:
        self.invalidations += 1


@dataclass
class Harness:
    http: StubHttp
    clock: FakeClock
    creds: FakeCredentials
    sigs: FakeSigs
    client: TimClient


def harness(*script: FakeResponse | Exception) -> Harness:
    http, clock, creds, sigs = StubHttp(list(script)), FakeClock(), FakeCredentials(), FakeSigs()
    client = TimClient(
        get_settings(), http=http, credentials=creds, sigs=sigs, sleep=clock.sleep, clock=clock
    )
    return Harness(http, clock, creds, sigs, client)


def connect_refused() -> NewConnectionError:
    return NewConnectionError(HTTPConnection("adminapisgp.im.qcloud.com"), "refused")


def read_timeout() -> ReadTimeoutError:
    return ReadTimeoutError(urllib3.HTTPConnectionPool("adminapisgp.im.qcloud.com"), "/", "slow")


@dataclass
class RecordingLogger:
    lines: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def debug(self, msg: str, **fields: Any) -> None:
        self.lines.append(("DEBUG", msg, fields))

    def warning(self, msg: str, **fields: Any) -> None:
        self.lines.append(("WARNING", msg, fields))


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> RecordingLogger:
    recorder = RecordingLogger()
    monkeypatch.setattr(tim_client, "logger", recorder)
    return recorder


# --- the request on the wire ---------------------------------------------------------------


def test_success_returns_the_parsed_envelope() -> None:
    h = harness(envelope(0, TaskId="1400000000_1"))
    assert h.client.call("im_push", PUSH)["TaskId"] == "1400000000_1"


def test_url_is_regional_host_service_and_command() -> None:
    h = harness(envelope(0))
    h.client.call("im_get_attr_name", {})
    parts = urlsplit(h.http.sent[0].url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "adminapisgp.im.qcloud.com",
        "/v4/all_member_push/im_get_attr_name",
    )


def test_query_carries_admin_signature_random_and_contenttype() -> None:
    h = harness(envelope(0))
    h.client.call("im_push", PUSH)
    query = h.http.sent[0].query
    assert {k: v for k, v in query.items() if k != "random"} == {
        "sdkappid": ["1400000000"],
        "identifier": ["administrator"],
        "usersig": [f"{SIG}0"],
        "contenttype": ["json"],
    }
    assert 0 <= int(query["random"][0]) <= 2**32 - 1


def test_asterisk_of_the_usersig_is_percent_encoded() -> None:
    h = harness(envelope(0))
    h.client.call("im_push", PUSH)
    raw_query = urlsplit(h.http.sent[0].url).query
    assert "*" not in raw_query and "%2A" in raw_query


def test_service_can_be_chosen() -> None:
    h = harness(envelope(0))
    h.client.call("get_tag", {"To_Account": ["a"]}, service="timpush")
    assert urlsplit(h.http.sent[0].url).path == "/v4/timpush/get_tag"


def test_body_is_compact_utf8_json() -> None:
    h = harness(envelope(0))
    h.client.call("im_push", {"MsgBody": [{"MsgContent": {"Text": "促销"}}]})
    assert h.http.sent[0].body == '{"MsgBody":[{"MsgContent":{"Text":"促销"}}]}'.encode()


def test_empty_body_is_sent_as_empty_object() -> None:
    h = harness(envelope(0))
    h.client.call("im_get_attr_name", {})
    assert (h.http.sent[0].method, h.http.sent[0].body) == ("POST", b"{}")


def test_json_content_type_header() -> None:
    h = harness(envelope(0))
    h.client.call("im_get_attr_name", {})
    assert h.http.sent[0].headers["Content-Type"].startswith("application/json")


def test_timeouts_come_from_settings_without_deadline() -> None:
    h = harness(envelope(0))
    h.client.call("im_get_attr_name", {})
    timeout = h.http.sent[0].timeout
    assert (timeout.connect_timeout, timeout.read_timeout) == (2.0, 4.0)


@pytest.mark.parametrize("command", ["../im_push", "im_push?x=1", "", "IM_PUSH"])
def test_command_names_are_checked(command: str) -> None:
    with pytest.raises(ValueError):
        harness().client.call(command, {})


# --- retries ---------------------------------------------------------------------------------


def test_backoff_code_is_retried_then_succeeds() -> None:
    h = harness(envelope(91000), envelope(0, TaskId="t"))
    assert h.client.call("im_push", PUSH)["TaskId"] == "t"
    assert len(h.http.sent) == 2


def test_backoff_code_gives_up_after_three_attempts() -> None:
    h = harness(envelope(91000), envelope(70500), envelope(91000, "internal error"))
    with pytest.raises(UpstreamError) as caught:
        h.client.call("im_push", PUSH)
    assert (caught.value.status, caught.value.code, caught.value.error_code) == (
        503,
        "upstream_unavailable",
        91000,
    )
    assert len(h.http.sent) == 3


def test_backoff_is_exponential_with_jitter() -> None:
    h = harness(envelope(91000), envelope(91000), envelope(91000))
    with pytest.raises(UpstreamError):
        h.client.call("im_push", PUSH)
    first, second = h.clock.sleeps
    assert 0.2 <= first <= 0.3 and 0.4 <= second <= 0.6


def test_retries_resend_the_same_body() -> None:
    h = harness(envelope(91000), connect_refused(), envelope(0))
    h.client.call("im_push", PUSH)
    assert len({sent.body for sent in h.http.sent}) == 1
    assert json.loads(h.http.sent[2].body)["MsgRandom"] == PUSH["MsgRandom"]


def test_every_attempt_has_a_fresh_random(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([7, 8, 9])
    bits: list[int] = []

    def randbits(k: int) -> int:
        bits.append(k)
        return next(draws)

    monkeypatch.setattr(secrets, "randbits", randbits)
    h = harness(envelope(91000), envelope(91000), envelope(0))
    h.client.call("im_push", PUSH)
    assert [s.query["random"] for s in h.http.sent] == [["7"], ["8"], ["9"]]
    assert bits == [32, 32, 32]


@pytest.mark.parametrize(
    "error",
    [
        connect_refused(),
        NameResolutionError(
            "adminapisgp.im.qcloud.com", HTTPConnection("x"), socket.gaierror("nx")
        ),
        ConnectTimeoutError("connect timed out"),
    ],
    ids=["refused", "dns", "connect-timeout"],
)
def test_unsent_request_is_retried_even_for_im_push(error: Exception) -> None:
    h = harness(error, envelope(0, TaskId="t"))
    assert h.client.call("im_push", PUSH, at_most_once=True)["TaskId"] == "t"
    assert len(h.http.sent) == 2


def test_connection_failures_end_as_503_after_three_attempts() -> None:
    h = harness(connect_refused(), connect_refused(), connect_refused())
    with pytest.raises(DependencyUnavailable) as caught:
        h.client.call("im_get_attr_name", {})
    assert (caught.value.status, caught.value.code, caught.value.retry_after) == (
        503,
        "upstream_unavailable",
        1,
    )
    assert len(h.http.sent) == 3


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (read_timeout(), 504),
        (ProtocolError("aborted", ConnectionResetError()), 502),
        # Without the transport's own account, a TLS error may have come after the request.
        (SSLError("decryption failed while reading"), 502),
    ],
    ids=["read-timeout", "reset", "tls"],
)
def test_maybe_sent_push_is_outcome_unknown_and_not_retried(error: Exception, status: int) -> None:
    h = harness(error, envelope(0))
    with pytest.raises(OutcomeUnknown) as caught:
        h.client.call("im_push", PUSH, at_most_once=True)
    problem = caught.value.to_problem()
    assert (problem["status"], problem["code"], problem["retryable"]) == (
        status,
        "outcome_unknown",
        False,
    )
    assert len(h.http.sent) == 1


@pytest.mark.parametrize("code", [91000, 90992, 70500, 60008, 12345])
def test_answer_that_may_hide_a_task_is_outcome_unknown_for_im_push(code: int) -> None:
    h = harness(envelope(code), envelope(0))
    with pytest.raises(OutcomeUnknown) as caught:
        h.client.call("im_push", PUSH, at_most_once=True)
    assert (caught.value.status, caught.value.upstream_code) == (502, code)
    assert len(h.http.sent) == 1 and h.clock.sleeps == []


@pytest.mark.parametrize("code", [60007, 60018])
def test_throttled_push_is_answered_not_repeated(code: int) -> None:
    h = harness(envelope(code), envelope(0))
    with pytest.raises(UpstreamError) as caught:
        h.client.call("im_push", PUSH, at_most_once=True)
    assert (caught.value.code, caught.value.retryable) == ("upstream_throttled", True)
    assert len(h.http.sent) == 1


@pytest.mark.parametrize("code", [70001, 70052, 70009])
def test_signature_codes_sign_again_once_even_for_im_push(code: int) -> None:
    h = harness(envelope(code), envelope(0, TaskId="t"))
    assert h.client.call("im_push", PUSH, at_most_once=True)["TaskId"] == "t"
    assert (len(h.http.sent), h.sigs.invalidations) == (2, 1)


def test_a_transport_that_wrote_nothing_makes_a_tls_error_retryable() -> None:
    h = harness(SSLError("handshake failed"), envelope(0, TaskId="t"))
    h.http.wrote = False
    assert h.client.call("im_push", PUSH, at_most_once=True)["TaskId"] == "t"
    assert len(h.http.sent) == 2


def test_a_transport_that_wrote_bytes_makes_even_a_connect_error_maybe_sent() -> None:
    h = harness(ConnectTimeoutError("odd"), envelope(0))
    h.http.wrote = True
    with pytest.raises(OutcomeUnknown):
        h.client.call("im_push", PUSH, at_most_once=True)
    assert len(h.http.sent) == 1


def test_read_timeout_is_retried_when_allowed() -> None:
    h = harness(read_timeout(), envelope(0, AttrNames={"0": "city"}))
    assert h.client.call("im_get_attr_name", {})["AttrNames"] == {"0": "city"}
    assert len(h.http.sent) == 2


def test_read_timeouts_end_as_504() -> None:
    h = harness(read_timeout(), read_timeout(), read_timeout())
    with pytest.raises(UpstreamTimeout):
        h.client.call("im_get_attr_name", {})
    assert len(h.http.sent) == 3


@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse(502, b"<html>502 Bad Gateway secret-page</html>"),
        FakeResponse(200, b"<html>secret-page</html>"),
        FakeResponse(200, b'["not", "an", "object", "secret-page"]'),
        FakeResponse(200, b'{"ActionStatus":"OK","ErrorInfo":"secret-page"}'),
        FakeResponse(200, b'{"ErrorCode":"0","ErrorInfo":"secret-page"}'),
    ],
    ids=["http-502", "html", "json-array", "no-error-code", "string-error-code"],
)
def test_unusable_answers_are_retried_then_503_without_echo(answer: FakeResponse) -> None:
    h = harness(answer, answer, answer)
    with pytest.raises(DependencyUnavailable) as caught:
        h.client.call("im_get_attr_name", {})
    assert len(h.http.sent) == 3
    assert "secret-page" not in json.dumps(caught.value.to_problem())


@pytest.mark.parametrize(
    "answer",
    [
        FakeResponse(502, b"<html>502 Bad Gateway secret-page</html>"),
        FakeResponse(200, b"<html>secret-page</html>"),
        FakeResponse(200, b'{"ErrorCode":0,"Task'),
        FakeResponse(200, b"[" * 100_000),
    ],
    ids=["http-502", "html", "truncated", "deeply-nested"],
)
def test_unusable_answer_to_a_push_is_outcome_unknown_without_echo(answer: FakeResponse) -> None:
    h = harness(answer, envelope(0))
    with pytest.raises(OutcomeUnknown) as caught:
        h.client.call("im_push", PUSH, at_most_once=True)
    assert len(h.http.sent) == 1
    assert caught.value.status == 502
    assert "secret-page" not in json.dumps(caught.value.to_problem())


def test_resign_code_refreshes_secret_and_usersig_once() -> None:
    h = harness(envelope(70001), envelope(0, TaskId="t"))
    assert h.client.call("im_push", PUSH)["TaskId"] == "t"
    assert (h.creds.refreshes, h.sigs.invalidations) == (1, 1)
    assert [s.query["usersig"] for s in h.http.sent] == [[f"{SIG}0"], [f"{SIG}1"]]


def test_persistent_resign_code_is_502_after_two_attempts() -> None:
    h = harness(envelope(70052), envelope(70001), envelope(0))
    with pytest.raises(UpstreamError) as caught:
        h.client.call("im_push", PUSH)
    assert (caught.value.status, caught.value.code) == (502, "upstream_auth_expired")
    assert len(h.http.sent) == 2 and h.creds.refreshes == 1


@pytest.mark.parametrize(
    ("code", "status", "problem_code"),
    [
        (90001, 502, "upstream_invalid_request"),
        (90009, 502, "upstream_config_error"),
        (90045, 502, "push_feature_disabled"),
        (90047, 429, "daily_quota_exhausted"),
        (90024, 429, "push_interval"),
        (70050, 503, "upstream_auth_locked"),
        (12345, 502, "upstream_rejected"),
    ],
)
def test_never_and_interval_codes_raise_at_once(code: int, status: int, problem_code: str) -> None:
    h = harness(envelope(code, "nope"), envelope(0))
    with pytest.raises(UpstreamError) as caught:
        h.client.call("im_push", PUSH)
    assert (caught.value.status, caught.value.code, caught.value.upstream_code) == (
        status,
        problem_code,
        code,
    )
    assert len(h.http.sent) == 1 and h.clock.sleeps == []


def test_interval_code_carries_retry_after() -> None:
    h = harness(envelope(90024))
    with pytest.raises(UpstreamError) as caught:
        h.client.call("im_push", PUSH)
    assert caught.value.headers() == {"Retry-After": "1"}


def test_backoff_budget_is_shared_between_transport_and_codes() -> None:
    h = harness(connect_refused(), envelope(91000), envelope(60008), envelope(0))
    with pytest.raises(UpstreamError) as caught:
        h.client.call("im_push", PUSH)
    assert caught.value.error_code == 60008 and len(h.http.sent) == 3


# --- deadline --------------------------------------------------------------------------------


def test_no_time_left_raises_without_calling() -> None:
    h = harness(envelope(0))
    with pytest.raises(DependencyUnavailable) as caught:  # nothing sent: a retry is safe
        h.client.call("im_push", PUSH, deadline=h.clock.now, at_most_once=True)
    assert caught.value.retryable and not isinstance(caught.value, OutcomeUnknown)
    assert h.http.sent == []


def test_timeouts_are_clipped_to_the_deadline() -> None:
    h = harness(envelope(0))
    h.client.call("im_push", PUSH, deadline=h.clock.now + 1.5)
    timeout = h.http.sent[0].timeout
    assert (timeout.total, timeout.connect_timeout, timeout.read_timeout) == (1.5, 1.5, 1.5)


def test_no_backoff_past_the_deadline() -> None:
    h = harness(envelope(91000), envelope(0))
    with pytest.raises(UpstreamError):
        h.client.call("im_push", PUSH, deadline=h.clock.now + 0.19)
    assert len(h.http.sent) == 1 and h.clock.sleeps == []


def test_backoff_within_the_deadline_clips_the_next_attempt() -> None:
    h = harness(envelope(91000), envelope(0))
    deadline = h.clock.now + 10
    h.client.call("im_push", PUSH, deadline=deadline)
    first, second = (sent.timeout.total for sent in h.http.sent)
    assert first == 10 and second == pytest.approx(10 - h.clock.sleeps[0])


# --- errors and logs -------------------------------------------------------------------------


def test_upstream_error_problem_names_code_and_sanitised_info() -> None:
    error = UpstreamError(90033, "attrName:city\nunknown" + "x" * 500)
    problem = error.to_problem()
    assert problem["upstream_code"] == 90033 and problem["status"] == 502
    assert "\n" not in error.error_info and len(error.error_info) == 200
    assert problem["retryable"] is False


def test_redact_url_hides_only_the_usersig() -> None:
    url = "https://h/v4/a/b?sdkappid=1&usersig=eJx%2Aab-c_&random=5&contenttype=json"
    assert (
        redact_url(url) == "https://h/v4/a/b?sdkappid=1&usersig=REDACTED&random=5&contenttype=json"
    )


def test_logs_redact_the_usersig_and_never_hold_the_key(logs: RecordingLogger) -> None:
    h = harness(envelope(91000, "busy"), envelope(0))
    h.client.call("im_push", PUSH)
    text = json.dumps([line[2] for line in logs.lines])
    assert "usersig=REDACTED" in text
    assert SIG not in text and "eJyr%2A" not in text and KEY not in text


def test_one_debug_line_per_attempt_and_warning_per_failure(logs: RecordingLogger) -> None:
    h = harness(envelope(91000, "busy"), connect_refused(), envelope(0))
    h.client.call("im_push", PUSH)
    levels = [(level, fields["attempt"]) for level, _, fields in logs.lines]
    assert levels == [("DEBUG", 1), ("WARNING", 1), ("DEBUG", 2), ("WARNING", 2), ("DEBUG", 3)]


def test_warning_line_names_command_code_and_duration(logs: RecordingLogger) -> None:
    h = harness(envelope(90001, "json parse error"))
    with pytest.raises(UpstreamError):
        h.client.call("im_push", PUSH)
    fields = logs.lines[-1][2]
    assert (fields["command"], fields["error_code"], fields["error_info"]) == (
        "im_push",
        90001,
        "json parse error",
    )
    assert fields["duration_ms"] >= 0


# --- factory ---------------------------------------------------------------------------------


def test_get_tim_client_is_cached_until_caches_are_cleared() -> None:
    first = get_tim_client()
    assert get_tim_client() is first
    caches.clear_all()
    assert get_tim_client() is not first


def test_get_tim_client_uses_the_base_url_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIM_BASE_URL", "http://127.0.0.1:9/")
    caches.clear_all()
    assert get_tim_client()._base == "http://127.0.0.1:9"


# --- metrics for the operator dashboard ----------------------------------------------------
def test_every_attempt_records_its_latency_and_failures_count_as_upstream_errors() -> None:
    from push_common.observability import metrics

    metrics.clear_metrics()
    h = harness(envelope(91000), envelope(0))
    h.client.call("im_get_tag", {"To_Account": ["a"]})
    latency = metrics.metric_set["UpstreamLatency"]
    assert latency["Unit"] == "Milliseconds"
    assert len(latency["Value"]) == 2
    assert metrics.metric_set["UpstreamErrors"]["Value"] == [1.0]
    metrics.clear_metrics()
