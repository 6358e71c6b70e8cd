"""Named hostile inputs with exact expected answers, over real HTTP against the fuzz stack.

Byte vs character length: every 50-byte tag / value / name made of multi-byte characters is
accepted, and the same plus one byte is refused with the upstream code it would have caused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.proofs.fuzz.routes import (
    ACCOUNT,
    ATTRIBUTE_NAMES,
    BODY_SEEDS,
    KNOWN_PUSH_IDS,
    PUSH_SEEDS,
)
from tests.proofs.fuzz.runner import FUZZ_CALLER, Answer, Case, Fuzzer
from tests.proofs.fuzz.texts import AT_LIMIT, CONTENT_TYPES, OVER_LIMIT, UNITS
from tests.support.stack_client import StackProcess, request

pytestmark = pytest.mark.integration

MAX_BODY = 65536
PUSH = ("POST", "/v1/pushes")
NOT_AN_OBJECT = (
    b"", b"  ", b"[]", b"null", b'"str"', b"123", b"{", b'{"a":', b"\xff\xfe", b"\x80abc",
    b"\xef\xbb\xbf{}", b'{"a":NaN}', b'{"a":1,"a":2}', b'{"a":' + b"9" * 5000 + b"}",
    b"[" * 30_000 + b"]" * 30_000,
)  # fmt: skip
# Nested as deep as 64 KiB allows: parsed (a 422 for the shape) or refused (400), never a 5xx.
DEEP = (
    b'{"users":' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001,
    b'{"users":' + b"[" * 30_000 + b"]" * 30_000 + b"}",
)


def send(fuzzer: Fuzzer, route: tuple[str, str], body: Any = b"", **extra: Any) -> Answer:
    """One case; the answer must be documented and not a 5xx (checked before returning)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if "{push_id}" in route[1] and "target" not in extra:
        # A push of the fuzz caller's own, so the body is what the route judges.
        extra["target"] = route[1].replace("{push_id}", KNOWN_PUSH_IDS[0])
    answer = fuzzer.run(Case(*route, body=raw, **extra))
    assert not answer.problems, answer.problems
    return answer


def upstream_codes(answer: Answer) -> set[int]:
    body: Any = answer.json()
    return {e.get("upstream_code") for e in body.get("errors", [])}


@pytest.fixture(scope="module")
def names(fuzz_stack: StackProcess) -> Iterator[None]:
    """The app's names start with `sex`, `city` (the generated cases may have changed them)."""
    _set_names(fuzz_stack)
    yield
    _set_names(fuzz_stack)


def _set_names(stack: StackProcess) -> None:
    body = {"names": ATTRIBUTE_NAMES, "allow_reindex": True}
    reply = request(
        "PUT", stack.url + "/v1/attribute-names", body, {"x-local-caller-arn": FUZZ_CALLER}
    )
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("route", sorted(BODY_SEEDS), ids=" ".join)
@pytest.mark.parametrize("raw", NOT_AN_OBJECT, ids=lambda b: repr(b[:16]))
def test_a_body_that_is_not_one_json_object_is_a_400(
    route: tuple[str, str], raw: bytes, fuzzer: Fuzzer
) -> None:
    assert send(fuzzer, route, raw, label="not an object").status == 400


@pytest.mark.parametrize("route", sorted(BODY_SEEDS), ids=" ".join)
@pytest.mark.parametrize("raw", DEEP, ids=["objects", "lists"])
def test_deep_nesting_is_a_client_error(route: tuple[str, str], raw: bytes, fuzzer: Fuzzer) -> None:
    assert send(fuzzer, route, raw, label="deep nesting").status in (400, 422)


