"""The nine attribute/tag commands: shapes of docs/upstream.md §2.2-2.10 and their limits."""

from __future__ import annotations

from typing import Any

import pytest

from tests.local_stack.sandbox.helpers import Client

pytestmark = pytest.mark.integration

ACCOUNTS_101 = [f"u{i}" for i in range(101)]


@pytest.fixture
def named(client: Client) -> Client:
    assert client.code("im_set_attr_name", {"AttrNames": {"0": "sex", "1": "city"}}) == 0
    return client


def set_attrs(client: Client, account: str, attrs: dict[str, Any]) -> int:
    return client.code("im_set_attr", {"UserAttrs": [{"To_Account": account, "Attrs": attrs}]})


def tags_body(account: str, tags: list[Any]) -> dict[str, Any]:
    return {"UserTags": [{"To_Account": account, "Tags": tags}]}


def test_attr_names_round_trip_and_merge(named: Client) -> None:
    assert named.code("im_set_attr_name", {"AttrNames": {"2": "tier"}}) == 0
    reply = named.call("im_get_attr_name", {})
    assert reply["AttrNames"] == {"0": "sex", "1": "city", "2": "tier"}


@pytest.mark.parametrize(
    "names",
    [{"10": "x"}, {"a": "x"}, {"2": ""}, {"2": "n" * 51}, {"2": 5}, {"2": "sex"}],
)
def test_bad_attr_names_are_90033(named: Client, names: dict[str, Any]) -> None:
    assert named.code("im_set_attr_name", {"AttrNames": names}) == 90033
    assert named.call("im_get_attr_name", {})["AttrNames"] == {"0": "sex", "1": "city"}


def test_set_and_get_attr(named: Client) -> None:
    assert set_attrs(named, "ann", {"sex": "F", "city": "NY"}) == 0
    reply = named.call("im_get_attr", {"To_Account": ["ann", "nobody"]})
    assert reply["UserAttrs"] == [
        {"To_Account": "ann", "Attrs": {"sex": "F", "city": "NY"}},
        {"To_Account": "nobody", "Attrs": {}},
    ]


def test_set_attr_unknown_name_is_90033_and_changes_nothing(named: Client) -> None:
    body = {
        "UserAttrs": [
            {"To_Account": "ann", "Attrs": {"sex": "F"}},
            {"To_Account": "bob", "Attrs": {"age": "3"}},
        ]
    }
    assert named.code("im_set_attr", body) == 90033
    assert named.sandbox.state()["user_attrs"] == {}


@pytest.mark.parametrize("value", ["", "v" * 51, "é" * 26, 7])
def test_set_attr_bad_value_is_90030(named: Client, value: Any) -> None:
    assert set_attrs(named, "ann", {"sex": value}) == 90030


def test_set_attr_value_of_50_bytes(named: Client) -> None:
    assert set_attrs(named, "ann", {"sex": "é" * 25}) == 0


def test_remove_attr_takes_names(named: Client) -> None:
    set_attrs(named, "ann", {"sex": "F", "city": "NY"})
    body = {"UserAttrs": [{"To_Account": "ann", "Attrs": ["city"]}]}
    assert named.code("im_remove_attr", body) == 0
    assert named.sandbox.state()["user_attrs"] == {"ann": {"sex": "F"}}


def test_remove_attr_unknown_name_is_90033(named: Client) -> None:
    body = {"UserAttrs": [{"To_Account": "ann", "Attrs": ["age"]}]}
    assert named.code("im_remove_attr", body) == 90033


def test_remove_attr_with_object_is_malformed(named: Client) -> None:
    body = {"UserAttrs": [{"To_Account": "ann", "Attrs": {"sex": "F"}}]}
    assert named.code("im_remove_attr", body) == 90001


