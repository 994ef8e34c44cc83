"""Run the conformance suite through pytest and read its results back from pytest-reportlog.

pytest runs in-process with a small plugin that drives a rich progress bar; results come from
the JSON-lines log that pytest-reportlog writes, never from parsing terminal output.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
from regverify.conformance.plugin import SUITE_DIR  # noqa: E402


class SuiteNotFound(Exception):
    pass


def family_files(names: Iterable[str]) -> list[Path]:
    """Test modules for family names ("dropout" -> tests/test_dropout.py); unknown names are skipped."""
    return [SUITE_DIR / f"test_{name}.py" for name in names if (SUITE_DIR / f"test_{name}.py").is_file()]


@dataclass
class PropertyResult:
    """One test case: a property of one target on one device and dtype."""

    nodeid: str
    outcome: str  # passed | failed | skipped | not-implemented | finding (expected failure that documents a deviation)
    property: str
    module: str
    target: str
    operation: str
    device: str
    dtype: str
    claims: list[str]
    message: str
    duration: float

    @property
    def family(self) -> str:
        return self.module.rsplit(".", 1)[-1].removeprefix("test_")


@dataclass
class SuiteRun:
    exit_code: int
    results: list[PropertyResult] = field(default_factory=list)
    log_path: Path | None = None
    wall_seconds: float = 0.0
    terminal: str = ""

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)


class _Progress:
    """pytest plugin that reports collection size and each finished test to a callback."""

    def __init__(self, on_total, on_done) -> None:
        self.on_total, self.on_done = on_total, on_done

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.on_total(len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        self.on_total(len(ids))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self.on_done(report.nodeid, report.outcome)


def _message(longrepr) -> str:
    if longrepr is None:
        return ""
    if isinstance(longrepr, (list, tuple)):  # skip: (path, line, reason)
        return str(longrepr[-1]).removeprefix("Skipped: ")
    if isinstance(longrepr, dict):
        crash = (longrepr.get("reprcrash") or {}).get("message", "")
        return crash
    return str(longrepr)


def read_reportlog(path: Path) -> list[PropertyResult]:
    """Fold pytest-reportlog's setup/call/teardown records into one result per test."""
    merged: dict[str, dict] = {}
    with path.open() as log:
        for line in log:
            record = json.loads(line)
            if record.get("$report_type") != "TestReport":
                continue
            entry = merged.setdefault(record["nodeid"], {"outcome": "passed", "message": "", "duration": 0.0})
            entry["duration"] += record.get("duration", 0.0) or 0.0
            entry["props"] = dict(record.get("user_properties") or entry.get("props") or {})
            if record["outcome"] == "failed":
                entry["outcome"] = "failed"
                entry["message"] = entry["message"] or _message(record.get("longrepr"))
            elif record.get("wasxfail") is not None and entry["outcome"] != "failed":
                entry["outcome"] = "finding"
                entry["message"] = record["wasxfail"] or _message(record.get("longrepr"))
            elif record["outcome"] == "skipped" and entry["outcome"] != "failed":
                entry["outcome"] = "skipped"
                entry["message"] = _message(record.get("longrepr"))
    results = []
    for nodeid, entry in merged.items():
        props = entry.get("props", {})
        outcome = entry["outcome"]
        if outcome == "skipped" and entry["message"].startswith("not implemented"):
            outcome = "not-implemented"
        results.append(
            PropertyResult(
                nodeid=nodeid,
                outcome=outcome,
                property=props.get("property") or nodeid.split("::")[-1].split("[")[0],
                module=props.get("module") or nodeid.split("::")[0].removesuffix(".py").replace("/", "."),
                target=props.get("target", ""),
                operation=props.get("operation", ""),
                device=props.get("device", ""),
                dtype=props.get("dtype", ""),
                claims=[c for c in props.get("claims", "").split(",") if c],
                message=entry["message"],
                duration=entry["duration"],
            )
        )
    return results


def run_suite(
    log_path: Path,
    *,
    impls: Iterable[str] = (),
    devices: str | None = None,
    profile: str | None = None,
    conformance_only: bool = False,
    workers: str | None = None,
    extra: Iterable[str] = (),
    families: Iterable[Path] = (),
    on_total=lambda total: None,
    on_done=lambda nodeid, outcome: None,
) -> SuiteRun:
    """Run the suite in-process; return its results. Raises SuiteNotFound outside a source checkout."""
    import time

    if not SUITE_DIR.is_dir():
        raise SuiteNotFound(
            f"the conformance suite is not next to the installed package (looked in {SUITE_DIR}); "
            "install regverify from a clone with: pip install -e ."
        )
    selected = [str(p) for p in families if p] or [str(SUITE_DIR)]
    args = [*selected, "-c", str(REPO_ROOT / "pyproject.toml"), "--rootdir", str(REPO_ROOT)]
    args += [f"--report-log={log_path}", "-q", "-rN", "--no-header", "-p", "no:cacheprovider"]
    for spec in impls:
        args += ["--impl", spec]
    if devices:
        args += ["--device", devices]
    if profile:
        args += ["--hypothesis-profile", profile]
    if conformance_only:
        args += ["--conformance-only"]
    if workers:
        args += ["-n", workers]
    args += list(extra)
    captured = io.StringIO()
    start = time.perf_counter()
    cwd = os.getcwd()
    with contextlib.redirect_stdout(captured):
        exit_code = int(pytest.main(args, plugins=[_Progress(on_total, on_done)]))
    os.chdir(cwd)
    wall = time.perf_counter() - start
    results = read_reportlog(log_path) if log_path.exists() else []
    return SuiteRun(exit_code, results, log_path, wall, captured.getvalue())
