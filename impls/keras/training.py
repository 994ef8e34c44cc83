"""Keras's training-side regularizers as protocol operations: regularizers L1/L2/L1L2, the MaxNorm
constraint, optimizer clipping (clipnorm, global_clipnorm, clipvalue), SGD/Adam/AdamW steps with their
weight decay, parameter groups through ``exclude_from_weight_decay``, the EarlyStopping callback and
label-smoothed cross-entropy (CategoricalCrossentropy, BinaryCrossentropy).

Optimizers run one ``apply_gradients`` step at a time on a ``keras.Variable`` holding a copy of w, with their
slots (momentum, m, v, iterations) loaded from the protocol's state and read back after the step. Clipping is
read off an SGD(learning_rate=1) step from zero weights: w_new = 0 − 1·clip(g) = −clip(g), exact in floating
point, so the clipped gradients are Keras's own.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import keras
import torch

from impls.keras.layers import _dtype_name, _keras_device

__all__ = [
    "l1_penalty", "l2_penalty", "elastic_net_penalty", "max_norm", "clip_grad_norm", "clip_grad_value",
    "sgd_step", "adam_step", "adamw_step", "grouped_steps", "EarlyStopping", "label_smoothing_cross_entropy",
    "binary_label_smoothing_cross_entropy",
]


# ---------------------------------------------------------------- regularizers and constraints


def l2_penalty(w: torch.Tensor, lam: float, *, half: bool = True) -> torch.Tensor:
    """keras.regularizers.L2(l2): l2·Σw² (no half); the protocol's half=True is L2(λ/2)."""
    return keras.regularizers.L2(lam / 2 if half else lam)(w)


def l1_penalty(w: torch.Tensor, lam: float) -> torch.Tensor:
    """keras.regularizers.L1(l1): l1·Σ|w|."""
    return keras.regularizers.L1(lam)(w)


def elastic_net_penalty(w: torch.Tensor, l1: float, l2: float, *, half: bool = False) -> torch.Tensor:
    """keras.regularizers.L1L2(l1, l2): l1·Σ|w| + l2·Σw²; half=True passes l2/2."""
    return keras.regularizers.L1L2(l1=l1, l2=l2 / 2 if half else l2)(w)


def max_norm(w: torch.Tensor, c: float, *, dim: int = 0) -> torch.Tensor:
    """keras.constraints.MaxNorm(max_value=c, axis=every axis but `dim`): Keras's axis names the axes the norm
    runs over (a Dense kernel (in, out) uses axis=0 to bound each output unit); the protocol's dim names the units."""
    if not -w.dim() <= dim < max(w.dim(), 1):
        raise ValueError(f"max_norm: dim must be in [{-w.dim()}, {w.dim() - 1}], got {dim}")
    unit_axis = dim % w.dim()
    axes = [a for a in range(w.dim()) if a != unit_axis]
    return keras.constraints.MaxNorm(max_value=c, axis=axes)(w)


# ---------------------------------------------------------------- optimizers, one step at a time


def _variable(value: torch.Tensor, name: str = "w") -> keras.Variable:
    return keras.Variable(value.detach().clone(), dtype=_dtype_name(value), name=name)


def _clipped(grads: Sequence[torch.Tensor], **clipping: float) -> list[torch.Tensor]:
    """Keras's clipped gradients: one SGD(learning_rate=1, **clipping) step from zero weights gives −clip(g)."""
    with keras.device(_keras_device(grads[0])):
        variables = [_variable(torch.zeros_like(g), f"g{i}") for i, g in enumerate(grads)]
        optimizer = keras.optimizers.SGD(learning_rate=1.0, **clipping)
        optimizer.apply_gradients(zip([g.detach().clone() for g in grads], variables, strict=True))
        return [-v.value.detach().clone() for v in variables]


