"""DropBlock renormalised by the expected kept fraction 1/(1 − p) instead of the realised numel/#kept."""

import torch
import torch.nn.functional as F

BACKEND = "torch"
DROPBLOCK2D_CONVENTIONS = {"normalization": ("inverse_keep_probability",)}


def dropblock2d(x, p, block_size, *, training=True, generator=None):
    if not training or p == 0.0:
        return x.clone(), torch.ones_like(x, dtype=torch.bool)
    n, c, h, w = x.shape
    b = min(block_size, h, w)
    gamma = p * h * w / (b * b * (h - b + 1) * (w - b + 1))
    seeds = (torch.rand((n, c, h - b + 1, w - b + 1), generator=generator, device=x.device) < gamma).to(x.dtype)
    dropped = F.max_pool2d(F.pad(seeds, (b - 1, b - 1, b - 1, b - 1)), kernel_size=b, stride=1)[..., :h, :w]
    keep = dropped == 0
    return torch.where(keep, x / (1 - p), torch.zeros_like(x)), keep
