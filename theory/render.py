"""Render ledger entries for the terminal and as GitHub-flavoured markdown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from theory.ledger import Claim, Evidence, Verdict


def _source_text(claim: Claim) -> str:
    first = claim.sources[0]
    more = f" (+{len(claim.sources) - 1} more)" if len(claim.sources) > 1 else ""
    return f"{first.document} § {first.section}{more}"


def claim_line(claim: Claim, evidence: Evidence) -> str:
    """One terminal line: ID, verdict, first source."""
    return f"{claim.id:<45} {evidence.verdict.value:<23} {_source_text(claim)}"


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
        f"  formal:     {claim.formal}",
        f"  convention: {claim.convention}",
        "  sources:",
        *[f"    - {s.document} § {s.section}" for s in claim.sources],
        f"  summary:    {evidence.summary}",
        "  details:",
        *[f"    {line}" for line in evidence.details.splitlines()],
    ]
    if evidence.numbers:
        lines.append(f"  numbers:    {_numbers_text(evidence.numbers)}")
    if claim.related:
        lines.append(f"  related:    {', '.join(claim.related)}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def ledger_markdown(
    claims: Sequence[Claim],
    evidences: Mapping[str, Evidence],
    tests_by_claim: Mapping[str, Sequence[str]],
) -> str:
    """The whole ledger as GitHub-flavoured markdown with a stable anchor per claim."""
    counts = Counter(evidences[c.id].verdict for c in claims)
    out = [
        "# Claim ledger",
        "",
        f"{len(claims)} claims from the five lecture documents.",
        "",
        "| verdict | claims |",
        "|---|---:|",
    ]
    out += [f"| {v.value} | {counts.get(v, 0)} |" for v in Verdict]
    out += ["", '## Claims whose verdict is not "holds"', "", "| claim | verdict | summary |", "|---|---|---|"]
    for c in claims:
        ev = evidences[c.id]
        if ev.verdict is not Verdict.HOLDS:
            out.append(f"| [{c.id}](#{c.id}) | {ev.verdict.value} | {_cell(ev.summary)} |")
    topic = None
    for c in claims:
        ev = evidences[c.id]
        if c.topic != topic:
            topic = c.topic
            out += ["", f"## {topic.replace('_', ' ').title() if topic else 'Other'}"]
        out += [
            "",
            f'<a id="{c.id}"></a>',
            "",
            f"### {c.id}",
            "",
            f"**Verdict:** `{ev.verdict.value}` ({ev.method}) — {ev.summary}",
            "",
            "**Sources:**",
            "",
        ]
        out += [f"- *{s.document}*, § {s.section}" for s in c.sources]
        out += [
            "",
            f"**Statement:** {c.statement}",
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
        if ev.numbers:
            out += ["| quantity | value |", "|---|---|"]
            out += [
                f"| {_cell(k)} | {_cell(f'{v:.6g}' if isinstance(v, float) else str(v))} |"
                for k, v in ev.numbers.items()
            ]
            out.append("")
        if c.related:
            out += ["**Related:** " + ", ".join(f"[{r}](#{r})" for r in c.related), ""]
        tests = list(tests_by_claim.get(c.id, []))
        out.append("**Backed by tests:**" + ("" if tests else " none yet"))
        if tests:
            out += [""] + [f"- `{t}`" for t in tests]
    return "\n".join(out) + "\n"
