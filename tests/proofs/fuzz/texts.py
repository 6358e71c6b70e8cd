"""Fixed hostile inputs: Unicode edge cases (many at the 50-byte limit), raw bodies, content types.

Upstream counts tag, attribute and account lengths in UTF-8 bytes, so a limit checked in
characters lets `"中" * 17` (17 characters, 51 bytes) through.
"""

from __future__ import annotations

LIMIT = 50


def fifty(unit: str) -> str:
    """`unit` repeated, padded with ASCII to exactly 50 UTF-8 bytes."""
    count = LIMIT // len(unit.encode())
    return unit * count + "a" * (LIMIT - count * len(unit.encode()))


def fifty_one(unit: str) -> str:
    return fifty(unit) + "b"


# Multi-byte units: CJK (3 bytes), emoji (4), e + combining acute (1+2), zero-width space (3),
# RTL override + Hebrew (3+2), a ZWJ family emoji (25), a regional-indicator flag (8).
UNITS = ("中", "😀", "e\u0301", "\u200b", "\u202e\u05d0", "👩\u200d👩\u200d👧\u200d👦", "🇨🇳")
AT_LIMIT = tuple(fifty(u) for u in UNITS)
OVER_LIMIT = tuple(fifty_one(u) for u in UNITS)
LONE_SURROGATES = ("\ud800", "a\udfffb", "\udbff\udbff")
EDGE_TEXTS = (
    "", " ", "\t\n", "a" * 50, "a" * 51, "\x00", "\ufeff", "\ufffe", "\U0010ffff", "\U0001d54f",
    "\u0301", "%ff", "a,b", ",", "a b", "\\", '"', "<script>", "../../etc/passwd", "NaN",
    "sex", "city", "vip", "all", "any", "type", "text", "dry_run",
    *AT_LIMIT, *OVER_LIMIT, *LONE_SURROGATES,
)  # fmt: skip

RAW_BODIES = (
    b"", b" ", b"\n", b"[]", b"null", b'"str"', b"123", b"true", b"{", b'{"a":', b"{}",
    b"\xff\xfe", b"\x80abc", b"\xc3(", b"\xed\xa0\x80", b"\xef\xbb\xbf{}", b'{"a":NaN}',
    b'{"a":Infinity}', b'{"a":1,"a":2}', b'{"a":' + b"9" * 5000 + b"}", b"\x00", b"{'a': 1}",
    b"a=1&b=2", b"\x1f\x8b\x08\x00",
)  # fmt: skip
CONTENT_TYPES = (
    "application/json", "application/json; charset=utf-8", "application/json; charset=latin-1",
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/xml", "application/problem+json", "", None,
)  # fmt: skip
