"""The CS231n convention: ``layers.py`` as the course's assignments ask for it.

    dropout_forward(x, dropout_param) -> (out, cache)        dropout_param = {'p', 'mode', 'seed'}
    dropout_backward(dout, cache) -> dx
    batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)   bn_param = {'mode', 'eps', 'momentum',
    batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)               'running_mean', 'running_var'}
    spatial_batchnorm_forward / spatial_batchnorm_backward     the same for (N, C, H, W)
    layernorm_forward(x, gamma, beta, ln_param) -> (out, cache)   ln_param = {'eps'}
    layernorm_backward(dout, cache) -> (dx, dgamma, dbeta)

What the adapter translates:

- ``dropout_param['p']`` is the keep probability in recent course years and the drop probability in
  older ones: one call at p = 0.2 decides which (override with p_meaning="keep" | "drop").
- Randomness: the protocol's generator becomes ``dropout_param['seed']``; NumPy's global RNG is saved
  and restored around every call (and scrambled before it, so code that ignores the seed is caught).
- Any mask encoding in the cache (see :func:`impls.conventions.common.keep_mask`).
- Batch norm: running = momentum·running + (1 - momentum)·batch (the protocol's "keras" convention)
  with the biased batch variance; (N, C, H, W) goes to spatial_batchnorm_* when implemented, else to
  batchnorm_* on the (N·H·W, C) rows. The course defines batch-norm backward in training mode only.
- Layer norm: any batch shape and trailing normalized shape, as (N, D) rows.
- float64 only (the course's gradient checks are float64).
- Dropping everything (keep probability 0) is outside the course's p in (0, 1]: that boundary cell is not
  generated (DEFINES_P_ONE = False); p = 0 (keep 1) is checked.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from impls.conventions import layout
from impls.conventions.base import Adapted, call_user, new_protocol_module, probe
from impls.conventions.common import keep_mask, numpy_global_rng, seed_from

NAME = "cs231n"
FUNCTIONS = ("dropout_forward", "dropout_backward", "batchnorm_forward", "batchnorm_backward",
             "batchnorm_backward_alt", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
             "layernorm_forward", "layernorm_backward")
#: Parameter names that identify the convention in a signature.
SIGNATURE_PARAMETERS = {"dropout_forward": "dropout_param", "batchnorm_forward": "bn_param",
                        "layernorm_forward": "ln_param", "spatial_batchnorm_forward": "bn_param"}
#: The known p of the keep-or-drop probe, and its input size: with n = 4000 the kept fraction has standard
#: deviation sqrt(0.2·0.8/4000) = 0.0063, so reading keep (0.2) as drop (0.8) needs a 47σ deviation.
PROBE_P, PROBE_SIZE = 0.2, 4000
BATCH_NORM_CONVENTIONS = {"momentum_convention": ("keras",), "var_estimator": ("biased",)}


def matches(module: types.ModuleType) -> bool:
    import inspect

    for function, parameter in SIGNATURE_PARAMETERS.items():
        candidate = getattr(module, function, None)
        if callable(candidate):
            try:
                if parameter in inspect.signature(candidate).parameters:
                    return True
            except (TypeError, ValueError):
                continue
    return False


def _check_conventions(momentum_convention: str, var_estimator: str) -> None:
    for name, value in (("momentum_convention", momentum_convention), ("var_estimator", var_estimator)):
        if value not in BATCH_NORM_CONVENTIONS[name]:
            raise ValueError(f"batch_norm: {name} must be one of {BATCH_NORM_CONVENTIONS[name]} (the CS231n "
                             f"convention), got {value!r}")


def decide_p_meaning(user: types.ModuleType) -> tuple[str | None, str]:
    """('keep' | 'drop' | None, how it was decided) from one training call at p = PROBE_P."""
    x = np.ones(PROBE_SIZE)
    with numpy_global_rng(0):
        status, result = probe(user.dropout_forward, x, {"p": PROBE_P, "mode": "train", "seed": 0},
                               what="dropout_forward(x, dropout_param)")
    if status != "ok":
        return None, f"could not be decided ({result if status == 'stub' else type(result).__name__})"
    out = np.asarray(result[0] if isinstance(result, tuple) else result)
    kept = float(np.mean(out != 0)) if out.shape == x.shape else float("nan")
    if not np.isfinite(kept) or kept in (0.0, 1.0):
        return None, f"could not be decided (kept {kept:.0%} of the inputs at p={PROBE_P})"
    meaning = "keep" if abs(kept - PROBE_P) < abs(kept - (1 - PROBE_P)) else "drop"
    return meaning, f"kept {kept:.1%} of the inputs at p={PROBE_P}"


def adapt(user: types.ModuleType, name: str, *, p_meaning: str | None = None) -> Adapted:
    protocol = new_protocol_module(name, "numpy", DTYPES=("float64",), BATCH_NORM_CONVENTIONS=BATCH_NORM_CONVENTIONS,
                                   EVAL_BACKWARD=("dropout", "layer_norm"), DEFINES_P_ONE=False, CONVENTION=NAME)
    adapted = Adapted(protocol, NAME)
    available = {f: getattr(user, f) for f in FUNCTIONS if callable(getattr(user, f, None))}

    def usable(forward: str, *probe_args: Any) -> bool:
        if forward not in available:
            return False
        with numpy_global_rng(0):
            status, result = probe(available[forward], *probe_args, what=forward)
        if status == "stub":
            adapted.not_implemented[forward] = result
            return False
        return True

    def backward_usable(backward: str, forward: str, *probe_args: Any) -> bool:
        """The backward exists and is not a stub (probed on its own forward's cache)."""
        if backward not in available:
            return False
        with numpy_global_rng(0):
            status, result = probe(available[forward], *probe_args, what=forward)
            if status != "ok" or not isinstance(result, tuple) or len(result) != 2:
                return True  # cannot probe: let the properties call it and report what happens
            status, answer = probe(available[backward], np.ones_like(np.asarray(result[0], dtype=float)), result[1],
                                   what=backward)
        if status == "stub":
            adapted.not_implemented[backward] = answer
            return False
        return True

    rows = np.arange(12.0).reshape(4, 3) ** 1.5

    def bn_param(mode: str = "train") -> dict:
        return {"mode": mode, "eps": 1e-5, "momentum": 0.9, "running_mean": np.zeros(3), "running_var": np.ones(3)}

    # ---------------------------------------------------------------- dropout
    if usable("dropout_forward", np.ones(8), {"p": 0.5, "mode": "train", "seed": 0}):
        meaning = adapted.read_p_as("dropout_param['p']", p_meaning, *decide_p_meaning(user), "keep",
                                    "read as the keep probability (the course's current convention; --drop-prob to change)")
        _add_dropout(protocol, available, meaning,
                     backward_usable("dropout_backward", "dropout_forward", np.ones(8),
                                     {"p": 0.5, "mode": "train", "seed": 0}))

    # ---------------------------------------------------------------- batch norm
    if usable("batchnorm_forward", rows, np.ones(3), np.zeros(3), bn_param()):
        backward = next((b for b in ("batchnorm_backward", "batchnorm_backward_alt")
                         if backward_usable(b, "batchnorm_forward", rows, np.ones(3), np.zeros(3), bn_param())), None)
        image = rows.reshape(1, 3, 2, 2)
        spatial = usable("spatial_batchnorm_forward", np.arange(12.0).reshape(2, 3, 1, 2) ** 1.5, np.ones(3),
                         np.zeros(3), bn_param())
        spatial_backward = spatial and backward_usable("spatial_batchnorm_backward", "spatial_batchnorm_forward",
                                                       np.concatenate([image, image + 1]), np.ones(3), np.zeros(3),
                                                       bn_param())
        if backward == "batchnorm_backward_alt":
            adapted.notes.append("batch norm backward: batchnorm_backward is a stub, batchnorm_backward_alt is used")
        adapted.notes.append("batch norm (N, C, H, W): " + (
            "spatial_batchnorm_forward" if spatial else "batchnorm_forward on the (N·H·W, C) rows (no spatial version)"))
        _add_batch_norm(protocol, available, backward, spatial, spatial_backward)

    # ---------------------------------------------------------------- layer norm
    if usable("layernorm_forward", rows, np.ones(3), np.zeros(3), {"eps": 1e-5}):
        _add_layer_norm(protocol, available,
                        backward_usable("layernorm_backward", "layernorm_forward", rows, np.ones(3), np.zeros(3),
                                        {"eps": 1e-5}))
    return adapted


def _add_dropout(protocol: types.ModuleType, user: dict, meaning: str, has_backward: bool) -> None:
    forward_fn = user["dropout_forward"]

    def to_param(p: Any) -> Any:
        # An invalid p stays invalid: 1 - p of a number out of [0, 1] is out of [0, 1]; a non-number passes as is.
        if meaning == "keep" and isinstance(p, (int, float)) and not isinstance(p, bool):
            return 1.0 - p
        return p

    def dropout_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True, generator: Any = None):
        param = {"p": to_param(p), "mode": "train" if training else "test", "seed": seed_from(generator)}
        shown = {k: v for k, v in param.items()}
        with numpy_global_rng(None):
            out, cache = call_user(forward_fn, x, param, what=f"dropout_forward(x of shape {np.shape(x)}, {shown})",
                                   context="training mode" if training else "test mode (eval)")
        mask, encoding = keep_mask(cache, x, out) if training else (np.ones(np.shape(x), dtype=bool), "eval")
        return out, {"mask": mask, "mask_encoding": encoding, "user_cache": cache, "mode": param["mode"]}

    protocol.dropout_forward = dropout_forward
    if has_backward:
        backward_fn = user["dropout_backward"]

        def dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
            context = ("backward called after a training-mode forward" if cache["mode"] == "train"
                       else "backward called after an eval-mode forward (mode='test')")
            return call_user(backward_fn, dout, cache["user_cache"], what="dropout_backward(dout, cache)",
                             context=context)

        protocol.dropout_backward = dropout_backward


