"""Protocol of the dropout family."""

import numpy as np

from impls.protocol import Operation, register
from impls.protocol.calls import BAD, NOT_PROBABILITIES, Array, extend, invalid_values, template_call

# The two rules differ only in where the 1/(1-p) goes: training (inverted) or eval (standard); same signature.
for _name, _summary, _claims in (
    ("dropout", "Inverted dropout: drop with probability p, scale survivors by 1/(1-p); identity in eval.",
     ("DROPOUT.INVERTED.MEAN", "DROPOUT.INVERTED.VARIANCE", "DROPOUT.INVERTED.EVAL_IDENTITY")),
    ("dropout_standard", "Standard (original) dropout: drop with probability p, no training-time scaling; "
     "eval multiplies by the keep probability 1-p.", ("DROPOUT.STANDARD.TEST_SCALING",)),
):
    register(Operation(
        name=_name, family="dropout", summary=_summary, stochastic=True, claims=_claims,
        torch_signature=f"{_name}(x, p=0.5, *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature=f"{_name}_forward(x, p=0.5, *, training=True, generator=None) -> (out, cache); "
        f"{_name}_backward(dout, cache) -> dx; cache['mask'] is the boolean keep mask",
    ))


def _example(target, device: str, dtype: str, seed: int, *, p: float = 0.3,
             units: int | None = None) -> tuple[tuple, dict]:
    shape = (units,) if units else (4, 5)
    values = np.random.Generator(np.random.PCG64(seed)).uniform(0.5, 2.0, size=shape)
    return (target.asarray(values, dtype, device), p), {"training": True, "generator": target.generator(seed, device)}


def _inverted(x: np.ndarray, mask: np.ndarray, p: float) -> np.ndarray:
    return np.zeros_like(x) if p == 1.0 else np.where(mask, x / (1.0 - p), 0.0)


def _unscaled(x: np.ndarray, mask: np.ndarray, p: float) -> np.ndarray:
    return np.where(mask, x, 0.0)


for _name, _eval_rule, _rule in (("dropout", "identity", _inverted), ("dropout_standard", "keep_scaled", _unscaled)):
    extend(_name, random_unit="element", eval_rule=_eval_rule, example=_example, units=np.asarray,
           structure=_rule, backward_rule=_rule,
           invalid=invalid_values("p", NOT_PROBABILITIES, "[0, 1]",
                                  template_call(_name, Array(np.ones(4)), BAD, training=True, stochastic=True)))


# ---------------------------------------------------------------- signatures and parameter ranges (impls/protocol/parameters.py)

from impls.protocol import parameters as _p  # noqa: E402 - after the operations it describes are registered

for _name in ("dropout", "dropout_standard"):
    _p.declare(_name, _p.array("x"), _p.probability("p", 0.5), _p.flag("training", True), _p.generator())
