"""The target protocol: what a module must provide for regverify to check it.

A *target* is any importable Python module. It declares which arrays it takes:

    BACKEND = "torch"   # or "numpy"
    NAME = "my-dropout" # optional; defaults to the module's dotted name

and provides any subset of the operations registered in this package (see ``OPERATIONS``,
one module per regularizer family beside this file). An operation the module lacks is
reported "not implemented", never an error.

Calling conventions (the same for every operation):

- torch targets follow torch.nn.functional: ``op(x, *parameters, *, keywords) -> out`` or,
  for stochastic operations, ``-> (out, mask)`` where ``mask`` is the noise actually drawn.
  Gradients come from autograd; the module must not hard-code a device or dtype.
- numpy targets follow the CS231n layer pattern: ``op_forward(x, *parameters, *, keywords)
  -> (out, cache)`` and ``op_backward(dout, cache) -> dx`` or a tuple of gradients, one per
  array argument of the forward. For stochastic operations ``cache["mask"]`` is the noise drawn.
- Randomness is explicit: stochastic operations take ``generator=`` (np.random.Generator or
  torch.Generator on the input's device). The same generator state gives the same output.
- Probabilities follow PyTorch: ``p`` is the probability of *dropping*; ``1 - p`` of keeping.
- Invalid parameters raise ValueError or TypeError naming the parameter, the value and the range.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from impls.protocol.target import BUILTIN_TARGETS, Result, Target, TargetLoadError, load_target


@dataclass(frozen=True)
class Invalid:
    """One invalid call of an operation: `parameter` set to `value` must be rejected.

    `call(target)` makes the call with every other argument valid. Under the error contract the
    message names the parameter and `shown` (the value as it must appear; repr(value) by default)
    and, for a ValueError, states `allowed`.
    """

    parameter: str
    value: Any
    allowed: str
    call: Callable[[Any], Any]
    shown: str | None = None

    @property
    def label(self) -> str:
        return f"{self.parameter}={self.value!r}"

    @property
    def value_as_shown(self) -> str:
        return self.shown if self.shown is not None else repr(self.value)


#: Random units a stochastic operation draws independently (the law acts on these).
RANDOM_UNITS = ("element", "channel", "row", "sample", "block", "weight", "")
#: Eval rules: "identity" (eval returns x), "keep_scaled" (eval returns (1-p)·x), "" (no such rule).
EVAL_RULES = ("identity", "keep_scaled", "")


@dataclass(frozen=True)
class Operation:
    """One operation's spec: the single record that the protocol, the generic properties, the
    report and the defect catalogue read (in the manner of PyTorch's OpInfo).

    - `invalid`: calls that every target must reject (tests: test_every_operation.py);
    - `example(target, device, dtype, seed, p=..., units=None) -> (args, kwargs)`: one valid training-mode
      call (x first, p second) drawing `units` random units, for the properties every stochastic
      operation shares (determinism under a seed, inputs left unmodified, the eval rule, the law);
    - `random_unit` and `eval_rule`: what the randomness acts on, what eval mode returns;
    - `units(mask) -> bool array`: the kept units in the returned randomness, each Bernoulli(1 - p);
    - `structure(x, mask, p)` and `backward_rule(dout, mask, p)`: the training output and the input
      gradient that the returned randomness determines (float64 NumPy; masks as NumPy arrays);
    - `conventions`: the legitimate choices a target declares in ``<NAME>_CONVENTIONS``;
    - `claims`: ledger claim IDs the operation rests on;
    - `parameters`: the signature's parameters with their defaults and allowed ranges, which the
      implementations read through ``impls.protocol.parameters.implements`` (one signature, one validation).
    """

    name: str
    family: str
    summary: str
    torch_signature: str
    numpy_signature: str
    stochastic: bool = False
    claims: tuple[str, ...] = field(default=())
    invalid: tuple[Invalid, ...] = field(default=())
    example: Callable[[Any, str, str, int], tuple[tuple, dict]] | None = None
    random_unit: str = ""
    eval_rule: str = ""
    units: Callable[[Any], Any] | None = None
    structure: Callable[[Any, Any, float], Any] | None = None
    backward_rule: Callable[[Any, Any, float], Any] | None = None
    conventions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parameters: tuple[Any, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.random_unit not in RANDOM_UNITS:
            raise ValueError(f"operation {self.name}: random_unit must be one of {RANDOM_UNITS}, got {self.random_unit!r}")
        if self.eval_rule not in EVAL_RULES:
            raise ValueError(f"operation {self.name}: eval_rule must be one of {EVAL_RULES}, got {self.eval_rule!r}")


OPERATIONS: dict[str, Operation] = {}

#: Families whose protocol modules live beside this file; each registers its operations.
FAMILY_MODULES = ("dropout", "noise", "augmentation", "normalization", "penalties")


def register(operation: Operation) -> Operation:
    if operation.name in OPERATIONS:
        raise ValueError(f"operation {operation.name!r} registered twice")
    OPERATIONS[operation.name] = operation
    return operation


for _family in FAMILY_MODULES:
    importlib.import_module(f"impls.protocol.{_family}")

__all__ = [
    "BUILTIN_TARGETS",
    "EVAL_RULES",
    "Invalid",
    "OPERATIONS",
    "RANDOM_UNITS",
    "Operation",
    "Result",
    "Target",
    "TargetLoadError",
    "load_target",
    "register",
]
