"""The secret-hygiene proof: run after every other test (the plugin moves it last), it scans
everything the session captured. Teardown output after it is scanned again at session finish.
"""

from __future__ import annotations

import pytest

from tests.proofs.hygiene.plugin import FINAL_SCAN, scan_everything
from tests.support.capture import CAPTURE


@pytest.mark.usefixtures("_hygiene_plugin")
def test_no_secret_in_the_full_capture(tmp_path_factory: pytest.TempPathFactory) -> None:
    assert test_no_secret_in_the_full_capture.__name__ == FINAL_SCAN
    assert CAPTURE.texts(), "nothing was captured: the scan would prove nothing"
    leaks = scan_everything(tmp_path_factory.getbasetemp())
    assert leaks == [], "\n".join(f"{x.source}: {x.kind}: {x.excerpt}" for x in leaks)
