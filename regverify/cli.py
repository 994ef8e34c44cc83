"""The regverify command: report, check, claims."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from regverify import atomic, runner

console = Console(stderr=True)

REPORT_HELP = """Run the claim ledger and the conformance suite, and write markdown reports.

Writes into reports/ when run inside the regverify checkout, else into ./regverify-reports (or --out),
and says where. The output is replaced only by a run that completed: Ctrl-C (exit 130), SIGTERM (143),
a crash or a full disk leave the earlier report as it was and keep the partial result in <out>.partial.
A run that executes no test is an error (exit 2), as is a --device that this machine lacks.

example:
  regverify report                      # all built-in targets, every device, into reports/
  regverify report --impl mypkg.mymod --device cpu --out /tmp/reports
  regverify report --only dropout --experiments small --out /tmp/quick   # a quick look
"""
CHECK_HELP = """Run the conformance suite against one module and write a report for it.
Exits 1 when any property fails, naming the target, the property, the parameters and the seed.

example:
  regverify check impls.examples.minimal_dropout
  regverify check mypkg.my_regularizers --device cpu,cuda
"""
CLAIMS_HELP = """Show the claim ledger: one line per claim, or one claim with its evidence.

example:
  regverify claims
  regverify claims ENSEMBLE.MSE.CORRELATED
  regverify claims --accept --experiments full    # after review: write the computed verdicts into the lock
  regverify claims --claims mynotes.claims --lectures notes/   # a lecturer's own claims module