def clip_grad_norm(grads: Sequence[torch.Tensor], max_norm: float, *, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, scope: str = "global") -> tuple[list[torch.Tensor], torch.Tensor]:
    """Keras optimizer clipping: scope="global" is global_clipnorm (all gradients by one norm), "per_variable"
    is clipnorm (each by its own). Keras clips the L2 norm only and never raises on a non-finite norm. The
    returned total norm is the L2 norm of all gradients, computed here (Keras does not return it)."""
    if norm_type != 2.0:
        raise ValueError(f"clip_grad_norm: keras clips the L2 norm only (norm_type=2.0), got norm_type={norm_type!r}")
    if error_if_nonfinite:
        raise ValueError("clip_grad_norm: keras has no error_if_nonfinite option (error_if_nonfinite must be False)")
    if scope not in ("global", "per_variable"):
        raise ValueError(f"clip_grad_norm: scope must be one of ('global', 'per_variable'), got {scope!r}")
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach()) for g in grads]))
    clipping = {"global_clipnorm": max_norm} if scope == "global" else {"clipnorm": max_norm}
    return _clipped(grads, **clipping), total


def clip_grad_value(grads: Sequence[torch.Tensor], clip_value: float) -> list[torch.Tensor]:
    """Keras optimizer clipvalue: every entry clipped into [−clip_value, clip_value]."""
    return _clipped(grads, clipvalue=clip_value)


