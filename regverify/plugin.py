"""pytest plugin: targets (--impl), devices (--device), Hypothesis profiles, claim IDs, reproduction.

Registered through the ``pytest11`` entry point, so ``pytest --impl my.module`` works wherever
regverify is installed. A test asks for what it needs by argument name:

- ``target``: a :class:`impls.protocol.Target`; tests marked ``@pytest.mark.operation("dropout")``
  are skipped "not implemented" for targets that lack the operation;
- ``device``: "cpu", "cuda", ...; a numpy target only runs on "cpu";
- ``dtype``: a dtype name the target supports, optionally narrowed by ``@pytest.mark.dtypes(...)``.

``@pytest.mark.claims("ID", ...)`` ties a property to ledger claims; unknown IDs stop collection.
"""

from __future__ import annotations

import os
import shlex

import pytest
from hypothesis import HealthCheck, settings

from regverify import budget

CI_EXAMPLES = 12

settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)
settings.register_profile(
    "dev",
    max_examples=CI_EXAMPLES,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)
settings.register_profile(
    "thorough",
    max_examples=10 * CI_EXAMPLES,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)
#: Examples per test relative to the default profiles; the false-failure budget is split over them.
PROFILE_MULTIPLIER = {"ci": 1.0, "dev": 1.0, "thorough": 10.0}

KNOWN_DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu")


def _cache_hypothesis_digests() -> None:
    """Compute each Hypothesis test's digest once per parametrized case instead of once per call.

    Hypothesis derives a test's seed (derandomize) and database key from function_digest, which
    re-reads, re-tokenizes and re-parses the test's source every time a case runs: 4 s of the
    default suite. The digest depends only on the function and its per-case key, so a cache keyed
    on both returns the same bytes. If a Hypothesis release moves the function, nothing is patched.
    """
    from hypothesis import core

    original = getattr(core, "function_digest", None)
    if original is None or getattr(original, "regverify_cached", False):
        return
    digests: dict = {}

    def function_digest(function, *args, **kwargs) -> bytes:
        if args or kwargs:  # a signature this cache was not written for: no caching
            return original(function, *args, **kwargs)
        key = (function, getattr(function, "_hypothesis_internal_add_digest", None))
        try:
            return digests[key]
        except KeyError:
            digests[key] = digest = original(function)
            return digest
        except TypeError:  # an unhashable callable: no caching
            return original(function)

    function_digest.regverify_cached = True
    core.function_digest = function_digest


_cache_hypothesis_digests()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("regverify", "regverify conformance suite")
    group.addoption(
        "--impl",
        action="append",
        default=None,
        metavar="MODULE",
        help="target to check: numpy, torch, torch-native or a dotted module path (repeatable; "
        "default: $REGVERIFY_IMPL or all built-in targets)",
    )
    group.addoption(
        "--device",
        default=None,
        metavar="LIST",
        help="comma-separated devices for torch targets, e.g. cpu,cuda (default: cpu,cuda; "
        "CUDA cases are skipped where CUDA is absent)",
    )
    group.addoption(
        "--conformance-only",
        action="store_true",
        default=False,
        help="run only the properties that check a target (skip the ledger and toolkit self-tests)",
    )


def _selected_targets(config: pytest.Config) -> list:
    from impls.protocol import TargetLoadError, load_target

    specs = config.getoption("impl") or []
    if not specs and os.environ.get("REGVERIFY_IMPL"):
        specs = [s for s in os.environ["REGVERIFY_IMPL"].split(",") if s]
    if not specs:
        from impls.protocol import BUILTIN_TARGETS

        specs = list(BUILTIN_TARGETS)
    try:
        return [load_target(spec) for spec in specs]
    except TargetLoadError as error:
        raise pytest.UsageError(str(error)) from None


def _selected_devices(config: pytest.Config) -> list[str]:
    raw = config.getoption("device")
    devices = [d.strip() for d in raw.split(",") if d.strip()] if raw else ["cpu", "cuda"]
    for device in devices:
        if device.split(":")[0] not in KNOWN_DEVICE_TYPES:
            raise pytest.UsageError(f"unknown device {device!r}: expected one of {', '.join(KNOWN_DEVICE_TYPES)}")
    return devices


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


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claims(*ids): ledger claim IDs the property rests on")
    config.addinivalue_line("markers", "operation(name): protocol operation the property exercises")
    config.addinivalue_line("markers", "dtypes(*names): restrict the dtype parametrization")
    config._regverify_targets = None  # loaded lazily: only suites that ask for `target` need them
    config._regverify_devices = _selected_devices(config)
    profile = config.getoption("hypothesis_profile", default=None)
    config._regverify_profile = profile or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
    budget.reset(PROFILE_MULTIPLIER.get(config._regverify_profile, 1.0))


