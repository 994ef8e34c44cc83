"""The claim ledger: every falsifiable claim of the lecture documents, with computed evidence.

Entries are registered by the topic modules in theory/claims/ with the :func:`claim` decorator,
which puts the claim's data next to the function that computes its evidence. The verdict is
whatever that function computes; no verdict is ever written down beside a claim.
"""

from __future__ import annotations

import enum
import functools
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)+$")
METHODS = ("symbolic", "exact", "experiment", "none")

#: Topic modules in the order their claims are listed.
TOPIC_MODULES = (
    "ensemble",
    "dropout",
    "weight_decay",
    "norm_penalties",
    "label_smoothing",
    "normalization",
    "constraints",
    "early_stopping",
    "augmentation",
    "misc",
    "empirical",
    "omitted",
)


class Verdict(enum.Enum):
    HOLDS = "holds"
    HOLDS_UNDER_CONVENTION = "holds-under-convention"
    APPROXIMATE = "approximate"
    FAILS = "fails"
    NOT_CHECKABLE = "not-checkable"


@dataclass(frozen=True)
class Source:
    document: str
    section: str


@dataclass
class Evidence:
    verdict: Verdict
    method: str
    summary: str
    details: str
    numbers: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(eq=False)
class Claim:
    id: str
    sources: list[Source]
    statement: str
    formal: str
    convention: str
    evidence_fn: Callable[[], Evidence]
    related: list[str] = field(default_factory=list)
    topic: str = ""

    def evaluate(self) -> Evidence:
        """Run the evidence function once per process (cached) and return its Evidence."""
        return _run(self.evidence_fn)


@dataclass(frozen=True)
class LeftOut:
    document: str
    section: str
    what: str
    reason: str


@functools.cache
def _run(fn: Callable[[], Evidence]) -> Evidence:
    evidence = fn()
    if not isinstance(evidence, Evidence):
        raise TypeError(f"evidence function {fn.__qualname__} returned {type(evidence).__name__}, not Evidence")
    return evidence


_REGISTRY: dict[str, Claim] = {}
_LEFT_OUT: list[LeftOut] = []


def claim(
    *,
    id: str,  # noqa: A002 - the ledger's field is called id
    sources: list[Source],
    statement: str,
    formal: str,
    convention: str,
    topic: str,
    related: list[str] | None = None,
) -> Callable[[Callable[[], Evidence]], Callable[[], Evidence]]:
    """Decorator: register the decorated evidence function as the evidence of a new claim."""

    def register(fn: Callable[[], Evidence]) -> Callable[[], Evidence]:
        if id in _REGISTRY:
            raise ValueError(f"duplicate claim id {id!r}")
        if not ID_PATTERN.match(id):
            raise ValueError(f"claim id {id!r} is not UPPER.DOTTED")
        _REGISTRY[id] = Claim(
            id=id,
            sources=list(sources),
            statement=statement,
            formal=formal,
            convention=convention,
            evidence_fn=fn,
            related=list(related or []),
            topic=topic,
        )
        return fn

    return register


def leave_out(document: str, section: str, what: str, reason: str) -> None:
    _LEFT_OUT.append(LeftOut(document, section, what, reason))


@functools.cache
def _load() -> None:
    for name in TOPIC_MODULES:
        importlib.import_module(f"theory.claims.{name}")


def all_claims() -> list[Claim]:
    """Every claim, in a stable order (topic module order, then definition order)."""
    _load()
    return list(_REGISTRY.values())


def get_claim(claim_id: str) -> Claim:
    _load()
    try:
        return _REGISTRY[claim_id]
    except KeyError:
        close = [c for c in _REGISTRY if c.split(".")[0] == claim_id.split(".")[0]]
        hint = f"; known ids with that prefix: {', '.join(close)}" if close else ""
        raise KeyError(f"unknown claim id {claim_id!r} (the ledger has {len(_REGISTRY)} claims{hint})") from None


def left_out() -> list[LeftOut]:
    """Claims of the documents deliberately not in the ledger, each with its reason."""
    _load()
    return list(_LEFT_OUT)


def evaluate_all() -> dict[str, Evidence]:
    return {c.id: c.evaluate() for c in all_claims()}