def _one_step(optimizer: keras.optimizers.Optimizer, w: torch.Tensor, grad: torch.Tensor,
              slots: dict[str, torch.Tensor | None], iterations: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Build the optimizer on w, load its slots and iteration count, apply one step, read everything back."""
    with keras.device(_keras_device(w)):
        variable = _variable(w)
        optimizer.build([variable])
        optimizer.iterations.assign(iterations)
        held = {name: getattr(optimizer, attribute)[0] for name, attribute in
                (("momentum", "momentums"), ("exp_avg", "_momentums"), ("exp_avg_sq", "_velocities"))
                if name in slots and getattr(optimizer, attribute, None)}
        for name, value in slots.items():
            if value is not None and name in held:
                held[name].assign(value.detach().clone())
        optimizer.apply_gradients([(grad.detach().clone(), variable)])
        return variable.value.detach().clone(), {name: slot.value.detach().clone() for name, slot in held.items()}


def sgd_step(w: torch.Tensor, grad: torch.Tensor, lr: float, *, weight_decay: float = 0.0, momentum: float = 0.0,
             dampening: float = 0.0, nesterov: bool = False, buffer: torch.Tensor | None = None,
             ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """keras.optimizers.SGD(learning_rate=lr, momentum, nesterov, weight_decay) one step.

    Keras's decay is decoupled (w − lr·λ·w before the step) and its momentum slot m = μm − lr·g holds
    −lr times torch's buffer b = μb + g; the protocol's buffer is torch's, so it is loaded as −lr·b and read
    back as −m/lr. Keras has no dampening."""
    if dampening != 0.0:
        raise ValueError(f"sgd_step: keras SGD has no dampening (dampening must be 0.0), got {dampening!r}")
    optimizer = keras.optimizers.SGD(learning_rate=lr, momentum=momentum, nesterov=nesterov,
                                     **({"weight_decay": weight_decay} if weight_decay else {}))
    slot = None if buffer is None else -lr * buffer
    w_new, held = _one_step(optimizer, w, grad, {"momentum": slot}, 0)
    if momentum == 0.0:
        return w_new, None
    return w_new, -held["momentum"] / lr


def _adam_state(state: dict | None) -> tuple[dict[str, torch.Tensor | None], int]:
    if state is None:
        return {"exp_avg": None, "exp_avg_sq": None}, 0
    return {"exp_avg": state["exp_avg"], "exp_avg_sq": state["exp_avg_sq"]}, int(state["step"])


def _adam_like(cls: type, w: torch.Tensor, grad: torch.Tensor, lr: float, betas: tuple[float, float], eps: float,
               weight_decay: float | None, state: dict | None) -> tuple[torch.Tensor, dict]:
    beta_1, beta_2 = betas
    # AdamW's own default is weight_decay=0.004: pass the protocol's value always (None: Adam, no decay).
    decay = {} if weight_decay is None else {"weight_decay": float(weight_decay)}
    optimizer = cls(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, epsilon=eps, **decay)
    slots, step = _adam_state(state)
    w_new, held = _one_step(optimizer, w, grad, slots, step)
    return w_new, {"step": step + 1, "exp_avg": held["exp_avg"], "exp_avg_sq": held["exp_avg_sq"]}


def adam_step(w: torch.Tensor, grad: torch.Tensor, lr: float = 1e-3, *, betas: tuple[float, float] = (0.9, 0.999),
              eps: float = 1e-8, weight_decay: float = 0.0, state: dict | None = None) -> tuple[torch.Tensor, dict]:
    """keras.optimizers.Adam one step. Keras's own Adam(weight_decay=) is decoupled (that is AdamW); the coupled
    L2 of the protocol is how a Keras user writes it: a keras.regularizers.L2(λ/2) whose gradient λw joins the loss's."""
    if weight_decay:
        leaf = w.detach().clone().requires_grad_(True)
        (penalty_gradient,) = torch.autograd.grad(keras.regularizers.L2(weight_decay / 2)(leaf), leaf)
        grad = grad + penalty_gradient
    return _adam_like(keras.optimizers.Adam, w, grad, lr, betas, eps, None, state)


def adamw_step(w: torch.Tensor, grad: torch.Tensor, lr: float = 1e-3, *, betas: tuple[float, float] = (0.9, 0.999),
               eps: float = 1e-8, weight_decay: float = 1e-2, state: dict | None = None) -> tuple[torch.Tensor, dict]:
    """keras.optimizers.AdamW(weight_decay=λ) one step: w − lr·λ·w, then Adam with ε̂."""
    return _adam_like(keras.optimizers.AdamW, w, grad, lr, betas, eps, weight_decay, state)


def grouped_steps(params: dict[str, torch.Tensor], grads: Sequence[dict[str, torch.Tensor]], *, optimizer: str,
                  lr: float, weight_decay: float, no_decay: Sequence[str] = ()) -> dict[str, torch.Tensor]:
    """One Keras optimizer with weight_decay over every variable, `no_decay` excluded through
    optimizer.exclude_from_weight_decay(var_list=...) (Keras's way of exempting biases and norm parameters).

    Keras's "adam" with weight decay is decoupled, as its "adamw"."""
    classes = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW}
    first = next(iter(params.values()))
    with keras.device(_keras_device(first)):
        variables = {name: _variable(value, name.replace(".", "_")) for name, value in params.items()}
        decay = {"weight_decay": float(weight_decay)} if weight_decay or optimizer == "adamw" else {}
        engine = classes[optimizer](learning_rate=lr, **decay)
        engine.exclude_from_weight_decay(var_list=[variables[name] for name in no_decay])
        for grad in grads:
            engine.apply_gradients([(grad[name].detach().clone(), variables[name]) for name in params])
        return {name: variable.value.detach().clone() for name, variable in variables.items()}


# ---------------------------------------------------------------- early stopping


class _Model:
    """What keras.callbacks.EarlyStopping needs of a model: get_weights/set_weights and stop_training.

    get_weights returns a deep copy of the live training state, as Keras's Model.get_weights returns copies."""

    def __init__(self) -> None:
        self.state: Any = None
        self.stop_training = False

    def get_weights(self) -> list[Any]:
        # A list, as Model.get_weights returns: Keras tests `best_weights is None` to mean "never saved".
        return [copy.deepcopy(self.state)]

    def set_weights(self, weights: list[Any]) -> None:
        self.state = weights[0]


