"""`regverify check PATH`: run the conformance suite against one user's file or module, verdict per tier.

A student's ``layers.py`` is checked as written: its convention (cs231n, layer-class, d2l) is detected
from its signatures and translated by an adapter (impls/conventions/), the properties it can run are
run, and the terminal shows one verdict per tier:

- ``theory``: what the lectures state (expectation, variance, eval rule, survivors' scale, gradients,
  running statistics). A failure here is a bug in the homework: exit status 1.
- ``edge``: boundary parameters and values (p = 0 and p = 1, tiny batches, extreme values).
- ``contract``: invalid input and how the error reads; the protocol's own defaults.

Edge and contract failures are shown but count only with ``--strict``. Every failure Hypothesis found
is shown (not only the first of an ExceptionGroup), with the failing parameters, the context the
adapter knows, the catalogued defect the pattern matches (its name and cause), and a replay line
runnable from the directory the command was run in.

The run is reproducible by default: the derandomized profile regverify-ci, a printed seed (``--seed``
moves every cell to other examples), no ``.hypothesis/`` and no ``__pycache__/`` written beside the
user's code. A call of the user's code that does not return in ``--call-timeout`` seconds is reported as
"did not finish in N s" for that property and parameters, and the run goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from regverify import runner

TIERS = ("theory", "edge", "contract")
TIER_MEANING = {
    "theory": "what the lectures state",
    "edge": "boundary parameters and values",
    "contract": "invalid input, error messages, protocol defaults",
}
DEFAULT_PROFILE = "regverify-check"  # regverify-ci's examples, derandomized, no shrinking (the plugin's PROFILES)
DEFAULT_CALL_TIMEOUT = 10.0
DEFAULT_CASE_TIMEOUT = 120.0

HELP = """Check one file or module, as written, against every property it can run; print a verdict per tier.
Exits 1 when a theory property fails (--strict: when any property fails), 2 when nothing could be checked.

The convention is detected from the code's signatures: cs231n (dropout_forward(x, dropout_param),
batchnorm_forward(x, gamma, beta, bn_param), layernorm_forward, spatial_batchnorm_forward and the
backwards), layer-class (Dropout / BatchNorm / LayerNorm classes with forward, backward and a training
flag, as in the week-6 lecture), d2l (dropout_layer(X, dropout) in torch), or regverify's own protocol
(a module with BACKEND = "numpy" | "torch").

example:
  regverify check cs231n/layers.py
  regverify check cs231n/layers.py --drop-prob            # dropout_param['p'] is the drop probability
  regverify check hw.layers --only dropout --seed 3
  regverify check ../shared/lectures/002_09cb2ca5ebd8715f.txt   # a document's own python blocks
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The check subcommand's own options (cli.py adds --out, --device, --profile, -n)."""
    parser.add_argument("module", metavar="PATH_OR_MODULE",
                        help="a .py file, a markdown document with python blocks, a dotted module importable from "
                        "the current directory, or a built-in target name")
    parser.add_argument("--convention", default=None, choices=["cs231n", "layer-class", "d2l"],
                        help="force a convention instead of detecting it from the signatures")
    meaning = parser.add_mutually_exclusive_group()
    meaning.add_argument("--keep-prob", dest="p_meaning", action="store_const", const="keep",
                         help="read the dropout p as the keep probability (default: decided from the code's behaviour)")
    meaning.add_argument("--drop-prob", dest="p_meaning", action="store_const", const="drop",
                         help="read the dropout p as the drop probability")
    parser.add_argument("--only", default=None, metavar="FAMILY",
                        help="one family (dropout, normalization, ...) or a pytest -k expression")
    parser.add_argument("-k", dest="select", default=None, metavar="EXPR", help="pytest -k expression within it")
    parser.add_argument("--strict", action="store_true", help="every tier counts: exit 1 on any failure")
    parser.add_argument("--seed", type=int, default=0,
                        help="moves every property to other (still reproducible) examples (default 0)")
    parser.add_argument("--call-timeout", type=float, default=DEFAULT_CALL_TIMEOUT, metavar="SECONDS",
                        help=f"one call of the checked code longer than this is reported as not finishing "
                        f"(default {DEFAULT_CALL_TIMEOUT:g} s)")


