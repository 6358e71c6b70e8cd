"""Wire format: URL/query checks, UserSig, body parsing, envelope and HTTP behaviour."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from devstack.sandbox import UpstreamSandbox
from tests.local_stack.sandbox.helpers import ADMIN, KEY, SDKAPPID, Client, make_usersig, signed_url

pytestmark = pytest.mark.integration


def test_success_envelope(client: Client) -> None:
    assert client.call("im_get_attr_name", {}) == {
        "ActionStatus": "OK",
        "ErrorCode": 0,
        "ErrorInfo": "",
        "AttrNames": {},
    }


def test_failure_envelope_is_http_200(client: Client) -> None:
    reply = client.call("im_get_attr_name", {}, sdkappid=1)
    assert reply["ActionStatus"] == "FAIL"
    assert reply["ErrorCode"] == 70020
    assert reply["ErrorInfo"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"sdkappid": None}, 60012),
        ({"sdkappid": 1400000001}, 70020),
        ({"sdkappid": "abc"}, 70020),
        ({"random": None}, 60002),
        ({"random": -1}, 60002),
        ({"random": 4294967296}, 60002),
        ({"random": "1.5"}, 60002),
        ({"contenttype": None}, 60002),
        ({"contenttype": "xml"}, 60002),
        ({"identifier": None}, 60002),
        ({"usersig": None}, 70002),
        ({"usersig": ""}, 70002),
        ({"usersig": "garbage"}, 70003),
    ],
)
def test_query_checks(client: Client, query: dict[str, object], code: int) -> None:
    assert client.code("im_get_attr_name", {}, **query) == code


def test_random_bounds_are_inclusive(client: Client) -> None:
    assert client.code("im_get_attr_name", {}, random=0) == 0
    assert client.code("im_get_attr_name", {}, random=4294967295) == 0


def test_usersig_of_another_identifier(client: Client) -> None:
    assert client.code("im_get_attr_name", {}, usersig=make_usersig("bob")) == 70013


def test_non_admin_identifier_with_its_own_valid_sig(client: Client) -> None:
    sig = make_usersig("bob")
    assert client.code("im_get_attr_name", {}, identifier="bob", usersig=sig) == 90009


def test_usersig_signed_with_another_key(client: Client) -> None:
    assert client.code("im_get_attr_name", {}, usersig=make_usersig(key="x" * 64)) == 70009


def test_usersig_of_another_app(client: Client) -> None:
    sig = make_usersig(sdkappid=1400000001)
    assert client.code("im_get_attr_name", {}, usersig=sig) == 70014


def test_expired_usersig(client: Client) -> None:
    sig = make_usersig(expire=60)
    client.clock.advance(61)
    assert client.code("im_get_attr_name", {}, usersig=sig) == 70001


def test_unknown_command_is_60009(client: Client) -> None:
    assert client.code("im_push_everyone", {}) == 60009


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1]", b'"s"', b"\xff\xfe"])
def test_body_must_be_a_json_object(client: Client, raw: bytes) -> None:
    assert client.call("im_get_attr_name", raw=raw)["ErrorCode"] == 90001


def test_get_is_refused(client: Client) -> None:
    url = signed_url(client.sandbox.url, "im_get_attr_name", client.usersig)
    response = client.http.request("GET", url)
    assert response.status == 200
    assert response.json()["ErrorCode"] == 60002


def test_keep_alive_and_content_length(sandbox: UpstreamSandbox) -> None:
    parts = urlsplit(signed_url(sandbox.url, "im_get_attr_name", make_usersig()))
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        for _ in range(3):
            conn.request("POST", f"{parts.path}?{parts.query}", body=b"{}")
            response = conn.getresponse()
            payload = response.read()
            assert response.getheader("Content-Length") == str(len(payload))
            assert json.loads(payload)["ErrorCode"] == 0
            assert not response.will_close
    finally:
        conn.close()


def test_usersig_is_never_recorded(client: Client) -> None:
    client.call("im_get_attr_name", {})
    client.call("im_push", {"MsgRandom": 1})
    calls = client.sandbox.calls()
    assert [c["command"] for c in calls] == ["im_get_attr_name", "im_push"]
    assert [c["error_code"] for c in calls] == [0, 90007]
    assert client.usersig not in json.dumps(calls)
    assert "usersig" not in json.dumps(calls)


def test_calls_are_recorded_with_body_and_time(client: Client) -> None:
    client.call("im_get_tag", {"To_Account": ["a"]})
    (call,) = client.sandbox.calls()
    assert call["body"] == {"To_Account": ["a"]}
    assert call["at"] == client.clock()


def test_verbose_logs_one_line_per_call(capsys: pytest.CaptureFixture[str]) -> None:
    with UpstreamSandbox(sdkappid=SDKAPPID, identifier=ADMIN, key=KEY, verbose=True) as sb:
        client = Client(sb, clock=None)  # type: ignore[arg-type]
        client.call("im_get_attr_name", {})
    err = capsys.readouterr().err
    assert err.strip() == "sandbox im_get_attr_name -> 0"
