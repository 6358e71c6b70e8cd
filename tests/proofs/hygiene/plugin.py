"""Session-wide pytest plugin: feed every test's captured output into CAPTURE, run the final
scan after every other test, and fail the run if anything leaks after that scan (teardowns).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.proofs.hygiene.scanner import Leak, find_leaks
from tests.support.capture import CAPTURE, install, uninstall

FINAL_SCAN = "test_no_secret_in_the_full_capture"


def stack_logs(base: Path) -> list[tuple[str, str]]:
    """Every `*.log` under pytest's temp dir (the local stacks write theirs there)."""
    return [
        (f"file:{path.name}", path.read_text(encoding="utf-8", errors="replace"))
        for path in sorted(base.rglob("*.log"))
        if path.is_file()
    ]


def scan_everything(base: Path | None) -> list[Leak]:
    texts = CAPTURE.texts() + (stack_logs(base) if base is not None else [])
    return find_leaks(texts, CAPTURE.secrets())


class HygienePlugin:
    """Registered once per session by tests/proofs/hygiene/conftest.py."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        install()

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        last = [i for i in items if i.name == FINAL_SCAN]
        items[:] = [i for i in items if i.name != FINAL_SCAN] + last

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for section, text in report.sections:
            CAPTURE.record(f"{report.nodeid} {section}", text)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        base = getattr(self._config, "_tmp_path_factory", None)
        leaks = scan_everything(base.getbasetemp() if base is not None else None)
        uninstall()
        if leaks:
            reporter = self._config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"SECRET HYGIENE: {len(leaks)} leak(s) after the final scan")
                for leak in leaks[:20]:
                    reporter.write_line(f"  {leak.source}: {leak.kind}: {leak.excerpt}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
