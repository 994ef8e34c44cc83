"""Defect: inverted dropout rescales survivors by 1/p instead of 1/(1-p) (drop and keep probability confused in the scale)."""

from regverify.conformance.defects.parts.dropout import inverted_dropout

BACKEND = "torch"

# The mistake: the survivors are divided by p, the drop probability; they survive with probability 1 - p.
dropout = inverted_dropout(keep_prob_of=lambda p: p)
