"""Defect: DropBlock's seed rate γ = p/b² without the (H·W)/((H-b+1)(W-b+1)) correction for the seeds' valid
region, so fewer units are dropped than p wherever the block is large against the map."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def dropblock2d(x: torch.Tensor, p: float, block_size: int, *, training: bool = True, generator=None):
    if not training or p == 0.0 or not isinstance(x, torch.Tensor) or x.dim() != 4:
        return reference.dropblock2d(x, p, block_size, training=training, generator=generator)
    reference.dropblock2d(x, p, block_size, training=False)  # the reference's checks
    n, c, height, width = x.shape
    block = min(block_size, height, width)
    gamma = p / block**2  # the mistake: the valid-region factor is missing
    seeds = torch.rand((n, c, height - block + 1, width - block + 1), generator=generator, device=x.device) < gamma
    padded = torch.nn.functional.pad(seeds.to(torch.float32), (block - 1, block - 1, block - 1, block - 1))
    keep = ~(torch.nn.functional.max_pool2d(padded, block, stride=1)[..., :height, :width] > 0)
    kept = int(keep.sum())
    scale = torch.tensor(keep.numel() / kept if kept else 0.0, dtype=x.dtype)
    return torch.where(keep, x * scale, torch.zeros((), dtype=x.dtype)), keep