"""


def _fail(message: str, code: int = 2) -> int:
    from rich.markup import escape

    console.print(f"[bold red]regverify:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return code


def _run_with_progress(label: str, **kwargs) -> runner.SuiteRun:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=None)
        return runner.run_suite(
            on_total=lambda total: progress.update(task, total=total),
            on_done=lambda nodeid, outcome: progress.advance(task),
            **kwargs,
        )


def _writable(out: Path) -> str | None:
    return atomic.check_writable(out)


def _in_checkout() -> bool:
    """regverify runs from its own source checkout (editable install) and the current directory is inside it."""
    root = runner.REPO_ROOT
    return (root / ".git").exists() and (root / "pyproject.toml").is_file() and Path.cwd().resolve().is_relative_to(root)


def default_out(folder: str = "reports") -> Path:
    """reports/ of the checkout when run inside it; else ./regverify-<folder> in the current directory."""
    return runner.REPO_ROOT / folder if _in_checkout() else Path.cwd() / f"regverify-{folder}"


def _where(out: Path, what: str = "report") -> str:
    """One line saying where the output goes, and that an existing one is replaced only by a complete run."""
    committed = out.resolve() == (runner.REPO_ROOT / "reports").resolve()
    if committed and (out / "index.md").exists():
        return f"writing the {what} to {out}: the committed reports/ are replaced when this run completes"
    if any(out.glob("*")) if out.is_dir() else False:
        return f"writing the {what} to {out}: its files are replaced when this run completes"
    return f"writing the {what} to {out}"


class NothingRan(Exception):
    """The selection executed no test: an error, not a pass."""


def _load_targets(specs: list[str]) -> str | None:
    from impls.protocol import TargetLoadError, load_target

    for spec in specs:
        try:
            load_target(spec)
        except TargetLoadError as error:
            return str(error)
    return None


def _check_devices(devices: str | None) -> str | None:
    """None, or why --device names an unknown device or one absent from this machine (with what is present)."""
    from regverify.conformance.plugin import KNOWN_DEVICE_TYPES, device_unavailable_reason

    present = available_devices()
    for device in [d.strip() for d in (devices or "").split(",") if d.strip()]:
        kind, _, index = device.partition(":")
        if kind not in KNOWN_DEVICE_TYPES:
            return f"--device: unknown device {device!r}: expected one of {', '.join(KNOWN_DEVICE_TYPES)}"
        if index and not index.isdigit():
            return f"--device: {device!r}: the index after ':' must be a number, e.g. cuda:0"
        reason = device_unavailable_reason(device)
        if reason:
            return f"--device {device}: {reason} on this machine, so no test would run; devices present: {', '.join(present)}"
    return None


def available_devices() -> list[str]:
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def _families(only: str | None) -> tuple[list[str], str | None]:
    """(the families named by --only, or [] for all; None or why a name is not a family, with the families)."""
    if not only:
        return [], None
    names = [name.strip() for name in only.split(",") if name.strip()]
    known = runner.families()
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        return [], f"--only: unknown family {', '.join(map(repr, unknown)) or repr(only)}: expected one of {', '.join(known)}"
    return names, None


def _check_workers(workers: str | None) -> str | None:
    if workers is None or workers in ("auto", "logical") or (str(workers).isdigit() and int(workers) >= 1):
        return None
    return f"-n/--workers: expected auto, logical or a whole number >= 1, got {workers!r}"


def _preflight(args: argparse.Namespace, specs: list[str]) -> str | None:
    return (_check_devices(args.device) or _check_workers(getattr(args, "workers", None)) or _load_targets(specs)
            or _writable(Path(args.out)))


def _absent_summary(run: runner.SuiteRun) -> str:
    from collections import Counter

    reasons = Counter(cell["reason"] for cell in run.absent)
    return "; ".join(f"{n} cells {reason}" for reason, n in reasons.most_common(4))


def _nothing_ran(run: runner.SuiteRun, selection: str) -> str:
    why = _absent_summary(run)
    return (f"no test ran ({selection}): {run.count('skipped')} skipped, {len(run.absent)} cells not generated"
            + (f" ({why})" if why else "") + "; this is an error, not a pass")


def cmd_report(args: argparse.Namespace) -> int:
    from regverify import report

    started = time.perf_counter()
    if args.out is None:
        args.out = str(default_out("reports"))
    families, problem = _families(args.only)
    problem = problem or _preflight(args, args.impl or []) or _use_claims(args)
    if problem:
        return _fail(problem)
    out = Path(args.out)
    targets = report.report_targets(args.impl, libraries=not args.no_libraries)
    console.print(_where(out), markup=False, highlight=False, soft_wrap=True)
    if args.claims:  # a lecturer's own notes: the ledger pages only (their claims are not about the targets)
        from theory import render

        with atomic.atomic_directory(out, what="claims report") as staging:
            with console.status(f"deciding the claims of {args.claims} (experiments at size {args.experiments})"):
                written = render.write_claims_report(staging, experiments=args.experiments)
        written = [out / Path(p).resolve().relative_to(staging.resolve()) for p in written]
        console.print(f"reports written: {', '.join(str(p) for p in written)}", markup=False, highlight=False)
        return 0
    try:
        with atomic.atomic_directory(out, what="report", owned=report.REPORT_FILES) as staging:
            run = _run_with_progress(
                "conformance suite", log_path=staging / "results.jsonl", impls=targets, devices=args.device,
                profile=args.profile, workers=args.workers, case_timeout=args.case_timeout,
                families=runner.family_files(families),
            )
            if run.executed == 0:
                raise NothingRan(_nothing_ran(run, "regverify report"))
            with _progress_bar() as progress:
                task = progress.add_task("designed experiments", total=None)

                def on_experiment(name: str, index: int, total: int) -> None:
                    progress.update(task, total=total, completed=index,
                                    description=f"designed experiments ({name})" if name else "claim ledger")

                written = report.write_reports(
                    staging, run, profile=args.profile, impls=targets, experiments=args.experiments,
                    timings={"conformance suite": run.wall_seconds}, command_started=started,
                    on_experiment=on_experiment, only=families)
    except atomic.OutputNotReplaced as error:
        if isinstance(error.cause, (NothingRan, runner.SuiteNotFound, runner.SuiteError)):
            _discard(error.partial)  # nothing worth keeping: the run did not get under way
            return _fail(f"{error.cause}\nthe report in {out} is unchanged")
        raise
    written = [out / p.relative_to(staging) for p in written]
    report.print_summary(console, run, written)
    console.print(f"report written to {out} in {time.perf_counter() - started:.1f} s", markup=False, highlight=False,
                  soft_wrap=True)
    return 0 if run.exit_code in (0, 5) else 1


def _discard(partial: Path | None) -> None:
    import shutil

    if partial is not None:
        shutil.rmtree(partial, ignore_errors=True)


def cmd_check(args: argparse.Namespace) -> int:
    """regverify check: the command's logic and its per-tier output live in regverify/check.py."""
    from regverify import check

    problem = _check_devices(args.device) or _check_workers(args.workers) or _writable(Path(args.out))
    if problem:
        return _fail(problem)
    return check.run(args, progress=_run_with_progress)


