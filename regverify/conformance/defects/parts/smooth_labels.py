"""Label smoothing as impls.torch_ref.smooth_labels, with one convention's labels computed by a defect's rule."""

from __future__ import annotations

from collections.abc import Callable

import torch

from impls.torch_ref import smooth_labels as reference

#: rule(on_target (N, K) bool, the reference's labels (N, K), epsilon, K) -> the labels the defect returns.
LabelRule = Callable[[torch.Tensor, torch.Tensor, float, int], torch.Tensor]


def smooth_labels_except(wrong_convention: str, rule: LabelRule) -> Callable[..., torch.Tensor]:
    """The reference's smooth_labels, except that under `wrong_convention` the labels are `rule`'s."""

    def smooth_labels(targets: torch.Tensor, num_classes: int, epsilon: float, *, convention: str = "uniform",
                      dtype: torch.dtype | None = None) -> torch.Tensor:
        labels = reference(targets, num_classes, epsilon, convention=convention, dtype=dtype)
        if convention != wrong_convention:
            return labels
        on_target = torch.arange(num_classes, device=targets.device) == targets.unsqueeze(-1)
        return rule(on_target, labels, epsilon, num_classes).to(labels.dtype)

    return smooth_labels
