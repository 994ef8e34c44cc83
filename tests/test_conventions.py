"""Conventions are declared, not enforced: a target written to each convention (impls/examples/conventions/)
passes the convention's property when it declares its convention and fails when it declares another one.

The properties (regverify/conformance/test_conventions.py) are deterministic, so calling one directly runs its
Hypothesis examples without spending the suite's random-check budget.
"""

from __future__ import annotations

import importlib
import types

import pytest

from impls.protocol import Target, conventions
from regverify.conformance import test_augmentation as distribution_properties
from regverify.conformance import test_conventions as properties

#: (example module, property, keyword arguments, operation, convention, the value it does *not* follow)
CASES = [
    ("adamw_unscaled_decay", "test_adamw_decoupled_decay_is_scaled_by_lr_or_not_as_declared", {"dtype": "float64"},
     "adamw_step", "decay_scaling", "lr"),
    ("adam_epsilon_hat", "test_adam_epsilon_is_added_after_or_before_the_bias_correction_as_declared",
     {"dtype": "float64", "operation": "adam_step"}, "adam_step", "epsilon", "after_bias_correction"),
    ("sgd_decoupled_decay", "test_sgd_weight_decay_enters_the_momentum_buffer_or_not_as_declared", {"dtype": "float64"},
     "sgd_step", "weight_decay", "coupled"),
    ("clip_per_variable", "test_clip_grad_norm_clips_globally_or_per_variable_as_declared", {"dtype": "float64"},
     "clip_grad_norm", "scope", "global"),
    ("dropout_rejects_p_one", "test_dropout_at_p_1_gives_zeros_or_is_rejected_as_declared", {}, "dropout", "p_one",
     "zeros"),
    ("alpha_dropout_identity_at_p_one", "test_alpha_dropout_at_p_1_follows_the_declared_rule", {}, "alpha_dropout",
     "p_one", "zeros"),
    ("early_stopping_patience_zero_stops", "test_early_stopping_patience_0_follows_the_declared_meaning", {},
     "EarlyStopping", "patience_zero", "never_stop"),
    ("early_stopping_patience_zero_never", "test_early_stopping_patience_0_follows_the_declared_meaning", {},
     "EarlyStopping", "patience_zero", "stop_at_first_non_improvement"),
    ("early_stopping_min_delta_at_least", "test_early_stopping_improvement_of_exactly_min_delta_counts_as_declared", {},
     "EarlyStopping", "min_delta", "exceeds"),
    ("cutmix_uncorrected", "test_cutmix_labels_mix_by_the_pasted_area_or_the_sampled_lambda_as_declared",
     {"dtype": "float64"}, "cutmix", "lam", "corrected"),
    ("class_weights_per_sample", "test_class_weights_act_on_the_smoothing_terms_or_on_the_sample_as_declared",
     {"dtype": "float64"}, "label_smoothing_cross_entropy", "class_weights", "per_class_term"),
    ("binary_smoothing_off_target", "test_binary_label_smoothing_targets_follow_the_declared_formula",
     {"dtype": "float64"}, "binary_label_smoothing_cross_entropy", "smoothing", "uniform"),
    ("stochastic_depth_unscaled", "test_stochastic_depth_scales_kept_branches_as_declared", {"dtype": "float64"},
     "stochastic_depth", "scaling", "inverted"),
    ("stochastic_depth_test_time", "test_stochastic_depth_scales_kept_branches_as_declared", {"dtype": "float64"},
     "stochastic_depth", "scaling", "unscaled"),
    ("dropblock_inverse_keep", "test_dropblock_renormalises_as_declared", {"dtype": "float64"}, "dropblock2d",
     "normalization", "kept_fraction"),
    ("keras_eps_defaults", "test_normalization_default_eps_is_the_declared_one",
     {"dtype": "float64", "operation": "batch_norm"}, "batch_norm", "default_eps", "1e-05"),
    ("keras_eps_defaults", "test_normalization_default_eps_is_the_declared_one",
     {"dtype": "float64", "operation": "layer_norm"}, "layer_norm", "default_eps", "1e-05"),
    ("layer_norm_eps_one_in_a_million", "test_normalization_default_eps_is_the_declared_one",
     {"dtype": "float64", "operation": "layer_norm"}, "layer_norm", "default_eps", "1e-05"),
    ("alpha_dropout_rejects_p_one", "test_alpha_dropout_at_p_1_follows_the_declared_rule", {}, "alpha_dropout",
     "p_one", "zeros"),
    ("random_erasing_aspect_uniform", "test_random_erasing_aspect_ratio_follows_the_declared_law",
     {"dtype": "float32", "operation": "random_erasing"}, "random_erasing", "aspect_ratio", "log_uniform"),
]
IDS = [f"{module}-{operation}.{name}" for module, _, _, operation, name, _ in CASES]


