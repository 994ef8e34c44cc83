"""Defect: max_norm measures the norm along `dim` instead of over the other axes (a unit's incoming weights), i.e. the wrong axis."""

from __future__ import annotations

import torch

from impls.torch_ref import max_norm as reference

BACKEND = "torch"


def max_norm(w: torch.Tensor, c: float, *, dim: int = 0) -> torch.Tensor:
    reference(w, c, dim=dim)  # validates the arguments
    norms = torch.linalg.vector_norm(w, dim=dim, keepdim=True)  # the mistake: dim=[every axis but dim]
    outside = norms > c
    scale = torch.where(outside, c / torch.where(outside, norms, torch.ones_like(norms)), torch.ones_like(norms))
    return torch.where(outside, (w * scale).to(w.dtype), w)