def _use_claims(args: argparse.Namespace) -> str | None:
    """--claims MODULE / --lectures DIR: judge a lecturer's own notes with their own claims module."""
    from theory import lectures, ledger

    if getattr(args, "lectures", None):
        try:
            lectures.set_lectures_dir(args.lectures)
        except ValueError as error:
            return f"--lectures: {error}"
    if getattr(args, "claims", None):
        sys.path.insert(0, str(Path.cwd()))
        ledger.use_claims_module(args.claims)
        try:
            ledger.all_claims()
        except ImportError as error:
            return f"--claims: cannot import claims module {args.claims!r}: {error}"
    return None


def cmd_claims(args: argparse.Namespace) -> int:
    import os

    import theory
    from theory import ledger, lock, render

    problem = _use_claims(args)
    if problem:
        return _fail(problem)
    os.environ[ledger.SIZE_VARIABLE] = args.experiments
    if args.accept:
        computed = lock.computed_verdicts()
        found = lock.changes(args.experiments, computed)
        path = lock.accept(args.experiments, computed)
        print(lock.describe(args.experiments, found).split("\nReview the evidence")[0])
        print(f"accepted {len(computed)} verdicts at size {args.experiments} into {path}")
        return 0
    if args.id:
        try:
            claim = theory.get_claim(args.id)
        except KeyError as error:
            return _fail(str(error.args[0]) if error.args else f"unknown claim {args.id!r}")
        print(render.claim_detail(claim, claim.evaluate()))
        return 0
    for claim in theory.all_claims():
        print(render.claim_line(claim, claim.evaluate()))
    found = lock.changes(args.experiments, lock.computed_verdicts())
    if found:
        console.print(lock.describe(args.experiments, found), markup=False, highlight=False)
    return 0


def _progress_bar():
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True)


def cmd_mutants(args: argparse.Namespace) -> int:
    from regverify import selftest

    started = time.perf_counter()
    out = Path(args.out) if args.out else default_out("reports")
    if problem := _check_workers(args.workers) or _writable(out):
        return _fail(problem)
    try:
        with _progress_bar() as progress:
            task = progress.add_task("defect catalogue: suite cases", total=None)
            results = selftest.run_mutants(
                args.defect, families=args.family, profile=args.profile, quick=args.quick, workers=args.workers,
                on_total=lambda total: progress.update(task, total=total),
                on_done=lambda nodeid, outcome: progress.advance(task),
            )
    except (ValueError, RuntimeError, runner.SuiteError) as error:
        return _fail(str(error))
    if not results or all(r.failed_cases + r.passed_cases == 0 for r in results):
        return _fail(f"no test ran against the {len(results)} selected defects; mutants.md in {out} is unchanged")
    path = atomic.atomic_write_text(out / "mutants.md", selftest.mutants_markdown(results), what="mutants.md")
    gaps = selftest.survivors(results)
    caught = sum(1 for r in results if r.caught)
    console.print(f"defects caught: {caught} of {len(results)}; new gaps: {len(gaps)}; report: {path} "
                  f"({time.perf_counter() - started:.0f} s)", markup=False, highlight=False)
    for gap in gaps:
        # A gap is a survivor, or a defect caught only by another property or only by a crash (the wrong reason).
        label = "SURVIVED" if gap.verdict == "survived" else "GAP"
        reason = "" if gap.verdict == "survived" else f" [{gap.verdict}]"
        console.print(f"{label} {gap.module}: {gap.description}{reason}", markup=False, highlight=False)
    return 1 if gaps else 0


