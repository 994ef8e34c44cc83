"""Protocol of the normalization family: batch normalization and layer normalization.

Running statistics are passed in and returned, never hidden in module state, so a property can
replay several training steps and compare the running averages with a float64 closed form.

Batch norm has two conventions a lecture, a framework or a user may pick differently:

- ``momentum_convention``: ``"pytorch"`` updates running = (1 - momentum)·running + momentum·batch;
  ``"keras"`` updates running = momentum·running + (1 - momentum)·batch.
- ``var_estimator``: the batch variance that enters the running variance. ``"unbiased"`` (PyTorch)
  uses Σ(x - μ)²/(m - 1); ``"biased"`` (the week-6 lecture's NumPy class) uses Σ(x - μ)²/m.
  Normalization itself always divides by the biased variance: x̂ = (x - μ_B)/sqrt(σ²_B + eps).

A target that implements only some conventions declares it in a module attribute
``BATCH_NORM_CONVENTIONS = {"momentum_convention": (...), "var_estimator": (...)}`` and rejects the
others with ValueError naming the parameter; the suite then reports the missing conventions as
"not implemented" instead of running properties that need them. Without the attribute a target
claims every convention listed in ``BATCH_NORM_CONVENTION_VALUES``.

The affine parameters are optional, as in PyTorch (``affine=False``, ``elementwise_affine=False``,
``bias=False``): a target that accepts ``gamma=None`` (scale 1) and ``beta=None`` (shift 0), separately or
together, declares it in ``OPTIONAL_AFFINE = ("batch_norm", "layer_norm")`` (the operations for which it does).
"""

import math
from typing import Any

import numpy as np

from impls.protocol import Invalid, Operation, register
from impls.protocol.calls import extend

#: Every convention value of batch_norm; a target may declare a subset in BATCH_NORM_CONVENTIONS.
BATCH_NORM_CONVENTION_VALUES = {
    "momentum_convention": ("pytorch", "keras"),
    "var_estimator": ("unbiased", "biased"),
}

register(
    Operation(
        name="batch_norm",
        family="normalization",
        summary="Batch normalization over every axis but the channel axis 1 of (N, C) or (N, C, H, W): "
        "training normalizes with the batch mean and biased variance and updates the running statistics; "
        "eval normalizes with the running statistics.",
        torch_signature="batch_norm(x, gamma | None, beta | None, running_mean, running_var, *, training=True, momentum=0.1, "
        "eps=1e-5, momentum_convention='pytorch', var_estimator='unbiased') "
        "-> (out, {'running_mean': new_running_mean, 'running_var': new_running_var})",
        numpy_signature="batch_norm_forward(x, gamma, beta, running_mean, running_var, *, training=True, "
        "momentum=0.1, eps=1e-5, momentum_convention='pytorch', var_estimator='unbiased') -> (out, cache) with "
        "cache['running_mean'], cache['running_var']; batch_norm_backward(dout, cache) -> (dx, dgamma, dbeta)",
        claims=("BATCHNORM.TRAIN.BATCH_STATS", "BATCHNORM.EVAL.RUNNING_STATS", "BATCHNORM.AFFINE.UNDO"),
    )
)

register(
    Operation(
        name="layer_norm",
        family="normalization",
        summary="Layer normalization over the trailing `normalized_shape` axes of each sample; "
        "the same computation in training and inference.",
        torch_signature="layer_norm(x, normalized_shape, gamma | None, beta | None, *, eps=1e-5) -> out",
        numpy_signature="layer_norm_forward(x, normalized_shape, gamma, beta, *, eps=1e-5) -> (out, cache); "
        "layer_norm_backward(dout, cache) -> (dx, dgamma, dbeta)",
        claims=("LAYERNORM.BATCH_INDEPENDENT",),
    )
)


# ---------------------------------------------------------------- the parameter contract, shared by the references


def check_convention(op: str, name: str, value: object) -> str:
    """One of BATCH_NORM_CONVENTION_VALUES[name], else ValueError naming the parameter, value and choices."""
    allowed = BATCH_NORM_CONVENTION_VALUES[name]
    if value not in allowed:
        raise ValueError(f"{op}: {name} must be one of {', '.join(repr(a) for a in allowed)}, got {value!r}")
    return str(value)


def shapes_of(**arrays: Any) -> dict[str, tuple[int, ...] | None]:
    """The shapes of the per-channel (or per-feature) parameters; None stands for an optional one left out."""
    return {name: None if value is None else tuple(value.shape) for name, value in arrays.items()}


def check_parameter_shape(op: str, name: str, shape: tuple[int, ...] | None, expected: tuple[int, ...]) -> None:
    """`shape` must be `expected`; None (an optional γ or β left out: 1 or 0 of that shape) always fits."""
    if shape is not None and tuple(shape) != tuple(expected):
        raise ValueError(f"{op}: {name} must have shape {tuple(expected)}, got {tuple(shape)}")


