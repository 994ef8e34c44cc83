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

#: Environment variable holding the experiment size ("small" or "full") the empirical claims are decided at.
SIZE_VARIABLE = "REGVERIFY_EXPERIMENT_SIZE"
EXPERIMENT_SIZES = ("small", "full")


def experiment_size() -> str:
    """The experiment size in use: $REGVERIFY_EXPERIMENT_SIZE, default "small" (seconds)."""
    import os

    size = os.environ.get(SIZE_VARIABLE, "small")
    if size not in EXPERIMENT_SIZES:
        raise ValueError(f"{SIZE_VARIABLE} must be one of {EXPERIMENT_SIZES}, got {size!r}")
    return size


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
    """One vocabulary for every claim.

    - holds: the statement is true as the document states it.
    - holds-under-convention: true under the document's convention (of a symbol, a default) and false
      under the other convention in use, which the evidence names and checks.
    - depends-on: an empirical statement that is shown under some conditions and not under others,
      with a significant test of the difference between the conditions (not a convention).
    - approximate: true within a stated bound (how far, where); beyond the bound it is "fails".
    - fails: false, with a counterexample and a corrected statement that the same evidence passes.
    - not-shown: an empirical statement the data neither show nor refute at this experiment size
      (the evidence gives the power at the observed effect and the seeds that would decide).
    - not-checkable: nothing could decide it (the reason is given).
    """

    HOLDS = "holds"
    HOLDS_UNDER_CONVENTION = "holds-under-convention"
    DEPENDS_ON = "depends-on"
    APPROXIMATE = "approximate"
    FAILS = "fails"
    NOT_SHOWN = "not-shown"
    NOT_CHECKABLE = "not-checkable"


#: Whether a claim's statement is the document's own or a property the ledger adds (derived, implied,
#: or needed to judge the document's statement).
ORIGINS = ("document", "ledger")


@dataclass(frozen=True)
class Source:
    """Where a claim comes from: the document, the innermost heading, and the verbatim span it judges.

    The line range and the full heading path are computed from the document by
    :func:`theory.lectures.locate` (a repeated heading such as Module 2's is told apart by the quote).
    """

    document: str
    section: str
    quote: str = ""


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
    evidence_fn: Callable[..., Evidence]
    related: list[str] = field(default_factory=list)
    topic: str = ""
    origin: str = "document"
    #: The formula or implementation under judgement, as the document states it; the evidence function
    #: receives it as its only argument, so a test can feed it a wrong one (theory.mutation).
    subject: object = None
    #: For a claim whose document statement is wrong: the corrected formula or implementation, which the
    #: same evidence function must judge "holds".
    corrected: object = None

    @property
    def takes_subject(self) -> bool:
        return self.subject is not None

    def check(self, subject: object) -> Evidence:
        """Judge `subject` (uncached) with this claim's evidence function."""
        if not self.takes_subject:
            raise TypeError(f"{self.id}: the evidence function takes no subject")
        return _checked(self.evidence_fn, self.evidence_fn(subject))

    def evaluate(self) -> Evidence:
        """Run the evidence function on the claim's subject once per process (cached)."""
        return _run(self.evidence_fn)


@dataclass(frozen=True)
class LeftOut:
    document: str
    section: str
    what: str
    reason: str


def _checked(fn: Callable[..., Evidence], evidence: object) -> Evidence:
    if not isinstance(evidence, Evidence):
        raise TypeError(f"evidence function {fn.__qualname__} returned {type(evidence).__name__}, not Evidence")
    return evidence


@functools.cache
def _run(fn: Callable[..., Evidence]) -> Evidence:
    owner = _BY_FUNCTION.get(fn)
    if owner is not None and owner.takes_subject:
        return _checked(fn, fn(owner.subject))
    return _checked(fn, fn())


_REGISTRY: dict[str, Claim] = {}
_BY_FUNCTION: dict[Callable[..., Evidence], Claim] = {}
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
    origin: str = "document",
    subject: object = None,
    corrected: object = None,
    quotes: list[str] | None = None,
) -> Callable[[Callable[..., Evidence]], Callable[..., Evidence]]:
    """Decorator: register the decorated evidence function as the evidence of a new claim.

    With `subject`, the function is called as fn(subject): `subject` is the formula or implementation the
    document states (a SymPy expression, a number, a callable); `corrected` is the fixed one for a claim
    whose statement is wrong. `origin` is "document" (the document says it) or "ledger" (a property the
    ledger adds, e.g. a derived variance). `quotes` gives, source by source, the verbatim span of the
    document the claim judges (tests/test_ledger.py checks that each is in its document).
    """
    if quotes is not None:
        if len(quotes) != len(sources):
            raise ValueError(f"claim {id}: {len(quotes)} quotes for {len(sources)} sources")
        sources = [Source(s.document, s.section, q) for s, q in zip(sources, quotes, strict=True)]

    def register(fn: Callable[..., Evidence]) -> Callable[..., Evidence]:
        if id in _REGISTRY:
            raise ValueError(f"duplicate claim id {id!r}")
        if not ID_PATTERN.match(id):
            raise ValueError(f"claim id {id!r} is not UPPER.DOTTED")
        if origin not in ORIGINS:
            raise ValueError(f"claim {id}: origin must be one of {ORIGINS}, got {origin!r}")
        if corrected is not None and subject is None:
            raise ValueError(f"claim {id}: `corrected` needs a `subject` to correct")
        _REGISTRY[id] = Claim(
            id=id,
            sources=list(sources),
            statement=statement,
            formal=formal,
            convention=convention,
            evidence_fn=fn,
            related=list(related or []),
            topic=topic,
            origin=origin,
            subject=subject,
            corrected=corrected,
        )
        _BY_FUNCTION[fn] = _REGISTRY[id]
        return fn

    return register


def topic_claim(topic: str) -> Callable[..., Callable[[Callable[..., Evidence]], Callable[..., Evidence]]]:
    """The :func:`claim` decorator of one topic module: every claim it registers belongs to `topic`."""
    return functools.partial(claim, topic=topic)


def leave_out(document: str, section: str, what: str, reason: str) -> None:
    _LEFT_OUT.append(LeftOut(document, section, what, reason))


#: The claims modules the ledger loads: the built-in topics, or a lecturer's own module (use_claims_module).
_MODULES: list[str] = [f"theory.claims.{name}" for name in TOPIC_MODULES]


@functools.cache
def _load() -> None:
    for name in _MODULES:
        importlib.import_module(name)


def use_claims_module(module: str | None) -> None:
    """Make the ledger the claims of `module` (a lecturer's own, same API) instead of the built-in topics.

    None restores the built-in ledger. The module is (re-)imported so that its @claim decorators run
    against the fresh registry.
    """
    import sys

    _REGISTRY.clear()
    _BY_FUNCTION.clear()
    _LEFT_OUT.clear()
    _run.cache_clear()
    _load.cache_clear()
    names = [f"theory.claims.{name}" for name in TOPIC_MODULES] if module is None else [module]
    for name in names:
        sys.modules.pop(name, None)
    _MODULES[:] = names


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
