"""Benchmarks: suite wall time, statistical efficiency, implementation speed, report cost.

    regverify bench [--out reports] [--parts suite,speed,report,thorough] [--quick]

Each part replaces its own section of reports/benchmarks.json and keeps the others, with the time
each was measured.

Measured, written to reports/benchmarks.md (+ .json), never asserted in timed tests.
Timings use torch.utils.benchmark (it synchronizes CUDA and picks repetition counts itself).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils import benchmark

import regstats as stats
from regverify.runner import REPO_ROOT, read_reportlog

SIZES = (10**3, 10**4, 10**5, 10**6, 10**7)


# ---------------------------------------------------------------- memory


@contextlib.contextmanager
def _stderr_to_devnull() -> Iterator[None]:
    """The CPU profiler's C++ side prints two lines to file descriptor 2 per start and stop; no
    environment variable silences them (KINETO_LOG_LEVEL, TORCH_CPP_LOG_LEVEL tried)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _peak_memory(run: Callable[[], object], device: str) -> int:
    """Extra memory one call needs: the CUDA allocator's peak on a GPU. On the CPU, where torch keeps no
    peak statistics, an upper bound: tracemalloc's peak for NumPy plus every byte torch's CPU allocator
    hands out during the call (torch.profiler), as if nothing were freed before the call ends."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        run()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    import tracemalloc

    from torch.profiler import ProfilerActivity, profile

    with _stderr_to_devnull(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        tracemalloc.start()  # inside: the profiler's own start-up allocations are not the call's
        run()
        _, numpy_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    torch_allocated = sum(max(0, e.self_cpu_memory_usage) for e in prof.key_averages())
    return numpy_peak + torch_allocated


# ---------------------------------------------------------------- implementation speed


def _dropout_case(target_module, backend: str, size: int, device: str, backward: bool) -> Callable[[], object]:
    if backend == "numpy":
        x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
        rng = np.random.default_rng(1)

        def run_numpy():
            out, cache = target_module.dropout_forward(x, 0.5, training=True, generator=rng)
            return target_module.dropout_backward(out, cache) if backward else out

        return run_numpy
    generator = torch.Generator(device=device).manual_seed(1)
    x = torch.randn(size, generator=generator, device=device).requires_grad_(backward)
    if target_module.__name__ == "impls.torch_native":
        # Time PyTorch as users run it: F.dropout on its own RNG, without the adapter's seeded replay.
        generator = None

    def run_torch():
        out, _ = target_module.dropout(x, 0.5, training=True, generator=generator)
        if backward:
            out.backward(torch.ones_like(out))
        return out

    return run_torch


def _deterministic_case(operation: str, make_inputs: Callable[[int], tuple[list, dict]], grads: int):
    """A builder for an operation without randomness: inputs are float64 NumPy arrays made from the size;
    the first `grads` arrays require gradients in the torch targets."""

    def build(target_module, backend: str, size: int, device: str, backward: bool) -> Callable[[], object]:
        arrays, keywords = make_inputs(size)
        if backend == "numpy":
            args = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a for a in arrays]
            forward = getattr(target_module, f"{operation}_forward")
            backward_fn = getattr(target_module, f"{operation}_backward")

            def run_numpy():
                out, cache = forward(*args, **keywords)
                return backward_fn(np.ones_like(out), cache) if backward else out

            return run_numpy
        args = []
        for i, a in enumerate(arrays):
            if isinstance(a, np.ndarray):
                tensor = torch.as_tensor(a, device=device)
                tensor = tensor.float() if tensor.is_floating_point() else tensor
                args.append(tensor.requires_grad_(backward and i < grads))
            else:
                args.append(a)
        function = getattr(target_module, operation)

        def run_torch():
            returned = function(*args, **keywords)
            out = returned[0] if isinstance(returned, tuple) else returned
            if backward:
                out.backward(torch.ones_like(out))
            return out

        return run_torch

    return build


def _batch_norm_inputs(size: int) -> tuple[list, dict]:
    channels = 16
    rng = np.random.default_rng(0)
    x = rng.standard_normal((max(2, size // channels), channels))
    return [x, np.ones(channels), np.zeros(channels), np.zeros(channels), np.ones(channels)], {"training": True}


def _layer_norm_inputs(size: int) -> tuple[list, dict]:
    features = 64
    x = np.random.default_rng(0).standard_normal((max(1, size // features), features))
    return [x, (features,), np.ones(features), np.zeros(features)], {}


def _label_smoothing_inputs(size: int) -> tuple[list, dict]:
    classes = 10
    rng = np.random.default_rng(0)
    rows = max(1, size // classes)
    return [rng.standard_normal((rows, classes)), rng.integers(0, classes, rows), 0.1], {}


#: operation -> case builder(target module, backend, size, device, backward) -> zero-argument callable.
CASES: dict[str, Callable] = {
    "dropout": _dropout_case,
    "batch_norm": _deterministic_case("batch_norm", _batch_norm_inputs, grads=3),
    "layer_norm": _deterministic_case("layer_norm", _layer_norm_inputs, grads=1),
    "label_smoothing_cross_entropy": _deterministic_case("label_smoothing_cross_entropy", _label_smoothing_inputs,
                                                         grads=1),
}


ROUNDS = 3


def _times(runs: list[Callable[[], object]], rounds: int = ROUNDS) -> list[float]:
    """Seconds per call of each run: the smallest of `rounds` medians, the runs interleaved round by
    round, so that a burst of load on a shared machine hits one round of every run, not one run."""
    best = [float("inf")] * len(runs)
    for _ in range(rounds):
        for i, run in enumerate(runs):
            timer = benchmark.Timer(stmt="run()", globals={"run": run})
            best[i] = min(best[i], timer.blocked_autorange(min_run_time=0.1).median)
    return best


def implementation_speed(devices: list[str], sizes=SIZES, *, on_case=lambda done, total, what: None) -> list[dict]:
    """torch reference vs torch-native (each device), numpy reference vs torch-native on the CPU.
    `on_case(done, total, what)` is called before each case (progress)."""
    import impls.numpy_ref as numpy_ref
    import impls.torch_native as torch_native
    import impls.torch_ref as torch_ref

    rows = []
    total = len(CASES) * len(devices) * len(sizes) * 2
    done = 0
    for operation, build in CASES.items():
        for device in devices:
            for size in sizes:
                for backward in (False, True):
                    on_case(done, total, f"{operation} {'forward+backward' if backward else 'forward'} {device} {size:.0e}")
                    done += 1
                    native = build(torch_native, "torch", size, device, backward)
                    pairs = [("torch", build(torch_ref, "torch", size, device, backward))]
                    if device == "cpu":
                        pairs.append(("numpy", build(numpy_ref, "numpy", size, device, backward)))
                    native_s, *target_s = _times([native] + [run for _, run in pairs])
                    native_mem = _peak_memory(native, device)
                    for (name, run), seconds in zip(pairs, target_s, strict=True):
                        rows.append({
                            "operation": operation, "pass": "forward+backward" if backward else "forward",
                            "device": device, "size": size, "target": name, "seconds": seconds,
                            "native_seconds": native_s, "ratio": seconds / native_s,
                            "peak_bytes": _peak_memory(run, device), "native_peak_bytes": native_mem,
                        })
    return rows


# ---------------------------------------------------------------- suite time and statistical efficiency


def _pytest(args: list[str], log: Path, env_extra: dict[str, str]) -> tuple[float, int, int]:
    env = {**os.environ, **env_extra}
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--report-log={log}", *args],
                               cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - start, completed.returncode, usage.ru_maxrss * 1024


def suite_time(scratch: Path) -> dict:
    designs_file = scratch / "designs.json"
    env = {"CI": "true", "REGVERIFY_DESIGNS_OUT": str(designs_file)}
    serial_s, serial_rc, _ = _pytest([], scratch / "serial.jsonl", env)
    parallel_s, parallel_rc, _ = _pytest(["-n", "auto"], scratch / "parallel.jsonl", {"CI": "true"})
    full_s, full_rc, _ = _pytest(["--full"], scratch / "full.jsonl", {"CI": "true"})
    full_cases = len(read_reportlog(scratch / "full.jsonl"))
    results = read_reportlog(scratch / "serial.jsonl")
    slowest = sorted(results, key=lambda r: r.duration, reverse=True)[:10]
    per_module: dict[str, float] = defaultdict(float)
    for r in results:
        per_module[r.nodeid.split("::")[0]] += r.duration
    out = {
        "serial_seconds": serial_s, "serial_exit": serial_rc, "parallel_seconds": parallel_s,
        "parallel_exit": parallel_rc, "workers": os.cpu_count(), "test_cases": len(results),
        "full_seconds": full_s, "full_exit": full_rc, "full_test_cases": full_cases,
        "slowest": [{"nodeid": r.nodeid, "seconds": r.duration} for r in slowest],
        "per_module": dict(sorted(per_module.items(), key=lambda kv: -kv[1])),
        **(json.loads(designs_file.read_text()) if designs_file.exists() else {"checks": 0, "designs": []}),
    }
    return out


def thorough_time(scratch: Path) -> dict:
    seconds, exit_code, _ = _pytest(["-n", "auto", "--hypothesis-profile", "regverify-thorough"], scratch / "thorough.jsonl", {})
    return {"seconds": seconds, "exit": exit_code, "workers": os.cpu_count()}


#: A sequential check's test -> the fixed-sample test of the same hypothesis.
#: The allocation before it was counted (issue 19): the "before" column is the fixed design at that α.
PREVIOUS_ALLOCATION = 10_000
_FIXED_FORM = {stats.SEQUENTIAL_BINOMIAL: stats.BINOMIAL, stats.SEQUENTIAL_VARIANCE: stats.VARIANCE}


@functools.cache
def _yardsticks(method: str, rate: float | None, alpha: float, power: float, delta: float,
                block: int | None) -> dict:
    """The best available tests for one check's design: the smallest fixed-n exact test, what the fixed
    design draws, and the sequential test (this check's own block, or the default one) by its exact DP."""
    design = stats.Design(alpha, power, delta)
    fixed = _FIXED_FORM.get(method, method)
    def fixed_design(design: stats.Design) -> int:
        return (stats.binomial_sample_size(rate, design) if fixed == stats.BINOMIAL
                else stats.variance_sample_size(design) if fixed == stats.VARIANCE else stats.ks_sample_size(design))

    previous = stats.Design(alpha * stats.RANDOM_CHECK_ALLOCATION / PREVIOUS_ALLOCATION, power, delta)
    out = {"fixed_minimum": stats.minimum_sample_size(fixed, design, rate), "fixed_design": fixed_design(design),
           "before": fixed_design(previous)}
    if fixed == stats.KOLMOGOROV_SMIRNOV:  # no sequential form here (the KS statistic is no likelihood ratio)
        return {**out, "null": None, "alternative": None, "wald_null": None, "wald_alternative": None,
                "level": None, "power": None, "cap": None}
    seq = (stats.binomial_sequential_design(rate, design, block) if fixed == stats.BINOMIAL
           else stats.variance_sequential_design(design, block))
    null = stats.operating_characteristic(seq, seq.null)
    alternatives = [stats.operating_characteristic(seq, a) for a in seq.alternatives]
    wald_null, wald_alternative = stats.wald_lower_bounds(seq)
    return {**out, "null": null.expected_draws, "alternative": max(a.expected_draws for a in alternatives),
            "wald_null": wald_null, "wald_alternative": wald_alternative, "level": null.reject_probability,
            "power": min(a.reject_probability for a in alternatives), "cap": seq.cap}


def efficiency(designs: list[dict]) -> list[dict]:
    """Per random property, each check against the best available tests for its design (α, power, δ):
    draws per check, what the fixed-sample design draws, the smallest fixed-n exact test, the sequential
    test's exact expected draws (DP) under H0 and under the hardest alternative, and Wald's lower bound
    for any sequential test (looking after every draw) under each. Means over the property's checks."""
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for d in designs:
        grouped[(d["what"], d["method"])].append(d)
    rows = []
    for (what, method), records in sorted(grouped.items()):
        sticks = [_yardsticks(method, r["rate"], r["alpha"], r["power"], r["delta"], r.get("block")) for r in records]

        def mean(values: list) -> float | None:
            values = [v for v in values if v is not None]
            return sum(values) / len(values) if values else None

        sequential = method in _FIXED_FORM
        rows.append({
            "what": what, "method": method, "checks": len(records), "sequential": sequential,
            "drawn": mean([r["n"] for r in records]),
            "fixed_design": mean([s["fixed_design"] for s in sticks]),
            "before": mean([s["before"] for s in sticks]),
            "fixed_minimum": mean([s["fixed_minimum"] for s in sticks]),
            "null": mean([s["null"] for s in sticks]) if sequential else mean([r["n"] for r in records]),
            "alternative": mean([s["alternative"] for s in sticks]) if sequential else mean([r["n"] for r in records]),
            "sequential_null": mean([s["null"] for s in sticks]),
            "wald_null": mean([s["wald_null"] for s in sticks]),
            "wald_alternative": mean([s["wald_alternative"] for s in sticks]),
            "worst_level_over_alpha": max((s["level"] / r["alpha"] for s, r in zip(sticks, records, strict=True)
                                           if s["level"] is not None), default=None),
            "worst_power": min((s["power"] for s in sticks if s["power"] is not None), default=None),
            "max_ratio": max(r["n"] / s["fixed_minimum"] for s, r in zip(sticks, records, strict=True)),
        })
    return rows


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "—"


def _count(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "—"


def efficiency_markdown(rows: list[dict], checks: int) -> list[str]:
    """The efficiency section of reports/benchmarks.md."""
    lines = ["## Statistical efficiency", "",
             "Each random check against the best available test for the same α, power and δ. *Drawn*: draws per check "
             "in the serial run (every target correct, so under H0). *Fixed design*: what the fixed-sample test of this "
             "design draws; *fixed minimum*: the smallest n at which an exact fixed-sample test reaches the power (the "
             "equal-tailed binomial test, UMPU at p = 1/2; the χ² test; for a distribution, the exact binomial test of "
             "the CDF at the hardest point). *E[n] H0 / H1*: the check's expected draws under H0 and under the hardest "
             "alternative p0 ± δ: exact by DP for a sequential check (regstats.sequential), n for a fixed one. *Wald "
             "H0 / H1*: the fewest expected draws any sequential test with this α and power can have, even looking after "
             "every draw (the sequential optimum). Ratios: E[n] ÷ Wald bound.", "",
             "| property | test | checks | drawn | fixed design | fixed minimum | E[n] H0 | E[n] H1 | Wald H0 | Wald H1 "
             "| H0 ÷ Wald | H1 ÷ Wald | fixed design ÷ E[n] H0 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    if rows and "drawn" not in rows[0]:  # measured before the sequential tests: the old table's columns
        return lines[:2] + ["(measured before the sequential tests; rerun `regverify bench --parts suite`)", ""]
    for e in rows:
        lines.append(f"| {e['what']} | {e['method']} | {e['checks']} | {_count(e['drawn'])} | {_count(e['fixed_design'])} "
                     f"| {_count(e['fixed_minimum'])} | {_count(e['null'])} | {_count(e['alternative'])} "
                     f"| {_count(e['wald_null'])} | {_count(e['wald_alternative'])} | {_ratio(e['null'], e['wald_null'])} "
                     f"| {_ratio(e['alternative'], e['wald_alternative'])} | {_ratio(e['fixed_design'], e['null'])} |")
    sequential = [e for e in rows if e["sequential"]]
    total = sum(e["checks"] for e in rows)
    before = sum(e["checks"] * e["fixed_design"] for e in rows)
    previously = sum(e["checks"] * e.get("before", e["fixed_design"]) for e in rows)
    after = sum(e["checks"] * e["drawn"] for e in rows)
    lines.append("")
    if sequential:
        seq_checks = sum(e["checks"] for e in sequential)
        seq_before = sum(e["checks"] * e["fixed_design"] for e in sequential)
        seq_after = sum(e["checks"] * e["drawn"] for e in sequential)
        worst_level = max(e["worst_level_over_alpha"] for e in sequential if e["worst_level_over_alpha"] is not None)
        worst_power = min(e["worst_power"] for e in sequential if e["worst_power"] is not None)
        lines.append(f"Sequential checks: {seq_checks} drew **{seq_after / seq_checks:,.0f}** per check against "
                     f"{seq_before / seq_checks:,.0f} for the fixed designs they replace (**{seq_before / seq_after:.2f}× "
                     f"fewer**); the exact level of every design is ≤ {worst_level:.2f}·α and its power ≥ {worst_power:.5f} "
                     "(DP).")
    lines += [f"All {total} checks in the table: {after / max(total, 1):,.0f} draws per check, against "
              f"{before / max(total, 1):,.0f} for fixed designs at the same α ({before / max(after, 1):.2f}× fewer) and "
              f"{previously / max(total, 1):,.0f} for fixed designs at the α of the uncounted allocation of "
              f"{PREVIOUS_ALLOCATION:,} ({previously / max(after, 1):.2f}× fewer). {checks} random "
              f"checks in the serial run (allocation {stats.RANDOM_CHECK_ALLOCATION:,} = {stats.ALLOCATION_MARGIN:g} × "
              f"the {stats.COUNTED_RANDOM_CHECKS:,} counted in regstats); the rest are the toolkit's own simulations (tests/test_stats.py, "
              "tests/test_experiments.py), whose counts are fixed and whose detectable deviation each states in its "
              "message.", ""]
    return lines


def report_cost(scratch: Path) -> dict:
    # A fresh parent process whose only child is the report: its RUSAGE_CHILDREN peak is the report's
    # largest process, not an earlier benchmark's.
    wrapper = ("import json, resource, subprocess, sys, time; start = time.perf_counter(); "
               "rc = subprocess.run(sys.argv[1:], capture_output=True).returncode; "
               "print(json.dumps({'seconds': time.perf_counter() - start, 'exit': rc, "
               "'peak_rss_bytes': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}))")
    completed = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "regverify.cli", "report",
                                "--out", str(scratch / "reports")],
                               cwd=REPO_ROOT, capture_output=True, text=True, env={**os.environ, "CI": "true"})
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- output


def machine() -> dict:
    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"}
    try:
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    return info


def _mib(value: int) -> str:
    return f"{value / 2**20:.1f}"


def markdown(data: dict) -> str:
    lines = ["# Benchmarks", "", "Measured by `regverify bench` (each section says when). Nothing here is asserted by a test.", ""]
    lines += ["## Machine", "", "| what | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in data["machine"].items()], ""]
    suite = data.get("suite")
    if suite:
        lines += [f"## Default suite wall time ({suite['when']})", "",
                  f"- serial: **{suite['serial_seconds']:.1f} s** (exit {suite['serial_exit']}, {suite['test_cases']} test cases; "
                  "target ≤ 60 s)",
                  f"- pytest-xdist `-n auto` ({suite['workers']} workers): **{suite['parallel_seconds']:.1f} s** "
                  f"(exit {suite['parallel_exit']})"]
        if "full_seconds" in suite:
            lines.append(f"- `pytest --full` (what CI runs: + torch-native, the installed libraries, float16/bfloat16, the "
                         f"full-tier meta-tests), serial: **{suite['full_seconds']:.1f} s** (exit {suite['full_exit']}, "
                         f"{suite['full_test_cases']} test cases)")
        thorough = data.get("thorough")
        if thorough:
            lines.append(f"- `thorough` profile (12x examples, α/12), `-n auto`: **{thorough['seconds']:.1f} s** "
                         f"(exit {thorough['exit']}; target ≤ 900 s; measured {thorough['when']})")
        lines += ["", "Time per test module (serial):", "", "| module | seconds |", "|---|---|"]
        lines += [f"| {m} | {s:.2f} |" for m, s in suite["per_module"].items()]
        lines += ["", "Ten slowest test cases:", "", "| test | seconds |", "|---|---|"]
        lines += [f"| `{r['nodeid']}` | {r['seconds']:.2f} |" for r in suite["slowest"]]
        lines += [""] + efficiency_markdown(data.get("efficiency", []), suite.get("checks", 0))
    speed = data.get("speed")
    if speed:
        lines += [f"## Implementation speed ({speed['when']})", "",
                  "Time per call (float32): the smallest of 3 medians, target and native interleaved round by round; ratio = target ÷ torch-native on the same device (target: torch "
                  "reference ≤ 1.5 at ≥ 10⁶ elements). Peak = extra memory one call needs: the CUDA allocator's peak; "
                  "on the CPU an upper bound, every byte torch's CPU allocator hands out during the call (torch.profiler) "
                  "plus NumPy's tracemalloc peak.",
                  "", "| operation | pass | device | elements | target | time (ms) | native (ms) | ratio | peak MiB | native peak MiB |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in speed["rows"]:
            lines.append(f"| {r['operation']} | {r['pass']} | {r['device']} | {r['size']:.0e} | {r['target']} | "
                         f"{1e3 * r['seconds']:.3f} | {1e3 * r['native_seconds']:.3f} | {r['ratio']:.2f} | "
                         f"{_mib(r['peak_bytes'])} | {_mib(r['native_peak_bytes'])} |")
        lines.append("")
    if data.get("report"):
        r = data["report"]
        lines += [f"## `regverify report` ({r['when']})", "", f"- wall time {r['seconds']:.1f} s (exit {r['exit']}), "
                  f"peak RSS of its largest process {_mib(r['peak_rss_bytes'])} MiB", ""]
    if not torch.cuda.is_available():
        lines += ["CUDA: not available on this machine; no GPU numbers were measured.", ""]
    return "\n".join(lines)


PARTS = ("suite", "speed", "report", "thorough")


@contextlib.contextmanager
def _phase(console, what: str, expected: str) -> Iterator[None]:
    """A spinner with the elapsed time while a part runs, then one line with what it took."""
    started = time.perf_counter()
    console.print(f"{what}: started ({expected})", markup=False, highlight=False)
    with console.status(f"{what} ({expected})"):
        yield
    console.print(f"{what}: done in {time.perf_counter() - started:.0f} s", markup=False, highlight=False)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from regverify.atomic import atomic_write_text, check_writable

    console = Console(stderr=True)
    parser = argparse.ArgumentParser(
        prog="regverify bench", description=__doc__ + "\nexample:\n  regverify bench\n  regverify bench --parts speed --quick\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None, help="output folder (default: reports/ in the checkout, else ./regverify-reports)")
    parser.add_argument("--parts", default="suite,speed,report",
                        help=f"comma-separated, from {', '.join(PARTS)} (default: suite,speed,report; thorough takes minutes)")
    parser.add_argument("--thorough", action="store_true", help="also time the thorough profile (same as adding it to --parts)")
    parser.add_argument("--quick", action="store_true", help="speed part at sizes up to 10^6 only")
    parser.add_argument("--device", default=None, help="devices for the speed table (default: cpu and cuda if present)")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()} | ({"thorough"} if args.thorough else set())
    if not parts or not parts <= set(PARTS):
        parser.error(f"--parts must be from {', '.join(PARTS)}, got {args.parts!r}")
    if args.device:
        from regverify.cli import _check_devices

        if problem := _check_devices(args.device):
            parser.error(problem)
    devices = args.device.split(",") if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if args.out is None:
        from regverify.cli import default_out

        args.out = str(default_out("reports"))
    out = Path(args.out)
    if problem := check_writable(out):
        parser.error(problem)
    previous = out / "benchmarks.json"
    data: dict = json.loads(previous.read_text()) if previous.exists() else {}
    data["machine"] = machine()
    now = lambda: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())  # noqa: E731
    started = time.perf_counter()
    console.print(f"regverify bench: parts {', '.join(p for p in PARTS if p in parts)}; results go to {previous} "
                  "(replaced only when every part has finished)", markup=False, highlight=False)
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        if "suite" in parts:
            with _phase(console, "suite: the default suite, serial then -n auto, then --full", "about 4-5 minutes"):
                suite = suite_time(scratch)
            data["efficiency"] = efficiency(suite.pop("designs"))
            data["suite"] = {**suite, "when": now()}
        if "thorough" in parts:
            with _phase(console, "thorough: the thorough profile, -n auto", "several minutes"):
                data["thorough"] = {**thorough_time(scratch), "when": now()}
        if "report" in parts:
            with _phase(console, "report: one `regverify report` run", "about 3 minutes"):
                data["report"] = {**report_cost(scratch), "when": now()}
        if "speed" in parts:
            sizes = SIZES[:4] if args.quick else SIZES
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            speed_started = time.perf_counter()
            with Progress(*columns, console=console, transient=True) as progress:
                task = progress.add_task("speed", total=None)
                rows = implementation_speed(devices, sizes, on_case=lambda done, total, what: progress.update(
                    task, total=total, completed=done, description=f"speed: {what}"))
            console.print(f"speed: {len(rows)} rows in {time.perf_counter() - speed_started:.0f} s",
                          markup=False, highlight=False)
            data["speed"] = {"rows": rows, "when": now()}
    text = json.dumps(data, indent=2, default=str)
    atomic_write_text(previous, text, what="benchmarks.json")
    atomic_write_text(out / "benchmarks.md", markdown(data), what="benchmarks.md")
    console.print(f"wrote {out / 'benchmarks.md'} and {previous} in {time.perf_counter() - started:.0f} s",
                  markup=False, highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
