"""The regverify command: report, check, claims."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from regverify import runner

console = Console(stderr=True)

REPORT_HELP = """Run the claim ledger and the conformance suite, and write markdown reports.

example:
  regverify report                      # all built-in targets, every device, into reports/
  regverify report --impl mypkg.mymod --device cpu --out /tmp/reports
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
"""


def _fail(message: str, code: int = 2) -> int:
    console.print(f"[bold red]regverify:[/] {message}", highlight=False)
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
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".regverify-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        return f"cannot write reports to {out}: {error.strerror or error}"
    return None


def _load_targets(specs: list[str]) -> str | None:
    from impls.protocol import TargetLoadError, load_target

    for spec in specs:
        try:
            load_target(spec)
        except TargetLoadError as error:
            return str(error)
    return None


def _check_devices(devices: str | None) -> str | None:
    from regverify.conformance.plugin import KNOWN_DEVICE_TYPES

    for device in (devices or "").split(","):
        if device.strip() and device.strip().split(":")[0] not in KNOWN_DEVICE_TYPES:
            return f"unknown device {device.strip()!r}: expected one of {', '.join(KNOWN_DEVICE_TYPES)}"
    return None


def _preflight(args: argparse.Namespace, specs: list[str]) -> str | None:
    return _writable(Path(args.out)) or _check_devices(args.device) or _load_targets(specs)


def cmd_report(args: argparse.Namespace) -> int:
    from regverify import report

    problem = _preflight(args, args.impl or [])
    if problem:
        return _fail(problem)
    out = Path(args.out)
    log = out / "results.jsonl"
    try:
        run = _run_with_progress(
            "conformance suite", log_path=log, impls=args.impl or [], devices=args.device,
            profile=args.profile, workers=args.workers,
        )
    except runner.SuiteNotFound as error:
        return _fail(str(error))
    with console.status(f"deciding the ledger's claims (experiments at size {args.experiments})"):
        written = report.write_reports(out, run, profile=args.profile, impls=args.impl or [],
                                       experiments=args.experiments)
    report.print_summary(console, run, written)
    return 0 if run.exit_code in (0, 5) else 1


def cmd_check(args: argparse.Namespace) -> int:
    from regverify import report

    problem = _preflight(args, [args.module])
    if problem:
        return _fail(problem)
    out = Path(args.out)
    # --only names a family (its test module) or, failing that, is a pytest -k expression.
    families = runner.family_files([args.only]) if args.only else []
    extra = ["-k", args.only] if args.only and not families else []
    if args.select:
        extra += ["-k", args.select]
    try:
        with tempfile.TemporaryDirectory() as scratch:
            run = _run_with_progress(
                f"checking {args.module}", log_path=Path(scratch) / "results.jsonl", impls=[args.module],
                devices=args.device, profile=args.profile, conformance_only=True, workers=args.workers, extra=extra,
                families=families,
            )
    except runner.SuiteNotFound as error:
        return _fail(str(error))
    if run.exit_code not in (0, 1, 5):
        return _fail(f"the suite could not run (pytest exit {run.exit_code}):\n{run.terminal[-2000:]}")
    written = report.write_check_report(out, run, args.module)
    report.print_check_summary(console, run, args.module, written)
    return 1 if run.count("failed") else 0


def cmd_claims(args: argparse.Namespace) -> int:
    import os

    import theory
    from theory import render
    from theory.claims import empirical

    os.environ[empirical.SIZE_VARIABLE] = args.experiments
    if args.id:
        try:
            claim = theory.get_claim(args.id)
        except KeyError as error:
            return _fail(str(error.args[0]) if error.args else f"unknown claim {args.id!r}")
        print(render.claim_detail(claim, claim.evaluate()))
        return 0
    for claim in theory.all_claims():
        print(render.claim_line(claim, claim.evaluate()))
    return 0


def _progress_bar():
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=True)


def cmd_mutants(args: argparse.Namespace) -> int:
    from regverify import selftest

    out = Path(args.out)
    if problem := _writable(out):
        return _fail(problem)
    try:
        with _progress_bar() as progress:
            task = progress.add_task("defect catalogue", total=None)
            results = selftest.run_mutants(
                args.defect, families=args.family, profile=args.profile, quick=args.quick, workers=args.workers,
                on_total=lambda total: progress.update(task, total=total),
                on_done=lambda nodeid, outcome: progress.advance(task),
            )
    except (ValueError, RuntimeError) as error:
        return _fail(str(error))
    (out / "mutants.md").write_text(selftest.mutants_markdown(results))
    gaps = selftest.survivors(results)
    caught = sum(1 for r in results if r.caught)
    console.print(f"defects caught: {caught} of {len(results)}; new gaps: {len(gaps)}; report: {out / 'mutants.md'}")
    for gap in gaps:
        console.print(f"SURVIVED {gap.module}: {gap.description}", markup=False, highlight=False)
    return 1 if gaps else 0


def cmd_audit(args: argparse.Namespace) -> int:
    from regverify import selftest

    out = Path(args.out)
    if problem := _writable(out) or _check_devices(args.device):
        return _fail(problem)
    with _progress_bar() as progress:
        task = progress.add_task("flake audit (one suite run per seed)", total=args.seeds)
        audit = selftest.flake_audit(args.seeds, first_seed=args.first_seed, impls=args.impl or (),
                                     devices=args.device, on_run=lambda seed, run: progress.advance(task))
    (out / "audit.md").write_text(selftest.audit_markdown(audit))
    console.print(f"audit: {len(audit.failures)} failures in {audit.runs} runs; report: {out / 'audit.md'}")
    return 1 if audit.flaky else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regverify",
        description="Executable evidence for lecture claims about regularization: "
        "a claim ledger, reference implementations and a conformance suite.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, default_out: str) -> None:
        p.add_argument("--out", default=default_out, help=f"output folder (default: {default_out})")
        p.add_argument("--device", default=None, help="comma-separated devices, e.g. cpu,cuda (default: all)")
        p.add_argument("--profile", default=None, choices=["ci", "dev", "thorough"], help="Hypothesis profile")
        p.add_argument("-n", "--workers", default=None, help="pytest-xdist workers, e.g. auto (default: serial)")

    report = sub.add_parser("report", help="run ledger + suite, write markdown reports",
                            description=REPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    common(report, str(runner.REPO_ROOT / "reports"))
    report.add_argument("--impl", action="append", metavar="MODULE",
                        help="target(s) to check (default: numpy, torch, torch-native)")
    report.add_argument("--experiments", default="full", choices=["full", "small"],
                        help="size of the designed experiments behind the empirical claims (full: decisive, ~minutes; "
                        "small: a smoke test)")
    report.set_defaults(func=cmd_report)

    check = sub.add_parser("check", help="check one module against every property",
                           description=CHECK_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("module", help="dotted module path (importable from the current directory) or built-in name")
    common(check, "regverify-check")
    check.add_argument("--only", default=None, metavar="FAMILY",
                       help="one family (dropout, normalization, penalties, noise, ...) or a pytest -k expression")
    check.add_argument("-k", dest="select", default=None, metavar="EXPR", help="pytest -k expression within it")
    check.set_defaults(func=cmd_check)

    claims = sub.add_parser("claims", help="show the claim ledger",
                            description=CLAIMS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    claims.add_argument("id", nargs="?", help="a claim ID, e.g. ENSEMBLE.MSE.CORRELATED")
    claims.add_argument("--experiments", default="small", choices=["full", "small"],
                        help="size of the experiments behind empirical claims (default small: seconds)")
    claims.set_defaults(func=cmd_claims)

    mutants = sub.add_parser(
        "mutants", help="run the suite against the defect catalogue: every defect must be caught",
        description="Run the conformance suite against each catalogued defective implementation (tests/defects/)"
        " and report which property caught it. Exits 1 if a defect survives.\n\nexample:\n"
        "  regverify mutants --family dropout\n  regverify mutants --quick",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    mutants.add_argument("--defect", action="append", metavar="MODULE", help="one defect module (repeatable)")
    mutants.add_argument("--family", action="append", metavar="F", help="only this family's defects (repeatable)")
    mutants.add_argument("--quick", action="store_true", help="float64 only")
    mutants.add_argument("--profile", default="selftest", choices=["selftest", "ci", "dev", "thorough"])
    mutants.add_argument("-n", "--workers", default=None, help="pytest-xdist workers")
    mutants.add_argument("--out", default=str(runner.REPO_ROOT / "reports"))
    mutants.set_defaults(func=cmd_mutants)

    audit = sub.add_parser(
        "audit", help="flake audit: the random properties with N fresh seeds on the correct built-in targets",
        description="Run every random property with N fresh Hypothesis seeds on the built-in targets and report "
        "failures with a Clopper-Pearson bound next to the designed false-failure rate.\n\nexample:\n"
        "  regverify audit --seeds 3",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    audit.add_argument("--seeds", type=int, default=3, help="number of fresh seeds (suite runs)")
    audit.add_argument("--first-seed", type=int, default=1)
    audit.add_argument("--impl", action="append", metavar="MODULE")
    audit.add_argument("--device", default="cpu")
    audit.add_argument("--out", default=str(runner.REPO_ROOT / "reports"))
    audit.set_defaults(func=cmd_audit)

    sub.add_parser("bench", help="benchmarks: suite time, statistical efficiency, speed vs PyTorch "
                   "(regverify bench --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:  # the benchmark has its own argument parser
        from regverify import bench

        return bench.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:  # `regverify claims | head`: the reader left, nothing more to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
