"""Adapters to PyTorch's own noise regularizers: F.cross_entropy(label_smoothing=), F.dropout1d/2d/3d,
F.alpha_dropout, F.feature_alpha_dropout, and torchvision.ops.stochastic_depth where torchvision imports.

PyTorch has no Gaussian dropout, DropConnect, locked or embedding dropout, and no stand-alone label
smoothing: those operations are "not implemented" here. Built-ins that read the global RNG run from
the caller's generator (seeding.seeded_from); the mask is recovered by replaying the same seed.
Signatures and defaults are the specs' (``@adapter``, impls/protocol/noise.py); arguments go to PyTorch unchecked.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F

from impls.protocol.parameters import exported, implements
from impls.torch_native.seeding import seeded_from

#: The spec's signature and defaults, no checks of ours in front of PyTorch's.
adapter = partial(implements, check=False)


@adapter("label_smoothing_cross_entropy")
def label_smoothing_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, epsilon: float, *, convention: str,
                                  reduction: str, weight: torch.Tensor | None, ignore_index: int) -> torch.Tensor:
    """F.cross_entropy(label_smoothing=ε). PyTorch implements the uniform convention only; the off-target
    convention ε → ε/(K-1) is uniform smoothing with ε·K/(K-1), which PyTorch accepts while that is ≤ 1."""
    num_classes = logits.shape[1 if logits.dim() >= 2 else 0]
    if convention == "off_target":
        if num_classes < 2:
            raise ValueError(f"label_smoothing_cross_entropy: num_classes must be ≥ 2 for convention='off_target', "
                             f"got {num_classes}")
        smoothing = epsilon * num_classes / (num_classes - 1)
        if smoothing > 1.0:
            raise ValueError(f"label_smoothing_cross_entropy: epsilon must be in [0, {(num_classes - 1) / num_classes}] "
                             f"for convention='off_target' with PyTorch (label_smoothing = ε·K/(K-1) ≤ 1), "
                             f"got {epsilon!r}")
    elif convention == "uniform":
        smoothing = epsilon
    else:
        raise ValueError(f"label_smoothing_cross_entropy: convention must be one of ('uniform', 'off_target'), "
                         f"got {convention!r}")
    return F.cross_entropy(logits, targets, weight=weight, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=smoothing)


def _own_generator(generator: torch.Generator | None, device: torch.device) -> torch.Generator:
    """Without a generator, one seeded from the global RNG: the replay that exposes the mask needs a fixed seed."""
    if generator is not None:
        return generator
    seed = int(torch.randint(0, 2**62, (1,)).item())
    return torch.Generator(device=device).manual_seed(seed)


def _replayed(function, x: torch.Tensor, p: float, training: bool, generator: torch.Generator | None):
    """Run `function(x)` from `generator`, then the same seed on ones to expose the noise it drew."""
    generator = _own_generator(generator, x.device)
    state = generator.get_state()
    with seeded_from(generator, x.device):
        out = function(x, p=p, training=training)
    generator.set_state(state)
    with seeded_from(generator, x.device):
        probe = function(torch.ones_like(x, requires_grad=False), p=p, training=training)
    return out, probe.detach()


def _channel_mask(probe: torch.Tensor, leading: int) -> torch.Tensor:
    # The probe is constant over each channel's spatial dims; keep the first element of each.
    index = (slice(None),) * leading + (slice(0, 1),) * (probe.dim() - leading)
    return probe[index]


def _feature(operation: str, function, leading_by_ndim: dict[int, int]):
    @adapter(operation)
    def feature_dropout(x: torch.Tensor, p: float, *, training: bool,
                        generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        out, probe = _replayed(function, x, p, training, generator)
        leading = leading_by_ndim.get(x.dim(), 2)
        return out, _channel_mask(probe, leading) != 0

    feature_dropout.__name__ = feature_dropout.__qualname__ = operation
    return feature_dropout


dropout1d = _feature("dropout1d", F.dropout1d, {2: 1, 3: 2})
dropout1d.__doc__ = "F.dropout1d (nn.Dropout1d), seeded from `generator`; mask: one entry per channel."
# F.dropout2d treats 3-D input as (N, C, L) and warns (PyTorch's documented historical behaviour).
dropout2d = _feature("dropout2d", F.dropout2d, {3: 2, 4: 2})
dropout2d.__doc__ = "F.dropout2d (nn.Dropout2d), seeded from `generator`; mask: one entry per channel."
dropout3d = _feature("dropout3d", F.dropout3d, {4: 1, 5: 2})
dropout3d.__doc__ = "F.dropout3d (nn.Dropout3d), seeded from `generator`; mask: one entry per channel."


@adapter("alpha_dropout")
def alpha_dropout(x: torch.Tensor, p: float, *, training: bool, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """F.alpha_dropout (nn.AlphaDropout); on ones a kept unit gives a(1 + pα) > 0, a dropped one -aα(1-p) < 0."""
    out, probe = _replayed(F.alpha_dropout, x, p, training, generator)
    return out, probe > 0


@adapter("feature_alpha_dropout")
def feature_alpha_dropout(x: torch.Tensor, p: float, *, training: bool,
                          generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """F.feature_alpha_dropout (nn.FeatureAlphaDropout): one decision per (N, C) channel."""
    out, probe = _replayed(F.feature_alpha_dropout, x, p, training, generator)
    return out, _channel_mask(probe, 2) > 0


@adapter("attention_dropout")
def attention_dropout(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, p: float, *, training: bool,
                      generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """F.scaled_dot_product_attention(dropout_p=p), seeded from `generator`. The keep mask is recovered by replaying
    the same seed with v = identity, whose output is the dropped attention matrix itself (zeros where dropped)."""
    dropout_p = p if training else 0.0
    identity = torch.eye(k.shape[-2], dtype=v.dtype, device=v.device).expand(*k.shape[:-1], k.shape[-2])
    generator = _own_generator(generator, q.device)
    state = generator.get_state()
    with seeded_from(generator, q.device):
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
    generator.set_state(state)
    with seeded_from(generator, q.device), torch.no_grad():
        probe = F.scaled_dot_product_attention(q.detach(), k.detach(), identity, dropout_p=dropout_p)
    return out, probe != 0


try:  # torchvision is optional: stochastic_depth is "not implemented" without it.
    import torchvision.ops as _tv_ops
except ImportError:
    _tv_ops = None

if _tv_ops is not None:

    @adapter("stochastic_depth")
    def stochastic_depth(x: torch.Tensor, p: float, mode: str, *, training: bool,
                         generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        """torchvision.ops.stochastic_depth, seeded from `generator`; mask recovered by replay on ones."""

        def function(v: torch.Tensor, p: float, training: bool) -> torch.Tensor:
            return _tv_ops.stochastic_depth(v, p, mode, training)

        out, probe = _replayed(function, x, p, training, generator)
        leading = 1 if mode == "row" else 0
        return out, _channel_mask(probe, leading) != 0


__all__ = exported(globals())
