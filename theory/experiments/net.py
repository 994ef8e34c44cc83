"""Batched tiny MLPs: many independent networks trained at once, one per (arm, seed).

A batch of M networks with identical layer sizes is stored as weight tensors [M, d_in, d_out] and
biases [M, 1, d_out]; inputs are [M, n, d_in] and forward passes are batched matmuls. The loss
that is back-propagated is the SUM of the per-network losses, so each network's gradient is
exactly the gradient of its own loss: the networks are independent, just computed together.

Initialization is PyTorch's nn.Linear default (U(-1/√d_in, 1/√d_in) for weights and biases),
drawn from an explicit torch.Generator seeded per seed; paired arms are tiles of the same draws.
No global RNG is touched anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

Params = list[torch.Tensor]


def init_mlp(
    sizes: list[int], seeds: list[int], device: str | torch.device, dtype: torch.dtype = torch.float32
) -> Params:
    """Weights and biases for len(seeds) networks with layer sizes `sizes`, one generator per seed."""
    per_layer: list[list[torch.Tensor]] = [[] for _ in range(2 * (len(sizes) - 1))]
    for seed in seeds:
        generator = torch.Generator(device=device).manual_seed(int(seed))
        for layer, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
            bound = d_in**-0.5
            weight = (torch.rand(d_in, d_out, generator=generator, device=device, dtype=dtype) * 2 - 1) * bound
            bias = (torch.rand(1, d_out, generator=generator, device=device, dtype=dtype) * 2 - 1) * bound
            per_layer[2 * layer].append(weight)
            per_layer[2 * layer + 1].append(bias)
    return [torch.stack(p) for p in per_layer]


def tile(tensor: torch.Tensor, arms: int) -> torch.Tensor:
    """Repeat a per-seed batch for `arms` arms, arm-major: index = arm * seeds + seed."""
    return tensor.repeat(arms, *([1] * (tensor.dim() - 1)))


def tile_params(params: Params, arms: int) -> Params:
    return [tile(p, arms).clone().requires_grad_(True) for p in params]


def per_model(values: list[float], seeds: int, device: str | torch.device, dtype: torch.dtype) -> torch.Tensor:
    """A per-arm setting (learning rate, λ, p) expanded to one value per network, arm-major."""
    return torch.tensor(values, device=device, dtype=dtype).repeat_interleave(seeds)


@dataclass
class Forward:
    out: torch.Tensor
    hidden: list[torch.Tensor]


def forward(
    params: Params,
    x: torch.Tensor,
    *,
    activation: Callable[[torch.Tensor], torch.Tensor] = torch.relu,
    dropout_p: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    batchnorm: torch.Tensor | None = None,
    bn_eps: float = 1e-5,
) -> Forward:
    """Batched MLP forward. dropout_p [M]: inverted dropout on every hidden layer (training mode when
    given, masks from `generator`); batchnorm [M] bool: per-network batch normalization (batch
    statistics, biased variance, no affine) of every hidden pre-activation."""
    h = x
    hidden = []
    layers = len(params) // 2
    for layer in range(layers):
        z = torch.baddbmm(params[2 * layer + 1], h, params[2 * layer])
        if layer == layers - 1:
            return Forward(z, hidden)
        if batchnorm is not None:
            mean = z.mean(dim=1, keepdim=True)
            var = z.var(dim=1, unbiased=False, keepdim=True)
            z = torch.where(batchnorm[:, None, None], (z - mean) / torch.sqrt(var + bn_eps), z)
        h = activation(z)
        hidden.append(h)
        if dropout_p is not None:
            if generator is None:
                raise ValueError("forward: dropout needs an explicit generator, got None")
            keep = 1.0 - dropout_p[:, None, None]
            u = torch.rand(h.shape, generator=generator, device=h.device, dtype=h.dtype)
            h = h * (u < keep).to(h.dtype) / keep
    raise ValueError(f"forward: params must hold weight/bias pairs, got {len(params)} tensors")


def weight_sq(params: Params) -> torch.Tensor:
    """Per-network sum of squared weights (biases excluded, the usual L2 convention)."""
    return sum(p.pow(2).sum(dim=(1, 2)) for p in params[0::2])


def weight_abs(params: Params) -> torch.Tensor:
    """Per-network sum of absolute weights (biases excluded)."""
    return sum(p.abs().sum(dim=(1, 2)) for p in params[0::2])


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-network mean squared error: [M, n, 1] × [M, n, 1] → [M]."""
    return (pred - target).pow(2).mean(dim=(1, 2))


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-network mean cross-entropy; target is int labels [M, n] or soft labels [M, n, classes]."""
    logp = torch.log_softmax(logits, dim=-1)
    if target.dtype == torch.int64:
        return -logp.gather(-1, target[..., None]).squeeze(-1).mean(dim=1)
    return -(target * logp).sum(dim=-1).mean(dim=1)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(dim=-1) == labels).to(logits.dtype).mean(dim=1)


class Adam:
    """Element-wise Adam with one learning rate per network (lr [M]); independent across networks."""

    def __init__(self, params: Params, lr: torch.Tensor, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p, m, v in zip(self.params, self.m, self.v, strict=False):
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            lr = self.lr.view(-1, *([1] * (p.dim() - 1)))
            p.sub_(lr / c1 * m / ((v / c2).sqrt() + self.eps))
            p.grad = None


class SGD:
    """Plain gradient descent with one learning rate per network (lr [M])."""

    def __init__(self, params: Params, lr: torch.Tensor):
        self.params, self.lr = params, lr

    @torch.no_grad()
    def step(self) -> None:
        for p in self.params:
            p.sub_(self.lr.view(-1, *([1] * (p.dim() - 1))) * p.grad)
            p.grad = None


@dataclass(frozen=True)
class Arm:
    """One treatment: the regularizer settings every network of this arm is trained with."""

    name: str
    lr: float
    l2: float = 0.0  # λ in λ·Σw² added to the loss
    l1: float = 0.0  # λ in λ·Σ|w| added to the loss (autograd subgradient, sign(0) = 0)
    prox_l1: float = 0.0  # λ of a proximal L1 step (soft-threshold by lr·λ after each SGD step)
    dropout: float = 0.0  # drop probability of every hidden unit (PyTorch's convention)
    batchnorm: bool = False
    mixup_alpha: float = 0.0  # λ ~ Beta(α, α) per step and network; 0 = no mixup


@dataclass
class Data:
    """Per-seed data sets stacked to [seeds, n, features]; labels int64 [seeds, n] for classification."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None


