"""Keras layers as protocol operations: Dropout, SpatialDropout1D/2D/3D, GaussianDropout, AlphaDropout,
GaussianNoise, BatchNormalization and LayerNormalization.

Each call builds the layer a user would build (with the input's dtype as its dtype policy, so float64 stays
float64) and calls it on the caller's tensor; normalization runs through ``Layer.stateless_call`` with the
caller's γ, β and running statistics as the layer's variables, so autograd reaches them and the updated
running statistics come back instead of being written into the layer.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import torch

__all__ = [
    "dropout", "dropout1d", "dropout2d", "dropout3d", "gaussian_dropout", "alpha_dropout", "feature_alpha_dropout",
    "gaussian_noise", "random_gaussian_noise", "batch_norm", "layer_norm",
]

_SEED_LIMIT = 2**31 - 1  # keras.random.SeedGenerator takes a Python int; its torch backend keeps 32 bits


def _dtype_name(x: torch.Tensor) -> str:
    return str(x.dtype).removeprefix("torch.")


def _keras_device(x: torch.Tensor) -> str:
    return "cpu" if x.device.type == "cpu" else f"gpu:{x.device.index or 0}"


def draw_seed(generator: torch.Generator | None) -> int:
    """A Keras layer seed from the caller's generator (from the global RNG only when none is given)."""
    if generator is None:
        return int(torch.randint(0, _SEED_LIMIT, (1,)).item())
    return int(torch.randint(0, _SEED_LIMIT, (1,), generator=generator, device=generator.device).item())


def _seeded(make: Callable[[int, str], keras.layers.Layer], x: torch.Tensor, probe: torch.Tensor, training: bool,
            generator: torch.Generator | None, layout: Callable[[torch.Tensor], torch.Tensor] = lambda v: v,
            restore: Callable[[torch.Tensor], torch.Tensor] = lambda v: v) -> tuple[torch.Tensor, torch.Tensor]:
    """Run a freshly built seeded layer on x, then a second one with the same seed on `probe` (same draws)."""
    seed = draw_seed(generator)
    dtype = _dtype_name(x)
    with keras.device(_keras_device(x)):
        out = make(seed, dtype)(layout(x), training=training)
        replay = make(seed, dtype)(layout(probe), training=training)
    return restore(out), restore(replay).detach()


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
            generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.Dropout(rate=p, seed=...)(x, training=training); keep mask from the replay on ones."""
    out, probe = _seeded(lambda seed, dtype: keras.layers.Dropout(p, seed=seed, dtype=dtype), x,
                         torch.ones_like(x), training, generator)
    return out, probe != 0


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.movedim(1 if x.dim() >= 3 else 0, -1)


def _channels_first(x: torch.Tensor) -> torch.Tensor:
    return x.movedim(-1, 1 if x.dim() >= 3 else 0)


def _channel_mask(probe: torch.Tensor) -> torch.Tensor:
    # The probe is constant over each channel's spatial dims: keep the first element of each (dims ≥ 2).
    return probe[(slice(None), slice(None)) + (slice(0, 1),) * (probe.dim() - 2)] != 0


def _spatial(make: Callable[[int, str], keras.layers.Layer], x: torch.Tensor, batched_ndim: int, training: bool,
             generator: torch.Generator | None, channels_last: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Keras's spatial dropout layers want a batch axis: an unbatched input (C, ...) runs as a batch of one."""
    unbatched = x.dim() == batched_ndim - 1
    v = x.unsqueeze(0) if unbatched else x
    layout, restore = (_channels_last, _channels_first) if channels_last else (lambda t: t, lambda t: t)
    out, probe = _seeded(make, v, torch.ones_like(v), training, generator, layout, restore)
    mask = _channel_mask(probe)
    return (out[0], mask[0]) if unbatched else (out, mask)


def dropout1d(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.SpatialDropout1D on (N, C, L) or (C, L), moved to Keras's (N, L, C) and back (it has no
    data_format)."""
    return _spatial(lambda seed, dtype: keras.layers.SpatialDropout1D(p, seed=seed, dtype=dtype), x, 3, training,
                    generator, channels_last=True)


def dropout2d(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.SpatialDropout2D(data_format="channels_first") on (N, C, H, W). A 3-D (N, C, L) input is a
    Keras user's SpatialDropout1D (Keras's 2-D layer takes 4-D input only), the protocol's one mask per row."""
    if x.dim() == 3:
        return dropout1d(x, p, training=training, generator=generator)
    return _spatial(lambda seed, dtype: keras.layers.SpatialDropout2D(p, data_format="channels_first", seed=seed,
                                                                      dtype=dtype), x, 4, training, generator)


