"""CutMix as timm's Mixup(correct_lam=False): labels mix by the sampled λ even when the box was clipped."""

import math

import torch

BACKEND = "torch"
CUTMIX_CONVENTIONS = {"lam": ("uncorrected",)}


def cutmix(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *, generator: torch.Generator | None = None):
    n, _, h, w = x.shape
    lam = float(torch.distributions.Beta(alpha, alpha).sample() if generator is None else
                _beta(alpha, generator, x.device))
    permutation = torch.randperm(n, generator=generator, device=generator.device if generator else "cpu").to(x.device)
    cut_h, cut_w = int(h * math.sqrt(1 - lam)), int(w * math.sqrt(1 - lam))
    cy = int(torch.randint(0, h, (1,), generator=generator, device=generator.device if generator else "cpu"))
    cx = int(torch.randint(0, w, (1,), generator=generator, device=generator.device if generator else "cpu"))
    y1, y2 = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, h)
    x1, x2 = max(cx - cut_w // 2, 0), min(cx + cut_w // 2, w)
    mixed = x.clone()
    mixed[:, :, y1:y2, x1:x2] = x[permutation][:, :, y1:y2, x1:x2]
    return mixed, lam * y_onehot + (1 - lam) * y_onehot[permutation], (lam, (y1, y2, x1, x2), permutation)


def _beta(alpha: float, generator: torch.Generator, device) -> float:
    # Beta(α, α) from two Gamma(α) draws through the inverse-free ratio of uniforms is overkill here: α = 1 is U(0, 1).
    if alpha != 1.0:
        raise ValueError(f"cutmix: this example draws λ for alpha = 1.0 only, got {alpha!r}")
    return float(torch.rand((), generator=generator, device=generator.device))
