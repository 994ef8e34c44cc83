"""Defect: the number of quarter turns is drawn from randint(0, 3), i.e. {0, 1, 2}: 270° never happens."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def random_rot90(x: torch.Tensor, *, generator: torch.Generator | None = None):
    reference.random_rot90(x[:1])  # the reference's checks
    turns = torch.randint(0, 3, (x.shape[0],), generator=generator, device=x.device)  # the mistake: high is exclusive
    out = x.clone()
    for k in (1, 2):
        if bool((turns == k).any()):
            out[turns == k] = reference.rot90(x[turns == k], k)
    return out, turns
