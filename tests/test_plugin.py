"""The conformance plugin: false-failure accounting under pytest-xdist, and its scope (it never touches another project)."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

from regstats import budget
from regverify.conformance import plugin


@pytest.fixture
def saved_budget(monkeypatch):
    # These tests move this session's own counters; put them back so the run's accounting stays true.
    monkeypatch.delenv("REGVERIFY_DESIGNS_OUT", raising=False)
    state = copy.deepcopy(budget._state)
    yield
    budget._state.clear()
    budget._state.update(state)


def test_a_worker_hands_its_checks_and_designs_to_the_controller(saved_budget):
    budget.spend(3)
    workeroutput: dict = {}
    session = SimpleNamespace(config=SimpleNamespace(workeroutput=workeroutput), exitstatus=0)
    plugin.pytest_sessionfinish(session, 0)
    assert workeroutput["regverify_checks"] == budget.checks_made(), workeroutput
    assert workeroutput["regverify_designs"] == budget.designs()
    assert session.exitstatus == 0, "a worker must not judge the allocation: only the controller sees the whole run"


def test_the_controller_adds_every_worker_checks_to_its_own(saved_budget):
    before = budget.checks_made()
    design = {"what": "w.dropout", "method": "exact binomial", "n": 10, "alpha": 1e-10, "power": 0.999,
              "delta": 0.01, "rate": 0.5}
    for checks in (7, 5):
        node = SimpleNamespace(workeroutput={"regverify_checks": checks, "regverify_designs": [design]})
        plugin.pytest_testnodedown(node, None)
    assert budget.checks_made() == before + 12, f"checks {budget.checks_made()}, but should be {before} + 12"
    assert budget.designs()[-2:] == [design, design]


def test_the_controller_fails_the_run_when_the_workers_together_exceed_the_allocation(saved_budget, capsys):
    one_too_many = budget.allocation() - budget.checks_made() + 1
    plugin.pytest_testnodedown(SimpleNamespace(workeroutput={"regverify_checks": one_too_many,
                                                             "regverify_designs": []}), None)
    session = SimpleNamespace(config=SimpleNamespace(), exitstatus=0)
    plugin.pytest_sessionfinish(session, 0)
    assert session.exitstatus == pytest.ExitCode.TESTS_FAILED
    assert "exceed the allocation" in capsys.readouterr().out


FOREIGN_PROJECT = {
    "conftest.py": """
        import pytest
        from hypothesis import settings

        settings.register_profile("ci", max_examples=100, derandomize=True)

        @pytest.fixture
        def target():
            return "the foreign project's own target"
    """,
    "test_foreign.py": """
        import pytest
        from hypothesis import given, settings, strategies as st

        calls = []

        @given(st.integers())
        def test_hypothesis_runs_this_projects_own_example_count(n):
            calls.append(n)

        def test_after_the_hypothesis_test_it_ran_100_examples():
            assert len(calls) == 100, len(calls)
            assert settings().max_examples == 100

        def test_its_target_fixture_is_its_own(target):
            assert target == "the foreign project's own target"

        def test_no_regverify_plugin_or_option_is_loaded(pytestconfig):
            assert not any("regverify" in str(p) for p in pytestconfig.pluginmanager.get_plugins())
            with pytest.raises(ValueError):
                pytestconfig.getoption("impl")
    """,
}


@pytest.mark.end_to_end("foreign_project")
def test_a_foreign_project_in_the_same_environment_keeps_its_profile_examples_and_target_fixture():
    from tests.test_cli import finished

    done, _ = finished("foreign_project")  # FOREIGN_PROJECT in a folder of its own, under CI=true
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout, done.stdout[-2000:]


class _Options(SimpleNamespace):
    def getoption(self, name, default=None):
        return getattr(self, name, default)


class _Metafunc:
    """What pytest_generate_tests reads of a property: its markers, arguments and the session's choices."""

    def __init__(self, function, devices: list[str]) -> None:
        from impls.protocol import load_target

        self.function = function
        self.module = SimpleNamespace(__name__=function.__module__)
        import inspect

        inner = getattr(getattr(function, "hypothesis", None), "inner_test", function)
        self.fixturenames = list(inspect.signature(inner).parameters)
        marks = getattr(function, "pytestmark", [])
        self.definition = SimpleNamespace(
            originalname=function.__name__,
            get_closest_marker=lambda name: next((m for m in marks if m.name == name), None),
            iter_markers=lambda name: [m for m in marks if m.name == name])
        self.config = _Options(_regverify_targets=[load_target("torch")], _regverify_devices=devices,
                               _regverify_absent=[], impl=["torch"])
        self.cells: list = []

    def parametrize(self, names, params) -> None:
        self.cells = [dict(zip(names, p.values, strict=True)) for p in params]


