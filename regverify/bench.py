"""Benchmarks: suite wall time, statistical efficiency, implementation speed, report cost.

    regverify bench [--out reports] [--parts suite,speed,report,thorough] [--quick]

Each part replaces its own section of reports/benchmarks.json and keeps the others, with the time
each was measured.

Measured, written to reports/benchmarks.md (+ .json), never asserted in timed tests.
Timings use torch.utils.benchmark (it synchronizes CUDA and picks repetition counts itself).
"""

from __future__ import annotations

import contextlib
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


def implementation_speed(devices: list[str], sizes=SIZES) -> list[dict]:
    """torch reference vs torch-native (each device), numpy reference vs torch-native on the CPU."""
    import impls.numpy_ref as numpy_ref
    import impls.torch_native as torch_native
    import impls.torch_ref as torch_ref

    rows = []
    for operation, build in CASES.items():
        for device in devices:
            for size in sizes:
                for backward in (False, True):
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
    results = read_reportlog(scratch / "serial.jsonl")
    slowest = sorted(results, key=lambda r: r.duration, reverse=True)[:10]
    per_module: dict[str, float] = defaultdict(float)
    for r in results:
        per_module[r.nodeid.split("::")[0]] += r.duration
    out = {
        "serial_seconds": serial_s, "serial_exit": serial_rc, "parallel_seconds": parallel_s,
        "parallel_exit": parallel_rc, "workers": os.cpu_count(), "test_cases": len(results),
        "slowest": [{"nodeid": r.nodeid, "seconds": r.duration} for r in slowest],
        "per_module": dict(sorted(per_module.items(), key=lambda kv: -kv[1])),
        **(json.loads(designs_file.read_text()) if designs_file.exists() else {"checks": 0, "designs": []}),
    }
    return out


def thorough_time(scratch: Path) -> dict:
    seconds, exit_code, _ = _pytest(["-n", "auto", "--hypothesis-profile", "thorough"], scratch / "thorough.jsonl", {})
    return {"seconds": seconds, "exit": exit_code, "workers": os.cpu_count()}


def efficiency(designs: list[dict]) -> list[dict]:
    """Per random property: drawn n over the smallest n an exact test needs for the same design."""
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    for d in designs:
        design = stats.Design(d["alpha"], d["power"], d["delta"])
        grouped[(d["what"], d["method"])].append(d["n"] / stats.minimum_sample_size(d["method"], design, d["rate"]))
    return [{"what": w, "method": m, "checks": len(r), "max_ratio": max(r), "mean_ratio": sum(r) / len(r)}
            for (w, m), r in sorted(grouped.items())]


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
        thorough = data.get("thorough")
        if thorough:
            lines.append(f"- `thorough` profile (10x examples, α/10), `-n auto`: **{thorough['seconds']:.1f} s** "
                         f"(exit {thorough['exit']}; target ≤ 900 s; measured {thorough['when']})")
        lines += ["", "Time per test module (serial):", "", "| module | seconds |", "|---|---|"]
        lines += [f"| {m} | {s:.2f} |" for m, s in suite["per_module"].items()]
        lines += ["", "Ten slowest test cases:", "", "| test | seconds |", "|---|---|"]
        lines += [f"| `{r['nodeid']}` | {r['seconds']:.2f} |" for r in suite["slowest"]]
        lines += ["", "## Statistical efficiency", "",
                  "Sample size drawn ÷ the smallest sample size at which an exact test reaches the same power against "
                  "the same δ at the same α (target ≤ 1.1): for binomial counts the same exact equal-tailed test; for "
                  "a variance the same χ² test; for a distribution (Kolmogorov-Smirnov, which must see a CDF error at "
                  "any point) the exact binomial test of the CDF at the one hardest point.", "",
                  "| property | test | checks | max ratio | mean ratio |", "|---|---|---|---|---|"]
        efficiency_rows = data.get("efficiency", [])
        lines += [f"| {e['what']} | {e['method']} | {e['checks']} | {e['max_ratio']:.3f} | {e['mean_ratio']:.3f} |"
                  for e in efficiency_rows]
        designed = sum(e["checks"] for e in efficiency_rows)
        worst = max((e["max_ratio"] for e in efficiency_rows), default=float("nan"))
        lines += ["", f"Worst ratio **{worst:.3f}**. {suite.get('checks', 0)} random checks in the serial run, {designed} "
                  "of them properties of an implementation (in the table); the rest are the toolkit's own simulations "
                  "(tests/test_stats.py, tests/test_experiments.py), whose counts are fixed and whose detectable "
                  "deviation each states in its message.", ""]
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


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="regverify bench", description=__doc__ + "\nexample:\n  regverify bench\n  regverify bench --parts speed --quick\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"))
    parser.add_argument("--parts", default="suite,speed,report",
                        help=f"comma-separated, from {', '.join(PARTS)} (default: suite,speed,report; thorough takes minutes)")
    parser.add_argument("--thorough", action="store_true", help="also time the thorough profile (same as adding it to --parts)")
    parser.add_argument("--quick", action="store_true", help="speed part at sizes up to 10^6 only")
    parser.add_argument("--device", default=None, help="devices for the speed table (default: cpu and cuda if present)")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()} | ({"thorough"} if args.thorough else set())
    if not parts <= set(PARTS):
        parser.error(f"--parts must be from {', '.join(PARTS)}, got {args.parts!r}")
    devices = args.device.split(",") if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    out = Path(args.out)
    previous = out / "benchmarks.json"
    data: dict = json.loads(previous.read_text()) if previous.exists() else {}
    data["machine"] = machine()
    now = lambda: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())  # noqa: E731
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        if "suite" in parts:
            suite = suite_time(scratch)
            data["efficiency"] = efficiency(suite.pop("designs"))
            data["suite"] = {**suite, "when": now()}
        if "thorough" in parts:
            data["thorough"] = {**thorough_time(scratch), "when": now()}
        if "report" in parts:
            data["report"] = {**report_cost(scratch), "when": now()}
        if "speed" in parts:
            rows = implementation_speed(devices, SIZES[:4] if args.quick else SIZES)
            data["speed"] = {"rows": rows, "when": now()}
    out.mkdir(parents=True, exist_ok=True)
    previous.write_text(json.dumps(data, indent=2, default=str))
    (out / "benchmarks.md").write_text(markdown(data))
    print(f"wrote {out / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
