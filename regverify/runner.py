"""Run the conformance suite through pytest and read its results back from pytest-reportlog.

pytest runs in-process with a small plugin that drives a rich progress bar; results come from
the JSON-lines log that pytest-reportlog writes, never from parsing terminal output. The suite is
addressed by its installed location (SUITE_DIR, with its own pytest.ini), so a run works the same
from a checkout and from a non-editable install, from any directory.

Cells the suite does not generate (device absent, operation not implemented, capability not
declared) come back as data (:attr:`SuiteRun.absent`), through the file named by REGVERIFY_CELLS_OUT.
Ctrl-C and SIGTERM stop the run: pytest swallows them and returns exit code 2, so the runner notes
the signal and raises it again (KeyboardInterrupt / :class:`regverify.atomic.Terminated`) once pytest
has returned; nothing is written by a caller that did not finish.
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


class SuiteError(Exception):
    """pytest could not run the suite (collection error, usage error, internal error): one-paragraph message."""


#: Families: the suite's test modules (test_<family>.py).
def families() -> list[str]:
    return sorted(p.stem.removeprefix("test_") for p in SUITE_DIR.glob("test_*.py"))


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
    tier: str = ""
    #: Exception type names of a failed case (every leaf of an exception group): AssertionError when a
    #: property's check failed, anything else when the code under test raised (the mutants' "right reason").
    failure_types: tuple[str, ...] = ()

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
    #: Cells not generated: {"property", "module", "target", "operation", "device", "dtype", "reason", "claims"}.
    absent: list[dict] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def executed(self) -> int:
        """Conformance cells (a property of a target) that ran to a verdict: passed, failed or a documented finding.
        The suite's own self-tests, which take no target, do not count: a run that checked no target checked nothing."""
        return sum(1 for r in self.results if r.target and r.outcome in ("passed", "failed", "finding"))

    def properties(self) -> set[tuple[str, str]]:
        """(module, property) pairs among the results and the cells not generated."""
        return {(r.module, r.property) for r in self.results} | {(c["module"], c["property"]) for c in self.absent}


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


_OUR_CODE = (str(SUITE_DIR.parent), str(REPO_ROOT / "impls" / "protocol"), str(REPO_ROOT / "regstats"))
_LIBRARY_MARKERS = ("site-packages", "dist-packages", "/lib/python", "<")


def _is_user_frame(path: str) -> bool:
    """A traceback entry in the code under test: not regverify's suite or protocol, not an installed library."""
    resolved = str(Path(path).resolve()) if path and not path.startswith("<") else path
    return not any(resolved.startswith(prefix) for prefix in _OUR_CODE) and not any(
        marker in resolved for marker in _LIBRARY_MARKERS)


def user_code_location(longrepr) -> str:
    """'file:line' of the deepest traceback entry in the code under test ('' when the failure is not in it),
    with the entry regverify called when that differs ('helpers.py:4 (called from mymod.py:7)')."""
    if not isinstance(longrepr, dict):
        return ""
    entries = ((longrepr.get("reprtraceback") or {}).get("reprentries")) or []
    places = []
    for entry in entries:
        location = (entry.get("data") or {}).get("reprfileloc") or {}
        if location.get("path") and _is_user_frame(location["path"]):
            places.append(f"{location['path']}:{location['lineno']}")
    if not places:
        return ""
    return places[-1] if places[0] == places[-1] else f"{places[-1]} (called from {places[0]})"


def _message(longrepr) -> str:
    if longrepr is None:
        return ""
    if isinstance(longrepr, (list, tuple)):  # skip: (path, line, reason)
        return str(longrepr[-1]).removeprefix("Skipped: ")
    if isinstance(longrepr, dict):
        crash = (longrepr.get("reprcrash") or {}).get("message", "")
        where = user_code_location(longrepr)
        first, _, rest = crash.partition("\n")
        if first.startswith("AssertionError"):
            return crash  # a property that failed: its message already says what, expected and how to replay
        # An exception, not a failed property: name it, say where the code under test raised it and with what.
        if "WrongReturnType: " in first:
            first = "wrong return type: " + first.split("WrongReturnType: ", 1)[1]
        first = first.removeprefix("regverify.watchdog.CaseTimedOut: ")
        summary = first + (f" [raised in the code under test at {where}]" if where else "")
        parameters = failing_parameters(rest)
        if parameters:
            summary += f" with {parameters}"
        return summary + (f"\n{rest}" if rest else "")
    return str(longrepr)


