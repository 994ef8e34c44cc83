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
    "keras": "impls.keras",
    "kornia": "impls.kornia",
    "torchvision": "impls.torchvision",
    "timm": "impls.timm",
}
#: The targets a report or `pytest --full` checks when none is named: ours and PyTorch's built-ins, always
#: installed; both add every library target installed here (`library_targets()` says which). Library targets
#: also run when named (`regverify check keras`, `pytest --impl keras`).
DEFAULT_TARGETS: tuple[str, ...] = ("numpy", "torch", "torch-native")
#: What a plain `pytest` checks on every change: regverify's own references, the code a change here can break.
#: PyTorch's built-ins and the other libraries change only with their releases; CI (`pytest --full`) checks them.
PER_CHANGE_TARGETS: tuple[str, ...] = ("numpy", "torch")
#: ... in these dtypes: their arithmetic is what a change to a formula moves; the half-precision cells (dtype kept,
#: tolerances of 16-bit arithmetic) run under `pytest --full`, in CI, and wherever targets are named.
PER_CHANGE_DTYPES: tuple[str, ...] = ("float32", "float64")
#: Library targets: short name -> (the package they adapt, the extra that installs it).
LIBRARY_TARGETS: dict[str, tuple[str, str]] = {
    "keras": ("keras", "pip install 'regverify[keras]'"),
    "kornia": ("kornia", "pip install 'regverify[kornia]'"),
    "torchvision": ("torchvision", "pip install 'regverify[torchvision]' (needs a torch release that matches a "
                    "torchvision build, e.g. torch==2.14.1 torchvision==0.29.1)"),
    "timm": ("timm", "pip install 'regverify[timm]' (brings torchvision, as the torchvision extra)"),
}


def library_targets() -> dict[str, str | None]:
    """Each library target -> None when its package is installed, else why not (the install command)."""
    import importlib.util

    return {name: None if importlib.util.find_spec(package) is not None else f"not installed: {package} ({install})"
            for name, (package, install) in LIBRARY_TARGETS.items()}

def installed_library_targets() -> list[str]:
    """The library targets whose package is installed here, in LIBRARY_TARGETS' order."""
    return [name for name, absent in library_targets().items() if absent is None]


BACKENDS = ("numpy", "torch")
TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64")
NUMPY_DTYPES = ("float16", "float32", "float64")


class WrongReturnType(Exception):
    """A target's operation returned the wrong kind of value (not a TypeError: that would pass a contract test)."""


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

    def findings(self) -> dict[str, str]:
        """Known deviations of a library the target adapts ("operation:parameter=value" -> what and where
        reported): the suite records them as findings (expected failures with evidence), never as passes."""
        return dict(getattr(self.module, "FINDINGS", {}))

    def declared_conventions(self, operation: str) -> dict | None:
        """The conventions the module declares for `operation` (OPERATION_CONVENTIONS), or None: all of them."""
        return getattr(self.module, f"{operation.upper()}_CONVENTIONS", None)

    def dtypes(self) -> tuple[str, ...]:
        declared = getattr(self.module, "DTYPES", None)
        if declared is not None:
            # DTYPES = "float64" (a string, or the tuple ("float64") without its comma) means that one dtype.
            return (declared,) if isinstance(declared, str) else tuple(declared)
        return TORCH_DTYPES if self.backend == "torch" else NUMPY_DTYPES

    def runs_on(self, device: str) -> bool:
        declared = getattr(self.module, "DEVICES", None)  # device types a target supports, e.g. ("cpu",)
        if declared is not None and device.split(":")[0] not in declared:
            return False
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
        for what, value in (("output", out), ("mask", mask)):
            if isinstance(value, np.ndarray):  # a torch target handing back NumPy: say so, not a confusing error later
                raise WrongReturnType(
                    f"{self.name}.{operation} returned a numpy.ndarray as its {what}, but a torch target (BACKEND = "
                    "'torch') must return torch tensors: return the tensor itself (torch.from_numpy(...) if needed)")

        def backward(dout: Any) -> tuple[Any, ...]:
            if not out.requires_grad:
                return tuple(torch.zeros_like(leaf) for leaf in leaves)
            grads = torch.autograd.grad(out, leaves, dout, allow_unused=True, retain_graph=True)
            return tuple(torch.zeros_like(leaf) if g is None else g for leaf, g in zip(leaves, grads, strict=True))

        return Result(out.detach() if isinstance(out, torch.Tensor) else out, mask, backward)


def load_target(spec: str, convention: str | None = None, p_meaning: str | None = None) -> Target:
    """Load a target by built-in name (numpy, torch, torch-native), dotted module path or file path.

    A module without BACKEND (or any module, with `convention` named) goes through a convention adapter
    (impls.conventions: cs231n, layer-class, d2l); `spec` may carry the options itself, as
    "layers.py?convention=cs231n&p=keep", so a replay line reloads the same adapter.
    """
    from impls import conventions

    location, options = spec.partition("?")[0], {}
    if "?" in spec or convention or p_meaning or (spec not in BUILTIN_TARGETS and conventions.is_path(spec)):
        try:
            location, options = conventions.parse_spec(spec)
        except conventions.ConventionError as error:
            raise TargetLoadError(str(error)) from None
        return _load_user_target(location, convention or options.get("convention"), p_meaning or options.get("p"))
    module_name = BUILTIN_TARGETS.get(spec, spec)
    if str(Path.cwd()) not in sys.path:
        # A user's module is usually in the directory they run regverify from.
        sys.path.insert(0, str(Path.cwd()))
    if spec in LIBRARY_TARGETS and library_targets()[spec] is not None:
        raise TargetLoadError(f"target {spec!r} is {library_targets()[spec]}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise TargetLoadError(f"cannot import target {spec!r}: {error}") from error
    except Exception as error:  # noqa: BLE001 - any import-time failure is the user's module failing
        raise TargetLoadError(f"target {spec!r} failed to import: {type(error).__name__}: {error}") from error
    if getattr(module, "BACKEND", None) is None and spec not in BUILTIN_TARGETS and conventions.detect(module):
        return _load_user_target(spec, None, None, module=module)
    return Target(module, name=spec if spec in BUILTIN_TARGETS else None)


def _load_user_target(location: str, convention: str | None, p_meaning: str | None,
                      module: ModuleType | None = None) -> Target:
    """A user's module or file, through its convention's adapter unless it follows the protocol itself."""
    from impls import conventions

    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    if module is None:
        try:
            module = conventions.load_module(location)
        except (ModuleNotFoundError, FileNotFoundError) as error:
            raise TargetLoadError(f"cannot import target {location!r}: {error}") from error
        except Exception as error:  # noqa: BLE001 - any import-time failure is the user's module failing
            raise TargetLoadError(f"target {location!r} failed to import: {type(error).__name__}: {error}") from error
    spec = conventions.make_spec(location, convention, p_meaning)
    if convention is None and getattr(module, "BACKEND", None) is not None:
        target = Target(module, name=location)
        target.spec, target.convention, target.notes, target.not_implemented = spec, "protocol", [], {}
        return target
    try:
        adapted = conventions.adapt(module, spec, convention, p_meaning)
    except conventions.ConventionError as error:
        raise TargetLoadError(str(error)) from None
    target = Target(adapted.module, name=f"{Path(location).name if conventions.is_path(location) else location}"
                    f" ({adapted.convention})")
    target.spec, target.convention = spec, adapted.convention
    target.notes = [*getattr(module, "__regverify_skipped__", []), *adapted.notes]
    target.not_implemented = adapted.not_implemented
    return target
