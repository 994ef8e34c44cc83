"""Outputs that are replaced only by a run that completed.

A command writes its output (a report folder, a check report, benchmarks.json) into a staging place
beside the target, on the same file system, and moves it into place only when everything was
written. A run that stops early — Ctrl-C (SIGINT), SIGTERM, an exception, a full disk — leaves the
previous output untouched, keeps what it had written in ``<target>.partial`` and raises
:class:`OutputNotReplaced`, whose message is the one line a person needs: what was lost, what was kept,
where the partial result lies. Its ``exit_code`` is 130 for SIGINT, 143 for SIGTERM and 1 otherwise.

API::

    with atomic_directory(Path("reports"), what="report") as staging:
        (staging / "index.md").write_text(...)        # write every page into `staging`
    # here reports/ holds the new pages; files of reports/ the run did not write are kept,
    # except stale ones matching `owned` patterns (pages an earlier run of the same command wrote)

    atomic_write_text(Path("reports/benchmarks.json"), text)   # one file: temp file + os.replace

    previous = install_termination_handler()   # in the command's main: SIGTERM raises Terminated
    check_writable(Path("reports")) # None or a one-line reason the folder cannot be written

Only whole files are ever replaced, each with os.replace (atomic on POSIX). A folder commit moves its files
one after another in a few milliseconds, index pages last, backing up each file it replaces: if a move fails
(read-only file, full disk) the backups are put back, so the folder is either the old output or the new one.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

PARTIAL_SUFFIX = ".partial"
# Pages a person opens first are moved into place last, so a reader never follows an index to a page
# of the previous run.
LAST_NAMES = ("index.md", "README.md")


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived. A KeyboardInterrupt so that pytest, which stops cleanly on one, stops on it too."""


class OutputNotReplaced(Exception):
    """A run stopped before its output was complete; the previous output is untouched."""

    def __init__(self, message: str, *, exit_code: int, partial: Path | None, cause: BaseException) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.partial = partial
        self.cause = cause


def install_termination_handler() -> object:
    """Make SIGTERM raise :class:`Terminated` in the main thread (a no-op elsewhere); return the previous handler."""

    def handler(signum: int, frame: object) -> None:
        raise Terminated(f"signal {signal.Signals(signum).name}")

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        return None


def restore_termination_handler(previous: object) -> None:
    if previous is not None:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, previous)


def describe_cause(error: BaseException) -> tuple[str, int]:
    """(a few words saying why the run stopped, the exit code a command should return)."""
    if isinstance(error, Terminated):
        return "terminated (SIGTERM)", 143
    if isinstance(error, KeyboardInterrupt):
        return "interrupted (Ctrl-C)", 130
    if isinstance(error, OSError):
        reason = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded", errno.EROFS: "read-only file system",
                  errno.EACCES: "permission denied", errno.EPERM: "permission denied"}.get(error.errno or 0)
        where = f" writing {error.filename}" if error.filename else ""
        return f"{reason or error.strerror or type(error).__name__}{where}", 1
    text = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{type(error).__name__}{': ' + text if text else ''}", 1


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() or p.is_symlink())


def _commit(staging: Path, final: Path, owned: Iterable[str]) -> None:
    """Move the staged files into `final`, all or nothing: each file it replaces (or removes as stale) is first
    moved into a backup folder beside it, and put back if any move fails (a full disk, a read-only file)."""
    final.mkdir(parents=True, exist_ok=True)
    written = _files(staging)
    names = {p.as_posix() for p in written}
    patterns = list(owned)
    stale = [old for old in _files(final) if old.as_posix() not in names
             and any(fnmatch.fnmatch(old.as_posix(), pattern) for pattern in patterns)]
    backup = Path(tempfile.mkdtemp(prefix=f".{final.name}.previous-", dir=final.parent))
    moved: list[tuple[Path, bool]] = []  # (relative path, whether an earlier file was backed up)
    try:
        for old in stale:
            (backup / old).parent.mkdir(parents=True, exist_ok=True)
            os.replace(final / old, backup / old)
            moved.append((old, True))
        for relative in sorted(written, key=lambda p: (p.name in LAST_NAMES, len(p.parts), p.as_posix())):
            target = final / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            had = target.exists()
            if had:
                (backup / relative).parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, backup / relative)
            moved.append((relative, had))
            os.replace(staging / relative, target)
    except BaseException:
        for relative, had in reversed(moved):
            with contextlib.suppress(OSError):
                if (final / relative).exists() and (staging / relative).parent.exists():
                    if not (staging / relative).exists():
                        os.replace(final / relative, staging / relative)  # keep it in the partial result
                if had:
                    os.replace(backup / relative, final / relative)
        shutil.rmtree(backup, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _keep_partial(staging: Path, final: Path) -> Path | None:
    """Move what the run wrote to <final>.partial (replacing an older one); None when it wrote nothing."""
    if not staging.exists():
        return None
    if not _files(staging):
        shutil.rmtree(staging, ignore_errors=True)
        return None
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    try:
        if partial.is_dir():
            shutil.rmtree(partial)
        elif partial.exists():
            partial.unlink()
        os.replace(staging, partial)
    except OSError:
        return staging  # could not rename: the staging folder itself is the partial result
    return partial


@contextlib.contextmanager
def atomic_directory(final: Path, *, what: str = "output", owned: Iterable[str] = ()) -> Iterator[Path]:
    """Yield an empty staging folder beside `final`; move its files into `final` only if the block completes.

    `what` names the output in messages ("report", "check report"). `owned` holds glob patterns, relative to
    `final`, of files this command writes: matching files the new run did not write are removed on commit.
    On any exception (KeyboardInterrupt and SIGTERM included) `final` is left exactly as it was, the staging
    folder becomes ``<final>.partial`` and :class:`OutputNotReplaced` is raised from the cause.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-", dir=final.parent))
    try:
        yield staging
        _commit(staging, final, owned)
        shutil.rmtree(staging, ignore_errors=True)  # only empty folders are left in it
    except BaseException as error:
        if isinstance(error, GeneratorExit):
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if isinstance(error, OutputNotReplaced):  # a nested atomic output already said it
            _keep_partial(staging, final)
            raise
        partial = _keep_partial(staging, final)
        why, code = describe_cause(error)
        kept = f"; partial result kept in {partial}" if partial else "; nothing had been written yet"
        message = f"{why}: the {what} was not written and {final} is unchanged{kept}"
        raise OutputNotReplaced(message, exit_code=code, partial=partial, cause=error) from error


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes, *, what: str | None = None) -> Path:
    """Write `data` to `path` through a temporary file beside it; `path` is either old or complete, never torn."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600): give it the mode the file had, or the one a new file gets.
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask())
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        why, code = describe_cause(error)
        message = f"{why}: {what or path.name} was not written and {path} is unchanged"
        raise OutputNotReplaced(message, exit_code=code, partial=None, cause=error) from error
    return path


def atomic_write_text(path: Path, text: str, *, what: str | None = None) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"), what=what)


def check_writable(folder: Path) -> str | None:
    """None when files can be created in `folder` (made if missing) and beside it; else a one-line reason."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for place in (folder, folder.parent):
            with tempfile.NamedTemporaryFile(dir=place, prefix=".regverify-write-test-"):
                pass
    except OSError as error:
        why, _ = describe_cause(error)
        return f"cannot write to {folder}: {why}; choose another folder with --out"
    return None
