"""One signature and one validation per operation, declared in its spec and read by every implementation.

A spec declares its parameters once (``declare(operation, *parameters)``): the name, the default and the
allowed range. An implementation then writes only the names it uses, without defaults, under
``@implements(operation, ...)``:

- the defaults come from the spec (so numpy_ref, torch_ref and torch_native cannot drift apart, and a
  parameter the function forgets, or names differently, is an error at import time);
- for a reference (``check=True``, the default) every declared parameter is checked before the body runs,
  with the error contract's wording (impls/validation.py): ValueError/TypeError naming the operation, the
  parameter, the value and the allowed range; the body receives the checked values (floats, ints);
- an adapter to a PyTorch built-in passes ``check=False``: it gets the signature only, so what the
  built-in itself accepts or rejects stays visible (its silent acceptances are the adapter's FINDINGS).

Checks that depend on several arguments or on an array's shape (``max_norm``'s ``dim`` against ``w.ndim``,
nesterov with momentum 0) stay in the body: a parameter declared with ``free(...)`` is part of the
signature but checked there.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from impls.protocol import OPERATIONS
from impls.protocol.calls import extend
from impls.validation import check_bool, check_choice, check_in_range, check_int, check_probability, check_real

#: A parameter without a default (the caller must pass it).
REQUIRED: Any = inspect.Parameter.empty
INF = math.inf

F = TypeVar("F", bound=Callable[..., Any])
ArrayCheck = Callable[[str, str, Any], Any]


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: `kind` says how it is checked ("free" means in the function body)."""

    name: str
    default: Any = REQUIRED
    kind: str = "free"
    low: float = -INF
    high: float = INF
    closed: str = "both"
    choices: tuple[Any, ...] = ()
    optional: bool = False  # None is accepted and passed through unchecked
    ndim: int | None = None  # arrays: the number of dimensions required ((N, C, H, W) images: 4)
    batch: bool = False  # arrays: a non-empty leading batch axis is required
    rule: Callable[[str, str, Any], Any] | None = None  # kind "rule": a check of its own

    def check(self, op: str, value: Any, array: ArrayCheck | None) -> Any:
        if value is None and self.optional:
            return None
        if self.kind == "real":
            return check_in_range(op, self.name, value, self.low, self.high, closed=self.closed)
        if self.kind == "probability":
            return check_probability(op, self.name, value)
        if self.kind == "int":
            return check_int(op, self.name, value, int(self.low), self.high)
        if self.kind == "bool":
            return check_bool(op, self.name, value)
        if self.kind == "choice":
            return check_choice(op, self.name, value, self.choices)
        if self.kind in ("array", "arrays"):
            if array is None:
                raise TypeError(f"{op}: @implements needs an array check for the array parameter {self.name}")
            if self.kind == "arrays":
                return [array(op, f"{self.name}[i]", item) for item in value]
            return self._check_layout(op, array(op, self.name, value))
        if self.kind == "number":
            return check_real(op, self.name, value)
        if self.kind == "rule" and self.rule is not None:
            return self.rule(op, self.name, value)
        return value

    def _check_layout(self, op: str, value: Any) -> Any:
        shape = tuple(value.shape)  # numpy and torch alike
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(f"{op}: {self.name} must have {self.ndim} dimensions (N, C, H, W), got shape {shape}")
        if self.batch and (len(shape) == 0 or shape[0] == 0):
            raise ValueError(f"{op}: {self.name} must have a non-empty batch dimension, got shape {shape}")
        return value


# ---------------------------------------------------------------- declaring parameters (read like a signature)


def array(name: str, *, optional: bool = False, default: Any = REQUIRED) -> Parameter:
    """A floating-point array of the implementation's backend."""
    return Parameter(name, default, "array", optional=optional)


def batch(name: str) -> Parameter:
    """A floating-point array with a non-empty leading batch axis."""
    return Parameter(name, REQUIRED, "array", batch=True)


def images(name: str) -> Parameter:
    """A floating-point (N, C, H, W) array with N ≥ 1."""
    return Parameter(name, REQUIRED, "array", ndim=4, batch=True)


def number(name: str, default: Any = REQUIRED) -> Parameter:
    """Any real number (NaN and infinities included), not a bool."""
    return Parameter(name, default, "number")


def arrays(name: str) -> Parameter:
    """A sequence of floating-point arrays (gradients), returned as a list; each is checked as `name[i]`."""
    return Parameter(name, REQUIRED, "arrays")


def real(name: str, default: Any = REQUIRED, *, low: float = -INF, high: float = INF, closed: str = "both",
         optional: bool = False) -> Parameter:
    return Parameter(name, default, "real", low, high, closed, optional=optional)


def nonnegative(name: str, default: Any = REQUIRED) -> Parameter:
    """A real number in [0, inf)."""
    return real(name, default, low=0.0, closed="low")


def positive(name: str, default: Any = REQUIRED) -> Parameter:
    """A real number in (0, inf)."""
    return real(name, default, low=0.0, closed="neither")


def probability(name: str, default: Any = REQUIRED) -> Parameter:
    """A probability in [0, 1]."""
    return Parameter(name, default, "probability", 0.0, 1.0)


def integer(name: str, default: Any = REQUIRED, *, low: int = 0, high: float = INF) -> Parameter:
    return Parameter(name, default, "int", low, high)


def flag(name: str, default: Any = REQUIRED) -> Parameter:
    return Parameter(name, default, "bool")


def choice(name: str, default: Any, choices: tuple[Any, ...]) -> Parameter:
    return Parameter(name, default, "choice", choices=choices)


