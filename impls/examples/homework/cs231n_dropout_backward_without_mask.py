"""Buggy CS231n dropout: backward passes the upstream gradient through unmasked."""

from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_backward(dout, cache):
    return dout  # the mistake: dropped units got no output, so they must get no gradient
