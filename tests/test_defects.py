"""The suite tests itself: every catalogued defect (regverify/conformance/defects/) must be caught by the
property the catalogue names for it, by a failed assertion.

Each defect runs in-process against its named properties, float64 on the CPU, with derandomized Hypothesis
examples (regverify.selftest.first_catch), each stopping at its first failure. A surviving defect is a gap in
the suite, and so is one caught only by another property or only by an exception from the defect (a crash):
the failure names the defect, what missed it and what caught it instead.
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


@pytest.mark.full
@pytest.mark.parametrize("defect", [pytest.param(d, id=d.module, marks=_expected_outcome(d)) for d in CATALOGUE])
def test_catalogued_defect_is_caught_by_its_named_property_for_the_right_reason(defect, monkeypatch):
    # A defect that never returns must fail its termination property, not wait out the default limit: the
    # correct calls those properties make take milliseconds.
    monkeypatch.setenv("REGVERIFY_CALL_SECONDS", "0.3")
    assert defect.caught_by, f"defect {defect.module} names no property that must catch it (Defect.caught_by)"
    catch = selftest.first_catch(defect)
    assert catch.tried, (
        f"defect {defect.module} ({defect.family}.{defect.operation}) ran against no property: "
        f"test_{defect.family}.py has none marked @pytest.mark.operation({defect.operation!r})")
    assert catch.property is not None, (
        f"defect {defect.module} SURVIVED ({defect.description}): it passed "
        f"{', '.join(sorted(set(catch.tried)))}")
    assert catch.right_reason, (
        f"defect {defect.module} ({defect.description}) is not caught for the right reason: "
        f"{', '.join(catch.missed)} did not fail on it by an assertion; first failure {catch.property} "
        f"({'/'.join(catch.error)}: {catch.message}); also caught by {catch.others or 'nothing else'}")


def test_every_defect_module_is_catalogued_once_and_follows_the_protocol():
    from impls.protocol import load_target

    on_disk = {p.stem for p in DEFECTS_DIR.glob("*.py") if p.stem != "__init__"}
    names = [d.module for d in CATALOGUE]
    assert len(names) == len(set(names)), f"defects catalogued twice: {sorted(n for n in names if names.count(n) > 1)}"
    assert set(names) == on_disk, (f"uncatalogued modules {sorted(on_disk - set(names))}, "
                                   f"catalogued but missing {sorted(set(names) - on_disk)}")
    from regverify.conformance.defects import KINDS

    for defect in CATALOGUE:
        assert defect.kind in KINDS, f"{defect.module}: kind {defect.kind!r} is not one of {KINDS}"
        target = load_target(defect.dotted)
        assert target.implements(defect.operation), f"{defect.module} does not implement {defect.operation}"
        module = importlib.import_module(f"regverify.conformance.test_{defect.family}")
        assert module.__doc__, f"tests/test_{defect.family}.py must exist for defect {defect.module}"


def _catalogued(module: str):
    return next(d for d in CATALOGUE if d.module == module)


def test_a_defect_caught_only_by_another_property_is_a_gap():
    import dataclasses

    # The l1 step's sign(0) = 1 defect, named against a property that cannot see a weight at exactly 0.
    defect = dataclasses.replace(_catalogued("l1_subgradient_step_sign_of_zero_is_one"),
                                 caught_by=("test_l1_subgradient_step_oscillates_around_zero_instead_of_reaching_it",))
    catch = selftest.first_catch(defect)
    assert not catch.right_reason
    assert catch.missed == list(defect.caught_by)
    assert "test_l1_subgradient_step_leaves_zero_weights_at_zero_and_keeps_signed_zeros" in catch.others


def test_a_defect_caught_only_by_a_crash_is_a_gap():
    import dataclasses

    # Rejecting the valid edge p = 0 is this defect's mistake (raises="ValueError"); without that declaration the
    # same ValueError is a crash, not a failed check.
    defect = _catalogued("dropout_numpy_rejects_p_zero")
    assert selftest.first_catch(defect).right_reason
    crash = selftest.first_catch(dataclasses.replace(defect, raises=""))
    assert not crash.right_reason and crash.error == ("ValueError",)


def test_mutants_fold_a_crash_or_another_property_into_a_gap():
    from regverify.runner import PropertyResult

    defect = _catalogued("dropout_p0_drops_one_in_65536")

    def case(prop: str, outcome: str, types: tuple[str, ...] = (), message: str = "") -> PropertyResult:
        return PropertyResult(nodeid=prop, outcome=outcome, property=prop, module="m", target=defect.dotted,
                              operation="dropout", device="cpu", dtype="float32", claims=[], message=message,
                              duration=0.0, failure_types=types)

    named = defect.caught_by[0]
    right, = selftest.collect_defect_results([defect], [case(named, "failed", ("AssertionError",))])
    crash, = selftest.collect_defect_results([defect], [case(named, "failed", ("TypeError",))])
    other, = selftest.collect_defect_results([defect], [case(named, "passed"),
                                                         case("test_other", "failed", ("AssertionError",))])
    legacy, = selftest.collect_defect_results([defect], [case(named, "failed", message="AssertionError: off")])
    assert right.caught and legacy.caught
    assert not crash.caught and crash.verdict.startswith("gap: caught only by a crash")
    assert not other.caught and other.verdict.startswith("gap: caught only by test_other")
    assert selftest.survivors([right, crash, other]) == [crash, other]


# ---------------------------------------------------------------- the tools the new properties rest on


def test_pairwise_rows_cover_every_pair_of_option_values_in_few_rows():
    from regverify.conformance import covering
    from regverify.conformance.test_label_smoothing import LOSS_OPTIONS
    from regverify.conformance.test_noise import DEPTH_OPTIONS, SPATIAL_OPTIONS
    from regverify.conformance.test_optimizers import SGD_OPTIONS

    for options in (LOSS_OPTIONS, DEPTH_OPTIONS, SPATIAL_OPTIONS, SGD_OPTIONS, {"a": (1, 2, 3), "b": (1, 2, 3),
                                                                               "c": (1, 2), "d": (1, 2, 3, 4)}):
        rows = covering.pairwise(options)
        full = 1
        for values in options.values():
            full *= len(values)
        largest = sorted(len(v) for v in options.values())[-2:]
        assert covering.covers_every_pair(rows, options), f"{options}: a pair of values is missing from {rows}"
        assert largest[0] * largest[1] <= len(rows) < full or full <= 4, f"{options}: {len(rows)} rows of {full}"
    assert not covering.covers_every_pair([{"a": 1, "b": 1}], {"a": (1, 2), "b": (1,)})


def test_call_within_fails_a_call_that_never_returns_and_keeps_an_outer_deadline():
    import signal
    import time

    from regverify.conformance.termination import call_within

    def forever() -> None:
        while True:
            time.sleep(0.01)

    assert call_within(1.0, lambda a, b: a + b, 2, 3, what="a sum") == 5
    signal.setitimer(signal.ITIMER_REAL, 30.0)  # an outer deadline, as the watchdog plugin sets
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    try:
        started = time.monotonic()
        with pytest.raises(AssertionError, match=r"forever\(\) did not finish in 0.2 s"):
            call_within(0.2, forever, what="forever()")
        assert time.monotonic() - started < 2.0
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25.0 < remaining <= 30.0, f"the outer deadline was not re-armed: {remaining} s left"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_p_zero_check_is_sized_for_its_stated_rare_drop_rates():
    import math

    from regverify.conformance.test_every_operation import RARE_DROP_POWER, RARE_DROP_RATE, rare_drop_units

    for rate in RARE_DROP_RATE.values():
        n = rare_drop_units(rate)
        assert (1 - rate) ** n <= 1 - RARE_DROP_POWER < (1 - rate) ** (n - 1)
    assert rare_drop_units(2.0**-24) == 77_261_933 and rare_drop_units(2.0**-19) == 2_414_434
    assert math.isclose(RARE_DROP_RATE["thorough"], 2.0**-24)


def test_closed_form_ks_sample_sizes_reach_their_stated_power():
    import regstats as stats
    from regverify.conformance.test_augmentation import ASPECT_DELTA, aspect_sample_size
    from regverify.conformance.test_noise import SHAPE_DELTA, shape_sample_size

    for delta, size in ((SHAPE_DELTA, shape_sample_size), (ASPECT_DELTA, aspect_sample_size)):
        design = stats.Design(alpha=1e-10, power=0.999, delta=delta)
        n = size(design)
        assert stats.ks_power_lower_bound(n, design, spacing=1e-3) >= design.power
