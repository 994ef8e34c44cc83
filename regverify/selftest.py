"""The suite tests itself: defective targets it must reject, and correct targets it must not.

- :func:`run_mutants` runs the conformance properties against every catalogued defect
  (tests/defects/) and reports which properties caught each; a defect no property catches is a gap
  in the suite (``regverify mutants``).
- :func:`flake_audit` reruns every property on the built-in correct targets under fresh Hypothesis
  seeds and compares the observed false-failure rate, with a Clopper-Pearson upper bound, to the rate
  the suite was designed for (``regverify audit``).

Importing this module registers the Hypothesis profile ``selftest``: derandomized (the same examples
every run, so a defect's verdict cannot flip between runs) and without the shrink phase (a caught
defect fails many examples, and shrinking each failure only costs time).
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, Phase, given, settings

import regstats as stats
from regstats import budget
from regverify import runner
from regverify.conformance.plugin import CI_EXAMPLES, PROFILE_MULTIPLIER

if TYPE_CHECKING:
    from regverify.conformance.defects import Defect

SELFTEST_PROFILE = "selftest"
settings.register_profile(
    SELFTEST_PROFILE,
    max_examples=CI_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)

#: A defect that never returns (a retry loop without a bound) must fail the cases it hangs, not the whole run:
#: every case of `regverify mutants` runs under this deadline (the watchdog plugin's SIGALRM timer).
MUTANT_CASE_SECONDS = 15.0
#: Selects items that run in float64 or take no dtype: the quick mode for the default suite.
QUICK_DTYPE_FILTER = "not float16 and not bfloat16 and not float32"
#: Confidence of the Clopper-Pearson upper bounds in the audit.
AUDIT_CONFIDENCE = 0.95


# ---------------------------------------------------------------- defects


@dataclass
class DefectResult:
    """How the suite fared against one defect."""

    module: str
    family: str
    operation: str
    description: str
    caught_by: list[str] = field(default_factory=list)  # property names that failed on it (any reason)
    failed_cases: int = 0
    passed_cases: int = 0
    first_message: str = ""
    known_gap: str = ""  # the catalogue's note when the suite is known to miss this defect
    named: tuple[str, ...] = ()  # the properties the catalogue says must catch it
    kind: str = "slip"
    #: Named properties that failed on it with a failed assertion (or the defect's declared exception).
    caught_by_named: list[str] = field(default_factory=list)
    crashed_in: list[str] = field(default_factory=list)  # properties that failed only by an exception

    @property
    def missed(self) -> list[str]:
        """Named properties that did not catch the defect for the right reason."""
        return [name for name in self.named if name not in self.caught_by_named]

    @property
    def caught(self) -> bool:
        """Caught for the right reason: every named property failed on it by an assertion."""
        return bool(self.caught_by_named) and not self.missed

    @property
    def verdict(self) -> str:
        if self.caught:
            return "caught"
        if not self.caught_by:
            return "survived"
        others = [p for p in self.caught_by if p not in self.named]
        if set(self.caught_by) <= set(self.crashed_in):
            return f"gap: caught only by a crash in {', '.join(self.caught_by)}"
        if self.caught_by_named:
            return f"gap: not caught by {', '.join(self.missed)}"
        return f"gap: caught only by {', '.join(others) or ', '.join(self.caught_by)}, not by {', '.join(self.named)}"


def _right_reason(types: Iterable[str], raises: str = "") -> bool:
    """A failure shows the defect when some leaf is a failed check (or the exception the defect is about)."""
    return any(t in ("AssertionError", raises) and t for t in types)


def catalogue() -> tuple[Defect, ...]:
    """The defect catalogue (tests/defects/ in the source checkout, next to the suite)."""
    if str(runner.REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(runner.REPO_ROOT))
    from regverify.conformance.defects import CATALOGUE

    return CATALOGUE


def _catalogue(defects: Iterable[str] | None, families: Iterable[str] | None = None) -> list[Defect]:
    CATALOGUE = catalogue()
    if families is not None:
        wanted_families = set(families)
        unknown_families = wanted_families - {d.family for d in CATALOGUE}
        if unknown_families:
            raise ValueError(f"no defects catalogued for family {', '.join(sorted(unknown_families))}; "
                             f"families: {', '.join(sorted({d.family for d in CATALOGUE}))}")
        CATALOGUE = tuple(d for d in CATALOGUE if d.family in wanted_families)
    if defects is None:
        return list(CATALOGUE)
    wanted = list(defects)
    known = {d.module: d for d in CATALOGUE}
    unknown = [name for name in wanted if name.removeprefix("regverify.conformance.defects.") not in known]
    if unknown:
        raise ValueError(f"unknown defect(s) {', '.join(unknown)}; catalogued: {', '.join(sorted(known))}")
    return [known[name.removeprefix("regverify.conformance.defects.")] for name in wanted]


def family_filter(families: Iterable[str]) -> str:
    """A pytest -k expression selecting the test modules of these families (tests/test_<family>.py)."""
    return " or ".join([f"test_{family}" for family in sorted(set(families))] + list(GENERIC_MODULES))


def mutant_arguments(modules: Sequence[str], families: Iterable[str], *, quick: bool = False,
                     named: Iterable[str] = ()) -> list[str]:
    """pytest arguments after the suite directory: targets, properties of their families, the selftest profile.

    `quick` keeps float64 and dtype-free cases, and every case of the `named` properties (the ones the catalogue
    says must catch the defects: a float32-only law test must still run, or its defect could not be judged)."""
    args: list[str] = []
    for module in modules:
        args += ["--impl", module]
    expression = f"({family_filter(families)})"
    if quick:
        keep = " or ".join(sorted(set(named)))
        expression += f" and (({QUICK_DTYPE_FILTER}) or {keep})" if keep else f" and ({QUICK_DTYPE_FILTER})"
    return args + ["-k", expression, "--conformance-only", "--device", "cpu", "-p", "regverify.selftest"]


def collect_defect_results(defects: Sequence[Defect], results: Iterable[runner.PropertyResult]) -> list[DefectResult]:
    """Fold per-case results into one DefectResult per defect (results are matched by target name)."""
    by_target: dict[str, list[runner.PropertyResult]] = defaultdict(list)
    for result in results:
        by_target[result.target].append(result)
    folded = []
    for defect in defects:
        cases = by_target.get(defect.dotted, [])
        failed = [r for r in cases if r.outcome == "failed"]
        caught_by = sorted({r.property for r in failed})
        # A case's failure types come from the plugin's record; without one, its message says whether a check failed.
        right = {r.property for r in failed
                 if _right_reason(r.failure_types or (r.message.split(":", 1)[0].strip(),), defect.raises)}
        folded.append(
            DefectResult(
                module=defect.module, family=defect.family, operation=defect.operation,
                description=defect.description, caught_by=caught_by, failed_cases=len(failed),
                passed_cases=sum(1 for r in cases if r.outcome == "passed"),
                first_message=failed[0].message.splitlines()[0][:200] if failed and failed[0].message else "",
                known_gap=defect.known_gap, named=tuple(defect.caught_by), kind=defect.kind,
                caught_by_named=sorted(right & set(defect.caught_by)),
                crashed_in=sorted(set(caught_by) - right),
            )
        )
    return folded


def run_mutants(
    defects: Iterable[str] | None = None,
    *,
    profile: str | None = None,
    families: Iterable[str] | None = None,
    quick: bool = False,
    workers: str | None = None,
    on_total=lambda total: None,
    on_done=lambda nodeid, outcome: None,
) -> list[DefectResult]:
    """Run each catalogued defect (all, the named modules, or those of `families`) against its family's properties.

    All defects go to one pytest run (one --impl each; results carry the target name). `profile`
    defaults to ``selftest`` (derandomized, no shrinking); `quick` keeps only float64 and dtype-free
    cases. CPU only: the defects are device-generic wrappers, and the references are already checked
    on every device by the conformance suite itself.
    """
    chosen = _catalogue(defects, families)
    if not chosen:
        return []
    extra = mutant_arguments([d.dotted for d in chosen], {d.family for d in chosen}, quick=quick,
                             named={name for d in chosen for name in d.caught_by})
    if profile:
        from regverify.conformance.plugin import profile_name

        extra += ["--hypothesis-profile", profile_name(profile)]
    else:
        extra += ["--hypothesis-profile", SELFTEST_PROFILE]
    with tempfile.TemporaryDirectory() as scratch:
        run = runner.run_suite(
            Path(scratch) / "mutants.jsonl", workers=workers, extra=extra, on_total=on_total, on_done=on_done,
            case_timeout=MUTANT_CASE_SECONDS,
        )
    if run.exit_code not in (0, 1, 5):
        raise RuntimeError(f"the suite could not run against the defects (pytest exit {run.exit_code}):\n"
                           f"{run.terminal[-2000:]}")
    return collect_defect_results(chosen, run.results)


def survivors(results: Sequence[DefectResult], *, include_known: bool = False) -> list[DefectResult]:
    """Defects not caught for the right reason (by every named property, by a failed assertion): gaps in the
    suite (new ones only, unless include_known). A defect caught only by another property or only by a crash
    is a gap: nothing shows that the property meant to see the mistake sees it."""
    return [r for r in results if not r.caught and (include_known or not r.known_gap)]


def mutants_markdown(results: Sequence[DefectResult]) -> str:
    """The defect catalogue as a report: per-family counts, then each defect and what caught it."""
    caught = sum(1 for r in results if r.caught)
    new_gaps, known_gaps = len(survivors(results)), len(survivors(results, include_known=True)) - len(survivors(results))
    summary = f"{caught} of {len(results)} defects caught for the right reason (by the property named for each)"
    if known_gaps:
        summary += f"; {known_gaps} known gap{'s' if known_gaps > 1 else ''} (catalogued with the property that should catch it)"
    summary += f"; **{new_gaps} new gap{'s' if new_gaps > 1 else ''} in the suite**." if new_gaps else "."
    lines = [
        "# Defect catalogue: does the suite catch realistic mistakes?",
        "",
        summary,
        "",
        "| family | defects | caught |",
        "|---|---|---|",
    ]
    families: dict[str, list[DefectResult]] = defaultdict(list)
    for result in results:
        families[result.family].append(result)
    for family, members in sorted(families.items()):
        lines.append(f"| {family} | {len(members)} | {sum(1 for m in members if m.caught)} |")
    kinds: dict[str, list[DefectResult]] = defaultdict(list)
    for result in results:
        kinds[result.kind].append(result)
    lines += ["", "| kind | defects | caught for the right reason |", "|---|---|---|"]
    lines += [f"| {kind} | {len(members)} | {sum(1 for m in members if m.caught)} |"
              for kind, members in sorted(kinds.items())]
    lines += ["", "| defect | kind | operation | mistake | must be caught by | verdict | failed cases |",
              "|---|---|---|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r.caught, r.family, r.module)):
        if r.caught:
            also = [p for p in r.caught_by if p not in r.named and p not in r.crashed_in]
            crashed = [p for p in r.crashed_in if p not in r.named]
            verdict = "caught" + (f" (also by {', '.join(f'`{p}`' for p in also)})" if also else "")
            verdict += f" (crashed in {', '.join(f'`{p}`' for p in crashed)})" if crashed else ""
            verdict += " (catalogued as a known gap: remove the note)" if r.known_gap else ""
        else:
            verdict = f"**{r.verdict.upper() if r.verdict == 'survived' else r.verdict}**"
            verdict += f" (known gap: {r.known_gap})" if r.known_gap else ""
        named = ", ".join(f"`{p}`" for p in r.named) or "(none named)"
        lines.append(f"| `{r.module}` | {r.kind} | {r.operation} | {r.description.replace('|', '/')} | {named} | "
                     f"{verdict.replace('|', '/')} | {r.failed_cases}/{r.failed_cases + r.passed_cases} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- in-process quick check (the default suite)

#: Examples per property in the quick check; derandomized, so the verdict is the same on every run.
QUICK_EXAMPLES = 6


@dataclass
class Catch:
    """What caught a defect in-process: the named properties first, then (only when they miss) the others.

    `property` is the first property that failed on it (None when all passed), `error` the exception types of
    that failure; `right_reason` is true when every named property failed by an assertion (or by the defect's
    declared exception); `missed` names the named properties that did not, `others` what caught it instead.
    """

    defect: str
    property: str | None
    message: str
    tried: list[str]
    error: tuple[str, ...] = ()
    right_reason: bool = False
    missed: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)


#: Modules of properties that every operation's spec instantiates, run for every family.
GENERIC_MODULES = ("test_every_operation",)


def family_properties(family: str) -> list:
    """The target properties of test_<family>.py, then the spec-generic ones, in module order."""
    catalogue()  # puts the checkout on sys.path
    functions = []
    for name in (f"test_{family}", *GENERIC_MODULES):
        module = importlib.import_module(f"regverify.conformance.{name}")
        functions += [
            function for attribute, function in vars(module).items()
            if attribute.startswith("test_") and callable(function)
            and "target" in inspect.signature(getattr(getattr(function, "hypothesis", None), "inner_test",
                                                      function)).parameters
        ]
    return functions


def _marks(function, name: str) -> list:
    return [mark for mark in getattr(function, "pytestmark", []) if mark.name == name]


def _calls(function, target, operation: str) -> list[tuple[object, dict]]:
    """(callable, keyword arguments) for each case of one property on one target: its parametrize
    values, float64 where the target and the property allow it, on the CPU."""
    from regverify.conformance.plugin import lacking, spec_operations

    operations = [a for mark in _marks(function, "operation") for a in mark.args]
    spec_fields = [mark.args[0] for mark in _marks(function, "spec_cases")]
    operations += [name for spec_field in spec_fields for name in spec_operations(spec_field)]
    if operation not in operations:
        return []
    if lacking(target, operation, "cpu", tuple(a for mark in _marks(function, "requires") for a in mark.args)):
        return []
    allowed = [d for d in target.dtypes() if all(d in mark.args for mark in _marks(function, "dtypes"))]
    if not allowed:
        return []
    dtype = "float64" if "float64" in allowed else allowed[-1]
    inner = getattr(getattr(function, "hypothesis", None), "inner_test", None)
    if inner is not None:
        quick_settings = settings(settings.get_profile(SELFTEST_PROFILE), max_examples=QUICK_EXAMPLES)
        # A fresh wrapper: the suite's own function keeps its settings for the rest of the session.
        strategies, named = function.regverify_given  # conformance properties use strategies.given, which keeps them
        runnable = quick_settings(given(*strategies, **named)(inner))
        parameters = inspect.signature(inner).parameters
    else:
        runnable, parameters = function, inspect.signature(function).parameters
    base = {"target": target, "operation": operation, "device": "cpu", "dtype": dtype}
    base = {k: v for k, v in base.items() if k in parameters}
    grids = [[{}]]
    from impls.protocol import OPERATIONS

    for spec_field in spec_fields:
        if "case" in parameters:
            grids.append([{"case": case} for case in getattr(OPERATIONS[operation], spec_field)])
    for mark in _marks(function, "parametrize"):
        names = [n.strip() for n in mark.args[0].split(",")] if isinstance(mark.args[0], str) else list(mark.args[0])
        rows = []
        for value in mark.args[1]:
            values = value.values if type(value).__name__ == "ParameterSet" else value  # pytest.param(...); a dict is a value
            rows.append(dict(zip(names, values if len(names) > 1 else (values,), strict=True)))
        grids.append(rows)
    return [(runnable, {**base, **combo}) for combo in _product(grids)]


def _product(grids: list[list[dict]]) -> list[dict]:
    combos: list[dict] = [{}]
    for grid in grids:
        combos = [{**left, **right} for left in combos for right in grid]
    return combos


def _leaf_types(error: BaseException) -> tuple[str, ...]:
    inner = getattr(error, "exceptions", None)  # an exception group (Hypothesis: several failures, or flaky)
    if isinstance(inner, tuple) and inner:
        return tuple(t for exception in inner for t in _leaf_types(exception))
    return (type(error).__name__,)


def _first_failure(function, target, operation: str, tried: list[str]) -> tuple[tuple[str, ...], str] | None:
    """Run one property's cases on the defect until one fails: (exception types, first line), or None."""
    import pytest

    for runnable, kwargs in _calls(function, target, operation):
        tried.append(function.__name__)
        try:
            runnable(**kwargs)
        except pytest.skip.Exception:
            continue
        except Exception as error:  # noqa: BLE001 - any error of a property on the defect is recorded, with its type
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            return _leaf_types(error), first_line[:300]
    return None