def dropout3d(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.SpatialDropout3D(data_format="channels_first") on (N, C, D, H, W) or (C, D, H, W)."""
    return _spatial(lambda seed, dtype: keras.layers.SpatialDropout3D(p, data_format="channels_first", seed=seed,
                                                                      dtype=dtype), x, 5, training, generator)


def gaussian_dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.GaussianDropout(rate=p): x·ξ, ξ ~ N(1, p/(1-p)); ξ from the replay on ones."""
    out, noise = _seeded(lambda seed, dtype: keras.layers.GaussianDropout(p, seed=seed, dtype=dtype), x,
                         torch.ones_like(x), training, generator)
    return out, noise


def alpha_dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.AlphaDropout(rate=p); on ones a kept unit gives a(1 + p·λα) > 0, a dropped one a·α'(1-p) < 0."""
    out, probe = _seeded(lambda seed, dtype: keras.layers.AlphaDropout(p, seed=seed, dtype=dtype), x,
                         torch.ones_like(x), training, generator)
    return out, probe > 0


def feature_alpha_dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
                          generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.AlphaDropout(rate=p, noise_shape=(N, C, 1, ...)): one decision per channel."""
    noise_shape = tuple(x.shape[:2]) + (1,) * (x.dim() - 2)
    out, probe = _seeded(lambda seed, dtype: keras.layers.AlphaDropout(p, noise_shape=noise_shape, seed=seed,
                                                                       dtype=dtype),
                         x, torch.ones_like(x), training, generator)
    return out, probe[(slice(None), slice(None)) + (slice(0, 1),) * (probe.dim() - 2)] > 0


def gaussian_noise(x: torch.Tensor, sigma: float, *, training: bool = True,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.GaussianNoise(stddev=sigma): x + ε; ε from the replay on zeros."""
    out, noise = _seeded(lambda seed, dtype: keras.layers.GaussianNoise(sigma, seed=seed, dtype=dtype), x,
                         torch.zeros_like(x), training, generator)
    return out, noise


def random_gaussian_noise(x: torch.Tensor, std: float = 0.1, *,
                          generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """keras.layers.GaussianNoise(stddev=std) in training mode, as a data augmentation."""
    return gaussian_noise(x, std, training=True, generator=generator)


# ---------------------------------------------------------------- normalization


def _conventions(momentum_convention: str, var_estimator: str) -> None:
    for name, value, supported in (("momentum_convention", momentum_convention, "keras"),
                                   ("var_estimator", var_estimator, "biased")):
        if value != supported:
            raise ValueError(f"batch_norm: keras implements only {name}={supported!r}, got {value!r}")


def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean: torch.Tensor,
               running_var: torch.Tensor, *, training: bool = True, momentum: float = 0.99, eps: float = 1e-3,
               momentum_convention: str = "keras", var_estimator: str = "biased",
               ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """keras.layers.BatchNormalization(axis=1, momentum, epsilon=eps).stateless_call with the caller's
    [γ, β] and [moving_mean, moving_variance]; returns (out, the updated moving statistics)."""
    _conventions(momentum_convention, var_estimator)
    with keras.device(_keras_device(x)):
        layer = keras.layers.BatchNormalization(axis=1, momentum=momentum, epsilon=eps, dtype=_dtype_name(x))
        layer.build(tuple(x.shape))
        out, (new_mean, new_var) = layer.stateless_call([gamma, beta], [running_mean, running_var], x,
                                                        training=training)
    return out, {"running_mean": new_mean.detach(), "running_var": new_var.detach()}


def layer_norm(x: torch.Tensor, normalized_shape: int | tuple[int, ...], gamma: torch.Tensor, beta: torch.Tensor, *,
               eps: float = 1e-3) -> torch.Tensor:
    """keras.layers.LayerNormalization(axis=the trailing normalized axes, epsilon=eps).stateless_call([γ, β])."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if len(shape) == 0 or len(shape) > x.dim() or tuple(x.shape[x.dim() - len(shape):]) != shape:
        raise ValueError(f"layer_norm: normalized_shape must equal x's trailing axes {tuple(x.shape)}, got "
                         f"{normalized_shape!r}")
    axes = list(range(x.dim() - len(shape), x.dim()))
    with keras.device(_keras_device(x)):
        layer = keras.layers.LayerNormalization(axis=axes, epsilon=eps, dtype=_dtype_name(x))
        layer.build(tuple(x.shape))
        out, _ = layer.stateless_call([gamma, beta], [], x)
    return out
