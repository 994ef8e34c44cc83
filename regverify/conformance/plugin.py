"""The conformance suite's pytest plugin: targets (--impl), devices (--device), profiles, claims, replay.

Loaded by the suite's own conftest.py (as array-api-tests does), never through an entry point, so
it acts only when regverify's suite is collected: another project in the same environment keeps
its fixtures, its Hypothesis profiles and its example counts. Session-wide hooks touch only items
whose file lies in this directory. A test asks for what it needs by argument name:

- ``target``: a :class:`impls.protocol.Target`; tests marked ``@pytest.mark.operation("dropout")``
  get no cell for a target that lacks the operation, and ``@pytest.mark.requires(...)`` names
  the capabilities a cell needs (see :data:`CAPABILITIES`); a cell that cannot run is recorded
  in the conformance matrix as data ("not implemented", "device absent", "not declared");
- ``device``: "cpu", "cuda", ...; a numpy target only runs on "cpu";
- ``dtype``: a dtype name the target supports, optionally narrowed by ``@pytest.mark.dtypes(...)``.

``@pytest.mark.claims("ID", ...)`` ties a property to ledger claims; unknown IDs stop collection.

Over 400 lines: the one place pytest meets the suite (options, cell generation, seeds, replay, records of
failures and of cells not generated); split it and the hooks would have to share private state.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.errors import InvalidArgument

from regstats import budget

#: Examples per cell in the per-change profiles (ci, dev, check). Every cell (target × operation × device ×
#: dtype) draws its own, so a property of ~18 cells sees ~200 examples in one ci run; nightly runs take
#: THOROUGH_EXAMPLES.
CI_EXAMPLES = 10
THOROUGH_EXAMPLES = 120

_PROFILE_SETTINGS = dict(deadline=None, print_blob=True,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])
#: Where the scheduled profile keeps the examples that failed, so the next scheduled run replays them first.
SCHEDULED_DATABASE = os.environ.get("REGVERIFY_EXAMPLE_DB", os.path.join(".hypothesis", "regverify-scheduled"))
#: The suite's Hypothesis profiles: own names, so a project that registers "ci" keeps its own.
#: The per-change profiles (ci, dev, check) do not shrink: shrinking re-runs the property tens of times (half of a
#: buggy homework file's check time; a library's 100-odd documented findings, whose first failing example is the
#: evidence, took a report from 27 s to 200 s of Keras cells). A derandomized failure reruns from its replay line, a
#: dev one from the @reproduce_failure blob it prints. The long profiles (thorough, scheduled) shrink to a minimal
#: example.
_NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
PROFILES = {
    "regverify-ci": settings(max_examples=CI_EXAMPLES, derandomize=True, database=None, phases=_NO_SHRINK,
                             **_PROFILE_SETTINGS),
    "regverify-dev": settings(max_examples=CI_EXAMPLES, phases=_NO_SHRINK, **_PROFILE_SETTINGS),
    "regverify-thorough": settings(max_examples=THOROUGH_EXAMPLES, **_PROFILE_SETTINGS),
    # Nightly or weekly runs: fresh random examples every run (not derandomized), thorough's size, and a persisted
    # example database, so a failure found once is replayed first by every later run until it is fixed.
    "regverify-scheduled": settings(max_examples=THOROUGH_EXAMPLES, derandomize=False,
                                    database=DirectoryBasedExampleDatabase(SCHEDULED_DATABASE), **_PROFILE_SETTINGS),
    # `regverify check`'s default: regverify-ci's examples (`regverify check --profile thorough` shrinks a failure).
    "regverify-check": settings(max_examples=CI_EXAMPLES, derandomize=True, database=None, phases=_NO_SHRINK,
                                **_PROFILE_SETTINGS),
}
for _name, _profile in PROFILES.items():
    settings.register_profile(_name, _profile)


def per_cell_examples(n: int) -> settings:
    """Settings for a property that needs fewer examples per cell than the profile gives: `n` in the per-change
    profiles, and as many times more as the active profile gives beyond them (thorough, scheduled: 12 n). Read
    at import, after pytest_configure has loaded the profile."""
    return settings(max_examples=max(1, round(n * settings.default.max_examples / CI_EXAMPLES)))


#: Examples per test relative to the default profiles; the false-failure budget is split over them.
PROFILE_MULTIPLIER = {"regverify-ci": 1.0, "regverify-dev": 1.0, "regverify-thorough": THOROUGH_EXAMPLES / CI_EXAMPLES,
                      "regverify-check": 1.0, "regverify-scheduled": THOROUGH_EXAMPLES / CI_EXAMPLES}
#: Profiles whose examples are a function of the cell alone: each cell gets its own seed.
DERANDOMIZED_PROFILES = ("regverify-ci", "regverify-check")

KNOWN_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu")
SUITE_DIR = Path(__file__).resolve().parent


def profile_name(short: str) -> str:
    """'ci' -> 'regverify-ci'; full names pass through."""
    return (short if short.startswith("regverify-") or short not in ("ci", "dev", "thorough", "scheduled")
            else f"regverify-{short}")


def add_full_option(parser: pytest.Parser) -> None:
    """``--full``: the per-change suite plus what CI adds to it: the cells of PyTorch's built-ins and of every
    library target installed here (keras, kornia, ...), and the meta-tests marked ``full``, which re-derive the
    checker's own guarantees at full size. Both conftests declare it, since either directory can be run alone;
    the second declaration is a no-op."""
    try:
        parser.addoption("--full", action="store_true", default=False,
                         help="also check PyTorch's built-ins (torch-native) and every library target installed, and "
                              "run the meta-tests marked full (CI runs this)")
    except ValueError:  # declared already by the other conftest
        pass


def pytest_addoption(parser: pytest.Parser) -> None:
    add_full_option(parser)
    group = parser.getgroup("regverify", "regverify conformance suite")
    group.addoption(
        "--impl",
        action="append",
        default=None,
        metavar="MODULE",
        help="target to check: numpy, torch, torch-native, keras, kornia, torchvision, timm, a dotted module path or "
        "a file path (repeatable; default: $REGVERIFY_IMPL, else numpy and torch, and under --full also torch-native "
        "and every library installed)",
    )
    group.addoption(
        "--device",
        default=None,
        metavar="LIST",
        help="comma-separated devices for torch targets, e.g. cpu,cuda (default: cpu, and cuda where present)",
    )
    group.addoption(
        "--audit-seeds",
        type=int,
        default=0,
        metavar="N",
        help="flake audit (regverify audit): run every cell that makes random checks under N seeds in this one "
        "session, each cell-and-seed its own Hypothesis seed, and record the seeds that fail (default 0: off)",
    )
    group.addoption("--audit-first-seed", type=int, default=1, metavar="S", help="the audit's first seed (default 1)")
    group.addoption(
        "--conformance-only",
        action="store_true",
        default=False,
        help="run only the properties that check a target (not the ledger and toolkit self-tests)",
    )


def per_change_run(config: pytest.Config) -> bool:
    """A plain `pytest`: no --full, no target named. It checks the references in PER_CHANGE_DTYPES only."""
    return not (config.getoption("full", False) or config.getoption("impl") or os.environ.get("REGVERIFY_IMPL"))


def target_specs(config: pytest.Config) -> list[str]:
    """What the run checks: --impl, else $REGVERIFY_IMPL, else the per-change targets (under --full: the built-in
    targets and every library target installed)."""
    specs = config.getoption("impl") or []
    if not specs and os.environ.get("REGVERIFY_IMPL"):
        specs = [s for s in os.environ["REGVERIFY_IMPL"].split(",") if s]
    if not specs:
        from impls.protocol.target import DEFAULT_TARGETS, PER_CHANGE_TARGETS, installed_library_targets

        specs = ([*DEFAULT_TARGETS, *installed_library_targets()] if config.getoption("full", False)
                 else list(PER_CHANGE_TARGETS))
    return specs


def _selected_targets(config: pytest.Config) -> list:
    from impls.protocol import TargetLoadError, load_target

    specs = target_specs(config)
    try:
        return [load_target(spec) for spec in specs]
    except TargetLoadError as error:
        raise pytest.UsageError(str(error)) from None


def _selected_devices(config: pytest.Config) -> tuple[list[str], bool]:
    """The devices asked for, and whether the user named them (an absent named device is an error)."""
    raw = config.getoption("device")
    devices = [d.strip() for d in raw.split(",") if d.strip()] if raw else ["cpu", "cuda"]
    for device in devices:
        if device.split(":")[0] not in KNOWN_DEVICE_TYPES:
            raise pytest.UsageError(f"--device: unknown device {device!r}; expected one of {', '.join(KNOWN_DEVICE_TYPES)}")
    return devices, bool(raw)


def device_unavailable_reason(device: str) -> str | None:
    import torch

    kind = device.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_available():
        return "CUDA not available"
    if kind == "cuda" and ":" in device and int(device.split(":")[1]) >= torch.cuda.device_count():
        return f"{device} not present ({torch.cuda.device_count()} CUDA devices)"
    if kind == "mps" and not torch.backends.mps.is_available():
        return "MPS not available"
    if kind == "xpu" and not (hasattr(torch, "xpu") and torch.xpu.is_available()):
        return "XPU not available"
    return None


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


#: What ``@pytest.mark.requires(...)`` can name: capability -> (has it?, what the matrix says when not).
CAPABILITIES = {
    "backward": (lambda target, operation: target.has_backward(operation), "not implemented: {operation}_backward"),
    "torch": (lambda target, operation: target.backend == "torch", "not applicable: needs a torch target"),
    "error_contract": (lambda target, operation: bool(getattr(target.module, "ERROR_CONTRACT", False)),
                       "not declared: ERROR_CONTRACT"),
    "torch_native": (lambda target, operation: target.name == "torch-native",
                     "not applicable: checks PyTorch's own modules through the torch-native target"),
    "declares_conventions": (lambda target, operation: target.declared_conventions(operation) is not None,
                             "not declared: conventions"),
    # PyTorch's affine=False / bias=False: gamma and beta may be None (impls.protocol.normalization).
    "optional_affine": (lambda target, operation: operation in getattr(target.module, "OPTIONAL_AFFINE", ()),
                        "not declared: OPTIONAL_AFFINE (gamma/beta may be None)"),
    # A convention may leave backward after an eval-mode forward undefined (CS231n's batch norm): EVAL_BACKWARD
    # lists the operations whose eval-mode backward it defines; without the attribute, all of them.
    "eval_backward": (lambda target, operation: operation in getattr(target.module, "EVAL_BACKWARD", (operation,)),
                      "not defined by the convention: backward after an eval-mode forward"),
    # CS231n's keep probability lives in (0, 1]: drop probability 1 (keep 0) is outside the convention.
    "p_one_defined": (lambda target, operation: getattr(target.module, "DEFINES_P_ONE", True),
                      "not defined by the convention: p = 1 (keep probability 0)"),
}


def lacking(target, operation: str | None, device: str | None, requirements: tuple[str, ...]) -> str | None:
    """Why this target cannot run a cell with these requirements, or None."""
    for requirement in requirements:
        kind, _, argument = requirement.partition(":")
        if kind == "device":
            if (device or "cpu").split(":")[0] != argument:
                return f"not applicable: runs on {argument} only"
        elif kind == "implements":
            if not target.implements(argument):
                return f"not implemented: {argument}"
        elif kind == "module":
            if not _module_available(argument):
                return f"not installed: {argument}"
        elif kind == "convention":
            # "convention:OPERATION.NAME=VALUE": the property checks that value's rule (usually PyTorch's);
            # a target declaring another is checked under its own by test_conventions.py instead.
            reason = _convention_lacking(target, argument)
            if reason:
                return reason
        elif kind in CAPABILITIES:
            has, reason = CAPABILITIES[kind]
            if not has(target, operation):
                return reason.format(operation=operation)
        else:
            raise pytest.UsageError(f"@pytest.mark.requires: unknown requirement {requirement!r}")
    return None


def _convention_lacking(target, argument: str) -> str | None:
    from impls.protocol import conventions

    named, _, value = argument.partition("=")
    operation, _, name = named.rpartition(".")
    if operation not in conventions.CONVENTIONS or name not in conventions.CONVENTIONS[operation] or not value:
        raise pytest.UsageError(f"@pytest.mark.requires: unknown convention {argument!r} "
                                "(expected convention:OPERATION.NAME=VALUE from impls/protocol/conventions.py)")
    declared = conventions.declared(target, operation, name)
    if value in declared:
        return None
    return f"not applicable: declares {operation}.{name}={'/'.join(declared)} (checked in test_conventions)"


def _finding_patterns(target) -> list[tuple[str, str]]:
    """A library target's FINDINGS keyed by a cell pattern ("property[target-operation-device-dtype]", `*` any run of
    characters): those cells fail for a reason the target documents, and are expected failures (strict)."""
    from impls.protocol.target import LIBRARY_TARGETS

    # Adapters to real libraries only (PyTorch's built-ins, Keras, ...): a user's module cannot excuse its own failures.
    if target is None or (target.name not in LIBRARY_TARGETS and target.name != "torch-native"):
        return []
    return [(key, text) for key, text in target.findings().items() if key.startswith("test_")]


def _matches(pattern: str, name: str) -> bool:
    import re

    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), name) is not None


def _mark_findings(item: pytest.Item) -> None:
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("target") if callspec is not None else None
    # Strict where the call is fixed (a parametrized cell: a fixed library then passes unexpectedly, and the run
    # fails saying so). A Hypothesis property's examples depend on the profile and its seed, so a finding that needs
    # a particular drawn value may not be drawn in every run: there an unexpected pass is reported (XPASS), not failed.
    strict = not getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
    for pattern, text in _finding_patterns(target):
        if _matches(pattern, item.name):
            item.add_marker(pytest.mark.xfail(strict=strict, reason=f"FINDING: {target.name}: {text}"))
            return


def _in_suite(path) -> bool:
    return Path(str(path)).resolve().is_relative_to(SUITE_DIR)


MARKERS = (
    "claims(*ids): ledger claim IDs the property rests on",
    "operation(*names): protocol operations the property exercises",
    "dtypes(*names): restrict the dtype parametrization",
    "requires(*capabilities): a cell is generated only for targets that have them",
    "spec_cases(field): one cell per operation whose spec has field (and per entry)",
    "tier(name): theory (default), edge or contract",
    "full: a meta-test that re-derives a guarantee of the checker at full size; runs under --full (CI), not per change",
)


def register_markers(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def load_suite_profile(config: pytest.Config) -> str:
    """Load the suite's profile (--hypothesis-profile, else regverify-ci under CI=true, else regverify-dev) and
    return its name. The meta-tests' conftest calls it too: they import the suite's properties, whose settings are
    fixed when their module is imported, so the profile must be loaded first even in a run of tests/ alone."""
    profile = config.getoption("hypothesis_profile", default=None)
    name = profile or ("regverify-ci" if os.environ.get("CI", "").lower() == "true" else "regverify-dev")
    try:
        settings.get_profile(name)
    except InvalidArgument:
        raise pytest.UsageError(f"--hypothesis-profile: unknown profile {profile!r}; expected one of "
                                f"{', '.join(PROFILE_MULTIPLIER)}") from None
    if not profile:
        settings.load_profile(name)
    return name


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    import gc

    # Collection imports the libraries, evaluates the ledger and builds every item: nearly all of it lives to the
    # end of the session, so the cyclic collector would only re-scan it (2 s of a run, for ~10 MB it could free).
    # It is back on, with all of that frozen, when collection ends (pytest_collection_finish).
    gc.disable()
    register_markers(config)
    config._regverify_targets = None  # loaded lazily: only suites that ask for `target` need them
    config._regverify_devices, config._regverify_devices_named = _selected_devices(config)
    config._regverify_absent = []  # cells not generated, as conformance-matrix data
    config._regverify_profile = load_suite_profile(config)
    if config._regverify_profile in DERANDOMIZED_PROFILES and config.getoption("hypothesis_seed", None) is None:
        # Each cell runs under its own @seed (pytest_runtest_call), which Hypothesis honours before this one.
        # A forced seed (Hypothesis' documented --hypothesis-seed) also spares it the source digest it would
        # otherwise compute on every call for an example database that these profiles do not have.
        config.option.hypothesis_seed = "0"
    # The allocation was counted on the CPU; each further available device adds at most as many cells, and each
    # audit seed is one more run of the random cells.
    devices = [d for d in config._regverify_devices if device_unavailable_reason(d) is None]
    config._regverify_audit_seeds = config.getoption("audit_seeds", 0) or 0
    if config._regverify_audit_seeds < 0:
        raise pytest.UsageError(f"--audit-seeds: expected a whole number >= 0, got {config._regverify_audit_seeds}")
    budget.reset(PROFILE_MULTIPLIER.get(config._regverify_profile, 1.0) * max(1, len(devices)),
                 runs=max(1, config._regverify_audit_seeds))


def _targets(config: pytest.Config) -> list:
    if config._regverify_targets is None:
        config._regverify_targets = _selected_targets(config)
    return config._regverify_targets


def _absent(metafunc: pytest.Metafunc, target, operation, device, dtype, reason: str) -> None:
    metafunc.config._regverify_absent.append({
        "property": metafunc.definition.originalname if hasattr(metafunc.definition, "originalname")
        else metafunc.function.__name__,
        "module": metafunc.module.__name__, "target": target.name, "operation": operation or "",
        "device": device or "cpu", "dtype": dtype or "", "reason": reason,
        "claims": ",".join(cid for m in metafunc.definition.iter_markers("claims") for cid in m.args),
    })


def spec_operations(field: str) -> list[str]:
    """Operations whose spec has `field` (a non-empty table or a callable)."""
    from impls.protocol import OPERATIONS

    return [name for name, operation in OPERATIONS.items() if getattr(operation, field)]


def _operations_and_cases(metafunc: pytest.Metafunc) -> list[tuple[str | None, list]]:
    """(operation, its cases) for each operation the property runs on; cases [None] when it has no case axis.

    ``@pytest.mark.operation(*names)`` names them; ``@pytest.mark.spec_cases(field)`` takes every operation
    whose spec has `field`, and, when the property asks for ``case``, one cell per entry of that table.
    """
    from impls.protocol import OPERATIONS

    spec_marker = metafunc.definition.get_closest_marker("spec_cases")
    if spec_marker:
        field = spec_marker.args[0]
        with_cases = "case" in metafunc.fixturenames
        return [(name, list(getattr(OPERATIONS[name], field)) if with_cases else [None])
                for name in spec_operations(field)]
    operation_marker = metafunc.definition.get_closest_marker("operation")
    return [(name, [None]) for name in (operation_marker.args if operation_marker else [None])]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize target × operation × case × device × dtype with only the cells that can run; the rest are data."""
    if "target" not in metafunc.fixturenames:
        return
    operations = _operations_and_cases(metafunc)
    dtype_marker = metafunc.definition.get_closest_marker("dtypes")
    requirements = tuple(r for m in metafunc.definition.iter_markers("requires") for r in m.args)
    wanted = [name for name in ("operation", "case", "device", "dtype") if name in metafunc.fixturenames]
    from impls.protocol.target import PER_CHANGE_DTYPES

    per_change = per_change_run(metafunc.config)
    params = []
    for target in _targets(metafunc.config):
        for operation, cases in operations:
            devices = [d for d in metafunc.config._regverify_devices if target.runs_on(d)]
            dtypes = list(target.dtypes())
            if dtype_marker:
                dtypes = [d for d in dtypes if d in dtype_marker.args]
            for device in (devices if "device" in wanted else [None]):
                missing = (f"not implemented: {operation}" if operation and not target.implements(operation)
                           else lacking(target, operation, device, requirements))
                for dtype in (dtypes if "dtype" in wanted else [None]):
                    reason = missing or (device_unavailable_reason(device) if device is not None else None)
                    if not reason and per_change and dtype is not None and dtype not in PER_CHANGE_DTYPES:
                        reason = "per-change run: float32 and float64 (pytest --full checks every dtype)"
                    if reason:
                        _absent(metafunc, target, operation, device, dtype, reason)
                        continue
                    for case in cases:
                        chosen = {"operation": operation, "case": case, "device": device, "dtype": dtype}
                        values = [target] + [chosen[name] for name in wanted]
                        shown = [target.name] + [
                            getattr(chosen[n], "label", str(chosen[n])) for n in ("operation", "case", "device", "dtype")
                            if chosen[n] is not None and (n != "operation" or len(operations) > 1)]
                        params.append(pytest.param(*values, id="-".join(shown)))
    metafunc.parametrize(["target", *wanted], params)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    ours = [item for item in items if _in_suite(item.path)]
    # An empty parametrization leaves one placeholder item per property that pytest would skip: the
    # reasons are already in the conformance matrix, so the placeholder is no test.
    empty = [item for item in ours if _is_empty_parametrization(item)]
    if empty:
        config.hook.pytest_deselected(items=empty)
        items[:] = [item for item in items if item not in empty]
        ours = [item for item in ours if item not in empty]
    for item in ours:
        _record_properties(item)
        _mark_findings(item)
    if config.getoption("conformance_only"):
        selected = [item for item in items if "target" in getattr(item, "fixturenames", ())]
        config.hook.pytest_deselected(items=[item for item in items if item not in selected])
        items[:] = selected
    referenced = {cid for item in ours for m in item.iter_markers("claims") for cid in m.args}
    if not referenced:
        return
    from theory import all_claims

    known = {claim.id for claim in all_claims()}
    unknown = sorted(referenced - known)
    if unknown:
        raise pytest.UsageError(f"tests refer to claim IDs missing from the ledger: {', '.join(unknown)}")


