"""Markdown verification reports from a suite run and the claim ledger."""

from __future__ import annotations

import datetime as dt
import os
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


def _absent_column(cell: dict) -> str:
    return f"{cell['target']} · {cell['device']}" if cell.get("device") else cell["target"]


def _absent_family(cell: dict) -> str:
    return cell["module"].rsplit(".", 1)[-1].removeprefix("test_")


#: What the matrix says for a cell that was not generated, by the start of the plugin's reason.
ABSENT_KINDS = (
    ("not implemented", "not implemented"),
    ("not declared", "not declared"),
    ("not installed", "library absent"),
    ("not applicable", "not applicable"),
)


def absent_kind(reason: str) -> str:
    """'device absent', 'not implemented', 'not declared', 'library absent' or 'not applicable'."""
    for prefix, kind in ABSENT_KINDS:
        if reason.startswith(prefix):
            return kind
    return "device absent" if ("not available" in reason or "not present" in reason) else "not generated"


def _worst(outcomes: Counter) -> str:
    for outcome in ("failed", "finding", "passed", "skipped", "not-implemented"):
        if outcomes.get(outcome):
            return outcome
    return "skipped"


def _cell_text(counts: Counter | None, absent: Counter | None) -> str:
    """One matrix cell: the worst outcome with passed/ran, else why no case was generated."""
    if counts:
        worst = _worst(counts)
        ran = counts["passed"] + counts["failed"]
        text = OUTCOME_SYMBOL[worst] + (f" {counts['passed']}/{ran}" if ran else "")
        if absent:
            text += f" (+{sum(absent.values())})"
        return text
    if absent:
        return " / ".join(sorted(absent))
    return "—"


def wrap(text: str, width: int = 96) -> list[str]:
    """Hard-wrapped lines (continuations indented two more), so a code block never scrolls sideways at 1,280 px."""
    import textwrap

    lines = []
    for line in text.splitlines() or [""]:
        indent = line[: len(line) - len(line.lstrip())]
        lines += textwrap.wrap(line.strip(), width, initial_indent=indent, subsequent_indent=indent + "  ",
                               break_long_words=True, break_on_hyphens=False) or [""]
    return lines


#: Columns per matrix table; more are split into further tables below (same rows), so that a table never needs
#: sideways scrolling on a 1,280 px screen (GitHub's page body is about 900 px wide there; five columns headed
#: like "torch-native · cuda" overflowed it by a few pixels in a headless-browser check).
MAX_MATRIX_COLUMNS = 4


def _matrix(rows_of: dict[str, dict[str, str]], row_label: str, columns: list[str]) -> list[str]:
    """Markdown tables of rows × columns, at most MAX_MATRIX_COLUMNS columns each."""
    lines: list[str] = []
    for start in range(0, max(1, len(columns)), MAX_MATRIX_COLUMNS):
        chunk = columns[start:start + MAX_MATRIX_COLUMNS]
        if lines:
            lines.append("")
        lines += [f"| {row_label} | " + " | ".join(chunk) + " |", "|---|" + "---|" * len(chunk)]
        for name in sorted(rows_of):
            lines.append(f"| {name} | " + " | ".join(rows_of[name].get(col, "—") for col in chunk) + " |")
    return lines


def counts_line(run: SuiteRun, results: list[PropertyResult] | None = None, absent: list[dict] | None = None) -> str:
    """Properties and cells counted separately: a property is one test function, a cell one generated case."""
    results = [r for r in run.results if r.target] if results is None else results
    absent = run.absent if absent is None else absent
    properties = {(r.module, r.property) for r in results} | {(c["module"], c["property"]) for c in absent}
    outcomes = Counter(r.outcome for r in results)
    kinds = Counter(absent_kind(c["reason"]) for c in absent)
    text = (f"{len(properties)} properties; {len(results)} cells run (target × operation × device × dtype): "
            f"{outcomes['passed']} passed, {outcomes['failed']} failed, {outcomes['finding']} findings")
    if outcomes["skipped"] or outcomes["not-implemented"]:
        text += f", {outcomes['skipped'] + outcomes['not-implemented']} skipped"
    text += f"; {len(absent)} cells not generated"
    if kinds:
        text += " (" + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) + ")"
    return text + "."


