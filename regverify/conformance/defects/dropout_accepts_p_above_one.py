"""Defect: p is only checked against 0 (`if p < 0: raise`), so p = 1.5, inf or NaN pass silently."""

from impls.validation import check_real
from regverify.conformance.defects.parts.dropout import inverted_dropout

BACKEND = "torch"


def only_negative_p_rejected(p: float) -> float:
    p = check_real("dropout", "p", p)
    if p < 0.0:  # the mistake: the upper end (p <= 1) and NaN are not checked
        raise ValueError(f"dropout: p must be in [0, 1], got {p!r}")
    return p


dropout = inverted_dropout(accept_p=only_negative_p_rejected)