# ---------------------------------------------------------------- results, by tier


@dataclass
class Failure:
    """One failed case, with every exception Hypothesis found in it."""

    result: runner.PropertyResult
    exceptions: list[dict] = field(default_factory=list)  # {type, message, notes}

    @property
    def messages(self) -> list[str]:
        return [e["message"] for e in self.exceptions] or [self.result.message]


@dataclass
class Verdict:
    results: list[runner.PropertyResult]
    failures: dict[str, list[Failure]]  # tier -> failures
    counts: dict[str, Counter]  # tier -> outcome counts
    known: list = field(default_factory=list)  # catalogued defects matching the counted failures
    strict: bool = False

    def counted_failures(self) -> list[Failure]:
        tiers = TIERS if self.strict else ("theory",)
        return [f for t in tiers for f in self.failures.get(t, [])]

    @property
    def exit_code(self) -> int:
        return 1 if self.counted_failures() else 0


def _failure_records(log_path: Path) -> dict[str, list[dict]]:
    """nodeid -> the exceptions the plugin recorded for its failed call (see plugin.exception_records)."""
    records: dict[str, list[dict]] = {}
    if not log_path.exists():
        return records
    with log_path.open() as log:
        for line in log:
            record = json.loads(line)
            if record.get("$report_type") != "TestReport" or record.get("when") != "call":
                continue
            for item in record.get("user_properties") or []:
                if isinstance(item, (list, tuple)) and len(item) == 2 and item[0] == "failures":
                    records[record["nodeid"]] = json.loads(item[1])
    return records


_NOT_IMPLEMENTED = re.compile(r"\bStubCalled\b|: not implemented\b")


def judge(run: runner.SuiteRun, records: dict[str, list[dict]], *, strict: bool = False) -> Verdict:
    from regverify.conformance import defects

    conformance = [r for r in run.results if r.target]
    failures: dict[str, list[Failure]] = defaultdict(list)
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in conformance:
        tier = r.tier or "theory"
        exceptions = records.get(r.nodeid, [])
        if r.outcome == "failed" and (exceptions and all(e["type"] == "StubCalled" for e in exceptions)
                                      or not exceptions and _NOT_IMPLEMENTED.search(r.message)):
            r.outcome = "not-implemented"  # a stub met mid-property: not implemented, never a failure
        counts[tier][r.outcome] += 1
        if r.outcome == "failed":
            failures[tier].append(Failure(r, exceptions))
    verdict = Verdict(conformance, dict(failures), dict(counts), strict=strict)
    shown = [(f.result.property, f.result.operation, message)
             for f in verdict.counted_failures() for message in f.messages]
    verdict.known = defects.matching(shown)
    return verdict


# ---------------------------------------------------------------- terminal output


def _one_line(text: str, limit: int = 400) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _parameters(notes: list[str]) -> str:
    """The failing example from Hypothesis' notes, without what the line above already names; values drawn
    interactively (st.data()) come as "Draw n (label): value" notes and replace data=data(...)."""
    example, draws = "", []
    for note in notes:
        if note.startswith(("Falsifying example", "Falsifying explicit example", "Failing test case")):
            body = note.split("(", 1)[-1].rsplit(")", 1)[0]
            body = " ".join(re.sub(r"#[^\n]*", "", body).split())
            body = re.sub(r"target=Target\(.*?backend='\w+'\),\s*|device='[^']*',\s*|operation='[^']*',\s*", "", body)
            example = body.strip().rstrip(",")
        elif note.startswith("Draw "):
            draws.append(" ".join(note.split(":", 1)[-1].split()))
    if draws:
        example = re.sub(r",?\s*data=data\(\.\.\.\)", "", example)
        example = ", ".join(part for part in (example, *draws) if part)
    return example


