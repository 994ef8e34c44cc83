"""Early stopping with patience: properties every target's ``EarlyStopping`` must satisfy.

The convention is the week-6 loop (shared/lectures/002, section 6.6): the patience counter resets on
a strict improvement and grows by one otherwise; training stops once the counter reaches patience.
``min_delta`` generalises "strict": an epoch improves when its improvement over the best metric so
far exceeds ``min_delta``. Metrics are drawn on a dyadic grid, so every difference is exact in
float64 and ties and "improvement exactly equal to min_delta" happen often.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import strategies as st

from regverify.conformance.assertions import as_numpy, assert_exact
from regverify.conformance.strategies import given

OPERATION = "EarlyStopping"

#: Metrics k/4 for k in 0..24: ties are common and every difference is exact.
metric_values = st.integers(min_value=0, max_value=24).map(lambda k: k / 4)
metric_sequences = st.lists(metric_values, min_size=1, max_size=30)
patiences = st.integers(min_value=1, max_value=5)
min_deltas = st.sampled_from([0.0, 0.25, 0.5, 1.0])


def run(target, metrics, patience, *, min_delta=0.0, mode="min"):
    """Feed the metrics until the first stop; return (stopper, epoch of the stop or None)."""
    stopper = target.module.EarlyStopping(patience, min_delta=min_delta, mode=mode)
    for epoch, metric in enumerate(metrics):
        if stopper.step(metric, {"epoch": epoch}):
            return stopper, epoch
    return stopper, None


def oracle(metrics, patience, min_delta):
    """Brute force, no running counter: for each epoch t, recompute the improving epochs of metrics[:t+1]
    from scratch; stop at the first t that is ≥ patience epochs after the last improving one."""
    records: list[int] = []
    for t in range(len(metrics)):
        records = []
        for s in range(t + 1):
            best = metrics[records[-1]] if records else math.inf
            if best - metrics[s] > min_delta:
                records.append(s)
        if t - records[-1] >= patience:
            return t, records[-1]
    return None, records[-1]


def week6_loop(metrics, patience):
    """The lecture's loop verbatim (train/evaluate replaced by the drawn metrics); returns (stop epoch, best epoch)."""
    best_val_loss = float("inf")
    patience_counter = 0
    best_epoch = None
    for epoch, val_loss in enumerate(metrics):
        if val_loss < best_val_loss:
            best_val_loss = val_loss
            best_epoch = epoch  # save_model()
            patience_counter = 0
        else:
            patience_counter += 1
        if patience_counter >= patience:
            return epoch, best_epoch
    return None, best_epoch


def describe(metrics, patience, min_delta=0.0, mode="min") -> str:
    return f"metrics={metrics}, patience={patience}, min_delta={min_delta}, mode={mode!r}"


@pytest.mark.claims("EARLY_STOPPING.PATIENCE_CODE")
@pytest.mark.operation(OPERATION)
@given(metrics=metric_sequences, patience=patiences, min_delta=min_deltas)
def test_early_stopping_stops_exactly_when_the_counter_first_reaches_patience(target, metrics, patience, min_delta):
    stopper, stopped_at = run(target, metrics, patience, min_delta=min_delta)
    expected_stop, expected_best = oracle(metrics, patience, min_delta)
    case = describe(metrics, patience, min_delta)
    assert stopped_at == expected_stop, (
        f"{target.name}.EarlyStopping stopped at epoch {stopped_at}, but should stop at {expected_stop} [{case}]")
    assert stopper.best_epoch == expected_best, (
        f"{target.name}.EarlyStopping best_epoch={stopper.best_epoch}, but should be {expected_best} [{case}]")


@pytest.mark.claims("EARLY_STOPPING.PATIENCE_CODE")
@pytest.mark.operation(OPERATION)
@given(metrics=metric_sequences, patience=patiences)
def test_early_stopping_with_zero_min_delta_is_the_week6_loop(target, metrics, patience):
    lecture = week6_loop(metrics, patience)  # (stop epoch, best epoch)
    stopper, stopped_at = run(target, metrics, patience)
    assert (stopped_at, stopper.best_epoch) == lecture, (
        f"{target.name}.EarlyStopping (stop, best epoch)=({stopped_at}, {stopper.best_epoch}), but the week-6 loop "
        f"gives {lecture} [{describe(metrics, patience)}]")


@pytest.mark.claims("EARLY_STOPPING.PATIENCE_CODE")
@pytest.mark.operation(OPERATION)
@given(metrics=metric_sequences, patience=patiences)
def test_early_stopping_best_epoch_is_the_first_argmin_of_the_epochs_seen(target, metrics, patience):
    stopper, stopped_at = run(target, metrics, patience)
    seen = metrics if stopped_at is None else metrics[: stopped_at + 1]
    case = describe(metrics, patience)
    first_argmin = int(np.argmin(seen))  # np.argmin returns the first occurrence of the minimum
    assert stopper.best_epoch == first_argmin, (
        f"{target.name}.EarlyStopping best_epoch={stopper.best_epoch}, but should be the first argmin {first_argmin} "
        f"of the {len(seen)} epochs seen [{case}]")
    assert stopper.best_metric == min(seen), (
        f"{target.name}.EarlyStopping best_metric={stopper.best_metric}, but should be {min(seen)} [{case}]")


