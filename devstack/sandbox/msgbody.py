"""Checks of `MsgBody` elements and `OfflinePushInfo` (docs/upstream.md §4, §4.9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devstack.sandbox.errors import ApiError, JsonObj, is_int, is_number, utf8_len

Check = Callable[[Any], bool]


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_download_flag(value: Any) -> bool:
    return is_int(value) and value == 2


def _is_image_info_array(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(map(_is_image_info, value))


def _is_image_info(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    sizes = (entry.get("Width"), entry.get("Height"), entry.get("Size", 0))
    return (
        entry.get("Type") in (1, 2, 3) and _is_str(entry.get("URL")) and all(map(is_number, sizes))
    )


# MsgType -> (required keys, optional keys), each with its type check. REST senders must fill
# the URL/UUID/download-flag fields even where the SDK would not.
_S, _N = _is_str, is_number
ELEMENTS: dict[str, tuple[dict[str, Check], dict[str, Check]]] = {
    "TIMTextElem": ({"Text": _S}, {}),
    "TIMLocationElem": ({"Desc": _S, "Latitude": _N, "Longitude": _N}, {}),
    "TIMFaceElem": ({"Index": _N}, {"Data": _S}),
    "TIMCustomElem": ({"Data": _S}, {"Desc": _S, "Ext": _S, "Sound": _S}),
    "TIMSoundElem": (
        {"Url": _S, "UUID": _S, "Download_Flag": _is_download_flag},
        {"Size": _N, "Second": _N},
    ),
    "TIMImageElem": (
        {"UUID": _S, "ImageInfoArray": _is_image_info_array},
        {"ImageFormat": _N},
    ),
    "TIMFileElem": (
        {"Url": _S, "UUID": _S, "Download_Flag": _is_download_flag},
        {"FileSize": _N, "FileName": _S},
    ),
    "TIMVideoFileElem": (
        {
            "VideoUrl": _S,
            "VideoUUID": _S,
            "VideoDownloadFlag": _is_download_flag,
            "ThumbUrl": _S,
            "ThumbUUID": _S,
            "ThumbWidth": _N,
            "ThumbHeight": _N,
            "ThumbDownloadFlag": _is_download_flag,
        },
        {"VideoSize": _N, "VideoSecond": _N, "VideoFormat": _S, "ThumbSize": _N, "ThumbFormat": _S},
    ),
}

_BINARY_FLAGS = {
    "OfflinePushInfo": ("PushFlag",),
    "ApnsInfo": ("BadgeMode", "MutableContent"),
    "AndroidInfo": ("VIVOClassification", "ExtAsHuaweiIntentParam", "MeiZuNoticeMsgType"),
}
DESC_EXT_MAX_BYTES = 3072


def check_msg_body(body: Any) -> None:
    """90007 unless a non-empty array; 90002 for a bad element shell; 90010 for bad content."""
    if not isinstance(body, list) or not body:
        raise ApiError(90007, "MsgBody must be a non-empty array")
    for element in body:
        _check_element(element)
    if sum(1 for element in body if element["MsgType"] == "TIMCustomElem") > 1:
        raise ApiError(90002, "at most one TIMCustomElem per message")


def _check_element(element: Any) -> None:
    if not isinstance(element, dict) or element.get("MsgType") not in ELEMENTS:
        raise ApiError(90002, "MsgBody element has no known MsgType")
    content = element.get("MsgContent")
    if not isinstance(content, dict):
        raise ApiError(90002, "MsgContent must be an object")
    required, optional = ELEMENTS[element["MsgType"]]
    for name, check in required.items():
        if name not in content or not check(content[name]):
            raise ApiError(90010, f"{element['MsgType']}.{name} missing or invalid")
    for name, check in optional.items():
        if name in content and not check(content[name]):
            raise ApiError(90010, f"{element['MsgType']}.{name} invalid")


def check_offline_push_info(info: Any) -> None:
    """90043 unless OfflinePushInfo is well formed (flags 0/1, strings, Desc+Ext <= 3 KB)."""
    if not isinstance(info, dict):
        raise ApiError(90043, "OfflinePushInfo must be an object")
    _check_section("OfflinePushInfo", info)
    for section in ("AndroidInfo", "ApnsInfo"):
        if section in info:
            if not isinstance(info[section], dict):
                raise ApiError(90043, f"OfflinePushInfo.{section} must be an object")
            _check_section(section, info[section])
    desc_ext = utf8_len(info.get("Desc", "")) + utf8_len(info.get("Ext", ""))
    if desc_ext > DESC_EXT_MAX_BYTES:
        raise ApiError(90043, "OfflinePushInfo Desc + Ext exceed 3 KB")


def _check_section(section: str, fields: JsonObj) -> None:
    flags = _BINARY_FLAGS[section]
    for name, value in fields.items():
        if name in flags:
            if not (is_int(value) and value in (0, 1)):
                raise ApiError(90043, f"{section}.{name} must be 0 or 1")
        elif name not in ("AndroidInfo", "ApnsInfo") and not isinstance(value, str):
            raise ApiError(90043, f"{section}.{name} must be a string")