def first_catch(defect: Defect) -> Catch:
    """Run the defect's named properties in-process, then, only if one misses, its family's other properties.

    Random checks made here are not charged to the session's false-failure budget: the targets are
    known to be wrong, so a chance failure cannot fail a correct target, and the derandomized
    examples make the verdict itself reproducible.
    """
    from impls.protocol import load_target

    target = load_target(defect.dotted)
    tried: list[str] = []
    spent_before = budget.checks_made()
    functions = family_properties(defect.family)
    by_name = {function.__name__: function for function in functions}
    unknown = [name for name in defect.caught_by if name not in by_name]
    if unknown:
        raise ValueError(f"defect {defect.module} names {', '.join(unknown)}, which are no properties of "
                         f"test_{defect.family}.py or {', '.join(GENERIC_MODULES)}")
    first: tuple[str, tuple[str, ...], str] | None = None
    missed: list[str] = []
    try:
        for name in defect.caught_by:
            failure = _first_failure(by_name[name], target, defect.operation, tried)
            if failure is not None and first is None:
                first = (name, *failure)
            if failure is None or not _right_reason(failure[0], defect.raises):
                missed.append(name)
        others: list[str] = []
        if missed or not defect.caught_by:
            for function in functions:
                if function.__name__ in defect.caught_by:
                    continue
                failure = _first_failure(function, target, defect.operation, tried)
                if failure is not None:
                    others.append(function.__name__)
                    if first is None:
                        first = (function.__name__, *failure)
    finally:
        budget._state["checks"] = spent_before
    if first is None:
        return Catch(defect.module, None, "", tried, missed=missed)
    return Catch(defect.module, first[0], first[2], tried, error=first[1],
                 right_reason=bool(defect.caught_by) and not missed, missed=missed, others=others)


