"""Adapters to Keras 3 on its torch backend: the regularizers a Keras user calls, through the operation specs.

Install: ``pip install 'regverify[keras]'`` (keras ≥ 3 beside the pinned CPU torch; it pulls no other torch).
The adapter sets ``KERAS_BACKEND=torch`` before Keras is first imported; a process that already imported
Keras on another backend cannot load this target (TargetLoadError names the backend).

Randomness: every Keras layer used here is built with an integer ``seed`` drawn from the caller's
``torch.Generator``; Keras then draws from a fresh ``torch.Generator`` of its own seeded with it (its torch
backend's ``torch_seed_generator``), so no global RNG is read or changed. The noise a layer drew is exposed by
replaying a fresh layer with the same seed on ones (or zeros, for additive noise).

Conventions Keras chooses (impls/protocol/conventions.py): batch-norm momentum "keras" with the biased
variance and ε = 1e-3, layer-norm ε = 1e-3, SGD weight decay and Adam's weight decay decoupled (applied as
w − lr·λ·w before the step), Adam's ε before the bias correction (ε̂), clipnorm per variable and
global_clipnorm over all, early stopping's patience = 0 stops at the first non-improving epoch, class weights
as sample weights w[y] with the mean over the sample count.
"""

from __future__ import annotations

import os
import sys

if "keras" in sys.modules:
    _backend = sys.modules["keras"].backend.backend()
    if _backend != "torch":
        raise ImportError(f"keras was already imported with backend {_backend!r}; the keras target needs the torch "
                          "backend (start a fresh process: the adapter sets KERAS_BACKEND=torch itself)")
else:
    os.environ["KERAS_BACKEND"] = "torch"

import keras  # noqa: E402

if keras.backend.backend() != "torch":  # pragma: no cover - guarded above
    raise ImportError(f"keras backend is {keras.backend.backend()!r}, expected 'torch'")

BACKEND = "torch"
NAME = "keras"
VERSION = keras.__version__
#: Keras layers run in float32, float64, float16 and bfloat16 on the torch backend.
DTYPES = ("float16", "bfloat16", "float32", "float64")

from impls.keras.layers import *  # noqa: E402,F401,F403
from impls.keras.layers import __all__ as _layers_all  # noqa: E402
from impls.keras.training import *  # noqa: E402,F401,F403
from impls.keras.training import __all__ as _training_all  # noqa: E402

#: The conventions Keras declares, operation by operation (read by Target.declared_conventions).
BATCH_NORM_CONVENTIONS = {"momentum_convention": ("keras",), "var_estimator": ("biased",), "default_eps": ("0.001",)}
LAYER_NORM_CONVENTIONS = {"default_eps": ("0.001",)}
DROPOUT_CONVENTIONS = {"p_one": ("zeros",)}
SGD_STEP_CONVENTIONS = {"weight_decay": ("decoupled",)}
SGD_STEP_DAMPENING = False  # keras.optimizers.SGD has no dampening
ADAM_STEP_CONVENTIONS = {"epsilon": ("before_bias_correction",)}
ADAMW_STEP_CONVENTIONS = {"decay_scaling": ("lr",), "epsilon": ("before_bias_correction",)}
CLIP_GRAD_NORM_CONVENTIONS = {"scope": ("global", "per_variable"), "nonfinite": ("all_nan",)}
CLIP_GRAD_NORM_NORM_TYPES = (2.0,)  # Keras clips the L2 norm only
CLIP_GRAD_NORM_ERROR_IF_NONFINITE = False  # and has no error_if_nonfinite option
EARLYSTOPPING_CONVENTIONS = {"patience_zero": ("stop_at_first_non_improvement",), "min_delta": ("exceeds",)}
LABEL_SMOOTHING_CROSS_ENTROPY_CONVENTIONS = {"class_weights": ("per_sample",), "weighted_mean": ("count",),
                                             "smoothing": ("uniform", "off_target")}
BINARY_LABEL_SMOOTHING_CROSS_ENTROPY_CONVENTIONS = {"smoothing": ("uniform",)}

