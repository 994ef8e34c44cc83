"""Label smoothing: the two conventions the lectures use, and smoothed cross-entropy with PyTorch's options.

- "uniform" (PyTorch's label_smoothing, Week 6): q = (1-ε)·onehot + ε/K.
- "off_target" (Module 2): the 1 becomes 1-ε and each 0 becomes ε/(K-1).

Both are distributions; off_target(ε) is uniform(ε·K/(K-1)), so per entry they differ by ε/K on the
target and by ε/(K(K-1)) off it. Smoothed cross-entropy is -Σ_c w_c q_c log softmax(z)_c per sample; its
logit gradient (unweighted) is softmax(z) - q and its minimum over logits is at softmax(z) = q.
Every check here is deterministic: no random checks are spent.

Over 400 lines: one module per regularizer family (what `regverify check --only FAMILY` and the defect
catalogue select); its properties share the family's case strategies. What an operation spec can say lives
in test_every_operation.py instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, get_args

import numpy as np
import pytest
import torch
from hypothesis import settings
from hypothesis import strategies as st

from impls.protocol import conventions
from regverify.conformance import covering
from regverify.conformance.assertions import as_numpy, assert_close, assert_matches_central_differences
from regverify.conformance.strategies import SEEDS, given
from regverify.conformance.tolerances import eps

SMOOTH = "smooth_labels"
CROSS_ENTROPY = "label_smoothing_cross_entropy"
Convention = Literal["uniform", "off_target"]
CONVENTIONS: tuple[Convention, ...] = get_args(Convention)

#: ε on a grid of 1/200 including both ends (a Fraction, so formulas can be checked in exact arithmetic).
epsilons = st.one_of(st.sampled_from([0, 1, 100]), st.integers(min_value=1, max_value=199)).map(
    lambda k: Fraction(k, 200))



def indices(target, values: np.ndarray, device: str | None):
    """Integer class indices in the target's own array type (int64, like torch.long)."""
    values = np.asarray(values, dtype=np.int64)
    if target.backend == "numpy":
        return values
    return torch.as_tensor(values, device=device or "cpu")


def array_dtype(target, dtype: str, device: str | None):
    return target.asarray(np.zeros(1), dtype, device or "cpu").dtype


def smoothed_exact(label: int, num_classes: int, epsilon: Fraction, convention: str) -> list[Fraction]:
    """The convention's formula in exact arithmetic."""
    if convention == "uniform":
        return [(1 - epsilon) * (c == label) + epsilon / num_classes for c in range(num_classes)]
    return [1 - epsilon if c == label else epsilon / (num_classes - 1) for c in range(num_classes)]


# ---------------------------------------------------------------- smooth_labels


@dataclass(frozen=True)
class LabelCase:
    """Class labels, and how smooth_labels is asked to smooth them."""

    labels: tuple[int, ...]
    num_classes: int
    epsilon: Fraction
    convention: Convention

    def replay(self, target) -> str:
        return (f"Replay: python -c \"from impls.protocol import load_target; t = load_target({target.module.__name__!r}); "
                f"import numpy as np; print(t.call('smooth_labels', np.array({list(self.labels)!r}), {self.num_classes}, "
                f"{float(self.epsilon)!r}, convention={self.convention!r}).out)\"")


@st.composite
def label_cases(draw, conventions=CONVENTIONS) -> LabelCase:
    convention = draw(st.sampled_from(conventions), label="convention")
    num_classes = draw(st.integers(min_value=1 if convention == "uniform" else 2, max_value=8), label="num_classes")
    labels = draw(st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=6), label="labels")
    return LabelCase(tuple(labels), num_classes, draw(epsilons, label="epsilon"), convention)


def smooth(target, case: LabelCase, device, dtype) -> np.ndarray:
    result = target.call(SMOOTH, indices(target, case.labels, device), case.num_classes, float(case.epsilon),
                         convention=case.convention, dtype=array_dtype(target, dtype, device))
    return as_numpy(result.out).astype(np.float64)