def cmd_audit(args: argparse.Namespace) -> int:
    from regverify import selftest

    started = time.perf_counter()
    out = Path(args.out) if args.out else default_out("reports")
    if args.seeds < 1:
        return _fail(f"--seeds: expected a whole number >= 1, got {args.seeds}")
    if problem := _check_devices(args.device) or _load_targets(args.impl or []) or _writable(out):
        return _fail(problem)
    try:
        with _progress_bar() as progress:
            cases = progress.add_task(f"flake audit: suite cells, each random one under {args.seeds} seeds", total=None)
            audit = selftest.flake_audit(args.seeds, first_seed=args.first_seed, impls=args.impl or (),
                                         devices=args.device, workers=args.workers,
                                         on_total=lambda total: progress.update(cases, total=total),
                                         on_done=lambda nodeid, outcome: progress.advance(cases))
    except (ValueError, RuntimeError, runner.SuiteError) as error:
        return _fail(str(error))
    if not any(audit.cases_per_run):
        return _fail(f"no test ran in the audit; audit.md in {out} is unchanged")
    path = atomic.atomic_write_text(out / "audit.md", selftest.audit_markdown(audit), what="audit.md")
    console.print(f"audit: {len(audit.failures)} failures in {audit.runs} seeds; report: {path} "
                  f"({time.perf_counter() - started:.0f} s)", markup=False, highlight=False)
    return 1 if audit.flaky else 0


PROFILE_CHOICES = ["ci", "dev", "thorough", "scheduled", "regverify-ci", "regverify-dev", "regverify-thorough",
                   "regverify-scheduled"]
