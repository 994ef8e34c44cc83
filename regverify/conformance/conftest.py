"""Loads the suite's plugin for this directory only (as array-api-tests does): no entry point."""

from regverify.conformance.plugin import (  # noqa: F401 - pytest finds hooks by name in a conftest
    pytest_addoption,
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_generate_tests,
    pytest_pyfunc_call,
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)


def pytest_sessionstart(session) -> None:
    import torch

    # The suite's tensors are small: a second intra-op thread costs more in hand-off than it saves,
    # and under pytest-xdist every worker would oversubscribe the cores.
    torch.set_num_threads(1)