@pytest.mark.operation(SMOOTH)
@pytest.mark.claims("LABEL_SMOOTHING.UNIFORM_K", "LABEL_SMOOTHING.OFF_TARGET_K_MINUS_1", "LABEL_SMOOTHING.POSITIVE_TARGETS")
@given(case=label_cases())
def test_smoothed_labels_are_probability_distributions(target, device, dtype, case):
    q = smooth(target, case, device, dtype)
    what = f"{target.name}.smooth_labels(K={case.num_classes}, ε={float(case.epsilon)}, {case.convention})"
    assert q.shape == (len(case.labels), case.num_classes), f"{what} shape {q.shape}. {case.replay(target)}"
    assert (q >= 0).all(), f"{what} has negative entries {q[q < 0]}. {case.replay(target)}"
    if 0 < case.epsilon < 1 and case.num_classes > 1:
        # Every entry is ≥ min(ε/K, 1-ε) > 0 exactly; rounding to dtype keeps it > 0 unless it underflows, which
        # ε ≥ 1/200, K ≤ 8 rules out in every dtype.
        assert (q > 0).all(), f"{what} has zero entries although 0 < ε < 1. {case.replay(target)}"
    # Each entry is its exact value rounded at most 3 times in float64 and once to dtype (rel. ≤ 2·eps(dtype));
    # the K entries are nonnegative and sum to 1 exactly, so |Σ - 1| ≤ 2·eps(dtype) + K·eps(float64) (the sum).
    atol = 2 * eps(dtype) + case.num_classes * eps("float64")
    assert_close(q.sum(axis=1), np.ones(len(case.labels)), rtol=0.0, atol=atol, what=f"{what} row sums",
                 why="2·eps(dtype) entry rounding + K·eps(float64) summation", replay=case.replay(target))


@pytest.mark.operation(SMOOTH)
@pytest.mark.claims("LABEL_SMOOTHING.UNIFORM_K", "LABEL_SMOOTHING.OFF_TARGET_K_MINUS_1")
@given(case=label_cases())
def test_smoothed_labels_follow_their_conventions_formula_exactly(target, device, dtype, case):
    """uniform: (1-ε)y + ε/K; off_target: 1 → 1-ε, 0 → ε/(K-1); compared with exact rational values."""
    q = smooth(target, case, device, dtype)
    expected = np.array([[float(v) for v in smoothed_exact(label, case.num_classes, case.epsilon, case.convention)]
                         for label in case.labels])
    # ε reaches the target as a float64 (error ≤ u·ε ≤ u, absolute, which 1-ε does not shrink), then ≤ 3 float64
    # roundings of values ≤ 1 (1-ε, ε/K, their sum): ≤ 4u ≤ 2·eps(float64) absolute; then one rounding to dtype.
    assert_close(q, expected, rtol=eps(dtype), atol=2 * eps("float64"),
                 why="ε's float64 representation + ≤ 3 float64 roundings (absolute), 1 to dtype (relative)",
                 what=f"{target.name}.smooth_labels(K={case.num_classes}, ε={float(case.epsilon)}, {case.convention})",
                 replay=case.replay(target))


@pytest.mark.operation(SMOOTH)
@pytest.mark.dtypes("float64")
@pytest.mark.claims("LABEL_SMOOTHING.CONVENTIONS_RELATION")
@given(case=label_cases(conventions=("off_target",)))
def test_off_target_minus_uniform_is_epsilon_over_k_k_minus_1_off_target_and_minus_epsilon_over_k_on_it(
        target, device, dtype, case):
    """The conventions differ by exactly ε/(K(K-1)) per off-target entry and -ε/K on the target (so at K = 10,
    ε = 0.1: 0.0111 vs 0.0100 off target, 0.9 vs 0.91 on it); off_target(ε) = uniform(ε·K/(K-1))."""
    K, epsilon = case.num_classes, case.epsilon
    off = smooth(target, case, device, dtype)
    uniform = smooth(target, LabelCase(case.labels, K, epsilon, "uniform"), device, dtype)
    onehot = np.arange(K) == np.array(case.labels)[:, None]
    difference = np.where(onehot, float(-epsilon / K), float(epsilon / (K * (K - 1))))
    # Each float64 result is within 2·eps + eps·|q| ≤ 3·eps of its exact value (previous test's bound).
    assert_close(off - uniform, difference, rtol=0.0, atol=6 * eps(dtype), why="two results, ≤ 3·eps each",
                 what=f"{target.name}.smooth_labels off_target - uniform (K={K}, ε={float(epsilon)})",
                 replay=case.replay(target))
    reparametrized = epsilon * K / (K - 1)
    if reparametrized <= 1:
        equivalent = smooth(target, LabelCase(case.labels, K, reparametrized, "uniform"), device, dtype)
        assert_close(off, equivalent, rtol=0.0, atol=6 * eps(dtype), why="two results, ≤ 3·eps each",
                     what=f"{target.name} off_target(ε={float(epsilon)}) vs uniform(εK/(K-1)={float(reparametrized)})",
                     replay=case.replay(target))