def _add_batch_norm(protocol: types.ModuleType, user: dict, backward: str | None, spatial: bool,
                    spatial_backward: bool) -> None:
    bn_params: dict[tuple, dict] = {}

    def batch_norm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running_mean: np.ndarray,
                           running_var: np.ndarray, *, training: bool = True, momentum: float = 0.1,
                           eps: float = 1e-5, momentum_convention: str = "keras", var_estimator: str = "biased"):
        _check_conventions(momentum_convention, var_estimator)
        mode = "train" if training else "test"
        image = np.ndim(x) == 4
        # One bn_param per layer shape, kept across calls as a CS231n network keeps its self.bn_params: the
        # suite sets what it controls; anything else the code stores there stays, as it would in training.
        param = bn_params.setdefault((image, np.shape(gamma)), {})
        param.update({"mode": mode, "eps": eps, "momentum": momentum,
                      "running_mean": np.array(running_mean, copy=True),
                      "running_var": np.array(running_var, copy=True)})
        layout_used = "spatial" if image and spatial else "rows" if image else "flat"
        shown = f"(x of shape {np.shape(x)}, gamma, beta, bn_param={{'mode': {mode!r}, 'eps': {eps!r}, " \
                f"'momentum': {momentum!r}, ...}})"
        if layout_used == "spatial":
            out, cache = call_user(user["spatial_batchnorm_forward"], x, gamma, beta, param,
                                   what=f"spatial_batchnorm_forward{shown}")
        elif layout_used == "rows":
            rows_out, cache = call_user(user["batchnorm_forward"], layout.channels_last_rows(x), gamma, beta, param,
                                        what=f"batchnorm_forward{shown} on the (N·H·W, C) rows")
            out = layout.channels_first(np.asarray(rows_out), np.shape(x))
        else:
            out, cache = call_user(user["batchnorm_forward"], x, gamma, beta, param, what=f"batchnorm_forward{shown}")
        return out, {"running_mean": np.array(param["running_mean"], copy=True),
                     "running_var": np.array(param["running_var"], copy=True),
                     "user_cache": cache, "layout": layout_used, "shape": np.shape(x), "training": training}

    protocol.batch_norm_forward = batch_norm_forward
    if backward is None:
        return
    flat_backward = user[backward]

    def batch_norm_backward(dout: np.ndarray, cache: dict):
        context = ("backward called after a training-mode forward" if cache["training"]
                   else "backward called after an eval-mode forward (mode='test'), which CS231n does not define")
        if cache["layout"] == "spatial":
            if not spatial_backward:
                raise NotImplementedError("spatial_batchnorm_backward is not implemented")
            return tuple(call_user(user["spatial_batchnorm_backward"], dout, cache["user_cache"],
                                   what="spatial_batchnorm_backward(dout, cache)", context=context))
        if cache["layout"] == "rows":
            dx, dgamma, dbeta = call_user(flat_backward, layout.channels_last_rows(dout), cache["user_cache"],
                                          what=f"{backward}(dout, cache) on the (N·H·W, C) rows", context=context)
            return layout.channels_first(np.asarray(dx), cache["shape"]), dgamma, dbeta
        return tuple(call_user(flat_backward, dout, cache["user_cache"], what=f"{backward}(dout, cache)",
                               context=context))

    protocol.batch_norm_backward = batch_norm_backward


