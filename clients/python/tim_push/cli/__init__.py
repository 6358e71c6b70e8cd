"""`tim-push`: the gateway from a shell (exit 0 ok, 1 refused, 2 usage, 3 upstream/unknown)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from tim_push.cli import output
from tim_push.cli.commands import Outcome, UsageError, run
from tim_push.cli.parser import build_parser
from tim_push.client import TimPushClient
from tim_push.errors import (
    ConfigurationError,
    OutcomeUnknown,
    ProblemError,
    RefusedError,
    TimPushError,
)
from tim_push.transport import Timeouts

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UPSTREAM = 0, 1, 2, 3

ClientFactory = Callable[[argparse.Namespace], TimPushClient]


def make_client(args: argparse.Namespace) -> TimPushClient:
    timeouts = Timeouts(read=args.timeout) if getattr(args, "timeout", None) else None
    return TimPushClient(
        getattr(args, "endpoint", None),
        region=getattr(args, "region", None),
        profile=getattr(args, "profile", None),
        timeouts=timeouts,
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    client_factory: ClientFactory = make_client,
) -> int:
    """Run one command; returns the exit code (the console script exits with it)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    try:
        # argparse writes to sys.stdout/sys.stderr itself; keep it on the streams we were given.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help / --version (0) or a usage error (2)
        return int(exc.code or 0)
    as_json = bool(getattr(args, "json", False))
    try:
        outcome = run(args, client_factory(args))
    except UsageError as exc:
        print(f"{parser.prog}: error: {exc}", file=err)
        return EXIT_USAGE
    except ConfigurationError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    except TimPushError as exc:
        return _report_error(exc, as_json, out, err)
    _print_outcome(outcome, as_json, out)
    return EXIT_REFUSED if outcome.partial_failure else EXIT_OK


def _print_outcome(outcome: Outcome, as_json: bool, out: TextIO) -> None:
    if as_json:
        print(output.as_json(outcome.data), file=out)
    else:
        print(outcome.human, file=out)


def _report_error(error: TimPushError, as_json: bool, out: TextIO, err: TextIO) -> int:
    if as_json and isinstance(error, ProblemError):
        problem: dict[str, Any] = {"status": error.status, **error.problem}
        print(json.dumps(problem, indent=2, ensure_ascii=False, sort_keys=True), file=out)
    print(output.error_text(error), file=err)
    if isinstance(error, OutcomeUnknown) and error.push_id:
        print(f"the push may have been sent; look it up: tim-push get {error.push_id}", file=err)
    if isinstance(error, RefusedError):
        return EXIT_REFUSED
    return EXIT_UPSTREAM


__all__ = ["main"]
