"""The sandbox's Push service family `v4/timpush/*` (docs/upstream.md §3): push, batch, revoke,
statistics and the audience twins, with their documented rules and codes."""

from __future__ import annotations

from typing import Any

from devstack.sandbox import UpstreamSandbox
from tests.local_stack.sandbox.helpers import Client, FakeClock, push_body

NOTE = {"PushFlag": 0, "Title": "T", "Desc": "B"}


def tp_push(client: Client, msg_random: int = 1, **fields: Any) -> dict[str, Any]:
    client.clock.advance(1.5)
    body = push_body(msg_random, OnlineOnlyFlag=1, DataId="push-1", **fields)
    result: dict[str, Any] = client.call("timpush/push", body)
    return result


def batch_body(**fields: Any) -> dict[str, Any]:
    body = {
        "From_Account": "administrator",
        "To_Account": ["alice", "bob"],
        "MsgRandom": 7,
        "OfflinePushInfo": NOTE,
        "DataId": "t-1",
    }
    body.update(fields)
    return body


def test_push_is_accepted_and_recorded_with_its_data_id(
    client: Client, sandbox: UpstreamSandbox
) -> None:
    sandbox.add_users("alice")
    out = tp_push(client)
    assert out["ErrorCode"] == 0 and out["TaskId"]
    [pushed] = sandbox.pushes()
    assert (pushed["api"], pushed["command"], pushed["data_id"], pushed["recipients"]) == (
        "timpush",
        "push",
        "push-1",
        ["alice"],
    )


def test_push_rules(client: Client) -> None:
    assert client.code("timpush/push", push_body(1, MsgLifeTime=60)) == 90001
    assert client.code("timpush/push", push_body(2, OnlineOnlyFlag=2)) == 90001
    assert client.code("timpush/push", push_body(3, DataId="x" * 65)) == 90001
    assert client.code("timpush/push", push_body(4, MsgBody=[])) == 90007


def test_push_shares_the_interval_with_im_push(client: Client) -> None:
    assert tp_push(client, 1)["ErrorCode"] == 0
    assert client.code("im_push", push_body(2)) == 90024


def test_batch_is_a_notification_to_named_accounts(
    client: Client, sandbox: UpstreamSandbox
) -> None:
    out = client.call("timpush/batch", batch_body())
    assert out["TaskId"].startswith("batch_")
    assert sandbox.pushes()[-1]["recipients"] == ["alice", "bob"]
    assert sandbox.state()["quota_used_today"] == 0  # no daily quota


def test_batch_rules(client: Client) -> None:
    assert client.code("timpush/batch", batch_body(To_Account=[f"u{i}" for i in range(501)])) == (
        90018
    )
    assert client.code("timpush/batch", batch_body(To_Account=[])) == 90001
    no_note = batch_body()
    del no_note["OfflinePushInfo"]
    assert client.code("timpush/batch", no_note) == 90043
    assert client.code("timpush/batch", batch_body(From_Account="ghost")) == 90008
    assert client.code("timpush/batch", batch_body(MsgRandom=-1)) == 90005


def test_revoke_once_then_already_revoked(client: Client, sandbox: UpstreamSandbox) -> None:
    task = tp_push(client)["TaskId"]
    revoke = {"TaskId": task, "OfflinePushInfo": NOTE}
    assert client.code("timpush/revoke", {"TaskId": task}) == 90053
    client.clock.advance(1.1)
    sandbox.core.rate_clock = lambda: client.clock.now
    try:
        assert client.code("timpush/revoke", revoke) == 0
        client.clock.advance(1.1)
        assert client.code("timpush/revoke", revoke) == 90050
        client.clock.advance(1.1)
        assert client.code("timpush/revoke", {"TaskId": "nope", "OfflinePushInfo": NOTE}) == 90049
        assert client.code("timpush/revoke", revoke) == 90051  # same second: 1/s
    finally:
        sandbox.core.rate_clock = __import__("time").monotonic


def test_revoke_after_24_hours_is_90052(client: Client, clock: FakeClock) -> None:
    task = tp_push(client)["TaskId"]
    clock.advance(24 * 3600 + 1)
    assert client.code("timpush/revoke", {"TaskId": task, "OfflinePushInfo": NOTE}) == 90052


def test_statistics_of_a_task_in_the_window(
    client: Client, sandbox: UpstreamSandbox, clock: FakeClock
) -> None:
    sandbox.add_users("alice", "bob")
    task = tp_push(client)["TaskId"]
    now = int(clock.now)
    out = client.call(
        "timpush/all_member_push_statistics",
        {"StartTime": now - 60, "EndTime": now + 1, "TaskID": [task]},
    )
    [result] = out["Results"]
    assert (result["TaskID"], result["TotalCount"], result["DeliveredCount"]) == (task, 2, 2)
    assert result["PlatformStatistics"][0]["EventType"] == 1
    assert out["ErrorInfo"] == "sucess"


def test_statistics_rules(client: Client, sandbox: UpstreamSandbox, clock: FakeClock) -> None:
    now = int(clock.now)
    bad = {"StartTime": now, "EndTime": now - 1, "TaskID": []}
    assert client.code("timpush/all_member_push_statistics", bad) == 90001
    sandbox.core._recent.clear()
    many = {"StartTime": 0, "EndTime": now, "TaskID": [str(i) for i in range(6)]}
    assert client.code("timpush/all_member_push_statistics", many) == 90018


def test_audience_twins_share_the_state(client: Client, sandbox: UpstreamSandbox) -> None:
    tags = {"UserTags": [{"To_Account": "alice", "Tags": ["vip", "beta"]}]}
    assert client.code("timpush/add_tag", tags) == 0
    assert client.call("im_get_tag", {"To_Account": ["alice"]})["UserTags"][0]["Tags"] == [
        "vip",
        "beta",
    ]
    replace = {"Replace": 1, "UserTags": [{"To_Account": "alice", "Tags": ["new"]}]}
    assert client.code("timpush/add_tag", replace) == 0
    assert sandbox.state()["user_tags"]["alice"] == ["new"]
    assert client.code("timpush/clear_all_tags", {"To_Account": ["alice"]}) == 0
    assert client.code("timpush/remove_all_tags", {"To_Account": ["alice"]}) == 60009
    assert client.code("timpush/set_attr_name", {"AttrNames": {"0": "city"}}) == 0
    assert client.call("timpush/get_attr_name", {})["AttrNames"] == {"0": "city"}


def test_faults_apply_to_timpush_commands(client: Client, sandbox: UpstreamSandbox) -> None:
    sandbox.add_fault("error_code", command="batch", error_code=91000)
    assert client.code("timpush/batch", batch_body()) == 91000
    assert client.code("timpush/batch", batch_body(MsgRandom=8)) == 0
