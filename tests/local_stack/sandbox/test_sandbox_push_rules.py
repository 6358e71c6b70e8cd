"""Every im_push rule of docs/upstream.md §10 answers with its documented ErrorCode."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.local_stack.sandbox.helpers import ADMIN, Client, push_body

pytestmark = pytest.mark.integration

TEXT = {"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}
CUSTOM = {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "{}"}}
TAG51 = "t" * 51
ATTR51 = "v" * 51


def elem(msg_type: str, **content: Any) -> dict[str, Any]:
    return {"MsgType": msg_type, "MsgContent": content}


VALID_ELEMENTS = [
    elem("TIMTextElem", Text="hi"),
    elem("TIMLocationElem", Desc="here", Latitude=1.5, Longitude=103),
    elem("TIMFaceElem", Index=1, Data="smile"),
    elem("TIMCustomElem", Data="{}", Desc="d", Ext="e", Sound="s.caf"),
    elem("TIMSoundElem", Url="https://x/s", UUID="u", Size=1, Second=2, Download_Flag=2),
    elem(
        "TIMImageElem",
        UUID="u",
        ImageFormat=1,
        ImageInfoArray=[{"Type": 1, "Size": 10, "Width": 1, "Height": 1, "URL": "https://x"}],
    ),
    elem("TIMFileElem", Url="https://x/f", UUID="u", FileSize=1, FileName="f", Download_Flag=2),
    elem(
        "TIMVideoFileElem",
        VideoUrl="https://x/v",
        VideoUUID="v",
        VideoSize=1,
        VideoSecond=1,
        VideoFormat="mp4",
        VideoDownloadFlag=2,
        ThumbUrl="https://x/t",
        ThumbUUID="t",
        ThumbSize=1,
        ThumbWidth=1,
        ThumbHeight=1,
        ThumbFormat="JPG",
        ThumbDownloadFlag=2,
    ),
]

FULL_OFFLINE = {
    "PushFlag": 0,
    "Title": "t",
    "Desc": "d",
    "Ext": '{"k":1}',
    "AndroidInfo": {"Sound": "s", "HuaWeiChannelID": "c", "VIVOClassification": 1},
    "ApnsInfo": {"Sound": "s.caf", "BadgeMode": 1, "Title": "t", "MutableContent": 1},
}

# (case id, fields overriding the valid body, expected ErrorCode)
CASES: list[tuple[str, dict[str, Any], int]] = [
    ("msgrandom-missing", {"MsgRandom": None}, 90005),
    ("msgrandom-string", {"MsgRandom": "1"}, 90005),
    ("msgrandom-bool", {"MsgRandom": True}, 90005),
    ("msgrandom-negative", {"MsgRandom": -1}, 90005),
    ("msgrandom-over-uint32", {"MsgRandom": 4294967296}, 90005),
    ("msgrandom-float", {"MsgRandom": 1.0}, 90005),
    ("msgbody-missing", {"MsgBody": None}, 90007),
    ("msgbody-object", {"MsgBody": TEXT}, 90007),
    ("msgbody-empty", {"MsgBody": []}, 90007),
    ("element-not-object", {"MsgBody": ["hi"]}, 90002),
    ("element-unknown-type", {"MsgBody": [elem("TIMRelayElem", Text="x")]}, 90002),
    ("element-no-content", {"MsgBody": [{"MsgType": "TIMTextElem"}]}, 90002),
    ("two-custom-elements", {"MsgBody": [CUSTOM, CUSTOM]}, 90002),
    ("text-missing-text", {"MsgBody": [elem("TIMTextElem")]}, 90010),
    ("text-not-string", {"MsgBody": [elem("TIMTextElem", Text=1)]}, 90010),
    ("location-no-lat", {"MsgBody": [elem("TIMLocationElem", Desc="d", Longitude=1)]}, 90010),
    ("face-index-string", {"MsgBody": [elem("TIMFaceElem", Index="1")]}, 90010),
    ("custom-no-data", {"MsgBody": [elem("TIMCustomElem", Desc="d")]}, 90010),
    ("custom-desc-number", {"MsgBody": [elem("TIMCustomElem", Data="", Desc=1)]}, 90010),
    (
        "sound-flag-not-2",
        {"MsgBody": [elem("TIMSoundElem", Url="u", UUID="u", Download_Flag=1)]},
        90010,
    ),
    ("image-no-info", {"MsgBody": [elem("TIMImageElem", UUID="u", ImageInfoArray=[])]}, 90010),
    (
        "image-info-no-url",
        {
            "MsgBody": [
                elem(
                    "TIMImageElem", UUID="u", ImageInfoArray=[{"Type": 1, "Width": 1, "Height": 1}]
                )
            ]
        },
        90010,
    ),
    ("file-no-url", {"MsgBody": [elem("TIMFileElem", UUID="u", Download_Flag=2)]}, 90010),
    (
        "video-no-thumb",
        {"MsgBody": [elem("TIMVideoFileElem", VideoUrl="v", VideoUUID="v", VideoDownloadFlag=2)]},
        90010,
    ),
    ("lifetime-string", {"MsgLifeTime": "60"}, 90044),
    ("lifetime-float", {"MsgLifeTime": 60.5}, 90044),
    ("lifetime-over-7-days", {"MsgLifeTime": 604801}, 90026),
    ("lifetime-negative", {"MsgLifeTime": -1}, 90026),
    ("sender-unknown", {"From_Account": "ghost"}, 90008),
    ("sender-not-string", {"From_Account": 7}, 90008),
    ("condition-not-object", {"Condition": ["vip"]}, 90001),
    ("condition-unknown-key", {"Condition": {"TagOr": ["vip"]}}, 90001),
    ("tags-and-attrs", {"Condition": {"TagsOr": ["vip"], "AttrsAnd": {"sex": "F"}}}, 90039),
    ("tags-or-11", {"Condition": {"TagsOr": [f"t{i}" for i in range(11)]}}, 90032),
    ("tags-and-11", {"Condition": {"TagsAnd": [f"t{i}" for i in range(11)]}}, 90032),
    ("tag-empty", {"Condition": {"TagsOr": [""]}}, 90040),
    ("tag-51-bytes", {"Condition": {"TagsAnd": [TAG51]}}, 90020),
    ("tag-51-utf8-bytes", {"Condition": {"TagsOr": ["é" * 26]}}, 90020),
    ("tag-in-both-lists", {"Condition": {"TagsOr": ["a", "b"], "TagsAnd": ["b"]}}, 90022),
    ("tag-not-string", {"Condition": {"TagsOr": [1]}}, 90001),
    ("attrs-11", {"Condition": {"AttrsOr": {f"a{i}": "x" for i in range(11)}}}, 90032),
    ("attr-unknown-name", {"Condition": {"AttrsOr": {"age": "30"}}}, 90033),
    ("attr-value-empty", {"Condition": {"AttrsAnd": {"sex": ""}}}, 90030),
    ("attr-value-51-bytes", {"Condition": {"AttrsAnd": {"city": ATTR51}}}, 90030),
    ("attr-value-number", {"Condition": {"AttrsOr": {"city": 1}}}, 90030),
    ("offline-not-object", {"OfflinePushInfo": "x"}, 90043),
    ("offline-pushflag-2", {"OfflinePushInfo": {"PushFlag": 2}}, 90043),
    ("offline-pushflag-string", {"OfflinePushInfo": {"PushFlag": "0"}}, 90043),
    ("offline-badgemode-2", {"OfflinePushInfo": {"ApnsInfo": {"BadgeMode": 2}}}, 90043),
    ("offline-mutable-true", {"OfflinePushInfo": {"ApnsInfo": {"MutableContent": True}}}, 90043),
    ("offline-vivo-2", {"OfflinePushInfo": {"AndroidInfo": {"VIVOClassification": 2}}}, 90043),
    ("offline-ext-object", {"OfflinePushInfo": {"Ext": {"k": 1}}}, 90043),
    ("offline-title-number", {"OfflinePushInfo": {"Title": 1}}, 90043),
    ("offline-apns-not-object", {"OfflinePushInfo": {"ApnsInfo": "x"}}, 90043),
    (
        "offline-desc-ext-over-3kb",
        {"OfflinePushInfo": {"Desc": "d" * 2000, "Ext": "e" * 1073}},
        90043,
    ),
]


@pytest.fixture
def named(client: Client) -> Client:
    assert client.code("im_set_attr_name", {"AttrNames": {"0": "sex", "1": "city"}}) == 0
    return client


@pytest.mark.parametrize(("fields", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(named: Client, fields: dict[str, Any], code: int) -> None:
    body = {k: v for k, v in push_body(**fields).items() if v is not None}
    reply = named.call("im_push", body)
    assert (reply["ErrorCode"], reply["ActionStatus"]) == (code, "FAIL")
    assert "TaskId" not in reply
    assert named.sandbox.pushes() == []


def test_body_over_10kb_is_90056(client: Client) -> None:
    body = push_body(MsgBody=[elem("TIMTextElem", Text="x" * 10240)])
    assert client.code("im_push", body) == 90056


def test_body_of_exactly_10kb_passes(client: Client) -> None:
    body = push_body()
    filler = 10240 - len(json.dumps(push_body(MsgBody=[elem("TIMTextElem", Text="")])))
    body["MsgBody"] = [elem("TIMTextElem", Text="x" * filler)]
    assert len(json.dumps(body).encode()) == 10240
    assert client.code("im_push", body) == 0


def test_every_element_type_and_offline_info_accepted(named: Client) -> None:
    body = push_body(MsgBody=VALID_ELEMENTS, MsgLifeTime=604800, OfflinePushInfo=FULL_OFFLINE)
    assert named.call("im_push", body)["TaskId"]


@pytest.mark.parametrize(
    "condition",
    [
        {"TagsOr": ["vip", "é" * 25], "TagsAnd": ["t" * 50]},
        {"AttrsOr": {"sex": "F"}, "AttrsAnd": {"city": "v" * 50}},
        {},
    ],
)
def test_valid_conditions_accepted(named: Client, condition: dict[str, Any]) -> None:
    assert named.push(push_body(Condition=condition))["ErrorCode"] == 0


@pytest.mark.parametrize("sender", [ADMIN, "imported", "tagged"])
def test_known_senders_accepted(client: Client, sender: str) -> None:
    client.sandbox.add_users("imported")
    assert client.code("im_add_tag", {"UserTags": [{"To_Account": "tagged", "Tags": ["x"]}]}) == 0
    reply = client.push(push_body(From_Account=sender))
    assert reply["ErrorCode"] == 0
    assert client.sandbox.pushes()[0]["from_account"] == sender


def test_lifetime_bounds(client: Client) -> None:
    assert client.push(push_body(1, MsgLifeTime=0))["ErrorCode"] == 0
    assert client.push(push_body(2, MsgLifeTime=604800))["ErrorCode"] == 0


def test_offline_desc_plus_ext_of_3kb_passes(client: Client) -> None:
    info = {"Desc": "d" * 2000, "Ext": "é" * 536}
    assert client.push(push_body(OfflinePushInfo=info))["ErrorCode"] == 0
