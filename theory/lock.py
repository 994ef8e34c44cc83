"""Reviewed verdicts: the verdict of every claim at each experiment size, committed in a lock file.

The evidence computes every verdict; the lock records the verdict a person reviewed. A computed verdict
that differs from the lock fails tests/test_ledger.py with a diff naming the claim, both verdicts and
the evidence's summary (why); `regverify claims --accept` writes the computed verdicts into the lock
after review. Nothing here decides a verdict: the lock only makes every change visible.

Sizes: the verdict of an empirical claim depends on the experiment size ("small": seconds, the test
suite's default; "full": the decisive run of `regverify report`); every other verdict is the same at
both sizes. The lock holds one table per size.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from theory import ledger

SIZES = ("small", "full")
BUILTIN_LOCK = Path(__file__).with_name("verdicts.lock.json")


def lock_path() -> Path:
    """The lock of the ledger in use: theory/verdicts.lock.json, or verdicts.lock.json beside a lecturer's
    own claims module (theory.ledger.use_claims_module)."""
    modules = ledger._MODULES
    if len(modules) == 1 and not modules[0].startswith("theory.claims."):
        module = sys.modules.get(modules[0])
        if module is not None and getattr(module, "__file__", None):
            return Path(module.__file__).with_name("verdicts.lock.json")
    return BUILTIN_LOCK


@dataclass(frozen=True)
class Change:
    claim: str
    locked: str | None  # None: the claim is new (not in the lock)
    computed: str | None  # None: the claim is gone from the ledger
    why: str

    def line(self) -> str:
        was = self.locked or "(not in the lock)"
        now = self.computed or "(no longer in the ledger)"
        return f"{self.claim}: {was} -> {now}" + (f" — {self.why}" if self.why else "")


@contextmanager
def experiment_size(size: str):
    """Evaluate the ledger at `size` inside the block (restores the previous size and the cache after)."""
    if size not in SIZES:
        raise ValueError(f"experiment size must be one of {SIZES}, got {size!r}")
    previous = os.environ.get(ledger.SIZE_VARIABLE)
    os.environ[ledger.SIZE_VARIABLE] = size
    ledger._run.cache_clear()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ledger.SIZE_VARIABLE, None)
        else:
            os.environ[ledger.SIZE_VARIABLE] = previous
        ledger._run.cache_clear()


def current_size() -> str:
    """The experiment size the ledger evaluates at now (REGVERIFY_EXPERIMENT_SIZE, default small)."""
    return ledger.experiment_size()


def computed_verdicts() -> dict[str, tuple[str, str]]:
    """{claim id: (verdict, summary)} at the current experiment size."""
    return {c.id: (e.verdict.value, e.summary) for c, e in ((c, c.evaluate()) for c in ledger.all_claims())}


def read_lock(path: Path | None = None) -> dict[str, dict[str, str]]:
    path = path or lock_path()
    if not path.is_file():
        return {size: {} for size in SIZES}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {size: dict(data.get("verdicts", {}).get(size, {})) for size in SIZES}


def changes(size: str, computed: dict[str, tuple[str, str]], path: Path | None = None) -> list[Change]:
    """Every difference between the lock at `size` and the computed verdicts, in ledger order."""
    locked = read_lock(path)[size]
    found = [Change(cid, locked.get(cid), verdict, summary) for cid, (verdict, summary) in computed.items()
             if locked.get(cid) != verdict]
    found += [Change(cid, verdict, None, "") for cid, verdict in locked.items() if cid not in computed]
    return found


def _size_dependent_ids() -> set[str]:
    return {c.id for c in ledger.all_claims() if c.evaluate().method == "experiment" and "size" in c.evaluate().numbers}


def accept(size: str, computed: dict[str, tuple[str, str]], path: Path | None = None,
           size_dependent: set[str] | None = None) -> Path:
    """Write the computed verdicts at `size` into the lock (the other size's table is kept)."""
    path = path or lock_path()
    tables = read_lock(path)
    tables[size] = {cid: verdict for cid, (verdict, _) in computed.items()}
    # A verdict that does not depend on the experiment size is the same at every size: record it there too
    # (an empirical claim's verdict is recorded only at the size it was computed at).
    dependent = set(size_dependent) if size_dependent is not None else _size_dependent_ids()
    for other in SIZES:
        if other != size and tables[other]:
            tables[other].update({cid: v for cid, (v, _) in computed.items() if cid not in dependent})
        elif other != size:
            tables[other] = {cid: v for cid, (v, _) in computed.items() if cid not in dependent}
    document = {
        "about": "Reviewed verdicts of the claim ledger per experiment size. Written by `regverify claims "
        "--accept [--experiments SIZE]` after reviewing the diff; tests/test_ledger.py fails when a computed "
        "verdict differs. Do not edit by hand.",
        "verdicts": {s: dict(sorted(tables[s].items())) for s in SIZES if tables[s]},
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def describe(size: str, found: list[Change]) -> str:
    if not found:
        return f"every computed verdict at size {size} matches the reviewed lock"
    lines = [f"{len(found)} verdict(s) at experiment size {size} differ from the reviewed lock {lock_path()}:"]
    lines += [f"  {c.line()}" for c in found]
    lines.append(f"Review the evidence (regverify claims ID --experiments {size}); if the change is right, accept it "
                 f"with: regverify claims --accept --experiments {size}")
    return "\n".join(lines)
