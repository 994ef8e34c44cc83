"""Weight decay and the L2 penalty: the shrink step, its conventions, momentum, Adam vs AdamW."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.evidence import checked, convention_evidence, identity, refutable, sym_equal
from theory.ledger import Evidence, claim

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


@claim(id="WEIGHT_DECAY.L2_EQUIVALENCE")
def _adam() -> Evidence:
    torch, data_loss = _torch_problem()
    lam_v, lr_v = 0.1, 0.05
    l2 = lambda wt: data_loss(wt) + 0.5 * lam_v * (wt**2).sum()  # noqa: E731
    adam_l2 = _run(lambda ps: torch.optim.Adam(ps, lr=lr_v), l2)
    adam_wd = _run(lambda ps: torch.optim.Adam(ps, lr=lr_v, weight_decay=lam_v), data_loss)
    adamw = _run(lambda ps: torch.optim.AdamW(ps, lr=lr_v, weight_decay=lam_v), data_loss)
    sgd_wd = _run(lambda ps: torch.optim.SGD(ps, lr=lr_v, weight_decay=lam_v), data_loss)
    sgd_l2 = _run(lambda ps: torch.optim.SGD(ps, lr=lr_v), l2)
    tol = 100 * np.finfo(np.float64).eps
    gap_adam = float((adam_l2 - adamw).abs().max())
    same_adam_l2 = float((adam_l2 - adam_wd).abs().max()) <= tol
    original = gap_adam <= tol
    corrected = float((sgd_wd - sgd_l2).abs().max()) <= tol and same_adam_l2
    return refutable(
        original,
        corrected,
        "exact",
        f"after 25 steps Adam+L2 and AdamW differ by {gap_adam:.3g}; SGD's two forms agree",
        f"2-D quadratic, lr={lr_v}, λ={lam_v}, 25 steps (deterministic, no randomness). Adam on L+(λ/2)‖w‖² = "
        f"{adam_l2.tolist()}, Adam(weight_decay) = {adam_wd.tolist()} (same: {same_adam_l2}), AdamW = {adamw.tolist()}. "
        "Counterexample to 'L2 = weight decay': the Adam trajectories differ. Corrected statement: for plain and "
        "momentum SGD an L2 penalty (λ/2)‖w‖² is exactly weight decay with coefficient αλ; for adaptive "
        f"optimizers they differ and decoupled decay is AdamW (checked: SGD forms agree within {tol:.2g}: {corrected}).",
        counterexample=f"Adam+L2 vs AdamW differ by {gap_adam:.3g} after 25 steps",
        corrected_statement="L2 penalty == weight decay for SGD (with or without momentum) only; Adam+L2 != AdamW",
        tolerance=tol,
        steps=25,
        adam_vs_adamw_gap=gap_adam,
    )