@pytest.mark.parametrize("route", sorted(BODY_SEEDS), ids=" ".join)
def test_body_size_limit_is_exact(route: tuple[str, str], fuzzer: Fuzzer) -> None:
    seed = json.dumps({**BODY_SEEDS[route][0], "pad": ""}).encode()
    at_limit = seed.replace(b'"pad": ""', b'"pad": "' + b"x" * (MAX_BODY - len(seed)) + b'"')
    assert len(at_limit) == MAX_BODY
    assert send(fuzzer, route, at_limit, label="64 KiB").status == 422  # read; `pad` is unknown
    assert send(fuzzer, route, at_limit + b" ", label="64 KiB + 1").status == 413
    assert send(fuzzer, route, b"{" + b" " * 2**21 + b"}", label="2 MiB").status == 413


@pytest.mark.parametrize("route", sorted(BODY_SEEDS), ids=" ".join)
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_a_valid_body_under_any_content_type_is_answered_as_documented(
    route: tuple[str, str], content_type: str | None, fuzzer: Fuzzer, names: None
) -> None:
    headers = () if content_type is None else (("content-type", content_type),)
    send(fuzzer, route, BODY_SEEDS[route][0], headers=headers, label="content type")


def test_lone_surrogates_are_a_422_when_escaped_and_a_400_as_raw_bytes(fuzzer: Fuzzer) -> None:
    body = {**PUSH_SEEDS[1], "audience": {"tags": {"any": ["\ud800"]}}}
    assert send(fuzzer, PUSH, body, label="escaped surrogate").status == 422
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert send(fuzzer, PUSH, raw, label="raw surrogate").status == 400


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.encode("unicode_escape").decode())
def test_push_tags_and_values_are_counted_in_bytes(unit: str, fuzzer: Fuzzer, names: None) -> None:
    at, over = AT_LIMIT[UNITS.index(unit)], OVER_LIMIT[UNITS.index(unit)]
    tags = {**PUSH_SEEDS[0], "audience": {"tags": {"any": [at]}}}
    assert send(fuzzer, PUSH, tags, label="tag 50 bytes").status == 200
    tags["audience"] = {"tags": {"any": [over]}}
    refused = send(fuzzer, PUSH, tags, label="tag 51 bytes")
    assert (refused.status, upstream_codes(refused)) == (422, {90020})
    attrs = {**PUSH_SEEDS[0], "audience": {"attributes": {"any": {"city": at}}}}
    assert send(fuzzer, PUSH, attrs, label="value 50 bytes").status == 200
    attrs["audience"] = {"attributes": {"any": {"city": over}}}
    refused = send(fuzzer, PUSH, attrs, label="value 51 bytes")
    assert (refused.status, upstream_codes(refused)) == (422, {90030})


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.encode("unicode_escape").decode())
def test_user_tags_and_attributes_are_counted_in_bytes(
    unit: str, fuzzer: Fuzzer, names: None
) -> None:
    at, over = AT_LIMIT[UNITS.index(unit)], OVER_LIMIT[UNITS.index(unit)]
    for route, value, code in (
        (("POST", "/v1/users/tags"), lambda v: {ACCOUNT: [v]}, 90020),
        (("PATCH", "/v1/users/attributes"), lambda v: {ACCOUNT: {"city": v}}, 90030),
    ):
        accepted = send(fuzzer, route, {"users": value(at)}, label="50 bytes")
        assert accepted.json() == {"succeeded": [ACCOUNT], "failed": []}
        refused = send(fuzzer, route, {"users": value(over)}, label="51 bytes")
        assert (refused.status, upstream_codes(refused)) == (422, {code})


@pytest.mark.parametrize("account", AT_LIMIT + OVER_LIMIT, ids=lambda a: str(len(a.encode())))
def test_unicode_account_ids_round_trip(account: str, fuzzer: Fuzzer) -> None:
    added = send(fuzzer, ("POST", "/v1/users/tags"), {"users": {account: ["vip"]}})
    assert added.status == 200
    query = "accounts=" + quote(account, safe="")
    got = send(fuzzer, ("GET", "/v1/users/tags"), query=query, label="unicode account")
    assert got.json() == {"users": {account: ["vip"]}}


