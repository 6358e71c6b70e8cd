"""`PUT /v1/attribute-names`: guarded re-indexing, cache invalidation, audit log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from push_common.attribute_names import get_attribute_names
from push_common.audience.models import SetAttributeNames
from push_common.audience.names import list_attribute_names, set_attribute_names
from push_common.errors import ReindexRefused, UpstreamTimeout, ValidationFailed
from tests.support.fake_tim import FakeTim, failing

ADMIN = "arn:aws:iam::123456789012:user/ops-admin"


class NamesStore:
    """Merges by index, as upstream's im_set_attr_name does."""

    def __init__(self, *names: str) -> None:
        self.names = {str(i): n for i, n in enumerate(names)}

    def get(self, _body: Mapping[str, Any]) -> dict[str, Any]:
        return {"AttrNames": dict(self.names)}

    def set(self, body: Mapping[str, Any]) -> dict[str, Any]:
        self.names.update(body["AttrNames"])
        return {}


def fake_with(*names: str) -> tuple[FakeTim, NamesStore]:
    store = NamesStore(*names)
    return FakeTim({"im_get_attr_name": store.get, "im_set_attr_name": store.set}), store


def put(fake: FakeTim, names: list[str], allow_reindex: bool = False) -> dict[str, Any]:
    request = SetAttributeNames(names=names, allow_reindex=allow_reindex)
    return set_attribute_names(fake, request, principal=ADMIN)


def test_first_names_are_set_by_index() -> None:
    fake, _ = fake_with()
    assert put(fake, ["sex", "city"]) == {"names": ["sex", "city"]}
    assert ("im_set_attr_name", {"AttrNames": {"0": "sex", "1": "city"}}) in fake.calls


def test_appending_a_name_is_allowed() -> None:
    fake, store = fake_with("sex", "city")
    put(fake, ["sex", "city", "tier"])
    assert store.names == {"0": "sex", "1": "city", "2": "tier"}


@pytest.mark.parametrize(
    ("names", "field"),
    [(["city", "sex"], "names[1]"), (["sex"], "names"), (["sex", "town"], "names")],
)
def test_moving_or_dropping_a_name_is_refused(names: list[str], field: str) -> None:
    fake, store = fake_with("sex", "city")
    with pytest.raises(ReindexRefused) as caught:
        put(fake, names)
    assert (caught.value.status, caught.value.code) == (409, "reindex_refused")
    assert caught.value.errors[0].field == field
    assert "im_set_attr_name" not in fake.commands()
    assert store.names == {"0": "sex", "1": "city"}


def test_allow_reindex_moves_names() -> None:
    fake, _ = fake_with("sex", "city")
    assert put(fake, ["city", "sex"], allow_reindex=True) == {"names": ["city", "sex"]}


def test_duplicates_are_refused_before_reading_upstream() -> None:
    fake, _ = fake_with()
    with pytest.raises(ValidationFailed):
        put(fake, ["sex", "sex"])
    assert fake.calls == []


def test_update_invalidates_the_names_cache() -> None:
    fake, _ = fake_with("sex")
    get_attribute_names(fake)
    put(fake, ["sex", "city"])
    assert get_attribute_names(fake) == ("sex", "city")


def test_cache_is_invalidated_even_when_the_update_times_out() -> None:
    fake, _ = fake_with("sex")
    fake.answers["im_set_attr_name"] = failing(UpstreamTimeout("no answer"))
    with pytest.raises(UpstreamTimeout):
        put(fake, ["sex", "city"])
    fake.calls.clear()
    get_attribute_names(fake)
    assert fake.commands() == ["im_get_attr_name"]


def test_change_is_logged_with_who_and_what(caplog: pytest.LogCaptureFixture) -> None:
    fake, _ = fake_with("sex")
    put(fake, ["sex", "city"])
    (record,) = [r for r in caplog.records if r.getMessage() == "attribute names changed"]
    fields = vars(record)
    assert fields["principal"] == ADMIN
    assert (fields["old_names"], fields["new_names"]) == (["sex"], ["sex", "city"])


def test_list_reads_upstream_not_the_cache() -> None:
    # Given a cached list from before another Lambda appended "city"
    fake, store = fake_with("sex")
    get_attribute_names(fake)
    store.names["1"] = "city"
    # Then listing shows the current names, in index order, and refreshes the cache
    assert list_attribute_names(fake) == {"names": ["sex", "city"]}
    assert get_attribute_names(fake) == ("sex", "city")
