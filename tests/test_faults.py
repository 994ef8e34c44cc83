"""Fault injection: interrupted, misused or wrong-footed, regverify loses nothing and says what happened.

Each case replays a failure of issue 21 and asserts three things: the exit code, a one-line message that
says what was lost and where the partial result is (never a traceback), and that the earlier output is
exactly as it was. The report-level cases run `regverify report` in-process with the suite, the ledger
and the experiments replaced by stand-ins (the writing, the atomic commit and the messages are real);
the signal cases send SIGINT and SIGTERM to real `regverify report` processes hung in a target; the
faulty-target case runs the real suite against targets that raise, hang and return the wrong type.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import time
from pathlib import Path

import pytest

from regverify import atomic, cli, report, runner
from regverify.runner import PropertyResult, SuiteRun, read_reportlog
from tests.test_cli import EARLIER_REPORT, FAULTY_CASE_TIMEOUT, _earlier_report, finished, regverify_in_process, started


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert "Traceback" not in err, err
    return " ".join(" ".join(lines).split())


# ---------------------------------------------------------------- the atomic folder and file


def test_an_interrupted_folder_write_leaves_the_previous_output_and_keeps_the_partial_one(tmp_path):
    final = tmp_path / "reports"
    _earlier_report(final)
    before = snapshot(final)
    with pytest.raises(atomic.OutputNotReplaced) as caught:
        with atomic.atomic_directory(final, what="report") as staging:
            (staging / "index.md").write_text("# half of a new report\n")
            raise KeyboardInterrupt
    assert caught.value.exit_code == 130
    assert snapshot(final) == before
    assert (tmp_path / "reports.partial" / "index.md").read_text() == "# half of a new report\n"
    message = str(caught.value)
    assert "\n" not in message and "interrupted" in message and "reports.partial" in message and "unchanged" in message


def test_sigterm_during_a_folder_write_exits_143_and_loses_nothing(tmp_path):
    final = tmp_path / "reports"
    _earlier_report(final)
    before = snapshot(final)
    previous = atomic.install_termination_handler()
    try:
        with pytest.raises(atomic.OutputNotReplaced) as caught:
            with atomic.atomic_directory(final, what="report") as staging:
                (staging / "ledger.md").write_text("new")
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler raises before this returns
    finally:
        atomic.restore_termination_handler(previous)
    assert caught.value.exit_code == 143 and "SIGTERM" in str(caught.value)
    assert snapshot(final) == before


def test_a_failure_in_the_middle_of_the_commit_puts_every_earlier_file_back(tmp_path, monkeypatch):
    final = tmp_path / "reports"
    _earlier_report(final)
    before = snapshot(final)
    real_replace = os.replace
    calls = []

    def replace_until_the_disk_is_full(source, target):
        calls.append(target)
        if len(calls) == 4:  # a few files already moved in: the rest must not be half-committed
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", replace_until_the_disk_is_full)
    with pytest.raises(atomic.OutputNotReplaced) as caught:
        with atomic.atomic_directory(final, what="report", owned=["conformance/*.md"]) as staging:
            for name in ("index.md", "ledger.md", "conformance/index.md", "conformance/dropout.md"):
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                (staging / name).write_text(f"new {name}")
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert snapshot(final) == before
    assert "disk full" in str(caught.value) and caught.value.exit_code == 1
    assert snapshot(caught.value.partial).keys() >= {"index.md", "ledger.md", "conformance/dropout.md"}


def test_a_full_disk_while_writing_one_file_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "benchmarks.json"
    path.write_text('{"earlier": true}')

    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(atomic.OutputNotReplaced) as caught:
        atomic.atomic_write_text(path, '{"new": true}', what="benchmarks.json")
    assert path.read_text() == '{"earlier": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["benchmarks.json"], "the temporary file must be removed"
    assert str(caught.value).startswith("disk full: benchmarks.json was not written")


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_usual_mode(tmp_path):
    kept = tmp_path / "kept.json"
    kept.write_text("{}")
    kept.chmod(0o640)
    atomic.atomic_write_text(kept, '{"new": 1}')
    assert kept.stat().st_mode & 0o777 == 0o640
    fresh = atomic.atomic_write_text(tmp_path / "fresh.json", "{}")
    mask = os.umask(0)
    os.umask(mask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~mask


# ---------------------------------------------------------------- `regverify report`, with stand-ins for the slow parts


def result(outcome: str = "passed", target: str = "torch", op: str = "dropout") -> PropertyResult:
    return PropertyResult(
        nodeid=f"test_dropout.py::test_x[{target}-{op}-cpu-float32]", outcome=outcome, property="test_x",
        module="regverify.conformance.test_dropout", target=target, operation=op, device="cpu", dtype="float32",
        claims=["DROPOUT.INVERTED.MEAN"], message="", duration=0.1)


@pytest.fixture
def stand_ins(monkeypatch):
    """The suite returns `runs[0]` (or raises it), the ledger and the experiments are one line each."""
    runs: list = [SuiteRun(0, [result()], absent=[])]

    def run_suite(log_path: Path, **kwargs):
        log_path.write_text('{"$report_type": "SessionStart"}\n')  # a partial log, as pytest-reportlog leaves one
        outcome = runs[0]
        if isinstance(outcome, BaseException):
            raise outcome
        outcome.log_path = log_path
        return outcome

    monkeypatch.setattr(runner, "run_suite", run_suite)
    monkeypatch.setattr(report, "use_experiment_size", lambda size, figures: None)
    monkeypatch.setattr(report, "experiments_markdown", lambda size, out, **kw: "# Designed experiments\n")
    monkeypatch.setattr(report, "ledger_markdown", lambda run, lecture=None: ("# Claim ledger\n", {}))
    monkeypatch.setattr(report, "lecture_code_results", lambda scratch: {})
    monkeypatch.setattr(report, "documents_markdown", lambda: "# Document by document\n")
    monkeypatch.setattr(report, "print_summary", lambda console, run, written: None)
    return runs


def report_args(out: Path) -> list[str]:
    return ["report", "--out", str(out), "--device", "cpu", "--experiments", "small"]


def test_ctrl_c_during_the_suite_keeps_the_earlier_report_and_exits_130(tmp_path, stand_ins, capsys):
    out = tmp_path / "reports"
    _earlier_report(out)
    before = snapshot(out)
    stand_ins[0] = KeyboardInterrupt()
    code, _, err = regverify_in_process(*report_args(out), capsys=capsys)
    assert code == 130
    assert snapshot(out) == before
    line = one_line(err.split("\n", 1)[1])  # after the "writing the report to ..." line
    assert "interrupted (Ctrl-C): the report was not written" in line and f"{out}.partial" in line
    assert (tmp_path / "reports.partial" / "results.jsonl").is_file(), "the partial results must be kept"


def test_a_full_disk_while_writing_pages_is_one_line_and_loses_nothing(tmp_path, stand_ins, monkeypatch, capsys):
    out = tmp_path / "reports"
    _earlier_report(out)
    before = snapshot(out)
    real_write = Path.write_text
    written = []

    def write_until_full(self, text, *args, **kwargs):
        written.append(self)
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_until_full)
    code, _, err = regverify_in_process(*report_args(out), capsys=capsys)
    monkeypatch.setattr(Path, "write_text", real_write)
    assert code == 1
    assert snapshot(out) == before
    line = one_line(err.split("\n", 1)[1])
    assert line.startswith("regverify: disk full writing") and "partial result kept in" in line


def test_a_crash_while_writing_is_one_line_and_loses_nothing(tmp_path, stand_ins, monkeypatch, capsys):
    out = tmp_path / "reports"
    _earlier_report(out)
    before = snapshot(out)

    def broken(run, lecture=None):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(report, "ledger_markdown", broken)
    code, _, err = regverify_in_process(*report_args(out), capsys=capsys)
    assert code == 1 and snapshot(out) == before
    assert "ZeroDivisionError: injected: the report was not written" in one_line(err.split("\n", 1)[1])


def test_a_read_only_file_in_the_output_rolls_the_commit_back(tmp_path, stand_ins, monkeypatch, capsys):
    out = tmp_path / "reports"
    _earlier_report(out)
    before = snapshot(out)
    real_replace = os.replace

    def read_only_index(source, target):
        if Path(target) == out / "index.md" and ".staging-" in str(source):  # the new index cannot be put in place
            raise OSError(errno.EROFS, "Read-only file system", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", read_only_index)
    code, _, err = regverify_in_process(*report_args(out), capsys=capsys)
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert code == 1 and snapshot(out) == before
    assert "read-only file system" in one_line(err)


def test_a_run_that_executes_no_test_is_an_error_and_keeps_the_earlier_report(tmp_path, stand_ins, capsys):
    out = tmp_path / "reports"
    _earlier_report(out)
    before = snapshot(out)
    absent = [{"property": "test_x", "module": "regverify.conformance.test_dropout", "target": "empty",
               "operation": "dropout", "device": "cpu", "dtype": "float32", "reason": "not implemented: dropout",
               "claims": ""}]
    stand_ins[0] = SuiteRun(5, [], absent=absent)
    code, _, err = regverify_in_process(*report_args(out), capsys=capsys)
    assert code == 2 and snapshot(out) == before
    line = one_line(err)
    assert "no test ran" in line and "not implemented: dropout" in line and "not a pass" in line
    assert not (tmp_path / "reports.partial").exists()


def test_a_suite_that_cannot_run_is_one_message_and_keeps_the_earlier_report(tmp_path, stand_ins, capsys):
    out = tmp_path / "reports"
    _earlier_report(out)
    before = snapshot(out)
    stand_ins[0] = runner.SuiteError("the suite could not run (collection failed, pytest exit 2):\nE   SyntaxError")
    code, _, err = regverify_in_process(*report_args(out), capsys=capsys)
    assert code == 2 and snapshot(out) == before
    assert "collection failed" in err and f"the report in {out} is unchanged" in err and "Traceback" not in err


def test_a_completed_report_replaces_the_earlier_one_and_lists_every_file_it_wrote(tmp_path, stand_ins, capsys):
    out = tmp_path / "reports"
    _earlier_report(out)
    (out / "benchmarks.md").write_text("# not the report's: kept")
    code, _, err = regverify_in_process(*report_args(out), capsys=capsys)
    assert code == 0, err
    files = snapshot(out)
    assert files["benchmarks.md"] == b"# not the report's: kept"
    assert files["index.md"] != EARLIER_REPORT["index.md"].encode()
    index = files["index.md"].decode()
    for name in files:
        if name != "benchmarks.md" and name != "index.md":
            assert name in index, f"index.md does not list {name}"
    assert "whole command" in index
    assert not list(tmp_path.glob(".reports.*")), "no staging or backup folder may be left behind"


# ---------------------------------------------------------------- options validated before anything runs


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["report", "--device", "tpu"], "unknown device 'tpu': expected one of cpu, cuda, mps, xpu"),
        (["report", "--only", "nonexistent"], "--only: unknown family 'nonexistent': expected one of augmentation, "),
        (["report", "--device", "cuda:x"], "the index after ':' must be a number"),
        (["report", "--impl", "no_such_target_xyz"], "cannot import target 'no_such_target_xyz'"),
        (["report", "-n", "many"], "expected auto, logical or a whole number >= 1, got 'many'"),
        (["report", "--profile", "fast"], "invalid choice: 'fast' (choose from 'ci', 'dev', 'thorough'"),
        (["report", "--experiments", "huge"], "invalid choice: 'huge' (choose from 'full', 'small')"),
        (["report", "--case-timeout", "0"], "expected a number of seconds > 0, got '0'"),
        (["mutants", "--family", "nonexistent"], "no defects catalogued for family nonexistent; families: "),
        (["mutants", "--defect", "nonexistent"], "unknown defect(s) nonexistent; catalogued: "),
        (["audit", "--seeds", "0"], "--seeds: expected a whole number >= 1, got 0"),
        (["audit", "--device", "tpu"], "unknown device 'tpu'"),
        (["bench", "--parts", "nope"], "--parts must be from suite, speed, report, thorough, got 'nope'"),
        (["bench", "--device", "tpu"], "unknown device 'tpu'"),
    ],
)
def test_every_option_is_checked_against_what_exists(args, expected, capsys, tmp_path):
    if args[0] != "bench" and "--out" not in args:
        args = [*args, "--out", str(tmp_path / "out")]
    code, out, err = regverify_in_process(*args, capsys=capsys)
    assert code == 2, out + err
    assert expected in " ".join(err.split()), err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_device_that_is_absent_is_an_error_that_says_so(capsys, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the case is a machine without it")
    code, _, err = regverify_in_process("report", "--device", "cuda", "--out", str(tmp_path), capsys=capsys)
    assert code == 2
    assert "--device cuda: CUDA not available on this machine, so no test would run; devices present: cpu" in " ".join(
        err.split())


# ---------------------------------------------------------------- the real suite against faulty targets


@pytest.mark.end_to_end("faulty_targets")
def test_targets_that_raise_hang_or_return_the_wrong_type_are_reported_with_context():
    completed, run = finished("faulty_targets")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    results = {r.target.rsplit(".", 1)[-1]: r for r in read_reportlog(run.reports / "results.jsonl")}
    assert {name: r.outcome for name, r in results.items()} == {
        "raising": "failed", "hanging": "failed", "numpy_returning": "failed"}
    raised = results["raising"].message
    # the exception, where the user's code raised it, the operation and parameters, and a replay line
    assert raised.startswith("RuntimeError: fault injected: the user's helper failed [theory tier; raised in the code "
                             "under test at tests/fault_targets/raising.py:7 (called from tests/fault_targets/raising.py:11)]")
    assert "operation='dropout'" in raised and "dtype='float64'" in raised and "params={'p':" in raised
    assert "\nreplay: python -m pytest " in raised and "--impl tests.fault_targets.raising" in raised
    assert results["numpy_returning"].message.startswith(
        "wrong return type: tests.fault_targets.numpy_returning.dropout returned a numpy.ndarray as its output")
    hung = results["hanging"].message
    assert hung.startswith(f"timed out: this test case ran longer than {FAULTY_CASE_TIMEOUT} s") and "hanging.py:" in hung


def _signal_a_hung_report(name: str, signum: int, exit_code: int, said: str) -> tuple[str, Path]:
    """Sends `signum` to a real report run inside its hanging case: it must exit with `exit_code`, say `said`
    (white space folded) without a traceback, and leave the earlier report as it was. Returns (stderr, reports)."""
    run = started(name)
    hung = run.scratch / "reports.hung"  # the hanging target touches it once its case has started
    deadline = time.monotonic() + 300
    while not hung.exists() and time.monotonic() < deadline and run.process.poll() is None:
        time.sleep(0.05)
    assert hung.exists(), (run.scratch / "stderr").read_text()
    assert next(iter(run.scratch.glob(".reports.staging-*/results.jsonl")), None) is not None, "no staging folder"
    run.process.send_signal(signum)
    code, err = run.process.wait(timeout=120), (run.scratch / "stderr").read_text()
    assert code == exit_code, err
    assert snapshot(run.reports) == {file: text.encode() for file, text in EARLIER_REPORT.items()}
    assert said in " ".join(err.split())
    assert "Traceback" not in err
    return err, run.reports


@pytest.mark.end_to_end("report_sigint")
def test_ctrl_c_during_a_real_report_exits_130_and_keeps_the_earlier_report():
    err, reports = _signal_a_hung_report("report_sigint", signal.SIGINT, 130,
                                         "interrupted (Ctrl-C): the report was not written")
    partial = reports.with_name("reports.partial")
    assert (partial / "results.jsonl").is_file() and f"partial result kept in {partial}" in " ".join(err.split())


@pytest.mark.end_to_end("report_sigterm")
def test_sigterm_during_a_real_report_exits_143_and_keeps_the_earlier_report():
    _signal_a_hung_report("report_sigterm", signal.SIGTERM, 143, "terminated (SIGTERM): the report was not written")


def test_the_cells_not_generated_reach_the_report_as_data():
    absent = [{"property": "test_x", "module": "regverify.conformance.test_dropout", "target": "torch",
               "operation": "dropout", "device": "cuda", "dtype": "float32", "reason": "CUDA not available",
               "claims": ""}]
    run = SuiteRun(0, [result()], absent=absent)
    page = report.family_markdown(run, "dropout")
    assert "| dropout |" in page and "device absent" in page
    assert "1 properties; 1 cells run" in page and "1 cells not generated (1 device absent)" in page
    assert json.loads(json.dumps(absent)) == run.absent
    assert cli._nothing_ran(SuiteRun(5, [], absent=absent), "x").startswith("no test ran (x)")


def test_outside_the_checkout_report_writes_beside_the_user_and_says_where(tmp_path, stand_ins, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = regverify_in_process("report", "--device", "cpu", "--experiments", "small", capsys=capsys)
    assert code == 0, err
    assert f"writing the report to {tmp_path / 'regverify-reports'}" in err
    assert f"report written to {tmp_path / 'regverify-reports'}" in err
    assert (tmp_path / "regverify-reports" / "index.md").is_file()


def test_in_the_checkout_report_says_it_replaces_the_committed_reports(monkeypatch):
    checkout = Path(runner.REPO_ROOT)
    if not (checkout / ".git").exists():
        pytest.skip("not a source checkout")
    monkeypatch.chdir(checkout)
    assert cli.default_out() == checkout / "reports"
    if (checkout / "reports" / "index.md").is_file():
        assert cli._where(checkout / "reports").endswith("the committed reports/ are replaced when this run completes")