def declaring(module_name: str, operation: str, name: str, value: str | None) -> Target:
    """The example target, or a copy of it that declares `value` for the convention instead of its own."""
    module = importlib.import_module(f"impls.examples.conventions.{module_name}")
    if value is None:
        return Target(module, name=module_name)
    copy = types.ModuleType(f"{module.__name__}_declaring_{value}")
    copy.__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    attribute = f"{operation.upper()}_CONVENTIONS"
    copy.__dict__[attribute] = {**getattr(module, attribute), name: (value,)}
    return Target(copy, name=f"{module_name} declaring {name}={value}")


class _Data:
    """Stands for Hypothesis's st.data() in a direct call: draw() returns the strategy's first example value."""

    def draw(self, strategy, label=None):
        return strategy.example() if not hasattr(strategy, "elements") else strategy.elements[0]


#: One example per property that tells the conventions apart (direct calls of the raw test: no shrinking, cheap).
EXAMPLES = {
    "test_adamw_decoupled_decay_is_scaled_by_lr_or_not_as_declared": {"seed": 3, "lr_exponent": 2, "lam_exponent": 1},
    "test_adam_epsilon_is_added_after_or_before_the_bias_correction_as_declared": {"seed": 3, "lr_exponent": 2, "beta2": 0.99},
    "test_sgd_weight_decay_enters_the_momentum_buffer_or_not_as_declared": {"seed": 3, "lr_exponent": 1, "lam_exponent": 1, "momentum": 0.5},
    "test_clip_grad_norm_clips_globally_or_per_variable_as_declared": {"seed": 3, "data": _Data()},
    "test_early_stopping_patience_0_follows_the_declared_meaning": {"improving": 2, "flat": 3},
    "test_early_stopping_improvement_of_exactly_min_delta_counts_as_declared": {"start": 2.0, "min_delta": 0.5},
    "test_cutmix_labels_mix_by_the_pasted_area_or_the_sampled_lambda_as_declared": {"seed": 3, "side": 5},
    "test_class_weights_act_on_the_smoothing_terms_or_on_the_sample_as_declared": {"seed": 3, "epsilon": 0.3},
    "test_binary_label_smoothing_targets_follow_the_declared_formula": {"seed": 3, "epsilon": 0.2, "data": _Data()},
    "test_stochastic_depth_scales_kept_branches_as_declared": {"seed": 3, "p": 0.5},
    "test_dropblock_renormalises_as_declared": {"seed": 3, "p": 0.4},
    "test_normalization_default_eps_is_the_declared_one": {"seed": 3},
    # A KS test of 1,000-odd boxes at the suite's α: with this fixed seed its outcome is fixed (no flakiness).
    "test_random_erasing_aspect_ratio_follows_the_declared_law": {"seed": 3},
}


def call(prop: str, target: Target, kwargs: dict) -> None:
    """Run a property's body on `target` with its distinguishing example; no device argument where it takes none."""
    import inspect

    function = getattr(properties, prop, None) or getattr(distribution_properties, prop)
    inner = function.hypothesis.inner_test if hasattr(function, "hypothesis") else function
    wanted = inspect.signature(inner).parameters
    inner(target=target, **({"device": "cpu"} if "device" in wanted else {}), **kwargs, **EXAMPLES.get(prop, {}))


