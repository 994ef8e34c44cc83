"""Protocol of the noise family: label smoothing and the dropout variants beyond plain dropout.

Conventions: ``p`` is a drop probability (PyTorch's); ``epsilon`` is the label-smoothing mass.
Every stochastic operation takes ``generator=`` and returns the noise it drew, so structure is
checked exactly and a failure replays from its seed.

Over 400 lines: the specs of nineteen operations (summary, signature, parameters, invalid-input table,
example call, random unit and eval rule each), one record per operation, so they are read in one place.
"""

import math

import numpy as np

from impls.protocol import Invalid, Operation, register
from impls.protocol.calls import BAD, Array, extend, invalid_values, template_call

#: SELU's saturation value -λα (Klambauer et al. 2017): where alpha dropout sends dropped units. A constant of
#: the operation's definition, read by every reference (each computes its own affine correction from it).
SELU_ALPHA_PRIME = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717

register(
    Operation(
        name="smooth_labels",
        family="label_smoothing",
        summary="Smoothed one-hot targets, last axis = classes. convention='uniform': (1-ε)y + ε/K "
        "(PyTorch, Week 6); convention='off_target': 0 → ε/(K-1), 1 → 1-ε (Module 2).",
        torch_signature="smooth_labels(targets, num_classes, epsilon, *, convention='uniform', dtype=None) -> q",
        numpy_signature="smooth_labels(targets, num_classes, epsilon, *, convention='uniform', dtype=float64) -> q",
        claims=("LABEL_SMOOTHING.UNIFORM_K", "LABEL_SMOOTHING.OFF_TARGET_K_MINUS_1", "LABEL_SMOOTHING.CONVENTIONS_RELATION",
                "LABEL_SMOOTHING.POSITIVE_TARGETS"),
    )
)

register(
    Operation(
        name="label_smoothing_cross_entropy",
        family="label_smoothing",
        summary="Cross-entropy against smoothed targets, F.cross_entropy's options: class dim 1 (0 for 1-D "
        "logits), index or class-probability targets, per-class weight, ignore_index, reduction none/mean/sum. "
        "Per sample -Σ_c w_c q_c log softmax(z)_c; 'mean' divides by Σ w[target] over non-ignored samples "
        "(index targets) or by the sample count (probability targets).",
        torch_signature="label_smoothing_cross_entropy(logits, targets, epsilon, *, convention='uniform', "
        "reduction='mean', weight=None, ignore_index=-100) -> loss",
        numpy_signature="label_smoothing_cross_entropy_forward(logits, targets, epsilon, *, convention, reduction, "
        "weight, ignore_index) -> (loss, cache); label_smoothing_cross_entropy_backward(dout, cache) -> dlogits, "
        "or (dlogits, dtargets) for probability targets",
        claims=("LABEL_SMOOTHING.TORCH_MATCHES_UNIFORM_K", "LABEL_SMOOTHING.FINITE_OPTIMUM",
                "LABEL_SMOOTHING.HARD_TARGET_NO_MINIMIZER"),
    )
)

register(
    Operation(
        name="gaussian_dropout",
        family="noise",
        summary="Multiplicative Gaussian noise ξ ~ N(1, p/(1-p)) (the variance of inverted dropout's "
        "multiplier); p in [0, 1); identity in eval.",
        torch_signature="gaussian_dropout(x, p=0.5, *, training=True, generator=None) -> (out, noise)",
        numpy_signature="gaussian_dropout_forward(x, p=0.5, *, training=True, generator=None) -> (out, cache); "
        "gaussian_dropout_backward(dout, cache) -> dx; cache['mask'] is the noise ξ",
        stochastic=True,
        claims=("DROPOUT.GAUSSIAN.NO_SCALING",),
    )
)

