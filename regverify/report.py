"""Markdown verification reports from a suite run and the claim ledger."""

from __future__ import annotations

import datetime as dt
import platform
import re
from collections import Counter, defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from regverify.runner import PropertyResult, SuiteRun

OUTCOME_SYMBOL = {
    "passed": "pass",
    "failed": "**FAIL**",
    "finding": "finding",
    "skipped": "skipped",
    "not-implemented": "not implemented",
}


def anchor(text: str) -> str:
    """A stable anchor id: lower-case, dots and spaces to dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def environment() -> dict[str, str]:
    import hypothesis
    import numpy
    import scipy
    import sympy
    import torch

    from regverify import __version__

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += [f"cuda:{i} ({torch.cuda.get_device_name(i)})" for i in range(torch.cuda.device_count())]
    return {
        "regverify": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "hypothesis": hypothesis.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "devices": ", ".join(devices),
        "cuda": "available" if torch.cuda.is_available() else "not available (CUDA cases skipped)",
    }


def column(result: PropertyResult) -> str:
    return f"{result.target} · {result.device}" if result.device else result.target


def row(result: PropertyResult) -> str:
    return result.operation or result.family


def _worst(outcomes: Counter) -> str:
    for outcome in ("failed", "finding", "passed", "skipped", "not-implemented"):
        if outcomes.get(outcome):
            return outcome
    return "skipped"


def conformance_markdown(run: SuiteRun) -> str:
    """Matrix (operation × target·device) then every property's outcome, failures first."""
    conformance = [r for r in run.results if r.target]
    columns = sorted({column(r) for r in conformance})
    cells: dict[tuple[str, str], Counter] = defaultdict(Counter)
    reasons: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in conformance:
        cells[(row(r), column(r))][r.outcome] += 1
        if r.outcome in ("skipped", "not-implemented"):
            reasons[(row(r), column(r))].add(r.message)
    lines = ["# Conformance matrix", ""]
    lines += [
        "Each cell: the worst outcome over every property, dtype and Hypothesis example of that operation on that "
        "target and device, with the count of test cases passed / run. Details per property follow.",
        "",
    ]
    lines.append("| operation | " + " | ".join(columns) + " |")
    lines.append("|---|" + "---|" * len(columns))
    for op in sorted({row(r) for r in conformance}):
        entries = []
        for col in columns:
            counts = cells.get((op, col))
            if not counts:
                entries.append("—")
                continue
            worst = _worst(counts)
            ran = counts["passed"] + counts["failed"]
            text = OUTCOME_SYMBOL[worst] + (f" {counts['passed']}/{ran}" if ran else "")
            if worst in ("skipped", "not-implemented"):
                text += f" ({_cell('; '.join(sorted(reasons[(op, col)]))[:80])})"
            entries.append(f"[{text}](#{anchor(op)})")
        lines.append(f"| {op} | " + " | ".join(entries) + " |")
    lines += ["", "## Failures", ""]
    failures = [r for r in conformance if r.outcome == "failed"]
    if not failures:
        lines.append("None.")
    for r in failures:
        lines += [f"- `{r.nodeid}`", "", "  ```", "  " + r.message.replace("\n", "\n  ")[:3000], "  ```", ""]
    lines += ["", "## Findings", "",
              "Behaviour outside regverify's contract that a target shows without failing a property "
              "(recorded as expected failures; a change in the target turns them into a visible pass).", ""]
    findings = sorted({(r.target, r.message) for r in conformance if r.outcome == "finding"})
    lines += [f"- **{target}**: {_cell(message)}" for target, message in findings] or ["None."]
    by_operation: dict[str, list[PropertyResult]] = defaultdict(list)
    for r in conformance:
        by_operation[row(r)].append(r)
    lines += ["", "## Properties by operation", ""]
    for op in sorted(by_operation):
        lines += [f'<a id="{anchor(op)}"></a>', "", f"### {op}", ""]
        lines += ["| property | target | device | dtype | outcome | claims | note |", "|---|---|---|---|---|---|---|"]
        for r in sorted(by_operation[op], key=lambda r: (r.property, r.target, r.device, r.dtype)):
            claims = ", ".join(f"[{c}](ledger.md#{c})" for c in r.claims)
            note = "" if r.outcome == "passed" else _cell(r.message.splitlines()[0] if r.message else "")[:160]
            lines.append(
                f'| <a id="{anchor(r.nodeid)}"></a>`{r.property}` | {r.target} | {r.device or "—"} | '
                f"{r.dtype or '—'} | {OUTCOME_SYMBOL[r.outcome]} | {claims} | {note} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def tests_by_claim(run: SuiteRun) -> dict[str, list[str]]:
    """claim ID -> markdown links to the properties that rest on it, with their outcomes."""
    grouped: dict[str, dict[tuple[str, str], Counter]] = defaultdict(lambda: defaultdict(Counter))
    for r in run.results:
        for claim in r.claims:
            grouped[claim][(r.property, row(r))][r.outcome] += 1
    return {
        claim: [
            f"[`{prop}` ({op})](conformance.md#{anchor(op)}) — "
            + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            for (prop, op), counts in sorted(properties.items())
        ]
        for claim, properties in grouped.items()
    }


def use_experiment_size(size: str, figures: Path) -> None:
    """Decide the ledger's empirical claims at `size`, writing figures to `figures` (re-evaluates the ledger)."""
    import os

    from theory import ledger
    from theory.claims import empirical

    os.environ[empirical.SIZE_VARIABLE] = size
    os.environ[empirical.FIGURES_VARIABLE] = str(figures)
    ledger._run.cache_clear()


def experiments_markdown(size: str, out: Path) -> str:
    """Every designed experiment: its claim, decision, effect with interval, design, details and figures."""
    from theory.claims import empirical
    from theory.experiments import EXPERIMENTS

    lines = ["# Designed experiments", "",
             f"Size **{size}**. Each experiment trains a baseline and a regularized model on the same data and the "
             "same initialization per seed (paired) and decides with an exact sign test; the ledger's empirical "
             "claims take their verdict from these decisions.", "",
             "| experiment | claim | decision | effect | interval | α | seeds | seconds |", "|---|---|---|---|---|---|---|---|"]
    results = {name: empirical.run_experiment(name, size) for name in EXPERIMENTS}
    for name, r in results.items():
        low, high = r.ci
        lines.append(f"| [{name}](#{anchor(name)}) | {_cell(r.claim)} | {_cell(r.decision)} | {r.effect:.4g} | "
                     f"[{low:.4g}, {high:.4g}] | {r.alpha:g} | {r.n_seeds} | {r.seconds:.1f} |")
    for name, r in results.items():
        lines += ["", f'<a id="{anchor(name)}"></a>', "", f"## {name}", "", f"**Claim:** {r.claim}", "",
                  f"**Decision:** {r.decision}", "", r.details, ""]
        for figure in r.figures:
            lines.append(f"![{Path(figure).stem}]({Path(figure).resolve().relative_to(out.resolve())})")
    return "\n".join(lines) + "\n"


def ledger_markdown(run: SuiteRun) -> tuple[str, Counter]:
    import theory
    from theory import render

    claims = theory.all_claims()
    evidences = theory.evaluate_all()
    verdicts = Counter(evidences[c.id].verdict.value for c in claims)
    return render.ledger_markdown(claims, evidences, tests_by_claim(run)), verdicts


def _outcome_table(run: SuiteRun) -> list[str]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in run.results:
        counts[column(r) if r.target else "(ledger and toolkit self-tests)"][r.outcome] += 1
    lines = ["| target · device | passed | failed | findings | skipped | not implemented |", "|---|---|---|---|---|---|"]
    for key in sorted(counts):
        c = counts[key]
        lines.append(
            f"| {key} | {c['passed']} | {c['failed']} | {c['finding']} | {c['skipped']} | {c['not-implemented']} |"
        )
    return lines


def _default_profile() -> str:
    import os

    return "ci" if os.environ.get("CI", "").lower() == "true" else "dev"


def write_reports(
    out: Path, run: SuiteRun, *, profile: str | None, impls: list[str], experiments: str = "full"
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    use_experiment_size(experiments, out / "figures")
    ledger_text, verdicts = ledger_markdown(run)
    (out / "experiments.md").write_text(experiments_markdown(experiments, out))
    (out / "ledger.md").write_text(ledger_text)
    (out / "conformance.md").write_text(conformance_markdown(run))
    env = environment()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# regverify verification report",
        "",
        f"Generated {when} by `regverify report` in {run.wall_seconds:.1f} s.",
        "",
        "- [Claim ledger](ledger.md): every falsifiable claim of the five lecture documents, with its verdict "
        "and the evidence computed for it.",
        "- [Conformance matrix](conformance.md): every regularizer × target × device, property by property.",
        f"- [Designed experiments](experiments.md): the empirical claims, decided over paired seeds (size {experiments}), "
        "with figures.",
        "- `results.jsonl`: the raw pytest-reportlog results these pages were written from.",
        "",
        "## Headline",
        "",
        f"- Claims: {sum(verdicts.values())} — " + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())),
        f"- Test cases: {run.count('passed')} passed, {run.count('failed')} failed, {run.count('finding')} findings "
        f"(documented deviations, see [conformance](conformance.md#findings)), {run.count('skipped')} skipped, "
        f"{run.count('not-implemented')} not implemented (pytest exit code {run.exit_code})",
        "",
        *_outcome_table(run),
        "",
        "## Environment",
        "",
        "| what | value |",
        "|---|---|",
        *[f"| {k} | {_cell(v)} |" for k, v in env.items()],
        f"| targets | {', '.join(impls) if impls else 'numpy, torch, torch-native (built-in)'} |",
        f"| Hypothesis profile | {profile or _default_profile()} (ci is derandomized: the same examples every run) |",
        "",
        "Reproduce: `pip install -e . && regverify report` in a checkout of the same commit.",
        "",
    ]
    (out / "index.md").write_text("\n".join(lines))
    return [out / "index.md", out / "ledger.md", out / "conformance.md", out / "experiments.md"]