def _is_empty_parametrization(item: pytest.Item) -> bool:
    from impls.protocol import Target

    callspec = getattr(item, "callspec", None)
    return "target" in getattr(item, "fixturenames", ()) and not (
        callspec is not None and isinstance(callspec.params.get("target"), Target))


def pytest_collection_finish(session: pytest.Session) -> None:
    import gc

    # The collected items, the imported libraries and the evaluated ledger live to the end of the session: frozen,
    # the cyclic collector stops re-scanning them on every full collection (7 s of a default run otherwise).
    gc.collect()
    gc.freeze()
    gc.enable()
    cells_out = os.environ.get("REGVERIFY_CELLS_OUT")
    # Under pytest-xdist the controller does not collect; every worker collects the same cells, so gw0 writes.
    worker = getattr(session.config, "workerinput", {}).get("workerid", "gw0")
    if cells_out and worker == "gw0":
        Path(cells_out).write_text(json.dumps(session.config._regverify_absent))


def _record_properties(item: pytest.Item) -> None:
    """Label each test case with what the reports group by (target, operation, device, dtype, claims)."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec else {}
    target = params.get("target")
    marker = item.get_closest_marker("operation")
    operation = params.get("operation") or (marker.args[0] if marker and len(marker.args) == 1 else "")
    item.user_properties.extend(
        [
            ("property", item.originalname if hasattr(item, "originalname") else item.name),
            ("module", item.module.__name__ if getattr(item, "module", None) else ""),
            ("target", target.name if target is not None else ""),
            ("device", params.get("device") or ("cpu" if target is not None else "")),
            ("dtype", params.get("dtype") or ""),
            ("operation", operation),
            ("claims", ",".join(cid for m in item.iter_markers("claims") for cid in m.args)),
            ("tier", tier_of(item)),
        ]
    )


#: Verdict tiers: what the lectures state; boundary parameters and values; invalid input and undeclared dtypes.
TIERS = ("theory", "edge", "contract")


def tier_of(item: pytest.Item) -> str:
    marker = item.get_closest_marker("tier")
    tier = marker.args[0] if marker and marker.args else "theory"
    if tier not in TIERS:
        raise pytest.UsageError(f"@pytest.mark.tier: {tier!r} on {item.nodeid} is not one of {', '.join(TIERS)}")
    return tier


def cell_key(item: pytest.Item) -> str:
    """A cell's name independent of where pytest runs from: module and test id."""
    module = item.module.__name__ if getattr(item, "module", None) else str(item.path)
    return f"{module.rsplit('.', 1)[-1]}::{item.name}"