for _dims, _layouts in ((1, "(N, C, L) or (C, L)"), (2, "(N, C, H, W) or (N, C, L) — PyTorch's historical 3-D "
                                                       "rule: one mask entry per (N, C) row, like dropout1d"),
                        (3, "(N, C, D, H, W) or (C, D, H, W)")):
    register(
        Operation(
            name=f"dropout{_dims}d",
            family="noise",
            summary=f"Spatial (channel) dropout over {_dims} spatial dims: every channel kept whole (scaled by "
            f"1/(1-p)) or zeroed whole. Input {_layouts}.",
            torch_signature=f"dropout{_dims}d(x, p=0.5, *, training=True, generator=None) -> (out, channel_keep_mask)",
            numpy_signature=f"dropout{_dims}d_forward(x, p=0.5, *, training=True, generator=None) -> (out, cache); "
            f"dropout{_dims}d_backward(dout, cache) -> dx; the mask has x's shape with spatial dims 1",
            stochastic=True,
        )
    )

register(
    Operation(
        name="alpha_dropout",
        family="noise",
        summary="Alpha dropout (SELU): dropped units set to α' = -λα, then out = a·y + b with "
        "a = ((1-p)(1+pα'²))^(-1/2), b = -a·p·α', so N(0, 1) inputs keep mean 0 and variance 1. p = 1 gives zeros "
        "(PyTorch's rule).",
        torch_signature="alpha_dropout(x, p=0.5, *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature="alpha_dropout_forward(x, p=0.5, *, training=True, generator=None) -> (out, cache); "
        "alpha_dropout_backward(dout, cache) -> dx",
        stochastic=True,
    )
)

register(
    Operation(
        name="feature_alpha_dropout",
        family="noise",
        summary="Alpha dropout with one mask entry per channel (dims 0 and 1 of the input; spatial dims share it).",
        torch_signature="feature_alpha_dropout(x, p=0.5, *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature="feature_alpha_dropout_forward(x, p=0.5, *, training=True, generator=None) -> (out, cache); "
        "feature_alpha_dropout_backward(dout, cache) -> dx",
        stochastic=True,
    )
)

register(
    Operation(
        name="dropconnect_linear",
        family="noise",
        summary="DropConnect on a linear layer: weights kept with probability 1-p (drop probability p, PyTorch's "
        "convention; the DropConnect paper's p is the keep probability), no training scaling; one weight mask per "
        "call shared by the batch. Inference uses the full weights times 1-p, so E[train out] = eval out.",
        torch_signature="dropconnect_linear(x, weight, bias, p=0.5, *, training=True, generator=None) -> (out, mask)",
        numpy_signature="dropconnect_linear_forward(x, weight, bias, p=0.5, *, training=True, generator=None) -> "
        "(out, cache); dropconnect_linear_backward(dout, cache) -> (dx, dweight, dbias)",
        stochastic=True,
        claims=("DROPCONNECT.DROP_PROB",),
    )
)

register(
    Operation(
        name="locked_dropout",
        family="noise",
        summary="Variational (locked) dropout on sequences: one inverted-dropout mask per (batch, feature) "
        "shared by every time step. batch_first=False: (T, N, F); True: (N, T, F).",
        torch_signature="locked_dropout(x, p=0.5, *, batch_first=False, training=True, generator=None) -> (out, mask)",
        numpy_signature="locked_dropout_forward(x, p=0.5, *, batch_first=False, training=True, generator=None) -> "
        "(out, cache); locked_dropout_backward(dout, cache) -> dx; the mask has the time axis of length 1",
        stochastic=True,
    )
)

register(
    Operation(
        name="embedding_dropout",
        family="noise",
        summary="Embedding dropout: whole rows (words) of the embedding matrix dropped with probability p, "
        "survivors scaled by 1/(1-p), then looked up; one row mask per call.",
        torch_signature="embedding_dropout(indices, weight, p=0.5, *, training=True, generator=None) -> (out, row_mask)",
        numpy_signature="embedding_dropout(indices, weight, p=0.5, *, training=True, generator=None) -> (out, row_mask)",
        stochastic=True,
    )
)

register(
    Operation(
        name="stochastic_depth",
        family="noise",
        summary="Stochastic depth on a residual branch (torchvision semantics): p = probability of dropping the "
        "branch; survivors scaled by 1/(1-p); mode='row' draws per sample (dim 0), 'batch' once per call; eval "
        "is the identity.",
        torch_signature="stochastic_depth(x, p, mode='row', *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature="stochastic_depth_forward(x, p, mode='row', *, training=True, generator=None) -> "
        "(out, cache); stochastic_depth_backward(dout, cache) -> dx",
        stochastic=True,
        claims=("STOCHASTIC_DEPTH.BLOCK_SWITCH",),
    )
)