@pytest.mark.parametrize(("module", "prop", "kwargs", "operation", "name", "other"), CASES, ids=IDS)
def test_a_target_passes_under_the_convention_it_follows(module, prop, kwargs, operation, name, other):
    target = declaring(module, operation, name, None)
    assert other not in conventions.declared(target, operation, name)
    call(prop, target, kwargs)


@pytest.mark.parametrize(("module", "prop", "kwargs", "operation", "name", "other"), CASES, ids=IDS)
def test_the_same_target_fails_when_it_declares_another_convention(module, prop, kwargs, operation, name, other):
    target = declaring(module, operation, name, other)
    # The property must fail on the convention's rule: an assertion, a pytest.raises that saw no error, or the
    # ValueError of a rejected p = 1 the declaration said would be zeros; never a broken call (TypeError, ...).
    expected = (AssertionError, pytest.fail.Exception, ValueError)
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the kinds are checked below, through ExceptionGroups
        call(prop, target, kwargs)
    error = raised.value
    leaves = list(getattr(error, "exceptions", None) or [error])  # Hypothesis groups distinct failures
    assert all(isinstance(leaf, expected) for leaf in leaves), f"{target.name}: {prop} failed for another reason: {error!r}"


def test_every_convention_value_is_documented_and_a_typo_in_a_declaration_is_an_error():
    for named in conventions.CONVENTIONS.values():
        for convention in named.values():
            assert convention.default == convention.values[0] and set(convention.meaning) == set(convention.values)
    target = Target(types.SimpleNamespace(BACKEND="torch", ADAMW_STEP_CONVENTIONS={"decay_scaling": ("LR",)}),
                    name="typo")
    with pytest.raises(ValueError, match="decay_scaling"):
        conventions.declared(target, "adamw_step", "decay_scaling")


def test_a_property_that_assumes_pytorchs_value_is_not_applicable_to_a_target_declaring_another():
    from regverify.conformance import plugin

    follows = declaring("adamw_unscaled_decay", "adamw_step", "decay_scaling", None)
    requirement = ("convention:adamw_step.decay_scaling=lr",)
    reason = plugin.lacking(follows, "adamw_step", "cpu", requirement)
    assert reason and reason.startswith("not applicable: declares adamw_step.decay_scaling=none"), reason
    pytorch = declaring("adamw_unscaled_decay", "adamw_step", "decay_scaling", "lr")
    assert plugin.lacking(pytorch, "adamw_step", "cpu", requirement) is None
    with pytest.raises(pytest.UsageError, match="unknown convention"):
        plugin.lacking(follows, "adamw_step", "cpu", ("convention:adamw_step.decay=lr",))


def test_only_a_library_target_can_document_findings_and_they_match_cells_by_pattern():
    from regverify.conformance import plugin

    module = types.SimpleNamespace(BACKEND="torch", FINDINGS={"test_x[keras-*-float64]": "why", "op:p=1": "silent"})
    assert plugin._finding_patterns(Target(module, name="keras")) == [("test_x[keras-*-float64]", "why")]
    assert plugin._finding_patterns(Target(module, name="my-module")) == []  # a user's module cannot excuse itself
    assert plugin._matches("test_x[keras-*-float64]", "test_x[keras-batch_norm-cpu-float64]")
    assert not plugin._matches("test_x[keras-*-float64]", "test_x[keras-batch_norm-cpu-float32]")


def test_an_invalid_case_that_a_declared_convention_makes_valid_is_named_with_its_convention():
    stops = declaring("early_stopping_patience_zero_stops", "EarlyStopping", "patience_zero", None)
    assert "patience_zero=stop_at_first_non_improvement" in conventions.makes_valid(stops, "EarlyStopping", "patience=0")
    week6 = declaring("early_stopping_patience_zero_stops", "EarlyStopping", "patience_zero", "rejected")
    assert conventions.makes_valid(week6, "EarlyStopping", "patience=0") is None
    assert conventions.makes_valid(stops, "EarlyStopping", "patience=-2") is None
