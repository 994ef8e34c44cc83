"""Defect: the linear decay rule counts layers from 0: p_l = 1 - (l/L)(1 - p_L) for l = 0..L-1, so the first block
always survives and the last never reaches p_L (off by one)."""
from __future__ import annotations

from impls.torch_ref import noise as reference

BACKEND = "torch"


def survival_probabilities(num_layers: int, p_last: float) -> list[float]:
    reference.survival_probabilities(num_layers, p_last)  # the reference's checks
    return [1.0 - layer / num_layers * (1.0 - p_last) for layer in range(num_layers)]  # the mistake: range(1, L + 1)