# ---------------------------------------------------------------- flake audit


@dataclass
class AuditFailure:
    seed: int
    nodeid: str
    message: str


@dataclass
class AuditResult:
    """False failures of the correct built-in targets over several fresh-seed runs."""

    seeds: list[int]
    runs: int
    cases_per_run: list[int]
    checks_per_run: list[int]
    failures: list[AuditFailure]
    designed_alpha_per_check: float
    designed_run_rate: float
    wall_seconds: float
    #: Failed cells that make no random check (run once): bugs, not flakes.
    deterministic: list[str] = field(default_factory=list)
    #: Cells without random checks, run once under the first seed.
    cells_run_once: int = 0
    confidence: float = AUDIT_CONFIDENCE

    @property
    def recurring(self) -> list[str]:
        """Cases that failed under every seed (two or more runs): deterministic bugs, not flakes."""
        seen: dict[str, set[int]] = defaultdict(set)
        for failure in self.failures:
            seen[failure.nodeid].add(failure.seed)
        return sorted(self.deterministic + [nodeid for nodeid, seeds in seen.items()
                                            if len(seeds) == self.runs and self.runs > 1])

    @property
    def flaky(self) -> list[AuditFailure]:
        """Failures that did not recur under every seed: false failures of the random checks.
        With a single run nothing can be told apart, so every failure counts (conservatively)."""
        recurring = set(self.recurring)
        return [f for f in self.failures if f.nodeid not in recurring]

    @property
    def failing_runs(self) -> int:
        return len({f.seed for f in self.flaky})

    @property
    def total_checks(self) -> int:
        return sum(self.checks_per_run)

    @property
    def run_rate_upper(self) -> float:
        """Upper bound on P(a full run of the suite falsely fails on correct targets)."""
        return stats.clopper_pearson_upper(self.failing_runs, self.runs, self.confidence)

    @property
    def check_rate_upper(self) -> float | None:
        """Upper bound on the false-failure rate of one random check (None if no check was counted).
        Each flaky failed case counts as one failed check: a case fails at its first failing check."""
        if self.total_checks == 0:
            return None
        return stats.clopper_pearson_upper(len(self.flaky), self.total_checks, self.confidence)


