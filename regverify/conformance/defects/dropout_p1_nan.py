"""Defect: survivors computed as x * mask / (1 - p), so p = 1 gives 0/0 = NaN instead of zeros."""

from regverify.conformance.defects.parts.dropout import inverted_dropout

BACKEND = "torch"

# The mistake: no special case for p = 1, where the keep probability 1 - p is 0.
dropout = inverted_dropout(survivors=lambda x, keep, keep_prob: x * keep.to(x.dtype) / keep_prob)
