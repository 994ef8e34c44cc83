"""The pytest plugin's false-failure accounting under pytest-xdist: the allocation bounds the whole run."""

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


def test_the_hypothesis_digest_cache_returns_what_hypothesis_computes_per_parametrized_case():
    from hypothesis import core
    from hypothesis.internal.reflection import function_digest as uncached

    def property_under_test(x):
        return x

    digests = []
    for case in (None, b"tests/t.py::p[a]", b"tests/t.py::p[b]"):
        if case is not None:
            property_under_test._hypothesis_internal_add_digest = case
        first, again = core.function_digest(property_under_test), core.function_digest(property_under_test)
        assert first == again == uncached(property_under_test), f"cached digest differs from Hypothesis' for {case!r}"
        digests.append(first)
    assert len(set(digests)) == 3, "parametrized cases must keep distinct digests (seeds and database keys)"
