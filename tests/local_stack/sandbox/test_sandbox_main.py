"""`python -m devstack.sandbox` serves a configured app until interrupted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import urllib3

from tests.local_stack.sandbox.helpers import make_usersig, signed_url

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def test_standalone_sandbox() -> None:
    args = ["--port", "0", "--sdkappid", "1400000007", "--identifier", "ops", "--key", "k1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack.sandbox", *args, "--verbose"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        assert url.startswith("http://127.0.0.1:")
        sig = make_usersig("ops", sdkappid=1400000007, key="k1")
        target = signed_url(url, "im_get_attr_name", sig, sdkappid=1400000007, identifier="ops")
        response = urllib3.request("POST", target, body=b"{}", timeout=5.0)
        assert json.loads(response.data)["ErrorCode"] == 0
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert err.strip() == "sandbox im_get_attr_name -> 0"
