"""The claim ledger: every falsifiable claim of the lecture documents, with computed evidence.

A claim is two things: its record (sources with the quoted spans, statement, formal, convention, related,
origin; for a claim nothing can decide, the reason) and, unless it is not-checkable, the function that
computes its evidence. The records of a claims module `theory/claims/<topic>.py` are data, in the file
beside it, `<topic>.toml`, one table per claim id in definition order; the module keeps the evidence
functions, each registered by the :func:`claim` decorator with the claim's id (and its subject). A module
may also give a record's fields in Python, as keyword arguments of :func:`claim` (a lecturer's module can
be written all in Python); a field given in both places must agree. The verdict is whatever the evidence
function computes; no verdict is ever written down beside a claim.
"""

from __future__ import annotations

import enum
import functools
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from theory.claim_records import ID_PATTERN, ClaimsData, data_file, read_claims_data, resolve_document

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


#: Parsed data files by claims module name, and the (module, id) pairs already in the registry.
_DATA: dict[str, ClaimsData] = {}
_PLACED: set[tuple[str, str]] = set()
_COMPLETED: set[str] = set()


def _data(module_name: str) -> ClaimsData:
    if module_name not in _DATA:
        _DATA[module_name] = read_claims_data(data_file(module_name))
    return _DATA[module_name]


def _record_fields(claim_id: str, record: dict, data: ClaimsData, module_name: str) -> dict:
    """A record's fields as :class:`Claim` takes them (documents resolved, sources as Source)."""
    where = f"claim {claim_id} in {data.path}"
    fields = {name: value for name, value in record.items() if name not in ("sources", "reason")}
    if "sources" in record:
        fields["sources"] = [Source(resolve_document(s["document"], module_name, where), s["section"], s.get("quote", ""))
                             for s in record["sources"]]
    if "topic" not in fields and data.topic is not None:
        fields["topic"] = data.topic
    return fields


def _add(entry: Claim, module_name: str) -> None:
    if entry.id in _REGISTRY:
        raise ValueError(f"duplicate claim id {entry.id!r}")
    if not ID_PATTERN.match(entry.id):
        raise ValueError(f"claim id {entry.id!r} is not UPPER.DOTTED")
    if entry.origin not in ORIGINS:
        raise ValueError(f"claim {entry.id}: origin must be one of {ORIGINS}, got {entry.origin!r}")
    if entry.corrected is not None and entry.subject is None:
        raise ValueError(f"claim {entry.id}: `corrected` needs a `subject` to correct")
    _REGISTRY[entry.id] = entry
    _BY_FUNCTION[entry.evidence_fn] = entry
    _PLACED.add((module_name, entry.id))


def _require(claim_id: str, fields: dict, names: tuple[str, ...], path: Path | None) -> None:
    missing = [name for name in names if fields.get(name) is None]
    if missing:
        raise ValueError(f"claim {claim_id}: no {', '.join(missing)} (neither in {path or 'a data file'} "
                         f"nor given in Python)")


def _not_checkable_entry(claim_id: str, record: dict, data: ClaimsData, module_name: str) -> Claim:
    """The claim of a record with a `reason` and no evidence function: its evidence says not-checkable."""
    from theory.evidence import not_checkable

    reason = record["reason"]

    def evidence() -> Evidence:
        return not_checkable(reason)

    evidence.__qualname__ = f"not_checkable[{claim_id}]"
    evidence.__module__ = module_name
    fields = {"formal": "—", "convention": "—", "origin": "document", **_record_fields(claim_id, record, data,
                                                                                        module_name)}
    _require(claim_id, fields, ("sources", "statement", "topic"), data.path)
    return Claim(id=claim_id, evidence_fn=evidence, **fields)


def _place_records_before(module_name: str, claim_id: str | None) -> None:
    """Register the not-checkable records of a module that come before `claim_id` in its data file (all of
    them for None), so that the ledger lists a module's claims in the data file's order."""
    data = _data(module_name)
    for record_id, record in data.records.items():
        if record_id == claim_id:
            return
        if "reason" in record and (module_name, record_id) not in _PLACED:
            _add(_not_checkable_entry(record_id, record, data, module_name), module_name)


def complete_module(module_name: str) -> None:
    """After a claims module ran: register its remaining not-checkable records and its left_out entries, and
    reject a record that has neither an evidence function nor a reason."""
    if module_name in _COMPLETED:
        return
    _place_records_before(module_name, None)
    data = _data(module_name)
    orphans = [record_id for record_id in data.records if (module_name, record_id) not in _PLACED]
    if orphans:
        raise ValueError(f"claim {orphans[0]} in {data.path}: no evidence function in {module_name} registers it "
                         f"(@claim(id={orphans[0]!r}, ...)) and the record gives no `reason`"
                         + (f" (also: {', '.join(orphans[1:])})" if orphans[1:] else ""))
    for entry in data.left_out:
        where = f"{data.path}, left_out"
        _LEFT_OUT.append(LeftOut(resolve_document(entry["document"], module_name, where), entry["section"], entry["what"],
                                 entry["reason"]))
    _COMPLETED.add(module_name)