def _replay(record: dict) -> str:
    for title, content in record.get("sections") or []:
        if title.endswith("regverify: reproduce"):
            return content.strip()
    return ""


def read_reportlog(path: Path) -> list[PropertyResult]:
    """Fold pytest-reportlog's setup/call/teardown records into one result per test."""
    merged: dict[str, dict] = {}
    with path.open() as log:
        for line in log:
            record = json.loads(line)
            if record.get("$report_type") != "TestReport":
                continue
            entry = merged.setdefault(record["nodeid"], {"outcome": "passed", "message": "", "duration": 0.0,
                                                         "replay": ""})
            entry["duration"] += record.get("duration", 0.0) or 0.0
            entry["props"] = dict(record.get("user_properties") or entry.get("props") or {})
            if record["outcome"] == "failed":
                entry["outcome"] = "failed"
                entry["message"] = entry["message"] or _message(record.get("longrepr"))
                entry["replay"] = entry["replay"] or _replay(record)
                failures = dict(record.get("user_properties") or {}).get("failures")
                if failures and not entry.get("failure_types"):
                    entry["failure_types"] = tuple(f.get("type", "") for f in json.loads(failures))
            elif record.get("wasxfail") is not None and record["outcome"] == "skipped" and entry["outcome"] != "failed":
                entry["outcome"] = "finding"
                entry["message"] = record["wasxfail"] or _message(record.get("longrepr"))
            elif record.get("wasxfail") is not None and entry["outcome"] != "failed":
                # A finding declared for this cell that did not show here (a non-strict XPASS): the cell passed.
                entry["message"] = f"passed: the declared finding did not show in this cell ({record['wasxfail']})"
            elif record["outcome"] == "skipped" and entry["outcome"] != "failed":
                entry["outcome"] = "skipped"
                entry["message"] = _message(record.get("longrepr"))
    results = []
    for nodeid, entry in merged.items():
        props = entry.get("props", {})
        outcome = entry["outcome"]
        if outcome == "skipped" and entry["message"].startswith("not implemented"):
            outcome = "not-implemented"
        message = entry["message"]
        if props.get("tier") and " [raised in the code under test at " in message:
            message = message.replace(" [raised in the code under test at ", f" [{props['tier']} tier; raised in the code "
                                      "under test at ", 1)
        if entry["replay"] and "Replay:" not in message and "replay:" not in message:
            message += f"\nreplay: {entry['replay']}"
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
                message=message,
                duration=entry["duration"],
                tier=props.get("tier", ""),
                failure_types=entry.get("failure_types", ()),
            )
        )
    return results




_EXAMPLE_HEADERS = ("Falsifying example:", "Failing test case:")


def failing_parameters(message: str) -> str:
    """The arguments of Hypothesis' failing example in `message`, on one line ('' when there is none)."""
    for header in _EXAMPLE_HEADERS:
        if header in message:
            call = message.split(header, 1)[1]
            body = call.split("(", 1)[1] if "(" in call else call
            lines = []
            for line in body.splitlines():
                if line.strip() == ")":
                    break
                lines.append(line.split("  # ")[0].strip())
            text = " ".join(part for part in lines if part and not part.startswith("target="))
            return text.rstrip(",")
    return ""


class _Signals:
    """While pytest runs: note SIGINT/SIGTERM (pytest turns both into a clean stop) so they can be raised again."""

    def __init__(self) -> None:
        self.received: BaseException | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _Signals:
        import signal

        from regverify.atomic import Terminated

        def on_interrupt(signum, frame) -> None:
            self.received = self.received or KeyboardInterrupt()
            raise KeyboardInterrupt

        def on_terminate(signum, frame) -> None:
            self.received = self.received or Terminated("signal SIGTERM")
            raise Terminated("signal SIGTERM")

        try:
            self._previous[signal.SIGINT] = signal.signal(signal.SIGINT, on_interrupt)
            self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, on_terminate)
        except ValueError:  # not the main thread: signals stay as they are
            self._previous.clear()
        return self

    def __exit__(self, *exc_info) -> None:
        import signal

        for number, handler in self._previous.items():
            signal.signal(number, handler)


