"""The clock, the thread settings and the record of the machine, shared by every workload.

Timing rule: call the function once or more to warm it up (JIT compiles, caches fill),
then call it again and again, each call timed on its own with ``time.perf_counter``,
enough times for ``min_time`` seconds (at least ``min_repeats``, at most ``max_repeats``);
report the MEDIAN call, which a stray slow call (another process, a garbage
collection) does not move.

Each function is timed in one block of back-to-back calls, never alternating with
another backend's calls: numpy's OpenBLAS, numba's OpenMP pool, torch's OpenMP pool
and XLA's pool each keep their worker threads spinning for a while after a call, and
on 2 cores two spinning pools stall each other (measured: numba's loss at m = 1000
went from 0.33 ms to 3.6 ms, and numpy's from 0.6 ms to 4.3 ms, when their calls
alternated). The warm-up call of each block absorbs the switch from the previous one. The caller collects garbage before it times a backend
(``gc.collect()``); the collector stays on while timing: the engine's real cost
includes its garbage.

Threads: every library is told the same number (``set_threads``):

==============  ===========================================================
numpy (BLAS)    ``threadpoolctl.threadpool_limits(n)`` at run time (and the
                OMP/OPENBLAS/MKL_NUM_THREADS variables for libraries not loaded yet)
numba           ``numba.set_num_threads(n)`` (NUMBA_NUM_THREADS caps it at import)
torch           ``torch.set_num_threads(n)`` when the torch peer is loaded
JAX (XLA)       XLA has no knob for "n intra-op threads" except n = 1
                (``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``
                in XLA_FLAGS before jax loads); for n = number of cores, the default,
                it uses every core like the others
==============  ===========================================================

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as the machine sets them (the same for
every backend that uses OpenBLAS) and recorded in the output with the BLAS in use.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
RECORDED_VARIABLES = THREAD_VARIABLES + (
    "NUMBA_NUM_THREADS", "NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT", "XLA_FLAGS",
    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
)

# The thread count chosen by set_threads (None: libraries left at their defaults).
# The peers read it when they load torch or jax.
THREADS: int | None = None
_BLAS_LIMITER = None  # keeps the threadpoolctl limit alive


def default_threads() -> int:
    """The number of cores this process may run on (2 on the reference machine)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_threads(n: int) -> None:
    """Give every library n threads (see the module docstring for how, per library).

    Safe to call before or after numpy is imported; call it before the peers load
    (torch, jax) so that they start with the setting.
    """
    global THREADS, _BLAS_LIMITER
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a positive int, got {n!r}")
    THREADS = n
    for name in THREAD_VARIABLES:
        os.environ[name] = str(n)
    if "numba" not in sys.modules:
        # Read once when numba loads: the most threads numba.set_num_threads may ask for.
        os.environ["NUMBA_NUM_THREADS"] = str(max(n, int(os.environ.get("NUMBA_NUM_THREADS", "0") or 0)))
    if n == 1 and "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()
    try:
        import threadpoolctl
    except ImportError:
        _BLAS_LIMITER = None
    else:
        _BLAS_LIMITER = threadpoolctl.threadpool_limits(limits=n)
    import numba

    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def thread_report() -> dict:
    """What each loaded library says about its threads (and which BLAS numpy runs)."""
    report: dict = {"requested": THREADS, "cores": default_threads()}
    try:
        import threadpoolctl
    except ImportError:
        report["blas"] = "threadpoolctl not installed: BLAS threads not inspected"
    else:
        report["blas"] = [
            {key: info.get(key) for key in ("internal_api", "num_threads", "version", "architecture", "filepath")}
            for info in threadpoolctl.threadpool_info()
        ]
    if "numba" in sys.modules:
        numba = sys.modules["numba"]
        report["numba"] = numba.get_num_threads()
        try:
            report["numba_threading_layer"] = numba.threading_layer()
        except ValueError:  # no parallel kernel has run yet
            report["numba_threading_layer"] = "not started"
    if "torch" in sys.modules:
        report["torch"] = sys.modules["torch"].get_num_threads()
    if "jax" in sys.modules:
        report["jax_xla_flags"] = os.environ.get("XLA_FLAGS", "") or "default (all cores)"
    return report


def busy_cores(seconds: float = 0.2) -> float | None:
    """How many cores OTHER processes keep busy: CPU time used machine-wide while we sleep.

    Read from /proc/stat (Linux; None elsewhere). On a shared machine a value near the
    core count means every multi-threaded timing of this run is suspect.
    """
    def snapshot():
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        values = [int(x) for x in fields]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values[:8]), idle  # guest time is already counted in user

    try:
        total0, idle0 = snapshot()
        time.sleep(seconds)
        total1, idle1 = snapshot()
    except (OSError, ValueError, IndexError):
        return None
    elapsed = total1 - total0
    if elapsed <= 0:
        return None
    return default_threads() * (1.0 - (idle1 - idle0) / elapsed)