register(
    Operation(
        name="stochastic_depth_original",
        family="noise",
        summary="Stochastic depth as in Huang et al. (2016): the branch is kept with survival probability "
        "1-p and not scaled in training; at test time the branch is multiplied by its survival probability.",
        torch_signature="stochastic_depth_original(x, p, mode='row', *, training=True, generator=None) -> (out, mask)",
        numpy_signature="stochastic_depth_original_forward(x, p, mode='row', *, training=True, generator=None) -> "
        "(out, cache); stochastic_depth_original_backward(dout, cache) -> dx",
        stochastic=True,
        claims=("STOCHASTIC_DEPTH.BLOCK_SWITCH", "STOCHASTIC_DEPTH.TEST_TIME"),
    )
)

register(
    Operation(
        name="survival_probabilities",
        family="noise",
        summary="Huang et al.'s linear-decay rule: survival probability of block l = 1..L is 1 - l/L·(1 - p_L).",
        torch_signature="survival_probabilities(num_layers, p_last) -> list[float]",
        numpy_signature="survival_probabilities(num_layers, p_last) -> np.ndarray",
        claims=("STOCHASTIC_DEPTH.EXPECTED_DEPTH",),
    )
)

register(
    Operation(
        name="gaussian_noise",
        family="noise",
        summary="Additive Gaussian noise injection (inputs or weights): out = x + ε, ε ~ N(0, σ²); identity in eval.",
        torch_signature="gaussian_noise(x, sigma, *, training=True, generator=None) -> (out, noise)",
        numpy_signature="gaussian_noise_forward(x, sigma, *, training=True, generator=None) -> (out, cache); "
        "gaussian_noise_backward(dout, cache) -> dx; cache['mask'] is the noise ε",
        stochastic=True,
    )
)

register(
    Operation(
        name="attention_dropout",
        family="noise",
        summary="Dropout on attention probabilities: out = (softmax(q kᵀ/√d) ⊙ M / (1-p)) v, M_ij ~ Bernoulli(1-p) "
        "(F.scaled_dot_product_attention(dropout_p=p)); eval uses no dropout.",
        torch_signature="attention_dropout(q, k, v, p=0.0, *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature="attention_dropout_forward(q, k, v, p=0.0, *, training=True, generator=None) -> (out, cache); "
        "attention_dropout_backward(dout, cache) -> (dq, dk, dv); the mask has the attention matrix's shape",
        stochastic=True,
    )
)

register(
    Operation(
        name="dropblock2d",
        family="noise",
        summary="DropBlock (Ghiasi et al. 2018, torchvision.ops.drop_block2d): block seeds ~ Bernoulli(γ) on the "
        "(H-b+1)×(W-b+1) top-left positions, γ = p·H·W/(b²(H-b+1)(W-b+1)) with b = min(block_size, H, W); each "
        "seed zeroes a b×b block; survivors scaled by numel/#kept. Input (N, C, H, W).",
        torch_signature="dropblock2d(x, p, block_size, *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature="dropblock2d_forward(x, p, block_size, *, training=True, generator=None) -> (out, cache); "
        "dropblock2d_backward(dout, cache) -> dx",
        stochastic=True,
    )
)

register(
    Operation(
        name="adaptive_dropout",
        family="noise",
        summary="Adaptive dropout (standout, Ba & Frey 2013): unit i kept with its own probability π_i (standout "
        "computes π = sigmoid(α·a + β) from the pre-activation a); training output x⊙m unscaled; eval x⊙π "
        "(the expectation).",
        torch_signature="adaptive_dropout(x, keep_probability, *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature="adaptive_dropout_forward(x, keep_probability, *, training=True, generator=None) -> "
        "(out, cache); adaptive_dropout_backward(dout, cache) -> dx (no gradient to keep_probability: the mask is "
        "discrete)",
        stochastic=True,
    )
)


#: Label-smoothing conventions of the lectures: "uniform" (Week 6 and PyTorch), "off_target" (Module 2).
LABEL_SMOOTHING_CONVENTIONS = ("uniform", "off_target")


