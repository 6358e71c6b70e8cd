"""A local stack of its own for the fuzz tests, and the per-route tallies they print.

Its own stack because fuzzing writes app state (attribute names, tags) the shared session stack's
tests rely on. Quota limit high and interval 0, so the few real sends are not refused by the
gateway (the upstream sandbox still enforces Tencent's own limits, which are documented answers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.proofs.fuzz.routes import ATTRIBUTE_NAMES, KNOWN_PUSH_IDS
from tests.proofs.fuzz.runner import FUZZ_CALLER, TALLIES, Fuzzer
from tests.support.stack_client import StackProcess, request

FUZZ_ENV = {"PUSH_MIN_INTERVAL_MS": "0", "PUSH_DAILY_LIMIT": "100000"}


@pytest.fixture(scope="session")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A running stack whose app has the attribute names `sex` and `city`."""
    stack = StackProcess(tmp_path_factory.mktemp("fuzz-stack") / "stack.log", dict(FUZZ_ENV))
    stack.start()
    try:
        reply = request(
            "PUT", stack.url + "/v1/attribute-names", {"names": ATTRIBUTE_NAMES},
            headers={"x-local-caller-arn": FUZZ_CALLER},
        )  # fmt: skip
        assert reply.status == 200, reply.body
        # One real push, so recall and report also meet a known id (all_member_push: 409).
        sent = request(
            "POST", stack.url + "/v1/pushes",
            {"audience": {"all": True}, "message": {"text": "fuzz"}},
            headers={"x-local-caller-arn": FUZZ_CALLER},
        )  # fmt: skip
        assert sent.status == 202, sent.body
        KNOWN_PUSH_IDS.append(sent.json()["push_id"])
        yield stack
    finally:
        stack.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One `fuzz: N cases, M failures` line per route that ran."""
    for name, tally in sorted(TALLIES.items()):
        terminalreporter.write_line(tally.line(name))


@pytest.fixture
def fuzzer(fuzz_stack: StackProcess) -> Fuzzer:
    return Fuzzer(fuzz_stack.url)
