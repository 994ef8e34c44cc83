"""Defective targets: each module wraps a reference implementation and injects ONE realistic mistake.

The suite is only as good as the mistakes it catches. Every module here follows the target protocol
(impls/protocol/) and must be rejected by at least one conformance property;
``regverify mutants`` (regverify.selftest.run_mutants) runs them and reports which properties caught
each, and tests/test_defects.py keeps that true in the default suite.

A defect module implements only the operation(s) it breaks, so the suite's other properties skip it
as "not implemented" and a run stays short.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    """One catalogued defect: where it lives and what it gets wrong."""

    module: str  # module name inside tests.defects
    family: str  # regularizer family (the tests/test_<family>.py that must catch it)
    operation: str  # protocol operation it breaks
    description: str  # the realistic mistake, in one line
    #: Set when the suite is known to miss this defect: the property that should catch it. The default suite
    #: then expects the defect to survive (strict xfail), so adding the property turns the xfail into a
    #: failure that asks for this note to be removed.
    known_gap: str = ""

    @property
    def dotted(self) -> str:
        return f"{__name__}.{self.module}"


CATALOGUE: tuple[Defect, ...] = (
    # ---------------------------------------------------------------- dropout, torch backend
    Defect("dropout_scale_one_over_p", "dropout", "dropout",
           "survivors scaled by 1/p instead of 1/(1-p)"),
    Defect("dropout_scaled_at_eval", "dropout", "dropout",
           "inverted dropout multiplies by 1/(1-p) in eval too"),
    Defect("dropout_keep_prob_swapped", "dropout", "dropout",
           "p read as the keep probability: keep with probability p, scale 1/p"),
    Defect("dropout_drops_in_eval", "dropout", "dropout",
           "training flag ignored: still drops in eval (forgotten mode switch)"),
    Defect("dropout_standard_eval_identity", "dropout", "dropout_standard",
           "standard dropout's eval is the identity instead of multiplying by 1-p"),
    Defect("dropout_mask_per_row", "dropout", "dropout",
           "one draw per row broadcast along the last axis instead of one per element"),
    Defect("dropout_mask_inconsistent", "dropout", "dropout",
           "returned mask is a second draw, not the mask that made the output"),
    Defect("dropout_p1_nan", "dropout", "dropout",
           "x * mask / (1 - p) with no p = 1 special case: 0/0 = NaN"),
    Defect("dropout_ignores_generator", "dropout", "dropout",
           "generator accepted but ignored: global RNG, not reproducible"),
    Defect("dropout_accepts_p_above_one", "dropout", "dropout",
           "only p < 0 rejected: p = 1.5, inf and NaN accepted silently"),
    # ---------------------------------------------------------------- dropout, NumPy backend
    Defect("dropout_numpy_backward_forgets_scale", "dropout", "dropout",
           "backward applies the mask but not the 1/(1-p) scale"),
    Defect("dropout_numpy_rejects_p_zero", "dropout", "dropout",
           "p validated on (0, 1]: the valid edge p = 0 raises"),
    Defect("dropout_numpy_rejects_p_one", "dropout", "dropout",
           "p validated on [0, 1): the valid edge p = 1 raises"),
    Defect("dropout_numpy_ignores_generator", "dropout", "dropout",
           "mask drawn from a fresh default_rng(), not the generator passed in"),
    Defect("dropout_numpy_standard_drops_in_eval", "dropout", "dropout_standard",
           "standard dropout ignores training=False: drops in eval, no 1-p scale"),
    Defect("dropout_numpy_standard_scaled_in_training", "dropout", "dropout_standard",
           "standard dropout scales survivors by 1/(1-p) in training (conventions mixed)"),
    Defect("dropout_numpy_standard_eval_backward_unscaled", "dropout", "dropout_standard",
           "eval-mode backward forgets the 1-p factor (cache scale 1 in eval)"),
    # ---------------------------------------------------------------- normalization
    Defect("batch_norm_running_var_biased", "normalization", "batch_norm",
           "running variance always takes the biased batch variance: var_estimator ignored (wrong estimator)"),
    Defect("batch_norm_momentum_convention_swapped", "normalization", "batch_norm",
           "running statistics keep `momentum` of the old value under the PyTorch convention (conventions swapped)"),
    Defect("batch_norm_eval_uses_batch_statistics", "normalization", "batch_norm",
           "eval normalizes with the batch's statistics (forgotten mode switch)"),
    Defect("batch_norm_normalizes_with_unbiased_variance", "normalization", "batch_norm",
           "training forward divides by sqrt of the unbiased variance (÷(m-1) instead of ÷m)"),
    Defect("batch_norm_numpy_backward_drops_mean_term", "normalization", "batch_norm",
           "training backward forgets that μ_B depends on x (drops -Σdout)"),
    Defect("layer_norm_over_the_batch_axis", "normalization", "layer_norm",
           "statistics over the batch axis instead of each sample's features (wrong axis)"),
    Defect("layer_norm_eps_outside_sqrt", "normalization", "layer_norm",
           "divides by sqrt(var) + eps instead of sqrt(var + eps)"),
    # ---------------------------------------------------------------- penalties and constraints
    Defect("l2_penalty_half_ignored", "penalties", "l2_penalty",
           "half=False ignored: always (λ/2)‖w‖² (option ignored)"),
    Defect("l1_penalty_subgradient_one_at_zero", "penalties", "l1_penalty",
           "|w| as where(w >= 0, w, -w): gradient +λ at w = 0 instead of the subgradient 0"),
    Defect("soft_threshold_wrong_sign", "penalties", "soft_threshold",
           "survivors move away from zero, w + sign(w)·t (wrong sign)"),
    Defect("max_norm_wrong_axis", "penalties", "max_norm",
           "norm taken along `dim` instead of over each unit's incoming weights (wrong axis)"),
    Defect("clip_grad_norm_scales_below_threshold", "penalties", "clip_grad_norm",
           "scales by max_norm/‖g‖ even below the threshold (missing min(1, ·))"),
    Defect("entropy_penalty_in_bits", "penalties", "entropy_penalty",
           "entropy in bits (log2) instead of nats"),
    # ---------------------------------------------------------------- label smoothing
    Defect("smooth_labels_off_target_over_k", "label_smoothing", "smooth_labels",
           "off_target convention puts ε/K on wrong classes instead of ε/(K-1) (wrong denominator)"),
    Defect("smooth_labels_uniform_misses_on_target_share", "label_smoothing", "smooth_labels",
           "uniform convention gives the true class 1-ε instead of 1-ε+ε/K"),
    Defect("label_smoothing_cross_entropy_ignores_epsilon", "label_smoothing", "label_smoothing_cross_entropy",
           "epsilon dropped: plain cross-entropy (option ignored)"),
    Defect("label_smoothing_cross_entropy_wrong_sign", "label_smoothing", "label_smoothing_cross_entropy",
           "minus sign lost: +Σ q log softmax(z) (wrong sign)"),
    # ---------------------------------------------------------------- mixing
    Defect("mixup_labels_not_mixed_like_inputs", "mixing", "mixup",
           "labels mixed with the weights swapped, (1-λ)y + λy[perm], inputs with λ"),
    Defect("mixup_lambda_ignores_alpha", "mixing", "mixup",
           "λ ~ Uniform(0, 1) whatever alpha (Beta(1, 1) hard-coded: option ignored)"),
    Defect("cutmix_labels_use_the_sampled_lambda", "mixing", "cutmix",
           "labels mixed with the sampled λ, not the area actually pasted after clipping (edge mishandled)"),
    # ---------------------------------------------------------------- augmentation
    Defect("random_hflip_flips_rows", "augmentation", "random_hflip",
           "horizontal flip mirrors the height axis instead of the width axis (wrong axis)"),
    Defect("random_hflip_probability_swapped", "augmentation", "random_hflip",
           "flips with probability 1-p instead of p (swapped probability)"),
    Defect("gaussian_noise_std_squared", "augmentation", "random_gaussian_noise",
           "noise scaled by std² instead of std"),
    # ---------------------------------------------------------------- early stopping
    Defect("early_stopping_patience_off_by_one", "early_stopping", "EarlyStopping",
           "stops when the counter exceeds patience (>) instead of reaching it (>=): off by one"),
    Defect("early_stopping_ties_count_as_improvement", "early_stopping", "EarlyStopping",
           "improvement >= min_delta counts, so a tie resets the counter"),
    Defect("early_stopping_best_state_not_copied", "early_stopping", "EarlyStopping",
           "restore_best keeps a reference to the live state, not a deep copy"),
    Defect("early_stopping_mode_ignored", "early_stopping", "EarlyStopping",
           "mode='max' accepted but ignored: always minimizes (option ignored)"),
)


def by_family() -> dict[str, list[Defect]]:
    grouped: dict[str, list[Defect]] = {}
    for defect in CATALOGUE:
        grouped.setdefault(defect.family, []).append(defect)
    return grouped
