"""regverify's claim ledger: the lectures' falsifiable claims with computed verdicts."""

from theory.ledger import Claim, Evidence, LeftOut, Source, Verdict, all_claims, evaluate_all, get_claim, left_out

__all__ = [
    "Claim",
    "Evidence",
    "LeftOut",
    "Source",
    "Verdict",
    "all_claims",
    "evaluate_all",
    "get_claim",
    "left_out",
]