# ---------------------------------------------------------------- smoothed cross-entropy


@dataclass(frozen=True)
class LossCase:
    """One call of smoothed cross-entropy with every F.cross_entropy option drawn."""

    num_classes: int
    batch: int
    layout: str  # "unbatched": (K,); "batched": (N, K); "spatial": (N, K, L)
    length: int
    epsilon: float
    convention: str
    reduction: str
    weighted: bool
    probability_targets: bool
    ignore_index: int
    data_seed: int

    def logits_shape(self) -> tuple[int, ...]:
        return {"unbatched": (self.num_classes,), "batched": (self.batch, self.num_classes),
                "spatial": (self.batch, self.num_classes, self.length)}[self.layout]

    def arrays(self) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(self.data_seed)
        shape = self.logits_shape()
        axis = 1 if len(shape) >= 2 else 0
        batch_shape = shape[:axis] + shape[axis + 1:]
        logits = rng.uniform(-4.0, 4.0, shape)
        if self.probability_targets:
            probabilities = rng.dirichlet(np.ones(self.num_classes), size=batch_shape)  # classes last
            targets = np.moveaxis(probabilities, -1, axis)
        else:
            targets = np.array(rng.integers(0, self.num_classes, size=batch_shape))
            ignored = np.array(rng.random(batch_shape) < 0.3)
            # At least one sample counts, so 'mean' is defined (ignore_index may be a real class, e.g. 0).
            ignored.flat[0] = False
            if targets.flat[0] == self.ignore_index:
                targets.flat[0] = (self.ignore_index + 1) % self.num_classes
            targets = np.where(ignored, self.ignore_index, targets)
        weight = rng.uniform(0.25, 4.0, self.num_classes) if self.weighted else None
        return {"logits": logits, "targets": targets, "weight": weight}

    def keywords(self) -> dict:
        return {"convention": self.convention, "reduction": self.reduction, "ignore_index": self.ignore_index}

    def describe(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())


@st.composite
def loss_cases(draw, *, layouts=("unbatched", "batched", "spatial"), max_classes=6, max_batch=5,
               reductions=("none", "mean", "sum"), weighted=None, probability=None, epsilon=epsilons,
               conventions=CONVENTIONS, ignore_indices=(-100, -1, 0)) -> LossCase:
    weighted = st.booleans() if weighted is None else weighted
    probability = st.booleans() if probability is None else probability
    convention = draw(st.sampled_from(conventions), label="convention")
    num_classes = draw(st.integers(min_value=2, max_value=max_classes), label="num_classes")
    value = draw(epsilon, label="epsilon")
    if convention == "off_target":
        # Kept to ε ≤ (K-1)/K, where it is PyTorch's uniform smoothing with ε·K/(K-1) ≤ 1 (full range: above).
        value = value * Fraction(num_classes - 1, num_classes)
    probability_targets = draw(probability, label="probability_targets")
    # ignore_index applies to index targets only (F.cross_entropy rejects any other value with probabilities).
    ignore_index = -100 if probability_targets else draw(st.sampled_from(list(ignore_indices)), label="ignore_index")
    return LossCase(
        num_classes=num_classes,
        batch=draw(st.integers(1, max_batch), label="batch"),
        layout=draw(st.sampled_from(layouts), label="layout"),
        length=draw(st.integers(1, 3), label="length"),
        epsilon=float(value),
        convention=convention,
        reduction=draw(st.sampled_from(reductions), label="reduction"),
        weighted=draw(weighted, label="weighted"),
        probability_targets=probability_targets,
        ignore_index=ignore_index,
        data_seed=draw(SEEDS, label="data_seed"),
    )


