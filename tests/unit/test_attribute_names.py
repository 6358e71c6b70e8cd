"""The attribute-name cache the push path and the attribute writes check against."""

from __future__ import annotations

import pytest

from push_common import caches
from push_common.attribute_names import (
    attribute_names_for,
    get_attribute_names,
    invalidate_attribute_names,
    parse_attr_names,
)
from tests.support.fake_tim import FakeTim, names_answer


def test_names_come_back_in_index_order() -> None:
    # Given upstream lists the names out of order
    fake = FakeTim({"im_get_attr_name": lambda _b: {"AttrNames": {"1": "city", "0": "sex"}}})
    # Then they are returned by index, asking upstream with an empty body
    assert get_attribute_names(fake) == ("sex", "city")
    assert fake.calls == [("im_get_attr_name", {})]


def test_index_order_is_numeric_not_lexical() -> None:
    raw = {"AttrNames": {str(i): f"n{i}" for i in (10, 2, 0, 1)}}
    assert list(parse_attr_names(raw)) == [0, 1, 2, 10]


@pytest.mark.parametrize(
    "response",
    [{}, {"AttrNames": None}, {"AttrNames": []}, {"AttrNames": {"x": "a", "0": "", "1": 5}}],
)
def test_missing_or_malformed_names_mean_no_names(response: dict[str, object]) -> None:
    assert parse_attr_names(response) == {}


def test_second_lookup_is_served_from_cache() -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    get_attribute_names(fake)
    assert get_attribute_names(fake) == ("sex",)
    assert fake.commands() == ["im_get_attr_name"]


def test_force_refresh_asks_upstream_again() -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    get_attribute_names(fake)
    fake.answers["im_get_attr_name"] = names_answer("sex", "city")
    assert get_attribute_names(fake, force_refresh=True) == ("sex", "city")


@pytest.mark.parametrize("forget", [invalidate_attribute_names, caches.clear_all])
def test_invalidation_forgets_the_names(forget: object) -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    get_attribute_names(fake)
    forget()  # type: ignore[operator]
    get_attribute_names(fake)
    assert fake.commands() == ["im_get_attr_name", "im_get_attr_name"]


def test_cache_expires_after_max_age(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a 60 s max age and a clock we control
    monkeypatch.setenv("ATTR_NAMES_MAX_AGE_SECONDS", "60")
    now = [1000.0]
    monkeypatch.setattr("push_common.attribute_names.time.monotonic", lambda: now[0])
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    get_attribute_names(fake)
    now[0] += 59.0
    get_attribute_names(fake)
    assert fake.commands() == ["im_get_attr_name"]
    # When the age passes 60 s, upstream is asked again
    now[0] += 1.0
    get_attribute_names(fake)
    assert fake.commands() == ["im_get_attr_name", "im_get_attr_name"]


def test_max_age_zero_disables_caching(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATTR_NAMES_MAX_AGE_SECONDS", "0")
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    get_attribute_names(fake)
    get_attribute_names(fake)
    assert fake.commands() == ["im_get_attr_name", "im_get_attr_name"]


def test_names_for_known_names_use_the_cache() -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex", "city")})
    get_attribute_names(fake)
    assert attribute_names_for(["city"], fake) == ("sex", "city")
    assert fake.commands() == ["im_get_attr_name"]


def test_names_for_a_missing_name_reread_upstream_once() -> None:
    # Given a cached list from before another Lambda added "tier"
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    get_attribute_names(fake)
    fake.answers["im_get_attr_name"] = names_answer("sex", "tier")
    # Then a request using "tier" sees the fresh list
    assert attribute_names_for(["tier", "sex"], fake) == ("sex", "tier")
    assert attribute_names_for(["nope"], fake) == ("sex", "tier")
    assert fake.commands() == ["im_get_attr_name"] * 3


def test_without_a_client_the_process_client_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeTim({"im_get_attr_name": names_answer("sex")})
    monkeypatch.setattr("push_common.attribute_names.get_tim_client", lambda: fake)
    assert get_attribute_names() == ("sex",)
    assert fake.commands() == ["im_get_attr_name"]
