"""Loads the session-wide secret-hygiene plugin whenever this directory is collected."""

from __future__ import annotations

import pytest

from tests.proofs.hygiene.plugin import HygienePlugin

PLUGIN_NAME = "tim-secret-hygiene"


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(HygienePlugin(config), PLUGIN_NAME)


@pytest.fixture
def _hygiene_plugin(pytestconfig: pytest.Config) -> HygienePlugin:
    plugin = pytestconfig.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(plugin, HygienePlugin)
    return plugin
