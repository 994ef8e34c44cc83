"""Defect (NumPy layer, CS231n's convention): the running variance averages the unbiased batch variance (÷(N-1)).

CS231n (and the week-6 lecture) average the same biased variance the normalization divides by.
"""

from impls.numpy_ref.normalization import batch_norm_backward
from regverify.conformance.defects.parts.batch_norm import CS231N_CONVENTIONS as BATCH_NORM_CONVENTIONS
from regverify.conformance.defects.parts.batch_norm import cs231n_forward_updating_like

BACKEND = "numpy"
__all__ = ["batch_norm_forward", "batch_norm_backward", "BATCH_NORM_CONVENTIONS"]

batch_norm_forward = cs231n_forward_updating_like(var_estimator="unbiased")  # the mistake: np.var(x, ddof=1)
