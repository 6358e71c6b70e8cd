"""Control API under /_sandbox/ and injected faults."""

from __future__ import annotations

import json
import time

import pytest
import urllib3
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from tests.local_stack.sandbox.helpers import Client, push_body, signed_url

pytestmark = pytest.mark.integration


def fault(client: Client, **spec: object) -> None:
    status, reply = client.control("POST", "faults", spec)
    assert (status, reply) == (200, {"queued": 1})


def test_pushes_calls_and_state_routes(client: Client) -> None:
    client.push(push_body(3))
    status, pushes = client.control("GET", "pushes")
    assert status == 200
    assert [p["msg_random"] for p in pushes["pushes"]] == [3]
    _, calls = client.control("GET", "calls")
    assert [(c["command"], c["error_code"]) for c in calls["calls"]] == [("im_push", 0)]
    _, state = client.control("GET", "state")
    assert state["quota_used_today"] == 1
    assert state["dedup_hits"] == 0
    assert {"attr_names", "user_attrs", "user_tags", "users", "faults"} <= set(state)


def test_import_users(client: Client) -> None:
    assert client.control("POST", "users", {"accounts": ["a", "b"]}) == (200, {"users": 2})
    client.push(push_body())
    assert client.sandbox.pushes()[0]["recipients"] == ["a", "b"]


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("users", {"accounts": "a"}),
        ("users", {"accounts": [1]}),
        ("faults", {"kind": "explode"}),
        ("faults", {"kind": "delay", "times": 0}),
        ("faults", {"kind": "delay", "colour": "red"}),
        ("faults", {"kind": "http_status", "http_status": 99}),
        ("clock", {"advance_seconds": -1}),
        ("clock", {}),
    ],
)
def test_bad_control_bodies_are_400(client: Client, route: str, body: object) -> None:
    status, reply = client.control("POST", route, body)
    assert status == 400
    assert reply["error"]


def test_unknown_control_route_is_404(client: Client) -> None:
    assert client.control("GET", "nope")[0] == 404


def test_reset_forgets_everything(client: Client) -> None:
    client.sandbox.add_users("a")
    client.push(push_body())
    fault(client, kind="error_code", command="im_push")
    client.control("POST", "clock", {"advance_seconds": 100})
    assert client.control("POST", "reset") == (200, {"cleared_faults": 1})
    state = client.sandbox.state()
    assert (state["users"], state["quota_used_today"], state["faults"]) == ([], 0, [])
    assert client.sandbox.pushes() == client.sandbox.calls() == []
    assert state["now"] == client.clock()


def test_clock_advance_moves_sandbox_time(client: Client) -> None:
    status, reply = client.control("POST", "clock", {"advance_seconds": 3600})
    assert status == 200
    assert reply["now"] == pytest.approx(client.clock() + 3600)


def test_error_code_fault_once(client: Client) -> None:
    fault(client, kind="error_code", command="im_push", error_code=91000)
    reply = client.push(push_body(1))
    assert (reply["ActionStatus"], reply["ErrorCode"]) == ("FAIL", 91000)
    assert client.sandbox.pushes() == []
    assert client.push(push_body(1))["ErrorCode"] == 0
    calls = client.sandbox.calls()
    assert [(c["error_code"], c.get("fault")) for c in calls] == [(91000, "error_code"), (0, None)]


def test_fault_times_and_command_filter(client: Client) -> None:
    fault(client, kind="error_code", command="im_get_tag", error_code=90992, times=2)
    assert client.code("im_get_attr_name", {}) == 0
    codes = [client.code("im_get_tag", {"To_Account": []}) for _ in range(3)]
    assert codes == [90992, 90992, 0]


def test_wildcard_fault(client: Client) -> None:
    fault(client, kind="error_code", command="*", error_code=70169)
    assert client.code("im_get_attr_name", {}) == 70169


def test_http_status_fault(client: Client) -> None:
    fault(client, kind="http_status", http_status=503)
    response = client.request("im_push", push_body())
    assert response.status == 503
    assert response.headers["Content-Length"] == str(len(response.data))
    assert client.sandbox.pushes() == []


def test_non_json_fault(client: Client) -> None:
    fault(client, kind="non_json")
    response = client.request("im_push", push_body())
    assert response.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.data)


def test_close_fault(client: Client) -> None:
    fault(client, kind="close")
    with pytest.raises(ProtocolError):
        client.request("im_push", push_body())
    assert client.sandbox.calls()[0]["fault"] == "close"
    assert client.push(push_body())["ErrorCode"] == 0


def test_delay_fault_then_normal_answer(client: Client) -> None:
    fault(client, kind="delay", delay_seconds=0.3)
    started = time.monotonic()
    assert client.push(push_body())["ErrorCode"] == 0
    assert time.monotonic() - started >= 0.3


def test_accept_then_delay_records_the_push_and_dedups_the_retry(client: Client) -> None:
    client.sandbox.add_fault("accept_then_delay", command="im_push", delay_seconds=0.6)
    url = signed_url(client.sandbox.url, "im_push", client.usersig)
    data = json.dumps(push_body(8)).encode()
    with pytest.raises(ReadTimeoutError):
        client.http.request("POST", url, body=data, timeout=urllib3.Timeout(read=0.2))
    (push,) = client.sandbox.pushes()
    assert client.sandbox.state()["quota_used_today"] == 1
    # When the caller retries with the same MsgRandom, it gets the same task back
    assert client.call("im_push", push_body(8))["TaskId"] == push["task_id"]
    assert client.sandbox.dedup_hits == 1
    time.sleep(0.5)  # let the delayed handler finish before the next test resets the sandbox


def test_delete_faults(client: Client) -> None:
    fault(client, kind="error_code")
    assert client.control("DELETE", "faults") == (200, {"cleared": 1})
    assert client.code("im_get_attr_name", {}) == 0


def test_list_of_fault_specs(client: Client) -> None:
    status, reply = client.control("POST", "faults", [{"kind": "close"}, {"kind": "non_json"}])
    assert (status, reply) == (200, {"queued": 2})
    assert [f["kind"] for f in client.control("GET", "faults")[1]["faults"]] == [
        "close",
        "non_json",
    ]
