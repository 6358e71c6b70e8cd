"""`python -m devstack` (`make run`): the local stack in the foreground until Ctrl-C / SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from devstack.config import StackConfigError
from devstack.stack import LocalStack

READY = "tim-push-gateway local stack ready on {url}"
CURL = (
    "curl -s -X POST {url}/v1/pushes -H 'content-type: application/json' "
    """-d '{{"audience":{{"all":true}},"message":{{"text":"hello"}}}}'"""
)


def say(line: str) -> None:
    """One line on stdout, flushed at once (tests and humans wait for these)."""
    print(line, flush=True)


def main() -> int:
    """Start the stack, print the ready line, block until a stop signal, then stop everything."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        stack = LocalStack(say=say).start()
    except OSError as exc:  # typically PORT already in use
        print(f"local stack failed to start: {exc}", file=sys.stderr)
        return 1
    except StackConfigError as exc:
        print(f"local stack refused to start: {exc}", file=sys.stderr)
        return 2
    try:
        say(READY.format(url=stack.url))
        say(CURL.format(url=stack.url))
        # Wake up now and then: Python runs signal handlers only in the main thread, and a
        # stop signal the kernel hands to another thread would otherwise wait for it.
        while not stop.wait(0.5):
            pass
        say("stopping")
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