def _context(notes: list[str]) -> str:
    return "; ".join(n.removeprefix("regverify: ") for n in notes if n.startswith("regverify:"))


def replay_line(display: str, args: argparse.Namespace, failure: Failure) -> str:
    r = failure.result
    words = ["regverify", "check", display]
    if args.convention:
        words += ["--convention", args.convention]
    if args.p_meaning:
        words += [f"--{args.p_meaning}-prob"]
    words += ["-k", " and ".join(w for w in (r.property, r.dtype) if w)]
    if args.seed:
        words += ["--seed", str(args.seed)]
    return shlex.join(words)


def _outcome_summary(counts: Counter) -> str:
    order = (("passed", "passed"), ("failed", "failed"), ("finding", "findings"), ("not-implemented", "not implemented"),
             ("skipped", "skipped"))
    text = ", ".join(f"{counts[key]} {label}" for key, label in order if counts.get(key))
    return text or "nothing ran"


def print_verdict(verdict: Verdict, display: str, args: argparse.Namespace, out=None) -> None:
    def say(text: str = "") -> None:
        print(text, file=out or sys.stdout)

    for tier in TIERS:
        counts = verdict.counts.get(tier, Counter())
        counted = tier == "theory" or verdict.strict
        note = "" if counted or not counts.get("failed") else "   (not counted; --strict counts it)"
        say(f"{tier:<9} {_outcome_summary(counts)}{note}")
        by_property: dict[str, list[Failure]] = defaultdict(list)
        for failure in verdict.failures.get(tier, []):
            by_property[failure.result.property].append(failure)
        for prop, group in by_property.items():
            first = group[0]
            where = " ".join(v for v in (first.result.operation, first.result.dtype) if v)
            say(f"  FAILED {prop} [{where}]")
            for failure in group[:3]:
                exceptions = failure.exceptions or [{"type": "", "message": failure.result.message, "notes": []}]
                for number, exc in enumerate(exceptions, start=1):
                    head = f"    {number}/{len(exceptions)} " if len(exceptions) > 1 else "    "
                    message = exc["message"].split(" Replay: ")[0]
                    kind = f"{exc['type']}: " if exc["type"] and exc["type"] != "AssertionError" else ""
                    say(f"{head}{kind}{_one_line(message)}")
                    if context := _context(exc.get("notes", [])):
                        say(f"      context: {_one_line(context, 300)}")
                    if parameters := _parameters(exc.get("notes", [])):
                        say(f"      failing example: {_one_line(parameters, 300)}")
            if len(group) > 3:
                say(f"    … and {len(group) - 3} more cells of this property")
            say(f"    replay: {replay_line(display, args, first)}")
        if tier == "theory" or verdict.strict:
            for defect in [d for d in verdict.known if _tier_has(verdict, tier, d)]:
                say(f"  this matches a known defect: \"{defect.description}\"")
                if defect.cause:
                    say(f"    cause: {defect.cause}")


def _tier_has(verdict: Verdict, tier: str, defect) -> bool:
    """Print a matched defect under the first counted tier that holds one of its symptoms."""
    holders = [t for t in TIERS if (t == "theory" or verdict.strict)
               and any(s.property == f.result.property for f in verdict.failures.get(t, []) for s in defect.signature)]
    return bool(holders) and holders[0] == tier


# ---------------------------------------------------------------- the report