def rule(name: str, default: Any, check: Callable[[str, str, Any], Any], *, optional: bool = False) -> Parameter:
    """A parameter with a check of its own, `check(op, name, value) -> value`."""
    return Parameter(name, default, "rule", optional=optional, rule=check)


def free(name: str, default: Any = REQUIRED) -> Parameter:
    """Part of the signature; the function body checks it (it depends on other arguments)."""
    return Parameter(name, default)


def generator(name: str = "generator") -> Parameter:
    """The explicit source of randomness (None: the backend's default); the backend checks its type."""
    return Parameter(name, None)


def declare(operation: str, *parameters: Parameter) -> None:
    """Record an operation's parameters in its spec, in signature order."""
    names = [p.name for p in parameters]
    if len(names) != len(set(names)):
        raise ValueError(f"declare: {operation} names a parameter twice: {names}")
    extend(operation, parameters=tuple(parameters))


# ---------------------------------------------------------------- array checks, one per backend


def numpy_array(op: str, name: str, value: Any) -> Any:
    """A floating-point numpy.ndarray, else TypeError naming the parameter and the type received."""
    import numpy as np

    if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"{op}: {name} must be a floating-point numpy.ndarray, got {type(value).__name__}")
    return value


def torch_tensor(op: str, name: str, value: Any) -> Any:
    """A floating-point torch.Tensor (torch is looked up, not imported: a value cannot be a tensor without it)."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise TypeError(f"{op}: {name} must be a floating-point torch.Tensor, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------- implementing an operation


def _with_spec_defaults(operation: str, function: Callable[..., Any]) -> inspect.Signature:
    declared = {p.name: p for p in OPERATIONS[operation].parameters}
    signature = inspect.signature(function)
    missing = sorted(set(declared) - set(signature.parameters))
    if missing:
        raise TypeError(f"{function.__qualname__} implements {operation} but lacks its parameters {missing}")
    positional, keyword = [], {}
    for parameter in signature.parameters.values():
        spec = declared.get(parameter.name)
        default = parameter.default
        if spec is not None and spec.default is not REQUIRED:
            if default is not REQUIRED:
                raise TypeError(f"{function.__qualname__}: {parameter.name}'s default belongs to the {operation} spec")
            default = spec.default
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            if default is not REQUIRED:
                keyword[parameter.name] = default
        elif parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            positional.append(default)
    first_default = next((i for i, d in enumerate(positional) if d is not REQUIRED), len(positional))
    if any(d is REQUIRED for d in positional[first_default:]):
        raise TypeError(f"{function.__qualname__}: a positional parameter without a default follows one with a default")
    function.__defaults__ = tuple(positional[first_default:]) or None
    function.__kwdefaults__ = keyword or None
    return inspect.signature(function)


def implements(operation: str, *, array: ArrayCheck | None = None, check: bool = True,
               name: str | None = None) -> Callable[[F], F]:
    """Give `function` the spec's defaults and (with `check`) its declared validation; `name` is the operation
    name the errors start with (the spec's own by default)."""
    label = name or operation

    def decorate(function: F) -> F:
        signature = _with_spec_defaults(operation, function)
        function.__operation__ = operation  # type: ignore[attr-defined]
        if not check:
            return function
        checked = [p for p in OPERATIONS[operation].parameters if p.kind != "free"]
        kinds = {p.kind for p in signature.parameters.values()}
        if kinds - {inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY}:
            raise TypeError(f"{function.__qualname__}: @implements takes plain and keyword-only parameters only")
        positional = [name for name, p in signature.parameters.items()
                      if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]

        @functools.wraps(function)
        def checked_call(*args: Any, **kwargs: Any) -> Any:
            # Binding by hand (inspect.Signature.bind costs ~10 µs a call, and the suite makes many): the
            # function itself raises TypeError for a missing, repeated or unknown argument. Defaults are the
            # spec's own values, valid by construction, so only the arguments passed are checked.
            if len(args) > len(positional):
                raise TypeError(f"{label}: takes {len(positional)} positional arguments, got {len(args)}")
            arguments = dict(zip(positional, args, strict=False))  # fewer args than names: the rest by keyword
            for name in kwargs:
                if name in arguments:
                    raise TypeError(f"{label}: got multiple values for argument {name!r}")
            arguments.update(kwargs)
            for parameter in checked:
                if parameter.name in arguments:
                    arguments[parameter.name] = parameter.check(label, arguments[parameter.name], array)
            return function(**arguments)

        return checked_call  # type: ignore[return-value]

    return decorate


def exported(namespace: dict[str, Any], *extra: str) -> list[str]:
    """A module's ``__all__``: the functions it declares with ``@implements`` (with the ``<op>_backward`` that
    pairs each numpy ``<op>_forward``), and `extra` names; so the list is not written again by hand."""
    names = set(extra)
    for name, value in namespace.items():
        if name.startswith("_") or getattr(value, "__operation__", None) is None:
            continue
        names.add(name)
        backward = name.removesuffix("_forward") + "_backward"
        if name.endswith("_forward") and backward in namespace:
            names.add(backward)
    return sorted(names)


#: Operations implemented as a class, whose constructor checks its own arguments (not a call to bind).
CLASS_OPERATIONS = ("EarlyStopping",)


def outside_the_specs(target: Any) -> list[str]:
    """The functions of `target` (a loaded Target) that implement an operation without ``@implements``: each
    would carry its own signature and checks again. Empty for the references and the torch-native adapter."""
    found = []
    for operation in OPERATIONS:
        if operation in CLASS_OPERATIONS or not target.implements(operation):
            continue
        names = (f"{operation}_forward",) if target.backend == "numpy" else (operation,)
        for name in names:
            function = getattr(target.module, name, None)
            if callable(function) and getattr(function, "__operation__", None) != operation:
                found.append(name)
    return found
