"""Protocol of the penalties family: norm penalties, proximal and constraint maps, clipping, optimizer steps.

Penalties are differentiable: torch targets return a 0-d tensor (autograd gives the gradient), numpy
targets provide ``<op>_forward(...) -> (value, cache)`` and ``<op>_backward(dout, cache) -> dw``.
Everything else is a plain function ``op(...)`` with the same name and arguments in both backends,
returning new arrays (never writing into its inputs). Conventions: ``l2_penalty(half=True)`` is
(λ/2)‖w‖² (torch.optim's weight_decay=λ), half=False is λ‖w‖²; sign(0) = 0 in L1 subgradients;
``max_norm``'s ``dim`` indexes units (torch.renorm's convention); optimizer steps follow torch.optim's
update order and return ``(w_new, state)``.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from impls.protocol import Invalid, Operation, register
from impls.protocol.calls import BAD, Array, extend, template_call


def _penalty(name: str, summary: str, args: str, claims: tuple[str, ...]) -> None:
    register(Operation(
        name=name, family="penalties", summary=summary,
        torch_signature=f"{name}({args}) -> value (0-d tensor)",
        numpy_signature=f"{name}_forward({args}) -> (value, cache); {name}_backward(dout, cache) -> dw",
        claims=claims,
    ))


def _plain(name: str, summary: str, signature: str, claims: tuple[str, ...] = (), stochastic: bool = False,
           family: str = "penalties") -> None:
    register(Operation(name=name, family=family, summary=summary, torch_signature=signature,
                       numpy_signature=signature, stochastic=stochastic, claims=claims))


_penalty("l2_penalty", "(λ/2)‖w‖² (half=True, gradient λw) or λ‖w‖² (half=False, gradient 2λw).",
         "w, lam, *, half=True", ("L2.SHRINK", "WEIGHT_DECAY.PENALTY.NO_HALF", "WEIGHT_DECAY.WEEK6.CODE"))
_penalty("l1_penalty", "λ‖w‖₁ with gradient λ·sign(w), subgradient 0 at w = 0.", "w, lam",
         ("L1.SUBGRADIENT.MODULE2", "L1.GRADIENT.CONSTANT_MAGNITUDE"))
_penalty("elastic_net_penalty", "l1‖w‖₁ + l2‖w‖² (half=False, the lectures' form) or l1‖w‖₁ + (l2/2)‖w‖².",
         "w, l1, l2, *, half=False", ("ELASTIC_NET.FORMULA",))
_penalty("entropy_penalty", "Σ over rows of H(p) = −Σ p log p (nats), p = softmax(x) or x itself; max log K at uniform.",
         "x, *, from_logits=True, dim=-1", ("ENTROPY_REG.TOWARD_UNIFORM",))
_penalty("orthogonality_penalty", "‖WᵀW − I‖²_F for W of shape (n, k); gradient 4W(WᵀW − I).", "w",
         ("ORTHOGONAL.NORM_PRESERVING",))
_plain("soft_threshold", "Proximal map of t‖·‖₁: sign(w)·max(|w| − t, 0); |w| ≤ t gives exactly 0.",
       "soft_threshold(w, threshold) -> w_new", ("L1.SPARSITY",))
_plain("l1_subgradient_step", "w − lr·(grad + λ·sign(w)); zero only where the arithmetic lands on it.",
       "l1_subgradient_step(w, grad, lr, lam) -> w_new", ("L1.SPARSITY",))
_plain("max_norm", "Project each unit's incoming weights (slices along dim, default 0) onto the L2 ball of radius c.",
       "max_norm(w, c, *, dim=0) -> w_new", ("MAX_NORM.CONSTRAINT",))
_plain("spectral_norm", "W/σ̂ with σ̂ from power iteration started at u (or a draw from generator); training "
       "updates u, eval does not.",
       "spectral_norm(w, *, n_power_iterations=1, generator=None, u=None, training=True) -> (w_sn, u)",
       ("SPECTRAL_NORM.UNIT_SIGMA",), stochastic=True)
_plain("clip_grad_norm", "Scale all gradients by min(1, max_norm/‖g‖_p) (torch: max_norm/(‖g‖ + 1e-6), clamped at 1).",
       "clip_grad_norm(grads, max_norm, *, norm_type=2.0, error_if_nonfinite=False) -> (clipped, total_norm)",
       ("CLIP.NORM.BOUND",))
_plain("clip_grad_value", "Clamp every gradient entry into [−clip_value, clip_value].",
       "clip_grad_value(grads, clip_value) -> clipped")
_plain("sgd_step", "One torch.optim.SGD step: d = g + λw; momentum buffer; w − lr·d.",
       "sgd_step(w, grad, lr, *, weight_decay=0, momentum=0, dampening=0, nesterov=False, buffer=None) "
       "-> (w_new, buffer)", ("WEIGHT_DECAY.SGD.SHRINK", "WEIGHT_DECAY.SGD.MOMENTUM"), family="optimizers")
_plain("adam_step", "One torch.optim.Adam step; weight_decay adds λw to the gradient (L2, coupled).",
       "adam_step(w, grad, lr=1e-3, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, state=None) -> (w_new, state)",
       ("WEIGHT_DECAY.L2_EQUIVALENCE",), family="optimizers")
_plain("adamw_step", "One torch.optim.AdamW step: w(1 − lr·λ) first, then Adam on the raw gradient (decoupled).",
       "adamw_step(w, grad, lr=1e-3, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, state=None) "
       "-> (w_new, state)", ("WEIGHT_DECAY.L2_EQUIVALENCE",), family="optimizers")
_plain("grouped_steps", "Several optimizer steps over two parameter groups; names in no_decay get weight_decay=0.",
       "grouped_steps(params: dict, grads: list[dict], *, optimizer, lr, weight_decay, no_decay=()) -> params", family="optimizers")


# ---------------------------------------------------------------- spec tables: invalid input

_W = Array(np.ones(4))
_W3 = Array(np.ones(3))
_M = Array(np.ones((2, 2)))


def _clip(name: str, *arguments: object, **keywords: object):
    def with_value(value: object):
        def call(target):
            made = [value if a is BAD else a for a in arguments]
            return getattr(target.module, name)([_W.make(target)], *made,
                                                **{k: value if v is BAD else v for k, v in keywords.items()})

        return call

    return with_value


for _name, _parameter, _value, _allowed, _template in (
    ("l2_penalty", "lam", -1.0, "[0.0, inf)", template_call("l2_penalty", _W, BAD)),
    ("l1_penalty", "lam", -0.5, "[0.0, inf)", template_call("l1_penalty", _W, BAD)),
    ("elastic_net_penalty", "l1", -1.0, "[0.0, inf)", template_call("elastic_net_penalty", _W, BAD, 0.5)),
    ("elastic_net_penalty", "l2", -2.0, "[0.0, inf)", template_call("elastic_net_penalty", _W, 0.5, BAD)),
    ("soft_threshold", "threshold", -0.1, "[0.0, inf)", template_call("soft_threshold", _W, BAD)),
    ("l1_subgradient_step", "lr", -0.1, "[0.0, inf)", template_call("l1_subgradient_step", _W, _W, BAD, 1.0)),
    ("l1_subgradient_step", "lam", -1.0, "[0.0, inf)", template_call("l1_subgradient_step", _W, _W, 0.1, BAD)),
    ("max_norm", "c", 0.0, "(0.0, inf)", template_call("max_norm", _M, BAD)),
    ("max_norm", "c", -1.0, "(0.0, inf)", template_call("max_norm", _M, BAD)),
    ("clip_grad_norm", "max_norm", -1.0, "[0.0, inf)", _clip("clip_grad_norm", BAD)),
    ("clip_grad_norm", "norm_type", 0.0, "(0, inf]", _clip("clip_grad_norm", 1.0, norm_type=BAD)),
    ("clip_grad_value", "clip_value", -1.0, "[0.0, inf)", _clip("clip_grad_value", BAD)),
    ("sgd_step", "lr", -0.1, "[0.0, inf)", template_call("sgd_step", _W3, _W3, BAD, function="sgd_step")),
    ("sgd_step", "weight_decay", -1.0, "[0.0, inf)",
     template_call("sgd_step", _W3, _W3, 0.1, weight_decay=BAD, function="sgd_step")),
    ("sgd_step", "momentum", -0.5, "[0.0, inf)",
     template_call("sgd_step", _W3, _W3, 0.1, momentum=BAD, function="sgd_step")),
    ("adam_step", "lr", -1e-3, "[0.0, inf)", template_call("adam_step", _W3, _W3, BAD, function="adam_step")),
    ("adam_step", "weight_decay", -0.01, "[0.0, inf)",
     template_call("adam_step", _W3, _W3, 0.1, weight_decay=BAD, function="adam_step")),
    ("adamw_step", "weight_decay", -0.01, "[0.0, inf)",
     template_call("adamw_step", _W3, _W3, 0.1, weight_decay=BAD, function="adamw_step")),
):
    extend(_name, invalid=(Invalid(_parameter, _value, _allowed, _template(_value)),))

for _name, _betas, _parameter, _value in (("adam_step", (1.0, 0.999), "betas[0]", 1.0),
                                          ("adam_step", (-0.1, 0.999), "betas[0]", -0.1),
                                          ("adam_step", (0.9, 1.0), "betas[1]", 1.0),
                                          ("adamw_step", (0.9, 1.5), "betas[1]", 1.5)):
    extend(_name, invalid=(Invalid(_parameter, _value, "[0.0, 1.0)", template_call(
        _name, _W3, _W3, 0.1, betas=BAD, function=_name)(_betas)),))


# ---------------------------------------------------------------- further invalid inputs that real APIs reject (issue 18)

for _name, _parameter, _value, _allowed, _template, _shown in (
    ("clip_grad_norm", "max_norm", float("nan"), "[0.0, inf)", _clip("clip_grad_norm", BAD), None),
    ("clip_grad_value", "clip_value", float("nan"), "[0.0, inf)", _clip("clip_grad_value", BAD), None),
    ("sgd_step", "dampening", 1.5, "[0.0, 1.0]",
     template_call("sgd_step", _W3, _W3, 0.1, momentum=0.9, dampening=BAD, function="sgd_step"), None),
    # torch.optim.SGD: "Nesterov momentum requires a momentum and zero dampening".
    ("sgd_step", "nesterov", True, "momentum in (0, inf)",
     template_call("sgd_step", _W3, _W3, 0.1, momentum=0.0, nesterov=BAD, function="sgd_step"), "momentum=0.0"),
    ("adam_step", "eps", -1e-8, "[0.0, inf)", template_call("adam_step", _W3, _W3, 0.1, eps=BAD, function="adam_step"),
     None),
    ("max_norm", "dim", 5, "[-2, 1]", template_call("max_norm", _M, 1.0, dim=BAD), None),
):
    extend(_name, invalid=(Invalid(_parameter, _value, _allowed, _template(_value), shown=_shown),))


# ---------------------------------------------------------------- signatures and parameter ranges (impls/protocol/parameters.py)

from impls.protocol import parameters as _p  # noqa: E402 - after the operations it describes are registered


def _power_iterations(op: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{op}: {name} must be an integer in [0, inf), got {value!r}")
    return value


def _betas(op: str, name: str, value: object) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{op}: {name} must be a pair (beta1, beta2), got {value!r}")
    return (_p.real(f"{name}[0]", low=0.0, high=1.0, closed="low").check(op, value[0], None),
            _p.real(f"{name}[1]", low=0.0, high=1.0, closed="low").check(op, value[1], None))


_STEP = (_p.array("w"), _p.array("grad"))
_ADAM = (_p.rule("betas", (0.9, 0.999), _betas), _p.nonnegative("eps", 1e-8))

_p.declare("l2_penalty", _p.array("w"), _p.nonnegative("lam"), _p.flag("half", True))
_p.declare("l1_penalty", _p.array("w"), _p.nonnegative("lam"))
_p.declare("elastic_net_penalty", _p.array("w"), _p.nonnegative("l1"), _p.nonnegative("l2"), _p.flag("half", False))
_p.declare("entropy_penalty", _p.array("x"), _p.flag("from_logits", True), _p.free("dim", -1))
_p.declare("orthogonality_penalty", _p.array("w"))
_p.declare("soft_threshold", _p.array("w"), _p.nonnegative("threshold"))
_p.declare("l1_subgradient_step", *_STEP, _p.nonnegative("lr"), _p.nonnegative("lam"))
_p.declare("max_norm", _p.array("w"), _p.positive("c"), _p.free("dim", 0))  # dim's range depends on w.ndim
_p.declare("spectral_norm", _p.array("w"), _p.rule("n_power_iterations", 1, _power_iterations), _p.generator(),
           _p.free("u", None), _p.flag("training", True))
_p.declare("clip_grad_norm", _p.arrays("grads"), _p.nonnegative("max_norm"),
           _p.real("norm_type", 2.0, low=0.0, closed="high"), _p.flag("error_if_nonfinite", False))
_p.declare("clip_grad_value", _p.arrays("grads"), _p.nonnegative("clip_value"))
# nesterov's rule (momentum > 0, dampening 0) involves two other parameters: sgd_step's body checks it.
_p.declare("sgd_step", *_STEP, _p.nonnegative("lr"), _p.nonnegative("weight_decay", 0.0),
           _p.nonnegative("momentum", 0.0), _p.probability("dampening", 0.0), _p.flag("nesterov", False),
           _p.free("buffer", None))
_p.declare("adam_step", *_STEP, _p.nonnegative("lr", 1e-3), *_ADAM, _p.nonnegative("weight_decay", 0.0),
           _p.free("state", None))
_p.declare("adamw_step", *_STEP, _p.nonnegative("lr", 1e-3), *_ADAM, _p.nonnegative("weight_decay", 1e-2),
           _p.free("state", None))
_p.declare("grouped_steps", _p.free("params"), _p.free("grads"), _p.choice("optimizer", _p.REQUIRED, ("sgd", "adam", "adamw")),
           _p.free("lr"), _p.free("weight_decay"), _p.free("no_decay", ()))


# ---------------------------------------------------------------- checks and bookkeeping the references share


def check_nesterov(nesterov: bool, momentum: float, dampening: float) -> None:
    """torch.optim.SGD's rule: Nesterov momentum needs a momentum in (0, inf) and zero dampening."""
    if nesterov and (momentum == 0 or dampening != 0):
        raise ValueError(f"sgd_step: nesterov needs momentum in (0, inf) and dampening 0, got momentum={momentum}, "
                         f"dampening={dampening}")


def run_grouped_steps(steps: dict[str, Callable[..., Any]], params: dict[str, Any], grads: Sequence[dict[str, Any]],
                      optimizer: str, lr: float, weight_decay: float, no_decay: Sequence[str]) -> dict[str, Any]:
    """Run len(grads) steps of steps[optimizer] with two parameter groups: names in `no_decay` (biases,
    normalization scales and shifts) get weight_decay=0, all others `weight_decay`; each name keeps its
    own optimizer state. The per-step arithmetic is the backend's own `steps`; this is only the loop."""
    step = steps[optimizer]
    current = dict(params)
    states: dict[str, Any] = {name: None for name in params}
    for grad in grads:
        for name, value in current.items():
            decay = 0.0 if name in no_decay else weight_decay
            if optimizer == "sgd":
                current[name], _ = step(value, grad[name], lr, weight_decay=decay)
            else:
                current[name], states[name] = step(value, grad[name], lr, weight_decay=decay, state=states[name])
    return current
