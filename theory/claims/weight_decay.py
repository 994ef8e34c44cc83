"""Weight decay and the L2 penalty: the shrink step, its conventions, momentum, Adam vs AdamW."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from theory.evidence import checked, convention_evidence, identity, refutable, sym_equal
from theory.ledger import Evidence, claim

if TYPE_CHECKING:
    from torch import Tensor

w, g, lr, lam, a, mu, v = sp.symbols("w g alpha lambda a mu v", real=True)


@claim(id="WEIGHT_DECAY.SGD.SHRINK", subject=(1 - lr * lam) * w - lr * g)
def _shrink(stated_step) -> Evidence:
    step = w - lr * sp.diff(g * w + lam / 2 * w**2, w)  # L linearised: ∇L = g
    return identity(
        step,
        stated_step,
        summary=f"w − α(g + λw) = {sp.sstr(stated_step)}",
        assumptions="penalty (λ/2)w², ∇L = g at the current w",
    )


@claim(id="WEIGHT_DECAY.SGD.SHRINK.MODULE2", subject=(1 - lam * a) * w - lam * g)
def _shrink_m2(stated_step) -> Evidence:
    step = w - lam * sp.diff(g * w + a / 2 * w**2, w)
    stated = sym_equal(step, stated_step)
    # Read with Week 6's letters (λ = penalty weight, a = learning rate) the same formula is wrong:
    step_w6 = w - a * sp.diff(g * w + lam / 2 * w**2, w)
    other = sym_equal(step_w6, stated_step)
    return convention_evidence(
        stated,
        other,
        "symbolic",
        "(1 − λa)w − λ∇J is the SGD step when λ is the learning rate and a the penalty weight" if stated
        else f"{sp.sstr(stated_step)} is not the SGD step under either naming",
        "The product λa is symmetric, but the data-gradient term −λ∇J pins λ as the learning rate. "
        "Under Week 6's naming (λ = penalty) the same formula would be wrong: "
        f"difference `{sp.simplify(step_w6 - ((1 - lam * a) * w - lam * g))}`.",
        alternative="λ = penalty weight (Week 6 naming)",
    )


@claim(id="WEIGHT_DECAY.CONSTANT_FACTOR", subject=1 - lam * a)
def _constant_factor(factor) -> Evidence:
    w_t = w
    # An odd number of steps: an even power would hide a sign error in the factor.
    for _ in range(7):
        w_t = w_t - lam * (0 + a * w_t)
    return identity(
        w_t,
        factor**7 * w,
        summary=f"seven penalty-only steps give ({sp.sstr(factor)})⁷ w",
        assumptions="∇J = 0; with a data gradient the factor still applies but −λ∇J is added",
    )


@claim(id="WEIGHT_DECAY.PENALTY.NO_HALF", subject=1 - 2 * lr * lam)
def _no_half(shrink) -> Evidence:
    step = w - lr * sp.diff(g * w + lam * w**2, w)
    stated = sym_equal(step, shrink * w - lr * g)
    other = sym_equal(step, (1 - lr * lam) * w - lr * g)
    return convention_evidence(
        stated,
        other,
        "symbolic",
        "λΣw² gives shrink (1 − 2αλ); (1 − αλ) needs the λ/2 convention" if stated
        else f"λΣw² gives shrink (1 − 2αλ), not {sp.sstr(shrink)}",
        f"Step with λw²: `{sp.expand(step)}`. The (1 − αλ) form differs by "
        f"`{sp.simplify(step - ((1 - lr * lam) * w - lr * g))}`: PyTorch SGD(weight_decay=λ) equals "
        "the penalty (λ/2)‖w‖², i.e. the documents' λ is half of PyTorch's weight_decay.",
        alternative="shrink (1-αλ) with penalty λΣw²",
    )


def week6_l2_regularization(weights, lambda_reg):
    """Week 6's l2_regularization: (loss ½λΣ‖W‖², gradients λW)."""
    reg_loss = 0.5 * lambda_reg * sum(np.sum(W**2) for W in weights)
    return reg_loss, [lambda_reg * W for W in weights]