def family_of(result: PropertyResult) -> str:
    return result.family


def _failure_anchor(r: PropertyResult) -> str:
    return "fail-" + anchor(r.nodeid.split("::")[-1])


def family_markdown(run: SuiteRun, family: str, *, index_link: str | None = "index.md",
                    ledger_link: str = "../ledger.md") -> str:
    """One family's page: matrix (operation × target·device), failures, findings, properties, cells not generated."""
    results = [r for r in run.results if r.target and r.family == family]
    absent = [c for c in run.absent if _absent_family(c) == family]
    columns = sorted({column(r) for r in results} | {_absent_column(c) for c in absent})
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    missing: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in results:
        counts[(row(r), column(r))][r.outcome] += 1
    for c in absent:
        missing[(c["operation"] or family, _absent_column(c))][absent_kind(c["reason"])] += 1
    operations = sorted({key[0] for key in counts} | {key[0] for key in missing})
    matrix = {
        op: {col: (f"[{_cell_text(counts.get((op, col)), missing.get((op, col)))}](#{anchor(op)})"
                   if (op, col) in counts else _cell_text(None, missing.get((op, col))))
             for col in columns}
        for op in operations
    }
    lines = [f"# Conformance: {family}", ""]
    if index_link:
        lines += [f"[All families]({index_link}) · [claim ledger]({ledger_link})", ""]
    lines += [counts_line(run, results, absent), "",
              "Each cell: the worst outcome over the properties, dtypes and Hypothesis examples of that operation on "
              "that target and device, with test cases passed / run, and (+n) cells not generated (listed at the end); "
              "a cell with no case says why none was generated.",
              ""]
    lines += _matrix(matrix, "operation", columns) if operations else ["No properties of this family ran."]
    failures = [r for r in results if r.outcome == "failed"]
    lines += ["", "## Failures", ""]
    if not failures:
        lines.append("None.")
    for r in failures:
        where = " · ".join(v for v in (r.target, r.operation, r.device, r.dtype) if v)
        lines += [f'<a id="{_failure_anchor(r)}"></a>', "", f"**`{r.property}`** ({where})", "", "```",
                  *wrap(r.message[:3000]), "```", ""]
    lines += ["", "## Findings", "",
              "Behaviour outside regverify's contract that a target shows without failing a property "
              "(recorded as expected failures; a change in the target turns them into a visible pass).", ""]
    findings = sorted({(r.target, r.message) for r in results if r.outcome == "finding"})
    lines += [f"- **{target}**: {_cell(message)}" for target, message in findings] or ["None."]
    lines += ["", "## Properties by operation", "",
              "Per property: its claims and, per target · device, the cases passed / run; the dtype of a case "
              "that did not pass is named.", ""]
    by_operation: dict[str, list[PropertyResult]] = defaultdict(list)
    for r in results:
        by_operation[row(r)].append(r)
    for op in operations:
        lines += [f'<a id="{anchor(op)}"></a>', "", f"### {op}", ""]
        if op not in by_operation:
            lines += ["No case of this operation was generated (see below).", ""]
            continue
        by_property: dict[str, list[PropertyResult]] = defaultdict(list)
        for r in by_operation[op]:
            by_property[r.property].append(r)
        for prop in sorted(by_property):
            cases = by_property[prop]
            claims = ", ".join(f"[{c}]({ledger_link}#{c})" for c in sorted({c for r in cases for c in r.claims}))
            parts = []
            for col in sorted({column(r) for r in cases}):
                here = [r for r in cases if column(r) == col]
                passed = sum(1 for r in here if r.outcome == "passed")
                text = f"{col} {passed}/{len(here)}"
                odd = [r for r in here if r.outcome != "passed"]
                if odd:
                    text += " (" + ", ".join(
                        f"[{r.dtype or 'case'} {OUTCOME_SYMBOL[r.outcome]}](#{_failure_anchor(r)})"
                        if r.outcome == "failed" else f"{r.dtype or 'case'} {OUTCOME_SYMBOL[r.outcome]}"
                        for r in odd) + ")"
                parts.append(text)
            lines.append(f'- <a id="{anchor(op + "-" + prop)}"></a>`{prop}`' + (f" — claims: {claims}" if claims else "")
                         + f" — passed / run: {'; '.join(parts)}")
        lines.append("")
    if absent:
        lines += ["## Cells not generated", "",
                  "Cells the suite did not generate, as data: the device is absent, the target lacks the operation, "
                  "or the target does not declare a capability the property needs.", ""]
        grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for c in absent:
            grouped[(_absent_column(c), c["reason"])].append(c)
        for (col, reason), cells in sorted(grouped.items()):
            names = sorted({c["property"] for c in cells})
            shown = ", ".join(f"`{n}`" for n in names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            lines.append(f"- **{col}** — {_cell(reason)}: {len(cells)} cells ({absent_kind(reason)}) of {shown}")
        lines.append("")
    return "\n".join(lines) + "\n"


def run_families(run: SuiteRun) -> list[str]:
    return sorted({r.family for r in run.results if r.target} | {_absent_family(c) for c in run.absent})


def conformance_index_markdown(run: SuiteRun, *, ledger_link: str = "../ledger.md") -> str:
    """The conformance overview: family × target·device, each cell linking to the family's page."""
    families = run_families(run)
    results = [r for r in run.results if r.target]
    columns = sorted({column(r) for r in results} | {_absent_column(c) for c in run.absent})
    matrix: dict[str, dict[str, str]] = {}
    for family in families:
        entries = {}
        for col in columns:
            counts = Counter(r.outcome for r in results if r.family == family and column(r) == col)
            missing = Counter(absent_kind(c["reason"]) for c in run.absent
                              if _absent_family(c) == family and _absent_column(c) == col)
            text = _cell_text(counts or None, missing or None)
            entries[col] = f"[{text}]({family}.md)" if counts else text
        matrix[f"[{family}]({family}.md)"] = entries
    lines = ["# Conformance matrix", "", f"[Claim ledger]({ledger_link})", "", counts_line(run), "",
             "One page per regularizer family, with its operations, failures, findings and every property. Each cell "
             "below: the worst outcome in that family on that target and device, with test cases passed / run.", ""]
    lines += _matrix(matrix, "family", columns) if families else ["No conformance property ran."]
    failures = [r for r in results if r.outcome == "failed"]
    lines += ["", "## Failures", ""]
    lines += [f"- [`{r.property}`]({r.family}.md#{_failure_anchor(r)}) ({column(r)}, {r.operation} {r.dtype})"
              for r in failures] or ["None."]
    return "\n".join(lines) + "\n"


def conformance_pages(run: SuiteRun) -> dict[str, str]:
    """{path relative to the report folder: markdown}: conformance/index.md and one page per family."""
    pages = {"conformance/index.md": conformance_index_markdown(run)}
    for family in run_families(run):
        pages[f"conformance/{family}.md"] = family_markdown(run, family)
    return pages


def conformance_markdown(run: SuiteRun, *, title: str = "Conformance matrix", ledger_link: str = "ledger.md") -> str:
    """Every family on one page (what `regverify check` writes for one module)."""
    lines = [f"# {title}", "", counts_line(run), ""]
    for family in run_families(run):
        page = family_markdown(run, family, index_link=None, ledger_link=ledger_link)
        body = page.split("\n", 1)[1]
        body = body.replace("\n## ", "\n### ").replace("\n### Properties", "\n### Properties")
        lines += [f"## {family}", body]
    if not run_families(run):
        lines.append("No conformance property ran.")
    return "\n".join(lines) + "\n"


def tests_by_claim(run: SuiteRun) -> dict[str, list[str]]:
    """claim ID -> markdown links to the properties that rest on it, with their outcomes."""
    grouped: dict[str, dict[tuple[str, str, str], Counter]] = defaultdict(lambda: defaultdict(Counter))
    for r in run.results:
        if not r.target:
            continue
        for claim in r.claims:
            grouped[claim][(r.property, row(r), r.family)][r.outcome] += 1
    return {
        claim: [
            f"[`{prop}` ({op})](conformance/{family}.md#{anchor(op + '-' + prop)}) — "
            + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            for (prop, op, family), counts in sorted(properties.items())
        ]
        for claim, properties in grouped.items()
    }


def use_experiment_size(size: str, figures: Path) -> None:
    """Decide the ledger's empirical claims at `size`, figures under `figures` (re-evaluates the ledger)."""
    import os

    from theory import ledger
    from theory.claims import empirical

    os.environ[empirical.SIZE_VARIABLE] = size
    os.environ[empirical.FIGURES_VARIABLE] = str(figures)
    ledger._run.cache_clear()
    empirical.run_experiment.cache_clear()


def figure_title(kind: str, data: dict) -> str:
    """What a figure shows, in words (never the claim it bears on, whose verdict the page gives)."""
    if kind == "training_curves":
        labels = " vs ".join(data.get("curves", {}))
        return f"Training (dashed) and validation (solid) error per step, mean over seeds: {labels}"
    if kind == "early_stopping_vs_l2":
        return "Validation MSE against weight norm: training path without regularizer vs the L2 path over λ"
    if kind == "weight_histograms":
        return "First-layer weight magnitudes per penalty (exact zeros at the left)"
    if kind == "ensemble":
        return f"MSE of the average of k nets against k: observed vs V/k + (k-1)C/k (V = {data['v']:.3g}, C = {data['c']:.3g})"
    if kind == "bias_variance":
        return "Bias², variance and measured error against degree and ridge λ"
    return kind.replace("_", " ")


def draw_figures(name: str, result, figures: Path) -> list[Path]:
    """The experiment's figures, drawn from the data it returned (result.plots) into `figures`."""
    from regverify import plots

    drawn = [Path(f) for f in getattr(result, "figures", []) or []]
    for kind, data in (getattr(result, "plots", None) or {}).items():
        data = dict(data)
        # Each kind's function has its own default file name (l1_l2_weights.png, ...); curves are named per experiment.
        named = {"filename": data.pop("filename", f"{name}.png")} if kind == "training_curves" or "filename" in data else {}
        title = figure_title(kind, data)
        if kind == "training_curves":
            data.pop("title", None)
            drawn.append(plots.plot_training_curves(figures, data.pop("curves"), title=title, **named, **data))
        elif kind == "ensemble":
            drawn.append(plots.plot_ensemble(figures, data["ks"], data["observed"], data.get("observed_low", data.get("low")),
                                             data.get("observed_high", data.get("high")), data["predicted"], data["v"],
                                             data["c"], title=title, **named))
        else:
            function = getattr(plots, f"plot_{kind}")
            drawn.append(function(figures, **data, title=title, **named))
    return drawn


def experiments_markdown(size: str, out: Path, *, on_experiment=lambda name, index, total: None) -> str:
    """Every designed experiment: its claim, decision, effect with interval, design, details and figures."""
    from theory.claims import empirical
    from theory.experiments import EXPERIMENTS

    lines = ["# Designed experiments", "", "[Report index](index.md) · [claim ledger](ledger.md)", "",
             f"Size **{size}**. Each experiment trains a baseline and a regularized model on the same data and the "
             "same initialization per seed (paired) and decides with an exact sign test; the ledger's empirical "
             "claims take their verdict from these decisions.", "",
             "| experiment | decision | effect | interval | α | seeds | seconds |", "|---|---|---|---|---|---|---|"]
    results = {}
    for index, name in enumerate(EXPERIMENTS):
        on_experiment(name, index, len(EXPERIMENTS))
        results[name] = empirical.run_experiment(name, size)
    on_experiment("", len(EXPERIMENTS), len(EXPERIMENTS))
    for name, r in results.items():
        low, high = r.ci
        lines.append(f"| [{name}](#{anchor(name)}) | {_cell(r.decision)} | {r.effect:.4g} | "
                     f"[{low:.4g}, {high:.4g}] | {r.alpha:g} | {r.n_seeds} | {r.seconds:.1f} |")
    for name, r in results.items():
        lines += ["", f'<a id="{anchor(name)}"></a>', "", f"## {name}", "", f"**Claim:** {r.claim}", "",
                  f"**Decision:** {r.decision}", "", r.details, ""]
        for figure in draw_figures(name, r, out / "figures"):
            lines.append(f"![{Path(figure).stem}]({Path(figure).resolve().relative_to(out.resolve()).as_posix()})")
    return "\n".join(lines) + "\n"


def lecture_code_results(scratch: Path) -> dict[str, list[PropertyResult]]:
    """The conformance suite on the code each lecture document itself contains, by document file name.

    A document whose python blocks load as a target (the layer-class convention: the week-6 document's own
    NumPy layers) is checked as `regverify check DOCUMENT` would, in a subprocess of its own; documents with
    no runnable layers are left out.
    """
    import subprocess
    import sys
    import tempfile

    from impls.protocol import OPERATIONS, TargetLoadError, load_target
    from regverify.runner import family_files, read_reportlog
    from theory import lectures

    directory = lectures.lectures_dir()
    found: dict[str, list[PropertyResult]] = {}
    for document in sorted(directory.glob("*.txt")) if directory else []:
        try:
            target = load_target(str(document))
        except TargetLoadError:
            continue
        families = sorted({op.family for name, op in OPERATIONS.items() if target.implements(name)})
        if not families:
            continue
        log = scratch / f"lecture-{document.stem}.jsonl"
        command = [sys.executable, "-m", "pytest", *map(str, family_files([*families, "every_operation"])),
                   "--impl", str(document), "--conformance-only", "--device", "cpu", "-q", "-p", "no:cacheprovider",
                   "--hypothesis-profile", "regverify-check", f"--report-log={log}"]
        with tempfile.TemporaryDirectory(prefix="regverify-lecture-") as elsewhere:
            # Run outside the report folder: Hypothesis keeps a .hypothesis/ cache in the working directory.
            subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=elsewhere,
                           env={**os.environ, "OMP_NUM_THREADS": "1"})
        if log.exists():
            found[document.name] = read_reportlog(log)
    return found


