"""Defect (NumPy layer, CS231n's convention): the running statistics keep 1 - momentum of the old value.

CS231n's rule is running = momentum·running + (1 - momentum)·batch; this is PyTorch's formula used with
CS231n's momentum (0.9), which keeps only 10% of the history.
"""

from impls.numpy_ref.normalization import batch_norm_backward
from regverify.conformance.defects.parts.batch_norm import CS231N_CONVENTIONS as BATCH_NORM_CONVENTIONS
from regverify.conformance.defects.parts.batch_norm import cs231n_forward_updating_like

BACKEND = "numpy"
__all__ = ["batch_norm_forward", "batch_norm_backward", "BATCH_NORM_CONVENTIONS"]

# The mistake: the other convention's formula with this convention's momentum.
batch_norm_forward = cs231n_forward_updating_like(momentum_convention="pytorch")
