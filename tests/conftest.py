"""The meta-tests' configuration (the conformance suite has its own, in regverify/conformance/)."""

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    from regverify.conformance.plugin import add_full_option

    add_full_option(parser)


def pytest_configure(config: pytest.Config) -> None:
    from regverify.conformance.plugin import load_suite_profile, register_markers

    load_suite_profile(config)  # before any test module imports a suite property
    config.addinivalue_line("markers", "end_to_end(name): the test waits for this subprocess run (tests/test_cli.py)")
    register_markers(config)  # meta-tests import the suite's modules, whose marks must be known


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    # Tests that wait for an end-to-end run go last (stable sort: the rest keep their order), so the runs
    # started below have the whole suite's time to finish on the other core.
    items.sort(key=lambda item: item.get_closest_marker("end_to_end") is not None)
    if not config.getoption("full"):
        later = [item for item in items if item.get_closest_marker("full") is not None]
        if later:
            config.hook.pytest_deselected(items=later)
            items[:] = [item for item in items if item.get_closest_marker("full") is None]
            config._regverify_full_deselected = len(later)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    left = getattr(config, "_regverify_full_deselected", 0)
    if left:
        terminalreporter.write_line(
            f"regverify: {left} meta-tests of the full tier not run (the checker's guarantees at full size); "
            "`python -m pytest --full` runs them and checks PyTorch's built-ins and the installed libraries, as CI does")


def pytest_collection_finish(session: pytest.Session) -> None:
    # The end-to-end CLI runs are subprocesses: start the selected ones now so they overlap with the rest
    # of the suite on the other core (each test waits for its own). Not under pytest-xdist, where every
    # worker collects everything but only one runs a given test: there a test starts its run on first use.
    if session.config.option.collectonly or hasattr(session.config, "workerinput"):
        return
    names = [m.args[0] for item in session.items for m in item.iter_markers("end_to_end")]
    if names:
        from tests.test_cli import start_end_to_end_runs

        start_end_to_end_runs(names, background=True)


def pytest_sessionfinish(session: pytest.Session) -> None:
    import sys

    if "tests.test_cli" in sys.modules:
        sys.modules["tests.test_cli"].stop_end_to_end_runs()
