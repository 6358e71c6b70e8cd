"""Find secrets in captured text: known admin keys and UserSigs, unredacted `usersig=` values,
and anything shaped like a UserSig even when nobody recorded it (e.g. minted in a subprocess).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

# Shorter "keys" are unit-test placeholders ("k") that would match any text.
MIN_SECRET_CHARS = 16
_USERSIG_PARAM = re.compile(r"(?i)usersig(?:=|%3D)(?!REDACTED(?:[&#\"'\s,;)\]}]|$))")
# TLSSigAPIv2: zlib (base64 "eJ") of a JSON document, base64 with + / = swapped for * - _.
_USERSIG_SHAPE = re.compile(r"eJ[A-Za-z0-9*\-_]{40,}")


@dataclass(frozen=True)
class Leak:
    """Where a secret was seen and what kind it was (never the secret itself)."""

    source: str
    kind: str
    excerpt: str


def decodes_as_usersig(candidate: str) -> bool:
    """True when `candidate` is a TLSSigAPIv2 UserSig (it decodes to a `TLS.sig` document)."""
    table = str.maketrans("*-_", "+/=")
    text = candidate.translate(table)
    try:
        raw = zlib.decompress(base64.b64decode(text + "=" * (-len(text) % 4)))
        doc = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError):
        return False
    return isinstance(doc, dict) and "TLS.sig" in doc


def find_leaks(texts: Iterable[tuple[str, str]], secrets: Iterable[str]) -> list[Leak]:
    """Every secret, unredacted `usersig=` or decodable UserSig in (source, text) pairs."""
    known = sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
    leaks: list[Leak] = []
    for source, text in texts:
        leaks.extend(_leaks_in(source, text, known))
    return leaks


def _leaks_in(source: str, text: str, known: list[str]) -> list[Leak]:
    found = [Leak(source, "known secret", _around(text, text.find(s))) for s in known if s in text]
    found += [
        Leak(source, "unredacted usersig=", _around(text, m.start()))
        for m in _USERSIG_PARAM.finditer(text)
    ]
    found += [
        Leak(source, "UserSig-shaped value", _around(text, m.start()))
        for m in _USERSIG_SHAPE.finditer(text)
        if decodes_as_usersig(m.group())
    ]
    return found


def _around(text: str, at: int) -> str:
    """A short excerpt before the hit (the hit itself is cut, so reports never print it)."""
    return text[max(0, at - 60) : at].replace("\n", " ") + "<…>"