def report_markdown(verdict: Verdict, display: str, header: list[str], footer: list[str]) -> str:
    ledger = (runner.REPO_ROOT / "reports" / "ledger.md").as_uri()  # the claims these properties bear on
    lines = [f"# regverify check {display}", "", "```", *header, "```", ""]
    for tier in TIERS:
        counts = verdict.counts.get(tier, Counter())
        lines += [f"## {tier}: {_outcome_summary(counts)}", "", f"{TIER_MEANING[tier]}.", ""]
        rows = sorted((r for r in verdict.results if (r.tier or "theory") == tier),
                      key=lambda r: (r.outcome != "failed", r.outcome != "finding", r.operation, r.property, r.dtype))
        if not rows:
            continue
        lines += ["| property | operation | dtype | outcome | ledger claims | note |", "|---|---|---|---|---|---|"]
        for r in rows:
            claims = ", ".join(f"[{c}]({ledger}#{c})" for c in r.claims) or "—"
            note = "" if r.outcome == "passed" else _one_line(r.message.split(" Replay: ")[0], 200).replace("|", "\\|")
            lines.append(f"| `{r.property}` | {r.operation or '—'} | {r.dtype or '—'} | {r.outcome} | {claims} | {note} |")
        lines.append("")
    if verdict.known:
        lines += ["## Known defects matched", ""]
        lines += [f"- **{d.description}** — {d.cause}" for d in verdict.known] + [""]
    lines += [*footer, ""]
    return "\n".join(lines)


def _write_report(out: Path, display: str, text: str) -> Path | None:
    from regverify.report import anchor

    path = out / f"check-{anchor(display)}.md"
    try:
        from regverify import atomic

        atomic.atomic_write_text(path, text, what="check report")
    except ImportError:  # pragma: no cover - atomic.py ships with the command layer
        out.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - the verdict on the terminal stands without the report
        print(f"regverify: could not write the check report: {error}", file=sys.stderr)
        return None
    return path


# ---------------------------------------------------------------- the command


@contextlib.contextmanager
def _quiet_user_directory(scratch: Path) -> Iterator[None]:
    """No .hypothesis/ (Hypothesis' example database and cache) and no __pycache__/ beside the user's code."""
    from hypothesis import configuration

    previous_bytecode = sys.dont_write_bytecode
    configuration.set_hypothesis_home_dir(scratch / ".hypothesis")
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(None)  # back to Hypothesis' default, ./.hypothesis
        sys.dont_write_bytecode = previous_bytecode


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _fresh_property_modules() -> Iterator[None]:
    """Run with the conformance modules imported afresh, then put back the ones this process had.

    Hypothesis binds a property's settings when its module is imported (@given reads settings.default then):
    a module imported earlier in this process, under another profile, would run with that profile's deadline
    and example count instead of the one this check asked for. Afterwards the earlier modules are restored,
    so code that imported them keeps working with the same module objects.
    """
    earlier = {n: m for n, m in sys.modules.items() if n.startswith("regverify.conformance.test_")}
    for name in earlier:
        del sys.modules[name]
    try:
        yield
    finally:
        sys.modules.update(earlier)
        package = sys.modules.get("regverify.conformance")
        for name, module in earlier.items():  # `import regverify.conformance.test_x` reads the attribute
            setattr(package, name.rsplit(".", 1)[1], module)


def _families(target, only: str | None) -> tuple[list[Path], list[str]]:
    """Test modules of the families the target implements (and the shared every-operation module)."""
    from impls.protocol import OPERATIONS

    if only:
        chosen = runner.family_files([only])
        return (chosen, []) if chosen else ([], ["-k", only])
    names = sorted({op.family for name, op in OPERATIONS.items() if target.implements(name)})
    return runner.family_files([*names, "every_operation"]), []