def cell_seed(item: pytest.Item) -> int:
    # $REGVERIFY_SEED (regverify check --seed N) moves every cell to other examples, reproducibly.
    extra = os.environ.get("REGVERIFY_SEED", "")
    key = cell_key(item) + (f"#seed={extra}" if extra not in ("", "0") else "")
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def audit_seed(item: pytest.Item, audit: int) -> int:
    """The Hypothesis seed of one cell under audit seed `audit`: distinct per cell and per audit seed."""
    return int.from_bytes(hashlib.sha256(f"{cell_key(item)}#audit={audit}".encode()).digest()[:8], "big")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function):
    """Under --audit-seeds N: a cell whose first run makes random checks runs again under each further seed; the
    seeds that fail are recorded (user property ``audit``) and the cell fails naming them. A cell that makes no
    random check runs once: without a random check there is no false failure to count."""
    seeds = getattr(pyfuncitem.config, "_regverify_audit_seeds", 0)
    test = pyfuncitem.obj
    if not seeds or not _in_suite(pyfuncitem.path) or not getattr(test, "is_hypothesis_test", False):
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    first = pyfuncitem.config.getoption("audit_first_seed", 1)
    failed, checks = [], []
    for audit in range(first, first + seeds):
        before = budget.checks_made()
        seed(audit_seed(pyfuncitem, audit))(test)
        try:
            test(**arguments)
        except Exception as error:  # noqa: BLE001 - every failure under a seed is the audit's data
            failed.append({"seed": audit, "message": str(error).splitlines()[0][:300] if str(error) else type(error).__name__})
        checks.append(budget.checks_made() - before)
        if sum(checks) == 0:
            break
    pyfuncitem.user_properties.append(("audit", json.dumps({"first": first, "checks": checks, "failed": failed})))
    if failed:
        shown = ", ".join(str(f["seed"]) for f in failed[:10])
        raise AssertionError(f"failed under {len(failed)} of {len(checks)} audit seeds ({shown}): {failed[0]['message']}")
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    # Hypothesis seeds a derandomized test from its function, which every cell of a property shares:
    # each cell gets its own seed instead, so the cells explore different examples.
    test = getattr(item, "obj", None)
    derandomized = item.config._regverify_profile in DERANDOMIZED_PROFILES
    if derandomized and getattr(test, "is_hypothesis_test", False) and hasattr(item, "callspec"):
        seed(cell_seed(item))(test)
    yield


