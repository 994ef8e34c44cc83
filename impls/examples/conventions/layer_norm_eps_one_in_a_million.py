"""Layer norm over the trailing dimensions with ε = 1e-6 by default, the value ViT- and ConvNeXt-style code
passes (PyTorch's own default is 1e-5); written out rather than through F.layer_norm."""

import torch

BACKEND = "torch"
LAYER_NORM_CONVENTIONS = {"default_eps": ("1e-06",)}


def layer_norm(x: torch.Tensor, normalized_shape, gamma=None, beta=None, *, eps: float = 1e-6) -> torch.Tensor:
    trailing = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(x.shape[x.ndim - len(trailing):]) != trailing:
        raise ValueError(f"layer_norm: normalized_shape must be x's trailing dimensions {tuple(x.shape)}, got {trailing}")
    if not eps > 0:  # also nan
        raise ValueError(f"layer_norm: eps must be > 0, got {eps!r}")
    dims = tuple(range(x.ndim - len(trailing), x.ndim))
    mean = x.mean(dim=dims, keepdim=True)
    centred = x - mean
    variance = (centred * centred).mean(dim=dims, keepdim=True)
    out = centred * torch.rsqrt(variance + eps)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out
