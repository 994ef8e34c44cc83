"""Defect: the keep decision compares a 16-bit uniform strictly, keep = u > p, so p = 0 still drops each element
with probability 2⁻¹⁶ (u = 0); every other p is off by 2⁻¹⁶, far below any mean or count test's δ."""

import torch

from regverify.conformance.defects.parts.dropout import inverted_dropout

BACKEND = "torch"


def sixteen_bit_keep_mask(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    ticks = torch.randint(0, 2**16, x.shape, generator=generator, device=x.device)
    return ticks > p * 2**16  # the mistake: strict comparison; u = 0 is dropped even at p = 0 (should be >=)


# p = 0 is not special-cased (only eval skips the draw), so the slip shows there.
dropout = inverted_dropout(keep_mask=sixteen_bit_keep_mask, skips_the_draw=lambda p, training: not training)