def smoothing_values(op: str, num_classes: int, epsilon: object, convention: object) -> tuple[float, float, float]:
    """(ε, on-target value, off-target value) of a smoothed one-hot row; shared by every backend's reference.

    uniform: (1-ε)y + ε/K; off_target: 1 → 1-ε, 0 → ε/(K-1).
    """
    from impls.validation import check_choice, check_probability

    convention = check_choice(op, "convention", convention, LABEL_SMOOTHING_CONVENTIONS)
    epsilon = check_probability(op, "epsilon", epsilon)
    if convention == "uniform":
        return epsilon, (1.0 - epsilon) + epsilon / num_classes, epsilon / num_classes
    if num_classes < 2:
        raise ValueError(f"{op}: num_classes must be ≥ 2 for convention='off_target' (ε/(K-1)), got {num_classes}")
    return epsilon, 1.0 - epsilon, epsilon / (num_classes - 1)


# ---------------------------------------------------------------- spec tables: invalid input, examples

_NOT_PROBABILITIES = (-0.1, 1.5, math.nan, "0.5", None)
_X3 = Array(np.ones((2, 2, 2)))
_X4 = Array(np.ones((1, 1, 3, 3)))
_Q = Array(np.ones((1, 2, 2)))
_IDS = Array([0, 1], integer=True)
_WEIGHT = Array(np.ones((3, 2)))

for _name in ("gaussian_dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
              "locked_dropout", "stochastic_depth", "stochastic_depth_original"):
    _x = Array(np.ones((2, 2, 2, 2))) if _name in ("dropout2d", "dropout3d") else _X3
    _allowed = "[0, 1)" if _name == "gaussian_dropout" else "[0, 1]"
    _values = (*_NOT_PROBABILITIES, 1.0) if _name == "gaussian_dropout" else _NOT_PROBABILITIES
    extend(_name, invalid=invalid_values("p", _values, _allowed,
                                         template_call(_name, _x, BAD, training=True, stochastic=True)))

extend("gaussian_noise", invalid=invalid_values("sigma", (-1.0, math.nan), "[0.0, inf)",
                                                template_call("gaussian_noise", _X4, BAD, stochastic=True)))
extend("attention_dropout", invalid=invalid_values("p", (1.5,), "[0, 1]",
                                                   template_call("attention_dropout", _Q, _Q, _Q, BAD, stochastic=True)))
extend("dropblock2d",
       invalid=invalid_values("p", (-0.5,), "[0, 1]", template_call("dropblock2d", _X4, BAD, 2, stochastic=True))
       + invalid_values("block_size", (0,), "≥ 1", template_call("dropblock2d", _X4, 0.5, BAD, stochastic=True)))
extend("dropconnect_linear", invalid=invalid_values(
    "p", (2.0,), "[0, 1]", template_call("dropconnect_linear", Array(np.ones((2, 2))), Array(np.ones((2, 2))), None,
                                         BAD, stochastic=True)))
extend("embedding_dropout", invalid=invalid_values(
    "p", (-1.0,), "[0, 1]", template_call("embedding_dropout", _IDS, _WEIGHT, BAD, stochastic=True)))
extend("survival_probabilities",
       invalid=invalid_values("num_layers", (0,), "≥ 1", template_call("survival_probabilities", BAD, 0.5))
       + invalid_values("p_last", (1.5,), "[0, 1]", template_call("survival_probabilities", 4, BAD)))
extend("adaptive_dropout", invalid=(Invalid("keep_probability", 1.5, "[0, 1]", template_call(
    "adaptive_dropout", _X4, Array(np.array([0.5, 1.5, 0.5]), "float64"), stochastic=True)(None), shown="1.5"),))

_NOT_EPSILONS = (-0.1, 1.5, math.nan, math.inf, "0.1", None)
_LOGITS = Array(np.zeros((2, 3)))
for _name, _template in (("smooth_labels", lambda key: template_call("smooth_labels", _IDS, 3, **key)),
                         ("label_smoothing_cross_entropy",
                          lambda key: template_call("label_smoothing_cross_entropy", _LOGITS, _IDS, **key))):
    extend(_name, invalid=invalid_values("epsilon", _NOT_EPSILONS, "[0, 1]", _template({"epsilon": BAD}))
           + invalid_values("convention", ("Uniform", "off-target", None), str(LABEL_SMOOTHING_CONVENTIONS),
                            _template({"epsilon": 0.1, "convention": BAD})))


