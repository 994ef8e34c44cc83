"""The operation specs are complete: every operation is checked, has a catalogued defect, and is adapted
from PyTorch or says why not; every spec table is well formed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from impls.protocol import OPERATIONS, load_target
from regverify.conformance import plugin
from regverify.conformance.defects import CATALOGUE

SUITE_MODULES = sorted(p.stem for p in plugin.SUITE_DIR.glob("test_*.py"))


def _operations_with_a_property() -> set[str]:
    covered: set[str] = set()
    for name in SUITE_MODULES:
        module = importlib.import_module(f"regverify.conformance.{name}")
        for function in vars(module).values():
            for mark in getattr(function, "pytestmark", []):
                if mark.name == "operation":
                    covered |= set(mark.args)
                elif mark.name == "spec_cases":
                    covered |= set(plugin.spec_operations(mark.args[0]))
    return covered


def test_every_operation_has_a_property():
    missing = sorted(set(OPERATIONS) - _operations_with_a_property())
    assert not missing, f"operations no property exercises: {missing}"


def test_every_operation_has_a_catalogued_defect():
    missing = sorted(set(OPERATIONS) - {d.operation for d in CATALOGUE})
    assert not missing, f"operations without a catalogued defect (regverify/conformance/defects/): {missing}"


def test_every_operation_is_adapted_from_pytorch_or_says_why_not():
    native = load_target("torch-native")
    reasons = native.module.NOT_ADAPTED
    missing = sorted(name for name in OPERATIONS if not native.implements(name) and name not in reasons)
    stale = sorted(name for name in reasons if native.implements(name) or name not in OPERATIONS)
    assert not missing, f"operations torch-native neither adapts nor explains in NOT_ADAPTED: {missing}"
    assert not stale, f"NOT_ADAPTED names operations it adapts or that do not exist: {stale}"


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_spec_tables_are_well_formed(name):
    spec = OPERATIONS[name]
    labels = [case.label for case in spec.invalid]
    assert len(labels) == len(set(labels)), f"{name}: invalid cases repeated: {labels}"
    for case in spec.invalid:
        assert case.allowed, f"{name}: invalid case {case.label} states no allowed range"
    if spec.units or spec.structure or spec.backward_rule:
        assert spec.stochastic and spec.example, f"{name}: a law or structure needs a stochastic example call"
    findings = load_target("torch-native").findings()
    for key in findings:
        if key.startswith("test_"):  # a cell's finding (property[cell id]), matched by the plugin, not a call's
            continue
        operation, _, label = key.partition(":")
        assert operation in OPERATIONS and label in [c.label for c in OPERATIONS[operation].invalid], (
            f"torch-native FINDINGS names {key!r}, which is no invalid case of the specs")


def test_no_module_of_the_suite_is_over_400_lines_without_saying_why():
    roots = [Path(plugin.SUITE_DIR), Path(plugin.SUITE_DIR).parents[1] / "impls"]
    long = []
    for root in roots:
        for path in root.rglob("*.py"):
            text = path.read_text()
            if text.count("\n") > 400 and "Over 400 lines:" not in text[:3000]:
                long.append(f"{path.relative_to(root.parent)} ({text.count(chr(10))} lines)")
    assert not long, f"modules over 400 lines without 'Over 400 lines: <why>' in their docstring: {long}"


def test_every_operation_family_names_its_suite_module_and_its_defects_agree():
    modules = {name.removeprefix("test_") for name in SUITE_MODULES}
    wrong = sorted(f"{name}: {spec.family}" for name, spec in OPERATIONS.items() if spec.family not in modules)
    assert not wrong, f"operation families with no regverify/conformance/test_<family>.py: {wrong}"
    disagree = sorted(f"{d.module}: {d.family} vs {OPERATIONS[d.operation].family}" for d in CATALOGUE
                      if d.operation in OPERATIONS and d.family != OPERATIONS[d.operation].family)
    assert not disagree, f"defects whose family differs from their operation's: {disagree}"


@pytest.mark.parametrize("name", ["numpy", "torch", "torch-native"])
def test_references_and_adapter_take_their_signatures_and_checks_from_the_specs(name):
    # One signature and one validation per operation (impls/protocol/parameters.py): none written again.
    from impls.protocol.parameters import outside_the_specs

    assert not outside_the_specs(load_target(name)), f"{name}: functions with their own signature and checks"


def test_an_implementation_that_drifts_from_its_spec_fails_when_it_is_declared():
    from impls.protocol.parameters import implements

    def lacks_generator(x, p, *, training):
        return x

    def own_default(x, p=0.3, *, training, generator):
        return x

    with pytest.raises(TypeError, match="lacks its parameters"):
        implements("dropout")(lacks_generator)
    with pytest.raises(TypeError, match="belongs to the dropout spec"):
        implements("dropout")(own_default)