def check_batch_norm_shapes(x_shape: tuple[int, ...], training: bool, **parameter_shapes: tuple[int, ...] | None) -> int:
    """Validate x's rank and batch size and every per-channel parameter's shape; return the channel count C."""
    op = "batch_norm"
    if len(x_shape) not in (2, 4):
        raise ValueError(f"{op}: x must have shape (N, C) or (N, C, H, W), got {tuple(x_shape)}")
    channels = x_shape[1]
    values_per_channel = x_shape[0] * (x_shape[2] * x_shape[3] if len(x_shape) == 4 else 1)
    if values_per_channel == 0:
        raise ValueError(f"{op}: x must hold at least one value per channel (N·H·W ≥ 1), got shape {tuple(x_shape)}")
    if training and values_per_channel < 2:
        raise ValueError(
            f"{op}: x must hold at least 2 values per channel in training (N·H·W ≥ 2: a batch variance needs "
            f"two values), got shape {tuple(x_shape)}"
        )
    for name, shape in parameter_shapes.items():
        check_parameter_shape(op, name, shape, (channels,))
    return channels


def check_layer_norm_shapes(
    x_shape: tuple[int, ...], normalized_shape: object, **parameter_shapes: tuple[int, ...] | None
) -> tuple[int, ...]:
    """Validate normalized_shape against x's trailing axes and gamma/beta; return normalized_shape as a tuple."""
    op = "layer_norm"
    if isinstance(normalized_shape, int) and not isinstance(normalized_shape, bool):
        normalized_shape = (normalized_shape,)
    if not isinstance(normalized_shape, (tuple, list)) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in normalized_shape
    ):
        raise TypeError(f"{op}: normalized_shape must be an int or a tuple of ints, got {normalized_shape!r}")
    normalized = tuple(normalized_shape)
    k = len(normalized)
    if k == 0 or len(x_shape) < k or tuple(x_shape[len(x_shape) - k:]) != normalized:
        raise ValueError(
            f"{op}: normalized_shape must be a non-empty tuple equal to x's trailing axes "
            f"(x has shape {tuple(x_shape)}), got {normalized_shape!r}"
        )
    if any(d == 0 for d in normalized):
        raise ValueError(f"{op}: normalized_shape must have positive sizes, got {normalized_shape!r}")
    for name, shape in parameter_shapes.items():
        check_parameter_shape(op, name, shape, normalized)
    return normalized


# ---------------------------------------------------------------- spec tables: invalid input


def _normalization_call(operation: str, *, shape: tuple = (4, 3), param: str | None = None,
                        normalized_shape: tuple = (3,), **keywords: object):
    """One invalid batch_norm/layer_norm call: a shape, a mismatched parameter, or a bad keyword (float64)."""
    names = ("gamma", "beta", "running_mean", "running_var") if operation == "batch_norm" else ("gamma", "beta")

    def call(target):
        x = target.asarray(np.ones(shape), "float64")
        arrays = [target.asarray(np.ones(4 if name == param else 3), "float64") for name in names]
        if operation == "batch_norm":
            return target.call(operation, x, *arrays, **{"training": True, **keywords})
        return target.call(operation, x, normalized_shape, *arrays, **keywords)

    return call


_POSITIVE = "(0.0, inf)"
extend("batch_norm", invalid=(
    *(Invalid("momentum", v, "[0, 1]", _normalization_call("batch_norm", momentum=v)) for v in (-0.1, 1.5, math.nan)),
    *(Invalid("eps", v, _POSITIVE, _normalization_call("batch_norm", eps=v)) for v in (0.0, -1e-5)),
    Invalid("momentum_convention", "tensorflow", "'pytorch', 'keras'",
            _normalization_call("batch_norm", momentum_convention="tensorflow")),
    Invalid("var_estimator", "sample", "'unbiased', 'biased'", _normalization_call("batch_norm", var_estimator="sample")),
    *(Invalid("x", shape, "≥ 2", _normalization_call("batch_norm", shape=shape)) for shape in ((1, 3), (1, 3, 1, 1))),
    Invalid("x", (0, 3), "≥ 1", _normalization_call("batch_norm", shape=(0, 3))),
    *(Invalid(name, (4,), "(3,)", _normalization_call("batch_norm", param=name))
      for name in ("gamma", "beta", "running_mean", "running_var")),
))
extend("layer_norm", invalid=(
    *(Invalid("eps", v, _POSITIVE, _normalization_call("layer_norm", eps=v)) for v in (0.0, -1.0)),
    Invalid("normalized_shape", (4,), "trailing axes", _normalization_call("layer_norm", normalized_shape=(4,))),
    *(Invalid(name, (4,), "(3,)", _normalization_call("layer_norm", param=name)) for name in ("gamma", "beta")),
))


# ---------------------------------------------------------------- signatures and parameter ranges (impls/protocol/parameters.py)

from impls.protocol import parameters as _p  # noqa: E402 - after the operations it describes are registered

_AFFINE = (_p.array("gamma", optional=True), _p.array("beta", optional=True))
_p.declare("batch_norm", _p.array("x"), *_AFFINE, _p.array("running_mean"), _p.array("running_var"),
           _p.flag("training", True), _p.probability("momentum", 0.1), _p.positive("eps", 1e-5),
           *(_p.rule(name, values[0], check_convention) for name, values in BATCH_NORM_CONVENTION_VALUES.items()))
_p.declare("layer_norm", _p.array("x"), _p.free("normalized_shape"), *_AFFINE, _p.positive("eps", 1e-5))