def test_cuda_cells_are_generated_where_cuda_is_reported_present_and_only_there(monkeypatch):
    import torch

    from regverify.conformance import test_every_operation

    property_ = test_every_operation.test_same_generator_state_gives_the_same_output
    absent = _Metafunc(property_, ["cpu", "cuda"])
    plugin.pytest_generate_tests(absent)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    present = _Metafunc(property_, ["cpu", "cuda"])
    plugin.pytest_generate_tests(present)
    cuda = [c for c in present.cells if c["device"] == "cuda"]
    assert cuda and len(cuda) == len([c for c in present.cells if c["device"] == "cpu"]), (
        f"{len(cuda)} CUDA cells generated with CUDA reported present, but should be one per CPU cell")
    assert not [c for c in absent.cells if c["device"] == "cuda"], "CUDA cells generated without CUDA"
    recorded = {c["reason"] for c in absent.config._regverify_absent if c["device"] == "cuda"}
    assert recorded == {"CUDA not available"}, f"absent CUDA cells recorded as {recorded}"


def test_the_audit_runs_each_random_cell_under_every_seed_in_one_session_and_keeps_the_per_check_alpha(saved_budget):
    from regverify import selftest

    one_cell = "keep_count and numpy-dropout-cpu-float32"
    audit = selftest.flake_audit(3, first_seed=5, extra=["-k", one_cell], families=[plugin.SUITE_DIR / "test_dropout.py"])
    assert audit.seeds == [5, 6, 7] and audit.cases_per_run == [1, 1, 1]
    # CI_EXAMPLES examples (the dev profile), one binomial check each, under every seed; α is one run's, not a third
    assert audit.checks_per_run == [plugin.CI_EXAMPLES] * 3, audit.checks_per_run
    assert audit.designed_alpha_per_check == pytest.approx(budget.alpha_per_check(1.0))
    assert audit.failures == [] and audit.cells_run_once == 0


def test_the_audit_page_bounds_the_false_failure_rates_and_lists_each_failing_seed():
    from regverify.selftest import AuditFailure, AuditResult, audit_markdown

    audit = AuditResult(seeds=list(range(1, 201)), runs=200, cases_per_run=[500] * 200, checks_per_run=[1500] * 200,
                        failures=[AuditFailure(17, "t::a[numpy]", "keep count 61 of 100")],
                        designed_alpha_per_check=4.2e-10, designed_run_rate=1e-6, wall_seconds=60.0,
                        deterministic=["t::b[torch]"], cells_run_once=2000)
    page = audit_markdown(audit)
    assert "| runs with a false failure | 1/200 |" in page
    assert audit.run_rate_upper == pytest.approx(0.0235, abs=5e-4)  # Clopper-Pearson 95 % for 1 of 200
    assert "| 17 | `t::a[numpy]` | keep count 61 of 100 |" in page and "`t::b[torch]`" in page
    assert "the 2000 cells without random checks ran once" in page


def test_a_plain_run_checks_the_references_and_full_adds_pytorchs_built_ins_and_every_installed_library(monkeypatch):
    from impls.protocol.target import installed_library_targets

    monkeypatch.delenv("REGVERIFY_IMPL", raising=False)
    per_change = plugin.target_specs(_Options(impl=None, full=False))
    full = plugin.target_specs(_Options(impl=None, full=True))
    assert per_change == ["numpy", "torch"], f"a plain pytest checks {per_change}, but should check numpy and torch"
    assert full == ["numpy", "torch", "torch-native", *installed_library_targets()], f"--full checks {full}"
    named = plugin.target_specs(_Options(impl=["torch-native"], full=True))
    assert named == ["torch-native"], f"--impl names the targets even under --full, got {named}"


def test_a_plain_run_checks_float32_and_float64_and_records_the_other_dtypes_as_left_to_full(monkeypatch):
    from regverify.conformance import test_every_operation

    monkeypatch.delenv("REGVERIFY_IMPL", raising=False)
    property_ = test_every_operation.test_same_generator_state_gives_the_same_output
    plain, named = _Metafunc(property_, ["cpu"]), _Metafunc(property_, ["cpu"])
    plain.config.impl = None
    plugin.pytest_generate_tests(plain)
    plugin.pytest_generate_tests(named)
    assert {c["dtype"] for c in plain.cells} == {"float32", "float64"}, {c["dtype"] for c in plain.cells}
    assert {"float16", "bfloat16"} <= {c["dtype"] for c in named.cells}, "a named target is checked in every dtype"
    left = {c["dtype"] for c in plain.config._regverify_absent if c["reason"].startswith("per-change run")}
    assert left == {"float16", "bfloat16"}, f"cells left to --full recorded for {left}"


class _Item(SimpleNamespace):
    def get_closest_marker(self, name):
        return name if name in self.marks else None


class _Hook:
    def __init__(self, deselected: list) -> None:
        self.deselected = deselected

    def pytest_deselected(self, items: list) -> None:
        self.deselected.extend(items)


def test_full_tier_meta_tests_are_deselected_and_counted_unless_full_is_given():
    import tests.conftest as meta

    for full in (False, True):
        deselected: list = []
        config = _Options(full=full, hook=_Hook(deselected))
        items = [_Item(name="quick", marks=()), _Item(name="sweep", marks=("full",)), _Item(name="e2e", marks=("end_to_end",))]
        meta.pytest_collection_modifyitems(None, config, items)
        kept = [item.name for item in items]
        if full:
            assert kept == ["quick", "sweep", "e2e"] and not deselected, f"--full kept {kept}, deselected {deselected}"
        else:
            assert kept == ["quick", "e2e"] and [i.name for i in deselected] == ["sweep"], f"kept {kept}"
            assert config._regverify_full_deselected == 1