def prepare(target, case: LossCase, device, dtype, arrays=None):
    arrays = arrays or case.arrays()
    logits = target.asarray(arrays["logits"], dtype, device)
    targets = (target.asarray(arrays["targets"], dtype, device) if case.probability_targets
               else indices(target, arrays["targets"], device))
    weight = None if arrays["weight"] is None else target.asarray(arrays["weight"], dtype, device)
    return logits, targets, weight


def documented_loss(logits: np.ndarray, targets: np.ndarray, weight: np.ndarray | None, case: LossCase, *,
                    class_weights: str = "per_class_term", weighted_mean: str = "sum_of_weights"):
    """The documented formula in float64: per sample -Σ_c w_c q_c log softmax(z)_c, with q from smoothed_exact
    (index targets) or its linear extension (probability targets); 'mean' over Σ w[y] or the sample count.
    Returns (loss, scale) with scale = Σ_c w_c q_c (1 + |log p_c|) summed like the loss: the error scale.

    The two weight conventions (impls/protocol/conventions.py) default to PyTorch's; class_weights="per_sample"
    is Keras's class_weight, -w_y Σ_c q_c log p_c (y = argmax of a probability target), and
    weighted_mean="count" divides 'mean' by the number of samples, ignored ones included."""
    axis = 1 if logits.ndim >= 2 else 0
    z = np.moveaxis(logits, axis, -1)
    K = case.num_classes
    w = np.ones(K) if weight is None else weight
    log_p = z - z.max(-1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(-1, keepdims=True))
    epsilon = Fraction(case.epsilon)
    if case.probability_targets:
        t = np.moveaxis(targets, axis, -1)
        on = np.array([float(v) for v in smoothed_exact(0, K, epsilon, case.convention)])
        q = t * on[0] + (1 - t) * on[1]  # linear in t: on[0] at t = 1, on[1] at t = 0
        valid = np.ones(z.shape[:-1], dtype=bool)
        normalizer = float(valid.size)
    else:
        valid = targets != case.ignore_index
        q = np.array([[float(v) for v in smoothed_exact(int(y) if ok else 0, K, epsilon, case.convention)]
                      for y, ok in zip(np.ravel(targets), np.ravel(valid), strict=True)]).reshape(z.shape)
        normalizer = float(w[targets[valid]].sum())
    if class_weights == "per_sample":
        labels = np.argmax(np.moveaxis(targets, axis, -1), -1) if case.probability_targets else np.where(valid, targets, 0)
        w = w[labels][..., None]
    if weighted_mean == "count":
        normalizer = float(valid.size)
    per_sample = np.where(valid, -(w * q * log_p).sum(-1), 0.0)
    per_scale = np.where(valid, (w * q * (1 + np.abs(log_p))).sum(-1), 0.0)
    if case.reduction == "none":
        return per_sample, per_scale
    divisor = normalizer if case.reduction == "mean" else 1.0
    return np.asarray(per_sample.sum() / divisor), np.asarray(per_scale.sum() / divisor)


