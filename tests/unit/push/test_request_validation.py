"""Every rule of the push request: field path + upstream code.

See docs/architecture.md §3.1 (the request) and docs/upstream.md §10 (the rules).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from push_common.body import decode_json_object
from push_common.errors import BadRequest, FieldProblem, PayloadTooLarge, ValidationFailed
from push_common.push.request import PushRequest
from push_common.push.validation import validate_model

ALL = {"all": True}
TEXT = {"text": "Sale starts now"}
CJK_17 = "中" * 17  # 17 characters, 51 UTF-8 bytes

VALID_ELEMENTS: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": "hello"},
    "location": {"type": "location", "desc": "HQ", "latitude": 22.54, "longitude": 113.93},
    "face": {"type": "face", "index": 1, "data": "smile"},
    "custom": {"type": "custom", "data": "{}", "desc": "you have mail"},
    "sound": {"type": "sound", "url": "https://cdn/s.mp3", "uuid": "s1", "size": 9, "second": 3},
    "image": {
        "type": "image",
        "uuid": "i1",
        "image_format": 3,
        "image_info_array": [{"type": 1, "url": "https://cdn/i.png", "width": 8, "height": 6}],
    },
    "file": {"type": "file", "url": "https://cdn/f.pdf", "uuid": "f1", "file_name": "f.pdf"},
    "video": {
        "type": "video",
        "video_url": "https://cdn/v.mp4",
        "video_uuid": "v1",
        "thumb_url": "https://cdn/t.jpg",
        "thumb_uuid": "t1",
        "thumb_width": 64,
        "thumb_height": 48,
    },
}
# One field each element type cannot do without (docs/upstream.md §4: what REST senders must fill).
REQUIRED_FIELD = {
    "text": "text",
    "location": "latitude",
    "face": "index",
    "custom": "data",
    "sound": "url",
    "image": "image_info_array",
    "file": "uuid",
    "video": "thumb_url",
}


def push(**overrides: Any) -> dict[str, Any]:
    """A valid push body with `overrides` applied (a value of None deletes the key)."""
    body: dict[str, Any] = {"audience": ALL, "message": TEXT}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def problems(data: dict[str, Any]) -> list[FieldProblem]:
    with pytest.raises(ValidationFailed) as caught:
        validate_model(PushRequest, data)
    assert caught.value.status == 422
    return list(caught.value.errors)


def only_problem(data: dict[str, Any]) -> tuple[str, int | None]:
    found = problems(data)
    assert len(found) == 1, found
    return found[0].field, found[0].upstream_code


# --- audience ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "field", "code"),
    [
        ({"tags": {"any": [f"t{i}" for i in range(11)]}}, "audience.tags.any", 90032),
        ({"tags": {"all": [f"t{i}" for i in range(11)]}}, "audience.tags.all", 90032),
        ({"tags": {"any": ["vip", CJK_17]}}, "audience.tags.any[1]", 90020),
        ({"tags": {"all": ["x" * 51]}}, "audience.tags.all[0]", 90020),
        ({"tags": {"any": ["vip", ""]}}, "audience.tags.any[1]", 90040),
        ({"tags": {"any": ["vip", "beta"], "all": ["beta"]}}, "audience.tags", 90022),
        ({"tags": {"any": ["vip", "vip"]}}, "audience.tags.any", None),
        ({"tags": {}}, "audience.tags", None),
        ({"tags": {"any": [], "all": []}}, "audience.tags", None),
        ({"tags": {"any": ["vip"]}, "attributes": {"any": {"city": "NY"}}}, "audience", 90039),
        ({"all": False}, "audience.all", None),
        ({}, "audience", None),
        ({"all": True, "tags": {"any": ["vip"]}}, "audience", None),
        ({"attributes": {"any": {"city": ""}}}, "audience.attributes.any.city", 90030),
        ({"attributes": {"all": {"city": "N" * 51}}}, "audience.attributes.all.city", 90030),
        ({"attributes": {"all": {"city": CJK_17}}}, "audience.attributes.all.city", 90030),
        ({"attributes": {}}, "audience.attributes", None),
        ({"attributes": {"any": {}, "all": {}}}, "audience.attributes", None),
    ],
    ids=[
        "11-tags-any",
        "11-tags-all",
        "tag-51-bytes-cjk",
        "tag-51-bytes-ascii",
        "empty-tag",
        "tag-in-both-lists",
        "duplicate-in-list",
        "no-tag-list",
        "both-tag-lists-empty",
        "tags-and-attributes",
        "all-false",
        "no-audience-kind",
        "two-audiences",
        "attr-value-empty",
        "attr-value-51-bytes",
        "attr-value-51-bytes-cjk",
        "no-attr-condition",
        "both-attr-conditions-empty",
    ],
)
def test_audience_rules(audience: dict[str, Any], field: str, code: int | None) -> None:
    assert only_problem(push(audience=audience)) == (field, code)


def test_missing_audience_is_refused() -> None:
    assert only_problem(push(audience=None)) == ("audience", None)


@pytest.mark.parametrize(
    "audience",
    [
        {"tags": {"any": [f"t{i}" for i in range(10)], "all": [f"u{i}" for i in range(10)]}},
        {"tags": {"any": ["中" * 16 + "ab"]}},  # exactly 50 bytes
        {"attributes": {"any": {"sex": "F"}, "all": {"city": "中" * 16 + "ab"}}},
    ],
    ids=["10-tags-each-list", "tag-50-bytes", "attr-value-50-bytes"],
)
def test_audience_limits_are_inclusive(audience: dict[str, Any]) -> None:
    assert validate_model(PushRequest, push(audience=audience)).audience is not None


def test_long_attribute_name_names_the_key_with_90033() -> None:
    name = "n" * 51
    found = only_problem(push(audience={"attributes": {"any": {name: "x"}}}))
    assert found == (f"audience.attributes.any.{name}", 90033)


def test_empty_attribute_name_is_refused_with_90033() -> None:
    found = only_problem(push(audience={"attributes": {"all": {"": "x"}}}))
    assert found == ('audience.attributes.all[""]', 90033)


@pytest.mark.parametrize(
    "tag", [5, None, ["vip"], {"t": "vip"}], ids=["int", "null", "list", "object"]
)
def test_non_string_tag_is_refused_without_claiming_too_many_tags(tag: Any) -> None:
    # 90032 means "more than 10 tags": a tag of the wrong type prevents no such error.
    assert only_problem(push(audience={"tags": {"any": ["vip", tag]}})) == (
        "audience.tags.any[1]",
        None,
    )


def test_lone_surrogate_in_a_tag_is_refused() -> None:
    # json.loads('"\\ud800"') yields a lone surrogate: it can never be encoded for upstream.
    data = json.loads('{"audience":{"tags":{"any":["vip\\ud800"]}},"message":{"text":"x"}}')
    assert only_problem(data) == ("audience.tags.any[0]", None)


# --- offline_ttl_seconds -------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", [0, 1, 604800])
def test_offline_ttl_in_range_is_accepted(ttl: int) -> None:
    assert validate_model(PushRequest, push(offline_ttl_seconds=ttl)).offline_ttl_seconds == ttl


@pytest.mark.parametrize(
    ("ttl", "code"),
    [(604801, 90026), (-1, 90026), (1.5, 90044), ("60", 90044), (True, 90044), (None, 90044)],
    ids=["over-7-days", "negative", "float", "string", "bool", "null"],
)
def test_offline_ttl_rules(ttl: Any, code: int) -> None:
    data = {"audience": ALL, "message": TEXT, "offline_ttl_seconds": ttl}
    assert only_problem(data) == ("offline_ttl_seconds", code)


# --- message -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [{}, {"text": "a", "elements": [VALID_ELEMENTS["text"]]}],
    ids=["neither", "both"],
)
def test_message_needs_exactly_one_of_text_and_elements(message: dict[str, Any]) -> None:
    assert only_problem(push(message=message)) == ("message", 90002)


def test_at_most_one_custom_element() -> None:
    custom = VALID_ELEMENTS["custom"]
    assert only_problem(push(message={"elements": [custom, custom]})) == ("message", 90002)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"text": ""}, "message.text"),
        ({"elements": []}, "message.elements"),
        ({"elements": [{"type": "relay", "data": "x"}]}, "message.elements[0]"),
        ({"elements": [{"data": "x"}]}, "message.elements[0]"),
    ],
    ids=["empty-text", "no-elements", "unknown-type", "no-type"],
)
def test_message_shape_rules(message: dict[str, Any], field: str) -> None:
    assert only_problem(push(message=message)) == (field, 90002)


@pytest.mark.parametrize("kind", sorted(VALID_ELEMENTS))
def test_each_element_type_is_accepted(kind: str) -> None:
    req = validate_model(PushRequest, push(message={"elements": [VALID_ELEMENTS[kind]]}))
    assert req.message is not None and req.message.elements is not None
    assert req.message.elements[0].type == kind


@pytest.mark.parametrize("kind", sorted(VALID_ELEMENTS))
def test_each_element_type_needs_its_required_field(kind: str) -> None:
    missing = REQUIRED_FIELD[kind]
    element = {k: v for k, v in VALID_ELEMENTS[kind].items() if k != missing}
    found = only_problem(push(message={"elements": [VALID_ELEMENTS["text"], element]}))
    assert found == (f"message.elements[1].{missing}", 90002)


@pytest.mark.parametrize(
    ("kind", "bad", "field"),
    [
        ("image", {"image_format": 5}, "image_format"),
        ("image", {"image_info_array": []}, "image_info_array"),
        ("sound", {"download_flag": 1}, "download_flag"),
        ("file", {"download_flag": 0}, "download_flag"),
        ("video", {"video_download_flag": 1}, "video_download_flag"),
        ("video", {"thumb_download_flag": 3}, "thumb_download_flag"),
        ("location", {"latitude": 91.0}, "latitude"),
        ("face", {"index": -1}, "index"),
    ],
)
def test_element_field_values(kind: str, bad: dict[str, Any], field: str) -> None:
    element = {**VALID_ELEMENTS[kind], **bad}
    found = only_problem(push(message={"elements": [element]}))
    assert found == (f"message.elements[0].{field}", 90002)


def test_image_info_entry_needs_its_size() -> None:
    image = dict(VALID_ELEMENTS["image"])
    image["image_info_array"] = [{"type": 1, "url": "https://cdn/i.png", "width": 8}]
    found = only_problem(push(message={"elements": [image]}))
    assert found == ("message.elements[0].image_info_array[0].height", 90002)


# --- notification --------------------------------------------------------------------------------


def test_body_plus_ext_over_3072_bytes_is_90043() -> None:
    notification = {"body": "中" * 1000, "ext": "x" * 73}  # 3000 + 73 bytes
    assert only_problem(push(notification=notification)) == ("notification", 90043)


def test_body_plus_ext_of_exactly_3072_bytes_is_accepted() -> None:
    req = validate_model(PushRequest, push(notification={"body": "中" * 1000, "ext": "x" * 72}))
    assert req.notification is not None


@pytest.mark.parametrize(
    ("notification", "field"),
    [
        ({"apns": {"badge": "zero"}}, "notification.apns.badge"),
        ({"apns": {"badge": 1}}, "notification.apns.badge"),
        ({"apns": {"mutable_content": 1}}, "notification.apns.mutable_content"),
        ({"android": {"vivo_classification": 2}}, "notification.android.vivo_classification"),
        ({"android": {"huawei_importance": "HIGH"}}, "notification.android.huawei_importance"),
        ({"android": {"meizu_notice_msg_type": 2}}, "notification.android.meizu_notice_msg_type"),
        ({"enabled": "no"}, "notification.enabled"),
        ({"ext": {"k": 1}}, "notification.ext"),
    ],
)
def test_notification_values(notification: dict[str, Any], field: str) -> None:
    assert only_problem(push(notification=notification)) == (field, 90043)


def test_custom_only_offline_push_without_any_desc_is_refused() -> None:
    custom = {"type": "custom", "data": "{}"}
    data = push(message={"elements": [custom]}, offline_ttl_seconds=60)
    assert only_problem(data) == ("body", None)


@pytest.mark.parametrize(
    "extra",
    [
        {"notification": {"body": "You have mail"}},
        {"notification": {"enabled": False}},
        {"offline_ttl_seconds": 0},
    ],
    ids=["notification-body", "offline-push-disabled", "online-only"],
)
def test_custom_only_message_is_fine_when_offline_text_is_not_needed(
    extra: dict[str, Any],
) -> None:
    data = push(message={"elements": [{"type": "custom", "data": "{}"}]}, offline_ttl_seconds=60)
    data.update(extra)
    message = validate_model(PushRequest, data).message
    assert message is not None and message.is_custom_only()


def test_custom_element_desc_is_enough_for_offline_push() -> None:
    data = push(message={"elements": [VALID_ELEMENTS["custom"]]}, offline_ttl_seconds=60)
    assert validate_model(PushRequest, data).offline_ttl_seconds == 60


# --- unknown fields and other types --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (push(audience={"tags": {"anyy": ["vip"]}}), "audience.tags.anyy"),
        (
            push(audience={"attributes": {"any": {"city": "NY"}, "none": {}}}),
            "audience.attributes.none",
        ),
        (push(audience={"all": True, "everyone": True}), "audience.everyone"),
        (push(message={"text": "hi", "html": "<b>hi</b>"}), "message.html"),
        (
            push(message={"elements": [{**VALID_ELEMENTS["text"], "font": 1}]}),
            "message.elements[0].font",
        ),
        (push(notification={"apns": {"badgee": "unchanged"}}), "notification.apns.badgee"),
        (push(notification={"android": {"channel": "x"}}), "notification.android.channel"),
        (push(notification={"titel": "Sale"}), "notification.titel"),
        (push(dryrun=True), "dryrun"),
        (push(idempotency_key="k1"), "idempotency_key"),
    ],
)
def test_unknown_fields_are_refused_by_name(data: dict[str, Any], field: str) -> None:
    found = problems(data)
    assert [(p.field, p.upstream_code) for p in found] == [(field, None)]
    assert found[0].message == "unknown field"


def test_empty_sender_is_refused() -> None:
    assert only_problem(push(sender="")) == ("sender", 90008)


def test_dry_run_must_be_a_boolean() -> None:
    assert only_problem(push(dry_run="yes")) == ("dry_run", None)


def test_every_problem_is_listed_at_once() -> None:
    data = push(
        audience={"tags": {"any": ["", "x" * 51]}},
        offline_ttl_seconds=604801,
        notification={"apns": {"badge": "zero"}},
    )
    assert {(p.field, p.upstream_code) for p in problems(data)} == {
        ("audience.tags.any[0]", 90040),
        ("audience.tags.any[1]", 90020),
        ("offline_ttl_seconds", 90026),
        ("notification.apns.badge", 90043),
    }


# --- raw body ------------------------------------------------------------------------------------


def test_json_object_is_parsed() -> None:
    raw = '{"message":{"text":"中文"}}'.encode()
    assert decode_json_object(raw, max_bytes=1024) == {"message": {"text": "中文"}}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"message":{"text":"\xff"}}',
        b"\xef\xbb\xbf{}",  # UTF-8 BOM: not JSON
        b"",
        b"{",
        b"audience=all",
        b'{"a":NaN}x',
        b'{"a":NaN}',
        b'{"a":-Infinity}',
        b'{"audience":{"all":true},"audience":{"tags":{"any":["vip"]}}}',
        b"  \n",
        b"[]",
        b'"text"',
        b"null",
        b"42",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    ],
    ids=[
        "not-utf8",
        "bom",
        "empty",
        "truncated",
        "form",
        "trailing-garbage",
        "nan",
        "infinity",
        "duplicate-key",
        "blank",
        "array",
        "string",
        "null",
        "number",
        "deep-lists",
        "deep-objects",
    ],
)
def test_bad_bodies_are_400(raw: bytes) -> None:
    with pytest.raises(BadRequest) as caught:
        decode_json_object(raw, max_bytes=1_000_000)
    assert caught.value.status == 400


def test_body_over_the_limit_is_413() -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        decode_json_object(b'{"a":"' + b"x" * 1000 + b'"}', max_bytes=1000)
    assert caught.value.status == 413


def test_body_at_the_limit_is_parsed() -> None:
    raw = b'{"a":"' + b"x" * 992 + b'"}'
    assert len(raw) == 1000
    assert decode_json_object(raw, max_bytes=1000) == {"a": "x" * 992}


def test_deep_nesting_inside_a_field_is_a_422_not_a_crash() -> None:
    # Deep enough to stress the validator, shallow enough for json.loads.
    raw = b'{"audience":{"tags":{"any":' + b"[" * 5000 + b'"vip"' + b"]" * 5000 + b"}},"
    raw += b'"message":{"text":"x"}}'
    data = decode_json_object(raw, max_bytes=1_000_000)
    assert only_problem(data)[0] == "audience.tags.any[0]"
