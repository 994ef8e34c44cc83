"""The claim ledger's own checks: every claim's evidence runs and is well formed, and the ledger is intact.

No test here states what a claim's verdict should be: the evidence function computes it, and these tests
check that whatever it computed is backed by the material its verdict requires.
"""

from __future__ import annotations

import math

import pytest

from theory import Evidence, Verdict, all_claims, evaluate_all, get_claim, left_out
from theory.lectures import DOCUMENTS, lectures_dir, section_exists
from theory.ledger import ID_PATTERN, METHODS
from theory.render import claim_detail, claim_line, ledger_markdown

CLAIMS = all_claims()
HAVE_LECTURES = lectures_dir() is not None
needs_lectures = pytest.mark.skipif(not HAVE_LECTURES, reason="lecture documents not found")


def _has_error_number(numbers) -> bool:
    return any(
        "err" in key or "gap" in key
        for key, value in numbers.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    )


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_evidence_is_computed_and_well_formed(claim):
    evidence = claim.evaluate()
    assert isinstance(evidence, Evidence), f"{claim.id}: evidence function returned {type(evidence).__name__}"
    assert isinstance(evidence.verdict, Verdict)
    assert evidence.method in METHODS, f"{claim.id}: unknown method {evidence.method!r}"
    assert evidence.summary and "\n" not in evidence.summary, f"{claim.id}: summary must be one non-empty line"
    assert evidence.details.strip(), f"{claim.id}: empty details"
    for key, value in evidence.numbers.items():
        assert isinstance(value, (int, float, str)), f"{claim.id}: numbers[{key!r}] is {type(value).__name__}"
    numbers = evidence.numbers
    if evidence.verdict is Verdict.FAILS:
        assert numbers.get("counterexample"), f"{claim.id}: fails without a counterexample"
        assert numbers.get("corrected_statement"), f"{claim.id}: fails without a corrected statement"
        assert numbers.get("corrected_holds") == 1, f"{claim.id}: the corrected statement's own check did not pass"
    if evidence.verdict is Verdict.APPROXIMATE:
        assert _has_error_number(numbers), f"{claim.id}: approximate without a quantified error in numbers"
    if evidence.verdict is Verdict.HOLDS_UNDER_CONVENTION:
        assert numbers.get("alternative"), f"{claim.id}: holds-under-convention must name the other convention"
        assert numbers.get("alternative_holds") == 0, f"{claim.id}: the alternative convention was not shown to differ"
    if evidence.method == "experiment":
        for key in ("alpha", "power", "delta", "n"):
            assert key in numbers, f"{claim.id}: experiment without {key}"
        assert 0 < numbers["alpha"] < 1 and 0 < numbers["power"] < 1 and numbers["delta"] > 0 and numbers["n"] > 0
    if evidence.verdict is Verdict.NOT_CHECKABLE:
        assert evidence.method == "none"
        assert str(numbers.get("reason", "")).strip(), f"{claim.id}: not-checkable without a reason"
    else:
        assert evidence.method != "none", f"{claim.id}: a checked verdict needs a checking method"


def test_evaluation_is_cached():
    claim = CLAIMS[0]
    assert claim.evaluate() is claim.evaluate()


def test_ids_are_unique_and_well_formed():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    bad = [i for i in ids if not ID_PATTERN.match(i)]
    assert not bad, f"ids not UPPER.DOTTED: {bad}"


def test_ledger_is_large_enough():
    assert len(CLAIMS) > 60


REQUIRED_IDS = [
    "DROPOUT.INVERTED.MEAN",
    "DROPOUT.INVERTED.VARIANCE",
    "DROPOUT.INVERTED.EVAL_IDENTITY",
    "DROPOUT.INVERTED.BACKWARD",
    "DROPOUT.STANDARD.TEST_SCALING",
    "DROPOUT.MASK.BERNOULLI",
    "ENSEMBLE.MSE.CORRELATED",
    "WEIGHT_DECAY.SGD.SHRINK",
    "LABEL_SMOOTHING.UNIFORM_K",
    "LABEL_SMOOTHING.OFF_TARGET_K_MINUS_1",
    "BATCHNORM.TRAIN.BATCH_STATS",
    "BATCHNORM.EVAL.RUNNING_STATS",
    "BATCHNORM.AFFINE.UNDO",
    "LAYERNORM.BATCH_INDEPENDENT",
    "L1.SPARSITY",
    "L2.SHRINK",
    "CLIP.NORM.BOUND",
    "SPECTRAL_NORM.UNIT_SIGMA",
    "MIXUP.CONVEX_COMBINATION",
]


@pytest.mark.parametrize("claim_id", REQUIRED_IDS)
def test_ids_used_by_the_conformance_suite_exist(claim_id):
    assert get_claim(claim_id).id == claim_id


def test_unknown_id_raises_a_clear_key_error():
    with pytest.raises(KeyError, match="unknown claim id 'DROPOUT.NO_SUCH'"):
        get_claim("DROPOUT.NO_SUCH")


def test_related_ids_exist():
    known = {c.id for c in CLAIMS}
    dangling = [(c.id, r) for c in CLAIMS for r in c.related if r not in known]
    assert not dangling, f"related ids that are not claims: {dangling}"


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_has_sources_in_the_five_documents(claim):
    assert claim.sources, f"{claim.id} has no source"
    for source in claim.sources:
        assert source.document in DOCUMENTS, f"{claim.id}: unknown document {source.document!r}"
    assert claim.statement.strip() and claim.formal.strip() and claim.convention.strip() and claim.topic


@needs_lectures
@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_cited_sections_exist(claim):
    missing = [s for s in claim.sources if not section_exists(s.document, s.section)]
    assert not missing, f"{claim.id}: section headings not found: {missing}"


@needs_lectures
def test_readme_lists_the_five_titles():
    readme = (lectures_dir() / "README.md").read_text(encoding="utf-8")
    for title, filename in DOCUMENTS.items():
        assert f"| {filename} | {title} |" in readme


def test_left_out_entries_have_reasons():
    entries = left_out()
    assert entries
    for entry in entries:
        assert entry.document in DOCUMENTS
        assert entry.what.strip() and entry.reason.strip()
        if HAVE_LECTURES:
            assert section_exists(entry.document, entry.section), entry


def test_section_exists_rejects_unknown_sections_and_documents():
    assert not section_exists("No such document", "L1")
    if HAVE_LECTURES:
        assert not section_exists(CLAIMS[0].sources[0].document, "A heading that is not there")


def test_rendering_covers_every_claim():
    evidences = evaluate_all()
    assert set(evidences) == {c.id for c in CLAIMS}
    some = CLAIMS[0]
    line = claim_line(some, evidences[some.id])
    assert some.id in line and "\n" not in line and evidences[some.id].verdict.value in line
    assert some.id in claim_detail(some, evidences[some.id])
    md = ledger_markdown(CLAIMS, evidences, {some.id: ["tests/test_x.py::test_y"]})
    for c in CLAIMS:
        assert f'<a id="{c.id}"></a>' in md
    assert "tests/test_x.py::test_y" in md
    assert md.index("| verdict | claims |") < md.index(f'<a id="{CLAIMS[0].id}"></a>')
