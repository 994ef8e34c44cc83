"""The regverify command and the --impl option, as a user runs them.

The three runs of the suite are subprocesses with real exit codes. The checks that stop before any
suite runs (argument errors, help) call the same entry point in-process: a subprocess would spend
~1 s importing torch for each of them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from regverify.cli import main

REPO = Path(__file__).resolve().parent.parent


def regverify(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "regverify.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def regverify_in_process(*args: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's --help
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_accepts_the_minimal_example_module(tmp_path):
    result = regverify("check", "impls.examples.minimal_dropout", "--only", "dropout", "-k", "not standard and (survivors or keep_count or rejects)",
                       "--device", "cpu", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stderr
    assert list(tmp_path.glob("check-*.md")), "check wrote no report"


def test_check_rejects_the_unscaled_example_and_names_the_property(tmp_path):
    result = regverify("check", "impls.examples.unscaled_dropout", "--only", "dropout", "-k", "survivors",
                       "--device", "cpu",
                       "--out", str(tmp_path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED test_dropout_survivors_carry_the_training_scale" in result.stderr
    assert "seed" in result.stderr or "generator(" in result.stderr, "failure should show how to replay it"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "no_such_module_xyz"], "cannot import target 'no_such_module_xyz'"),
        (["check", "impls.examples", "--device", "tpu"], "unknown device 'tpu'"),
        (["report", "--out", "/proc/regverify-cannot-write"], "cannot write reports"),
        (["check", "impls.protocol"], "BACKEND must be one of"),
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


def test_pytest_impl_option_runs_the_suite_against_a_user_module():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_dropout.py", "--impl", "impls.examples.unscaled_dropout",
         "--device", "cpu", "-k", "survivors and float64", "-q", "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_dropout_survivors_carry_the_training_scale" in result.stdout
    assert "regverify: reproduce" in result.stdout


@pytest.mark.parametrize("command", ["report", "check", "claims"])
def test_every_subcommand_help_shows_an_example(command, capsys):
    code, out, _ = regverify_in_process(command, "--help", capsys=capsys)
    assert code == 0
    assert "example:" in out and f"regverify {command}" in out
