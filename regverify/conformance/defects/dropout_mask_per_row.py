"""Defect: one keep/drop draw per row, broadcast along the last axis, instead of one draw per element."""

import torch

from regverify.conformance.defects.parts.dropout import inverted_dropout

BACKEND = "torch"


def one_draw_per_row(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    # The mistake: the uniform is drawn with shape (..., 1) and broadcast, so a whole row is kept or dropped.
    uniform = torch.rand((*x.shape[:-1], 1), generator=generator, device=x.device, dtype=torch.float32)
    return (uniform >= p).expand(x.shape)


dropout = inverted_dropout(keep_mask=one_draw_per_row)