def _lecture_lines(lecture: dict[str, list[PropertyResult]]) -> dict[str, list[str]]:
    """claim ID -> one line per lecture document whose own code a property resting on the claim judged."""
    lines: dict[str, list[str]] = defaultdict(list)
    for document, results in lecture.items():
        by_claim: dict[str, Counter] = defaultdict(Counter)
        failures: dict[str, list[str]] = defaultdict(list)
        for r in results:
            for claim in r.claims:
                by_claim[claim][r.outcome] += 1
                if r.outcome == "failed":
                    failures[claim].append(f"`{r.property}` ({r.operation}): {_cell(r.message.splitlines()[0][:160])}"
                                           if r.message else f"`{r.property}` ({r.operation})")
        for claim, counts in by_claim.items():
            shown = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
            detail = f" — first failure: {failures[claim][0]}" if failures[claim] else ""
            lines[claim].append(f"the lecture's own code in `{document}` (`regverify check {document}`): "
                                f"{shown}{detail}")
    return lines


def ledger_markdown(run: SuiteRun, lecture: dict[str, list[PropertyResult]] | None = None) -> tuple[str, Counter]:
    import theory
    from theory import render

    claims = theory.all_claims()
    evidences = theory.evaluate_all()
    verdicts = Counter(evidences[c.id].verdict.value for c in claims)
    backing = tests_by_claim(run)
    for claim, lines in _lecture_lines(lecture or {}).items():
        backing[claim] = [*backing.get(claim, []), *lines]
    return render.ledger_markdown(claims, evidences, backing), verdicts


