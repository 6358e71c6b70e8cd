"""The snake_case request → exact `im_push` wire body (docs/upstream.md §2.1, §4, §4.9)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from push_common.errors import ValidationFailed
from push_common.push import service
from push_common.push.request import PushRequest
from push_common.push.rules import MAX_WIRE_BODY_BYTES
from push_common.push.wire import im_push_body, wire_size
from tests.support.push_fakes import harness

RANDOM = 3182094412
SALE = {"text": "Sale starts now"}
SALE_BODY = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale starts now"}}]


def wire(data: dict[str, Any], *, sender: str | None = None) -> dict[str, Any]:
    return im_push_body(PushRequest.model_validate(data), msg_random=RANDOM, sender=sender)


@pytest.mark.parametrize(
    ("audience", "condition"),
    [
        ({"tags": {"any": ["vip", "beta"]}}, {"TagsOr": ["vip", "beta"]}),
        ({"tags": {"all": ["vip", "beta"]}}, {"TagsAnd": ["vip", "beta"]}),
        ({"tags": {"any": ["vip"], "all": ["beta"]}}, {"TagsOr": ["vip"], "TagsAnd": ["beta"]}),
        (
            {"attributes": {"any": {"sex": "F", "city": "NY"}}},
            {"AttrsOr": {"sex": "F", "city": "NY"}},
        ),
        ({"attributes": {"all": {"city": "NY"}}}, {"AttrsAnd": {"city": "NY"}}),
        (
            {"attributes": {"any": {"sex": "F"}, "all": {"city": "NY"}}},
            {"AttrsOr": {"sex": "F"}, "AttrsAnd": {"city": "NY"}},
        ),
    ],
    ids=["tags-or", "tags-and", "tags-or-and", "attrs-or", "attrs-and", "attrs-or-and"],
)
def test_audience_becomes_the_condition(audience: dict[str, Any], condition: Any) -> None:
    assert wire({"audience": audience, "message": SALE}) == {
        "MsgRandom": RANDOM,
        "MsgLifeTime": 0,
        "Condition": condition,
        "MsgBody": SALE_BODY,
    }


def test_everyone_has_no_condition_and_no_sender() -> None:
    assert wire({"audience": {"all": True}, "message": SALE}) == {
        "MsgRandom": RANDOM,
        "MsgLifeTime": 0,
        "MsgBody": SALE_BODY,
    }


def test_upstream_doc_sample_push() -> None:
    # An im_push example (docs/upstream.md §2.1) in the simple form of docs/architecture.md §3.1.
    data = {
        "audience": {"tags": {"any": ["vip", "beta"]}},
        "message": SALE,
        "offline_ttl_seconds": 3600,
        "notification": {"title": "Sale", "body": "Sale starts now"},
    }
    assert wire(data, sender="admin") == {
        "From_Account": "admin",
        "MsgRandom": 3182094412,
        "MsgLifeTime": 3600,
        "Condition": {"TagsOr": ["vip", "beta"]},
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale starts now"}}],
        "OfflinePushInfo": {"PushFlag": 0, "Title": "Sale", "Desc": "Sale starts now"},
    }


def test_sender_becomes_from_account() -> None:
    body = wire({"audience": {"all": True}, "message": SALE, "sender": "ops-bot"}, sender="ops-bot")
    assert body["From_Account"] == "ops-bot"
    assert list(body) == ["From_Account", "MsgRandom", "MsgLifeTime", "MsgBody"]


@pytest.mark.parametrize("ttl", [0, 60, 604800])
def test_offline_ttl_becomes_msg_life_time(ttl: int) -> None:
    body = wire({"audience": {"all": True}, "message": SALE, "offline_ttl_seconds": ttl})
    assert body["MsgLifeTime"] == ttl


ELEMENTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {"type": "text", "text": "hello"},
        {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello"}},
    ),
    (
        {"type": "location", "desc": "HQ", "latitude": 22.54, "longitude": 113.93},
        {
            "MsgType": "TIMLocationElem",
            "MsgContent": {"Desc": "HQ", "Latitude": 22.54, "Longitude": 113.93},
        },
    ),
    (
        {"type": "face", "index": 0, "data": "smile"},
        {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 0, "Data": "smile"}},
    ),
    (
        {"type": "custom", "data": '{"order":1}', "desc": "Order 1", "ext": "e", "sound": "a.caf"},
        {
            "MsgType": "TIMCustomElem",
            "MsgContent": {"Data": '{"order":1}', "Desc": "Order 1", "Ext": "e", "Sound": "a.caf"},
        },
    ),
    (
        {"type": "custom", "data": "{}"},
        {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "{}"}},
    ),
    (
        {"type": "sound", "url": "https://cdn/s.mp3", "uuid": "s1", "size": 9, "second": 3},
        {
            "MsgType": "TIMSoundElem",
            "MsgContent": {
                "Url": "https://cdn/s.mp3",
                "UUID": "s1",
                "Size": 9,
                "Second": 3,
                "Download_Flag": 2,
            },
        },
    ),
    (
        {
            "type": "image",
            "uuid": "i1",
            "image_format": 255,
            "image_info_array": [
                {"type": 1, "url": "https://cdn/o.png", "width": 800, "height": 600, "size": 99},
                {"type": 3, "url": "https://cdn/t.png", "width": 80, "height": 60},
            ],
        },
        {
            "MsgType": "TIMImageElem",
            "MsgContent": {
                "UUID": "i1",
                "ImageFormat": 255,
                "ImageInfoArray": [
                    {
                        "Type": 1,
                        "Size": 99,
                        "Width": 800,
                        "Height": 600,
                        "URL": "https://cdn/o.png",
                    },
                    {"Type": 3, "Size": 0, "Width": 80, "Height": 60, "URL": "https://cdn/t.png"},
                ],
            },
        },
    ),
    (
        {
            "type": "file",
            "url": "https://cdn/f.pdf",
            "uuid": "f1",
            "file_size": 7,
            "file_name": "f",
        },
        {
            "MsgType": "TIMFileElem",
            "MsgContent": {
                "Url": "https://cdn/f.pdf",
                "UUID": "f1",
                "FileSize": 7,
                "FileName": "f",
                "Download_Flag": 2,
            },
        },
    ),
    (
        {
            "type": "video",
            "video_url": "https://cdn/v.mp4",
            "video_uuid": "v1",
            "video_size": 1000,
            "video_second": 12,
            "video_format": "mp4",
            "thumb_url": "https://cdn/t.jpg",
            "thumb_uuid": "t1",
            "thumb_size": 100,
            "thumb_width": 64,
            "thumb_height": 48,
            "thumb_format": "JPG",
        },
        {
            "MsgType": "TIMVideoFileElem",
            "MsgContent": {
                "VideoUrl": "https://cdn/v.mp4",
                "VideoUUID": "v1",
                "VideoSize": 1000,
                "VideoSecond": 12,
                "VideoFormat": "mp4",
                "VideoDownloadFlag": 2,
                "ThumbUrl": "https://cdn/t.jpg",
                "ThumbUUID": "t1",
                "ThumbSize": 100,
                "ThumbWidth": 64,
                "ThumbHeight": 48,
                "ThumbFormat": "JPG",
                "ThumbDownloadFlag": 2,
            },
        },
    ),
]


@pytest.mark.parametrize(
    ("element", "expected"),
    ELEMENTS,
    ids=["text", "location", "face", "custom", "custom-bare", "sound", "image", "file", "video"],
)
def test_each_element_in_pascal_case(element: dict[str, Any], expected: dict[str, Any]) -> None:
    body = wire({"audience": {"all": True}, "message": {"elements": [element]}})
    assert body["MsgBody"] == [expected]


def test_elements_keep_their_order() -> None:
    elements = [e for e, _ in ELEMENTS if e["type"] != "custom"] + [ELEMENTS[3][0]]
    body = wire({"audience": {"all": True}, "message": {"elements": elements}})
    assert [e["MsgType"] for e in body["MsgBody"]] == [
        "TIMTextElem",
        "TIMLocationElem",
        "TIMFaceElem",
        "TIMSoundElem",
        "TIMImageElem",
        "TIMFileElem",
        "TIMVideoFileElem",
        "TIMCustomElem",
    ]


FULL_NOTIFICATION = {
    "title": "Sale",
    "body": "Sale starts now",
    "ext": '{"k":1}',
    "android": {
        "sound": "sale",
        "huawei_channel_id": "hw",
        "xiaomi_channel_id": "mi",
        "oppo_channel_id": "oppo",
        "google_channel_id": "fcm",
        "vivo_classification": 0,
        "huawei_importance": "NORMAL",
        "ext_as_huawei_intent_param": True,
        "huawei_category": "MARKETING",
        "oppo_category": "IM",
        "vivo_category": "IM",
        "honor_importance": "LOW",
        "meizu_notice_msg_type": 1,
        "oppo_private_msg_template_id": "tpl",
    },
    "apns": {
        "sound": "sale.caf",
        "badge": "unchanged",
        "title": "Sale!",
        "subtitle": "Today",
        "image": "https://cdn/sale.png",
        "mutable_content": True,
    },
}
FULL_OFFLINE_PUSH_INFO = {
    "PushFlag": 0,
    "Title": "Sale",
    "Desc": "Sale starts now",
    "Ext": '{"k":1}',
    "AndroidInfo": {
        "Sound": "sale",
        "HuaWeiChannelID": "hw",
        "XiaoMiChannelID": "mi",
        "OPPOChannelID": "oppo",
        "GoogleChannelID": "fcm",
        "VIVOClassification": 0,
        "HuaWeiImportance": "NORMAL",
        "ExtAsHuaweiIntentParam": 1,
        "HuaWeiCategory": "MARKETING",
        "OPPOCategory": "IM",
        "VIVOCategory": "IM",
        "HonorImportance": "LOW",
        "MeiZuNoticeMsgType": 1,
        "OPPOPrivateMsgTemplateId": "tpl",
    },
    "ApnsInfo": {
        "BadgeMode": 1,
        "Sound": "sale.caf",
        "Title": "Sale!",
        "SubTitle": "Today",
        "Image": "https://cdn/sale.png",
        "MutableContent": 1,
    },
}


def offline_push_info(notification: dict[str, Any]) -> Any:
    data = {"audience": {"all": True}, "message": SALE, "notification": notification}
    return wire(data)["OfflinePushInfo"]


def test_full_notification_becomes_offline_push_info() -> None:
    assert offline_push_info(FULL_NOTIFICATION) == FULL_OFFLINE_PUSH_INFO


@pytest.mark.parametrize(
    ("notification", "expected"),
    [
        ({}, {"PushFlag": 0}),
        ({"enabled": False}, {"PushFlag": 1}),
        ({"enabled": True, "title": "T"}, {"PushFlag": 0, "Title": "T"}),
        ({"apns": {}}, {"PushFlag": 0, "ApnsInfo": {"BadgeMode": 0, "MutableContent": 0}}),
        (
            {"apns": {"badge": "increment", "mutable_content": False}},
            {"PushFlag": 0, "ApnsInfo": {"BadgeMode": 0, "MutableContent": 0}},
        ),
        (
            {"apns": {"badge": "unchanged"}},
            {"PushFlag": 0, "ApnsInfo": {"BadgeMode": 1, "MutableContent": 0}},
        ),
        (
            {"android": {"ext_as_huawei_intent_param": False}},
            {"PushFlag": 0, "AndroidInfo": {"ExtAsHuaweiIntentParam": 0}},
        ),
        ({"android": {}}, {"PushFlag": 0}),
    ],
    ids=[
        "defaults",
        "disabled",
        "title",
        "apns-defaults",
        "badge-increment",
        "badge-unchanged",
        "huawei-intent-0",
        "empty-android",
    ],
)
def test_notification_flags(notification: dict[str, Any], expected: dict[str, Any]) -> None:
    assert offline_push_info(notification) == expected


def test_no_notification_means_no_offline_push_info() -> None:
    assert "OfflinePushInfo" not in wire({"audience": {"all": True}, "message": SALE})


@pytest.mark.parametrize(
    "body",
    [
        {"MsgRandom": 1, "MsgBody": []},
        {"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "中文 ü 😀"}}]},
        {"Condition": {"AttrsOr": {"city": "Zürich"}}, "OfflinePushInfo": {"Desc": '\n"q"'}},
    ],
)
def test_wire_size_is_the_compact_utf8_json_length(body: dict[str, Any]) -> None:
    compact = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert wire_size(body) == len(compact)


def test_wire_size_counts_utf8_bytes_not_characters() -> None:
    assert wire_size({"T": "中"}) == len('{"T":""}') + 3


# --- the 10 KB upstream body limit (90056) --------------------------------------------------------


KEYED = service.PushContext(
    caller="arn:caller", idempotency_scope="arn:caller", idempotency_key="k"
)


def _request_of_wire_size(size: int) -> PushRequest:
    """A valid request whose wire body (under ctx KEYED) is exactly `size` bytes."""
    probe = PushRequest.model_validate({"audience": {"all": True}, "message": {"text": "x"}})
    base = wire_size(im_push_body(probe, msg_random=service.msg_random_for(KEYED), sender=None))
    text = "x" * (size - base + 1)
    return PushRequest.model_validate({"audience": {"all": True}, "message": {"text": text}})


def test_body_of_exactly_10240_bytes_is_prepared() -> None:
    req = _request_of_wire_size(MAX_WIRE_BODY_BYTES)
    _, call = service.prepare(req, KEYED, harness().deps(), push_id="p")
    assert wire_size(call.body) == MAX_WIRE_BODY_BYTES


def test_body_over_10240_bytes_is_refused_with_90056() -> None:
    h = harness()
    with pytest.raises(ValidationFailed) as caught:
        service.prepare(
            _request_of_wire_size(MAX_WIRE_BODY_BYTES + 1), KEYED, h.deps(), push_id="p"
        )
    assert caught.value.status == 422
    assert [(p.field, p.upstream_code) for p in caught.value.errors] == [("message", 90056)]
    assert (h.quota_opened, h.client.calls) == (0, [])


def test_body_over_10240_bytes_because_of_cjk_is_refused() -> None:
    # 3500 characters but 10500 bytes: the limit is in bytes.
    req = PushRequest.model_validate({"audience": {"all": True}, "message": {"text": "中" * 3500}})
    with pytest.raises(ValidationFailed) as caught:
        service.prepare(req, KEYED, harness().deps(), push_id="p")
    assert caught.value.errors[0].upstream_code == 90056
