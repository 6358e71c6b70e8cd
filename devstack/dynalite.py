"""dynalite (npm `dynalite@4`) as an in-memory DynamoDB child process.

Unlike moto, dynalite serialises conditional writes, which the quota's atomicity relies on.
The child listens on a port the OS picks and reports it on stdout, so there is no port race,
and it exits by itself when its stdin closes, so even a killed stack leaves no orphan.
"""

from __future__ import annotations

import select
import shutil
import subprocess
from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
_SCRIPT = """
const dynalite = require(process.argv[1]);
const server = dynalite({createTableMs: 0, deleteTableMs: 0, updateTableMs: 0});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
"""


def unavailable_reason() -> str | None:
    """Why dynalite cannot run here (None when it can)."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not (NODE_MODULES / "dynalite" / "package.json").is_file():
        return "devstack/node_modules has no dynalite (run `make node`)"
    return None


class Dynalite:
    """One in-memory dynalite server on 127.0.0.1."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self.url = ""

    def launch(self) -> None:
        """Start the child without waiting for it (see `wait_ready`)."""
        node = shutil.which("node") or "node"
        self._proc = subprocess.Popen(
            [node, "-e", _SCRIPT, str(NODE_MODULES / "dynalite")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self, timeout: float = 10.0) -> str:
        """Block until the child reports its port; returns the endpoint URL."""
        assert self._proc is not None and self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout)
        line = self._proc.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"dynalite did not start within {timeout:.0f} s")
        self.url = f"http://127.0.0.1:{line}"
        return self.url

    def stop(self) -> None:
        """Close the child's stdin (it exits) and reap it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