# ---------------------------------------------------------------------------
# Memory: the peak extra memory of one call, two ways.
# ---------------------------------------------------------------------------
def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _reset_rss_peak() -> bool:
    """Set this process's resident-set high-water mark (VmHWM) back to its current RSS
    (Linux: writing 5 to /proc/self/clear_refs). False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_memory(fn) -> dict:
    """Call ``fn()`` once and return its peak EXTRA memory in MB, measured two ways:

    ``tracemalloc_mb``  the peak of the memory that Python objects and numpy arrays hold
        during the call, above what they held before it (``tracemalloc``: numpy reports
        every array buffer it allocates to it). Exact for everything numpy allocates,
        including the arrays minigrad's numba kernels use (they allocate nothing in
        compiled code: tests/test_kernels.py checks that); blind to memory that C/C++
        libraries allocate themselves (XLA, torch).
    ``rss_mb``  how far the resident set's high-water mark rose above the resident set
        before the call (VmHWM, reset first through /proc/self/clear_refs; Linux only,
        else None). Sees every allocator, but only pages touched, and memory reused from
        earlier frees does not show as growth: a lower bound, coarse below ~1 MB.
    """
    import gc

    gc.collect()
    rss_ok = _reset_rss_peak()
    rss_before = _status_kb("VmRSS") if rss_ok else None
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    traced_before = tracemalloc.get_traced_memory()[0]
    try:
        fn()
        traced_peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not tracing:
            tracemalloc.stop()
    hwm = _status_kb("VmHWM") if rss_ok else None
    rss = None if hwm is None or rss_before is None else max(0, hwm - rss_before) / 1024
    return {"tracemalloc_mb": (traced_peak - traced_before) / 2**20, "rss_mb": rss}


# ---------------------------------------------------------------------------
# The machine's peak float64 rate, estimated from what the CPU says it is.
# ---------------------------------------------------------------------------
def _cpuinfo() -> dict:
    """flags (set) and clock (GHz) of the first CPU in /proc/cpuinfo; empty if not on Linux."""
    info: dict = {"flags": set(), "ghz": None, "bogomips": None}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "flags" and not info["flags"]:
            info["flags"] = set(value.split())
        elif key == "cpu MHz" and info["ghz"] is None:
            info["ghz"] = float(value) / 1e3
        elif key == "bogomips" and info["bogomips"] is None:
            info["bogomips"] = float(value)
    return info


def peak_gflops(cores: int | None = None) -> dict:
    """The peak float64 rate: an ESTIMATE (cores x clock x flops per cycle per core) and a
    MEASUREMENT (``measured_peak_gflops``); "gflops" is the larger of the two.

    Flops per cycle per core from the CPU flags, a fused multiply-add counting 2 flops:

        avx512f     16  (8 doubles x 2, one 512-bit FMA per cycle; AMD Zen 4 runs it as two
                         256-bit halves. Intel Xeons with TWO 512-bit FMA units reach 32:
                         there the fraction of peak printed is twice too high)
        avx2 + fma  16  (two 256-bit FMA pipes: 2 x 4 doubles x 2)
        avx          8  (a 256-bit add and a 256-bit multiply per cycle)
        otherwise    4  (SSE2)

    Clock: "cpu MHz" of /proc/cpuinfo (the current clock; a virtual machine reports its
    nominal one), else bogomips / 2. Turbo clocks and AVX-512 down-clocking move the true
    peak by +-20 %: read the fraction of peak as a rough figure.
    Returns {"gflops", "how", "estimate_gflops", "estimate_how", "measured_gflops", "cores",
    "ghz", "flops_per_cycle"}; gflops is None if both are unknown.
    """
    info = _cpuinfo()
    cores = cores or default_threads()
    measured = measured_peak_gflops(cores)
    flags = info["flags"]
    if "avx512f" in flags:
        per_cycle, isa = 16, "avx512f"
    elif "avx2" in flags and "fma" in flags:
        per_cycle, isa = 16, "avx2+fma"
    elif "avx" in flags:
        per_cycle, isa = 8, "avx"
    else:
        per_cycle, isa = 4, "sse2"
    ghz = info["ghz"] or (info["bogomips"] / 2e3 if info["bogomips"] else None)
    gflops = None if ghz is None else cores * ghz * per_cycle
    how = (f"{cores} cores x {ghz:.2f} GHz x {per_cycle} flops/cycle ({isa})" if ghz
           else "clock unknown (no /proc/cpuinfo)")
    result = {"estimate_gflops": gflops, "cores": cores, "ghz": ghz, "flops_per_cycle": per_cycle,
              "estimate_how": how, "measured_gflops": measured}
    # The fraction of peak is taken against the larger of the two: a measured FMA loop beats
    # the estimate when the clock boosts above the nominal one /proc/cpuinfo shows (measured
    # on this project's AMD EPYC VM: 58 GFLOP/s on one core, 2.6 GHz x 16 = 42 estimated,
    # i.e. ~3.7 GHz), and the estimate wins when other processes take cycles from the loop.
    candidates = [g for g in (gflops, measured) if g]
    result["gflops"] = max(candidates) if candidates else None
    result["how"] = (f"max of measured FMA loop {measured:.0f} GFLOP/s on {cores} threads and estimate "
                     f"{how} = {gflops:.0f}" if measured and gflops else how)
    return result


def _fma_loop():
    """A numba loop of 64 independent multiply-add chains: the fastest float64 code there is
    (LLVM keeps the chains in vector registers and issues one FMA per vector per step)."""
    from numba import njit

    @njit(fastmath=True, nogil=True, cache=True)
    def chains(reps, a, b):
        acc = np.ones(64)
        for _ in range(reps):
            for k in range(64):
                acc[k] = acc[k] * a + b
        return acc.sum()

    return chains


def measured_peak_gflops(threads: int, seconds: float = 0.1, trials: int = 5) -> float | None:
    """The float64 rate of ``threads`` concurrent FMA loops (Python threads, each running the
    compiled loop with the GIL released, as minigrad's kernels do): best of ``trials`` runs
    of about ``seconds`` each, 2 flops per multiply-add. None if numba is not available."""
    try:
        chains = _fma_loop()
    except ImportError:
        return None
    from concurrent.futures import ThreadPoolExecutor

    chains(10, 0.999, 0.001)  # compile (or load from the cache)
    start = time.perf_counter()
    chains(100_000, 0.999999, 1e-7)
    reps = max(1000, int(100_000 * seconds / max(time.perf_counter() - start, 1e-6)))
    best = 0.0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in range(trials):
            start = time.perf_counter()
            list(pool.map(lambda _: chains(reps, 0.999999, 1e-7), range(threads)))
            best = max(best, threads * 2 * 64 * reps / (time.perf_counter() - start) / 1e9)
    return best


@dataclass
class Timing:
    """The median and the fastest of ``repeats`` timed calls, in seconds."""

    median: float
    best: float
    repeats: int


def measure(fn, *, warmup: int = 1, min_repeats: int = 3, max_repeats: int = 200,
            min_time: float = 0.5) -> Timing:
    """Time ``fn()`` (no arguments): ``warmup`` untimed calls, then a number of timed
    calls fixed from the first one: enough for ``min_time`` seconds, at least
    ``min_repeats``, at most ``max_repeats``. All calls of one function run back to back.
    """
    for _ in range(warmup):
        fn()
    times = []
    wanted = min_repeats
    while len(times) < wanted:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        if len(times) == 1:
            wanted = max(min_repeats, min(max_repeats, math.ceil(min_time / max(times[0], 1e-9))))
    return Timing(statistics.median(times), min(times), len(times))


def relative_error(value, reference) -> float:
    """||value - reference|| / ||reference|| (whole vectors, 2-norm; scalars as 1-vectors).

    Shapes must match: a shape mismatch is a disagreement, not something to broadcast.
    """
    value = np.asarray(value, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if value.shape != reference.shape:
        raise ValueError(f"cannot compare shape {value.shape} with the reference's shape {reference.shape}")
    scale = np.linalg.norm(reference)
    diff = np.linalg.norm(value - reference)
    if not np.isfinite(diff):
        return float("inf")
    return float(diff / scale) if scale > 0 else float(diff)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment() -> dict:
    """The machine, the versions and the variables that change speed: stored with every result."""
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": default_threads(),
        "python": sys.version.split()[0],
        "versions": {name: _version(name) for name in
                     ("minigrad", "numpy", "numba", "llvmlite", "autograd", "jax", "jaxlib", "torch")},
        "variables": {name: os.environ.get(name) for name in RECORDED_VARIABLES},
        "threads": thread_report(),
    }


def write_json(path: Path, data) -> Path:
    """Write ``data`` as indented JSON (creating the folder); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=float) + "\n")
    return path


def write_csv(path: Path, rows: list[dict]) -> Path:
    """Write a list of flat dicts as CSV, columns in the order of the first row's keys."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0]) if rows else []
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: columns left-aligned to their widest cell, a rule under the header."""
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(header, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