def replay_command(item: pytest.Item) -> list[str]:
    """A pytest command that reruns this cell with the same examples, from any directory."""
    params = item.callspec.params if hasattr(item, "callspec") else {}
    command = ["python", "-m", "pytest", f"{item.path}::{item.name}", "-p", "no:cacheprovider"]
    if "target" in params:
        target = params["target"]
        command += ["--impl", getattr(target, "spec", None) or target.module.__name__]
    if params.get("device"):
        command += ["--device", params["device"]]
    command += ["--hypothesis-profile", item.config._regverify_profile]
    return command


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and hasattr(item, "callspec"):
        report.sections.append(("regverify: reproduce", shlex.join(replay_command(item))))
    if report.when == "call" and report.failed and call.excinfo is not None:
        # Every failure, not only the first: Hypothesis raises an ExceptionGroup when it found several
        # distinct ones, and a boundary failure must not hide an interior one.
        report.user_properties.append(("failures", json.dumps(exception_records(call.excinfo.value))))


def exception_records(error: BaseException) -> list[dict]:
    """One {type, message, notes} per leaf exception of a (possibly nested) exception group."""
    inner = getattr(error, "exceptions", None)  # an ExceptionGroup (Python ≥ 3.11 or the exceptiongroup backport)
    if isinstance(inner, tuple) and inner:
        return [record for exception in inner for record in exception_records(exception)]
    return [{"type": type(error).__name__, "message": str(error)[:4000],
             "notes": [str(note)[:4000] for note in getattr(error, "__notes__", [])]}]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    absent = getattr(config, "_regverify_absent", [])
    if absent and not hasattr(config, "workerinput"):
        reasons: dict[str, int] = {}
        for cell in absent:
            reasons[cell["reason"].split(":")[0]] = reasons.get(cell["reason"].split(":")[0], 0) + 1
        terminalreporter.write_line(
            f"regverify: {len(absent)} cells not generated ("
            + ", ".join(f"{n} {why}" for why, n in sorted(reasons.items())) + "): they are data in the matrix")
    if budget.checks_made() == 0:
        return
    terminalreporter.write_line(
        f"regverify: {budget.checks_made()} random checks at α={budget.alpha():.1e} each "
        f"(allocation {budget.allocation()}, suite false-failure budget {budget.SUITE_BUDGET:.0e}, "
        f"profile {config._regverify_profile})"
    )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """pytest-xdist controller: a worker finished; count its random checks with the run's."""
    output = getattr(node, "workeroutput", None) or {}
    budget.absorb(output.get("regverify_checks", 0), output.get("regverify_designs", []))
    # Every worker collects the same cells: the first to finish tells the controller which were not generated.
    if output.get("regverify_absent") and hasattr(node, "config") and not getattr(node.config, "_regverify_absent", None):
        node.config._regverify_absent = output["regverify_absent"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller adds up and judges the whole run
        workeroutput["regverify_checks"] = budget.checks_made()
        workeroutput["regverify_absent"] = getattr(session.config, "_regverify_absent", [])
        workeroutput["regverify_designs"] = budget.designs()
        return
    designs_out = os.environ.get("REGVERIFY_DESIGNS_OUT")
    if designs_out:  # for `regverify bench`: every random check's n and design
        Path(designs_out).write_text(json.dumps({"checks": budget.checks_made(), "designs": budget.designs()}))
    if budget.checks_made() > budget.allocation():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            f"\nregverify: {budget.checks_made()} random checks exceed the allocation of {budget.allocation()}: "
            "the suite's false-failure budget no longer holds; recount: set COUNTED_RANDOM_CHECKS in regstats to "
            "the default run's count (the allocation is that times ALLOCATION_MARGIN)"
        )