def write_check_report(out: Path, run: SuiteRun, module: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"check-{anchor(module)}.md"
    text = conformance_markdown(run).replace("# Conformance matrix", f"# regverify check {module}", 1)
    path.write_text(text)
    return [path]


def print_summary(console: Console, run: SuiteRun, written: list[Path]) -> None:
    table = Table(title="regverify report")
    for name in ("target · device", "passed", "failed", "findings", "skipped", "not implemented"):
        table.add_column(name)
    for line in _outcome_table(run)[2:]:
        table.add_row(*[cell.strip() for cell in line.strip("|").split("|")])
    console.print(table)
    try:
        import theory

        verdicts = Counter(e.verdict.value for e in theory.evaluate_all().values())
        console.print("claims: " + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())))
    except Exception as error:  # noqa: BLE001 - the summary must not hide the reports already written
        console.print(f"claims: could not evaluate the ledger: {error}")
    console.print(f"reports written: {', '.join(str(p) for p in written)} ({run.wall_seconds:.1f} s)")


def print_check_summary(console: Console, run: SuiteRun, module: str, written: list[Path]) -> None:
    failed = [r for r in run.results if r.outcome == "failed"]
    console.print(
        f"{module}: {run.count('passed')} passed, {len(failed)} failed, {run.count('finding')} findings "
        f"(documented deviations, listed in the report), {run.count('skipped')} skipped, "
        f"{run.count('not-implemented')} not implemented"
    )
    for r in failed:
        first = r.message.splitlines()[0] if r.message else ""
        message, _, replay = first.partition(" Replay: ")
        where = " ".join(v for v in (r.operation, r.device, r.dtype) if v)
        console.print(f"FAILED {r.property} [{where}]: {message[:400]}", markup=False, highlight=False, soft_wrap=True)
        if replay:
            console.print(f"  replay: {replay}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"report: {', '.join(str(p) for p in written)}")