def _add_layer_norm(protocol: types.ModuleType, user: dict, has_backward: bool) -> None:
    def layer_norm_forward(x: np.ndarray, normalized_shape: Any, gamma: np.ndarray, beta: np.ndarray, *,
                           eps: float = 1e-5):
        normalized = layout.normalized_tuple(normalized_shape)
        rows = layout.feature_rows(x, normalized)
        out, cache = call_user(user["layernorm_forward"], rows, np.reshape(gamma, -1), np.reshape(beta, -1),
                               {"eps": eps}, what=f"layernorm_forward(x as {rows.shape} rows, gamma, beta, "
                               f"ln_param={{'eps': {eps!r}}})")
        return np.reshape(out, np.shape(x)), {"user_cache": cache, "shape": np.shape(x), "normalized": normalized}

    protocol.layer_norm_forward = layer_norm_forward
    if not has_backward:
        return

    def layer_norm_backward(dout: np.ndarray, cache: dict):
        normalized = cache["normalized"]
        dx, dgamma, dbeta = call_user(user["layernorm_backward"], layout.feature_rows(dout, normalized),
                                      cache["user_cache"], what="layernorm_backward(dout, cache)")
        return (np.reshape(dx, cache["shape"]), np.reshape(dgamma, normalized), np.reshape(dbeta, normalized))

    protocol.layer_norm_backward = layer_norm_backward