@pytest.mark.parametrize(
    ("command", "body"),
    [
        ("im_get_attr", {"To_Account": ACCOUNTS_101}),
        ("im_get_tag", {"To_Account": ACCOUNTS_101}),
        ("im_remove_all_tags", {"To_Account": ACCOUNTS_101}),
        ("im_set_attr", {"UserAttrs": [{"To_Account": a, "Attrs": {}} for a in ACCOUNTS_101]}),
        ("im_remove_attr", {"UserAttrs": [{"To_Account": a, "Attrs": []} for a in ACCOUNTS_101]}),
        ("im_add_tag", {"UserTags": [{"To_Account": a, "Tags": ["x"]} for a in ACCOUNTS_101]}),
        ("im_remove_tag", {"UserTags": [{"To_Account": a, "Tags": ["x"]} for a in ACCOUNTS_101]}),
    ],
)
def test_more_than_100_accounts_is_90018(named: Client, command: str, body: Any) -> None:
    assert named.code(command, body) == 90018


@pytest.mark.parametrize(
    ("command", "body"),
    [
        ("im_get_attr", {"To_Account": ["a", 1]}),
        ("im_get_tag", {"To_Account": [None]}),
        ("im_remove_all_tags", {"To_Account": [{"id": "a"}]}),
        ("im_set_attr", {"UserAttrs": [{"To_Account": 5, "Attrs": {"sex": "F"}}]}),
        ("im_add_tag", {"UserTags": [{"To_Account": 5, "Tags": ["x"]}]}),
    ],
)
def test_non_string_account_is_60015(named: Client, command: str, body: Any) -> None:
    assert named.code(command, body) == 60015


def test_exactly_100_accounts_pass(named: Client) -> None:
    assert named.code("im_get_tag", {"To_Account": ACCOUNTS_101[:100]}) == 0


def test_add_get_remove_tags(client: Client) -> None:
    assert client.code("im_add_tag", tags_body("ann", ["a", "b", "a"])) == 0
    assert client.code("im_add_tag", tags_body("ann", ["b", "c"])) == 0
    reply = client.call("im_get_tag", {"To_Account": ["ann", "bob"]})
    assert reply["UserTags"] == [
        {"To_Account": "ann", "Tags": ["a", "b", "c"]},
        {"To_Account": "bob", "Tags": []},
    ]
    assert client.code("im_remove_tag", tags_body("ann", ["b", "zzz"])) == 0
    assert client.sandbox.state()["user_tags"] == {"ann": ["a", "c"]}
    assert client.code("im_remove_all_tags", {"To_Account": ["ann"]}) == 0
    assert client.call("im_get_tag", {"To_Account": ["ann"]})["UserTags"][0]["Tags"] == []


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ([f"t{i}" for i in range(11)], 90032),
        ([""], 90040),
        (["t" * 51], 90020),
        ([1], 90001),
    ],
)
def test_add_tag_rules(client: Client, tags: list[Any], code: int) -> None:
    assert client.code("im_add_tag", tags_body("ann", tags)) == code
    assert client.sandbox.state()["user_tags"] == {}


def test_at_most_100_tags_per_user(client: Client) -> None:
    for batch in range(10):
        tags = [f"t{batch}-{i}" for i in range(10)]
        assert client.code("im_add_tag", tags_body("ann", tags)) == 0
    assert client.code("im_add_tag", tags_body("ann", ["one-more"])) == 90032
    assert len(client.sandbox.state()["user_tags"]["ann"]) == 100


def test_tagged_and_attributed_users_become_known(named: Client) -> None:
    named.code("im_add_tag", tags_body("ann", ["x"]))
    set_attrs(named, "bob", {"sex": "M"})
    assert named.sandbox.state()["users"] == ["ann", "bob"]


@pytest.mark.parametrize("command", ["im_get_tag", "im_get_attr", "im_remove_all_tags"])
def test_missing_account_list_is_90001(client: Client, command: str) -> None:
    assert client.code(command, {}) == 90001


def test_more_than_100_calls_per_second_is_60007(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    tick = [100.0]
    monkeypatch.setattr(client.sandbox.core, "rate_clock", lambda: tick[0])
    codes = [client.code("im_get_attr_name", {}) for _ in range(101)]
    assert codes[:100] == [0] * 100
    assert codes[100] == 60007
    assert client.code("im_get_tag", {"To_Account": []}) == 0  # limits are per command
    tick[0] += 1.0
    assert client.code("im_get_attr_name", {}) == 0
