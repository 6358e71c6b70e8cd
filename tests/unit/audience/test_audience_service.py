"""User tags and attributes: wire bodies, response shapes, checks before any upstream call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from push_common.attribute_names import get_attribute_names
from push_common.audience import service
from push_common.audience.chunking import Pacer
from push_common.audience.models import ClearTags, RemoveUserAttributes, SetUserAttributes, UserTags
from push_common.errors import ValidationFailed
from push_common.tim_caller import DeadlineCaller
from tests.support.fake_tim import FakeTim, names_answer


@pytest.fixture
def pacer() -> Pacer:
    return Pacer(sleep=lambda _s: None)


def users_attrs(body: Mapping[str, Any]) -> dict[str, Any]:
    # Upstream answers in its own order, and only for users it knows.
    known = {"bob": {"city": "SG"}, "alice": {"city": "NY", "sex": "F"}}
    found = [
        {"To_Account": a, "Attrs": known[a]} for a in reversed(body["To_Account"]) if a in known
    ]
    return {"UserAttrs": found}


def test_get_attributes_in_request_order_with_empty_for_unknown(pacer: Pacer) -> None:
    fake = FakeTim({"im_get_attr": users_attrs})
    result = service.get_user_attributes(fake, ["alice", "carol", "bob"], pacer)
    assert list(result["users"].items()) == [
        ("alice", {"city": "NY", "sex": "F"}),
        ("carol", {}),
        ("bob", {"city": "SG"}),
    ]
    assert fake.calls == [("im_get_attr", {"To_Account": ["alice", "carol", "bob"]})]


def test_get_tags_in_request_order_with_empty_list_for_unknown(pacer: Pacer) -> None:
    answer = {"UserTags": [{"To_Account": "b", "Tags": ["vip"]}, {"To_Account": "a", "Tags": None}]}
    fake = FakeTim({"im_get_tag": lambda _b: answer})
    result = service.get_user_tags(fake, ["a", "b", "c"], pacer)
    assert result == {"users": {"a": [], "b": ["vip"], "c": []}}


def test_get_over_100_accounts_merges_chunks(pacer: Pacer) -> None:
    fake = FakeTim(
        {
            "im_get_tag": lambda b: {
                "UserTags": [{"To_Account": a, "Tags": [a]} for a in b["To_Account"]]
            }
        }
    )
    accounts = [f"u{i}" for i in range(150)]
    result = service.get_user_tags(fake, accounts, pacer)
    assert list(result["users"]) == accounts
    assert result["users"]["u149"] == ["u149"]
    assert len(fake.calls) == 2


def test_set_attributes_sends_user_attrs(pacer: Pacer) -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex", "city")})
    request = SetUserAttributes(users={"alice": {"city": "NY"}, "bob": {"sex": "M"}})
    result = service.set_user_attributes(fake, request, pacer)
    assert result == {"succeeded": ["alice", "bob"], "failed": []}
    assert fake.calls[-1] == (
        "im_set_attr",
        {
            "UserAttrs": [
                {"To_Account": "alice", "Attrs": {"city": "NY"}},
                {"To_Account": "bob", "Attrs": {"sex": "M"}},
            ]
        },
    )


def test_set_unknown_attribute_calls_nothing_but_the_names(pacer: Pacer) -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    with pytest.raises(ValidationFailed) as caught:
        service.set_user_attributes(fake, SetUserAttributes(users={"a": {"city": "NY"}}), pacer)
    assert caught.value.errors[0].upstream_code == 90033
    assert fake.commands() == ["im_get_attr_name", "im_get_attr_name"]  # cached, then re-read


def test_remove_attributes_sends_a_list_of_names(pacer: Pacer) -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex", "city")})
    request = RemoveUserAttributes(users={"alice": ["city", "city", "sex"]})
    service.remove_user_attributes(fake, request, pacer)
    assert fake.calls[-1] == (
        "im_remove_attr",
        {"UserAttrs": [{"To_Account": "alice", "Attrs": ["city", "sex"]}]},
    )


def test_remove_unknown_attribute_is_refused(pacer: Pacer) -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    with pytest.raises(ValidationFailed):
        service.remove_user_attributes(fake, RemoveUserAttributes(users={"a": ["age"]}), pacer)
    assert "im_remove_attr" not in fake.commands()


def test_add_tags_sends_user_tags_deduplicated(pacer: Pacer) -> None:
    fake = FakeTim()
    result = service.add_user_tags(fake, UserTags(users={"a": ["vip", "beta", "vip"]}), pacer)
    assert fake.calls == [
        ("im_add_tag", {"UserTags": [{"To_Account": "a", "Tags": ["vip", "beta"]}]})
    ]
    assert result == {"succeeded": ["a"], "failed": []}


def test_add_eleven_tags_calls_nothing(pacer: Pacer) -> None:
    fake = FakeTim()
    with pytest.raises(ValidationFailed):
        service.add_user_tags(fake, UserTags(users={"a": [f"t{i}" for i in range(11)]}), pacer)
    assert fake.calls == []


def test_remove_tags_sends_user_tags(pacer: Pacer) -> None:
    fake = FakeTim()
    service.remove_user_tags(fake, UserTags(users={"a": ["beta"]}), pacer)
    assert fake.calls == [("im_remove_tag", {"UserTags": [{"To_Account": "a", "Tags": ["beta"]}]})]


def test_clear_tags_sends_to_account_once_per_account(pacer: Pacer) -> None:
    fake = FakeTim()
    result = service.clear_user_tags(fake, ClearTags(accounts=["a", "b", "a"]), pacer)
    assert fake.calls == [("im_remove_all_tags", {"To_Account": ["a", "b"]})]
    assert result == {"succeeded": ["a", "b"], "failed": []}


def test_clear_250_accounts_is_chunked(pacer: Pacer) -> None:
    fake = FakeTim()
    service.clear_user_tags(fake, ClearTags(accounts=[f"u{i}" for i in range(250)]), pacer)
    assert [len(body["To_Account"]) for _, body in fake.calls] == [100, 100, 50]


def test_stale_names_are_refreshed_before_refusing(pacer: Pacer) -> None:
    # Given this Lambda cached the names before "city" was added elsewhere
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    get_attribute_names(fake)
    fake.answers["im_get_attr_name"] = names_answer("sex", "city")
    # When a user's city is set, the request succeeds after one re-read
    result = service.set_user_attributes(
        fake, SetUserAttributes(users={"a": {"city": "NY"}}), pacer
    )
    assert result == {"succeeded": ["a"], "failed": []}


def test_deadline_caller_passes_the_earlier_deadline() -> None:
    fake = FakeTim()
    seen: list[float | None] = []
    original = fake.call

    def spy(command: str, body: Any, **kwargs: Any) -> dict[str, Any]:
        seen.append(kwargs["deadline"])
        return original(command, body, **kwargs)

    fake.call = spy  # type: ignore[method-assign]
    caller = DeadlineCaller(fake, 50.0)
    caller.call("im_get_tag", {})
    caller.call("im_get_tag", {}, deadline=40.0)
    caller.call("im_get_tag", {}, deadline=60.0)
    assert seen == [50.0, 40.0, 50.0]