def flake_audit(
    seeds: int,
    *,
    first_seed: int = 1,
    impls: Sequence[str] = (),
    devices: str | None = "cpu",
    workers: str | None = None,
    extra: Sequence[str] = (),
    families: Sequence[Path] = (),
    on_total=lambda total: None,
    on_done=lambda nodeid, outcome: None,
) -> AuditResult:
    """Run the conformance suite on the correct built-in targets in one session in which every cell that makes
    random checks runs under each of the seeds first_seed .. first_seed + seeds - 1 (the plugin's --audit-seeds:
    one Hypothesis seed per cell and seed, the random ``dev`` profile), and count the seeds each cell fails under.

    Every failure here is a false failure (the targets are the references) unless it recurs under every seed,
    or comes from a cell without random checks (run once: it cannot fail by chance).
    """
    if seeds < 1:
        raise ValueError(f"flake_audit: seeds must be >= 1, got {seeds!r}")
    from impls.protocol.target import DEFAULT_TARGETS

    seed_values = list(range(first_seed, first_seed + seeds))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "audit.jsonl"
        run = runner.run_suite(  # named targets: every dtype, not the per-change run's two
            log, impls=list(impls) or list(DEFAULT_TARGETS), devices=devices, profile="regverify-dev",
            conformance_only=True, workers=workers,
            extra=[f"--audit-seeds={seeds}", f"--audit-first-seed={first_seed}", *extra], families=families,
            on_total=on_total, on_done=on_done,
        )
        if run.exit_code not in (0, 1, 5):
            raise RuntimeError(f"the suite could not run (pytest exit {run.exit_code}):\n{run.terminal[-2000:]}")
        audited = _audit_records(log)
    cases, checks = [0] * seeds, [0] * seeds
    failures: list[AuditFailure] = []
    for nodeid, record in audited.items():
        for index, count in enumerate(record["checks"]):
            cases[index] += 1
            checks[index] += count
        failures += [AuditFailure(f["seed"], nodeid, f["message"]) for f in record["failed"]]
    once = [r for r in run.results if r.outcome == "failed" and r.nodeid not in audited]
    alpha = stats.alpha_per_check(PROFILE_MULTIPLIER["regverify-dev"])
    return AuditResult(
        seeds=seed_values, runs=seeds, cases_per_run=cases, checks_per_run=checks, failures=failures,
        designed_alpha_per_check=alpha, designed_run_rate=stats.SUITE_FALSE_FAILURE_BUDGET,
        wall_seconds=time.perf_counter() - start, deterministic=sorted(r.nodeid for r in once),
        cells_run_once=sum(1 for r in run.results if r.outcome in ("passed", "failed")) - len(audited),
    )


