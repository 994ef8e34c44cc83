"""Stochastic depth with scaling convention 'test_time' (Huang et al.: eval multiplies by the survival probability)."""

import torch

BACKEND = "torch"
STOCHASTIC_DEPTH_CONVENTIONS = {"scaling": ("test_time",)}


def stochastic_depth(x, p, mode="row", *, training=True, generator=None):
    if not training:
        shape = (x.shape[0],) + (1,) * (x.dim() - 1) if mode == "row" else (1,) * x.dim()
        return x * (1 - p), torch.ones(shape, dtype=torch.bool, device=x.device)
    shape = (x.shape[0],) + (1,) * (x.dim() - 1) if mode == "row" else (1,) * x.dim()
    keep = torch.rand(shape, generator=generator, device=x.device) >= p
    return torch.where(keep, x, torch.zeros_like(x)), keep
