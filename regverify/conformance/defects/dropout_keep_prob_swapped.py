"""Defect: p is read as the keep probability: elements survive with probability p and are scaled by 1/p."""

from regverify.conformance.defects.parts.dropout import inverted_dropout, own_keep_mask

BACKEND = "torch"

# The mistake, in both places p is used: keep with probability p (drop with 1 - p), scale by 1/p, as if p were keep_prob.
dropout = inverted_dropout(keep_mask=lambda x, p, generator: own_keep_mask(x, 1.0 - p, generator),
                           keep_prob_of=lambda p: p)
