"""verify_usersig against the doc's test vector and against TLSSigAPIv2's own sigs."""

from __future__ import annotations

import base64
import json
import zlib
from types import SimpleNamespace
from typing import Any

import pytest
import TLSSigAPIv2

from devstack.sandbox.usersig_verify import decode_usersig, verify_usersig
from tests.local_stack.sandbox.helpers import ADMIN, KEY, SDKAPPID

VECTOR_TIME = 1700000000
VECTOR_SIG = "yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60="
VECTOR_USERSIG = (
    "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZBZ"
    "lAqUsTAzgQuWZOaChAzN0RQXZ6aDLKn0cUzVLjcPD00NLS1MCrPM0A*JMLcoNTLMD3HP1M60jCowLDUOKMiLNDOwVaoF"
    "AD4PNPI_"
)


def verify(usersig: str, now: float = VECTOR_TIME + 1, **overrides: Any) -> int:
    args: dict[str, Any] = {"key": KEY, "sdkappid": SDKAPPID, "identifier": ADMIN}
    args.update(overrides)
    return verify_usersig(usersig, now=now, **args)


def encode(doc: dict[str, Any]) -> str:
    """Pack a sig document the way TLSSigAPIv2 does (zlib + URL-safe base64)."""
    packed = base64.b64encode(zlib.compress(json.dumps(doc).encode())).decode()
    return packed.replace("+", "*").replace("/", "-").replace("=", "_")


@pytest.fixture
def frozen_sig(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(TLSSigAPIv2, "time", SimpleNamespace(time=lambda: VECTOR_TIME))
    sig: str = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, KEY).gen_sig(ADMIN, 86400)
    return sig


def test_doc_vector_is_valid() -> None:
    assert verify(VECTOR_USERSIG) == 0


def test_doc_vector_decodes_to_the_documented_hmac() -> None:
    doc = decode_usersig(VECTOR_USERSIG)
    assert doc is not None
    assert doc["TLS.sig"] == VECTOR_SIG
    assert (doc["TLS.time"], doc["TLS.expire"]) == (VECTOR_TIME, 86400)


def test_tlssigapi_reproduces_the_vector_hmac(frozen_sig: str) -> None:
    doc = decode_usersig(frozen_sig)
    assert doc is not None and doc["TLS.sig"] == VECTOR_SIG
    assert verify(frozen_sig) == 0


def test_valid_until_time_plus_expire_inclusive() -> None:
    assert verify(VECTOR_USERSIG, now=VECTOR_TIME + 86400) == 0
    assert verify(VECTOR_USERSIG, now=VECTOR_TIME + 86401) == 70001


def test_empty_sig() -> None:
    assert verify("") == 70002


@pytest.mark.parametrize(
    "usersig",
    [
        "not base64 at all!",
        base64.b64encode(b"plain bytes, no zlib").decode(),
        base64.b64encode(zlib.compress(b"not json")).decode(),
        base64.b64encode(zlib.compress(b"[1, 2]")).decode(),
    ],
)
def test_unparsable(usersig: str) -> None:
    assert verify(usersig) == 70003


def test_missing_or_mistyped_fields_are_unparsable() -> None:
    doc = decode_usersig(VECTOR_USERSIG)
    assert doc is not None
    without_sig = {k: v for k, v in doc.items() if k != "TLS.sig"}
    assert verify(encode(without_sig)) == 70003
    assert verify(encode({**doc, "TLS.time": str(VECTOR_TIME)})) == 70003


def test_tampered_field_breaks_the_hmac() -> None:
    doc = decode_usersig(VECTOR_USERSIG)
    assert doc is not None
    assert verify(encode({**doc, "TLS.expire": 86400 * 365})) == 70009


def test_other_key_breaks_the_hmac() -> None:
    assert verify(VECTOR_USERSIG, key="another-apps-key") == 70009


def test_identifier_mismatch() -> None:
    assert verify(VECTOR_USERSIG, identifier="someone-else") == 70013


def test_sdkappid_mismatch() -> None:
    assert verify(VECTOR_USERSIG, sdkappid=1400000001) == 70014


def test_live_sig_from_tlssigapi_is_valid_now() -> None:
    sig = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, KEY).gen_sig("ops", 600)
    doc = decode_usersig(sig)
    assert doc is not None
    assert verify(sig, now=doc["TLS.time"] + 600, identifier="ops") == 0
    assert verify(sig, now=doc["TLS.time"] + 601, identifier="ops") == 70001


def test_userbuf_sigs_are_verified_too() -> None:
    sig = TLSSigAPIv2.TLSSigAPIv2(SDKAPPID, KEY).gen_sig_with_userbuf(ADMIN, 600, b"room")
    doc = decode_usersig(sig)
    assert doc is not None and "TLS.userbuf" in doc
    assert verify(sig, now=doc["TLS.time"]) == 0
    assert verify(encode({**doc, "TLS.userbuf": "b3RoZXI="}), now=doc["TLS.time"]) == 70009
