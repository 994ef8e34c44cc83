"""Defect: the training forward normalizes with the unbiased batch variance (÷(m-1)) instead of the biased one (÷m)."""

import torch

from regverify.conformance.defects.parts.batch_norm import BatchNormCall, torch_batch_norm_with_output

BACKEND = "torch"


def normalized_by_the_unbiased_variance(call: BatchNormCall):
    if not call.options["training"]:
        return None
    x, axes = call.x, [0, *range(2, call.x.dim())]
    var = x.var(dim=axes, correction=1)  # the mistake: correction=0 (the biased variance)
    x_hat = (x - x.mean(dim=axes, keepdim=True)) / torch.sqrt(call.per_channel(var, 1.0) + call.options["eps"])
    return call.per_channel(call.gamma, 1.0) * x_hat + call.per_channel(call.beta, 0.0)


batch_norm = torch_batch_norm_with_output(normalized_by_the_unbiased_variance)
