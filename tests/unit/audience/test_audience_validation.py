"""Every request rule of the audience routes: the field named, the upstream code prevented."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from push_common.audience import rules
from push_common.audience.models import (
    ClearTags,
    RemoveUserAttributes,
    SetAttributeNames,
    SetUserAttributes,
    UserTags,
)
from push_common.audience.validation import field_path, validate_model
from push_common.errors import FieldProblem, ValidationFailed


def problems_of(model: type[BaseModel], data: dict[str, Any]) -> list[FieldProblem]:
    with pytest.raises(ValidationFailed) as caught:
        validate_model(model, data)
    return list(caught.value.errors)


def only_problem(model: type[BaseModel], data: dict[str, Any]) -> FieldProblem:
    problems = problems_of(model, data)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("users", "alice", 2), "users.alice[2]"),
        (("users", "a.b", "[key]"), 'users["a.b"]'),
        (("users", "bob", "city"), "users.bob.city"),
        (("names", 0), "names[0]"),
        ((), ""),
    ],
)
def test_field_paths_follow_the_json(loc: tuple[int | str, ...], path: str) -> None:
    assert field_path(loc) == path


# --- tags ---------------------------------------------------------------------------------


def test_empty_tag_prevents_90040() -> None:
    problem = only_problem(UserTags, {"users": {"alice": ["vip", "beta", ""]}})
    assert (problem.field, problem.upstream_code) == ("users.alice[2]", 90040)


def test_tag_of_51_bytes_prevents_90020() -> None:
    problem = only_problem(UserTags, {"users": {"alice": ["é" * 25 + "x"]}})
    assert (problem.field, problem.upstream_code) == ("users.alice[0]", 90020)


def test_tag_of_50_bytes_is_fine() -> None:
    assert validate_model(UserTags, {"users": {"alice": ["é" * 25]}}).users == {"alice": ["é" * 25]}


def test_eleven_tags_added_prevents_90032() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.check_added_tags({"alice": [f"t{i}" for i in range(11)]})
    (problem,) = caught.value.errors
    assert (problem.field, problem.upstream_code) == ("users.alice", 90032)


def test_duplicate_added_tags_count_once() -> None:
    tags = [f"t{i}" for i in range(10)] + ["t0"]
    assert rules.check_added_tags({"alice": tags}) == {"alice": tags[:10]}


def test_non_string_tag_is_refused() -> None:
    assert only_problem(UserTags, {"users": {"alice": [7]}}).field == "users.alice[0]"


@pytest.mark.parametrize("bad", ["\ud800", "ok\udfff"])
def test_lone_surrogate_tag_is_refused(bad: str) -> None:
    problem = only_problem(UserTags, {"users": {"alice": [bad]}})
    assert problem.field == "users.alice[0]"
    assert "Unicode" in problem.message


# --- accounts -----------------------------------------------------------------------------


def test_non_string_account_prevents_60015() -> None:
    problem = only_problem(ClearTags, {"accounts": ["alice", 42]})
    assert (problem.field, problem.upstream_code) == ("accounts[1]", 60015)


def test_empty_account_key_is_refused() -> None:
    problem = only_problem(UserTags, {"users": {"": ["vip"]}})
    assert problem.field == 'users[""]'
    assert problem.message.startswith("key:")


def test_lone_surrogate_account_is_refused() -> None:
    assert only_problem(ClearTags, {"accounts": ["\udc80"]}).field == "accounts[0]"


def test_account_list_is_deduplicated_in_order() -> None:
    assert rules.check_accounts(["b", "a", "b"]) == ["b", "a"]


def test_empty_account_list_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        rules.check_accounts([])


def test_more_than_1000_accounts_are_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.check_users({f"u{i}": ["t"] for i in range(1001)})
    assert caught.value.errors[0].field == "users"


@pytest.mark.parametrize("users", [{}, {"alice": []}])
def test_nothing_to_do_is_refused(users: dict[str, list[str]]) -> None:
    with pytest.raises(ValidationFailed):
        rules.check_users(users)


# --- accounts query -----------------------------------------------------------------------


def test_accounts_query_keeps_order_and_drops_repeats() -> None:
    assert rules.parse_accounts_query({"accounts": "carol,alice,carol,bob"}) == [
        "carol",
        "alice",
        "bob",
    ]


@pytest.mark.parametrize(
    ("raw", "field"),
    [(None, "accounts"), ("", "accounts"), ("a,,b", "accounts[1]"), ("a,", "accounts[1]")],
)
def test_accounts_query_needs_non_empty_items(raw: str | None, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.parse_accounts_query({} if raw is None else {"accounts": raw})
    assert caught.value.errors[0].field == field


def test_accounts_query_refuses_invalid_unicode() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.parse_accounts_query({"accounts": "a,\ud800"})
    assert caught.value.errors[0].field == "accounts[1]"


# --- attribute names (PUT) ----------------------------------------------------------------


def test_eleven_attribute_names_prevent_90033() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.check_names_list([f"n{i}" for i in range(11)])
    (problem,) = caught.value.errors
    assert (problem.field, problem.upstream_code) == ("names", 90033)


def test_duplicate_attribute_name_prevents_90033() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.check_names_list(["sex", "city", "sex"])
    (problem,) = caught.value.errors
    assert (problem.field, problem.upstream_code) == ("names[2]", 90033)
    assert "names[0]" in problem.message


@pytest.mark.parametrize("name", ["", "x" * 51])
def test_attribute_name_length_prevents_90030(name: str) -> None:
    problem = only_problem(SetAttributeNames, {"names": ["sex", name]})
    assert (problem.field, problem.upstream_code) == ("names[1]", 90030)


def test_allow_reindex_must_be_a_boolean() -> None:
    problem = only_problem(SetAttributeNames, {"names": ["sex"], "allow_reindex": "yes"})
    assert problem.field == "allow_reindex"


# --- attribute values and names on users ---------------------------------------------------


@pytest.mark.parametrize("value", ["", "v" * 51])
def test_attribute_value_length_prevents_90030(value: str) -> None:
    problem = only_problem(SetUserAttributes, {"users": {"alice": {"city": value}}})
    assert (problem.field, problem.upstream_code) == ("users.alice.city", 90030)


def test_attribute_value_must_be_a_string() -> None:
    problem = only_problem(SetUserAttributes, {"users": {"alice": {"age": 30}}})
    assert problem.field == "users.alice.age"


def test_unknown_attribute_name_prevents_90033() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.check_known_names({"alice": {"city": "NY", "age": "3"}}, ("sex", "city"))
    (problem,) = caught.value.errors
    assert (problem.field, problem.upstream_code) == ("users.alice.age", 90033)
    assert "sex, city" in problem.message


def test_unknown_attribute_name_in_a_removal_names_its_index() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.check_known_names({"alice": ["city", "age"]}, ("city",))
    assert caught.value.errors[0].field == "users.alice[1]"


# --- unknown and missing fields ----------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (UserTags, {"users": {}, "user": {}}, "user"),
        (ClearTags, {"accounts": ["a"], "dry_run": True}, "dry_run"),
        (SetAttributeNames, {"names": [], "allowReindex": True}, "allowReindex"),
        (RemoveUserAttributes, {"users": {}, "x": 1}, "x"),
    ],
)
def test_unknown_fields_are_refused(
    model: type[BaseModel], data: dict[str, Any], field: str
) -> None:
    problem = only_problem(model, data)
    assert (problem.field, problem.message) == (field, "unknown field")


def test_missing_field_is_named() -> None:
    problem = only_problem(UserTags, {})
    assert (problem.field, problem.message) == ("users", "field required")


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(UserTags, {"users": {"a": ["", "x" * 51]}, "extra": 1})
    assert {p.field for p in problems} == {"users.a[0]", "users.a[1]", "extra"}


def test_unknown_query_parameter_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.parse_accounts_query({"accounts": "a", "account": "b"})
    assert [(p.field, p.message) for p in caught.value.errors] == [
        ("account", "unknown query parameter")
    ]
