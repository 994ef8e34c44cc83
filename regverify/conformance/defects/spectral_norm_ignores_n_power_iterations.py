"""Defect: spectral norm always runs one power iteration, whatever n_power_iterations says (option ignored)."""
from __future__ import annotations

import torch

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def spectral_norm(w: torch.Tensor, *, n_power_iterations: int = 1, generator=None, u=None, training: bool = True):
    reference.spectral_norm(w, n_power_iterations=n_power_iterations, u=u, training=training,
                            generator=torch.Generator().manual_seed(0))  # the reference's checks
    return reference.spectral_norm(w, n_power_iterations=1 if n_power_iterations else 0, generator=generator, u=u,
                                   training=training)  # the mistake
