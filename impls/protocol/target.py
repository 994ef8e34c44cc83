"""Loading a target module and calling its operations the same way whatever its backend."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

#: Built-in targets: short name -> module.
BUILTIN_TARGETS: dict[str, str] = {
    "numpy": "impls.numpy_ref",
    "torch": "impls.torch_ref",
    "torch-native": "impls.torch_native",
}

BACKENDS = ("numpy", "torch")
TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64")
NUMPY_DTYPES = ("float16", "float32", "float64")


class TargetLoadError(Exception):
    """A target module could not be imported or does not follow the protocol (one-line message)."""


@dataclass
class Result:
    """What one call of an operation produced, in the target's own arrays."""

    out: Any
    mask: Any
    backward: Callable[[Any], tuple[Any, ...]] | None


class Target:
    """A module under test, wrapped so that the suite calls every backend the same way."""

    def __init__(self, module: ModuleType, name: str | None = None) -> None:
        backend = getattr(module, "BACKEND", None)
        if backend not in BACKENDS:
            raise TargetLoadError(
                f"target {module.__name__}: BACKEND must be one of {BACKENDS}, got {backend!r} "
                f"(add e.g. BACKEND = \"torch\" at the top of the module)"
            )
        self.module = module
        self.backend: str = backend
        self.name: str = name or getattr(module, "NAME", None) or module.__name__

    def __repr__(self) -> str:
        return f"Target({self.name!r}, backend={self.backend!r})"

    # ------------------------------------------------------------------ what it provides

    def implements(self, operation: str) -> bool:
        if self.backend == "torch":
            return callable(getattr(self.module, operation, None))
        # Layers come as op_forward/op_backward pairs; anything else (a penalty, a stopping rule) as op.
        return callable(getattr(self.module, f"{operation}_forward", None)) or callable(
            getattr(self.module, operation, None)
        )

    def has_backward(self, operation: str) -> bool:
        if self.backend == "torch":
            return self.implements(operation)
        return callable(getattr(self.module, f"{operation}_backward", None))

    def declared_conventions(self, operation: str) -> dict | None:
        """The conventions the module declares for `operation` (OPERATION_CONVENTIONS), or None: all of them."""
        return getattr(self.module, f"{operation.upper()}_CONVENTIONS", None)

    def dtypes(self) -> tuple[str, ...]:
        declared = getattr(self.module, "DTYPES", None)
        if declared is not None:
            return tuple(declared)
        return TORCH_DTYPES if self.backend == "torch" else NUMPY_DTYPES

    def runs_on(self, device: str) -> bool:
        return self.backend == "torch" or device == "cpu"

    # ------------------------------------------------------------------ arrays and randomness

    def generator(self, seed: int, device: str = "cpu") -> Any:
        """An explicit generator seeded with `seed`, on `device`."""
        if self.backend == "numpy":
            return np.random.Generator(np.random.PCG64(seed))
        import torch

        return torch.Generator(device=device).manual_seed(seed)

    def asarray(self, values: np.ndarray, dtype: str, device: str = "cpu") -> Any:
        if self.backend == "numpy":
            return np.asarray(values, dtype=np.dtype(dtype))
        import torch

        return torch.as_tensor(np.asarray(values, dtype=np.float64)).to(device=device, dtype=getattr(torch, dtype))

    @staticmethod
    def to_numpy(array: Any) -> np.ndarray:
        """Bring an output to the CPU as a NumPy array (bfloat16 widened to float32, exactly)."""
        if isinstance(array, np.ndarray):
            return array
        if hasattr(array, "detach"):
            import torch

            tensor = array.detach().cpu()
            if tensor.dtype == torch.bfloat16:
                tensor = tensor.float()
            return tensor.numpy()
        return np.asarray(array)

    # ------------------------------------------------------------------ calling

    def call(self, operation: str, x: Any, *args: Any, **kwargs: Any) -> Result:
        """Run `operation` forward; the Result's backward(dout) returns one gradient per array argument."""
        if self.backend == "numpy":
            return self._call_numpy(operation, x, *args, **kwargs)
        return self._call_torch(operation, x, *args, **kwargs)

    def _call_numpy(self, operation: str, *args: Any, **kwargs: Any) -> Result:
        forward = getattr(self.module, f"{operation}_forward", None)
        if forward is None:
            returned = getattr(self.module, operation)(*args, **kwargs)
            out, mask = returned if isinstance(returned, tuple) and len(returned) == 2 else (returned, None)
            return Result(out, mask, None)
        out, cache = forward(*args, **kwargs)
        mask = cache.get("mask") if isinstance(cache, dict) else getattr(cache, "mask", None)
        backward_fn = getattr(self.module, f"{operation}_backward", None)

        def backward(dout: Any) -> tuple[Any, ...]:
            grads = backward_fn(dout, cache)
            return grads if isinstance(grads, tuple) else (grads,)

        return Result(out, mask, backward if backward_fn is not None else None)

    def _call_torch(self, operation: str, *args: Any, **kwargs: Any) -> Result:
        import torch

        function = getattr(self.module, operation)
        leaves = []
        prepared = []
        for value in args:
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                value = value.detach().clone().requires_grad_(True)
                leaves.append(value)
            prepared.append(value)
        returned = function(*prepared, **kwargs)
        out, mask = returned if isinstance(returned, tuple) else (returned, None)

        def backward(dout: Any) -> tuple[Any, ...]:
            if not out.requires_grad:
                return tuple(torch.zeros_like(leaf) for leaf in leaves)
            grads = torch.autograd.grad(out, leaves, dout, allow_unused=True, retain_graph=True)
            return tuple(torch.zeros_like(leaf) if g is None else g for leaf, g in zip(leaves, grads, strict=True))

        return Result(out.detach() if isinstance(out, torch.Tensor) else out, mask, backward)


def load_target(spec: str) -> Target:
    """Load a target by built-in name (numpy, torch, torch-native) or dotted module path."""
    module_name = BUILTIN_TARGETS.get(spec, spec)
    if str(Path.cwd()) not in sys.path:
        # A user's module is usually in the directory they run regverify from.
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise TargetLoadError(f"cannot import target {spec!r}: {error}") from error
    except Exception as error:  # noqa: BLE001 - any import-time failure is the user's module failing
        raise TargetLoadError(f"target {spec!r} failed to import: {type(error).__name__}: {error}") from error
    return Target(module, name=spec if spec in BUILTIN_TARGETS else None)