@claim(id="WEIGHT_DECAY.WEEK6.CODE", subject=week6_l2_regularization)
def _w6_code(l2_regularization) -> Evidence:
    import torch

    rng = np.random.default_rng(3)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(5,))]
    lam_v = 0.07
    reg_loss, reg_grads = l2_regularization(weights, lam_v)
    ts = [torch.tensor(W, requires_grad=True) for W in weights]
    loss = 0.5 * lam_v * sum((t**2).sum() for t in ts)
    loss.backward()
    err = max(float(np.max(np.abs(t.grad.numpy() - gr))) for t, gr in zip(ts, reg_grads, strict=False))
    loss_err = abs(loss.item() - reg_loss)
    tol = 8 * np.finfo(np.float64).eps * max(1.0, reg_loss)  # a few roundings of O(1) sums
    ok = err <= tol and loss_err <= tol
    return checked(
        ok,
        "exact",
        f"Week 6's gradient equals torch autograd of its loss (max diff {err:.2g})" if ok
        else f"Week 6's loss or gradient differs from torch autograd (gradient diff {err:.2g}, loss diff {loss_err:.2g})",
        f"Two random weight arrays, λ = {lam_v}; tolerance 8·eps·max(1, loss) = {tol:.2g}.",
        {"max_abs_diff": err, "loss_abs_diff": loss_err, "tolerance": tol},
    )


def _torch_problem():
    import torch

    A = torch.tensor([[3.0, 1.0], [1.0, 0.5]], dtype=torch.float64)
    b = torch.tensor([1.0, -2.0], dtype=torch.float64)

    def data_loss(wt):
        return 0.5 * wt @ A @ wt - b @ wt

    return torch, data_loss


def _run(opt_factory, loss_fn, steps=25):
    torch, _ = _torch_problem()
    wt = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = opt_factory([wt])
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(wt).backward()
        opt.step()
    return wt.detach().clone()


@claim(id="WEIGHT_DECAY.SGD.MOMENTUM", subject=(1 - lr * lam) * w - lr * g - lr * mu * v)
def _momentum(stated_step) -> Evidence:
    step = w - lr * (mu * v + g + lam * w)
    sym = sym_equal(step, stated_step)
    torch, data_loss = _torch_problem()
    lam_v, lr_v, mu_v = 0.1, 0.05, 0.9
    builtin = _run(lambda ps: torch.optim.SGD(ps, lr=lr_v, momentum=mu_v, weight_decay=lam_v), data_loss)
    penalty = _run(
        lambda ps: torch.optim.SGD(ps, lr=lr_v, momentum=mu_v), lambda wt: data_loss(wt) + 0.5 * lam_v * (wt**2).sum()
    )
    diff = float((builtin - penalty).abs().max())
    tol = 100 * np.finfo(np.float64).eps  # 25 steps of a few roundings each on O(1) values
    ok = sym and diff <= tol
    return checked(
        ok,
        "exact",
        f"momentum step identity {'holds' if sym else 'FAILS'}; torch SGD(weight_decay) vs explicit L2 differ by {diff:.2g}",
        "Symbolic: w − α(μv + g + λw) = (1 − αλ)w − αg − αμv. torch: 25 steps on a 2-D quadratic, "
        f"lr={lr_v}, momentum={mu_v}, λ={lam_v}; final iterates differ by {diff:.2g} (tolerance {tol:.2g}). "
        "The decay is no longer a separate (1 − αλ) factor on w alone: it is also carried in v.",
        {"max_abs_diff": diff, "tolerance": tol},
    )


def sgd_direction() -> Callable[[Tensor], Tensor]:
    """Plain SGD's update direction: the gradient itself (stateless)."""
    return lambda grad: grad


