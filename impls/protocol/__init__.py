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
from dataclasses import dataclass, field

from impls.protocol.target import BUILTIN_TARGETS, Result, Target, TargetLoadError, load_target


@dataclass(frozen=True)
class Operation:
    """One operation of the protocol, as a target module provides it."""

    name: str
    family: str
    summary: str
    torch_signature: str
    numpy_signature: str
    stochastic: bool = False
    claims: tuple[str, ...] = field(default=())


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
    "OPERATIONS",
    "Operation",
    "Result",
    "Target",
    "TargetLoadError",
    "load_target",
    "register",
]