def load_default_profile(config: pytest.Config) -> None:
    """Called by the suite's conftest: CI=true selects `ci`, otherwise `dev`, unless chosen explicitly."""
    if not config.getoption("hypothesis_profile", default=None):
        settings.load_profile(config._regverify_profile)


def _targets(config: pytest.Config) -> list:
    if config._regverify_targets is None:
        config._regverify_targets = _selected_targets(config)
    return config._regverify_targets


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize target × operation × device × dtype, skipping what a target lacks or a machine lacks."""
    if "target" not in metafunc.fixturenames:
        return
    operation_marker = metafunc.definition.get_closest_marker("operation")
    operations = list(operation_marker.args) if operation_marker else [None]
    dtype_marker = metafunc.definition.get_closest_marker("dtypes")
    wanted = [name for name in ("operation", "device", "dtype") if name in metafunc.fixturenames]
    params = []
    for target in _targets(metafunc.config):
        for operation in operations:
            devices = [d for d in metafunc.config._regverify_devices if target.runs_on(d)]
            dtypes = list(target.dtypes())
            if dtype_marker:
                dtypes = [d for d in dtypes if d in dtype_marker.args]
            axes = {
                "operation": [operation],
                "device": devices if "device" in wanted else [None],
                "dtype": dtypes if "dtype" in wanted else [None],
            }
            for device in axes["device"]:
                for dtype in axes["dtype"]:
                    marks = []
                    if operation and not target.implements(operation):
                        marks.append(pytest.mark.skip(reason=f"not implemented by {target.name}: {operation}"))
                    elif device is not None and (reason := device_unavailable_reason(device)):
                        marks.append(pytest.mark.skip(reason=reason))
                    chosen = {"operation": operation, "device": device, "dtype": dtype}
                    values = [target] + [chosen[name] for name in wanted]
                    shown = [target.name] + [str(chosen[n]) for n in ("operation", "device", "dtype")
                                             if chosen[n] is not None and (n != "operation" or len(operations) > 1)]
                    params.append(pytest.param(*values, id="-".join(shown), marks=marks))
    metafunc.parametrize(["target", *wanted], params)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    # Labelled at collection, so that cases skipped at set-up (no CUDA, not implemented) carry them too.
    for item in items:
        _record_properties(item)
    if config.getoption("conformance_only"):
        selected = [item for item in items if "target" in getattr(item, "fixturenames", ())]
        config.hook.pytest_deselected(items=[item for item in items if item not in selected])
        items[:] = selected
    referenced = {cid for item in items for m in item.iter_markers("claims") for cid in m.args}
    if not referenced:
        return
    from theory import all_claims

    known = {claim.id for claim in all_claims()}
    unknown = sorted(referenced - known)
    if unknown:
        raise pytest.UsageError(f"tests refer to claim IDs missing from the ledger: {', '.join(unknown)}")


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
        ]
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and hasattr(item, "callspec"):
        params = item.callspec.params
        command = ["pytest", item.nodeid]
        if "target" in params:
            command += ["--impl", params["target"].module.__name__]
        if params.get("device"):
            command += ["--device", params["device"]]
        command += ["--hypothesis-profile", item.config._regverify_profile]
        report.sections.append(("regverify: reproduce", shlex.join(command)))


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller adds up and judges the whole run
        workeroutput["regverify_checks"] = budget.checks_made()
        workeroutput["regverify_designs"] = budget.designs()
        return
    designs_out = os.environ.get("REGVERIFY_DESIGNS_OUT")
    if designs_out:  # for `regverify bench`: every random check's n and design
        import json
        from pathlib import Path

        Path(designs_out).write_text(json.dumps({"checks": budget.checks_made(), "designs": budget.designs()}))
    if budget.checks_made() > budget.allocation():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            f"\nregverify: {budget.checks_made()} random checks exceed the allocation of {budget.allocation()}: "
            "the suite's false-failure budget no longer holds; raise RANDOM_CHECK_ALLOCATION in regverify/stats.py"
        )
