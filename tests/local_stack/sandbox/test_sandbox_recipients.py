"""Who an accepted push reaches: all, TagsOr/TagsAnd, AttrsOr/AttrsAnd."""

from __future__ import annotations

from typing import Any

import pytest

from tests.local_stack.sandbox.helpers import Client, push_body

pytestmark = pytest.mark.integration


@pytest.fixture
def audience(client: Client) -> Client:
    client.sandbox.add_users("plain")
    tags = {"ann": ["vip", "beta"], "bob": ["vip"], "cid": ["beta"], "dee": ["other"]}
    entries = [{"To_Account": user, "Tags": t} for user, t in tags.items()]
    assert client.code("im_add_tag", {"UserTags": entries}) == 0
    assert client.code("im_set_attr_name", {"AttrNames": {"0": "sex", "1": "city"}}) == 0
    attrs = {
        "ann": {"sex": "F", "city": "NY"},
        "bob": {"sex": "M", "city": "NY"},
        "eve": {"sex": "F"},
    }
    attr_entries = [{"To_Account": user, "Attrs": a} for user, a in attrs.items()]
    assert client.code("im_set_attr", {"UserAttrs": attr_entries}) == 0
    return client


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, ["ann", "bob", "cid", "dee", "eve", "plain"]),
        ({"TagsOr": ["vip", "beta"]}, ["ann", "bob", "cid"]),
        ({"TagsAnd": ["vip", "beta"]}, ["ann"]),
        ({"TagsOr": ["beta", "other"], "TagsAnd": ["vip"]}, ["ann"]),
        ({"TagsOr": ["nobody-has-this"]}, []),
        ({"AttrsOr": {"sex": "M", "city": "NY"}}, ["ann", "bob"]),
        ({"AttrsAnd": {"sex": "F", "city": "NY"}}, ["ann"]),
        ({"AttrsAnd": {"sex": "F"}}, ["ann", "eve"]),
        ({"AttrsOr": {"city": "NY"}, "AttrsAnd": {"sex": "M"}}, ["bob"]),
    ],
)
def test_recipients(
    audience: Client, condition: dict[str, Any] | None, expected: list[str]
) -> None:
    body = push_body(5) if condition is None else push_body(5, Condition=condition)
    reply = audience.push(body)
    assert reply["ErrorCode"] == 0
    (push,) = audience.sandbox.pushes()
    assert push["recipients"] == expected
    assert push["task_id"] == reply["TaskId"]
    assert (push["msg_random"], push["body"], push["at"]) == (5, body, audience.clock())


def test_admin_is_not_a_recipient_of_all(client: Client) -> None:
    client.push(push_body())
    assert client.sandbox.pushes()[0]["recipients"] == []


def test_renamed_index_retargets_stored_values(audience: Client) -> None:
    assert audience.code("im_set_attr_name", {"AttrNames": {"1": "town"}}) == 0
    audience.push(push_body(Condition={"AttrsAnd": {"town": "NY"}}))
    assert audience.sandbox.pushes()[0]["recipients"] == ["ann", "bob"]
    assert audience.code("im_push", push_body(6, Condition={"AttrsAnd": {"city": "NY"}})) == 90033
