"""Defective targets: each module wraps a reference implementation and injects ONE realistic mistake.

The suite is only as good as the mistakes it catches. Every module here follows the target protocol
(impls/protocol/) and must be rejected by at least one conformance property;
``regverify mutants`` (regverify.selftest.run_mutants) runs them and reports which properties caught
each, and tests/test_defects.py keeps that true in the default suite.

A defect module implements only the operation(s) it breaks, so the suite's other properties skip it
as "not implemented" and a run stays short.

Over 400 lines: the catalogue is one table of data (one entry per defect module, ~100 of them); splitting it
would scatter the one list `regverify mutants`, the homework signatures and tests/test_defects.py read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Kinds of defect: a one-token slip on the main path; a boundary parameter or value; a combination of options;
#: a memory layout (non-contiguous, transposed); the shape of a noise law; a call that never returns; an optional
#: argument left out; an invalid input accepted silently; a test that catches it for the wrong reason.
KINDS = ("slip", "edge", "combination", "layout", "distribution", "termination", "optional", "silent_acceptance")


def own_keep_mask(x, p: float, generator):
    """A Bernoulli(1 - p) keep mask drawn by a defect itself, not through a reference's private helper, so the
    defect fails for its own mistake only when the references change."""
    import torch

    return torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float32) >= p


@dataclass(frozen=True)
class Symptom:
    """One failure that shows a defect: `property` (a test function's name) fails on the defect's operation
    with a message matching the regular expression `pattern` ("" matches any message)."""

    property: str
    pattern: str = ""
    #: The property must NOT fail (with that pattern): tells apart two defects that share a symptom.
    absent: bool = False

    def shown_by(self, failure: tuple[str, str]) -> bool:
        prop, message = failure
        return prop == self.property and (not self.pattern or re.search(self.pattern, message) is not None)

    def holds(self, failures: list[tuple[str, str]]) -> bool:
        return any(self.shown_by(f) for f in failures) != self.absent


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
    #: Why the mistake happens, said to the person who made it (regverify check prints it with the name).
    cause: str = ""
    #: The failing pattern that identifies this defect in anyone's code: every symptom must show. The defect's
    #: own module must show it too (tests/test_homework.py runs them), so a signature cannot be typed in wrong.
    signature: tuple[Symptom, ...] = ()
    #: The properties (test function names) that must catch this defect, each by a failed assertion: a catch by
    #: another property only, or only by an exception from the target (a crash), is a gap in the suite.
    caught_by: tuple[str, ...] = ()
    #: What kind of real bug this is (one of KINDS): most real bugs sit off the main path.
    kind: str = "slip"
    #: The defect's mistake is itself this exception on a valid call (a valid edge rejected): the named
    #: property catches it when the call raises it; any other exception is still a crash.
    raises: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"defect {self.module}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    @property
    def name(self) -> str:
        return self.module.replace("_numpy", "").replace("_", " ")

    @property
    def dotted(self) -> str:
        return f"{__name__}.{self.module}"


CATALOGUE: tuple[Defect, ...] = (
    # ---------------------------------------------------------------- ShakeDrop (spec + references + these two)
    Defect("shakedrop_backward_reuses_alpha", "noise", "shakedrop",
           "backward through the forward's α instead of the paper's independent β",
           caught_by=("test_backward_is_what_the_returned_randomness_determines",)),
    Defect("shakedrop_numpy_identity_at_eval", "noise", "shakedrop",
           "eval returns x instead of (1 - p)·x",
           caught_by=("test_eval_mode_follows_the_operation_eval_rule",)),
    # ---------------------------------------------------------------- dropout, torch backend
    Defect("dropout_scale_one_over_p", "dropout", "dropout",
           "survivors scaled by 1/p instead of 1/(1-p)",
           cause="p is the drop probability for the mask and the keep probability for the scale (keep/drop swapped): survivors must be divided by the keep probability, 1 - p when p is dropped",
           signature=(Symptom("test_dropout_survivors_carry_the_training_scale", r"p=(\d[\d.e-]*)\).*scaled by 1/\1(?![\d.])"),),
           caught_by=("test_dropout_survivors_carry_the_training_scale", "test_training_output_is_what_the_returned_randomness_determines")),
    Defect("dropout_scaled_at_eval", "dropout", "dropout",
           "inverted dropout multiplies by 1/(1-p) in eval too",
           cause="inverted dropout already divides by the keep probability in training, so eval must be the identity; scaling again at test time applies standard dropout's rule on top",
           signature=(Symptom("test_dropout_eval_applies_the_eval_scale", r"\(0 of \d+ zeroed"),),
           caught_by=("test_dropout_eval_applies_the_eval_scale", "test_eval_mode_follows_the_operation_eval_rule")),
    Defect("dropout_keep_prob_swapped", "dropout", "dropout",
           "p read as the keep probability: keep with probability p, scale 1/p",
           caught_by=("test_dropout_keep_count_is_binomial_with_keep_probability_1_minus_p", "test_kept_units_are_bernoulli_with_the_keep_probability")),
    Defect("dropout_drops_in_eval", "dropout", "dropout",
           "training flag ignored: still drops in eval (forgotten mode switch)",
           cause="the mode switch is forgotten: in eval (CS231n mode 'test', training = False) nothing is dropped",
           signature=(Symptom("test_dropout_eval_applies_the_eval_scale", r"\([1-9]\d* of \d+ zeroed"),),
           caught_by=("test_dropout_eval_applies_the_eval_scale", "test_eval_mode_follows_the_operation_eval_rule")),
    Defect("dropout_standard_eval_identity", "dropout", "dropout_standard",
           "standard dropout's eval is the identity instead of multiplying by 1-p",
           caught_by=("test_dropout_eval_applies_the_eval_scale", "test_eval_mode_follows_the_operation_eval_rule")),
    Defect("dropout_mask_per_row", "dropout", "dropout",
           "one draw per row broadcast along the last axis instead of one per element",
           caught_by=("test_dropout_keep_count_is_binomial_with_keep_probability_1_minus_p", "test_kept_units_are_bernoulli_with_the_keep_probability")),
    Defect("dropout_mask_inconsistent", "dropout", "dropout",
           "returned mask is a second draw, not the mask that made the output",
           caught_by=("test_dropout_mask_is_binary_and_matches_the_zeros", "test_training_output_is_what_the_returned_randomness_determines")),
    Defect("dropout_p1_nan", "dropout", "dropout",
           "x * mask / (1 - p) with no p = 1 special case: 0/0 = NaN",
           cause="1/(1 - p) at p = 1 is 0/0: p = 1 needs its own case (everything dropped)",
           caught_by=("test_dropout_at_p_1_drops_everything",), kind="edge"),
    Defect("dropout_ignores_generator", "dropout", "dropout",
           "generator accepted but ignored: global RNG, not reproducible",
           cause="the mask comes from an RNG the caller does not control, so no run can be replayed",
           caught_by=("test_dropout_is_deterministic_under_a_fixed_seed", "test_same_generator_state_gives_the_same_output")),
    Defect("dropout_accepts_p_above_one", "dropout", "dropout",
           "only p < 0 rejected: p = 1.5, inf and NaN accepted silently",
           caught_by=("test_invalid_parameter_is_rejected_not_silently_used",), kind="silent_acceptance"),
    # ---------------------------------------------------------------- dropout, NumPy backend
    Defect("dropout_numpy_backward_forgets_scale", "dropout", "dropout",
           "backward applies the mask but not the 1/(1-p) scale",
           cause="the forward multiplied the survivors by 1/keep, so the backward must multiply the gradient by it too (a cached 0/1 mask has lost the scale)",
           signature=(Symptom("test_dropout_backward_applies_the_forward_mask_and_scale", r"dropped units get no gradient; kept units' gradient scaled by 1/1(?![\d.])"),),
           caught_by=("test_dropout_backward_applies_the_forward_mask_and_scale", "test_backward_is_what_the_returned_randomness_determines")),
    Defect("dropout_numpy_rejects_p_zero", "dropout", "dropout",
           "p validated on (0, 1]: the valid edge p = 0 raises",
           caught_by=("test_dropout_at_p_0_keeps_everything",), kind="edge", raises="ValueError"),
    Defect("dropout_numpy_rejects_p_one", "dropout", "dropout",
           "p validated on [0, 1): the valid edge p = 1 raises",
           caught_by=("test_dropout_at_p_1_drops_everything",), kind="edge", raises="ValueError"),
    Defect("dropout_numpy_ignores_generator", "dropout", "dropout",
           "mask drawn from a fresh default_rng(), not the generator passed in",
           cause="the mask comes from an RNG the caller does not control (CS231n: np.random.seed(dropout_param['seed']) is missing), so no run can be replayed",
           signature=(Symptom("test_dropout_is_deterministic_under_a_fixed_seed"),),
           caught_by=("test_dropout_is_deterministic_under_a_fixed_seed", "test_same_generator_state_gives_the_same_output")),
    Defect("dropout_numpy_standard_drops_in_eval", "dropout", "dropout_standard",
           "standard dropout ignores training=False: drops in eval, no 1-p scale",
           caught_by=("test_dropout_eval_applies_the_eval_scale", "test_eval_mode_follows_the_operation_eval_rule")),
    Defect("dropout_numpy_standard_scaled_in_training", "dropout", "dropout_standard",
           "standard dropout scales survivors by 1/(1-p) in training (conventions mixed)",
           caught_by=("test_dropout_survivors_carry_the_training_scale", "test_training_output_is_what_the_returned_randomness_determines")),
    Defect("dropout_numpy_standard_eval_backward_unscaled", "dropout", "dropout_standard",
           "eval-mode backward forgets the 1-p factor (cache scale 1 in eval)",
           caught_by=("test_dropout_backward_after_eval_applies_the_eval_scale",), kind="combination"),
    # ---------------------------------------------------------------- normalization
    Defect("batch_norm_running_var_biased", "normalization", "batch_norm",
           "running variance always takes the biased batch variance: var_estimator ignored (wrong estimator)",
           cause="the running variance must average the batch variance the convention names (PyTorch: unbiased, ÷(m-1))",
           caught_by=("test_batch_norm_running_statistics_follow_the_update_rule",)),
    Defect("batch_norm_momentum_convention_swapped", "normalization", "batch_norm",
           "running statistics keep `momentum` of the old value under the PyTorch convention (conventions swapped)",
           cause="PyTorch's momentum is the weight of the new batch, Keras' and CS231n's the weight of the old running value: the formulas were swapped",
           caught_by=("test_batch_norm_running_statistics_follow_the_update_rule",)),
    Defect("batch_norm_eval_uses_batch_statistics", "normalization", "batch_norm",
           "eval normalizes with the batch's statistics (forgotten mode switch)",
           cause="the mode switch is forgotten: eval (mode 'test') must normalize with the running averages, not the batch's statistics",
           signature=(Symptom("test_batch_norm_eval_normalizes_with_the_running_statistics_and_keeps_them"),),
           caught_by=("test_batch_norm_eval_normalizes_with_the_running_statistics_and_keeps_them",)),
    Defect("batch_norm_normalizes_with_unbiased_variance", "normalization", "batch_norm",
           "training forward divides by sqrt of the unbiased variance (÷(m-1) instead of ÷m)",
           cause="the normalization divides by the biased batch variance (÷m); ÷(m-1) belongs only to PyTorch's running variance",
           signature=(Symptom("test_batch_norm_training_output_has_zero_mean_and_variance_sigma2_over_sigma2_plus_eps", r"output variance"),),
           caught_by=("test_normalization_matches_the_float64_closed_form",)),
    Defect("batch_norm_numpy_backward_drops_mean_term", "normalization", "batch_norm",
           "training backward forgets that μ_B depends on x (drops -Σdout)",
           cause="μ_B depends on every x_i, so dx has a -Σ dx̂ term (the gradient through the mean); without it the input gradient no longer sums to zero over each channel",
           signature=(Symptom("test_backward_matches_central_differences", r"dx \(training\)"),
                      Symptom("test_batch_norm_input_gradient_sums_to_zero_over_each_channel"),
                      Symptom("test_batch_norm_normalizes_each_batch_with_its_own_statistics", absent=True),
                      Symptom("test_normalization_forward_leaves_its_inputs_unchanged", absent=True)),
           caught_by=("test_backward_matches_central_differences",)),
    Defect("layer_norm_over_the_batch_axis", "normalization", "layer_norm",
           "statistics over the batch axis instead of each sample's features (wrong axis)",
           cause="layer norm normalizes each sample over its own features (axis=1 of (N, D)); statistics over axis 0 are batch norm's and make a sample's output depend on the rest of the batch",
           signature=(Symptom("test_a_samples_output_ignores_the_other_samples_in_eval_and_in_layer_norm"),),
           caught_by=("test_normalization_matches_the_float64_closed_form", "test_a_samples_output_ignores_the_other_samples_in_eval_and_in_layer_norm")),
    Defect("layer_norm_eps_outside_sqrt", "normalization", "layer_norm",
           "divides by sqrt(var) + eps instead of sqrt(var + eps)",
           cause="ε goes inside the square root, sqrt(σ² + ε), as the forward formula states",
           caught_by=("test_normalization_matches_the_float64_closed_form",)),
    # ---------------------------------------------------------------- homework mistakes (impls/examples/homework/)
    Defect("dropout_numpy_unscaled", "dropout", "dropout",
           "survivors are not rescaled by 1/keep",
           cause="this is standard dropout without the test-time rule: inverted dropout divides the survivors by "
                 "the keep probability so that eval can be the identity",
           caught_by=('test_dropout_survivors_carry_the_training_scale',),
           signature=(Symptom("test_dropout_survivors_carry_the_training_scale", r"scaled by 1/1(?![\d.])"),)),
    Defect("dropout_numpy_backward_ignores_mask", "dropout", "dropout",
           "backward passes the upstream gradient through unmasked",
           cause="a dropped unit's output does not depend on its input, so its gradient is 0: the backward must "
                 "multiply by the forward's mask (and its 1/keep scale)",
           caught_by=('test_dropout_backward_applies_the_forward_mask_and_scale',),
           signature=(Symptom("test_dropout_backward_applies_the_forward_mask_and_scale", r"dropped units get a gradient"),)),
    Defect("batch_norm_numpy_backward_forgets_eps", "normalization", "batch_norm",
           "backward divides by sqrt(σ²) where the forward divided by sqrt(σ² + ε)",
           cause="the backward must use the forward's own 1/sqrt(σ² + ε) (cache it); without ε the gradient is off, "
                 "most where σ² is small",
           caught_by=('test_backward_matches_central_differences',),
           signature=(Symptom("test_backward_matches_central_differences", r"dx \(training\)"),
                      Symptom("test_batch_norm_input_gradient_sums_to_zero_over_each_channel", absent=True),
                      Symptom("test_normalization_forward_leaves_its_inputs_unchanged", absent=True),
                      Symptom("test_batch_norm_normalizes_each_batch_with_its_own_statistics", absent=True))),
    Defect("batch_norm_numpy_keeps_state_between_calls", "normalization", "batch_norm",
           "a batch statistic is computed once and reused for later batches",
           cause="state kept between calls (a mean cached in bn_param, on the layer object or in a global): each "
                 "training batch must be normalized with its own mean and variance",
           caught_by=('test_batch_norm_normalizes_each_batch_with_its_own_statistics',),
           signature=(Symptom("test_batch_norm_normalizes_each_batch_with_its_own_statistics"),
                      Symptom("test_normalization_matches_the_float64_closed_form"))),
    Defect("batch_norm_numpy_overwrites_its_input", "normalization", "batch_norm",
           "the forward modifies its input x in place",
           cause="x -= mean (or x /= std) changes the caller's activations, which the previous layer's backward and "
                 "the next forward still use: compute into a new array",
           caught_by=('test_normalization_forward_leaves_its_inputs_unchanged',),
           signature=(Symptom("test_normalization_forward_leaves_its_inputs_unchanged"),)),
    Defect("batch_norm_numpy_momentum_reversed", "normalization", "batch_norm",
           "running statistics keep 1 - momentum of the old value under CS231n's convention (momentum reversed)",
           cause="CS231n's rule is running = momentum·running + (1 - momentum)·batch (momentum 0.9 keeps 90% of the "
                 "history); this is PyTorch's formula, whose momentum weights the new batch",
           caught_by=('test_batch_norm_running_statistics_follow_the_update_rule',),
           signature=(Symptom("test_batch_norm_running_statistics_follow_the_update_rule", r"running_mean after step"),
                      Symptom("test_batch_norm_normalizes_each_batch_with_its_own_statistics", absent=True), Symptom("test_normalization_forward_leaves_its_inputs_unchanged", absent=True))),
    Defect("batch_norm_numpy_running_var_unbiased", "normalization", "batch_norm",
           "running variance averages the unbiased batch variance (÷(N-1)) where the convention is biased",
           cause="CS231n and the week-6 lecture average the same biased variance (÷N) the normalization divides "
                 "by; ÷(N-1) is PyTorch's running-variance convention (wrong estimator)",
           caught_by=('test_batch_norm_running_statistics_follow_the_update_rule',),
           signature=(Symptom("test_batch_norm_running_statistics_follow_the_update_rule", r"running_var after step"),
                      Symptom("test_batch_norm_running_statistics_follow_the_update_rule", r"running_mean after step",
                              absent=True),
                      Symptom("test_batch_norm_normalizes_each_batch_with_its_own_statistics", absent=True), Symptom("test_normalization_forward_leaves_its_inputs_unchanged", absent=True))),
    # ---------------------------------------------------------------- penalties and constraints
    Defect("l2_penalty_half_ignored", "penalties", "l2_penalty",
           "half=False ignored: always (λ/2)‖w‖² (option ignored)",
           caught_by=("test_l2_penalty_without_half_is_exactly_twice_the_half_convention",)),
    Defect("l1_penalty_subgradient_one_at_zero", "penalties", "l1_penalty",
           "|w| as where(w >= 0, w, -w): gradient +λ at w = 0 instead of the subgradient 0",
           caught_by=("test_l1_subgradient_at_zero_is_exactly_zero",), kind="edge"),
    Defect("soft_threshold_wrong_sign", "penalties", "soft_threshold",
           "survivors move away from zero, w + sign(w)·t (wrong sign)",
           caught_by=("test_soft_threshold_sets_every_weight_within_the_threshold_to_exactly_zero",)),
    Defect("max_norm_wrong_axis", "penalties", "max_norm",
           "norm taken along `dim` instead of over each unit's incoming weights (wrong axis)",
           caught_by=("test_max_norm_keeps_inside_units_bitwise_and_projects_outside_units_onto_the_sphere",)),
    Defect("clip_grad_norm_scales_below_threshold", "penalties", "clip_grad_norm",
           "scales by max_norm/‖g‖ even below the threshold (missing min(1, ·))",
           caught_by=("test_clip_grad_norm_is_a_bitwise_no_op_below_the_threshold",)),
    Defect("entropy_penalty_in_bits", "penalties", "entropy_penalty",
           "entropy in bits (log2) instead of nats",
           caught_by=("test_entropy_is_at_most_log_k_and_reaches_it_at_the_uniform_distribution",)),
    # ---------------------------------------------------------------- label smoothing
    Defect("smooth_labels_off_target_over_k", "label_smoothing", "smooth_labels",
           "off_target convention puts ε/K on wrong classes instead of ε/(K-1) (wrong denominator)",
           caught_by=("test_smoothed_labels_follow_their_conventions_formula_exactly",)),
    Defect("smooth_labels_uniform_misses_on_target_share", "label_smoothing", "smooth_labels",
           "uniform convention gives the true class 1-ε instead of 1-ε+ε/K",
           caught_by=("test_smoothed_labels_follow_their_conventions_formula_exactly",)),
    Defect("label_smoothing_cross_entropy_ignores_epsilon", "label_smoothing", "label_smoothing_cross_entropy",
           "epsilon dropped: plain cross-entropy (option ignored)",
           caught_by=("test_smoothed_cross_entropy_equals_the_documented_formula_for_every_option",)),
    Defect("label_smoothing_cross_entropy_wrong_sign", "label_smoothing", "label_smoothing_cross_entropy",
           "minus sign lost: +Σ q log softmax(z) (wrong sign)",
           caught_by=("test_smoothed_cross_entropy_equals_the_documented_formula_for_every_option",)),
    # ---------------------------------------------------------------- mixing
    Defect("mixup_labels_not_mixed_like_inputs", "mixing", "mixup",
           "labels mixed with the weights swapped, (1-λ)y + λy[perm], inputs with λ",
           caught_by=("test_mixup_output_is_the_convex_combination_for_the_returned_lambda",)),
    Defect("mixup_lambda_ignores_alpha", "mixing", "mixup",
           "λ ~ Uniform(0, 1) whatever alpha (Beta(1, 1) hard-coded: option ignored)",
           caught_by=("test_mixup_lambda_follows_beta_alpha_alpha",), kind="distribution"),
    Defect("cutmix_labels_use_the_sampled_lambda", "mixing", "cutmix",
           "labels mixed with the sampled λ, not the area actually pasted after clipping (edge mishandled)",
           caught_by=("test_cutmix_label_weight_equals_the_pasted_area",), kind="edge"),
    # ---------------------------------------------------------------- augmentation
    Defect("random_hflip_flips_rows", "augmentation", "random_hflip",
           "horizontal flip mirrors the height axis instead of the width axis (wrong axis)",
           caught_by=("test_flip_mirrors_exactly_the_flipped_images_and_is_an_involution",)),
    Defect("random_hflip_probability_swapped", "augmentation", "random_hflip",
           "flips with probability 1-p instead of p (swapped probability)",
           caught_by=("test_flip_decision_count_is_binomial_with_probability_p",)),
    Defect("gaussian_noise_std_squared", "augmentation", "random_gaussian_noise",
           "noise scaled by std² instead of std",
           caught_by=("test_gaussian_noise_has_mean_zero_and_variance_std_squared",)),
    # ---------------------------------------------------------------- early stopping
    Defect("early_stopping_patience_off_by_one", "early_stopping", "EarlyStopping",
           "stops when the counter exceeds patience (>) instead of reaching it (>=): off by one",
           caught_by=("test_early_stopping_stops_exactly_when_the_counter_first_reaches_patience",)),
    Defect("early_stopping_ties_count_as_improvement", "early_stopping", "EarlyStopping",
           "improvement >= min_delta counts, so a tie resets the counter",
           caught_by=("test_early_stopping_improvement_must_exceed_min_delta",), kind="edge"),
    Defect("early_stopping_best_state_not_copied", "early_stopping", "EarlyStopping",
           "restore_best keeps a reference to the live state, not a deep copy",
           caught_by=("test_early_stopping_restore_best_keeps_a_deep_copy_of_the_best_state",)),
    Defect("early_stopping_mode_ignored", "early_stopping", "EarlyStopping",
           "mode='max' accepted but ignored: always minimizes (option ignored)",
           caught_by=("test_early_stopping_max_mode_mirrors_min_mode_on_negated_metrics",)),
    # ---------------------------------------------------------------- real-bug shapes (issue 18): noise family
    Defect("dropout_p0_drops_one_in_65536", "dropout", "dropout",
           "keep = u > p on a 16-bit uniform: p = 0 still drops one element in 2^16",
           caught_by=("test_p_zero_never_drops_a_unit_even_rarely",), kind="edge"),
    Defect("gaussian_dropout_laplace_noise", "noise", "gaussian_dropout",
           "noise of mean 1 and variance p/(1-p), but Laplace instead of Gaussian",
           caught_by=("test_gaussian_dropout_noise_is_normal_not_only_in_mean_and_variance",), kind="distribution"),
    Defect("gaussian_noise_uniform_noise", "noise", "gaussian_noise",
           "noise of variance sigma², but uniform on [-√3σ, √3σ] instead of Gaussian",
           caught_by=("test_gaussian_noise_is_normal_not_only_in_mean_and_variance",), kind="distribution"),
    Defect("dropout1d_unbatched_input_masked_per_element", "noise", "dropout1d",
           "an unbatched (C, L) input dropped element by element, as if it were (N, features)",
           caught_by=("test_spatial_dropout_masks_whole_channels_in_every_layout",), kind="layout"),
    Defect("dropout3d_unbatched_input_as_dropout2d", "noise", "dropout3d",
           "an unbatched (C, D, H, W) input dispatched to the 2-D rule: one decision per (c, d) slice",
           caught_by=("test_spatial_dropout_keeps_or_drops_each_channel_whole_and_eval_is_the_identity", "test_spatial_dropout_masks_whole_channels_in_every_layout"), kind="layout"),
    Defect("dropout2d_three_d_input_per_element", "noise", "dropout2d",
           "dropout2d on a 3-D input (N, C, L) draws one decision per element, not per row",
           caught_by=("test_dropout2d_on_3d_input_masks_each_row_like_dropout1d",), kind="layout"),
    Defect("alpha_dropout_p1_nan", "noise", "alpha_dropout",
           "affine constants used at p = 1 too: a = inf, output NaN instead of zeros",
           caught_by=("test_alpha_dropout_is_the_affine_selu_map_on_its_mask_and_eval_is_the_identity",), kind="edge"),
    Defect("feature_alpha_dropout_per_element", "noise", "feature_alpha_dropout",
           "one decision per element (alpha_dropout's rule) instead of per channel",
           caught_by=("test_alpha_dropout_is_the_affine_selu_map_on_its_mask_and_eval_is_the_identity",)),
    Defect("dropconnect_drops_weights_in_eval", "noise", "dropconnect_linear",
           "training=False ignored: weights still dropped at inference",
           caught_by=("test_dropconnect_output_is_input_times_masked_weights_plus_bias",)),
    Defect("locked_dropout_batch_first_ignored", "noise", "locked_dropout",
           "batch_first accepted but the mask is always locked along axis 0",
           caught_by=("test_locked_dropout_uses_one_mask_for_every_time_step",), kind="combination"),
    Defect("embedding_dropout_forgets_rescale", "noise", "embedding_dropout",
           "whole rows dropped but the kept rows not scaled by 1/(1-p)",
           caught_by=("test_embedding_dropout_drops_whole_rows_of_the_embedding_matrix",)),
    Defect("stochastic_depth_batch_mode_ignored", "noise", "stochastic_depth",
           "mode='batch' accepted but one decision per sample drawn anyway",
           caught_by=("test_stochastic_depth_follows_its_rule_for_every_pair_of_options",), kind="combination"),
    Defect("stochastic_depth_original_eval_times_p", "noise", "stochastic_depth_original",
           "eval multiplies by the drop probability p instead of the survival probability 1-p",
           caught_by=("test_stochastic_depth_drops_whole_samples_or_the_whole_batch", "test_eval_mode_follows_the_operation_eval_rule")),
    Defect("survival_probabilities_start_at_layer_zero", "noise", "survival_probabilities",
           "layers counted from 0: the first block always survives, the last never reaches p_L",
           caught_by=("test_survival_probabilities_decay_linearly_to_p_last",), kind="edge"),
    Defect("attention_dropout_not_rescaled", "noise", "attention_dropout",
           "attention probabilities dropped without the 1/(1-p) rescale",
           caught_by=("test_attention_dropout_drops_attention_probabilities_and_rescales_survivors",)),
    Defect("dropblock_gamma_ignores_valid_region", "noise", "dropblock2d",
           "seed rate p/b² without the valid-region factor: drops less than p where blocks are large",
           caught_by=("test_dropblock_on_a_block_sized_map_drops_it_with_probability_p",), kind="edge"),
    Defect("adaptive_dropout_keep_read_as_drop", "noise", "adaptive_dropout",
           "per-unit keep probability used as a drop probability",
           caught_by=("test_adaptive_dropout_keeps_each_unit_with_its_own_probability",)),
    # ---------------------------------------------------------------- real-bug shapes (issue 18): augmentation, penalties, optimizers
    Defect("random_vflip_flips_columns", "augmentation", "random_vflip",
           "vertical flip mirrors the width axis instead of the height axis",
           caught_by=("test_flip_mirrors_exactly_the_flipped_images_and_is_an_involution",)),
    Defect("rot90_negative_k_turns_the_wrong_way", "augmentation", "rot90",
           "quarter turns computed as |k| % 4: a negative (clockwise) k turns counterclockwise",
           caught_by=("test_rot90_quarter_turns_form_a_group_of_order_four",), kind="edge"),
    Defect("random_rot90_never_three_turns", "augmentation", "random_rot90",
           "turns drawn from randint(0, 3) = {0, 1, 2}: 270° never happens",
           caught_by=("test_random_rot90_turns_are_uniform",), kind="edge"),
    Defect("rotate_reads_degrees_as_radians", "augmentation", "rotate",
           "angle in degrees passed on as radians",
           caught_by=("test_rotate_by_a_multiple_of_90_degrees_equals_quarter_turns",)),
    Defect("random_rotation_one_sided", "augmentation", "random_rotation",
           "angles from Uniform[0, degrees] instead of Uniform[-degrees, degrees]",
           caught_by=("test_random_parameters_are_uniform_on_their_stated_range",), kind="distribution"),
    Defect("random_scale_assumes_a_range_centred_on_one", "augmentation", "random_scale",
           "zoom range read as symmetric about 1: wrong for any range not centred on 1",
           caught_by=("test_random_parameters_are_uniform_on_their_stated_range",), kind="edge"),
    Defect("random_crop_padding_ignored", "augmentation", "random_crop",
           "padding accepted but never applied: offsets only over the unpadded image",
           caught_by=("test_random_crop_is_the_slice_of_the_padded_image_at_the_returned_offsets",), kind="combination"),
    Defect("color_jitter_contrast_about_zero", "augmentation", "color_jitter",
           "contrast scales pixels about 0 instead of the mean gray level",
           caught_by=("test_color_jitter_stays_in_the_unit_range_and_follows_its_formula",)),
    Defect("cutout_box_anchored_at_the_centre", "augmentation", "cutout",
           "the square starts at the sampled pixel instead of being centred on it",
           caught_by=("test_cutout_box_is_the_size_square_around_a_pixel_clipped_at_the_borders",), kind="edge"),
    Defect("conv2d_flips_the_kernel", "augmentation", "conv2d",
           "a true convolution (kernel flipped) where conv2d is a cross-correlation",
           caught_by=("test_conv2d_equals_the_dense_layer_with_tied_toeplitz_weights",)),
    Defect("fractional_max_pool2d_swaps_the_sample_axes", "augmentation", "fractional_max_pool2d",
           "returned samples name the axes the other way round (0 height, 1 width)",
           caught_by=("test_fractional_max_pool_output_is_the_max_of_the_window_its_samples_select",), kind="layout"),
    Defect("random_erasing_aspect_uniform", "augmentation", "random_erasing",
           "aspect ratio uniform on [r_low, r_high] instead of log-uniform",
           caught_by=("test_random_erasing_aspect_ratio_is_log_uniform",), kind="distribution"),
    Defect("random_erasing_retries_until_a_box_fits", "augmentation", "random_erasing",
           "redraws until a box fits, without a bound: never returns on a 1-pixel-wide image",
           caught_by=("test_random_erasing_finishes_and_erases_nothing_when_no_box_fits",), kind="termination"),
    Defect("elastic_net_half_ignored", "penalties", "elastic_net_penalty",
           "half=True accepted but the L2 part never halved",
           caught_by=("test_penalty_value_and_gradient_match_the_closed_form",)),
    Defect("orthogonality_penalty_forgets_the_identity", "penalties", "orthogonality_penalty",
           "‖WᵀW‖² instead of ‖WᵀW - I‖²: an orthonormal W is penalized",
           caught_by=("test_penalty_value_and_gradient_match_the_closed_form",)),
    Defect("l1_subgradient_step_sign_of_zero_is_one", "penalties", "l1_subgradient_step",
           "sign(0) = 1: weights at exactly 0 are pushed to -lr·λ",
           caught_by=("test_l1_subgradient_step_leaves_zero_weights_at_zero_and_keeps_signed_zeros",), kind="edge"),
    Defect("spectral_norm_ignores_n_power_iterations", "penalties", "spectral_norm",
           "always one power iteration, whatever n_power_iterations says",
           caught_by=("test_spectral_norm_sigma_converges_to_1_at_the_power_iteration_rate",)),
    Defect("clip_grad_value_clamps_only_above", "penalties", "clip_grad_value",
           "clamps only the upper side: large negative gradients pass",
           caught_by=("test_clip_grad_value_clamps_every_entry_into_the_interval",), kind="edge"),
    Defect("sgd_dampening_on_the_first_step", "optimizers", "sgd_step",
           "momentum buffer starts at (1 - dampening)·g instead of g (momentum × dampening × first step)",
           caught_by=("test_sgd_step_follows_torch_optim_for_every_pair_of_options",), kind="combination"),
    Defect("adam_step_without_bias_correction", "optimizers", "adam_step",
           "no bias correction of m and v: the first steps are far too small",
           caught_by=("test_adam_and_adamw_follow_the_reference_update_step_by_step",)),
    Defect("adamw_decay_not_scaled_by_lr", "optimizers", "adamw_step",
           "decoupled decay w(1 - λ) without the learning rate",
           caught_by=("test_adam_and_adamw_follow_the_reference_update_step_by_step",)),
    Defect("grouped_steps_no_decay_ignored", "optimizers", "grouped_steps",
           "no_decay accepted but every parameter decayed",
           caught_by=("test_parameter_group_without_decay_leaves_biases_and_norm_parameters_exactly_as_a_zero_decay_run",)),
    # ---------------------------------------------------------------- real-bug shapes (issue 18): optional arguments, combinations, layouts, value edges, silent acceptance
    Defect("layer_norm_weight_without_bias_drops_the_weight", "normalization", "layer_norm",
           "with a weight but no bias (bias=False) the whole affine step is skipped: the weight is ignored",
           caught_by=("test_normalization_with_gamma_or_beta_left_out_uses_gamma_one_and_beta_zero",), kind="optional"),
    Defect("batch_norm_without_affine_scales_by_zero", "normalization", "batch_norm",
           "a missing weight (affine=False) filled with zeros instead of ones: every output is the bias",
           caught_by=("test_normalization_with_gamma_or_beta_left_out_uses_gamma_one_and_beta_zero",), kind="optional"),
    Defect("label_smoothing_mean_counts_ignored_targets", "label_smoothing", "label_smoothing_cross_entropy",
           "reduction='mean' divides by every target, ignored ones included (ignore_index × mean)",
           caught_by=("test_smoothed_cross_entropy_matches_the_formula_for_every_pair_of_options",), kind="combination"),
    Defect("dropout_flattens_storage_assuming_contiguous", "dropout", "dropout",
           "flattened with as_strided(x, (numel,), (1,)): strided or transposed inputs read the wrong elements",
           caught_by=("test_value_edges_and_layouts_follow_the_structure_and_the_nan_policy",), kind="layout"),
    Defect("dropout_numpy_ravels_in_memory_order", "dropout", "dropout",
           "x.ravel(order='K') reshaped back in C order: a transposed input comes out transposed",
           caught_by=("test_value_edges_and_layouts_follow_the_structure_and_the_nan_policy",), kind="layout"),
    Defect("dropout_sanitizes_nan_inputs", "dropout", "dropout",
           "NaN inputs replaced by 0 before masking: a kept NaN comes out as 0",
           caught_by=("test_value_edges_and_layouts_follow_the_structure_and_the_nan_policy",), kind="edge"),
    Defect("dropout_fails_on_empty_input", "dropout", "dropout",
           "x.abs().max() on the input raises on an empty (0, F) batch",
           caught_by=("test_value_edges_and_layouts_follow_the_structure_and_the_nan_policy",), kind="edge"),
    Defect("early_stopping_counts_before_checking_improvement", "early_stopping", "EarlyStopping",
           "counter incremented and checked before the improvement test: stops on an improving epoch",
           caught_by=("test_early_stopping_stops_exactly_when_the_counter_first_reaches_patience", "test_early_stopping_with_patience_1_stops_at_the_first_non_improvement_keeping_the_state_before_it"), kind="edge"),
    Defect("sgd_nesterov_without_momentum_accepted", "optimizers", "sgd_step",
           "nesterov=True with momentum 0 silently runs plain SGD instead of being rejected",
           caught_by=("test_invalid_parameter_is_rejected_not_silently_used", "test_sgd_step_follows_torch_optim_for_every_pair_of_options"), kind="silent_acceptance"),
    Defect("attention_dropout_clamps_negative_p", "noise", "attention_dropout",
           "p clamped into [0, 1] instead of rejected: p = -0.1 runs as 0",
           caught_by=("test_invalid_parameter_is_rejected_not_silently_used",), kind="silent_acceptance"),
    Defect("gaussian_noise_accepts_infinite_sigma", "noise", "gaussian_noise",
           "only sigma >= 0 checked: sigma = inf accepted, every output ±inf",
           caught_by=("test_invalid_parameter_is_rejected_not_silently_used",), kind="silent_acceptance"),
    Defect("clip_grad_norm_accepts_nan_max_norm", "penalties", "clip_grad_norm",
           "`if max_norm < 0: raise` lets NaN through: every gradient becomes NaN",
           caught_by=("test_invalid_parameter_is_rejected_not_silently_used",), kind="silent_acceptance"),
)


def by_family() -> dict[str, list[Defect]]:
    grouped: dict[str, list[Defect]] = {}
    for defect in CATALOGUE:
        grouped.setdefault(defect.family, []).append(defect)
    return grouped


def matching(failures: Iterable[tuple[str, str, str]]) -> list[Defect]:
    """The catalogued defects whose signature the failures show, without the ones a more specific match explains.

    `failures` holds (property, operation, message) of every failed case. A defect matches when each of its
    symptoms holds for the failures on its operation. A match whose shown symptoms are a strict subset of
    another match's is dropped (the larger pattern names the mistake more precisely); two matches with
    unrelated symptoms are both reported, as two mistakes in one file are.
    """
    by_operation: dict[str, list[tuple[str, str]]] = {}
    for prop, operation, message in failures:
        by_operation.setdefault(operation, []).append((prop, message))
    found: list[Defect] = []
    for operation, shown in by_operation.items():
        candidates = [d for d in CATALOGUE if d.operation == operation and d.signature
                      and all(symptom.holds(shown) for symptom in d.signature)]

        def positive(defect: Defect) -> set[tuple[str, str]]:
            return {(s.property, s.pattern) for s in defect.signature if not s.absent}

        found += [d for d in candidates if not any(positive(d) < positive(other) for other in candidates)]
    return found
