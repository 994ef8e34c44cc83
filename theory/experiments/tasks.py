"""Small synthetic tasks, each generated from an explicit np.random.Generator (one per seed).

Every function returns float64 NumPy arrays; `stack` turns one data set per seed into a batched
torch tensor of shape [seeds, n, features] for the batched networks in theory.experiments.net.
"""

from __future__ import annotations

import numpy as np
import torch

SINE_NOISE = 0.3


def sine_function(x: np.ndarray) -> np.ndarray:
    """The noiseless regression target of the 1-D tasks (a few wiggles on [-1, 1])."""
    return np.sin(3.0 * x) + 0.5 * np.sin(7.0 * x)


def sine_regression(rng: np.random.Generator, n: int, noise: float = SINE_NOISE) -> tuple[np.ndarray, np.ndarray]:
    """x ~ U[-1, 1], y = sine_function(x) + N(0, noise²): shapes [n, 1], [n, 1]."""
    x = rng.uniform(-1.0, 1.0, size=(n, 1))
    return x, sine_function(x) + noise * rng.standard_normal((n, 1))


def two_moons(rng: np.random.Generator, n: int, noise: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles with Gaussian jitter: x [n, 2], integer labels [n]."""
    labels = rng.integers(0, 2, size=n)
    angle = rng.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    x = np.where(labels[:, None] == 0, upper, lower) + noise * rng.standard_normal((n, 2))
    return x - np.array([0.5, 0.25]), labels


SPARSE_INPUTS = 20
SPARSE_TEACHER = np.array([1.5, -2.0, 1.0])


def sparse_regression(rng: np.random.Generator, n: int, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """20 Gaussian inputs of which only the first 3 matter (a sparse linear teacher) plus noise."""
    x = rng.standard_normal((n, SPARSE_INPUTS))
    y = x[:, : SPARSE_TEACHER.size] @ SPARSE_TEACHER + noise * rng.standard_normal(n)
    return x, y[:, None]


IMAGE_SIDE = 6
IMAGE_CLASSES = 4


def tiny_images(rng: np.random.Generator, n: int, noise: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """6×6 'images' of one bar (horizontal, vertical, diagonal, anti-diagonal) at a random offset, plus noise.

    Returns flattened pixels [n, 36] and labels [n] in {0, 1, 2, 3}.
    """
    side = IMAGE_SIDE
    labels = rng.integers(0, IMAGE_CLASSES, size=n)
    offsets = rng.integers(0, side, size=n)
    images = np.zeros((n, side, side))
    line = np.arange(side)
    for i, (label, offset) in enumerate(zip(labels, offsets, strict=False)):
        if label == 0:
            images[i, offset, :] = 1.0
        elif label == 1:
            images[i, :, offset] = 1.0
        elif label == 2:
            images[i, line, (line + offset) % side] = 1.0
        else:
            images[i, line, (offset - line) % side] = 1.0
    images += noise * rng.standard_normal(images.shape)
    return images.reshape(n, side * side), labels


def stack(arrays: list[np.ndarray], device: str | torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """One array per seed → tensor [seeds, ...] on `device` (labels stay int64)."""
    batch = np.stack(arrays)
    if np.issubdtype(batch.dtype, np.integer):
        return torch.as_tensor(batch, dtype=torch.int64, device=device)
    return torch.as_tensor(batch, dtype=dtype, device=device)