@pytest.mark.operation(OPERATION)
@given(start=metric_values, min_delta=min_deltas, patience=st.integers(min_value=3, max_value=5))
@pytest.mark.requires("convention:EarlyStopping.min_delta=exceeds")
def test_early_stopping_improvement_must_exceed_min_delta(target, start, min_delta, patience):
    # start, start - min_delta (improves by exactly min_delta: not enough), start - min_delta - 1/4 (enough).
    stopper = target.module.EarlyStopping(patience, min_delta=min_delta)
    case = f"start={start}, min_delta={min_delta}, patience={patience}"
    stopper.step(start, None)
    stopper.step(start - min_delta, None)
    assert stopper.best_epoch == 0 and stopper.best_metric == start, (
        f"{target.name}.EarlyStopping counted an improvement of exactly min_delta: best_epoch={stopper.best_epoch}, "
        f"best_metric={stopper.best_metric}, but should be 0 and {start} [{case}]")
    stopper.step(start - min_delta - 0.25, None)
    assert stopper.best_epoch == 2 and stopper.best_metric == start - min_delta - 0.25, (
        f"{target.name}.EarlyStopping missed an improvement of min_delta + 1/4: best_epoch={stopper.best_epoch}, "
        f"but should be 2 [{case}]")


@pytest.mark.operation(OPERATION)
@given(metrics=metric_sequences, patience=patiences, min_delta=min_deltas)
def test_early_stopping_max_mode_mirrors_min_mode_on_negated_metrics(target, metrics, patience, min_delta):
    low, low_stop = run(target, metrics, patience, min_delta=min_delta, mode="min")
    high, high_stop = run(target, [-m for m in metrics], patience, min_delta=min_delta, mode="max")
    case = describe(metrics, patience, min_delta, mode="max on negated")
    assert (high_stop, high.best_epoch, high.best_metric) == (low_stop, low.best_epoch, -low.best_metric), (
        f"{target.name}.EarlyStopping max mode (stop, best epoch, best metric)=({high_stop}, {high.best_epoch}, "
        f"{high.best_metric}), but should mirror min mode ({low_stop}, {low.best_epoch}, {-low.best_metric}) [{case}]")


@pytest.mark.claims("EARLY_STOPPING.PATIENCE_CODE")
@pytest.mark.operation(OPERATION)
@given(metrics=metric_sequences, patience=patiences)
def test_early_stopping_restore_best_keeps_a_deep_copy_of_the_best_state(target, device, metrics, patience):
    # The live state is trained in place every epoch (weights += 1, the history list grows);
    # the saved state must stay what it was at the best epoch.
    stopper = target.module.EarlyStopping(patience, restore_best=True)
    weights = target.asarray(np.zeros(3), "float64", device or "cpu")
    state = {"weights": weights, "history": []}
    for epoch, metric in enumerate(metrics):
        weights += 1.0
        state["history"].append(epoch)
        if stopper.step(metric, state):
            break
    best = stopper.best_epoch
    case = describe(metrics, patience)
    assert stopper.best_state is not state, f"{target.name}.EarlyStopping best_state is the live state [{case}]"
    assert_exact(as_numpy(stopper.best_state["weights"]), np.full(3, best + 1.0),
                 what=f"{target.name}.EarlyStopping best_state weights (best epoch {best}) after later in-place updates "
                      f"[{case}]")
    assert stopper.best_state["history"] == list(range(best + 1)), (
        f"{target.name}.EarlyStopping best_state history {stopper.best_state['history']}, but should be "
        f"{list(range(best + 1))} [{case}]")


@pytest.mark.claims("EARLY_STOPPING.FIRST_RISE")
@pytest.mark.operation(OPERATION)
@given(metrics=metric_sequences)
def test_early_stopping_with_patience_1_stops_at_the_first_non_improvement_keeping_the_state_before_it(target, metrics):
    # "Stop as soon as the validation error starts to rise and keep the parameters from that point": patience 1.
    # The stop is the first epoch t ≥ 1 whose metric is not below every earlier one; the kept state is the best
    # epoch before it, which is t - 1 (every earlier epoch improved). Whether that is the overall best of a
    # noisy curve is the ledger's question, not this rule's.
    stopper = target.module.EarlyStopping(1)
    stopped_at = None
    for epoch, metric in enumerate(metrics):
        if stopper.step(metric, {"epoch": epoch}):
            stopped_at = epoch
            break
    first_rise = next((t for t in range(1, len(metrics)) if metrics[t] >= min(metrics[:t])), None)
    case = describe(metrics, 1)
    assert stopped_at == first_rise, f"{target.name}.EarlyStopping(1) stopped at {stopped_at}, but should at {first_rise} [{case}]"
    if first_rise is not None:
        assert stopper.best_state == {"epoch": first_rise - 1}, (
            f"{target.name}.EarlyStopping(1) kept {stopper.best_state}, but should keep epoch {first_rise - 1} [{case}]")


# ---------------------------------------------------------------- invalid input