@dataclass
class Trained:
    """Networks after training (arm-major, [arms × seeds]) and curves recorded every `record_every` steps."""

    params: Params
    steps: list[int]
    curves: dict[str, torch.Tensor]  # name -> [arms, seeds, len(steps)]
    arms: list[Arm]
    seeds: int

    def final(self, name: str) -> torch.Tensor:
        return self.curves[name][:, :, -1]


def _metric(out: torch.Tensor, target: torch.Tensor, classes: int) -> torch.Tensor:
    return cross_entropy(out, target) if classes else mse(out, target)


def train_arms(
    arms: list[Arm],
    sizes: list[int],
    seeds: list[int],
    data: Data,
    *,
    steps: int,
    record_every: int,
    optimizer: str = "adam",
    activation: Callable[[torch.Tensor], torch.Tensor] = torch.relu,
    noise_seed: int = 0,
) -> Trained:
    """Train every arm on every seed's data from that seed's initialization (paired), full-batch.

    Regression when the labels are floating point (MSE), classification when they are int64 (mean
    cross-entropy; soft labels under mixup). Dropout masks, mixup λ and partners come from
    explicit generators seeded by `noise_seed`. Recorded curves (evaluation mode: no dropout, no
    mixup): train/val (and test) loss, accuracy for classification, and the weight norm.
    """
    device, dtype = data.x_train.device, data.x_train.dtype
    n_arms, n_seeds = len(arms), len(seeds)
    classes = sizes[-1] if data.y_train.dtype == torch.int64 else 0
    params = tile_params(init_mlp(sizes, seeds, device, dtype), n_arms)
    x, y = tile(data.x_train, n_arms), tile(data.y_train, n_arms)

    def settings(attribute: str) -> torch.Tensor:
        return per_model([float(getattr(a, attribute)) for a in arms], n_seeds, device, dtype)

    lr, l2, l1, prox = settings("lr"), settings("l2"), settings("l1"), settings("prox_l1")
    use_dropout = any(a.dropout > 0 for a in arms)
    dropout_p = settings("dropout") if use_dropout else None
    batchnorm = settings("batchnorm").bool() if any(a.batchnorm for a in arms) else None
    mixup = [a.mixup_alpha for a in arms]
    torch_generator = torch.Generator(device=device).manual_seed(noise_seed)
    numpy_generator = np.random.default_rng(noise_seed)
    opt = Adam(params, lr) if optimizer == "adam" else SGD(params, lr)
    if classes:
        y_onehot = torch.nn.functional.one_hot(y, classes).to(dtype)

    evaluation = {"train": (data.x_train, data.y_train), "val": (data.x_val, data.y_val)}
    if data.x_test is not None:
        evaluation["test"] = (data.x_test, data.y_test)
    evaluation = {k: (tile(a, n_arms), tile(b, n_arms)) for k, (a, b) in evaluation.items()}
    records: dict[str, list[torch.Tensor]] = {}
    recorded_steps: list[int] = []

    @torch.no_grad()
    def record(step: int) -> None:
        recorded_steps.append(step)
        for name, (xe, ye) in evaluation.items():
            out = forward(params, xe, activation=activation, batchnorm=batchnorm).out
            records.setdefault(name, []).append(_metric(out, ye, classes))
            if classes:
                records.setdefault(f"{name}_acc", []).append(accuracy(out, ye))
        records.setdefault("weight_norm", []).append(weight_sq(params).sqrt())

    record(0)
    for step in range(1, steps + 1):
        xb, target = x, (y_onehot if classes else y)
        if any(mixup):
            lam = np.concatenate([numpy_generator.beta(a, a, n_seeds) if a > 0 else np.ones(n_seeds) for a in mixup])
            lam_t = torch.as_tensor(lam, dtype=dtype, device=device)[:, None, None]
            partner = torch.argsort(torch.rand(x.shape[:2], generator=torch_generator, device=device), dim=1)
            xb = lam_t * x + (1 - lam_t) * torch.gather(x, 1, partner[..., None].expand_as(x))
            target = lam_t * target + (1 - lam_t) * torch.gather(target, 1, partner[..., None].expand_as(target))
        out = forward(params, xb, activation=activation, dropout_p=dropout_p, generator=torch_generator,
                      batchnorm=batchnorm).out
        loss = _metric(out, target, classes) + l2 * weight_sq(params) + l1 * weight_abs(params)
        loss.sum().backward()
        opt.step()
        if prox.any():
            with torch.no_grad():
                for w in params[0::2]:
                    shrink = (lr * prox).view(-1, 1, 1)
                    w.copy_(torch.sign(w) * torch.clamp(w.abs() - shrink, min=0.0))
        if step % record_every == 0 or step == steps:
            record(step)
    curves = {k: torch.stack(v, dim=-1).view(n_arms, n_seeds, -1) for k, v in records.items()}
    return Trained(params, recorded_steps, curves, arms, n_seeds)


class single_thread:
    """Run tiny-tensor work on one intra-op thread (thread hand-offs cost more than these ops), then restore."""

    def __enter__(self) -> single_thread:
        self.previous = torch.get_num_threads()
        torch.set_num_threads(1)
        return self

    def __exit__(self, *exc: object) -> None:
        torch.set_num_threads(self.previous)