#: Deviations of Keras from the theory or from its own documentation, found by the suite (see the report).
#: Keys: "operation:parameter=value" (an invalid call accepted silently) or "property" / "property::operation"
#: (a property that fails for a documented reason). Each is an expected failure: if Keras fixes it, the cell
#: passes unexpectedly and the suite says so.
FINDINGS: dict[str, str] = {
    # ---- invalid arguments accepted silently (what came back is in each cell's message)
    **{f"label_smoothing_cross_entropy:epsilon={v}": "keras.losses.CategoricalCrossentropy(label_smoothing=...) documents "
       "'Float in [0, 1]' but never checks it; the targets (1-ε)y + ε/K stop being a distribution"
       for v in ("-0.1", "1.5", "nan", "inf", "None")},
    "test_invalid_parameter_is_rejected_not_silently_used[keras-gaussian_dropout-p=1.0]":
        "keras.layers.GaussianDropout(rate=1.0) is accepted by its constructor (0 ≤ rate ≤ 1), but its noise variance "
        "rate/(1-rate) is infinite: the call raises ZeroDivisionError in math.sqrt(rate / (1.0 - rate)) instead of a "
        "ValueError naming rate",
    **{f"EarlyStopping:patience={v}": "keras.callbacks.EarlyStopping never validates patience (wait >= patience is "
       "compared as given)" for v in ("-2", "1.5", "True", "'3'")},
    **{f"EarlyStopping:min_delta={v}": "keras.callbacks.EarlyStopping stores abs(min_delta) unchecked: a negative "
       "min_delta silently becomes positive, nan makes no epoch an improvement, inf likewise" for v in ("-0.25", "nan", "inf")},
    **{f"EarlyStopping:mode={v}": "keras.callbacks.EarlyStopping warns and falls back to mode='auto' for an unknown mode "
       "instead of raising" for v in ("'mean'", "'MIN'", "None")},
    **{f"batch_norm:momentum={v}": "keras.layers.BatchNormalization never validates momentum: the moving average "
       "m·running + (1-m)·batch extrapolates outside [0, 1]" for v in ("-0.1", "1.5", "nan")},
    **{f"batch_norm:eps={v}": "keras.layers.BatchNormalization accepts epsilon ≤ 0 (rsqrt of var + eps may be infinite)"
       for v in ("0.0", "-1e-05")},
    **{f"batch_norm:x={v}": "keras.layers.BatchNormalization normalizes a batch with < 2 values per channel in training "
       "(variance 0: the output is beta, the moving variance moves toward 0)" for v in ("(1, 3)", "(1, 3, 1, 1)", "(0, 3)")},
    **{f"layer_norm:eps={v}": "keras.layers.LayerNormalization accepts epsilon ≤ 0" for v in ("0.0", "-1.0")},
    **{f"max_norm:c={v}": "keras.constraints.MaxNorm accepts max_value ≤ 0 (clip(norms, 0, c) with c ≤ 0 zeroes or "
       "flips every unit)" for v in ("0.0", "-1.0")},
    "clip_grad_norm:max_norm=-1.0": "Keras optimizers ignore global_clipnorm ≤ 0 (`if self.global_clipnorm and "
                                    "self.global_clipnorm > 0`): gradients pass unclipped, no error",
    "clip_grad_value:clip_value=-1.0": "Keras optimizers ignore clipvalue ≤ 0 (`if self.clipvalue and self.clipvalue > 0`)",
    "clip_grad_norm:max_norm=nan": "Keras optimizers accept global_clipnorm=nan: `nan > 0` is False, so the gradients "
                                   "pass unclipped, no error",
    "clip_grad_value:clip_value=nan": "Keras optimizers accept clipvalue=nan and skip clipping (`nan > 0` is False)",
    "sgd_step:nesterov=True": "keras.optimizers.SGD(nesterov=True, momentum=0) is accepted (plain SGD), where a Nesterov "
                              "step needs momentum > 0 (torch.optim.SGD raises)",
    "adam_step:eps=-1e-08": "keras.optimizers.Adam accepts epsilon < 0 (√v + ε may vanish: the step divides by zero)",
    "sgd_step:lr=-0.1": "keras.optimizers.SGD accepts a negative learning_rate (gradient ascent)",
    "sgd_step:weight_decay=-1.0": "keras.optimizers.SGD accepts a negative weight_decay (weights grow)",
    "adam_step:lr=-0.001": "keras.optimizers.Adam accepts a negative learning_rate",
    **{f"adam_step:betas[{i}]={v}": "keras.optimizers.Adam accepts beta outside [0, 1) (β = 1 divides by zero in the "
       "bias correction)" for i, v in ((0, "1.0"), (0, "-0.1"), (1, "1.0"))},
    "adamw_step:weight_decay=-0.01": "keras.optimizers.AdamW accepts a negative weight_decay",
    "adamw_step:betas[1]=1.5": "keras.optimizers.AdamW accepts beta_2 = 1.5 (√(1 − β₂ᵗ) is NaN)",
    # ---- properties that fail for a documented reason (each cell's message has the numbers)
    **{f"{prop}[keras-cpu-{dtype}]": "keras.layers.GaussianNoise rejects stddev > 1 ('Expected a float value between 0 "
       "and 1'), though its docs call stddev the noise's standard deviation, which has no upper bound"
       for prop, dtypes in (("test_gaussian_noise_output_is_input_plus_the_returned_noise_and_eval_is_the_identity",
                             ("float16", "bfloat16", "float32", "float64")),
                            ("test_gaussian_noise_is_centred_with_variance_sigma_squared", ("float32", "float64")),
                            ("test_gaussian_noise_has_mean_zero_and_variance_std_squared", ("float32",)),
                            ("test_gaussian_noise_is_normal_not_only_in_mean_and_variance", ("float32", "float64")))
       for dtype in dtypes},
    **{f"{prop}[keras-{op}cpu{dtype}]": "keras.layers.AlphaDropout(rate=1.0) is accepted by its constructor "
       "(0 ≤ rate ≤ 1) and its call raises ZeroDivisionError: ((1 - rate)·(1 + rate·α'²)) ** -0.5 at rate 1"
       # Any cell of the affine-map property whose examples draw p = 1 (which cells do depends on the draws).
       for prop, op, dtype in (("test_alpha_dropout_at_p_1_follows_the_declared_rule", "", ""),
                               ("test_alpha_dropout_is_the_affine_selu_map_on_its_mask_and_eval_is_the_identity",
                                "*", "*"))},
    **{f"{prop}[keras-cpu-{dtype}]": "keras.losses.categorical_crossentropy(label_smoothing=ε, axis=1) reads the class "
       "count K from the last axis (ops.shape(y_true)[-1]), not from `axis`: on (N, K, L) logits it smooths with ε/L "
       "instead of ε/K (the historical Keras bug is still in Keras 3)"
       for prop, dtypes in (("test_smoothed_cross_entropy_equals_the_documented_formula_for_every_option",
                             ("float16", "bfloat16", "float32", "float64")),
                            ("test_smoothed_cross_entropy_logit_gradient_is_softmax_minus_smoothed_target",
                             ("float16", "bfloat16", "float32", "float64")),
                            ("test_smoothed_cross_entropy_gradient_matches_central_differences", ("float64",)),
                            ("test_smoothed_cross_entropy_passes_torch_gradcheck", ("float64",)))
       for dtype in dtypes},
    # Every (N, K, L) row: which rows' drawn examples show it depends on the draws.
    "test_smoothed_cross_entropy_matches_the_formula_for_every_pair_of_options[keras-cpu-*layout=spatial]":
        "keras.losses.categorical_crossentropy(label_smoothing=ε, axis=1) reads K from the last axis, not `axis` (ε/L "
        "instead of ε/K on (N, K, L) logits)",
    "test_normalization_is_invariant_to_shift_and_positive_scale_up_to_the_eps_effect[keras-*]":
        "keras.ops.moments (batch and layer normalization) computes the variance as E[x²] − E[x]² (its source: "
        "'faster but less numerically stable'): under a shift b = ±100 of a batch of 2 the float32 variance loses "
        "digits to cancellation, and the normalized output moves by 1.7× the bound a two-pass variance meets; in "
        "float64 the layers also compute in float32",
    **{f"test_smoothed_cross_entropy_matches_the_formula_for_every_pair_of_options[keras-cpu-{row}]":
       "keras.losses.categorical_crossentropy(label_smoothing=ε, axis=1) reads K from the last axis, not `axis` (ε/L "
       "instead of ε/K on (N, K, L) logits); and in float64 a reduced Keras loss comes back in float32 "
       "(CategoricalCrossentropy(dtype='float64')(y, z) is a float32 tensor), errors ~1e-8 against a bound ~1e-15"
       for row in ("float16-weighted=False,ignore_index=-100,reduction=none,convention=uniform,layout=spatial",
                   "bfloat16-weighted=True,ignore_index=-100,reduction=mean,convention=uniform,layout=spatial",
                   "bfloat16-weighted=True,ignore_index=0,reduction=sum,convention=uniform,layout=spatial",
                   "float32-weighted=True,ignore_index=-100,reduction=mean,convention=uniform,layout=spatial",
                   "float32-weighted=True,ignore_index=0,reduction=sum,convention=uniform,layout=spatial",
                   "float64-weighted=False,ignore_index=0,reduction=mean,convention=off_target,layout=spatial",
                   "float64-weighted=True,ignore_index=-100,reduction=mean,convention=uniform,layout=spatial",
                   "float64-weighted=True,ignore_index=0,reduction=sum,convention=uniform,layout=spatial",
                   "float64-weighted=False,ignore_index=-100,reduction=mean,convention=uniform,layout=batched")},
    **{f"{prop}[keras-{op}-cpu-float64]": "keras.layers.BatchNormalization/LayerNormalization(dtype='float64') compute in "
       "float32: call() casts to backend.result_type(inputs.dtype, 'float32'), which is float32 for float64 inputs, "
       "and casts the result back, so float64 outputs and gradients carry float32 rounding (errors ~1e-7, bounds ~1e-14)"
       for prop, op in (("test_normalization_matches_the_float64_closed_form", "batch_norm"),
                        ("test_gamma_and_beta_act_as_an_affine_map_on_the_normalized_output", "batch_norm"),
                        ("test_normalization_is_invariant_to_shift_and_positive_scale_up_to_the_eps_effect", "batch_norm"),
                        ("test_backward_matches_central_differences", "batch_norm"),
                        ("test_backward_matches_central_differences", "layer_norm"),
                        ("test_torch_targets_pass_gradcheck", "batch_norm"),
                        ("test_torch_targets_pass_gradcheck", "layer_norm"),
                        ("test_normalization_stays_accurate_when_the_mean_dwarfs_the_std", "batch_norm"),
                        ("test_normalization_stays_accurate_when_the_mean_dwarfs_the_std", "layer_norm"),
                        ("test_normalization_matches_the_float64_closed_form", "layer_norm"),
                        ("test_gamma_and_beta_act_as_an_affine_map_on_the_normalized_output", "layer_norm"),
                        ("test_normalization_is_invariant_to_shift_and_positive_scale_up_to_the_eps_effect",
                         "layer_norm"))},
    **{f"{prop}[keras-cpu-float64]": "keras.layers.BatchNormalization(dtype='float64') computes in float32 (see above)"
       for prop in ("test_batch_norm_training_output_has_zero_mean_and_variance_sigma2_over_sigma2_plus_eps",
                    "test_batch_norm_gamma_sqrt_var_plus_eps_and_beta_mean_undo_the_normalization",
                    "test_batch_norm_eval_normalizes_with_the_running_statistics_and_keeps_them",
                    "test_batch_norm_training_output_of_a_sample_depends_on_the_others",
                    "test_batch_norm_running_statistics_follow_the_update_rule",
                    "test_backward_after_eval_matches_central_differences",
                    "test_batch_norm_normalizes_each_batch_with_its_own_statistics",
                    "test_batch_norm_input_gradient_sums_to_zero_over_each_channel")},
    "test_batch_norm_running_statistics_follow_the_update_rule[keras-cpu-float32]":
        "keras's torch backend computes the batch variance as E[x²] − E[x]² (ops.moments), which cancels: the moving "
        "variance after 2 steps is off by 1.9× the rounding bound of the two-pass variance",
    "test_normalization_stays_accurate_when_the_mean_dwarfs_the_std[keras-batch_norm-cpu-float32]":
        "keras's batch variance E[x²] − E[x]² loses every digit when the mean dwarfs the std (ops.moments, torch backend)",
    # In float64 every drawn case shows it; in float32 the factor 1 − 1e-7/n is an ulp or less, so whether a cell
    # shows it depends on the norms its examples draw (seen with 10 examples a cell: 0.8073013 for 0.8073014).
    "test_max_norm_keeps_inside_units_bitwise_and_projects_outside_units_onto_the_sphere[keras-*]":
        "keras.constraints.MaxNorm multiplies every unit by clip(n, 0, c)/(n + 1e-7), so units already inside the ball "
        "shrink by n/(n + 1e-7) instead of staying unchanged (the projection onto the ball)",
    **{f"test_clip_grad_norm_is_a_bitwise_no_op_below_the_threshold[keras-cpu-{dtype}]":
       "Keras's global_clipnorm scales by c·min(1/‖g‖, 1/c) even below the threshold, and c·(1/c) is not 1 in floating "
       "point (c = 9.677: the gradients move by an ulp), where clipping below the threshold is the identity"
       for dtype in ("float16", "bfloat16", "float32", "float64")},
    "test_clip_grad_norm_scales_by_min_1_threshold_over_norm_and_bounds_the_norm[keras-cpu-float64]":
        "Keras's global_clipnorm forms its scale c·min(1/‖g‖, 1/c) from Python floats turned into float32 tensors "
        "(floatx), so float64 gradients are scaled by a float32-rounded factor: with c = 2‖g‖ the gradients change by "
        "6e-8 relative (the bound is 4e-8, derived for float64 arithmetic) instead of staying as they are",
    **{f"test_clip_grad_value_clamps_every_entry_into_the_interval[keras-cpu-{dtype}]":
       "Keras optimizers treat clipvalue=0 as 'not set' (`if self.clipvalue and self.clipvalue > 0`): the gradients pass "
       "unclipped instead of becoming 0, though the docs say 'If set, the gradient of each weight is clipped'"
       for dtype in ("float16", "bfloat16", "float32", "float64")},
}

__all__ = sorted(set(_layers_all) | set(_training_all))
