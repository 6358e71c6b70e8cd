"""Helpers for tests that talk to a local stack: a subprocess runner and a tiny HTTP client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.config import FUNCTION_OVERRIDES

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"^tim-push-gateway local stack ready on (http://127\.0\.0\.1:\d+)$", re.M)
SANDBOX = re.compile(r"^upstream sandbox: (http://127\.0\.0\.1:\d+)$", re.M)
AWS = re.compile(r"^aws emulator: moto on (http://127\.0\.0\.1:\d+)", re.M)
STANDIN = re.compile(r"^dynamodb stand-in: (\w+)", re.M)
# Stack settings a test must choose explicitly rather than inherit from the developer's shell.
_STACK_VARS = (
    "PORT",
    "TIM_BASE_URL",
    "TIM_SDKAPPID",
    "TIM_IDENTIFIER",
    "TIM_KEY",
    "PARTNER_ACCOUNTS",
)


@dataclass
class Reply:
    """One HTTP response."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    method: str,
    url: str,
    body: bytes | str | dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    """Send one request; non-2xx answers are returned, not raised."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    data = data.encode() if isinstance(data, str) else data
    all_headers = {"content-type": "application/json", **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def stack_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The test process environment without stack settings, plus `overrides`."""
    dropped = (*_STACK_VARS, *FUNCTION_OVERRIDES)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in dropped and not k.startswith(("LOCAL_", "SANDBOX_"))
    }
    return {**env, "PORT": "0", **overrides}


@dataclass
class StackProcess:
    """`python -m devstack` as a subprocess; every line it writes lands in `log_path`."""

    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    url: str = ""
    sandbox_url: str | None = None
    aws_endpoint: str = ""
    dynamodb_standin: str = ""
    _proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> StackProcess:
        """Start and wait for the ready line (the stack picks its own port: PORT=0)."""
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "devstack"],
                cwd=ROOT,
                env=stack_env(self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while (ready := READY.search(self.log_text())) is None:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"local stack did not start:\n{self.log_text()}")
            time.sleep(0.05)
        self.url = ready.group(1)
        text = self.log_text()
        sandbox, aws, standin = SANDBOX.search(text), AWS.search(text), STANDIN.search(text)
        self.sandbox_url = sandbox.group(1) if sandbox else None
        self.aws_endpoint = aws.group(1) if aws else ""
        self.dynamodb_standin = standin.group(1) if standin else ""
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def log_text(self) -> str:
        """Everything the stack and its workers have written so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, as Ctrl-C would; returns the exit code."""
        proc, self._proc = self._proc, None
        if proc is None:
            return 0
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise


StackFactory = Callable[..., StackProcess]