@pytest.mark.operation(CROSS_ENTROPY)
@pytest.mark.claims("LABEL_SMOOTHING.TORCH_MATCHES_UNIFORM_K", "LABEL_SMOOTHING.UNIFORM_K", "LABEL_SMOOTHING.OFF_TARGET_K_MINUS_1")
@given(case=loss_cases())
def test_smoothed_cross_entropy_equals_the_documented_formula_for_every_option(target, device, dtype, case):
    """For torch-native this is F.cross_entropy(label_smoothing=ε) against (1-ε)y + ε/K for every option
    combination, including the weighted case, where PyTorch weights each class term: -Σ_c w_c q_c log p_c
    (not w[y]·CE(q, p)), and 'mean' divides by Σ w[y] exactly as unsmoothed weighted nll_loss does."""
    logits, targets, weight = prepare(target, case, device, dtype)
    out = target.call(CROSS_ENTROPY, logits, targets, case.epsilon, weight=weight, **case.keywords()).out
    rounded = {"logits": as_numpy(logits).astype(np.float64),
               "targets": as_numpy(targets).astype(np.float64) if case.probability_targets else as_numpy(targets),
               "weight": None if weight is None else as_numpy(weight).astype(np.float64)}
    weights_rule = {name: conventions.behaviour(target, CROSS_ENTROPY, name) for name in ("class_weights", "weighted_mean")}
    expected, scale = documented_loss(rounded["logits"], rounded["targets"], rounded["weight"], case, **weights_rule)
    # Computed from the dtype-rounded inputs, so only the target's arithmetic errs: each log-softmax entry
    # carries ≤ (K+2)u(1+|log p|) (K-term exp-sum, log, subtraction), the w·q·log p products and K-term sum
    # ≤ (K+3)u, the M-term reduction ≤ M·u: in all ≤ (2K+M+5)u·scale ≤ (K+M+4)·eps·scale (u = eps/2).
    terms = case.num_classes + int(np.size(case.arrays()["targets"])) + 4
    assert_close(out, expected, rtol=0.0, atol=terms * eps(dtype) * scale,
                 why=f"(K+M+4)·eps({dtype})·Σ w q (1+|log p|), K+M+4={terms}",
                 what=f"{target.name}.{CROSS_ENTROPY}", replay=f"[{case.describe()}]")


#: Every pair of these option values appears in some row (covering.pairwise: 8 rows instead of the 48 of the
#: product), each row a cell of its own: class weights × ignore_index × reduction is tested in every profile.
LOSS_OPTIONS = {"weighted": (False, True), "ignore_index": (-100, 0), "reduction": ("none", "mean", "sum"),
                "convention": CONVENTIONS, "layout": ("batched", "spatial")}
LOSS_OPTION_ROWS = covering.pairwise(LOSS_OPTIONS)


@pytest.mark.operation(CROSS_ENTROPY)
@pytest.mark.dtypes("float32", "float64")  # option logic; the all-options test covers every dtype
@pytest.mark.parametrize("options", LOSS_OPTION_ROWS, ids=[covering.row_id(row) for row in LOSS_OPTION_ROWS])
@settings(max_examples=2)  # the options are fixed by the row; two draws of the rest (K, N, ε, data) per row
@given(data=st.data())
def test_smoothed_cross_entropy_matches_the_formula_for_every_pair_of_options(target, device, dtype, options, data):
    """The documented-formula check on a covering array of the options (index targets, where ignore_index acts):
    a mistake that needs two options together (weights with ignore_index, ignore_index with 'mean') is always run."""
    case = data.draw(loss_cases(layouts=(options["layout"],), reductions=(options["reduction"],),
                                weighted=st.just(options["weighted"]), probability=st.just(False),
                                conventions=(options["convention"],), ignore_indices=(options["ignore_index"],)),
                     label="case")
    test_smoothed_cross_entropy_equals_the_documented_formula_for_every_option.hypothesis.inner_test(
        target, device, dtype, case)


@pytest.mark.operation(CROSS_ENTROPY)
@pytest.mark.claims("LABEL_SMOOTHING.FINITE_OPTIMUM")
@given(case=loss_cases(reductions=("sum",), weighted=st.just(False), probability=st.just(False)))
@pytest.mark.requires("backward")
def test_smoothed_cross_entropy_logit_gradient_is_softmax_minus_smoothed_target(target, device, dtype, case):
    logits, targets, _ = prepare(target, case, device, dtype)
    result = target.call(CROSS_ENTROPY, logits, targets, case.epsilon, **case.keywords())
    (dlogits, *_) = result.backward(target.asarray(np.ones(()), dtype, device))
    z = as_numpy(logits).astype(np.float64)
    axis = 1 if z.ndim >= 2 else 0
    zl = np.moveaxis(z, axis, -1)
    softmax = np.exp(zl - zl.max(-1, keepdims=True))
    softmax /= softmax.sum(-1, keepdims=True)
    labels = as_numpy(targets)
    valid = labels != case.ignore_index
    q = np.array([[float(v) for v in smoothed_exact(int(y) if ok else 0, case.num_classes, Fraction(case.epsilon),
                                                    case.convention)]
                  for y, ok in zip(np.ravel(labels), np.ravel(valid), strict=True)]).reshape(zl.shape)
    expected = np.moveaxis(np.where(valid[..., None], softmax - q, 0.0), -1, axis)
    # softmax entries carry ≤ (K+2)u relative error (K-term sum, exp, division), q ≤ 2u, their difference u:
    # |error| ≤ (K+5)u ≤ (K+3)·eps (u = eps/2), entries being ≤ 1.
    assert_close(dlogits, expected, rtol=0.0, atol=(case.num_classes + 3) * eps(dtype),
                 why=f"(K+3)·eps({dtype}) for softmax - q", what=f"{target.name}.{CROSS_ENTROPY} ∂loss/∂logits",
                 replay=f"[{case.describe()}]")


