"""`python -m devstack.sandbox --port 8081 ...`: run the sandbox in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from devstack.sandbox.quota import DEDUP_WINDOW_SECONDS
from devstack.sandbox.server import DEV_KEY, UpstreamSandbox


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options; the defaults match the local stack's dev app."""
    parser = argparse.ArgumentParser(prog="python -m devstack.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--sdkappid", type=int, default=1400000000)
    parser.add_argument("--identifier", default="administrator")
    parser.add_argument("--key", default=DEV_KEY)
    parser.add_argument("--daily-limit", type=int, default=100)
    parser.add_argument("--min-interval-ms", type=int, default=1000)
    parser.add_argument("--timezone", default="Asia/Shanghai")
    parser.add_argument(
        "--dedup-window-seconds", type=float, default=DEDUP_WINDOW_SECONDS,
        help="how long a MsgRandom is de-duplicated (Tencent's strict reading: 1 s)",
    )  # fmt: skip
    parser.add_argument("--verbose", action="store_true", help="one line per call: command, code")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Serve until Ctrl-C."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sandbox = UpstreamSandbox(
        sdkappid=args.sdkappid,
        identifier=args.identifier,
        key=args.key,
        host=args.host,
        port=args.port,
        daily_limit=args.daily_limit,
        min_interval_ms=args.min_interval_ms,
        timezone=args.timezone,
        dedup_window_seconds=args.dedup_window_seconds,
        verbose=args.verbose,
    )
    sandbox.start()
    print(f"upstream sandbox on {sandbox.url}", flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
