"""Claim records as data: theory.ledger.claim reads a claim's record from the .toml file beside its module.

Each test writes a small claims module (and its data file) to a temporary folder, imports it and completes
it as the ledger's loader does, then restores the registry, so the built-in ledger of this process is
untouched (nothing is re-imported or re-evaluated).
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from theory import ledger
from theory.lectures import PRIMER

EVIDENCE = '''
from theory.ledger import Evidence, Source, Verdict, claim, topic_claim

NOTE = "A lecturer's note"


def _holds() -> Evidence:
    return Evidence(Verdict.HOLDS, "exact", "checked", "checked exactly")
'''


@pytest.fixture
def load(tmp_path, monkeypatch):
    """load(python, toml=None) -> the module's claims, registered as the ledger's loader registers them."""
    ledger.all_claims()  # the built-in ledger is loaded before the snapshot, not during the test
    saved = (dict(ledger._REGISTRY), dict(ledger._BY_FUNCTION), list(ledger._LEFT_OUT), dict(ledger._DATA),
             set(ledger._PLACED), set(ledger._COMPLETED))
    monkeypatch.syspath_prepend(str(tmp_path))
    names = []

    def run(python: str, toml: str | None = None) -> list[ledger.Claim]:
        name = f"claims_data_case_{len(names)}"
        names.append(name)
        (tmp_path / f"{name}.py").write_text(EVIDENCE + textwrap.dedent(python))
        if toml is not None:
            (tmp_path / f"{name}.toml").write_text(textwrap.dedent(toml))
        before = set(ledger._REGISTRY)
        importlib.import_module(name)
        ledger.complete_module(name)
        return [c for i, c in ledger._REGISTRY.items() if i not in before]

    yield run
    for name in names:
        sys.modules.pop(name, None)
    for container, old in zip((ledger._REGISTRY, ledger._BY_FUNCTION, ledger._LEFT_OUT, ledger._DATA,
                               ledger._PLACED, ledger._COMPLETED), saved, strict=True):
        container.clear()
        container.update(old) if isinstance(container, (dict, set)) else container.extend(old)


SPLIT = '''
    topic = "notes"

    ["NOTES.FIRST"]
    statement = "The first claim."
    formal = "a = a"
    convention = "none"
    related = ["NOTES.THIRD"]
    [["NOTES.FIRST".sources]]
    document = "NOTE"
    section = "Intro"
    quote = "verbatim text"

    ["NOTES.SECOND"]
    statement = "A claim nothing here can decide."
    reason = "a statement about practice"
    [["NOTES.SECOND".sources]]
    document = "PRIMER"
    section = "Summary Comparison"
    quote = "another span"

    ["NOTES.THIRD"]
    statement = "The third claim."
    formal = "b = b"
    convention = "none"
    origin = "ledger"
    [["NOTES.THIRD".sources]]
    document = "notes.md"
    section = "End"
    quote = "last"

    [[left_out]]
    document = "NOTE"
    section = "Intro"
    what = "an analogy"
    reason = "not a claim"
'''


def test_a_split_module_gets_its_records_from_the_data_file_in_its_order(load):
    claims = load('''
        @claim(id="NOTES.FIRST", subject=1)
        def _first(subject) -> Evidence:
            return _holds()


        @claim(id="NOTES.THIRD")
        def _third() -> Evidence:
            return _holds()
    ''', SPLIT)
    assert [c.id for c in claims] == ["NOTES.FIRST", "NOTES.SECOND", "NOTES.THIRD"]
    first, second, third = claims
    assert first.sources == [ledger.Source("A lecturer's note", "Intro", "verbatim text")]  # module constant
    assert (first.statement, first.formal, first.topic, first.related, first.subject) == (
        "The first claim.", "a = a", "notes", ["NOTES.THIRD"], 1)
    assert second.sources[0].document == PRIMER  # a theory.lectures title constant
    assert (second.formal, second.convention) == ("—", "—")
    evidence = second.evaluate()
    assert evidence.verdict is ledger.Verdict.NOT_CHECKABLE and evidence.numbers["reason"] == "a statement about practice"
    assert third.sources[0].document == "notes.md" and third.origin == "ledger"
    assert ledger._LEFT_OUT[-1] == ledger.LeftOut("A lecturer's note", "Intro", "an analogy", "not a claim")


def test_a_module_all_in_python_still_works(load):
    (entry,) = load('''
        @topic_claim("notes")(id="NOTES.PYTHON", sources=[Source(NOTE, "Intro")], quotes=["q"], statement="s",
                              formal="f", convention="c")
        def _python() -> Evidence:
            return _holds()
    ''')
    assert (entry.id, entry.sources, entry.statement, entry.topic, entry.evaluate().verdict) == (
        "NOTES.PYTHON", [ledger.Source("A lecturer's note", "Intro", "q")], "s", "notes", ledger.Verdict.HOLDS)


def test_python_fields_must_agree_with_the_data_file(load):
    agreeing = '''
        @claim(id="NOTES.FIRST", statement="The first claim.", related=("NOTES.THIRD",))
        def _first() -> Evidence:
            return _holds()


        @claim(id="NOTES.THIRD")
        def _third() -> Evidence:
            return _holds()
    '''
    assert len(load(agreeing, SPLIT)) == 3
    with pytest.raises(ValueError, match=r"NOTES\.FIRST: `statement` given in Python .* differs from .*\.toml"):
        load(agreeing.replace("The first claim.", "Another statement."), SPLIT)


def _one_claim(claim_id: str) -> str:
    """A claims module with one evidence function, for `claim_id`."""
    return f'''
        @claim(id="{claim_id}")
        def _evidence() -> Evidence:
            return _holds()
    '''


#: (the one claim the module defines, its data file, the error that names what is wrong and where)
BAD_DATA = {
    "a record without evidence or reason": (
        "NOTES.FIRST", SPLIT, r"claim NOTES\.THIRD in .*claims_data_case_0\.toml: no evidence function"),
    "a decorator without a record or statement": (
        "NOTES.MISSING", SPLIT, r'claim NOTES\.MISSING: no record \["NOTES\.MISSING"\] in .*case_0\.toml'),
    "a reason and an evidence function for one claim": (
        "NOTES.SECOND", SPLIT, r"NOTES\.SECOND: .* gives a `reason` .* and .* an evidence function"),
    "an unknown field in a record": (
        "NOTES.FIRST", SPLIT.replace('statement = "The first claim."', 'statment = "The first claim."'),
        r"claim NOTES\.FIRST in .*\.toml: unknown field\(s\) statment"),
}


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_bad_claims_data_is_an_error_naming_the_claim_and_the_file(load, case):
    claim_id, data, message = BAD_DATA[case]
    with pytest.raises(ValueError, match=message):
        load(_one_claim(claim_id), data)


def test_every_built_in_record_is_a_claim_of_its_module_in_file_order():
    # The data files are the ledger's records: every table is a registered claim, in the file's order.
    ids = [c.id for c in ledger.all_claims()]
    for path in sorted((Path(ledger.__file__).parent / "claims").glob("*.toml")):
        records = list(ledger.read_claims_data(path).records)
        assert all(r in ids for r in records), path
        assert sorted(records, key=ids.index) == records, f"{path}: records not in the ledger's order"