def documents_markdown() -> str:
    """The per-document view of the ledger (theory.render), at the experiment size in use."""
    import theory
    from theory import render

    claims = theory.all_claims()
    return render.documents_markdown(claims, theory.evaluate_all())


def _outcome_table(run: SuiteRun) -> list[str]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in run.results:
        counts[column(r) if r.target else "(ledger and toolkit self-tests)"][r.outcome] += 1
    for c in run.absent:
        counts[_absent_column(c)]["not generated"] += 1
    lines = ["| target · device | passed | failed | findings | not generated |", "|---|---|---|---|---|"]
    for key in sorted(counts):
        c = counts[key]
        lines.append(f"| {key} | {c['passed']} | {c['failed']} | {c['finding']} | {c['not generated']} |")
    return lines


def report_targets(named: list[str] | None, *, libraries: bool = True) -> list[str]:
    """What a report checks: the targets named; else the built-in ones and every library target installed here."""
    from impls.protocol.target import DEFAULT_TARGETS, installed_library_targets

    if named:
        return list(named)
    return [*DEFAULT_TARGETS, *(installed_library_targets() if libraries else [])]


def _library_table(run: SuiteRun) -> list[str]:
    """One row per library target: version, cells by outcome, and the serial time its cells took in this run."""
    import importlib.metadata

    from impls.protocol.target import LIBRARY_TARGETS, library_targets

    lines = ["| library | version | passed | failed | findings | time its cells took |", "|---|---|---|---|---|---|"]
    for name, absent in library_targets().items():
        cells = [r for r in run.results if r.target == name]
        if absent is not None or not cells:
            lines.append(f"| {name} | — | not run: {_cell(absent or 'not asked for (--no-libraries or --impl)')} "
                         "| | | |")
            continue
        try:
            version = importlib.metadata.version(LIBRARY_TARGETS[name][0])
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        outcomes = Counter(r.outcome for r in cells)
        lines.append(f"| {name} | {version} | {outcomes['passed']} | {outcomes['failed']} | {outcomes['finding']} "
                     f"| {sum(r.duration for r in cells):.1f} s |")
    return lines


