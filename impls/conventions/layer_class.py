"""The layer-class convention: NumPy layers as objects with ``forward``/``backward`` and a ``training`` flag.

This is the style of the week-6 lecture document's own code (class Dropout(p), class BatchNorm(num_features,
momentum, eps)), and of many from-scratch courses:

    layer = Dropout(0.5); layer.training = True; out = layer.forward(x); dx = layer.backward(dout)
    bn = BatchNorm(C); bn.forward(x) updates bn.running_mean / bn.running_var; bn.backward(dout) -> dx
         (dgamma, dbeta returned with dx or stored as attributes dgamma/dbeta, grad_gamma/grad_beta, ...)
    ln = LayerNorm(D); ln.forward(x) normalizes each row

What the adapter translates:

- Classes are found by name (Dropout, BatchNorm, BatchNorm1d, LayerNorm, ...) and need a ``forward``.
- Dropout(p): keep or drop probability decided from behaviour at one known p, as for CS231n.
- Randomness: such classes draw from NumPy's global RNG; the adapter seeds it from the protocol's
  generator and restores it after every call.
- Batch norm: momentum as in the lecture's class and PyTorch, running = (1 - momentum)·running +
  momentum·batch, with the biased batch variance (x.var(axis=0)). One layer object per parameter shape
  is reused across calls, as a network reuses its layers, so state wrongly kept between calls shows.
  (N, C, H, W) input is fed as (N·H·W, C) rows.
- float64 only.
"""

from __future__ import annotations

import inspect
import types
from typing import Any

import numpy as np

from impls.conventions import layout
from impls.conventions.base import Adapted, call_user, new_protocol_module, probe
from impls.conventions.common import keep_mask, numpy_global_rng, seed_from

NAME = "layer-class"
ROLES = {"dropout": ("dropout",), "batch_norm": ("batchnorm", "batchnorm1d", "batchnormalization"),
         "layer_norm": ("layernorm", "layernormalization")}
BATCH_NORM_CONVENTIONS = {"momentum_convention": ("pytorch",), "var_estimator": ("biased",)}
PROBE_P, PROBE_SIZE = 0.2, 4000  # see impls.conventions.cs231n: the same decision, the same margin
GAMMA_NAMES, BETA_NAMES = ("gamma", "weight", "scale"), ("beta", "bias", "shift")
DGAMMA_NAMES = ("dgamma", "grad_gamma", "gamma_grad", "dweight", "grad_weight", "dW", "dscale")
DBETA_NAMES = ("dbeta", "grad_beta", "beta_grad", "dbias", "grad_bias", "db", "dshift")


def layer_classes(module: types.ModuleType) -> dict[str, type]:
    """Role -> class, for classes named like a layer that have a forward method."""
    found: dict[str, type] = {}
    for attribute, value in vars(module).items():
        if not inspect.isclass(value) or not callable(getattr(value, "forward", None)):
            continue
        key = attribute.lower().replace("_", "")
        for role, names in ROLES.items():
            if key in names and role not in found:
                found[role] = value
    return found


def matches(module: types.ModuleType) -> bool:
    return bool(layer_classes(module))


def _set_mode(layer: Any, training: bool) -> None:
    layer.training = training


def _first_attribute(layer: Any, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if isinstance(getattr(layer, n, None), np.ndarray)), None)


def _make(cls: type, *arguments: Any) -> Any:
    return cls(*arguments)


def decide_p_meaning(cls: type) -> tuple[str | None, str]:
    x = np.ones(PROBE_SIZE)
    try:
        layer = _make(cls, PROBE_P)
        _set_mode(layer, True)
    except Exception as error:  # noqa: BLE001
        return None, f"could not be decided ({cls.__name__}({PROBE_P}) raised {type(error).__name__})"
    with numpy_global_rng(0):
        status, result = probe(layer.forward, x, what=f"{cls.__name__}.forward")
    if status != "ok":
        return None, f"could not be decided ({result if status == 'stub' else type(result).__name__})"
    out = np.asarray(result)
    kept = float(np.mean(out != 0)) if out.shape == x.shape else float("nan")
    if not np.isfinite(kept) or kept in (0.0, 1.0):
        return None, f"could not be decided (kept {kept:.0%} at p={PROBE_P})"
    return ("keep" if abs(kept - PROBE_P) < abs(kept - (1 - PROBE_P)) else "drop"), f"kept {kept:.1%} at p={PROBE_P}"


