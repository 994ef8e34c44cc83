"""Defect: dropout flattens x with as_strided(x, (numel,), (1,)), as a kernel that assumes contiguous memory does: for a
strided or transposed input it reads the wrong elements (a missing .contiguous())."""

import torch

from regverify.conformance.defects.parts.dropout import inverted_dropout, rescale_survivors

BACKEND = "torch"


def survivors_of_the_storage(x: torch.Tensor, keep: torch.Tensor, keep_prob: float) -> torch.Tensor:
    storage_order = torch.as_strided(x, (x.numel(),), (1,)).reshape(x.shape)  # the mistake: x's strides ignored
    return rescale_survivors(storage_order, keep, keep_prob)


dropout = inverted_dropout(survivors=survivors_of_the_storage)