# ---------------------------------------------------------------- ShakeDrop: spec, references, defect only


def _shakedrop_example(target, device: str, dtype: str, seed: int, *, p: float = 0.3,
                       units: int | None = None) -> tuple[tuple, dict]:
    values = np.random.Generator(np.random.PCG64(seed)).uniform(0.5, 2.0, size=(units or 6, 3))
    return (target.asarray(values, dtype, device), p), {"training": True, "generator": target.generator(seed, device)}


def _per_sample(coefficient: np.ndarray, x: np.ndarray) -> np.ndarray:
    return coefficient.reshape((-1,) + (1,) * (x.ndim - 1))


register(
    Operation(
        name="shakedrop",
        family="noise",
        summary="ShakeDrop (Yamada et al. 2018): per sample, gate b ~ Bernoulli(1-p) and α ~ U(-1, 1); training "
        "(b + α - bα)·x; backward (b + β - bβ)·dout with β ~ U(0, 1); eval E[b + α - bα]·x = (1-p)·x.",
        torch_signature="shakedrop(x, p=0.5, *, alpha_range=(-1, 1), beta_range=(0, 1), training=True, "
        "generator=None) -> (out, {'gate', 'alpha', 'beta'})",
        numpy_signature="shakedrop_forward(x, p=0.5, *, alpha_range, beta_range, training, generator) -> (out, cache); "
        "shakedrop_backward(dout, cache) -> dx; cache['mask'] = {'gate', 'alpha', 'beta'}",
        stochastic=True,
        random_unit="sample",
        eval_rule="keep_scaled",
        example=_shakedrop_example,
        units=lambda mask: np.asarray(mask["gate"]),
        structure=lambda x, mask, p: np.where(_per_sample(mask["gate"], x), x, _per_sample(mask["alpha"], x) * x),
        backward_rule=lambda dout, mask, p: np.where(_per_sample(mask["gate"], dout), dout,
                                                     _per_sample(mask["beta"], dout) * dout),
        invalid=invalid_values("p", _NOT_PROBABILITIES, "[0, 1]", template_call("shakedrop", _X3, BAD, stochastic=True))
        + invalid_values("alpha_range", ((1.0, -1.0), (0.0, math.inf)), "low ≤ high",
                         template_call("shakedrop", _X3, 0.5, alpha_range=BAD, stochastic=True)),
    )
)


def _example_of(shape: tuple[int, ...], *extra: object):
    """An example call x (values in [0.5, 2)), p, then `extra` positional parameters, in training mode."""

    def example(target, device: str, dtype: str, seed: int, *, p: float = 0.3, units: int | None = None):
        values = np.random.Generator(np.random.PCG64(seed)).uniform(0.5, 2.0, size=shape)
        return ((target.asarray(values, dtype, device), p, *extra),
                {"training": True, "generator": target.generator(seed, device)})

    return example


for _name, _shape, _extra, _eval_rule, _unit in (
    ("gaussian_dropout", (4, 5), (), "identity", "element"),
    ("dropout1d", (2, 3, 4), (), "identity", "channel"),
    ("dropout2d", (2, 3, 4, 4), (), "identity", "channel"),
    ("dropout3d", (2, 3, 2, 2, 2), (), "identity", "channel"),
    ("alpha_dropout", (4, 5), (), "identity", "element"),
    ("feature_alpha_dropout", (2, 3, 4), (), "identity", "channel"),
    ("locked_dropout", (4, 2, 3), (), "identity", "element"),
    ("stochastic_depth", (4, 3), (), "identity", "sample"),
    ("stochastic_depth_original", (4, 3), (), "keep_scaled", "sample"),
    ("gaussian_noise", (4, 5), (), "identity", "element"),
    ("dropblock2d", (2, 2, 6, 6), (3,), "identity", "block"),
):
    extend(_name, example=_example_of(_shape, *_extra), eval_rule=_eval_rule, random_unit=_unit)


