"""UserSig minting (checked by an independent verifier, docs/upstream.md §6.1) and its cache."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass
from typing import Any

import pytest
import TLSSigAPIv2

from push_common import caches, usersig
from push_common.credentials import AdminCredentials
from push_common.usersig import UserSigCache, get_usersig_cache, mint_usersig

DOC_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
DOC_CREDS = AdminCredentials(sdkappid=1400000000, identifier="administrator", key=DOC_KEY)
DOC_SIG = "yLAe+w7WUeUuqbV9h/TX78u21oTGi+i9Zp1u3PpnY60="
DOC_USERSIG = (
    "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZB"
    "ZlAqUsTAzgQuWZOaChAzN0RQXZ6aDLKn0cUzVLjcPD00NLS1MCrPM0A*JMLcoNTLMD3HP1M60jCowLDUOKMiLNDOwVa"
    "oFAD4PNPI_"
)


def decode(sig: str) -> dict[str, Any]:
    raw = base64.b64decode(sig.translate(str.maketrans("*-_", "+/=")), validate=True)
    doc: dict[str, Any] = json.loads(zlib.decompress(raw))
    return doc


def verify(sig: str, *, key: str, sdkappid: int, identifier: str, now: float) -> bool:
    """Independent check per docs/upstream.md §6.1: HMAC-SHA256 of the TLS.* lines, then expiry."""
    doc = decode(sig)
    content = "".join(
        f"TLS.{name}:{value}\n"
        for name, value in (
            ("identifier", doc["TLS.identifier"]),
            ("sdkappid", doc["TLS.sdkappid"]),
            ("time", doc["TLS.time"]),
            ("expire", doc["TLS.expire"]),
        )
    )
    mac = hmac.new(key.encode(), content.encode(), hashlib.sha256).digest()
    return (
        hmac.compare_digest(base64.b64encode(mac).decode(), doc["TLS.sig"])
        and (doc["TLS.sdkappid"], doc["TLS.identifier"]) == (sdkappid, identifier)
        and now <= doc["TLS.time"] + doc["TLS.expire"]
    )


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(TLSSigAPIv2.time, "time", lambda: 1700000000.0)
    return 1700000000.0


def test_minted_sig_verifies(frozen_time: float) -> None:
    sig = mint_usersig(DOC_CREDS, expire_seconds=86400)
    assert verify(
        sig, key=DOC_KEY, sdkappid=1400000000, identifier="administrator", now=frozen_time
    )


def test_minted_sig_fails_with_another_key(frozen_time: float) -> None:
    sig = mint_usersig(DOC_CREDS, expire_seconds=86400)
    assert not verify(
        sig, key="other", sdkappid=1400000000, identifier="administrator", now=frozen_time
    )


def test_minted_sig_expires_after_expire_seconds(frozen_time: float) -> None:
    sig = mint_usersig(DOC_CREDS, expire_seconds=600)
    assert not verify(
        sig, key=DOC_KEY, sdkappid=1400000000, identifier="administrator", now=frozen_time + 601
    )


def test_doc_test_vector(frozen_time: float) -> None:
    doc = decode(mint_usersig(DOC_CREDS, expire_seconds=86400))
    assert doc["TLS.sig"] == DOC_SIG
    assert doc == decode(DOC_USERSIG)


def test_sig_uses_only_the_url_safe_alphabet() -> None:
    sig = mint_usersig(DOC_CREDS, expire_seconds=86400)
    assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_")


def test_json_holds_ints_for_sdkappid_and_expire() -> None:
    doc = decode(mint_usersig(DOC_CREDS, expire_seconds=86400))
    assert (doc["TLS.sdkappid"], doc["TLS.expire"], doc["TLS.ver"]) == (1400000000, 86400, "2.0")


@pytest.mark.parametrize("expire", [0, -1, 86400.0, True, "86400"])
def test_expire_must_be_a_positive_int(expire: Any) -> None:
    with pytest.raises(ValueError):
        mint_usersig(DOC_CREDS, expire_seconds=expire)


# --- cache -----------------------------------------------------------------------------------


@dataclass
class Clock:
    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def mints(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    calls: list[tuple[str, int]] = []

    def fake_mint(creds: AdminCredentials, *, expire_seconds: int) -> str:
        calls.append((creds.identifier, expire_seconds))
        return f"sig-{len(calls)}"

    monkeypatch.setattr(usersig, "mint_usersig", fake_mint)
    return calls


def test_cache_reuses_the_sig(mints: list[tuple[str, int]]) -> None:
    cache = UserSigCache(expire_seconds=86400, clock=Clock())
    assert [cache.get(DOC_CREDS), cache.get(DOC_CREDS)] == ["sig-1", "sig-1"]
    assert mints == [("administrator", 86400)]


def test_cache_renews_after_90_percent_of_the_lifetime(mints: list[tuple[str, int]]) -> None:
    clock = Clock()
    cache = UserSigCache(expire_seconds=86400, clock=clock)
    cache.get(DOC_CREDS)
    clock.now += 86400 * 0.9 - 1
    assert cache.get(DOC_CREDS) == "sig-1"
    clock.now += 1
    assert cache.get(DOC_CREDS) == "sig-2"


def test_short_sigs_renew_at_least_five_minutes_early(mints: list[tuple[str, int]]) -> None:
    clock = Clock()
    cache = UserSigCache(expire_seconds=600, clock=clock)
    cache.get(DOC_CREDS)
    clock.now += 299
    assert cache.get(DOC_CREDS) == "sig-1"
    clock.now += 1
    assert cache.get(DOC_CREDS) == "sig-2"


def test_new_key_gets_a_new_sig(mints: list[tuple[str, int]]) -> None:
    cache = UserSigCache(expire_seconds=86400, clock=Clock())
    rotated = AdminCredentials(sdkappid=1400000000, identifier="administrator", key="rotated")
    assert [cache.get(DOC_CREDS), cache.get(rotated)] == ["sig-1", "sig-2"]


def test_invalidate_forces_a_new_sig(mints: list[tuple[str, int]]) -> None:
    cache = UserSigCache(expire_seconds=86400, clock=Clock())
    cache.get(DOC_CREDS)
    cache.invalidate()
    assert cache.get(DOC_CREDS) == "sig-2"


def test_process_cache_uses_settings_and_is_cleared(
    monkeypatch: pytest.MonkeyPatch, mints: list[tuple[str, int]]
) -> None:
    monkeypatch.setenv("USERSIG_EXPIRE_SECONDS", "3600")
    caches.clear_all()
    first = get_usersig_cache()
    first.get(DOC_CREDS)
    assert get_usersig_cache() is first and mints == [("administrator", 3600)]
    caches.clear_all()
    assert get_usersig_cache() is not first
