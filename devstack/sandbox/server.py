"""UpstreamSandbox: Tencent IM's all_member_push API on loopback, driven from Python."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Self

from devstack.sandbox.auth import AppConfig
from devstack.sandbox.core import SandboxCore
from devstack.sandbox.errors import JsonObj
from devstack.sandbox.faults import Fault, FaultQueue
from devstack.sandbox.httpd import SandboxHTTPServer
from devstack.sandbox.quota import DEDUP_WINDOW_SECONDS, PushQuota

# The sample key published in Tencent's tls-sig-api-v2 README; for local use only.
DEV_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"


class UpstreamSandbox:
    """Tencent IM's `v4/all_member_push/*` for one app, on loopback, in a background thread."""

    def __init__(
        self,
        sdkappid: int = 1400000000,
        identifier: str = "administrator",
        key: str = DEV_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        daily_limit: int = 100,
        min_interval_ms: int = 1000,
        timezone: str = "Asia/Shanghai",
        clock: Callable[[], float] = time.time,
        verbose: bool = False,
        dedup_window_seconds: float = DEDUP_WINDOW_SECONDS,
    ) -> None:
        app = AppConfig(sdkappid=int(sdkappid), identifier=identifier, key=key)
        quota = PushQuota(daily_limit, min_interval_ms, timezone)
        self.core = SandboxCore(app, quota, clock, verbose, dedup_window_seconds)
        self.faults = FaultQueue()
        self._address = (host, port)
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind and serve in a daemon thread; idempotent."""
        if self._server is None:
            self._server = SandboxHTTPServer(self._address, self.core, self.faults)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
            self._thread = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:PORT (the gateway's TIM_BASE_URL)."""
        if self._server is None:
            raise RuntimeError("sandbox not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pushes(self) -> list[JsonObj]:
        """Accepted pushes: task_id, msg_random, from_account, body, recipients (sorted), at."""
        return self.core.pushes()

    def calls(self) -> list[JsonObj]:
        """Every REST call: command, error_code, body, at (+ fault); never the UserSig."""
        return self.core.calls()

    def state(self) -> JsonObj:
        """Attribute names, user attrs/tags, users, dedup hits, quota used today, faults."""
        return {**self.core.snapshot(), "faults": self.faults.pending()}

    @property
    def dedup_hits(self) -> int:
        """im_push calls answered with an earlier TaskId because MsgRandom repeated."""
        return int(self.core.snapshot()["dedup_hits"])

    def reset(self) -> None:
        """Forget all state, pushes, calls, faults and clock advance."""
        self.core.reset()
        self.faults.clear()

    def add_users(self, *accounts: str) -> None:
        """Import accounts so that pushes reach them."""
        self.core.add_users(list(accounts))

    def add_fault(self, kind: str, **spec: Any) -> None:
        """Queue a fault, e.g. add_fault("error_code", command="im_push", error_code=91000)."""
        self.faults.add(Fault.from_json({"kind": kind, **spec}))

    def clear_faults(self) -> None:
        """Drop queued faults."""
        self.faults.clear()

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox clock forward; return the new sandbox time."""
        return self.core.advance_clock(seconds)
