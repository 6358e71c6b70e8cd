"""Translate a validated `PushRequest` into the `im_push` wire body (docs/upstream.md §2.1, §4);
the pieces shared with `timpush/*` are reused by `push.families`."""

from __future__ import annotations

import json
from typing import Any

from push_common.push import elements as el
from push_common.push.request import (
    AndroidNotification,
    ApnsNotification,
    Audience,
    Message,
    Notification,
    PushRequest,
)


def im_push_body(req: PushRequest, *, msg_random: int, sender: str | None) -> dict[str, Any]:
    """The exact JSON object sent to `v4/all_member_push/im_push`."""
    body: dict[str, Any] = {}
    if sender is not None:
        body["From_Account"] = sender
    body["MsgRandom"] = msg_random
    body["MsgLifeTime"] = req.offline_ttl_seconds
    if (condition := _condition(req.audience)) is not None:
        body["Condition"] = condition
    if req.message is not None:  # required for im_push: push.families refuses a request without
        body["MsgBody"] = _msg_body(req.message)
    if req.notification is not None:
        body["OfflinePushInfo"] = _offline_push_info(req.notification)
    return body


def condition_of(audience: Audience) -> dict[str, Any] | None:
    """`Condition` of a tags or attributes audience; None for everyone (shared by both families)."""
    return _condition(audience)


def msg_body_of(message: Message) -> list[dict[str, Any]]:
    """`MsgBody` (docs/upstream.md §4), the same in `im_push` and `timpush/push`."""
    return _msg_body(message)


def offline_push_info_of(notification: Notification) -> dict[str, Any]:
    """`OfflinePushInfo` (docs/upstream.md §4.9), also the replacement sent with a recall."""
    return _offline_push_info(notification)


def wire_size(body: dict[str, Any]) -> int:
    """Bytes of the body as the client serialises it (compact, UTF-8)."""
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _condition(audience: Audience) -> dict[str, Any] | None:
    cond: dict[str, Any] = {}
    if audience.tags is not None:
        _put(cond, "TagsOr", audience.tags.any_of)
        _put(cond, "TagsAnd", audience.tags.all_of)
    if audience.attributes is not None:
        _put(cond, "AttrsOr", audience.attributes.any_of)
        _put(cond, "AttrsAnd", audience.attributes.all_of)
    return cond or None  # None only for {"all": true}: upstream reads no Condition as everyone


def _msg_body(message: Message) -> list[dict[str, Any]]:
    if message.text is not None:
        return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": message.text}}]
    return [_element(e) for e in message.elements or ()]


def _element(e: el.Element) -> dict[str, Any]:
    match e:
        case el.TextElement():
            return _elem("TIMTextElem", Text=e.text)
        case el.LocationElement():
            return _elem("TIMLocationElem", Desc=e.desc, Latitude=e.latitude, Longitude=e.longitude)
        case el.FaceElement():
            return _elem("TIMFaceElem", Index=e.index, Data=e.data)
        case el.CustomElement():
            return _elem("TIMCustomElem", Data=e.data, Desc=e.desc, Ext=e.ext, Sound=e.sound)
        case el.SoundElement():
            return _elem(
                "TIMSoundElem", Url=e.url, UUID=e.uuid, Size=e.size, Second=e.second,
                Download_Flag=e.download_flag,
            )  # fmt: skip
        case el.ImageElement():
            infos = [
                {"Type": i.type, "Size": i.size, "Width": i.width, "Height": i.height, "URL": i.url}
                for i in e.image_info_array
            ]
            return _elem(
                "TIMImageElem", UUID=e.uuid, ImageFormat=e.image_format, ImageInfoArray=infos
            )
        case el.FileElement():
            return _elem(
                "TIMFileElem", Url=e.url, UUID=e.uuid, FileSize=e.file_size, FileName=e.file_name,
                Download_Flag=e.download_flag,
            )  # fmt: skip
        case el.VideoElement():
            return _elem(
                "TIMVideoFileElem", VideoUrl=e.video_url, VideoUUID=e.video_uuid,
                VideoSize=e.video_size, VideoSecond=e.video_second, VideoFormat=e.video_format,
                VideoDownloadFlag=e.video_download_flag, ThumbUrl=e.thumb_url,
                ThumbUUID=e.thumb_uuid, ThumbSize=e.thumb_size, ThumbWidth=e.thumb_width,
                ThumbHeight=e.thumb_height, ThumbFormat=e.thumb_format,
                ThumbDownloadFlag=e.thumb_download_flag,
            )  # fmt: skip
    raise AssertionError(f"unhandled element {type(e).__name__}")  # pragma: no cover


def _elem(msg_type: str, **content: Any) -> dict[str, Any]:
    return {"MsgType": msg_type, "MsgContent": {k: v for k, v in content.items() if v is not None}}


def _offline_push_info(n: Notification) -> dict[str, Any]:
    info: dict[str, Any] = {"PushFlag": 0 if n.enabled else 1}
    _put(info, "Title", n.title)
    _put(info, "Desc", n.body)
    _put(info, "Ext", n.ext)
    if n.android is not None:
        _put(info, "AndroidInfo", _android(n.android))
    if n.apns is not None:
        info["ApnsInfo"] = _apns(n.apns)
    return info


def _android(a: AndroidNotification) -> dict[str, Any]:
    flag = None if a.ext_as_huawei_intent_param is None else int(a.ext_as_huawei_intent_param)
    fields = {
        "Sound": a.sound,
        "HuaWeiChannelID": a.huawei_channel_id,
        "XiaoMiChannelID": a.xiaomi_channel_id,
        "OPPOChannelID": a.oppo_channel_id,
        "GoogleChannelID": a.google_channel_id,
        "VIVOClassification": a.vivo_classification,
        "HuaWeiImportance": a.huawei_importance,
        "ExtAsHuaweiIntentParam": flag,
        "HuaWeiCategory": a.huawei_category,
        "OPPOCategory": a.oppo_category,
        "VIVOCategory": a.vivo_category,
        "HonorImportance": a.honor_importance,
        "MeiZuNoticeMsgType": a.meizu_notice_msg_type,
        "OPPOPrivateMsgTemplateId": a.oppo_private_msg_template_id,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _apns(a: ApnsNotification) -> dict[str, Any]:
    info: dict[str, Any] = {"BadgeMode": 1 if a.badge == "unchanged" else 0}
    _put(info, "Sound", a.sound)
    _put(info, "Title", a.title)
    _put(info, "SubTitle", a.subtitle)
    _put(info, "Image", a.image)
    info["MutableContent"] = int(a.mutable_content)
    return info


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value:
        target[key] = value