def adapt(user: types.ModuleType, name: str, *, p_meaning: str | None = None) -> Adapted:
    protocol = new_protocol_module(name, "numpy", DTYPES=("float64",), BATCH_NORM_CONVENTIONS=BATCH_NORM_CONVENTIONS,
                                   CONVENTION=NAME)
    adapted = Adapted(protocol, NAME)
    classes = layer_classes(user)
    if "dropout" in classes:
        cls = classes["dropout"]
        meaning = adapted.read_p_as(f"{cls.__name__}(p)", p_meaning, *decide_p_meaning(cls), "drop",
                                    "read as the drop probability (--keep-prob to change)")
        _add_dropout(protocol, cls, meaning, adapted)
    if "batch_norm" in classes:
        _add_normalization(protocol, classes["batch_norm"], "batch_norm", adapted)
        adapted.notes.append(f"{classes['batch_norm'].__name__}: (N, C, H, W) input fed as (N·H·W, C) rows")
    if "layer_norm" in classes:
        _add_normalization(protocol, classes["layer_norm"], "layer_norm", adapted)
    return adapted


def _add_dropout(protocol: types.ModuleType, cls: type, meaning: str, adapted: Adapted) -> None:
    def dropout_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True, generator: Any = None):
        value = 1.0 - p if meaning == "keep" and isinstance(p, (int, float)) and not isinstance(p, bool) else p
        layer = _make(cls, value)
        _set_mode(layer, training)
        with numpy_global_rng(seed_from(generator)):
            out = call_user(layer.forward, x, what=f"{cls.__name__}({value!r}).forward(x of shape {np.shape(x)})",
                            context="training mode" if training else "eval mode (training = False)")
        mask, _ = keep_mask(vars(layer), x, out) if training else (np.ones(np.shape(x), dtype=bool), "eval")
        return out, {"mask": mask, "layer": layer, "training": training}

    protocol.dropout_forward = dropout_forward
    if callable(getattr(cls, "backward", None)):
        def dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
            context = ("backward called after a training-mode forward" if cache["training"]
                       else "backward called after an eval-mode forward (training = False)")
            return call_user(cache["layer"].backward, dout, what=f"{cls.__name__}.backward(dout)", context=context)

        protocol.dropout_backward = dropout_backward
    else:
        adapted.not_implemented[f"{cls.__name__}.backward"] = "no backward method"


