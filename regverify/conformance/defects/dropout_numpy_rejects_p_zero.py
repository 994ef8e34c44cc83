"""Defect (NumPy layer): p is validated on the open interval (0, 1), so the valid edge p = 0 raises."""

from impls.numpy_ref.dropout import dropout_backward
from regverify.conformance.defects.parts.dropout import numpy_dropout_with_p_interval

BACKEND = "numpy"
__all__ = ["dropout_forward", "dropout_backward"]

dropout_forward = numpy_dropout_with_p_interval(closed="high")  # the mistake: closed="both"
