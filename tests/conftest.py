"""The suite's own configuration: the plugin (regverify.plugin) does targets, devices and claims."""

import pytest

from regverify.plugin import load_default_profile


def pytest_configure(config: pytest.Config) -> None:
    load_default_profile(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    import torch

    # The suite's tensors are small: a second intra-op thread costs more in hand-off than it saves,
    # and under pytest-xdist every worker would oversubscribe the cores.
    torch.set_num_threads(1)