#: A test case of the suite takes well under a second; one that runs for minutes is a hang in the code under test.
DEFAULT_CASE_TIMEOUT = 300.0


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regverify",
        description="Executable evidence for lecture claims about regularization: "
        "a claim ledger, reference implementations and a conformance suite.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=description,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    def out_option(p: argparse.ArgumentParser, default_out: str | None = None) -> None:
        shown = default_out or "reports/ when run inside the regverify checkout, else ./regverify-reports"
        p.add_argument("--out", default=default_out, help=f"output folder (default: {shown})")

    def common(p: argparse.ArgumentParser, default_out: str | None) -> None:
        out_option(p, default_out)
        p.add_argument("--device", default=None, help="comma-separated devices, e.g. cpu,cuda (default: all)")
        p.add_argument("--profile", default=None, choices=PROFILE_CHOICES,
                       help="Hypothesis profile (ci = regverify-ci, ...; default: ci when CI=true, else dev)")
        p.add_argument("-n", "--workers", default=None, help="pytest-xdist workers, e.g. auto (default: serial)")

    report = command("report", "run ledger + suite, write markdown reports", REPORT_HELP)
    common(report, None)
    report.add_argument("--only", default=None, metavar="FAMILY[,FAMILY]",
                        help="only these families of the conformance suite (default: all), e.g. dropout,noise")
    report.add_argument("--case-timeout", type=_positive_seconds, default=DEFAULT_CASE_TIMEOUT, metavar="SECONDS",
                        help=f"a test case running longer fails as timed out (default {DEFAULT_CASE_TIMEOUT:g} s)")
    report.add_argument("--impl", action="append", metavar="MODULE",
                        help="target(s) to check (default: numpy, torch, torch-native and every library target "
                        "installed: keras, kornia, torchvision, timm)")
    report.add_argument("--no-libraries", action="store_true",
                        help="check only the built-in targets, not the installed libraries")
    report.add_argument("--experiments", default="full", choices=["full", "small"],
                        help="size of the designed experiments behind the empirical claims (full: decisive, ~minutes; "
                        "small: a smoke test)")
    report.add_argument("--claims", default=None, metavar="MODULE",
                        help="judge your own notes: a claims module (same API as theory/claims/), e.g. mynotes.claims")
    report.add_argument("--lectures", default=None, metavar="DIR", help="folder with the documents the claims cite")
    report.set_defaults(func=cmd_report)

    from regverify import check as check_command

    check = command("check", "check one file or module, as written, verdict per tier", check_command.HELP)
    check_command.add_arguments(check)
    common(check, "regverify-check")
    check.set_defaults(func=cmd_check)

    claims = command("claims", "show the claim ledger", CLAIMS_HELP)
    claims.add_argument("id", nargs="?", help="a claim ID, e.g. ENSEMBLE.MSE.CORRELATED")
    claims.add_argument("--experiments", default="small", choices=["full", "small"],
                        help="size of the experiments behind empirical claims (default small: seconds)")
    claims.add_argument("--accept", action="store_true",
                        help="after review: write the computed verdicts at this experiment size into the lock file")
    claims.add_argument("--claims", default=None, metavar="MODULE",
                        help="a claims module of your own (same API as theory/claims/), e.g. mynotes.claims")
    claims.add_argument("--lectures", default=None, metavar="DIR", help="folder with the documents the claims cite")
    claims.set_defaults(func=cmd_claims)

    mutants = command(
        "mutants", "run the suite against the defect catalogue: every defect must be caught",
        "Run the conformance suite against each catalogued defective implementation (regverify/conformance/defects/)"
        " and report which property caught it. Exits 1 if a defect survives.\n\nexample:\n"
        "  regverify mutants --family dropout\n  regverify mutants --quick")
    mutants.add_argument("--defect", action="append", metavar="MODULE", help="one defect module (repeatable)")
    mutants.add_argument("--family", action="append", metavar="F", help="only this family's defects (repeatable)")
    mutants.add_argument("--quick", action="store_true", help="float64 only")
    mutants.add_argument("--profile", default="selftest", choices=["selftest", "ci", "dev", "thorough", "scheduled"])
    mutants.add_argument("-n", "--workers", default=None, help="pytest-xdist workers")
    out_option(mutants)
    mutants.set_defaults(func=cmd_mutants)

    audit = command(
        "audit", "flake audit: the random properties with N fresh seeds on the correct built-in targets",
        "Run every random property with N fresh Hypothesis seeds on the built-in targets and report failures with "
        "a Clopper-Pearson bound next to the designed false-failure rate.\n\nexample:\n  regverify audit --seeds 3")
    audit.add_argument("--seeds", type=int, default=3,
                       help="number of fresh seeds: each random cell runs under every one, in one session")
    audit.add_argument("-n", "--workers", default=None, help="pytest-xdist workers (default: serial)")
    audit.add_argument("--first-seed", type=int, default=1)
    audit.add_argument("--impl", action="append", metavar="MODULE")
    audit.add_argument("--device", default="cpu")
    out_option(audit)
    audit.set_defaults(func=cmd_audit)

    sub.add_parser("bench", help="benchmarks: suite time, statistical efficiency, speed vs PyTorch "
                   "(regverify bench --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command. Exit codes: 0 done, 1 a property failed (or a defect survived), 2 a usage error or a run that
    executed no test, 130 Ctrl-C, 143 SIGTERM; an interrupted or failed run never replaces an earlier output."""
    argv = sys.argv[1:] if argv is None else argv
    previous_sigterm = atomic.install_termination_handler()
    try:
        if argv[:1] == ["bench"]:  # the benchmark has its own argument parser
            from regverify import bench

            return bench.main(argv[1:])
        args = build_parser().parse_args(argv)
        return args.func(args)
    except atomic.OutputNotReplaced as error:
        return _fail(str(error), error.exit_code)
    except (runner.SuiteError, runner.SuiteNotFound) as error:  # pytest could not run the suite: say why, once
        return _fail(str(error))
    except atomic.Terminated:
        return _fail("terminated (SIGTERM); nothing was written", 143)
    except KeyboardInterrupt:
        return _fail("interrupted (Ctrl-C); nothing was written", 130)
    except BrokenPipeError:  # `regverify claims | head`: the reader left, nothing more to say
        sys.stderr.close()
        return 0
    except OSError as error:  # e.g. a full disk while writing outside an atomic output: one line, no traceback
        why, code = atomic.describe_cause(error)
        return _fail(f"{why}", code)
    finally:
        atomic.restore_termination_handler(previous_sigterm)


if __name__ == "__main__":
    sys.exit(main())