# ---------------------------------------------------------------- further invalid inputs that real APIs reject (issue 18)

extend("gaussian_noise", invalid=invalid_values("sigma", (math.inf,), "[0.0, inf)",
                                                template_call("gaussian_noise", _X4, BAD, stochastic=True)))
extend("attention_dropout", invalid=invalid_values("p", (-0.1, math.nan), "[0, 1]",
                                                   template_call("attention_dropout", _Q, _Q, _Q, BAD, stochastic=True)))
extend("embedding_dropout", invalid=invalid_values(
    "p", (1.5,), "[0, 1]", template_call("embedding_dropout", _IDS, _WEIGHT, BAD, stochastic=True)))
extend("dropblock2d", invalid=invalid_values("p", (1.5,), "[0, 1]", template_call("dropblock2d", _X4, BAD, 2, stochastic=True)))
extend("survival_probabilities", invalid=invalid_values("p_last", (-0.1,), "[0, 1]",
                                                        template_call("survival_probabilities", 4, BAD)))


# ---------------------------------------------------------------- signatures and parameter ranges (impls/protocol/parameters.py)

from impls.protocol import parameters as _p  # noqa: E402 - after the operations it describes are registered

#: F.cross_entropy's reductions.
REDUCTIONS = ("none", "mean", "sum")


def check_interval(op: str, name: str, value: object) -> tuple[float, float]:
    """A (low, high) pair of finite reals with low ≤ high (ShakeDrop's α and β ranges)."""
    from impls.validation import check_real

    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(f"{op}: {name} must be a (low, high) pair, got {value!r}")
    low, high = (check_real(op, name, v) for v in value)
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"{op}: {name} must satisfy low ≤ high, both finite, got {value!r}")
    return low, high


#: The tail every stochastic operation shares: training mode and the explicit generator.
_TRAIN = (_p.flag("training", True), _p.generator())
_X = _p.array("x")

# epsilon and convention are checked together (off_target needs K ≥ 2) by smoothing_values, in the body.
_p.declare("smooth_labels", _p.free("targets"), _p.integer("num_classes", low=1), _p.free("epsilon"),
           _p.free("convention", "uniform"))
_p.declare("label_smoothing_cross_entropy", _p.array("logits"), _p.free("targets"), _p.free("epsilon"),
           _p.free("convention", "uniform"), _p.choice("reduction", "mean", REDUCTIONS), _p.free("weight", None),
           _p.free("ignore_index", -100))
_p.declare("gaussian_dropout", _X, _p.real("p", 0.5, low=0.0, high=1.0, closed="low"), *_TRAIN)
for _name in ("dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"):
    _p.declare(_name, _X, _p.probability("p", 0.5), *_TRAIN)
_p.declare("dropconnect_linear", _X, _p.array("weight"), _p.free("bias"), _p.probability("p", 0.5), *_TRAIN)
_p.declare("locked_dropout", _X, _p.probability("p", 0.5), _p.flag("batch_first", False), *_TRAIN)
_p.declare("embedding_dropout", _p.free("indices"), _p.array("weight"), _p.probability("p", 0.5), *_TRAIN)
for _name in ("stochastic_depth", "stochastic_depth_original"):
    _p.declare(_name, _X, _p.probability("p"), _p.choice("mode", "row", ("row", "batch")), *_TRAIN)
_p.declare("survival_probabilities", _p.integer("num_layers", low=1), _p.probability("p_last"))
_p.declare("gaussian_noise", _X, _p.nonnegative("sigma"), *_TRAIN)
_p.declare("attention_dropout", _p.array("q"), _p.array("k"), _p.array("v"), _p.probability("p", 0.0), *_TRAIN)
_p.declare("dropblock2d", _X, _p.probability("p"), _p.integer("block_size", low=1), *_TRAIN)
# keep_probability is an array of probabilities broadcast to x: its range is checked entry by entry in the body.
_p.declare("adaptive_dropout", _X, _p.free("keep_probability"), *_TRAIN)
_p.declare("shakedrop", _X, _p.probability("p", 0.5), _p.rule("alpha_range", (-1.0, 1.0), check_interval),
           _p.rule("beta_range", (0.0, 1.0), check_interval), *_TRAIN)
