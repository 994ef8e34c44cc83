"""The suite tests itself: every catalogued defect (tests/defects/) must be caught by some property.

Each defect runs in-process against the properties of its family and operation, float64 on the CPU,
with derandomized Hypothesis examples (regverify.selftest.first_catch), stopping at the first failure.
A surviving defect is a gap in the suite: the failure names the defect and every property it passed.
The full run, with every property and dtype, is `regverify mutants`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from regverify import selftest
from regverify.conformance.defects import CATALOGUE

DEFECTS_DIR = Path(selftest.__file__).parent / "conformance" / "defects"


def _expected_outcome(defect) -> pytest.MarkDecorator | tuple:
    if not defect.known_gap:
        return ()
    return pytest.mark.xfail(strict=True, reason=f"known gap in the suite, should be caught by {defect.known_gap}")


@pytest.mark.parametrize("defect", [pytest.param(d, id=d.module, marks=_expected_outcome(d)) for d in CATALOGUE])
def test_catalogued_defect_is_caught_by_some_property(defect):
    catch = selftest.first_catch(defect)
    assert catch.tried, (
        f"defect {defect.module} ({defect.family}.{defect.operation}) ran against no property: "
        f"tests/test_{defect.family}.py has none marked @pytest.mark.operation({defect.operation!r})")
    assert catch.property is not None, (
        f"defect {defect.module} SURVIVED ({defect.description}): it passed "
        f"{', '.join(sorted(set(catch.tried)))} in tests/test_{defect.family}.py")


def test_every_defect_module_is_catalogued_once_and_follows_the_protocol():
    from impls.protocol import load_target

    on_disk = {p.stem for p in DEFECTS_DIR.glob("*.py") if p.stem != "__init__"}
    names = [d.module for d in CATALOGUE]
    assert len(names) == len(set(names)), f"defects catalogued twice: {sorted(n for n in names if names.count(n) > 1)}"
    assert set(names) == on_disk, (f"uncatalogued modules {sorted(on_disk - set(names))}, "
                                   f"catalogued but missing {sorted(set(names) - on_disk)}")
    for defect in CATALOGUE:
        target = load_target(defect.dotted)
        assert target.implements(defect.operation), f"{defect.module} does not implement {defect.operation}"
        module = importlib.import_module(f"regverify.conformance.test_{defect.family}")
        assert module.__doc__, f"tests/test_{defect.family}.py must exist for defect {defect.module}"