def run(args: argparse.Namespace, *, progress=None) -> int:
    """The check command; `progress` is cli's progress-bar runner (or None: plain run_suite)."""
    from impls import conventions
    from impls.conventions import common
    from impls.protocol import OPERATIONS, TargetLoadError, load_target

    started = time.perf_counter()
    display = args.module
    location = display
    if conventions.is_path(display) and Path(display).exists():
        location = display  # relative to this directory, as the replay lines are
    spec = conventions.make_spec(location, args.convention, args.p_meaning) \
        if (args.convention or args.p_meaning or conventions.is_path(display)) else display
    with tempfile.TemporaryDirectory(prefix="regverify-check-") as scratch_name:
        scratch = Path(scratch_name)
        with _quiet_user_directory(scratch), _environment(REGVERIFY_CALL_TIME_LIMIT=str(args.call_timeout),
                                                          REGVERIFY_SEED=str(args.seed)):
            common.CALL_TIME_LIMIT_S = args.call_timeout
            try:
                target = load_target(spec)
            except TargetLoadError as error:
                print(f"regverify: {error}", file=sys.stderr)
                return 2
            header = _header(target, display)
            implemented = [name for name in OPERATIONS if target.implements(name)]
            if not implemented:
                print("\n".join(header))
                print("verdict: nothing to check: every function is missing or a stub (see above)")
                return 2
            families, extra = _families(target, args.only)
            if args.select:
                extra += ["-k", args.select]
            log_path = scratch / "results.jsonl"
            suite = dict(log_path=log_path, impls=[spec], devices=args.device,
                         profile=args.profile or DEFAULT_PROFILE, conformance_only=True, workers=args.workers,
                         extra=extra, families=families, case_timeout=DEFAULT_CASE_TIMEOUT)
            try:
                with _fresh_property_modules():
                    result = progress(f"checking {display}", **suite) if progress else runner.run_suite(**suite)
            except (runner.SuiteNotFound, getattr(runner, "SuiteError", runner.SuiteNotFound)) as error:
                print(f"regverify: {error}", file=sys.stderr)
                return 2
            if result.exit_code not in (0, 1, 5):
                print(f"regverify: the suite could not run (pytest exit {result.exit_code}):\n{result.terminal[-2000:]}",
                      file=sys.stderr)
                return 2
            verdict = judge(result, _failure_records(log_path), strict=args.strict)
            header += _not_generated(getattr(result, "absent", []), implemented)
    # Printed after the run, all at once: an in-process pytest run may swallow what was printed before it.
    print("\n".join(header))
    print_verdict(verdict, display, args)
    elapsed = time.perf_counter() - started
    profile = args.profile or DEFAULT_PROFILE
    reproducible = ("derandomized: the same examples every run" if profile.endswith(("ci", "check"))
                    else "fresh examples each run")
    counted = "any tier" if args.strict else "theory"
    if verdict.exit_code:
        final = f"verdict: FAIL — {len(verdict.counted_failures())} failed case(s) in {counted}"
    else:
        final = "verdict: PASS — no failure in " + ("any tier" if args.strict else "the theory tier")
    footer = [final, f"seed {args.seed}, profile {profile} ({reproducible}); time to verdict {elapsed:.1f} s"]
    out = Path(args.out) if args.out else Path("regverify-check")
    written = _write_report(out, display, report_markdown(verdict, display, header, footer))
    for line in footer:
        print(line)
    if written:
        print(f"report: {written}")
    return verdict.exit_code


def _not_generated(cells: list[dict], implemented: list[str]) -> list[str]:
    """One line on the cells of the target's own operations the suite did not generate, by reason (they are
    data, not passes): what the convention leaves undefined, what the code does not declare."""
    reasons = Counter(cell.get("reason", "") for cell in cells if cell.get("operation") in implemented
                      and not cell.get("reason", "").startswith(("CUDA", "MPS", "XPU", "not installed")))
    if not reasons:
        return []
    shown = "; ".join(f"{n} × {why}" for why, n in sorted(reasons.items(), key=lambda item: -item[1]))
    return [f"  not run: {_one_line(shown, 600)}"]


def _header(target, display: str) -> list[str]:
    from impls.protocol import OPERATIONS

    convention = getattr(target, "convention", None) or "protocol"
    notes = getattr(target, "notes", [])
    lines = [f"{display}: convention {convention}" + (f" ({notes[0]})" if notes else "")]
    lines += [f"  {note}" for note in notes[1:]]
    implemented = [name for name in OPERATIONS if target.implements(name)]
    stubs = getattr(target, "not_implemented", {})
    lines.append(f"  checks {', '.join(implemented) or 'nothing'} in {', '.join(target.dtypes())}")
    if stubs:
        lines.append("  not implemented: " + "; ".join(f"{name} ({why})" for name, why in stubs.items()))
    return lines
