"""Defective targets: each module wraps a reference implementation and injects ONE realistic mistake.

The suite is only as good as the mistakes it catches. Every module here follows the target protocol
(impls/protocol/) and must be rejected by at least one conformance property;
``regverify mutants`` (regverify.selftest.run_mutants) runs them and reports which properties caught
each, and tests/test_defects.py keeps that true in the default suite.

A defect module implements only the operation(s) it breaks, so the suite's other properties skip it
as "not implemented" and a run stays short.

The catalogue itself is data: catalogue.toml, one table per defect module, read into CATALOGUE here, the one
list `regverify mutants`, the homework signatures and tests/test_defects.py read. defects/parts/ holds the
references' rules as replaceable steps, so that a defect module shows only its mistake.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from the tomli package (a dependency there, see pyproject.toml)
    import tomli as tomllib

#: Kinds of defect: a one-token slip on the main path; a boundary parameter or value; a combination of options;
#: a memory layout (non-contiguous, transposed); the shape of a noise law; a call that never returns; an optional
#: argument left out; an invalid input accepted silently; a test that catches it for the wrong reason.
KINDS = ("slip", "edge", "combination", "layout", "distribution", "termination", "optional", "silent_acceptance")


@dataclass(frozen=True)
class Symptom:
    """One failure that shows a defect: `property` (a test function's name) fails on the defect's operation
    with a message matching the regular expression `pattern` ("" matches any message)."""

    property: str
    pattern: str = ""
    #: The property must NOT fail (with that pattern): tells apart two defects that share a symptom.
    absent: bool = False

    def shown_by(self, failure: tuple[str, str]) -> bool:
        prop, message = failure
        return prop == self.property and (not self.pattern or re.search(self.pattern, message) is not None)

    def holds(self, failures: list[tuple[str, str]]) -> bool:
        return any(self.shown_by(f) for f in failures) != self.absent


@dataclass(frozen=True)
class Defect:
    """One catalogued defect: where it lives and what it gets wrong."""

    module: str  # module name inside regverify.conformance.defects
    family: str  # regularizer family (the tests/test_<family>.py that must catch it)
    operation: str  # protocol operation it breaks
    description: str  # the realistic mistake, in one line
    #: Set when the suite is known to miss this defect: the property that should catch it. The default suite
    #: then expects the defect to survive (strict xfail), so adding the property turns the xfail into a
    #: failure that asks for this note to be removed.
    known_gap: str = ""
    #: Why the mistake happens, said to the person who made it (regverify check prints it with the name).
    cause: str = ""
    #: The failing pattern that identifies this defect in anyone's code: every symptom must show. The defect's
    #: own module must show it too (tests/test_homework.py runs them), so a signature cannot be typed in wrong.
    signature: tuple[Symptom, ...] = ()
    #: The properties (test function names) that must catch this defect, each by a failed assertion: a catch by
    #: another property only, or only by an exception from the target (a crash), is a gap in the suite.
    caught_by: tuple[str, ...] = ()
    #: What kind of real bug this is (one of KINDS): most real bugs sit off the main path.
    kind: str = "slip"
    #: The defect's mistake is itself this exception on a valid call (a valid edge rejected): the named
    #: property catches it when the call raises it; any other exception is still a crash.
    raises: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"defect {self.module}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    @property
    def name(self) -> str:
        return self.module.replace("_numpy", "").replace("_", " ")

    @property
    def dotted(self) -> str:
        return f"{__name__}.{self.module}"


def _load_catalogue() -> tuple[Defect, ...]:
    """The catalogue's data, one table per defect module in catalogue.toml beside this file, as Defects.

    A data file, not a Python literal: ~100 entries of the same shape are a table to read and edit, not code.
    """
    raw = resources.files(__name__).joinpath("catalogue.toml").read_text(encoding="utf-8")
    fields = {field.name for field in dataclasses.fields(Defect)} - {"module"}
    defects = []
    for module, entry in tomllib.loads(raw).items():
        unknown = sorted(set(entry) - fields)
        if unknown:
            raise ValueError(f"catalogue.toml [{module}]: unknown field(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(sorted(fields))}")
        defects.append(Defect(module, **{**entry, "caught_by": tuple(entry.get("caught_by", ())),
                                         "signature": tuple(Symptom(**s) for s in entry.get("signature", ()))}))
    return tuple(defects)


CATALOGUE: tuple[Defect, ...] = _load_catalogue()


def by_family() -> dict[str, list[Defect]]:
    grouped: dict[str, list[Defect]] = {}
    for defect in CATALOGUE:
        grouped.setdefault(defect.family, []).append(defect)
    return grouped


def matching(failures: Iterable[tuple[str, str, str]]) -> list[Defect]:
    """The catalogued defects whose signature the failures show, without the ones a more specific match explains.

    `failures` holds (property, operation, message) of every failed case. A defect matches when each of its
    symptoms holds for the failures on its operation. A match whose shown symptoms are a strict subset of
    another match's is dropped (the larger pattern names the mistake more precisely); two matches with
    unrelated symptoms are both reported, as two mistakes in one file are.
    """
    by_operation: dict[str, list[tuple[str, str]]] = {}
    for prop, operation, message in failures:
        by_operation.setdefault(operation, []).append((prop, message))
    found: list[Defect] = []
    for operation, shown in by_operation.items():
        candidates = [d for d in CATALOGUE if d.operation == operation and d.signature
                      and all(symptom.holds(shown) for symptom in d.signature)]

        def positive(defect: Defect) -> set[tuple[str, str]]:
            return {(s.property, s.pattern) for s in defect.signature if not s.absent}

        found += [d for d in candidates if not any(positive(d) < positive(other) for other in candidates)]
    return found