def _default_profile() -> str:
    import os

    return "regverify-ci" if os.environ.get("CI", "").lower() == "true" else "regverify-dev"


#: Libraries with adapters that a report can only check where they are installed.
OPTIONAL_LIBRARIES = ("keras", "kornia", "torchvision", "timm")


def not_checked(run: SuiteRun, *, experiments: str) -> list[str]:
    """What this run could not check, one markdown bullet each: absent lecture documents, libraries, devices."""
    import importlib.util

    from theory import lectures

    lines = []
    folder = lectures.lectures_dir()
    missing = [title for title, name in lectures.DOCUMENTS.items() if folder is None or not (folder / name).is_file()]
    if missing:
        import theory

        cited = sum(1 for claim in theory.all_claims() if any(s.document in missing for s in claim.sources))
        where = str(folder) if folder else "$REGVERIFY_LECTURES, or shared/lectures beside the checkout"
        lines.append(f"- **Lecture documents absent** ({len(missing)} of {len(lectures.DOCUMENTS)}; looked in {where}): "
                     f"the cited sections and quotes of {cited} claims were **not verified** against their documents.")
    libraries = sorted({c["reason"].split(":", 1)[1].strip() for c in run.absent if c["reason"].startswith("not installed")}
                       | {name for name in OPTIONAL_LIBRARIES if importlib.util.find_spec(name) is None})
    if libraries:
        lines.append(f"- **Libraries absent**: {', '.join(libraries)}: their adapters were not checked "
                     f"(install them to check them).")
    devices = Counter(c["reason"] for c in run.absent if absent_kind(c["reason"]) == "device absent")
    if devices:
        lines.append("- **Devices absent**: " + "; ".join(f"{reason} ({n} cells not generated)"
                                                       for reason, n in sorted(devices.items())) + ".")
    if experiments != "full":
        lines.append(f"- **Experiments at size {experiments}**: a smoke test; the empirical claims' verdicts are not "
                     "decisive (`--experiments full`).")
    return lines


