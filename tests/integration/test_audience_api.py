"""The audience routes over real HTTP: local stack → audience Lambda → upstream sandbox.

Runs against the shared session stack, so every test uses accounts, tags and attribute values
unique to this run and only ever appends attribute names (never refused, never disturbs others).
Every answer is checked against `openapi/openapi.yaml`.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.openapi_check import validate_response
from tests.support.stack_client import Reply, StackProcess, request

pytestmark = pytest.mark.integration

ADMIN = "arn:aws:iam::123456789012:role/audience-admin"
RUN = uuid.uuid4().hex[:8]
NAMES = ("aud_tier", "aud_region")


def call(stack: StackProcess, method: str, route: str, body: Any = None, query: str = "") -> Reply:
    """One request as the admin principal; the answer must match the documented schema."""
    url = stack.url + route + (f"?accounts={quote(query, safe=',')}" if query else "")
    reply = request(method, url, body, headers={"x-local-caller-arn": ADMIN})
    content_type = reply.headers["content-type"].split(";")[0]
    validate_response(method, route, reply.status, content_type, reply.json())
    return reply


def sandbox(stack: StackProcess, method: str, route: str, body: Any = None) -> Any:
    assert stack.sandbox_url is not None, "the stack must run its own upstream sandbox"
    reply = request(method, f"{stack.sandbox_url}/_sandbox/{route}", body)
    assert reply.status == 200, reply.body
    return reply.json()


def user(name: str) -> str:
    return f"{name}-{RUN}"


@pytest.fixture(scope="module")
def stack(local_stack: StackProcess) -> StackProcess:
    """The session stack with this module's attribute names appended to the app's names."""
    current = call(local_stack, "GET", "/v1/attribute-names").json()["names"]
    wanted = current + [n for n in NAMES if n not in current]
    reply = call(local_stack, "PUT", "/v1/attribute-names", {"names": wanted})
    assert reply.status == 200, reply.body
    assert reply.json()["names"][: len(wanted)] == wanted
    return local_stack


def test_attribute_names_are_listed_in_index_order(stack: StackProcess) -> None:
    names = call(stack, "GET", "/v1/attribute-names").json()["names"]
    assert names.index("aud_tier") + 1 == names.index("aud_region")


def test_moving_a_name_is_refused_with_409(stack: StackProcess) -> None:
    names = call(stack, "GET", "/v1/attribute-names").json()["names"]
    reply = call(stack, "PUT", "/v1/attribute-names", {"names": list(reversed(names))})
    assert (reply.status, reply.json()["code"]) == (409, "reindex_refused")
    assert call(stack, "GET", "/v1/attribute-names").json()["names"] == names


def test_names_change_is_logged_with_the_principal(stack: StackProcess) -> None:
    changes = [line for line in stack.log_text().splitlines() if "attribute names changed" in line]
    assert any(ADMIN in line and "aud_tier" in line for line in changes)


def test_tags_round_trip(stack: StackProcess) -> None:
    alice, bob = user("alice"), user("bob")
    added = call(stack, "POST", "/v1/users/tags", {"users": {alice: ["vip", "beta"], bob: ["vip"]}})
    assert added.json() == {"succeeded": [alice, bob], "failed": []}
    call(stack, "POST", "/v1/users/tags/remove", {"users": {alice: ["beta"]}})
    call(stack, "POST", "/v1/users/tags/clear", {"accounts": [bob]})
    got = call(stack, "GET", "/v1/users/tags", query=f"{bob},{alice}").json()
    assert list(got["users"].items()) == [(bob, []), (alice, ["vip"])]


def test_attributes_round_trip(stack: StackProcess) -> None:
    carol, dave = user("carol"), user("dave")
    body = {"users": {carol: {"aud_tier": "gold", "aud_region": "eu"}, dave: {"aud_tier": "x"}}}
    assert call(stack, "PATCH", "/v1/users/attributes", body).status == 200
    call(stack, "POST", "/v1/users/attributes/remove", {"users": {dave: ["aud_tier"]}})
    got = call(stack, "GET", "/v1/users/attributes", query=f"{carol},{dave}").json()
    assert got == {"users": {carol: {"aud_tier": "gold", "aud_region": "eu"}, dave: {}}}


def test_250_accounts_go_upstream_in_calls_of_100_100_50(stack: StackProcess) -> None:
    accounts = [user(f"bulk{i:03d}") for i in range(250)]
    before = len(sandbox(stack, "GET", "calls")["calls"])
    reply = call(stack, "POST", "/v1/users/tags/clear", {"accounts": accounts})
    assert reply.json() == {"succeeded": accounts, "failed": []}
    calls = sandbox(stack, "GET", "calls")["calls"][before:]
    sizes = [len(c["body"]["To_Account"]) for c in calls if c["command"] == "im_remove_all_tags"]
    assert sizes == [100, 100, 50]


def test_rejected_chunk_is_reported_per_account(stack: StackProcess) -> None:
    # Given upstream will reject the next im_add_tag call (the first chunk) with 90018
    accounts = [user(f"part{i:03d}") for i in range(150)]
    fault = {"kind": "error_code", "command": "im_add_tag", "error_code": 90018}
    sandbox(stack, "POST", "faults", fault)
    # When 150 accounts are tagged
    reply = call(stack, "POST", "/v1/users/tags", {"users": {a: ["part"] for a in accounts}})
    # Then the first 100 are reported failed with the upstream code, the other 50 applied
    outcome = reply.json()
    assert reply.status == 200
    assert outcome["succeeded"] == accounts[100:]
    assert [f["account"] for f in outcome["failed"]] == accounts[:100]
    assert {f["upstream_code"] for f in outcome["failed"]} == {90018}
    got = call(stack, "GET", "/v1/users/tags", query=f"{accounts[0]},{accounts[149]}").json()
    assert got["users"] == {accounts[0]: [], accounts[149]: ["part"]}


def test_validation_happens_before_upstream(stack: StackProcess) -> None:
    before = len(sandbox(stack, "GET", "calls")["calls"])
    bad_tag = call(stack, "POST", "/v1/users/tags", {"users": {user("e"): ["x" * 51]}})
    unknown = call(stack, "POST", "/v1/users/tags/clear", {"accounts": ["a"], "all": True})
    not_utf8 = request("POST", stack.url + "/v1/users/tags", b'{"users": "\xff"}')
    assert bad_tag.json()["errors"][0]["upstream_code"] == 90020
    assert (unknown.status, not_utf8.status) == (422, 400)
    assert len(sandbox(stack, "GET", "calls")["calls"]) == before


def test_unknown_attribute_name_is_422_naming_90033(stack: StackProcess) -> None:
    reply = call(stack, "PATCH", "/v1/users/attributes", {"users": {user("f"): {"nope": "1"}}})
    assert reply.status == 422
    assert reply.json()["errors"][0] == {
        "field": f"users.{user('f')}.nope",
        "message": reply.json()["errors"][0]["message"],
        "upstream_code": 90033,
    }


def push(stack: StackProcess, audience: dict[str, Any]) -> list[str]:
    """Push to `audience` through POST /v1/pushes; the recipients the sandbox recorded."""
    before = len(sandbox(stack, "GET", "pushes")["pushes"])
    body = {"audience": audience, "message": {"text": f"audience test {RUN}"}}
    headers = {"x-local-caller-arn": ADMIN, "idempotency-key": uuid.uuid4().hex}
    reply = request("POST", stack.url + "/v1/pushes", body, headers=headers)
    assert reply.status == 202, reply.body
    pushes = sandbox(stack, "GET", "pushes")["pushes"][before:]
    assert len(pushes) == 1
    recipients: list[str] = pushes[0]["recipients"]
    return recipients


def test_pushes_reach_exactly_the_tagged_and_attributed_users(stack: StackProcess) -> None:
    # Given three users with run-unique tags and attribute values
    ann, ben, cat = user("ann"), user("ben"), user("cat")
    vip, beta, tier = f"vip-{RUN}", f"beta-{RUN}", f"gold-{RUN}"
    tags = {ann: [vip, beta], ben: [vip], cat: [beta]}
    assert call(stack, "POST", "/v1/users/tags", {"users": tags}).json()["failed"] == []
    attrs = {
        ann: {"aud_tier": tier, "aud_region": "eu"},
        ben: {"aud_tier": tier},
        cat: {"aud_region": "eu"},
    }
    assert call(stack, "PATCH", "/v1/users/attributes", {"users": attrs}).json()["failed"] == []
    # Then each push reaches exactly the users its condition selects
    assert push(stack, {"tags": {"any": [vip]}}) == sorted([ann, ben])
    assert push(stack, {"tags": {"all": [vip, beta]}}) == [ann]
    both = {"aud_tier": tier, "aud_region": "eu"}
    assert push(stack, {"attributes": {"all": both}}) == [ann]
