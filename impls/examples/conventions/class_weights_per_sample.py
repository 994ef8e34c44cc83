"""Label-smoothed cross-entropy with Keras's class_weight: the weight w[y] multiplies the whole smoothed loss."""

import torch.nn.functional as F

BACKEND = "torch"
LABEL_SMOOTHING_CROSS_ENTROPY_CONVENTIONS = {"class_weights": ("per_sample",), "weighted_mean": ("count",)}


def label_smoothing_cross_entropy(logits, targets, epsilon, *, convention="uniform", reduction="mean", weight=None,
                                  ignore_index=-100):
    k = logits.shape[1]
    q = (1 - epsilon) * F.one_hot(targets, k).to(logits.dtype) + epsilon / k
    per_sample = -(q * F.log_softmax(logits, dim=1)).sum(dim=1)
    if weight is not None:
        per_sample = per_sample * weight[targets]
    return {"none": per_sample, "sum": per_sample.sum(), "mean": per_sample.mean()}[reduction]
