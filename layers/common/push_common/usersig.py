"""UserSig minting (official `TLSSigAPIv2` module) and a process-wide cache of the admin's sig."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import TLSSigAPIv2

from push_common import caches
from push_common.credentials import AdminCredentials
from push_common.settings import get_settings

MIN_REFRESH_MARGIN_SECONDS = 300


def mint_usersig(creds: AdminCredentials, *, expire_seconds: int) -> str:
    """A fresh UserSig for the admin, valid `expire_seconds` from now."""
    # The module signs str(sdkappid)/str(expire) but stores int(...): anything but a plain int
    # (a float, a zero-padded string) yields a sig no server verifies.
    if type(expire_seconds) is not int or expire_seconds <= 0:
        raise ValueError("expire_seconds must be a positive int")
    api = TLSSigAPIv2.TLSSigAPIv2(int(creds.sdkappid), creds.key.get_secret_value())
    sig: str = api.gen_sig(creds.identifier, expire_seconds)
    return sig


@dataclass(frozen=True)
class _Entry:
    sig: str
    refresh_at: float


class UserSigCache:
    """Reuses one UserSig per (sdkappid, identifier, key) until shortly before it expires.

    A sig is replaced once 90 % of its lifetime has passed, and at least
    `MIN_REFRESH_MARGIN_SECONDS` before expiry, so a sig in flight never expires upstream (70001).
    """

    def __init__(self, *, expire_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self._expire = expire_seconds
        self._margin = max(expire_seconds // 10, MIN_REFRESH_MARGIN_SECONDS)
        self._clock = clock
        self._entries: dict[tuple[int, str, str], _Entry] = {}
        self._lock = threading.Lock()

    def get(self, creds: AdminCredentials) -> str:
        """The cached sig for these credentials, minting a new one when absent or near expiry."""
        cache_key = (creds.sdkappid, creds.identifier, _fingerprint(creds))
        now = self._clock()
        with self._lock:
            entry = self._entries.get(cache_key)
            if entry is None or now >= entry.refresh_at:
                sig = mint_usersig(creds, expire_seconds=self._expire)
                entry = _Entry(sig, now + max(self._expire - self._margin, 0))
                self._entries = {cache_key: entry}  # one admin per process: drop stale keys
            return entry.sig

    def invalidate(self) -> None:
        """Forget every cached sig (after an upstream signature error or a key rotation)."""
        with self._lock:
            self._entries = {}


def _fingerprint(creds: AdminCredentials) -> str:
    return hashlib.sha256(creds.key.get_secret_value().encode("utf-8")).hexdigest()[:16]


@cache
def get_usersig_cache() -> UserSigCache:
    """The process-wide UserSig cache, sigs valid for `USERSIG_EXPIRE_SECONDS`."""
    return UserSigCache(expire_seconds=get_settings().usersig_expire_seconds)


caches.register(get_usersig_cache.cache_clear)


@caches.register_timed
def _forget_sigs() -> None:
    """Drop the sigs (each carries its expiry) but keep the cache the client holds."""
    if get_usersig_cache.cache_info().currsize:
        get_usersig_cache().invalidate()