class EarlyStopping:
    """keras.callbacks.EarlyStopping(monitor="val_loss", patience, min_delta, mode, restore_best_weights), driven
    epoch by epoch through on_epoch_end; step(metric, state) returns the model's stop_training flag."""

    def __init__(self, patience: int, *, min_delta: float = 0.0, mode: str = "min", restore_best: bool = True) -> None:
        self._model = _Model()
        self._callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                                       mode=mode, restore_best_weights=restore_best)
        self._callback.set_model(self._model)
        self._callback.on_train_begin()
        self._epoch = 0

    def step(self, metric: float, state: Any) -> bool:
        self._model.state = state
        self._callback.on_epoch_end(self._epoch, {"val_loss": metric})
        self._epoch += 1
        return bool(self._model.stop_training)

    @property
    def best_metric(self) -> float:
        return float(self._callback.best)

    @property
    def best_epoch(self) -> int:
        return int(self._callback.best_epoch)

    @property
    def best_state(self) -> Any:
        saved = self._callback.best_weights
        return None if saved is None else saved[0]


# ---------------------------------------------------------------- label-smoothed cross-entropy


def label_smoothing_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, epsilon: float, *,
                                  convention: str = "uniform", reduction: str = "mean",
                                  weight: torch.Tensor | None = None, ignore_index: int = -100) -> torch.Tensor:
    """keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=ε, axis=class axis).

    Index targets become one-hot rows (keras.ops.one_hot); per-class weights become Keras's class weights,
    the sample weight w[target] (Keras has no per-class loss weights); ignored targets get sample weight 0.
    'mean' is Keras's sum_over_batch_size (divides by the sample count). The off-target convention ε/(K-1)
    is uniform smoothing with ε·K/(K-1)."""
    class_axis = 1 if logits.dim() >= 2 else 0
    num_classes = logits.shape[class_axis]
    if convention == "off_target":
        if num_classes < 2:
            raise ValueError(f"label_smoothing_cross_entropy: num_classes must be ≥ 2 for convention='off_target', "
                             f"got {num_classes}")
        smoothing = epsilon * num_classes / (num_classes - 1)
    elif convention == "uniform":
        smoothing = epsilon
    else:
        raise ValueError(f"label_smoothing_cross_entropy: convention must be one of ('uniform', 'off_target'), "
                         f"got {convention!r}")
    reductions = {"mean": "sum_over_batch_size", "sum": "sum", "none": None}
    if reduction not in reductions:
        raise ValueError(f"label_smoothing_cross_entropy: reduction must be one of {tuple(reductions)}, got {reduction!r}")
    sample_weight = None
    if targets.is_floating_point():
        probabilities = targets
        if weight is not None:  # Keras's class_weight reads the class of a one-hot (or soft) target as its argmax
            sample_weight = weight[targets.argmax(dim=class_axis)]
    else:
        kept = targets != ignore_index
        index = torch.where(kept, targets, torch.zeros_like(targets))
        probabilities = keras.ops.one_hot(index, num_classes, axis=class_axis, dtype=_dtype_name(logits))
        if weight is not None or not bool(kept.all()):
            per_sample = torch.ones_like(index, dtype=logits.dtype) if weight is None else weight[index]
            sample_weight = torch.where(kept, per_sample, torch.zeros_like(per_sample))
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing, axis=class_axis,
                                                reduction=reductions[reduction], dtype=_dtype_name(logits))
    with keras.device(_keras_device(logits)):
        return loss(probabilities, logits, sample_weight=sample_weight)


def binary_label_smoothing_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, epsilon: float, *,
                                         convention: str = "uniform", reduction: str = "mean") -> torch.Tensor:
    """keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=ε): targets y(1-ε) + ε/2."""
    if convention != "uniform":
        raise ValueError(f"binary_label_smoothing_cross_entropy: keras implements only convention='uniform', "
                         f"got {convention!r}")
    reductions = {"mean": "sum_over_batch_size", "sum": "sum", "none": None}
    if reduction not in reductions:
        raise ValueError(f"binary_label_smoothing_cross_entropy: reduction must be one of {tuple(reductions)}, "
                         f"got {reduction!r}")
    loss = keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=epsilon, reduction=reductions[reduction],
                                           dtype=_dtype_name(logits))
    # Keras averages the last axis into one loss per sample; a trailing axis of 1 keeps one loss per element.
    with keras.device(_keras_device(logits)):
        return loss(targets.unsqueeze(-1), logits.unsqueeze(-1))
