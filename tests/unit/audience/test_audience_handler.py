"""The Lambda handler over API Gateway v2 events: routes, bodies, problem responses."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from functions.audience_api import handler
from push_common.errors import DependencyUnavailable
from tests.support.audience_calls import invoke, with_body
from tests.support.audience_calls import load_event as event
from tests.support.fake_tim import FakeTim, FakeUpstreamError, failing, names_answer


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTim:
    fake = FakeTim(
        {
            "im_get_attr_name": names_answer("sex", "city"),
            "im_get_attr": lambda b: {
                "UserAttrs": [{"To_Account": "alice", "Attrs": {"city": "NY"}}]
            },
            "im_get_tag": lambda b: {"UserTags": [{"To_Account": "bob", "Tags": ["vip"]}]},
        }
    )
    monkeypatch.setattr(handler, "get_tim_client", lambda: fake)
    return fake


EXPECTED = {
    "get_attribute_names": {"names": ["sex", "city"]},
    "put_attribute_names": {"names": ["sex", "city"]},
    "get_user_attributes": {"users": {"alice": {"city": "NY"}, "bob": {}}},
    "patch_user_attributes": {"succeeded": ["alice", "bob"], "failed": []},
    "remove_user_attributes": {"succeeded": ["alice"], "failed": []},
    "get_user_tags": {"users": {"alice": [], "bob": ["vip"]}},
    "add_user_tags": {"succeeded": ["alice", "bob"], "failed": []},
    "remove_user_tags": {"succeeded": ["alice"], "failed": []},
    "clear_user_tags": {"succeeded": ["bob"], "failed": []},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_event_file_is_served(fake: FakeTim, name: str) -> None:
    status, headers, body = invoke(event(name))
    assert (status, body) == (200, EXPECTED[name])
    assert headers["Content-Type"] == "application/json"


def test_unknown_route_is_a_404_problem(fake: FakeTim) -> None:
    ev = copy.deepcopy(event("get_user_tags"))
    ev["rawPath"] = ev["requestContext"]["http"]["path"] = "/v1/users/tagz"
    ev["routeKey"] = "GET /v1/users/tagz"
    status, headers, body = invoke(ev)
    assert (status, body["code"]) == (404, "not_found")
    assert headers["Content-Type"] == "application/problem+json"


def test_base64_json_body_is_accepted(fake: FakeTim) -> None:
    ev = with_body("add_user_tags", '{"users": {"zoë": ["vip"]}}', b64=True)
    assert invoke(ev)[2] == {"succeeded": ["zoë"], "failed": []}


def test_non_utf8_body_is_400_without_upstream_call(fake: FakeTim) -> None:
    status, headers, body = invoke(with_body("add_user_tags", b'{"users": "\xff"}', b64=True))
    assert (status, body["code"], body["retryable"]) == (400, "invalid_body", False)
    assert headers["Content-Type"] == "application/problem+json"
    assert fake.calls == []


@pytest.mark.parametrize("raw", ["not json", "[]", ""])
def test_non_object_body_is_400(fake: FakeTim, raw: str) -> None:
    assert invoke(with_body("clear_user_tags", raw))[0] == 400


def test_oversized_body_is_413(fake: FakeTim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    body = json.dumps({"accounts": ["x" * 2000]})
    status, _, problem = invoke(with_body("clear_user_tags", body))
    assert (status, problem["code"]) == (413, "payload_too_large")


def test_unknown_field_is_422_with_field_problems(fake: FakeTim) -> None:
    status, _, body = invoke(with_body("clear_user_tags", '{"accounts": ["a"], "all": true}'))
    assert (status, body["code"]) == (422, "validation_failed")
    assert body["errors"] == [{"field": "all", "message": "unknown field"}]
    assert fake.calls == []


def test_validation_problem_names_the_upstream_code(fake: FakeTim) -> None:
    _, _, body = invoke(with_body("add_user_tags", '{"users": {"alice": ["vip", ""]}}'))
    assert body["errors"] == [
        {"field": "users.alice[1]", "message": "tag must not be empty", "upstream_code": 90040}
    ]


def test_get_without_accounts_is_422(fake: FakeTim) -> None:
    ev = copy.deepcopy(event("get_user_tags"))
    del ev["queryStringParameters"]
    status, _, body = invoke(ev)
    assert (status, body["errors"][0]["field"]) == (422, "accounts")


def test_reindex_refusal_is_409(fake: FakeTim) -> None:
    status, _, body = invoke(with_body("put_attribute_names", '{"names": ["city", "sex"]}'))
    assert (status, body["code"], body["retryable"]) == (409, "reindex_refused", False)


def test_upstream_rejection_is_502_with_upstream_code(fake: FakeTim) -> None:
    fake.answers["im_add_tag"] = failing(FakeUpstreamError(90045, "feature off"))
    status, _, body = invoke(event("add_user_tags"))
    assert (status, body["upstream_code"]) == (502, 90045)


def test_unavailable_upstream_is_503_with_retry_after(fake: FakeTim) -> None:
    fake.answers["im_get_tag"] = failing(DependencyUnavailable("down", retry_after=1))
    status, headers, body = invoke(event("get_user_tags"))
    assert (status, headers["Retry-After"], body["retryable"]) == (503, "1", True)


def test_calls_carry_a_deadline_inside_the_lambda_time(
    fake: FakeTim, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[float | None] = []
    original = fake.call

    def spy(command: str, body: Any, **kwargs: Any) -> dict[str, Any]:
        seen.append(kwargs.get("deadline"))
        return original(command, body, **kwargs)

    monkeypatch.setattr(fake, "call", spy)
    monkeypatch.setattr("push_common.edge.router.time.monotonic", lambda: 1000.0)
    invoke(event("get_user_tags"))
    assert seen == [1009.0]  # 10 s left, 1 s kept to answer
