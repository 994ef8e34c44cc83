"""Render ledger entries for the terminal and as GitHub-flavoured markdown.

Pages: the ledger (ledger.md: every claim with its verdict, exact sources, evidence and what backs it) and
the per-document view (documents.md: what each document gets wrong, what depends on a convention or on
conditions, what is approximate, what could not be decided, and the statements left out, with reasons).
`write_claims_report` writes both for a lecturer's own claims module (`regverify report --claims ...`).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from theory.ledger import Claim, Evidence, LeftOut, Verdict

#: What each verdict means, in the words the pages use (one vocabulary everywhere).
VERDICT_MEANING = {
    Verdict.HOLDS: "true as the document states it",
    Verdict.HOLDS_UNDER_CONVENTION: "true under the document's convention (of a symbol or a default) and false "
    "under the other convention in use, which the evidence names and checks",
    Verdict.DEPENDS_ON: "an empirical statement shown under some conditions and not under others, with a "
    "significant test of the difference between them (a condition, not a convention)",
    Verdict.APPROXIMATE: "true within a stated bound (how far, where); beyond the bound it fails",
    Verdict.FAILS: "false: a counterexample, and a corrected statement that the same evidence passes",
    Verdict.NOT_SHOWN: "empirical, neither shown nor refuted at this experiment size (power and the seeds that "
    "would decide are given); never read as fails",
    Verdict.NOT_CHECKABLE: "nothing could decide it (the reason is given)",
}

#: Evidence numbers that are the ledger's bookkeeping: shown as sentences, never as raw table rows.
_BOOKKEEPING = {"alternative", "alternative_holds", "counterexample", "corrected_statement", "corrected_holds",
                "reason", "depends_on", "error_bound", "region"}


def experiment_size() -> str:
    from theory.ledger import experiment_size as size_in_use

    return size_in_use()


def _location(claim: Claim, index: int = 0):
    from theory.lectures import locate

    source = claim.sources[index]
    return locate(source.document, source.quote, source.section) if source.quote else None


def _source_text(claim: Claim) -> str:
    first = claim.sources[0]
    where = _location(claim)
    lines = f", {where.span}" if where else ""
    more = f" (+{len(claim.sources) - 1} more)" if len(claim.sources) > 1 else ""
    return f"{first.document} § {first.section}{lines}{more}"


def _size_dependent(claim: Claim, evidence: Evidence) -> bool:
    return evidence.method == "experiment" and "size" in evidence.numbers


def claim_line(claim: Claim, evidence: Evidence) -> str:
    """One terminal line: ID, verdict (with the experiment size where it depends on it), first source."""
    verdict = evidence.verdict.value
    if _size_dependent(claim, evidence):
        verdict += f" (size {evidence.numbers['size']})"
    return f"{claim.id:<45} {verdict:<30} {_source_text(claim)}"


def _numbers_text(numbers: Mapping[str, object]) -> str:
    parts = []
    for key, value in numbers.items():
        parts.append(f"{key}={value:.6g}" if isinstance(value, float) else f"{key}={value}")
    return ", ".join(parts)


def claim_detail(claim: Claim, evidence: Evidence) -> str:
    """Multi-line terminal view of one claim with its evidence."""
    lines = [
        f"{claim.id}  [{evidence.verdict.value}]  ({evidence.method})",
        f"  statement:  {claim.statement}",
        f"  origin:     {'the document states it' if claim.origin == 'document' else 'a property the ledger adds'}",
        f"  formal:     {claim.formal}",
        f"  convention: {claim.convention}",
        "  sources:",
    ]
    for index, s in enumerate(claim.sources):
        where = _location(claim, index)
        path = " > ".join(where.headings) if where else s.section
        lines.append(f"    - {s.document} § {path}" + (f", {where.span}" if where else ""))
        if s.quote:
            lines.append(f"      \u201c{s.quote}\u201d")
    lines += [f"  summary:    {evidence.summary}", "  details:", *[f"    {line}" for line in evidence.details.splitlines()]]
    if evidence.numbers:
        lines.append(f"  numbers:    {_numbers_text(evidence.numbers)}")
    if claim.related:
        lines.append(f"  related:    {', '.join(claim.related)}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _quote_md(text: str) -> str:
    # A quote is shown as text, not re-rendered: escape markdown's active characters, keep it on one line.
    return re.sub(r"([\\`*_\[\]<>|$])", r"\\\1", " ".join(text.split()))


def _verdict_text(claim: Claim, evidence: Evidence) -> str:
    text = f"`{evidence.verdict.value}`"
    if _size_dependent(claim, evidence):
        text += f" at experiment size **{evidence.numbers['size']}**"
    return text


def _bookkeeping_lines(evidence: Evidence) -> list[str]:
    n = evidence.numbers
    out = []
    if "alternative" in n:
        out.append(f"- **Other convention:** {n['alternative']} — "
                   + ("also holds" if n.get("alternative_holds") == 1 else "checked: does not hold"))
    if "depends_on" in n:
        out.append(f"- **Depends on:** {n['depends_on']} (tested difference: {n.get('decision', '')})")
    if "error_bound" in n:
        out.append(f"- **Stated bound:** {n['error_bound']:.4g}" + (f" where {n['region']}" if "region" in n else ""))
    if "counterexample" in n:
        out.append(f"- **Counterexample:** {n['counterexample']}")
    if "corrected_statement" in n:
        out.append(f"- **Corrected statement:** {n['corrected_statement']} (checked by the same evidence: "
                   + ("holds" if n.get("corrected_holds") == 1 else "does not hold") + ")")
    if "reason" in n:
        out.append(f"- **Why undecided:** {n['reason']}")
    return out


def _sources_md(claim: Claim) -> list[str]:
    out = []
    for index, s in enumerate(claim.sources):
        where = _location(claim, index)
        path = " › ".join(where.headings) if where else s.section
        lines = f", {where.span}" if where else ""
        out.append(f"- *{s.document}*, § {path}{lines}")
        if s.quote:
            out.append(f"  > {_quote_md(s.quote)}")
    return out


def left_out_markdown(entries: Sequence[LeftOut]) -> list[str]:
    out = ["| document | section | statement left out | why |", "|---|---|---|---|"]
    out += [f"| {_cell(e.document)} | {_cell(e.section)} | {_cell(e.what)} | {_cell(e.reason)} |" for e in entries]
    return out


def ledger_markdown(
    claims: Sequence[Claim],
    evidences: Mapping[str, Evidence],
    tests_by_claim: Mapping[str, Sequence[str]],
    *,
    left_out: Sequence[LeftOut] | None = None,
    size: str | None = None,
    documents_page: str | None = "documents.md",
) -> str:
    """The whole ledger as GitHub-flavoured markdown with a stable anchor per claim.

    `tests_by_claim` maps a claim id to markdown links (already formed) to the properties and results
    that rest on it; they are listed as links, never inside inline code.
    """
    from theory import ledger as ledger_module

    size = size or experiment_size()
    left = list(ledger_module.left_out() if left_out is None else left_out)
    counts = Counter(evidences[c.id].verdict for c in claims)
    empirical = [c for c in claims if _size_dependent(c, evidences[c.id])]
    out = [
        "# Claim ledger",
        "",
        f"{len(claims)} claims; {len(left)} statements deliberately left out ([list](#left-out)). Experiment size "
        f"**{size}**: the verdicts of the {len(empirical)} empirical claims depend on it (the others do not)."
        + (f" Per document: [{documents_page}]({documents_page})." if documents_page else ""),
        "",
        "| verdict | claims | meaning |",
        "|---|---:|---|",
    ]
    out += [f"| {v.value} | {counts.get(v, 0)} | {VERDICT_MEANING[v]} |" for v in Verdict]
    out += ["", '## Claims whose verdict is not "holds"', "", "| claim | verdict | summary |", "|---|---|---|"]
    for c in claims:
        ev = evidences[c.id]
        if ev.verdict is not Verdict.HOLDS:
            out.append(f"| [{c.id}](#{c.id}) | {_cell(_verdict_text(c, ev))} | {_cell(ev.summary)} |")
    topic = None
    for c in claims:
        ev = evidences[c.id]
        if c.topic != topic:
            topic = c.topic
            out += ["", f"## {topic.replace('_', ' ').title() if topic else 'Other'}"]
        origin = "the document's statement" if c.origin == "document" else "a property the ledger adds"
        out += [
            "",
            f'<a id="{c.id}"></a>',
            "",
            f"### {c.id}",
            "",
            f"**Verdict:** {_verdict_text(c, ev)} ({ev.method}) — {ev.summary}",
            "",
            f"**Statement** ({origin}): {c.statement}",
            "",
            "**Sources:**",
            "",
            *_sources_md(c),
            "",
            f"**Formal:** {c.formal}",
            "",
            f"**Convention:** {c.convention}",
            "",
            "**Evidence:**",
            "",
            ev.details,
            "",
        ]
        book = _bookkeeping_lines(ev)
        if book:
            out += book + [""]
        shown = {k: v for k, v in ev.numbers.items() if k not in _BOOKKEEPING}
        if shown:
            out += ["| quantity | value |", "|---|---|"]
            out += [
                f"| {_cell(k.replace('_', ' '))} | {_cell(f'{v:.6g}' if isinstance(v, float) else str(v))} |"
                for k, v in shown.items()
            ]
            out.append("")
        if c.related:
            out += ["**Related claims:** " + ", ".join(f"[{r}](#{r})" for r in c.related), ""]
        tests = list(tests_by_claim.get(c.id, []))
        if tests:
            out += ["**Backed by** its evidence above and these conformance properties:", ""]
            out += [f"- {t}" for t in tests]
        else:
            out.append("**Backed by:** its evidence above (no conformance property rests on this claim).")
    out += ["", '<a id="left-out"></a>', "", "## Statements left out", "",
            "Statements of the documents deliberately not in the ledger, each with the reason.", ""]
    out += left_out_markdown(left)
    return "\n".join(out) + "\n"


#: The per-document view's sections, in order: (heading, verdicts).
DOCUMENT_SECTIONS = (
    ("What this document gets wrong", (Verdict.FAILS,)),
    ("What depends on a convention", (Verdict.HOLDS_UNDER_CONVENTION,)),
    ("What depends on conditions (tested)", (Verdict.DEPENDS_ON,)),
    ("What is approximate", (Verdict.APPROXIMATE,)),
    ("Not shown at this experiment size", (Verdict.NOT_SHOWN,)),
    ("Not checkable", (Verdict.NOT_CHECKABLE,)),
    ("What holds", (Verdict.HOLDS,)),
)


def _doc_anchor(title: str) -> str:
    return "doc-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def documents_markdown(
    claims: Sequence[Claim],
    evidences: Mapping[str, Evidence],
    *,
    left_out: Sequence[LeftOut] | None = None,
    size: str | None = None,
    ledger_page: str = "ledger.md",
    documents: Sequence[str] | None = None,
) -> str:
    """One section per document: its claims grouped by verdict (with line ranges and quotes) and the
    statements left out of the ledger, with reasons."""
    from theory import lectures
    from theory import ledger as ledger_module

    size = size or experiment_size()
    left = list(ledger_module.left_out() if left_out is None else left_out)
    titles = list(documents) if documents is not None else list(
        dict.fromkeys([s.document for c in claims for s in c.sources] + [e.document for e in left]))
    out = ["# The claims, document by document", "",
           f"For each document: what it gets wrong, what depends on a convention or on conditions, what is "
           f"approximate, what could not be decided, and what was left out. Experiment size **{size}** (it decides "
           f"the empirical verdicts). Every claim links to its entry in the [ledger]({ledger_page}).", ""]
    out += [f"- [{t}](#{_doc_anchor(t)})" for t in titles]
    for title in titles:
        out += ["", f'<a id="{_doc_anchor(title)}"></a>', "", f"## {title}", ""]
        try:
            out += [f"File: `{lectures.file_name(title)}`", ""]
        except KeyError:
            pass
        cited = []
        for c in claims:
            for index, s in enumerate(c.sources):
                if s.document == title:
                    cited.append((c, index))
                    break
        own = [(c, i) for c, i in cited if c.origin == "document"]
        added = [(c, i) for c, i in cited if c.origin != "document"]
        for heading, verdicts in DOCUMENT_SECTIONS + (("Properties the ledger adds (not the document's statements)",
                                                       tuple(Verdict)),):
            pool = added if heading.startswith("Properties the ledger adds") else own
            rows = [(c, i) for c, i in pool if evidences[c.id].verdict in verdicts]
            if not rows:
                continue
            out += [f"### {heading} ({len(rows)})", "", "| claim | lines | quoted | verdict | summary |",
                    "|---|---|---|---|---|"]
            for c, index in sorted(rows, key=lambda r: (getattr(_location(*r), "first_line", 10**9), r[0].id)):
                where = _location(c, index)
                ev = evidences[c.id]
                out.append(f"| [{c.id}]({ledger_page}#{c.id}) | {where.lines if where else '—'} | "
                           f"{_cell(_quote_md(c.sources[index].quote))} | {_cell(_verdict_text(c, ev))} | "
                           f"{_cell(ev.summary)} |")
            out.append("")
        omitted = [e for e in left if e.document == title]
        out += [f"### Left out of the ledger ({len(omitted)})", ""]
        out += left_out_markdown(omitted) if omitted else ["None."]
    return "\n".join(out) + "\n"


def write_claims_report(out: Path | str, *, experiments: str = "small") -> list[Path]:
    """The ledger pages alone (a lecturer's own claims module): ledger.md, documents.md and index.md."""
    from theory import ledger as ledger_module
    from theory import lock

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ[ledger_module.SIZE_VARIABLE] = experiments
    ledger_module._run.cache_clear()
    claims = ledger_module.all_claims()
    evidences = {c.id: c.evaluate() for c in claims}
    (out / "ledger.md").write_text(ledger_markdown(claims, evidences, {}, size=experiments), encoding="utf-8")
    (out / "documents.md").write_text(documents_markdown(claims, evidences, size=experiments), encoding="utf-8")
    counts = Counter(e.verdict.value for e in evidences.values())
    changes = lock.changes(experiments, {c: (e.verdict.value, e.summary) for c, e in evidences.items()})
    index = ["# Claims report", "",
             f"{len(claims)} claims — " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) + ".", "",
             "- [Claim ledger](ledger.md): every claim with its verdict, exact sources and evidence.",
             "- [Document by document](documents.md): what each document gets wrong, depends on, approximates.", "",
             "## Reviewed verdicts", "",
             (f"Compared with the lock `{lock.lock_path().name}`: " +
              ("every verdict matches." if not changes else f"{len(changes)} differ:")), ""]
    index += [f"- {_cell(c.line())}" for c in changes]
    (out / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return [out / "index.md", out / "ledger.md", out / "documents.md"]
