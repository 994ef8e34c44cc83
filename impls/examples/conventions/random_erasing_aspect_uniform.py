"""Random erasing as Zhong et al.'s Algorithm 1 writes it: the aspect ratio r_e is drawn uniformly on
[r₁, r₂] (not log-uniformly, as torchvision does), up to ten attempts per image, then the image as it was.
Written per image, with constant fills only."""

import math

import torch

BACKEND = "torch"
RANDOM_ERASING_CONVENTIONS = {"aspect_ratio": ("uniform",)}
ERASING_VALUES = (0.0, 2.5)
ATTEMPTS = 10


def _check_range(name: str, pair) -> tuple[float, float]:
    low, high = (float(v) for v in pair)
    if not 0.0 < low <= high < math.inf:
        raise ValueError(f"random_erasing: {name} must be a pair 0 < low ≤ high < inf, got {pair!r}")
    return low, high


def random_erasing(x: torch.Tensor, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), *, value: float = 0.0,
                   generator: torch.Generator | None = None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"random_erasing: p must be in [0, 1], got {p!r}")
    if x.ndim != 4:
        raise ValueError(f"random_erasing: x must be (N, C, H, W), got shape {tuple(x.shape)}")
    if isinstance(value, str) or not math.isfinite(value):
        raise ValueError(f"random_erasing: value must be a finite number, got {value!r}")
    (s_low, s_high), (r_low, r_high) = _check_range("scale", scale), _check_range("ratio", ratio)
    out, boxes = x.clone(), torch.zeros((x.shape[0], 4), dtype=torch.long, device=x.device)
    height, width = x.shape[2], x.shape[3]

    def draw() -> float:
        return float(torch.rand((), generator=generator, device=x.device, dtype=torch.float64))

    for image in range(x.shape[0]):
        if draw() >= p:
            continue
        for _ in range(ATTEMPTS):
            area = (s_low + (s_high - s_low) * draw()) * height * width
            aspect = r_low + (r_high - r_low) * draw()
            box_h, box_w = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
            if 1 <= box_h < height and 1 <= box_w < width:
                top = math.floor(draw() * (height - box_h + 1))
                left = math.floor(draw() * (width - box_w + 1))
                out[image, :, top:top + box_h, left:left + box_w] = value
                boxes[image] = torch.tensor([top, top + box_h, left, left + box_w])
                break
    return out, boxes