def test_names_are_counted_in_bytes(fuzzer: Fuzzer, names: None) -> None:
    route = ("PUT", "/v1/attribute-names")  # appends only: `sex` and `city` keep their index
    refused = send(fuzzer, route, {"names": [*ATTRIBUTE_NAMES, OVER_LIMIT[0]]})
    assert (refused.status, upstream_codes(refused)) == (422, {90030})
    accepted = send(fuzzer, route, {"names": [*ATTRIBUTE_NAMES, AT_LIMIT[0]]})
    assert accepted.json() == {"names": [*ATTRIBUTE_NAMES, AT_LIMIT[0]]}


@pytest.mark.parametrize("key", [b"x" * 256, b"caf\xe9", b" ", b"a\x7fb", "中".encode()])
def test_a_malformed_idempotency_key_is_a_422(key: bytes, fuzzer: Fuzzer) -> None:
    headers = (("content-type", "application/json"), ("idempotency-key", key))
    assert send(fuzzer, PUSH, PUSH_SEEDS[0], headers=headers).status == 422


def test_a_sender_not_allowed_is_a_403(fuzzer: Fuzzer) -> None:
    answer = send(fuzzer, PUSH, {**PUSH_SEEDS[0], "sender": "intruder"})
    assert (answer.status, answer.json()["code"]) == (403, "sender_not_allowed")


def test_real_sends_answer_202_429_and_replay_as_documented(fuzzer: Fuzzer) -> None:
    body = {**PUSH_SEEDS[0], "dry_run": False}
    keyed = (("content-type", "application/json"), ("idempotency-key", "fuzz-real-1"))
    first = send(fuzzer, PUSH, body, headers=keyed, label="real send")
    assert first.status == 202
    # Upstream (the sandbox) wants pushes more than 1 s apart: an immediate second is a 429.
    again = send(fuzzer, PUSH, {**body, "message": {"text": "again"}}, label="second send")
    assert again.status in (202, 429)
    assert send(fuzzer, PUSH, body, headers=keyed, label="replay").json() == first.json()
    reused = send(fuzzer, PUSH, {**body, "message": {"text": "x"}}, headers=keyed)
    assert reused.status == 422


RECORD = ("GET", "/v1/pushes/{push_id}")


@pytest.mark.parametrize(
    ("segment", "status"),
    [
        ("3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11", 404),  # well-formed, never pushed
        ("x" * 64, 404),
        ("x" * 65, 422),
        ("x" * 20_000, 422),
        ("a%2Fb", 422),  # one segment here; API Gateway may decode it to a path with no route
        ("%00", 422),
        ("%ff%fe", 422),
        ("caf%C3%A9", 422),
        ("a_b", 422),
        ("", 404),  # `/v1/pushes/`: no route
    ],
)
def test_odd_push_ids_are_404_or_422(segment: str, status: int, fuzzer: Fuzzer) -> None:
    target = f"/v1/pushes/{segment}"
    answer = send(fuzzer, RECORD, target=target, label="odd push_id")
    assert answer.status == status


def test_cancelling_answers_every_documented_status(
    fuzz_stack: StackProcess, fuzzer: Fuzzer
) -> None:
    """DELETE /v1/pushes/{push_id}: 403 for another caller, 200, then 409, each as documented."""
    later = next(seed for seed in PUSH_SEEDS if "send_at" in seed)
    body = {k: v for k, v in later.items() if k != "dry_run"}
    scheduled = send(fuzzer, PUSH, body, headers=(("content-type", "application/json"),))
    assert (scheduled.status, scheduled.json()["status"]) == (202, "scheduled")
    path = f"/v1/pushes/{scheduled.json()['push_id']}"
    route = ("DELETE", "/v1/pushes/{push_id}")
    other = (("x-local-caller-arn", "arn:aws:iam::123456789012:role/fuzz-other"),)
    assert send(fuzzer, route, headers=other, target=path).status == 403
    assert send(fuzzer, route, target=path).json()["status"] == "cancelled"
    assert send(fuzzer, route, target=path).json()["code"] == "not_cancellable"
