"""Protocol of the dropout family."""

import numpy as np

from impls.protocol import Operation, register
from impls.protocol.calls import BAD, NOT_PROBABILITIES, Array, extend, invalid_values, template_call

register(
    Operation(
        name="dropout",
        family="dropout",
        summary="Inverted dropout: drop with probability p, scale survivors by 1/(1-p); identity in eval.",
        torch_signature="dropout(x, p=0.5, *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature="dropout_forward(x, p=0.5, *, training=True, generator=None) -> (out, cache); "
        "dropout_backward(dout, cache) -> dx; cache['mask'] is the boolean keep mask",
        stochastic=True,
        claims=("DROPOUT.INVERTED.MEAN", "DROPOUT.INVERTED.VARIANCE", "DROPOUT.INVERTED.EVAL_IDENTITY"),
    )
)

register(
    Operation(
        name="dropout_standard",
        family="dropout",
        summary="Standard (original) dropout: drop with probability p, no training-time scaling; "
        "eval multiplies by the keep probability 1-p.",
        torch_signature="dropout_standard(x, p=0.5, *, training=True, generator=None) -> (out, keep_mask)",
        numpy_signature="dropout_standard_forward(x, p=0.5, *, training=True, generator=None) -> (out, cache); "
        "dropout_standard_backward(dout, cache) -> dx",
        stochastic=True,
        claims=("DROPOUT.STANDARD.TEST_SCALING",),
    )
)


def _example(target, device: str, dtype: str, seed: int) -> tuple[tuple, dict]:
    values = np.random.Generator(np.random.PCG64(seed)).uniform(0.5, 2.0, size=(4, 5))
    return (target.asarray(values, dtype, device), 0.3), {"training": True, "generator": target.generator(seed, device)}


for _name, _eval_rule in (("dropout", "identity"), ("dropout_standard", "keep_scaled")):
    extend(_name, random_unit="element", eval_rule=_eval_rule, example=_example,
           invalid=invalid_values("p", NOT_PROBABILITIES, "[0, 1]",
                                  template_call(_name, Array(np.ones(4)), BAD, training=True, stochastic=True)))
