"""Defect: dropout checks its input with x.abs().max() (to warn about huge activations), which raises on an empty
tensor: a valid (0, F) batch crashes."""

from __future__ import annotations

import torch

from impls.torch_ref import dropout as reference

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if isinstance(x, torch.Tensor) and training and float(x.detach().abs().max()) > 1e30:  # the mistake: max() of nothing
        pass
    return reference(x, p, training=training, generator=generator)
