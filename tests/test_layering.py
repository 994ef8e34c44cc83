"""The top-level packages are layered: regstats (statistics, numpy/scipy only) ← theory, impls ← regverify.

An AST scan of every import (module level or inside a function) keeps the graph acyclic, so the ledger
and the references never reach back into the command layer, and the statistics core stays a leaf.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("regstats", "theory", "impls", "regverify")
#: What each package may import from the others.
ALLOWED = {"regstats": set(), "theory": {"regstats"}, "impls": {"regstats"}, "regverify": {"regstats", "theory", "impls"}}
#: Third-party imports the leaf statistics core may use.
LEAF_THIRD_PARTY = {"numpy", "scipy"}


def _imports(package: str) -> dict[str, set[str]]:
    """Top-level module names imported, per file of `package`."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_no_package_imports_a_layer_above_it():
    wrong = [f"{path} imports {sorted(names & set(PACKAGES) - ALLOWED[package] - {package})}"
             for package in PACKAGES for path, names in _imports(package).items()
             if names & set(PACKAGES) - ALLOWED[package] - {package}]
    assert not wrong, "imports against the layering regstats ← theory, impls ← regverify:\n" + "\n".join(wrong)


def test_the_statistics_core_uses_only_numpy_and_scipy():
    import sys

    stdlib = set(sys.stdlib_module_names)
    wrong = [f"{path}: {sorted(names - stdlib - LEAF_THIRD_PARTY - {'regstats', '__future__'})}"
             for path, names in _imports("regstats").items()
             if names - stdlib - LEAF_THIRD_PARTY - {"regstats", "__future__"}]
    assert not wrong, "regstats must stay a leaf (numpy, scipy, the standard library): " + "; ".join(wrong)