def suite_arguments(
    log_path: Path,
    *,
    impls: Iterable[str] = (),
    devices: str | None = None,
    profile: str | None = None,
    conformance_only: bool = False,
    workers: str | None = None,
    extra: Iterable[str] = (),
    families: Iterable[Path] = (),
) -> list[str]:
    """pytest's arguments for one run of the shipped suite: its own pytest.ini and rootdir, wherever it is installed."""
    from regverify.conformance.plugin import profile_name

    selected = [str(p) for p in families if p] or [str(SUITE_DIR)]
    args = [*selected, "-c", str(SUITE_DIR / "pytest.ini"), "--rootdir", str(SUITE_DIR)]
    args += [f"--report-log={log_path}", "-q", "-rN", "--no-header", "-p", "no:cacheprovider", "-p", "regverify.watchdog"]
    for spec in impls:
        args += ["--impl", spec]
    if devices:
        args += ["--device", devices]
    if profile:
        args += ["--hypothesis-profile", profile_name(profile)]
    if conformance_only:
        args += ["--conformance-only"]
    if workers:
        args += ["-n", str(workers)]
    return args + list(extra)


def run_suite(
    log_path: Path,
    *,
    case_timeout: float | None = None,
    on_total=lambda total: None,
    on_done=lambda nodeid, outcome: None,
    **selection,
) -> SuiteRun:
    """Run the suite in-process on `selection` (the keywords of :func:`suite_arguments`); return its results.

    Raises KeyboardInterrupt (or regverify.atomic.Terminated) when the run was stopped by a signal,
    SuiteNotFound when the suite is not installed, SuiteError when pytest could not run it (exit 2-4).
    An exit code of 0, 1 or 5 (no test collected) comes back in the SuiteRun: the caller decides.
    """
    import time

    from regverify import watchdog

    if not SUITE_DIR.is_dir():
        raise SuiteNotFound(
            f"the conformance suite is not next to the installed package (looked in {SUITE_DIR}); "
            "reinstall regverify: pip install regverify"
        )
    args = suite_arguments(log_path, **selection)
    import tempfile

    descriptor, cells_name = tempfile.mkstemp(prefix="regverify-cells-", suffix=".json")
    os.close(descriptor)
    cells_path = Path(cells_name)
    cells_path.unlink()  # the plugin writes it at collection end; absent when collection never finished
    saved = {name: os.environ.get(name) for name in ("REGVERIFY_CELLS_OUT", watchdog.VARIABLE)}
    os.environ["REGVERIFY_CELLS_OUT"] = str(cells_path)
    if case_timeout:
        os.environ[watchdog.VARIABLE] = str(case_timeout)
    captured = io.StringIO()
    start = time.perf_counter()
    cwd = os.getcwd()
    try:
        with _Signals() as signals, contextlib.redirect_stdout(captured):
            exit_code = int(pytest.main(args, plugins=[_Progress(on_total, on_done)]))
    finally:
        os.chdir(cwd)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    absent = json.loads(cells_path.read_text()) if cells_path.exists() else []
    cells_path.unlink(missing_ok=True)
    if signals.received is not None:
        raise signals.received
    wall = time.perf_counter() - start
    terminal = captured.getvalue()
    if exit_code in (2, 3, 4):
        what = {2: "collection failed", 3: "pytest internal error", 4: "usage error"}[exit_code]
        tail = "\n".join(line for line in terminal.strip().splitlines()[-25:])
        raise SuiteError(f"the suite could not run ({what}, pytest exit {exit_code}):\n{tail}")
    results = read_reportlog(log_path) if log_path.exists() else []
    return SuiteRun(exit_code, results, log_path, wall, terminal, absent)
