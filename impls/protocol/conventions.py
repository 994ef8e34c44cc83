"""Conventions: the places where correct libraries legitimately disagree, named once per operation.

A property that depends on one of these choices reads the target's declared value (``<OPERATION>_CONVENTIONS``
in the target module, e.g. ``ADAMW_STEP_CONVENTIONS = {"decay_scaling": ("none",)}``) and checks the rule of
that value; a target that declares nothing is checked under the protocol's value, the first one listed
(PyTorch's choice, which the references implement). Neither side is "wrong": each value is documented by
some library, paper or lecture, listed in `chosen_by`.

Two kinds of convention:

- *behaviour*: the target does one thing (AdamW's decay is scaled by lr or not). It declares exactly one value.
- *selectable*: the operation has a keyword that picks the rule (``clip_grad_norm(..., scope="per_variable")``,
  ``label_smoothing_cross_entropy(..., convention="off_target")``). A target may declare several values; the
  property passes each declared non-default value as that keyword. `keyword` names it.

Batch norm's momentum and variance conventions (impls/protocol/normalization.py) and the label-smoothing
denominators (impls/protocol/noise.py) predate this table and are selectable; they are listed here too so the
report shows every convention in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Convention:
    """One named choice of one operation: its values (the protocol's first) and who chooses which."""

    operation: str
    name: str
    values: tuple[str, ...]
    meaning: dict[str, str]
    chosen_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keyword: str | None = None  # selectable conventions: the operation's keyword that picks the value

    @property
    def default(self) -> str:
        return self.values[0]


CONVENTIONS: dict[str, dict[str, Convention]] = {}


def _convention(operation: str, name: str, meaning: dict[str, str], chosen_by: dict[str, tuple[str, ...]],
                keyword: str | None = None) -> None:
    CONVENTIONS.setdefault(operation, {})[name] = Convention(
        operation=operation, name=name, values=tuple(meaning), meaning=meaning, chosen_by=chosen_by, keyword=keyword)


# ---------------------------------------------------------------- optimizers
_convention("adamw_step", "decay_scaling", {
    "lr": "decoupled decay w ← w(1 − lr·λ): the decay is scaled by the learning rate",
    "none": "decoupled decay w ← w − λw: λ is the per-step decay itself (the paper's schedule multiplier η_t = 1)",
}, {"lr": ("PyTorch torch.optim.AdamW", "Keras 3 AdamW", "timm"), "none": ("TF-Addons AdamW / DecoupledWeightDecayExtension",
                                                                         "Loshchilov & Hutter, Algorithm 2 with η_t = 1")})
_convention("sgd_step", "weight_decay", {
    "coupled": "λw is added to the gradient before the momentum buffer (L2 penalty (λ/2)‖w‖²)",
    "decoupled": "w ← w − lr·λ·w applied to the weights before the step; the buffer never sees λw",
}, {"coupled": ("PyTorch torch.optim.SGD",), "decoupled": ("Keras 3 SGD(weight_decay=)",)})
_convention("adam_step", "epsilon", {
    "after_bias_correction": "w ← w − lr·m̂/(√v̂ + ε) with m̂, v̂ bias-corrected (Kingma & Ba, Algorithm 1)",
    "before_bias_correction": "w ← w − lr_t·m/(√v + ε̂), lr_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) (Kingma & Ba §2's ε̂)",
}, {"after_bias_correction": ("PyTorch torch.optim.Adam",), "before_bias_correction": ("Keras 3 Adam", "TensorFlow")})
_convention("adamw_step", "epsilon", dict(CONVENTIONS["adam_step"]["epsilon"].meaning),
            {"after_bias_correction": ("PyTorch torch.optim.AdamW",), "before_bias_correction": ("Keras 3 AdamW",)})
_convention("clip_grad_norm", "scope", {
    "global": "one norm over all gradients together; every gradient scaled by the same factor",
    "per_variable": "each gradient clipped by its own norm",
}, {"global": ("PyTorch clip_grad_norm_", "Keras global_clipnorm"), "per_variable": ("Keras/tf.keras clipnorm",)},
    keyword="scope")

_convention("clip_grad_norm", "nonfinite", {
    "zero_scale": "an infinite total norm gives the scale min(1, c/∞) = 0: finite entries become 0, infinite ones NaN",
    "all_nan": "a non-finite total norm makes the scale NaN (scale + (‖g‖ − ‖g‖)): every entry becomes NaN",
}, {"zero_scale": ("PyTorch clip_grad_norm_ (error_if_nonfinite=False)",), "all_nan": ("Keras 3 global_clipnorm",)})

# ---------------------------------------------------------------- dropout family
_convention("dropout", "p_one", {
    "zeros": "p = 1 drops every unit: the output is all zeros",
    "rejected": "p = 1 is outside the domain (the 1/(1-p) scale is undefined): ValueError naming p",
}, {"zeros": ("PyTorch F.dropout", "Keras 3 Dropout"), "rejected": ("TensorFlow tf.nn.dropout (rate in [0, 1))",)})
_convention("alpha_dropout", "p_one", {
    "zeros": "p = 1 gives all zeros (PyTorch's rule)",
    "identity": "p = 1 returns the input unchanged (no valid affine correction exists)",
    "rejected": "p = 1 is outside the domain: ValueError naming p",
}, {"zeros": ("PyTorch F.alpha_dropout",), "identity": ("TensorFlow / tf.keras AlphaDropout (applies only 0 < rate < 1)",),
    "rejected": ()})
_convention("stochastic_depth", "scaling", {
    "inverted": "kept branches scaled by 1/(1-p) in training; eval is the identity",
    "unscaled": "kept branches unscaled in training and eval is the identity (E[train] = (1-p)·eval)",
    "test_time": "kept branches unscaled in training; eval multiplies by the survival probability 1-p (Huang et al.)",
}, {"inverted": ("torchvision.ops.stochastic_depth", "timm drop_path(scale_by_keep=True)"),
    "unscaled": ("timm drop_path(scale_by_keep=False)",), "test_time": ("Huang et al. 2016",)})
_convention("dropblock2d", "normalization", {
    "kept_fraction": "survivors scaled by numel / #kept (the realised kept fraction)",
    "inverse_keep_probability": "survivors scaled by 1/(1-p) (the expected kept fraction)",
}, {"kept_fraction": ("torchvision.ops.drop_block2d", "timm drop_block_2d", "Ghiasi et al. 2018"),
    "inverse_keep_probability": ("some re-implementations",)})

# ---------------------------------------------------------------- early stopping
_convention("EarlyStopping", "patience_zero", {
    "rejected": "patience must be ≥ 1 (the week-6 loop's counter ≥ patience would stop before training)",
    "stop_at_first_non_improvement": "patience = 0 stops at the first epoch that does not improve (as patience = 1)",
    "never_stop": "patience = 0 disables early stopping",
}, {"rejected": ("the week-6 loop", "AllenNLP (patience must be > 0)"),
    "stop_at_first_non_improvement": ("Keras 3 EarlyStopping", "PyTorch Lightning EarlyStopping"),
    "never_stop": ("trainers where patience 0 / None turns the callback off",)})
_convention("EarlyStopping", "min_delta", {
    "exceeds": "an epoch improves when best - metric > min_delta (min mode)",
    "at_least": "an epoch improves when best - metric ≥ min_delta",
}, {"exceeds": ("the week-6 loop", "Keras 3 EarlyStopping", "PyTorch Lightning EarlyStopping"),
    "at_least": ("loops written with <= instead of <",)})

# ---------------------------------------------------------------- augmentation and label smoothing
_convention("cutmix", "lam", {
    "corrected": "labels mix by the area actually pasted after clipping the box: λ = 1 − area/(H·W)",
    "uncorrected": "labels mix by the sampled λ even when the box was clipped at a border",
}, {"corrected": ("Yun et al. 2019 reference code", "timm Mixup(correct_lam=True)", "torchvision v2 CutMix",
                  "kornia RandomCutMixV2"),
    "uncorrected": ("timm Mixup(correct_lam=False) (its default)",)})
_convention("random_erasing", "aspect_ratio", {
    "log_uniform": "log r ~ U[log r₁, log r₂] (symmetric in r ↔ 1/r)",
    "uniform": "r ~ U[r₁, r₂] (Zhong et al.'s algorithm)",
    "split_at_one": "r ~ U[r₁, 1] or U[1, r₂] with probability 1/2 each (when r₁ < 1 < r₂); sides clamped to the image",
}, {"log_uniform": ("torchvision RandomErasing", "timm RandomErasing"), "uniform": ("Zhong et al. 2020, Algorithm 1",),
    "split_at_one": ("kornia RandomErasing",)})
_convention("label_smoothing_cross_entropy", "class_weights", {
    "per_class_term": "loss = -Σ_c w_c q_c log p_c: each class's term, the smoothing terms included, carries its weight",
    "per_sample": "loss = -w_y Σ_c q_c log p_c: the sample's weight w[target] multiplies the whole smoothed loss",
}, {"per_class_term": ("PyTorch F.cross_entropy(weight=, label_smoothing=)",),
    "per_sample": ("Keras 3 class_weight (a sample weight w[y])",)})
_convention("label_smoothing_cross_entropy", "weighted_mean", {
    "sum_of_weights": "reduction='mean' divides by Σ w[target] over the non-ignored samples",
    "count": "reduction='mean' divides by the number of samples",
}, {"sum_of_weights": ("PyTorch F.cross_entropy",), "count": ("Keras 3 losses (sum_over_batch_size)",)})
_convention("label_smoothing_cross_entropy", "smoothing", {
    "uniform": "(1-ε)y + ε/K", "off_target": "1 → 1-ε, 0 → ε/(K-1)",
}, {"uniform": ("PyTorch", "Keras 3", "timm", "Week 6"), "off_target": ("Module 2",)}, keyword="convention")
_convention("binary_label_smoothing_cross_entropy", "smoothing", {
    "uniform": "y(1-ε) + ε/2: uniform smoothing over the two outcomes",
    "off_target": "y(1-2ε) + ε: 1 → 1-ε, 0 → ε",
}, {"uniform": ("Keras 3 BinaryCrossentropy(label_smoothing=)",), "off_target": ("Module 2's rule at K = 2",)},
    keyword="convention")

# ---------------------------------------------------------------- normalization defaults
_convention("batch_norm", "default_eps", {
    "1e-05": "eps defaults to 1e-5", "0.001": "eps defaults to 1e-3",
}, {"1e-05": ("PyTorch BatchNorm", "the references"), "0.001": ("Keras 3 BatchNormalization",)})
_convention("layer_norm", "default_eps", {
    "1e-05": "eps defaults to 1e-5", "0.001": "eps defaults to 1e-3", "1e-06": "eps defaults to 1e-6",
}, {"1e-05": ("PyTorch LayerNorm", "the references"), "0.001": ("Keras 3 LayerNormalization",),
    "1e-06": ("timm's ViT / ConvNeXt norm layers",)})
_convention("batch_norm", "momentum_convention", {
    "pytorch": "running = (1 - momentum)·running + momentum·batch",
    "keras": "running = momentum·running + (1 - momentum)·batch",
}, {"pytorch": ("PyTorch",), "keras": ("Keras 3", "TensorFlow")}, keyword="momentum_convention")
_convention("batch_norm", "var_estimator", {
    "unbiased": "the running variance receives Σ(x-μ)²/(m-1)", "biased": "the running variance receives Σ(x-μ)²/m",
}, {"unbiased": ("PyTorch",), "biased": ("Keras 3", "the week-6 NumPy class")}, keyword="var_estimator")


def declared(target: Any, operation: str, name: str) -> tuple[str, ...]:
    """The values of convention `name` that `target` declares for `operation`, or the protocol's value.

    Raises ValueError naming the convention when a declared value is not one of its values, so a typo
    in a declaration is an error, never a silent fall-back to the default.
    """
    convention = CONVENTIONS[operation][name]
    table = target.declared_conventions(operation) or {}
    values = table.get(name)
    if values is None:
        return (convention.default,)
    values = (values,) if isinstance(values, str) else tuple(values)
    unknown = [v for v in values if v not in convention.values]
    if unknown or not values:
        raise ValueError(f"{getattr(target, 'name', target)}: {operation.upper()}_CONVENTIONS[{name!r}] must be "
                         f"values among {convention.values}, got {values!r}")
    return values


def behaviour(target: Any, operation: str, name: str) -> str:
    """The one value of a behaviour convention the target follows (exactly one may be declared)."""
    values = declared(target, operation, name)
    if len(values) != 1:
        raise ValueError(f"{getattr(target, 'name', target)}: {operation.upper()}_CONVENTIONS[{name!r}] must name "
                         f"exactly one of {CONVENTIONS[operation][name].values} (a target does one thing), got {values!r}")
    return values[0]


def keywords(target: Any, operation: str, name: str, value: str) -> dict[str, str]:
    """The keyword that selects `value` of a selectable convention, or {} for the protocol's default
    (so a target that implements only the default is never passed a keyword it does not know)."""
    convention = CONVENTIONS[operation][name]
    if convention.keyword is None or value == convention.default:
        return {}
    return {convention.keyword: value}


def rows() -> list[dict[str, str]]:
    """One row per (operation, convention, value) for the report: meaning and who chooses it."""
    table = []
    for operation, named in CONVENTIONS.items():
        for name, convention in named.items():
            for value in convention.values:
                table.append({"operation": operation, "convention": name, "value": value,
                              "default": "yes" if value == convention.default else "",
                              "meaning": convention.meaning[value],
                              "chosen_by": ", ".join(convention.chosen_by.get(value, ()))})
    return table


#: Invalid-input cases of the specs that a declared convention makes valid: (operation, case label) -> the
#: convention and the values under which the call is legitimate (the family's property for them checks it).
VALID_UNDER: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("EarlyStopping", "patience=0"): ("patience_zero", ("stop_at_first_non_improvement", "never_stop")),
}


def makes_valid(target: Any, operation: str, label: str) -> str | None:
    """Why an invalid-input case is legitimate for `target` under the convention it declares, or None."""
    entry = VALID_UNDER.get((operation, label))
    if entry is None:
        return None
    name, values = entry
    chosen = [v for v in declared(target, operation, name) if v in values]
    if not chosen:
        return None
    return f"not applicable: {label} is valid under {operation}.{name}={chosen[0]} (checked in test_conventions)"
