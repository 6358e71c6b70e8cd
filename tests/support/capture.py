"""Everything the test session emits that must stay free of secrets, in one process-wide store.

Sources: every log record of the gateway's Powertools logger and of the root logger (a handler
of our own, so tests that consume their output with capsys/caplog cannot hide it), every test's
captured stdout/stderr/log report, every problem body (`GatewayError.to_problem`), and whatever
tests add with `record()` (published events, stack logs). Every UserSig minted in this process
and every admin key it signed with are recorded as the secrets to look for.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from push_common import usersig
from push_common.credentials import AdminCredentials
from push_common.errors import GatewayError
from push_common.observability import logger as gateway_logger


class Capture:
    """Append-only (source, text) pairs plus the secrets to look for in them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: list[tuple[str, str]] = []
        self._secrets: set[str] = set()
        self.minted = 0

    def record(self, source: str, text: str) -> None:
        if text:
            with self._lock:
                self._texts.append((source, text))

    def add_secret(self, value: str) -> None:
        with self._lock:
            self._secrets.add(value)

    def texts(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._texts)

    def secrets(self) -> set[str]:
        with self._lock:
            return set(self._secrets)


CAPTURE = Capture()


class _CaptureHandler(logging.Handler):
    """Formats like the gateway's JSON logger, so extra keys (url, detail...) are scanned."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            CAPTURE.record(f"log:{record.name}", self.format(record))
        except Exception:  # a broken record must not break the test that logged it
            CAPTURE.record(f"log:{record.name}", repr(record.__dict__))


_installed: list[Callable[[], None]] = []


def install() -> None:
    """Hook logging, UserSig minting and problem bodies; idempotent."""
    if _installed:
        return
    handler = _CaptureHandler(level=logging.DEBUG)
    handler.setFormatter(gateway_logger.registered_formatter)
    loggers = (logging.getLogger(gateway_logger.name), logging.getLogger())
    for log in loggers:
        log.addHandler(handler)
    original_mint = usersig.mint_usersig
    original_problem = GatewayError.to_problem

    def mint(creds: AdminCredentials, *, expire_seconds: int) -> str:
        sig = original_mint(creds, expire_seconds=expire_seconds)
        CAPTURE.add_secret(creds.key.get_secret_value())
        CAPTURE.add_secret(sig)
        CAPTURE.minted += 1
        return sig

    def to_problem(self: GatewayError) -> dict[str, Any]:
        problem = original_problem(self)
        CAPTURE.record("problem", json.dumps(problem, ensure_ascii=False, default=str))
        return problem

    usersig.mint_usersig = mint
    GatewayError.to_problem = to_problem  # type: ignore[method-assign]

    def uninstall() -> None:
        usersig.mint_usersig = original_mint
        GatewayError.to_problem = original_problem  # type: ignore[method-assign]
        for log in loggers:
            log.removeHandler(handler)

    _installed.append(uninstall)


def uninstall() -> None:
    while _installed:
        _installed.pop()()
