"""Server-side check of a TLSSigAPIv2 UserSig, as Tencent IM does it (docs/upstream.md §6.1)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from typing import Any

OK = 0
EXPIRED = 70001
EMPTY = 70002
UNPARSABLE = 70003
HMAC_MISMATCH = 70009
IDENTIFIER_MISMATCH = 70013
SDKAPPID_MISMATCH = 70014

_URL_ALPHABET = str.maketrans({"*": "+", "-": "/", "_": "="})
_INT_FIELDS = ("TLS.sdkappid", "TLS.time", "TLS.expire")


def decode_usersig(usersig: str) -> dict[str, Any] | None:
    """The JSON document inside a UserSig, or None when it is not one."""
    try:
        compressed = base64.b64decode(usersig.translate(_URL_ALPHABET), validate=True)
        doc = json.loads(zlib.decompress(compressed).decode("utf-8"))
    except (binascii.Error, zlib.error, UnicodeError, ValueError):
        return None
    if not isinstance(doc, dict) or not _well_typed(doc):
        return None
    return doc


def _well_typed(doc: dict[str, Any]) -> bool:
    ints_ok = all(type(doc.get(name)) is int for name in _INT_FIELDS)
    strings = (doc.get("TLS.identifier"), doc.get("TLS.sig"))
    userbuf = doc.get("TLS.userbuf")
    userbuf_ok = userbuf is None or isinstance(userbuf, str)
    return ints_ok and userbuf_ok and all(isinstance(s, str) for s in strings)


def expected_sig(doc: dict[str, Any], key: str) -> str:
    """Base64 HMAC-SHA256 over the exact string TLSSigAPIv2 signs, from the sig's own fields."""
    content = (
        f"TLS.identifier:{doc['TLS.identifier']}\n"
        f"TLS.sdkappid:{doc['TLS.sdkappid']}\n"
        f"TLS.time:{doc['TLS.time']}\n"
        f"TLS.expire:{doc['TLS.expire']}\n"
    )
    if isinstance(doc.get("TLS.userbuf"), str):
        content += f"TLS.userbuf:{doc['TLS.userbuf']}\n"
    digest = hmac.new(key.encode("utf-8"), content.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_usersig(usersig: str, *, key: str, sdkappid: int, identifier: str, now: float) -> int:
    """0 when `usersig` is valid for this app, admin and instant, else Tencent's error code.

    Checks in the order of Tencent's own Go verifier: app, identifier, expiry, then the HMAC.
    Validity ends at TLS.time + TLS.expire (expire is a duration).
    """
    if not usersig:
        return EMPTY
    doc = decode_usersig(usersig)
    if doc is None:
        return UNPARSABLE
    if doc["TLS.sdkappid"] != sdkappid:
        return SDKAPPID_MISMATCH
    if doc["TLS.identifier"] != identifier:
        return IDENTIFIER_MISMATCH
    if now > doc["TLS.time"] + doc["TLS.expire"]:
        return EXPIRED
    if not hmac.compare_digest(expected_sig(doc, key), doc["TLS.sig"]):
        return HMAC_MISMATCH
    return OK
