"""The claim ledger's own checks: every claim's evidence runs and is well formed, and the ledger is intact.

No test here states what a claim's verdict should be: the evidence function computes it, and these tests
check that whatever it computed is backed by the material its verdict requires.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from theory import Evidence, Verdict, all_claims, evaluate_all, get_claim, left_out, lock
from theory.lectures import DOCUMENTS, _normalise, lectures_dir, locate, section_exists
from theory.ledger import ID_PATTERN, METHODS, ORIGINS
from theory.mutation import KINDS, mutate
from theory.render import claim_detail, claim_line, documents_markdown, ledger_markdown

CLAIMS = all_claims()
HAVE_LECTURES = lectures_dir() is not None
needs_lectures = pytest.mark.skipif(not HAVE_LECTURES, reason="lecture documents not found")


def _finite_numbers(numbers, *words) -> list[float]:
    return [
        float(value)
        for key, value in numbers.items()
        if any(w in key for w in words)
        and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ]


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
        # "Approximate" states how far (an error) and the bound it must stay within; beyond it: "fails".
        errors = _finite_numbers({k: v for k, v in numbers.items() if "bound" not in k}, "err", "gap")
        bounds = _finite_numbers(numbers, "bound")
        assert errors and bounds, f"{claim.id}: approximate without a quantified error and its stated bound"
        assert max(errors) <= max(bounds), f"{claim.id}: approximate with error {max(errors)} beyond bound {max(bounds)}"
    if evidence.verdict is Verdict.HOLDS_UNDER_CONVENTION:
        assert numbers.get("alternative"), f"{claim.id}: holds-under-convention must name the other convention"
        assert numbers.get("alternative_holds") == 0, f"{claim.id}: the alternative convention was not shown to differ"
    if evidence.verdict is Verdict.DEPENDS_ON:
        assert evidence.method == "experiment" and numbers.get("depends_on"), f"{claim.id}: depends-on names no condition"
        assert "difference" in numbers.get("decision", ""), f"{claim.id}: depends-on without a test of the difference"
    if evidence.verdict is Verdict.NOT_SHOWN:
        assert evidence.method == "experiment", f"{claim.id}: not-shown is an empirical decision"
        assert str(numbers.get("reason", "")).strip(), f"{claim.id}: not-shown must say what would decide it"
    if evidence.method == "experiment":
        for key in ("alpha", "n"):
            assert key in numbers, f"{claim.id}: experiment without {key}"
        assert 0 < numbers["alpha"] < 1 and numbers["n"] > 0
        power = numbers.get("power_at_effect", numbers.get("power"))
        if "decision" in numbers and numbers["decision"] not in ("shown", "refuted") and "power_at_effect" in numbers:
            assert 0 <= power <= 1, f"{claim.id}: not shown without the power at the observed effect"
        if power is None:
            assert "ci_low" in numbers and "ci_high" in numbers, f"{claim.id}: experiment without power or interval"
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


# ---------------------------------------------------------------- reviewed verdicts (the lock)


def test_computed_verdicts_match_the_reviewed_lock():
    # Claims and their verdicts at the suite's experiment size (small unless REGVERIFY_EXPERIMENT_SIZE says).
    # The evidence decides every verdict; the lock records the reviewed one, so any change is visible here.
    size = lock.current_size()
    found = lock.changes(size, lock.computed_verdicts())
    assert not found, lock.describe(size, found)


def test_lock_diff_names_the_claim_both_verdicts_and_why(tmp_path):
    computed = {"A.B": ("holds", "because"), "C.D": ("fails", "counterexample x")}
    path = lock.accept("small", {"A.B": ("holds", ""), "E.F": ("holds", "")}, tmp_path / "lock.json",
                       size_dependent={"A.B", "E.F"})
    found = lock.changes("small", computed, path)
    lines = [c.line() for c in found]
    assert "C.D: (not in the lock) -> fails — counterexample x" in lines
    assert "E.F: holds -> (no longer in the ledger)" in lines
    assert not any(line.startswith("A.B") for line in lines)
    assert lock.read_lock(path)["full"] == {}


# ---------------------------------------------------------------- evidence that can fail

CHECKED = [c for c in CLAIMS if c.evaluate().verdict is not Verdict.NOT_CHECKABLE]
WITH_SUBJECT = [c for c in CHECKED if c.takes_subject and c.topic != "empirical" and
                not c.id.startswith(("BATCHNORM.HIGHER_LEARNING_RATES", "BATCHNORM.FASTER_TRAINING"))]


def test_claims_not_yet_taking_their_subject_are_only_those_listed():
    # Every checked claim's evidence takes the formula or implementation under judgement as its argument.
    # The claims not converted yet are listed in theory.mutation.NOT_YET_CONVERTED; the list may only shrink.
    from theory.mutation import NOT_YET_CONVERTED

    missing = {c.id for c in CHECKED if not c.takes_subject}
    assert missing <= set(NOT_YET_CONVERTED), f"checked claims without a subject: {sorted(missing - set(NOT_YET_CONVERTED))}"
    converted = set(NOT_YET_CONVERTED) - missing
    assert not converted, f"remove from NOT_YET_CONVERTED (they take a subject now): {sorted(converted)}"


# Every claim × every mutation kind is 4 evaluations per claim (~25 s of CPU): the default run rotates the
# kinds over the claims (each claim one kind, each kind a quarter of the claims; ~7 s), and
# REGVERIFY_LEDGER_MUTATIONS=all runs the whole matrix (what `regverify bench`-style thorough runs use).
ALL_MUTATIONS = os.environ.get("REGVERIFY_LEDGER_MUTATIONS", "") == "all"
MUTATIONS = [(c, kind) for i, c in enumerate(WITH_SUBJECT) for j, kind in enumerate(KINDS)
             if ALL_MUTATIONS or j == i % len(KINDS)]


@pytest.mark.full
@pytest.mark.parametrize(("claim", "kind"), MUTATIONS, ids=[f"{c.id}-{k}" for c, k in MUTATIONS])
def test_a_mutated_subject_changes_the_verdict(claim, kind):
    original = claim.evaluate()
    if original.verdict is Verdict.FAILS and claim.corrected is not None:
        # A wrong formula: its corrected form must hold under the same evidence, and a mutation of the
        # corrected form must not.
        fixed = claim.check(claim.corrected)
        assert fixed.verdict is Verdict.HOLDS, f"{claim.id}: the corrected subject is judged {fixed.verdict.value}"
        baseline, mutated = fixed, claim.check(mutate(claim.corrected, kind))
    elif original.verdict is Verdict.FAILS:
        # A wrong property judged with a tool (a solver, a closed form): a mutated tool must not leave the
        # verdict standing (the audit's failure mode was a mutated closed form turning "fails" into "holds").
        baseline, mutated = original, claim.check(mutate(claim.subject, kind))
    else:
        baseline, mutated = original, claim.check(mutate(claim.subject, kind))
    from theory.mutation import INVARIANT

    if (claim.id, kind) in INVARIANT:
        assert mutated.verdict is baseline.verdict, f"{claim.id}: listed as invariant under {kind}, but it is not"
        return
    assert mutated.verdict is not baseline.verdict, (
        f"{claim.id}: a {kind} mutation of its subject leaves the verdict {baseline.verdict.value}: "
        f"the evidence cannot see that error")
    # Summaries are computed from the evidence: a different verdict must not keep the same summary text.
    assert mutated.summary != baseline.summary, f"{claim.id}: summary is fixed text ({baseline.summary!r})"


def test_the_default_subject_is_what_evaluate_judges():
    for claim in WITH_SUBJECT[:5]:
        assert claim.check(claim.subject).verdict is claim.evaluate().verdict


def test_spectral_norm_evidence_neither_reads_nor_moves_the_global_rng():
    # torch's spectral_norm starts its power iteration from the global RNG: the evidence runs it on a forked,
    # fixed-seeded global RNG, so its numbers are the same whatever the global seed and the global state is
    # left as it was. (The test seeds the global RNG only inside its own fork_rng.)
    import torch

    claim = get_claim("SPECTRAL_NORM.UNIT_SIGMA")
    numbers = []
    with torch.random.fork_rng(devices=[]):
        for seed in (1, 2):
            torch.default_generator.manual_seed(seed)
            before = torch.get_rng_state()
            numbers.append(claim.check(claim.subject).numbers)
            assert torch.equal(torch.get_rng_state(), before), "the evidence moved the global RNG"
    assert numbers[0] == numbers[1]


# ---------------------------------------------------------------- exact sources


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_quotes_its_document(claim):
    assert claim.origin in ORIGINS
    for source in claim.sources:
        assert source.quote.strip(), f"{claim.id}: source {source.section!r} quotes nothing"
        if not HAVE_LECTURES:
            continue
        where = locate(source.document, source.quote, source.section)
        assert where is not None, f"{claim.id}: quote {source.quote!r} is not in {source.document!r}"
        # The cited heading encloses the quote (a page marker such as Module 2's repeated heading is not a
        # section: there the heading path computed from the quote's line names the section).
        assert section_exists(source.document, source.section), (claim.id, source.section)
        assert _normalise(source.section) in where.headings or source.section == "Module 2", (
            f"{claim.id}: quote at line {where.lines} lies under {' > '.join(where.headings)}, not § {source.section}")


# ---------------------------------------------------------------- layering


def test_theory_imports_nothing_from_the_command_layer():
    # theory/ (ledger, claims, experiments) sits below regverify/: it may use regstats, never regverify.
    # An AST scan sees every import, including the lazy ones inside functions that a run might not reach.
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "theory"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.relative_to(root.parent)}:{node.lineno} imports {n}" for n in names
                          if n == "regverify" or n.startswith("regverify.")]
    assert not offenders, "\n".join(offenders)


def _links_and_anchors(markdown: str) -> tuple[list[str], set[str]]:
    import re

    from markdown_it import MarkdownIt

    hrefs = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        for child in token.children or []:
            if child.type == "link_open":
                hrefs.append(child.attrs["href"])
    return hrefs, set(re.findall(r'<a id="([^"]+)"></a>', markdown))


def test_report_pages_links_all_resolve_and_test_links_are_real_links():
    evidences = evaluate_all()
    backing = {CLAIMS[0].id: ["[`test_x` (dropout)](conformance/dropout.md#dropout-test-x) — 3 passed"]}
    pages = {
        "ledger.md": ledger_markdown(CLAIMS, evidences, backing),
        "documents.md": documents_markdown(CLAIMS, evidences),
        "conformance/dropout.md": '<a id="dropout-test-x"></a>\n',
    }
    anchors = {name: _links_and_anchors(text)[1] for name, text in pages.items()}
    for name in ("ledger.md", "documents.md"):
        hrefs, _ = _links_and_anchors(pages[name])
        assert hrefs, f"{name} has no links"
        for href in hrefs:
            page, _, fragment = href.partition("#")
            page = page or name
            assert page in pages, f"{name}: link {href!r} to a page that is not written"
            assert not fragment or fragment in anchors[page], f"{name}: link {href!r} has no target"
    ledger_hrefs, _ = _links_and_anchors(pages["ledger.md"])
    # The conformance link is a real link (not swallowed by inline code).
    assert "conformance/dropout.md#dropout-test-x" in ledger_hrefs
    assert "alternative_holds" not in pages["ledger.md"], "internal field names leak into the ledger"
    for entry in left_out():
        assert entry.what in pages["documents.md"] and entry.what in pages["ledger.md"]


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


@pytest.mark.end_to_end("mynotes_report")
def test_a_lecturers_own_claims_module_gets_the_same_report():
    # examples/mynotes: a note written for the purpose and its claims module, through the same calls that
    # `regverify report --claims mynotes.claims --lectures mynotes/notes` makes (a subprocess started at collection,
    # tests/test_cli.py: the ledger registry of this process stays the built-in one).
    from tests.test_cli import finished

    run, folders = finished("mynotes_report")
    assert run.returncode == 0, run.stderr[-2000:]
    out = folders.reports
    ledger_text, documents_text = (out / "ledger.md").read_text(), (out / "documents.md").read_text()
    assert "MYNOTES.DROPOUT.TEST_SCALE" in documents_text.split("What this document gets wrong")[1].split("###")[0]
    assert 'id="EMPIRICAL.' not in ledger_text, "the built-in ledger leaked into a lecturer's report"
    assert "every verdict matches" in (out / "index.md").read_text()


def _fabricated_experiment(differences, parts=None):
    """A stand-in for an experiment runner: one sign-test decision on the given paired differences."""
    from theory.experiments.common import EXPERIMENT_ALPHA, ExperimentResult, decide, paired_sign_test, part

    outcome = paired_sign_test(differences, EXPERIMENT_ALPHA)
    result = ExperimentResult("fabricated", decide(outcome), outcome.median, outcome.ci, EXPERIMENT_ALPHA,
                              len(differences), "fabricated paired differences", name="fabricated",
                              power_at_effect=outcome.power_at_effect, seeds_to_decide=outcome.seeds_to_decide)
    result.parts = {name: part(decide(outcome), outcome) for name in (parts or [])}
    return lambda size: result


EMPIRICAL = [c for c in CLAIMS if c.takes_subject and c not in WITH_SUBJECT]


@pytest.mark.parametrize("claim", EMPIRICAL, ids=[c.id for c in EMPIRICAL])
def test_an_empirical_verdict_follows_the_experiment_and_a_sign_flip_refutes_it(claim):
    # The evidence takes the experiment as its argument: fed paired differences in the claimed direction it
    # says holds; fed the same differences with the sign flipped it says fails (a significant result against
    # the claim); fed noise around zero it says not-shown, never fails.
    parts = ["faster training", "higher learning rates"]
    rng = np.random.default_rng(0)
    strong = np.abs(rng.normal(1.0, 0.3, size=64))
    assert claim.check(_fabricated_experiment(strong, parts)).verdict is Verdict.HOLDS
    refuted = claim.check(_fabricated_experiment(-strong, parts))
    assert refuted.verdict is Verdict.FAILS and refuted.numbers["corrected_holds"] == 1, refuted.numbers
    noise = np.array([1.0, -1.0] * 10)
    assert claim.check(_fabricated_experiment(noise, parts)).verdict is Verdict.NOT_SHOWN
