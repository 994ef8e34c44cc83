"""Dropout, inverted and standard, as NumPy forward/backward pairs.

Signatures, defaults and parameter checks are the specs' (impls/protocol/dropout.py), applied by ``@reference``.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from impls.protocol.parameters import exported, implements, numpy_array

reference = partial(implements, array=numpy_array)


def _keep_mask(op: str, shape: tuple[int, ...], p: float, generator: np.random.Generator | None) -> np.ndarray:
    # Uniform doubles in [0, 1) have 53 random bits, so P(u >= p) = 1 - p to within 2**-53.
    rng = generator if generator is not None else np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator or None, got {type(generator).__name__}")
    return rng.random(shape) >= p


def _masked(x: np.ndarray, mask: np.ndarray, scale: float) -> np.ndarray:
    # Scale rounded once to x's dtype, then one rounding of the product: the torch reference does the same.
    return np.where(mask, x * x.dtype.type(scale), x.dtype.type(0))


@reference("dropout")
def dropout_forward(x: np.ndarray, p: float, *, training: bool, generator: np.random.Generator | None,
                    mask: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Inverted dropout. Return (out, cache); cache["mask"] is the boolean keep mask.

    Training: each element is kept with probability 1 - p and scaled by 1/(1 - p), so E[out] = x.
    Eval: the identity (the same array values, bit for bit). A given `mask` replaces the draw,
    so another implementation's mask can be replayed exactly.
    """
    if not training or p == 0.0:
        mask = np.ones(x.shape, dtype=bool)
        return x.copy(), {"mask": mask, "scale": 1.0}
    if mask is None:
        mask = _keep_mask("dropout", x.shape, p, generator)
    elif np.shape(mask) != x.shape or np.asarray(mask).dtype != np.bool_:
        raise ValueError(f"dropout: mask must be a bool array of shape {x.shape}, got {np.asarray(mask).dtype} {np.shape(mask)}")
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return _masked(x, mask, scale), {"mask": mask, "scale": scale}


def dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    """Gradient of inverted dropout: the upstream gradient through the same mask and scale."""
    return _masked(dout, cache["mask"], cache["scale"])


@reference("dropout_standard")
def dropout_standard_forward(x: np.ndarray, p: float, *, training: bool,
                             generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Standard dropout (Srivastava et al.): no scaling in training; eval multiplies by 1 - p.

    E[training output] = (1 - p) x = eval output.
    """
    if not training:
        mask = np.ones(x.shape, dtype=bool)
        return _masked(x, mask, 1.0 - p), {"mask": mask, "scale": 1.0 - p}
    mask = _keep_mask("dropout_standard", x.shape, p, generator)
    return _masked(x, mask, 1.0), {"mask": mask, "scale": 1.0}


def dropout_standard_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return _masked(dout, cache["mask"], cache["scale"])


__all__ = exported(globals())