def numerical_gradient_property(requirement: str):
    """A check of smoothed cross-entropy's gradient against numerical differences: float64 cells (the tolerances
    are derived for float64), small unbatched and batched cases (each input entry costs two loss calls), every
    option, including weights, ignore_index and probability targets; targets that declare `requirement`."""

    def decorate(test):
        test = pytest.mark.requires(requirement)(test)
        test = given(case=loss_cases(layouts=("unbatched", "batched"), max_classes=4, max_batch=3))(test)
        return pytest.mark.operation(CROSS_ENTROPY)(pytest.mark.dtypes("float64")(test))

    return decorate


def difference_error_terms(case: LossCase, arrays: dict) -> tuple[float, np.ndarray, int]:
    """What a numerical-difference tolerance is made of: the largest class weight W (it bounds Σ_c w_c q_c, the
    third-derivative factor), the loss's error scale S (documented_loss) and the K + M + 4 rounded terms."""
    largest_weight = 1.0 if arrays["weight"] is None else float(arrays["weight"].max())
    _, scale = documented_loss(arrays["logits"], arrays["targets"], arrays["weight"], case)
    return largest_weight, scale, case.num_classes + int(np.size(arrays["targets"])) + 4


@numerical_gradient_property("backward")
def test_smoothed_cross_entropy_gradient_matches_central_differences(target, device, dtype, case):
    """Every option, including weights, ignore_index and probability targets (whose gradient is checked too)."""
    arrays = case.arrays()
    logits, targets, weight = prepare(target, case, device, dtype, arrays)
    result = target.call(CROSS_ENTROPY, logits, targets, case.epsilon, weight=weight, **case.keywords())
    rng = np.random.default_rng(case.data_seed + 1)
    upstream = rng.uniform(-1.0, 1.0, np.shape(as_numpy(result.out)))
    grads = result.backward(target.asarray(upstream, dtype, device))
    names = ["logits", "targets"] if case.probability_targets else ["logits"]

    def loss(changed: dict) -> float:
        args = prepare(target, case, device, dtype, changed)
        out = target.call(CROSS_ENTROPY, args[0], args[1], case.epsilon, weight=args[2], **case.keywords()).out
        return float((as_numpy(out) * upstream).sum())

    # Central differences with h = 1e-5: the loss is smooth in the logits with |∂³ log-sum-exp| ≤ 1/(6√3)
    # along a coordinate, times Σ_c w_c q_c ≤ W (the largest weight): truncation ≤ h²/6·W/(6√3)·Σ|g|.
    # Linear in the targets (no truncation). Rounding: each loss carries ≤ (K+M+4)·eps·S, S its error scale
    # (documented_loss), and the difference of two is divided by 2h.
    h = 1e-5
    largest_weight, scale, terms = difference_error_terms(case, arrays)
    error_scale = float((np.abs(upstream) * scale).sum()) + float(np.abs(upstream).sum())
    atol = h**2 / 6 * largest_weight / (6 * math.sqrt(3)) * float(np.abs(upstream).sum()) \
        + terms * eps("float64") * error_scale / h
    assert_matches_central_differences(dict(zip(names, grads, strict=False)), loss, arrays, h, atol,
                                       why=f"h²/6·W/(6√3)·Σ|g| truncation + (K+M+4)·eps·S/h rounding, h={h}",
                                       what=f"{target.name}.{CROSS_ENTROPY} loss", replay=f"[{case.describe()}]")


