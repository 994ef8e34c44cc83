"""Protocol of the dropout family."""

from impls.protocol import Operation, register

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
