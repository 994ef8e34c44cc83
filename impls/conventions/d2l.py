"""The d2l convention (Dive into Deep Learning, "Dropout from scratch"): ``dropout_layer(X, dropout)`` in torch.

``dropout`` is the drop probability; the function is the training-mode layer (a network skips it in eval,
so eval is the identity by construction); it draws from torch's global RNG and returns no mask.

The adapter seeds torch's global CPU RNG from the protocol's generator and restores it after the call,
takes the survivors from the output (the suite's inputs are nonzero), runs on the CPU only (the
function draws its mask with torch.rand on the default device) and declares float32 and float64.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

from impls.conventions.base import Adapted, call_user, new_protocol_module, probe
from impls.conventions.common import seed_from, survivors_of, torch_global_rng

NAME = "d2l"


def matches(module: types.ModuleType) -> bool:
    function = getattr(module, "dropout_layer", None)
    if not callable(function):
        return False
    try:
        return len(inspect.signature(function).parameters) >= 2
    except (TypeError, ValueError):
        return False


def adapt(user: types.ModuleType, name: str, *, p_meaning: str | None = None) -> Adapted:
    import torch

    protocol = new_protocol_module(name, "torch", DTYPES=("float32", "float64"), DEVICES=("cpu",), CONVENTION=NAME)
    adapted = Adapted(protocol, NAME)
    meaning = p_meaning or "drop"
    protocol.P_MEANING = meaning
    adapted.notes.append(f"dropout_layer(X, dropout): dropout read as the {meaning} probability"
                         + (" (forced)" if p_meaning else " (d2l's convention)")
                         + "; eval is the identity (d2l skips the layer)")
    with torch_global_rng(0):
        status, why = probe(user.dropout_layer, torch.ones(8), 0.5, what="dropout_layer")
    if status == "stub":
        adapted.not_implemented["dropout_layer"] = why
        return adapted
    function = user.dropout_layer

    def dropout(x: Any, p: float = 0.5, *, training: bool = True, generator: Any = None):
        if not training:
            return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
        value = 1.0 - p if meaning == "keep" and isinstance(p, (int, float)) and not isinstance(p, bool) else p
        with torch_global_rng(seed_from(generator)):
            out = call_user(function, x, value, what=f"dropout_layer(X of shape {tuple(x.shape)}, {value!r})")
        return out, survivors_of(x, out).detach() if isinstance(out, torch.Tensor) else out

    protocol.dropout = dropout
    return adapted