def adam_direction(betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> Callable[[Tensor], Tensor]:
    """Adam's update direction m̂/(√v̂ + ε) as torch.optim.Adam computes it (a fresh state per call)."""
    state = {"m": None, "v": None, "t": 0}
    b1, b2 = betas

    def direction(grad):
        if state["m"] is None:
            state["m"], state["v"] = grad * 0, grad * 0
        state["t"] += 1
        state["m"] = state["m"] * b1 + (1 - b1) * grad
        state["v"] = state["v"] * b2 + (1 - b2) * grad * grad
        t = state["t"]
        return (state["m"] / (1 - b1**t)) / ((state["v"] / (1 - b2**t)).sqrt() + eps)

    return direction


def decoupled_decay_step(wt: Tensor, grad_fn: Callable[[Tensor], Tensor], direction: Callable[[Tensor], Tensor],
                         lr_v: float, lam_v: float) -> Tensor:
    """What 'L2 regularisation is weight decay' says an optimizer does on L + (λ/2)‖w‖²: decay the weights
    by αλw beside the optimizer's step on ∇L (decoupled weight decay, AdamW's rule)."""
    return wt - lr_v * lam_v * wt - lr_v * direction(grad_fn(wt))


def l2_gradient_step(wt: Tensor, grad_fn: Callable[[Tensor], Tensor], direction: Callable[[Tensor], Tensor],
                     lr_v: float, lam_v: float) -> Tensor:
    """What an optimizer does on L + (λ/2)‖w‖²: its step on the penalised gradient ∇L + λw."""
    return wt - lr_v * direction(grad_fn(wt) + lam_v * wt)


#: Steps of each compared trajectory, and the tolerance that separates "the same update" from rounding:
#: each step does O(10) roundings on O(1) values and Adam's normalisation m̂/√v̂ has condition O(1) away
#: from v̂ ≈ 0 (the quadratic's gradients stay O(1)), so 25 steps stay far inside 1e4·eps ≈ 2e-12, while
#: a different update rule moves the iterate by O(α) = O(1e-2) at the first step already.
L2_STEPS = 25
L2_TOLERANCE = 1e4 * float(np.finfo(np.float64).eps)


def _trajectory(step_rule, direction, grad_fn, lr_v, lam_v):
    torch, _ = _torch_problem()
    wt = torch.tensor([1.0, 1.0], dtype=torch.float64)
    for _ in range(L2_STEPS):
        wt = step_rule(wt, grad_fn, direction, lr_v, lam_v)
    return wt


def _gap(a, b) -> float:
    gap = float((a - b).abs().max())
    return gap if gap == gap else float("inf")  # a diverged (nan) trajectory is infinitely far


@claim(id="WEIGHT_DECAY.L2_EQUIVALENCE", subject=decoupled_decay_step, corrected=l2_gradient_step)
def _adam(l2_step) -> Evidence:
    torch, data_loss = _torch_problem()
    lam_v, lr_v = 0.1, 0.05

    def grad_fn(wt):
        """∇L at wt (autograd of the same data loss the torch optimizers see)."""
        leaf = wt.detach().requires_grad_(True)
        return torch.autograd.grad(data_loss(leaf), leaf)[0]

    l2 = lambda wt: data_loss(wt) + 0.5 * lam_v * (wt**2).sum()  # noqa: E731
    # The reference: torch's optimizers run on the L2-penalised loss (autograd), i.e. L2 regularisation.
    adam_l2 = _run(lambda ps: torch.optim.Adam(ps, lr=lr_v), l2, steps=L2_STEPS)
    sgd_l2 = _run(lambda ps: torch.optim.SGD(ps, lr=lr_v), l2, steps=L2_STEPS)
    # The statement under judgement: the update it says each optimizer performs on that loss.
    stated_adam = _trajectory(l2_step, adam_direction(), grad_fn, lr_v, lam_v)
    stated_sgd = _trajectory(l2_step, sgd_direction(), grad_fn, lr_v, lam_v)
    gap_adam, gap_sgd = _gap(stated_adam, adam_l2), _gap(stated_sgd, sgd_l2)
    original = gap_adam <= L2_TOLERANCE and gap_sgd <= L2_TOLERANCE
    # Context for the corrected statement: decoupled decay is what AdamW does, Adam(weight_decay) is the L2 form,
    # and for SGD the two forms agree.
    adamw = _run(lambda ps: torch.optim.AdamW(ps, lr=lr_v, weight_decay=lam_v), data_loss, steps=L2_STEPS)
    adam_wd = _run(lambda ps: torch.optim.Adam(ps, lr=lr_v, weight_decay=lam_v), data_loss, steps=L2_STEPS)
    sgd_wd = _run(lambda ps: torch.optim.SGD(ps, lr=lr_v, weight_decay=lam_v), data_loss, steps=L2_STEPS)
    momentum_wd = _run(lambda ps: torch.optim.SGD(ps, lr=lr_v, momentum=0.9, weight_decay=lam_v), data_loss,
                       steps=L2_STEPS)
    momentum_l2 = _run(lambda ps: torch.optim.SGD(ps, lr=lr_v, momentum=0.9), l2, steps=L2_STEPS)
    decoupled_is_adamw = _gap(_trajectory(decoupled_decay_step, adam_direction(), grad_fn, lr_v, lam_v), adamw)
    gap_adam_adamw = _gap(adam_l2, adamw)
    corrected = (_gap(_trajectory(l2_gradient_step, adam_direction(), grad_fn, lr_v, lam_v), adam_l2) <= L2_TOLERANCE
                 and _gap(adam_wd, adam_l2) <= L2_TOLERANCE and _gap(sgd_wd, sgd_l2) <= L2_TOLERANCE
                 and _gap(momentum_wd, momentum_l2) <= L2_TOLERANCE
                 and decoupled_is_adamw <= L2_TOLERANCE)
    summary = (f"the stated update reproduces L2 regularisation for SGD and Adam (gaps {gap_sgd:.2g}, {gap_adam:.2g})"
               if original else
               f"after {L2_STEPS} steps the stated update is {gap_adam:.3g} from Adam on the L2-penalised loss "
               f"(SGD: {gap_sgd:.2g}); Adam+L2 and AdamW differ by {gap_adam_adamw:.3g}")
    return refutable(
        original,
        corrected,
        "exact",
        summary,
        f"2-D quadratic L(w) = ½wᵀAw − bᵀw, lr={lr_v}, λ={lam_v}, {L2_STEPS} steps from w = (1, 1) (deterministic, "
        f"no randomness). The update under judgement, run with SGD's and Adam's directions, against torch's "
        f"SGD and Adam on L + (λ/2)‖w‖²: final iterates differ by {gap_sgd:.3g} (SGD) and {gap_adam:.3g} (Adam); "
        f"tolerance {L2_TOLERANCE:.2g}. Adam on L+(λ/2)‖w‖² = {adam_l2.tolist()}, AdamW = {adamw.tolist()} "
        f"(gap {gap_adam_adamw:.3g}); decoupled decay with Adam's direction vs AdamW: {decoupled_is_adamw:.2g}. "
        "Counterexample to 'L2 = weight decay': with Adam the decay αλw is not the step on ∇L + λw (the penalty's "
        "gradient is rescaled by 1/√v̂). Corrected statement: an optimizer on L + (λ/2)‖w‖² steps on ∇L + λw; for "
        "plain and momentum SGD that is exactly weight decay with coefficient αλ; for adaptive optimizers it is not, "
        f"and decoupled decay is AdamW (checked: the L2-gradient rule matches Adam; Adam(weight_decay), SGD(weight_decay) "
        f"and SGD(momentum=0.9, weight_decay) each agree with the same optimizer on the L2-penalised loss; decoupled "
        f"decay is AdamW; all within {L2_TOLERANCE:.2g}: {corrected}).",
        counterexample=f"Adam: the stated update is {gap_adam:.3g} from Adam on L+(λ/2)‖w‖² after {L2_STEPS} steps",
        corrected_statement="L2 penalty == weight decay for SGD (with or without momentum) only; Adam+L2 != AdamW",
        tolerance=L2_TOLERANCE,
        steps=L2_STEPS,
        adam_vs_adamw_gap=gap_adam_adamw,
        stated_vs_adam_l2_gap=gap_adam,
        stated_vs_sgd_l2_gap=gap_sgd,
    )
