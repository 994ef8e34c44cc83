"""Defect: a 2-D input to dropout1d is unbatched (C, L), but is dropped element by element as if it were a
(N, features) batch: each channel loses only some of its positions."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"

from impls.torch_ref import dropout as elementwise  # noqa: E402


def dropout1d(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if isinstance(x, torch.Tensor) and x.dim() == 2:
        return elementwise(x, p, training=training, generator=generator)  # the mistake: the layout (C, L) not recognized
    return reference.dropout1d(x, p, training=training, generator=generator)