@numerical_gradient_property("torch")
def test_smoothed_cross_entropy_passes_torch_gradcheck(target, device, dtype, case):
    arrays = case.arrays()
    logits, targets, weight = prepare(target, case, device, dtype, arrays)
    inputs = (logits.requires_grad_(True),) + ((targets.requires_grad_(True),) if case.probability_targets else ())
    function = getattr(target.module, CROSS_ENTROPY)

    def loss(*tensors):
        chosen = tensors[1] if case.probability_targets else targets
        return function(tensors[0], chosen, case.epsilon, weight=weight, **case.keywords())

    # gradcheck differentiates numerically with step h = 1e-6 per input entry: truncation ≤ h²/6·W/(6√3) (as
    # in the central-difference test) and rounding ≤ (K+M+4)·eps·S/h per output entry, S its error scale.
    step = 1e-6
    largest_weight, scale, terms = difference_error_terms(case, arrays)
    atol = step**2 / 6 * largest_weight / (6 * math.sqrt(3)) + terms * eps("float64") * (float(np.max(scale)) + 1) / step
    assert torch.autograd.gradcheck(loss, inputs, eps=step, atol=atol, rtol=0.0), case.describe()


@pytest.mark.operation(CROSS_ENTROPY)
@pytest.mark.dtypes("float64")
@pytest.mark.claims("LABEL_SMOOTHING.FINITE_OPTIMUM")
@given(case=loss_cases(layouts=("batched",), reductions=("sum",), weighted=st.just(False),
                       probability=st.just(False), epsilon=epsilons.filter(lambda e: 0 < e < 1)),
       shift=st.floats(-3.0, 3.0))
def test_smoothed_cross_entropy_is_minimized_where_softmax_equals_the_smoothed_target(
        target, device, dtype, case, shift):
    """At z = log q + c (finite because ε > 0 makes every q_c > 0) the gradient vanishes and the loss is the
    entropy H(q) = Σ_n -Σ_c q_c log q_c; at any other logits it is larger (Gibbs' inequality)."""
    arrays = case.arrays()
    labels = arrays["targets"]
    valid = labels != case.ignore_index
    q = np.array([[float(v) for v in smoothed_exact(int(y) if ok else 0, case.num_classes, Fraction(case.epsilon),
                                                    case.convention)] for y, ok in zip(labels, valid, strict=True)])
    optimum = np.log(q) + shift
    logits, targets, _ = prepare(target, case, device, dtype, dict(arrays, logits=optimum))
    result = target.call(CROSS_ENTROPY, logits, targets, case.epsilon, **case.keywords())
    entropy = float(np.where(valid, -(q * np.log(q)).sum(-1), 0.0).sum())
    _, scale = documented_loss(optimum, labels, None, case)
    terms = case.num_classes + labels.size + 4
    # Same error model as the formula test; log q itself adds ≤ eps·|log q| per entry, inside scale.
    atol = terms * eps(dtype) * float(scale)
    assert_close(result.out, np.asarray(entropy), rtol=0.0, atol=atol, why="(K+M+4)·eps·S as in the formula test",
                 what=f"{target.name}.{CROSS_ENTROPY} at softmax = q (H(q))", replay=f"[{case.describe()}]")
    if result.backward is not None:
        (dlogits,) = result.backward(target.asarray(np.ones(()), dtype, device))
        assert_close(dlogits, np.zeros(q.shape), rtol=0.0, atol=(case.num_classes + 3) * eps(dtype),
                     why="(K+3)·eps for softmax - q", what=f"{target.name}.{CROSS_ENTROPY} gradient at softmax = q",
                     replay=f"[{case.describe()}]")
    elsewhere = prepare(target, case, device, dtype, arrays)[0]
    other = float(as_numpy(target.call(CROSS_ENTROPY, elsewhere, targets, case.epsilon, **case.keywords()).out))
    assert other >= entropy - atol, (
        f"{target.name}.{CROSS_ENTROPY} at other logits {other!r} < H(q) = {entropy!r} - {atol:.2g} "
        f"(Gibbs' inequality) [{case.describe()}]")


