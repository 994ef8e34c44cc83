"""Small synthetic tasks, each generated from an explicit np.random.Generator (one per seed), and one real
image data set (scikit-learn's bundled 8×8 digits, split per seed by such a generator).

Every function returns float64 NumPy arrays; `stack` turns one data set per seed into a batched
torch tensor of shape [seeds, n, features] for the batched networks in theory.experiments.net.
"""

from __future__ import annotations

import functools

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


DIGITS_SIDE = 8
DIGITS_CLASSES = 10
#: load_digits' pixels are counts 0..16 (4×4 blocks of a 32×32 bitmap); dividing by 16 scales them to [0, 1].
DIGITS_MAX_PIXEL = 16.0


DIGITS_IMAGES = 1797


def _digits_file_rows() -> np.ndarray | None:
    """The rows of the file load_digits reads (sklearn/datasets/data/digits.csv.gz: 64 pixels then the label),
    read without importing scikit-learn (its import costs about a second, more than every small experiment
    that uses the digits); None when the file is not where this scikit-learn keeps it or not in that form."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        return None
    rows = np.loadtxt(path, delimiter=",")
    pixels, labels = rows[:, :-1], rows[:, -1]
    well_formed = (rows.shape == (DIGITS_IMAGES, DIGITS_SIDE**2 + 1) and pixels.min() >= 0
                   and pixels.max() <= DIGITS_MAX_PIXEL and set(np.unique(labels)) == set(range(DIGITS_CLASSES)))
    return rows if well_formed else None


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 handwritten digits (1797 images; read from a file inside the package, no
    download), pixels scaled to [0, 1]: flattened float64 [1797, 64] and int64 labels [1797]."""
    rows = _digits_file_rows()
    if rows is None:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        rows = np.column_stack([bunch.data, bunch.target])
    images = np.asarray(rows[:, :-1], dtype=np.float64) / DIGITS_MAX_PIXEL
    images.setflags(write=False)
    labels = np.asarray(rows[:, -1], dtype=np.int64)
    labels.setflags(write=False)
    return images, labels


def digits_count() -> int:
    """How many images the digits data set has (the upper limit of a split's total size)."""
    return int(_digits()[1].size)


def digits_split(rng: np.random.Generator, sizes: dict[str, int]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A split of the real 8×8 digits into disjoint parts of the given sizes ({split: n}), by one permutation
    drawn from `rng` (so a fixed split per seed): {split: (pixels [n, 64] in [0, 1], labels [n] in 0..9)}."""
    images, labels = _digits()
    for split, n in sizes.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"digits_split: sizes[{split!r}] must be an integer ≥ 1, got {n!r}")
    total = sum(sizes.values())
    if total > labels.size:
        raise ValueError(f"digits_split: sizes must add up to at most {labels.size} images, got {total} ({sizes})")
    order = rng.permutation(labels.size)
    parts, start = {}, 0
    for split, n in sizes.items():
        chosen = order[start:start + n]
        parts[split] = (images[chosen].copy(), labels[chosen].copy())
        start += n
    return parts


def stack(arrays: list[np.ndarray], device: str | torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """One array per seed → tensor [seeds, ...] on `device` (labels stay int64)."""
    batch = np.stack(arrays)
    if np.issubdtype(batch.dtype, np.integer):
        return torch.as_tensor(batch, dtype=torch.int64, device=device)
    return torch.as_tensor(batch, dtype=dtype, device=device)