def _random_decisions() -> list[str]:
    """Every family of random decisions this run made, each with its α and a union bound on a false one."""
    from regstats import budget

    checks = budget.checks_made()
    rows = [f"| conformance suite: random checks | {checks} | {budget.alpha():.1e} | "
            f"{checks * budget.alpha():.1e} (suite budget {budget.SUITE_BUDGET:.0e}) |"]
    rows += [f"| {family['name']}: {family['why']} | {family['decisions']} | ≤ {family['alpha']:.0e} | "
             f"{family['bound']:.1e} (stated separately) |" for family in budget.separate_budgets()]
    return ["## Random decisions", "",
            "A false decision (a correct target failed, a true claim refuted) has at most the probability on the "
            "right, by a union bound over the family's decisions.", "",
            "| family | decisions | α each | P(any false decision) ≤ |", "|---|---|---|---|", *rows, ""]


def _phase_table(timings: dict[str, float]) -> list[str]:
    if not timings:
        return []
    return ["| phase | seconds |", "|---|---|", *[f"| {name} | {seconds:.1f} |" for name, seconds in timings.items()]]


def write_reports(
    out: Path, run: SuiteRun, *, profile: str | None, impls: list[str], experiments: str = "full",
    timings: dict[str, float] | None = None, command: str = "regverify report",
    command_started: float | None = None, on_experiment=lambda name, index, total: None,
    only: list[str] | None = None,
) -> list[Path]:
    """Write every page into `out` (a staging folder: the caller commits it atomically) and return them.

    `timings` holds the phases measured so far ({"conformance suite": s, ...}); the experiments, the ledger and
    the writing are timed here and added; the index states the whole command's time, from `command_started`
    (a time.perf_counter() value; default: the sum of the phases).
    """
    import json
    import time

    timings = dict(timings or {})
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    use_experiment_size(experiments, out / "figures")
    experiments_text = experiments_markdown(experiments, out, on_experiment=on_experiment)
    timings["designed experiments"] = time.perf_counter() - started
    started = time.perf_counter()
    lecture = lecture_code_results(out)
    timings["lecture documents' own code"] = time.perf_counter() - started
    started = time.perf_counter()
    ledger_text, verdicts = ledger_markdown(run, lecture)
    for document in lecture:  # the raw results stay beside results.jsonl, not as pages
        (out / f"lecture-{Path(document).stem}.jsonl").unlink(missing_ok=True)
    timings["claim ledger"] = time.perf_counter() - started
    started = time.perf_counter()
    pages = {"experiments.md": experiments_text, "ledger.md": ledger_text, "documents.md": documents_markdown(),
             **conformance_pages(run)}
    for relative, text in pages.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text)
    (out / "cells.json").write_text(json.dumps(run.absent, indent=1))
    if run.log_path is not None and run.log_path.exists() and run.log_path.parent.resolve() != out.resolve():
        (out / "results.jsonl").write_bytes(run.log_path.read_bytes())
    timings["writing pages"] = time.perf_counter() - started
    total = time.perf_counter() - command_started if command_started is not None else sum(timings.values())
    env = environment()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    families = run_families(run)
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) + ["index.md"]
    gaps = not_checked(run, experiments=experiments)
    if only:  # --only: the families the run left out
        from regverify.runner import families as all_families

        skipped = [f for f in all_families() if f not in only]
        gaps.append(f"- **Families not run** (`--only {','.join(only)}`): {', '.join(skipped)}.")
    lines = [
        "# regverify verification report",
        "",
        f"Generated {when} by `{command}` in **{total:.1f} s** (the whole command; phases below).",
        "",
        "- [Claim ledger](ledger.md): every falsifiable claim of the five lecture documents, with its verdict "
        "and the evidence computed for it.",
        "- [Document by document](documents.md): what each lecture document gets wrong, what depends on a "
        "convention or on conditions, what is approximate, and the statements left out with reasons.",
        "- [Conformance matrix](conformance/index.md): every regularizer family × target × device, one page per "
        "family: " + ", ".join(f"[{f}](conformance/{f}.md)" for f in families) + ".",
        f"- [Designed experiments](experiments.md): the empirical claims, decided over paired seeds (size {experiments}), "
        "with figures.",
        "- `results.jsonl`: the raw pytest-reportlog results these pages were written from; `cells.json`: the cells "
        "the suite did not generate, with the reason.",
        "",
        "## What this run could not check",
        "",
        *(gaps or ["Nothing: the lecture documents, the optional libraries and every device asked for were present."]),
        "",
        "## Headline",
        "",
        f"- Claims: {sum(verdicts.values())} — " + ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())),
        f"- Conformance: {counts_line(run)} Findings are documented deviations "
        "(listed on each family's page).",
        "",
        *_outcome_table(run),
        "",
        "### Libraries",
        "",
        "Each installed library is a target of its own (its adapters in impls/); its findings are on the family "
        "pages. The time is the sum of its cells' durations: what it adds to this command, run serially.",
        "",
        *_library_table(run),
        "",
        *_random_decisions(),
        "## Time",
        "",
        *_phase_table({**timings, "whole command": total}),
        "",
        "## Environment",
        "",
        "| what | value |",
        "|---|---|",
        *[f"| {k} | {_cell(v)} |" for k, v in env.items()],
        f"| targets | {', '.join(impls or report_targets(None))} |",
        f"| Hypothesis profile | {profile or _default_profile()} (regverify-ci is derandomized: the same examples every run) |",
        "",
        "## Files this run wrote",
        "",
        *[f"- [{name}]({name})" if name.endswith((".md", ".png")) else f"- `{name}`" for name in written],
        "",
        "Reproduce: `pip install -e . && regverify report` in a checkout of the same commit.",
        "",
    ]
    (out / "index.md").write_text("\n".join(lines))
    return [out / name for name in written]


#: Files `regverify report` writes: on commit, earlier ones it did not write again are removed.
REPORT_FILES = ("index.md", "ledger.md", "documents.md", "experiments.md", "conformance.md", "conformance/*.md", "figures/*.png",
                "results.jsonl", "cells.json")


def write_check_report(out: Path, run: SuiteRun, module: str) -> list[Path]:
    """The check report for one module, replaced atomically (an earlier report stays whole if this fails)."""
    from regverify.atomic import atomic_write_text

    path = out / f"check-{anchor(module)}.md"
    text = conformance_markdown(run, title=f"regverify check {module}")
    atomic_write_text(path, text, what="check report")
    return [path]


def print_summary(console: Console, run: SuiteRun, written: list[Path]) -> None:
    table = Table(title="regverify report")
    for name in ("target · device", "passed", "failed", "findings", "not generated"):
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
    pages = [p for p in written if p.suffix == ".md"]
    console.print(f"{len(written)} files written ({len(pages)} pages), index: {written[0].parent / 'index.md'}"
                  if written else "no files written", markup=False, highlight=False)


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