@pytest.mark.operation(CROSS_ENTROPY)
@pytest.mark.dtypes("float64")
@pytest.mark.claims("LABEL_SMOOTHING.TORCH_MATCHES_UNIFORM_K")
@given(case=loss_cases(layouts=("batched",), reductions=("mean",), weighted=st.just(True), probability=st.just(False)))
@pytest.mark.requires("convention:label_smoothing_cross_entropy.weighted_mean=sum_of_weights",
                      "convention:label_smoothing_cross_entropy.class_weights=per_class_term")
def test_weighted_mean_divides_index_targets_by_their_weight_and_probability_targets_by_the_count(
        target, device, dtype, case):
    """The same smoothed target reached two ways: class indices with smoothing ε, or the one-hot rows passed
    as probability targets with the same ε. F.cross_entropy's 'mean' divides the first by Σ_n w[y_n] (nll_loss's
    rule) and the second by N, so with non-uniform weights they differ by the factor Σ_n w[y_n] / N."""
    arrays = case.arrays()
    labels = arrays["targets"]
    valid = labels != case.ignore_index
    onehot = (np.arange(case.num_classes) == labels[valid][:, None]).astype(np.float64)
    logits, targets, weight = prepare(target, case, device, dtype, dict(arrays, logits=arrays["logits"][valid],
                                                                        targets=labels[valid]))
    by_index = float(as_numpy(target.call(CROSS_ENTROPY, logits, targets, case.epsilon, weight=weight,
                                          **case.keywords()).out))
    probability = target.asarray(onehot, dtype, device)
    by_probability = float(as_numpy(target.call(CROSS_ENTROPY, logits, probability, case.epsilon, weight=weight,
                                                convention=case.convention, reduction="mean").out))
    total_weight = float(arrays["weight"][labels[valid]].sum())
    count = int(valid.sum())
    # Both are the same sum divided by a different normalizer; each carries (K+M+4)·eps·S (formula test).
    _, scale = documented_loss(arrays["logits"][valid], labels[valid], arrays["weight"],
                               LossCase(**{**case.__dict__, "reduction": "sum"}))
    atol = 2 * (case.num_classes + count + 4) * eps(dtype) * float(scale)
    assert abs(by_index * total_weight - by_probability * count) <= atol, (
        f"{target.name}.{CROSS_ENTROPY}: index targets {by_index!r} × Σw[y]={total_weight:.4g} vs probability "
        f"targets {by_probability!r} × N={count}: the two normalizers should account for the whole difference "
        f"(ratio {by_index / by_probability:.4g} vs N/Σw[y] = {count / total_weight:.4g}) [{case.describe()}]")


@pytest.mark.operation(CROSS_ENTROPY)
@pytest.mark.dtypes("float64")
@pytest.mark.claims("LABEL_SMOOTHING.HARD_TARGET_NO_MINIMIZER")
@given(case=loss_cases(layouts=("batched",), reductions=("sum",), weighted=st.just(False), probability=st.just(False),
                       epsilon=st.just(Fraction(0))))
@pytest.mark.requires("backward")
def test_unsmoothed_cross_entropy_gradient_never_vanishes_at_finite_logits(target, device, dtype, case):
    """ε = 0: ∂ℓ/∂z_y = softmax(z)_y - 1 < 0 at every finite z, so no finite minimiser exists; here
    |softmax_y - 1| ≥ min_c softmax_c ≥ e^{-8}/K for logits in [-4, 4], far above the (K+3)·eps error."""
    logits, targets, _ = prepare(target, case, device, dtype)
    result = target.call(CROSS_ENTROPY, logits, targets, 0.0, **case.keywords())
    (dlogits,) = result.backward(target.asarray(np.ones(()), dtype, device))
    labels = as_numpy(targets)
    valid = labels != case.ignore_index
    on_target = as_numpy(dlogits)[np.arange(labels.size)[valid], labels[valid]]
    assert (on_target < -math.exp(-8) / case.num_classes + (case.num_classes + 3) * eps(dtype)).all(), (
        f"{target.name}.{CROSS_ENTROPY}(ε=0) ∂ℓ/∂z_target = {on_target}, but should be < 0 [{case.describe()}]")


# ---------------------------------------------------------------- invalid input

INVALID_EPSILON = [-0.1, 1.5, math.nan, math.inf, "0.1", None]


