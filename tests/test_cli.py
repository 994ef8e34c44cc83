"""The regverify command and the --impl option, as a user runs them.

The three runs of the suite are subprocesses with real exit codes. They are started together, in the
background, as soon as collection finishes (tests/conftest.py), so on a 2-core machine they run beside
the rest of the suite instead of adding ~13 s to it; each test waits for its own run. The checks that
stop before any suite runs (argument errors, help) call the same entry point in-process: a
subprocess would spend ~1 s importing torch for each of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from regverify.cli import main

REPO = Path(__file__).resolve().parent.parent
REGVERIFY = [sys.executable, "-m", "regverify.cli"]
OUT = "{out}"  # replaced by the run's own report folder

#: name -> command line of each end-to-end run.
END_TO_END = {
    "check_minimal": [*REGVERIFY, "check", "impls.examples.minimal_dropout", "--only", "dropout",
                      "-k", "not standard and (survivors or keep_count or rejects)", "--device", "cpu", "--out", OUT],
    "check_unscaled": [*REGVERIFY, "check", "impls.examples.unscaled_dropout", "--only", "dropout", "-k", "survivors",
                       "--device", "cpu", "--out", OUT],
    "pytest_impl": [sys.executable, "-m", "pytest", "regverify/conformance/test_dropout.py", "--impl", "impls.examples.unscaled_dropout",
                    "--device", "cpu", "-k", "survivors and float64", "-q", "-p", "no:cacheprovider"],
    # tests/test_faults.py: targets that raise, hang (10 s case timeout) and return NumPy, in one run of one property.
    "faulty_targets": [sys.executable, "-m", "pytest", "regverify/conformance/test_dropout.py", "-c",
                       "regverify/conformance/pytest.ini", "--rootdir", "regverify/conformance", "-p", "regverify.watchdog",
                       "--impl", "tests.fault_targets.raising", "--impl", "tests.fault_targets.hanging",
                       "--impl", "tests.fault_targets.numpy_returning", "--device", "cpu", "-k", "survivors and float64",
                       "-q", "-p", "no:cacheprovider", "--report-log={out}/results.jsonl"],
    # tests/test_plugin.py: an unrelated project in the same environment (its own `ci` profile and `target` fixture).
    "foreign_project": [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"],
    # tests/test_ledger.py: a lecturer's own claims module and notes (examples/mynotes), through the calls that
    # `regverify report --claims mynotes.claims --lectures mynotes/notes` makes, in a process of its own.
    "mynotes_report": [sys.executable, "-c", "import os, sys; os.chdir('examples'); sys.path.insert(0, '.'); "
                       "from theory import lectures, ledger, render; lectures.set_lectures_dir('mynotes/notes'); "
                       "ledger.use_claims_module('mynotes.claims'); render.write_claims_report('{out}', experiments='small')"],
    # tests/test_faults.py sends SIGINT / SIGTERM to these while the suite hangs in a target, over an earlier report.
    "report_sigint": [*REGVERIFY, "report", "--impl", "tests.fault_targets.hanging", "--device", "cpu",
                      "--only", "dropout", "--experiments", "small", "--out", OUT],
    "report_sigterm": [*REGVERIFY, "report", "--impl", "tests.fault_targets.hanging", "--device", "cpu",
                       "--only", "dropout", "--experiments", "small", "--out", OUT],
}
#: Extra environment of a run.
#: The hanging target touches $REGVERIFY_HUNG_MARKER when its case has started (the signal tests wait for it).
HUNG_MARKER = {"REGVERIFY_HUNG_MARKER": f"{OUT}.hung"}
#: The foreign project runs as CI would run it, and imports regverify only if it were installed as a plugin.
FOREIGN_ENV = {"CI": "true", "PYTHONPATH": ""}
#: The faulty run's case timeout: its other cases take < 0.5 s of CPU, ≤ 3 s of wall at nice 10 beside the suite.
FAULTY_CASE_TIMEOUT = "10"
END_TO_END_ENV = {"faulty_targets": {"REGVERIFY_CASE_TIMEOUT": FAULTY_CASE_TIMEOUT},
                  "report_sigint": HUNG_MARKER, "report_sigterm": HUNG_MARKER, "foreign_project": FOREIGN_ENV}
EARLIER_REPORT = {"index.md": "# the earlier report\n", "ledger.md": "# the earlier ledger\n",
                  "conformance/index.md": "# the earlier matrix\n"}


def _earlier_report(reports: Path) -> None:
    for name, text in EARLIER_REPORT.items():
        (reports / name).parent.mkdir(parents=True, exist_ok=True)
        (reports / name).write_text(text)


#: name -> what to lay down in the run's report folder before it starts.
def _foreign_project(folder: Path) -> None:
    from tests.test_plugin import FOREIGN_PROJECT

    folder.mkdir(parents=True)
    for name, text in FOREIGN_PROJECT.items():
        (folder / name).write_text(textwrap.dedent(text))
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider --hypothesis-profile ci\n")


#: Runs whose working directory is their own folder (a project of their own), not the checkout.
RUN_IN_THEIR_FOLDER = {"foreign_project"}
PREPARE = {"report_sigint": _earlier_report, "report_sigterm": _earlier_report, "foreign_project": _foreign_project,
           "faulty_targets": lambda reports: reports.mkdir(parents=True)}


@dataclass
class Run:
    process: subprocess.Popen
    scratch: Path

    @property
    def reports(self) -> Path:
        return self.scratch / "reports"


_runs: dict[str, Run] = {}


def start_end_to_end_runs(names: Iterable[str] = END_TO_END, *, background: bool = False) -> None:
    """Start the named runs not yet started; output goes to files (a full pipe would stall a run).

    In the background they run at a lower priority (POSIX nice 10): the suite keeps its core and the
    runs take the other one, instead of all of them sharing both."""
    # One intra-op thread each: the runs share the second core, and torch would otherwise take both.
    env = {**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    lower_priority = (lambda: os.nice(10)) if background and hasattr(os, "nice") else None
    for name in names:
        if name in _runs:
            continue
        scratch = Path(tempfile.mkdtemp(prefix=f"e2e-{name}-"))
        if name in PREPARE:
            PREPARE[name](scratch / "reports")
        command = [str(scratch / "reports") if arg == OUT else arg.replace(OUT, str(scratch / "reports"))
                   for arg in END_TO_END[name]]
        with (scratch / "stdout").open("w") as stdout, (scratch / "stderr").open("w") as stderr:
            extra = {key: value.replace(OUT, str(scratch / "reports")) for key, value in END_TO_END_ENV.get(name, {}).items()}
            cwd = scratch / "reports" if name in RUN_IN_THEIR_FOLDER else REPO
            process = subprocess.Popen(command, cwd=cwd, env={**env, **extra}, stdout=stdout,
                                       stderr=stderr, text=True, preexec_fn=lower_priority)
        _runs[name] = Run(process, scratch)


def stop_end_to_end_runs() -> None:
    """At session end: stop runs whose test never waited for them (an interrupted session), remove files."""
    for run in _runs.values():
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait()
        shutil.rmtree(run.scratch, ignore_errors=True)
    _runs.clear()


def started(name: str) -> Run:
    start_end_to_end_runs([name])
    return _runs[name]


def finished(name: str) -> tuple[subprocess.CompletedProcess, Run]:
    start_end_to_end_runs([name])
    run = _runs[name]
    code = run.process.wait(timeout=600)
    result = subprocess.CompletedProcess(END_TO_END[name], code, (run.scratch / "stdout").read_text(),
                                         (run.scratch / "stderr").read_text())
    return result, run


def regverify_in_process(*args: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's --help
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.end_to_end("check_minimal")
def test_check_accepts_the_minimal_example_module():
    result, run = finished("check_minimal")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout + result.stderr
    assert list(run.reports.glob("check-*.md")), "check wrote no report"


@pytest.mark.end_to_end("check_unscaled")
def test_check_rejects_the_unscaled_example_and_names_the_property():
    result, _ = finished("check_unscaled")
    assert result.returncode == 1, result.stdout + result.stderr
    shown = result.stdout + result.stderr
    assert "test_dropout_survivors_carry_the_training_scale" in shown
    assert "seed" in shown or "generator(" in shown, "failure should show how to replay it"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "no_such_module_xyz"], "cannot import target 'no_such_module_xyz'"),
        (["check", "impls.examples", "--device", "tpu"], "unknown device 'tpu'"),
        (["report", "--out", "/proc/regverify-cannot-write"], "cannot write to /proc/regverify-cannot-write"),
        (["check", "impls.protocol"], "BACKEND must be one of"),
        (["bench", "--parts", "suite,nope"], "--parts must be from suite, speed, report, thorough, got 'suite,nope'"),
    ],
)
def test_user_errors_are_one_clear_line_not_a_traceback(args, expected, capsys):
    code, out, err = regverify_in_process(*args, capsys=capsys)
    assert code == 2, out + err
    assert expected in " ".join(err.split()), err  # rich may wrap the line
    assert "Traceback" not in err


def test_a_module_that_fails_to_import_is_reported_in_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "broken_target.py").write_text("BACKEND = 'torch'\nraise RuntimeError('boom')\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, err = regverify_in_process("check", "broken_target", "--out", str(tmp_path), capsys=capsys)
    err = " ".join(err.split())
    assert code == 2, out + err
    assert "broken_target" in err and "RuntimeError: boom" in err
    assert "Traceback" not in err


@pytest.mark.end_to_end("pytest_impl")
def test_pytest_impl_option_runs_the_suite_against_a_user_module():
    result, _ = finished("pytest_impl")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_dropout_survivors_carry_the_training_scale" in result.stdout
    assert "regverify: reproduce" in result.stdout


@pytest.mark.parametrize("command", ["report", "check", "claims", "bench"])
def test_every_subcommand_help_shows_an_example(command, capsys):
    code, out, _ = regverify_in_process(command, "--help", capsys=capsys)
    assert code == 0
    assert "example:" in out and f"regverify {command}" in out
