"""Stochastic depth with scaling convention 'unscaled' (timm's drop_path(scale_by_keep=False))."""

import torch

BACKEND = "torch"
STOCHASTIC_DEPTH_CONVENTIONS = {"scaling": ("unscaled",)}


def stochastic_depth(x, p, mode="row", *, training=True, generator=None):
    if not training:
        shape = (x.shape[0],) + (1,) * (x.dim() - 1) if mode == "row" else (1,) * x.dim()
        return x * 1.0, torch.ones(shape, dtype=torch.bool, device=x.device)
    shape = (x.shape[0],) + (1,) * (x.dim() - 1) if mode == "row" else (1,) * x.dim()
    keep = torch.rand(shape, generator=generator, device=x.device) >= p
    return torch.where(keep, x, torch.zeros_like(x)), keep