def claim(
    *,
    id: str,  # noqa: A002 - the ledger's field is called id
    subject: object = None,
    corrected: object = None,
    sources: list[Source] | None = None,
    quotes: list[str] | None = None,
    statement: str | None = None,
    formal: str | None = None,
    convention: str | None = None,
    topic: str | None = None,
    related: list[str] | None = None,
    origin: str | None = None,
) -> Callable[[Callable[..., Evidence]], Callable[..., Evidence]]:
    """Decorator: register the decorated evidence function as the evidence of claim `id`.

    The claim's record is read from the data file beside the module that defines the function (its source
    file with the suffix .toml, table ["<id>"]). With `subject`, the function is called as fn(subject):
    `subject` is the formula or implementation the document states (a SymPy expression, a number, a
    callable); `corrected` is the fixed one for a claim whose statement is wrong.

    The record's fields may instead (or also) be given here: `sources` with `quotes` (source by source, the
    verbatim span of the document the claim judges; tests/test_ledger.py checks that each is in its
    document), `statement`, `formal`, `convention`, `topic`, `related`, `origin` ("document": the document
    says it; "ledger": a property the ledger adds). A field given here and in the data file must agree.
    """
    if quotes is not None:
        if sources is None:
            raise ValueError(f"claim {id}: `quotes` given without `sources` (one quote per source)")
        if len(quotes) != len(sources):
            raise ValueError(f"claim {id}: {len(quotes)} quotes for {len(sources)} sources")
        sources = [Source(s.document, s.section, q) for s, q in zip(sources, quotes, strict=True)]
    given = {name: value for name, value in (("sources", sources), ("statement", statement), ("formal", formal),
                                             ("convention", convention), ("topic", topic), ("related", related),
                                             ("origin", origin)) if value is not None}

    def register(fn: Callable[..., Evidence]) -> Callable[..., Evidence]:
        module_name = fn.__module__
        data = _data(module_name)
        record = data.records.get(id)
        if record is None and "statement" not in given:
            raise ValueError(f"claim {id}: no record [\"{id}\"] in {data.path or 'a data file'} and no statement "
                             f"given in Python")
        if record is not None and "reason" in record:
            raise ValueError(f"claim {id}: {data.path} gives a `reason` (a not-checkable claim) and {module_name} "
                             f"an evidence function {fn.__qualname__}; keep one")
        _place_records_before(module_name, id)
        fields = {} if record is None else _record_fields(id, record, data, module_name)
        for name, value in given.items():
            if name in fields and list_or_value(fields[name]) != list_or_value(value):
                raise ValueError(f"claim {id}: `{name}` given in Python ({value!r:.100}) differs from {data.path} "
                                 f"({fields[name]!r:.100})")
        fields = {"related": [], "origin": "document", **fields, **given}
        _require(id, fields, ("sources", "statement", "formal", "convention", "topic"), data.path)
        _add(Claim(id=id, evidence_fn=fn, subject=subject, corrected=corrected,
                   **{**fields, "sources": list(fields["sources"]), "related": list(fields["related"])}), module_name)
        return fn

    return register


def list_or_value(value: object) -> object:
    """Lists and tuples compare as lists (a field given as a tuple in Python equals the data file's array)."""
    return list(value) if isinstance(value, (list, tuple)) else value


def topic_claim(topic: str) -> Callable[..., Callable[[Callable[..., Evidence]], Callable[..., Evidence]]]:
    """The :func:`claim` decorator of one topic module written all in Python: every claim it registers
    belongs to `topic` (a module with a data file states its topic there, `topic = "..."`)."""
    return functools.partial(claim, topic=topic)


def leave_out(document: str, section: str, what: str, reason: str) -> None:
    """A statement of a document deliberately not in the ledger (a data file lists them as [[left_out]])."""
    _LEFT_OUT.append(LeftOut(document, section, what, reason))


#: The claims modules the ledger loads: the built-in topics, or a lecturer's own module (use_claims_module).
_MODULES: list[str] = [f"theory.claims.{name}" for name in TOPIC_MODULES]


@functools.cache
def _load() -> None:
    for name in _MODULES:
        importlib.import_module(name)
        complete_module(name)


def use_claims_module(module: str | None) -> None:
    """Make the ledger the claims of `module` (a lecturer's own, same API) instead of the built-in topics.

    None restores the built-in ledger. The module is (re-)imported so that its @claim decorators run
    against the fresh registry.
    """
    _REGISTRY.clear()
    _BY_FUNCTION.clear()
    _LEFT_OUT.clear()
    _DATA.clear()
    _PLACED.clear()
    _COMPLETED.clear()
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
