"""The suite's own configuration: the plugin (regverify.plugin) does targets, devices and claims."""

import pytest

from regverify.plugin import load_default_profile


def pytest_configure(config: pytest.Config) -> None:
    load_default_profile(config)