def _audit_records(log: Path) -> dict[str, dict]:
    """nodeid -> the plugin's audit record of each cell that made random checks (pytest-reportlog's user properties)."""
    audited = {}
    for line in log.read_text().splitlines():
        record = json.loads(line)
        if record.get("$report_type") == "TestReport" and record.get("when") == "call":
            found = dict(record.get("user_properties") or {}).get("audit")
            if found and sum(json.loads(found)["checks"]) > 0:
                audited[record["nodeid"]] = json.loads(found)
    return audited


def _span(values: list[int]) -> str:
    return "—" if not values else str(values[0]) if min(values) == max(values) else f"{min(values)}–{max(values)}"


def audit_markdown(audit: AuditResult) -> str:
    """Observed false failures next to the designed rates."""
    conf = f"{audit.confidence:.0%}"
    per_run_checks = max(audit.checks_per_run) if audit.checks_per_run else 0
    lines = [
        "# Flake audit: correct targets under fresh seeds",
        "",
        f"{audit.runs} seeds ({audit.seeds[0]}..{audit.seeds[-1]}), Hypothesis profile `dev`, one session "
        f"({audit.wall_seconds:.0f} s): every conformance cell of the correct targets that makes random checks ran "
        f"under each seed with its own Hypothesis seed (a seed is one run of those cells); the "
        f"{audit.cells_run_once} cells without random checks ran once (they cannot fail by chance). Reproduce: "
        f"`regverify audit --seeds {audit.runs} --first-seed {audit.seeds[0]}`.",
        "",
        "| quantity | observed | upper bound | designed |",
        "|---|---|---|---|",
        f"| runs with a false failure | {audit.failing_runs}/{audit.runs} | {audit.run_rate_upper:.3g} ({conf} Clopper-Pearson) "
        f"| ≤ {audit.designed_run_rate:.0e} per run (suite budget; here at most "
        f"{per_run_checks} checks × α = {per_run_checks * audit.designed_alpha_per_check:.1e}) |",
    ]
    if audit.check_rate_upper is not None:
        lines.append(
            f"| false failures / random checks | {len(audit.flaky)}/{audit.total_checks} | "
            f"{audit.check_rate_upper:.3g} ({conf} Clopper-Pearson) | α = {audit.designed_alpha_per_check:.1e} per check |")
    lines += [
        f"| cells with random checks run per seed | {_span(audit.cases_per_run)} | | |",
        f"| random checks per seed | {_span(audit.checks_per_run)} | | |",
        f"| deterministic failures (every seed; not flakes) | {len(audit.recurring)} cases | | 0 |",
        "",
        "A zero-failure audit cannot confirm a rate as small as the design (that would take ~3/α runs); "
        "it bounds it, and it catches a property whose real false-failure rate is far above its stated α.",
        "",
    ]
    if audit.failures:
        lines += ["## Failures", "", "| seed | case | message |", "|---|---|---|"]
        lines += [f"| {f.seed} | `{f.nodeid}` | {f.message.replace('|', '/')} |" for f in audit.failures]
        if audit.recurring:
            lines += ["", "Failed under every seed (deterministic bugs, not flakes; excluded from the rates above): "
                      + ", ".join(f"`{n}`" for n in audit.recurring)]
        elif audit.runs == 1:
            lines += ["", "One run cannot tell a deterministic failure from a flake: every failure is counted as a flake."]
    else:
        lines.append("No failures.")
    return "\n".join(lines) + "\n"