def _add_normalization(protocol: types.ModuleType, cls: type, operation: str, adapted: Adapted) -> None:
    layers: dict[tuple, Any] = {}
    calls = iter(range(1, 2**62))

    def layer_for(shape: tuple[int, ...]) -> Any:
        # One object per parameter shape, reused: a network calls the same layer object batch after batch.
        if shape not in layers:
            layers[shape] = _make(cls, shape[0] if len(shape) == 1 else int(np.prod(shape)))
        return layers[shape]

    def run(layer: Any, rows: np.ndarray, gamma: np.ndarray, beta: np.ndarray, training: bool, extra: dict) -> Any:
        for names, value in ((GAMMA_NAMES, gamma), (BETA_NAMES, beta)):
            setattr(layer, _first_attribute(layer, names) or names[0], np.array(np.reshape(value, -1), copy=True))
        for key, value in extra.items():
            setattr(layer, key, value)
        _set_mode(layer, training)
        layer._regverify_call = next(calls)
        what = f"{cls.__name__}.forward(x of shape {rows.shape})"
        return call_user(layer.forward, rows, what=what,
                         context="training mode" if training else "eval mode (training = False)"), layer._regverify_call

    if operation == "batch_norm":
        def forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running_mean: np.ndarray,
                    running_var: np.ndarray, *, training: bool = True, momentum: float = 0.1, eps: float = 1e-5,
                    momentum_convention: str = "pytorch", var_estimator: str = "biased"):
            for key, value in (("momentum_convention", momentum_convention), ("var_estimator", var_estimator)):
                if value not in BATCH_NORM_CONVENTIONS[key]:
                    raise ValueError(f"batch_norm: {key} must be one of {BATCH_NORM_CONVENTIONS[key]} (the "
                                     f"convention of a {cls.__name__} layer), got {value!r}")
            image = np.ndim(x) == 4
            rows = layout.channels_last_rows(x) if image else x
            layer = layer_for(np.shape(gamma))
            extra = {"momentum": momentum, "eps": eps, "running_mean": np.array(running_mean, copy=True),
                     "running_var": np.array(running_var, copy=True)}
            out, call_id = run(layer, rows, gamma, beta, training, extra)
            out = layout.channels_first(np.asarray(out), np.shape(x)) if image else out
            cache = {"running_mean": np.array(layer.running_mean, copy=True),
                     "running_var": np.array(layer.running_var, copy=True),
                     "layer": layer, "call": call_id, "image": image, "shape": np.shape(x), "training": training,
                     "replay": lambda: run(layer, rows, gamma, beta, training, extra)}
            return out, cache
    else:
        def forward(x: np.ndarray, normalized_shape: Any, gamma: np.ndarray, beta: np.ndarray, *, eps: float = 1e-5):
            normalized = layout.normalized_tuple(normalized_shape)
            rows = layout.feature_rows(x, normalized)
            layer = layer_for(tuple(np.shape(gamma)))
            out, call_id = run(layer, rows, gamma, beta, True, {"eps": eps})
            cache = {"layer": layer, "call": call_id, "shape": np.shape(x), "normalized": normalized, "training": True,
                     "replay": lambda: run(layer, rows, gamma, beta, True, {"eps": eps})}
            return np.reshape(out, np.shape(x)), cache

    setattr(protocol, f"{operation}_forward", forward)
    if not callable(getattr(cls, "backward", None)):
        adapted.not_implemented[f"{cls.__name__}.backward"] = "no backward method"
        return

    def backward(dout: np.ndarray, cache: dict):
        layer = cache["layer"]
        if layer._regverify_call != cache["call"]:  # the object ran another batch since: replay this one first
            cache["call"] = cache["replay"]()[1]
        context = ("backward called after a training-mode forward" if cache["training"]
                   else "backward called after an eval-mode forward (training = False)")
        rows = layout.channels_last_rows(dout) if cache.get("image") else layout.feature_rows(
            dout, cache["normalized"]) if "normalized" in cache else dout
        returned = call_user(layer.backward, rows, what=f"{cls.__name__}.backward(dout)", context=context)
        if isinstance(returned, tuple) and len(returned) == 3:
            dx, dgamma, dbeta = returned
        else:
            dx = returned[0] if isinstance(returned, tuple) else returned
            names = (_first_attribute(layer, DGAMMA_NAMES), _first_attribute(layer, DBETA_NAMES))
            if None in names:
                raise AttributeError(f"{cls.__name__}.backward returned dx only and stored no dgamma/dbeta "
                                     f"(looked for {', '.join(DGAMMA_NAMES)} and {', '.join(DBETA_NAMES)})")
            dgamma, dbeta = getattr(layer, names[0]), getattr(layer, names[1])
        if cache.get("image"):
            dx = layout.channels_first(np.asarray(dx), cache["shape"])
        shape = np.shape(layer.gamma if hasattr(layer, "gamma") else dgamma)
        target_shape = cache.get("normalized", shape)
        return np.reshape(dx, cache["shape"]), np.reshape(dgamma, target_shape), np.reshape(dbeta, target_shape)

    setattr(protocol, f"{operation}_backward", backward)
