"""Run one network workload: for every width and every backend, check, then time.

For each width m the same data (X, y), the same parameters theta (``net.init``) and
the same direction v go to every backend. Minigrad's numpy twin (``backend="numpy"``)
is the reference: each backend's loss, gradient and HVP are compared with it first
(relative error, whole vectors), and only a backend that agrees to ``TOLERANCE`` is
timed. Then loss, gradient and HVP are timed separately (``timing.measure``), one
backend after the other.

Ratios: ``x peer`` is a backend's time over the fastest peer's time (autograd, jax,
torch) for the same operation at the same width; ``hvp/loss`` is its HVP time over
its own loss time (an HVP costs a few losses: it is the number a student can reason about).

Memory: after the timing, one more call of each operation is measured for its peak
extra memory (``timing.peak_memory``): by ``tracemalloc`` for minigrad's backends and
HIPS autograd (all their arrays are numpy's, which tracemalloc sees; minigrad's numba
kernels allocate nothing in compiled code), by the growth of the resident set's
high-water mark for JAX and torch (their C++ allocators are invisible to tracemalloc).
Both numbers are stored; the table prints the one named in MEMORY_METHODS.

Growth: the least-squares slope of log(time) and log(peak memory) against log(m) over
the wide widths (m >= GROWTH_FROM, where per-neuron work dominates fixed costs); a
streaming kernel has slope ~1 in both.
"""

from __future__ import annotations

import gc
import math
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import peers as peers_module
from . import timing

MINIGRAD_BACKENDS = ("engine", "numpy", "numba")
REFERENCE = "numpy"  # minigrad's closed forms in plain numpy: the twin every backend is checked against
OPS = ("loss", "grad", "hvp")
DEFAULT_OUT = Path(__file__).resolve().parent / "results"  # ignored by git (benchmarks/.gitignore)
QUICK_OUT = Path(__file__).resolve().parent / "results-quick"  # --quick: tiny sizes, kept apart


def output_folder(out, quick: bool) -> Path:
    """``out`` if given, else results/ (or results-quick/ for --quick, so that a quick run
    never overwrites the numbers of a full one)."""
    if out is not None:
        return Path(out)
    return QUICK_OUT if quick else DEFAULT_OUT
TOLERANCE = 1e-8  # float64 closed forms and autodiff agree to ~1e-14; anything near 1e-8 is a bug
MEMORY_METHODS = {"jax": "rss_mb", "torch": "rss_mb"}  # others: "tracemalloc_mb" (see the docstring)
GROWTH_FROM = 10**4


@dataclass
class Sizes:
    """How big and how long: the data (n samples of dimension d), the widths, the clock."""

    n: int
    d: int
    widths: tuple[int, ...]
    warmup: int = 1
    min_repeats: int = 3
    max_repeats: int = 200
    min_time: float = 0.5
    collect_garbage: bool = True  # gc.collect() before timing each width (~0.1 s)
    quick: bool = False  # tiny sizes: the targets are reported "not measured at this size"


@dataclass
class Workload:
    """A network to benchmark: how to build it in minigrad and how the peers compute it.

    make_net(m, d) -> a minigrad net with .init/.loss/.loss_grad/.loss_hvp(backend=);
    make_model(m, d) -> model(tanh, theta, X) for the peers (see peers.py);
    width_limits: backend -> the largest width it is run at (beyond, it would not fit
    in memory on the reference machine); it is listed as skipped there.
    backends: the minigrad backends the net has (DeepNet: no "numba").
    reference: (net, X, y) -> PeerFunctions that every backend is checked against
    (None: minigrad's numpy twin), named ``reference_name``.
    flops_per_pair: (op, d) -> flops per (sample, neuron) pair of the numba kernels, to
    print GFLOP/s and the fraction of the machine's peak (None: not printed).
    """

    name: str
    title: str
    make_net: Callable
    make_model: Callable
    width_limits: dict = field(default_factory=dict)
    backends: tuple = MINIGRAD_BACKENDS  # the minigrad backends this net has
    reference: Callable | None = None
    reference_name: str = REFERENCE
    flops_per_pair: Callable | None = None
    growth_note: str | None = None  # printed beside the growth slopes (what slope to expect)


@dataclass
class Target:
    """One speed target of the issue, what this run measured, and whether it was met."""

    workload: str
    target: str
    measured: str
    verdict: str  # "met", "missed" or "not measured" (a backend or peer missing, or --quick sizes)
    values: dict = field(default_factory=dict)  # the measured numbers, e.g. {"m=10000": 0.31}


def make_data(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (n, d) with rows uniform on the unit sphere (the usual NTK setting), y (n,) ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.standard_normal(n)
    return X, y


def minigrad_functions(net, X, y, backend: str) -> peers_module.PeerFunctions:
    """A minigrad backend in the same shape as a peer (arrays are already native)."""
    return peers_module.PeerFunctions(
        loss=lambda theta: net.loss(theta, X, y, backend=backend),
        grad=lambda theta: net.loss_grad(theta, X, y, backend=backend),
        hvp=lambda theta, v: net.loss_hvp(theta, X, y, v, backend=backend),
        to_native=lambda a: a,
        to_numpy=np.asarray,
    )


def _calls(functions: peers_module.PeerFunctions, theta, v) -> dict:
    """The three operations as functions of no argument (what the clock calls)."""
    return {"loss": lambda: functions.loss(theta), "grad": lambda: functions.grad(theta),
            "hvp": lambda: functions.hvp(theta, v)}


def _call_all(functions: peers_module.PeerFunctions, theta, v) -> tuple[dict, dict]:
    """One call of each operation, as numpy results, and each first call's time (ms)."""
    values, first_ms = {}, {}
    for op, call in _calls(functions, theta, v).items():
        start = time.perf_counter()
        result = call()
        first_ms[op] = 1e3 * (time.perf_counter() - start)
        values[op] = result if op == "loss" else functions.to_numpy(result)
    return values, first_ms


def _check(functions: peers_module.PeerFunctions, theta, v, reference: dict) -> dict:
    """Call each operation once (the first warm-up: JIT compiles here) and compare with the
    reference. Returns the errors, the first calls' times and a status: "checked", or
    "MISMATCH ..." when the worst relative error exceeds TOLERANCE (then it is not timed).
    """
    values, first_ms = _call_all(functions, theta, v)
    record = {f"err_{op}": timing.relative_error(values[op], reference[op]) for op in OPS}
    record.update({f"first_{op}_ms": first_ms[op] for op in OPS})
    worst = max(record[f"err_{op}"] for op in OPS)
    if worst <= TOLERANCE:
        record["status"] = "checked"
    else:
        record["status"] = f"MISMATCH: relative error {worst:.2e} > {TOLERANCE:g}; not timed"
    return record


def _time_all(calls: dict, records: dict, sizes: Sizes) -> None:
    """Time every checked backend, each in its own block of calls (see timing.py for why).

    calls: backend -> {op: function of no argument}; fills records[backend] in place.
    """
    if sizes.collect_garbage:
        gc.collect()  # start from a clean heap: garbage left from the checks is no one's cost
    for name, ops in calls.items():
        for op in OPS:
            t = timing.measure(ops[op], warmup=sizes.warmup, min_repeats=sizes.min_repeats,
                               max_repeats=sizes.max_repeats, min_time=sizes.min_time)
            records[name][f"{op}_ms"] = 1e3 * t.median
            records[name][f"{op}_best_ms"] = 1e3 * t.best
            records[name][f"{op}_repeats"] = t.repeats
        records[name]["status"] = "ok"


def _measure_memory(calls: dict, records: dict) -> None:
    """One more call of every timed operation, for its peak extra memory (see the module
    docstring): fills records[backend] with {op}_tracemalloc_mb, {op}_rss_mb and
    {op}_peak_mb (the one MEMORY_METHODS names for this backend), and memory_method."""
    for name, ops in calls.items():
        method = MEMORY_METHODS.get(name, "tracemalloc_mb")
        records[name]["memory_method"] = method.removesuffix("_mb")
        for op in OPS:
            peak = timing.peak_memory(ops[op])
            records[name][f"{op}_tracemalloc_mb"] = peak["tracemalloc_mb"]
            records[name][f"{op}_rss_mb"] = peak["rss_mb"]
            records[name][f"{op}_peak_mb"] = peak[method]


def _add_ratios(records: list[dict], peer_names) -> None:
    """Fill ``{op}_x_peer`` (time / fastest peer's time) and ``hvp_over_loss`` in place."""
    for m in sorted({r["m"] for r in records}):
        at_m = [r for r in records if r["m"] == m]
        for op in OPS:
            peer_times = [(r[f"{op}_ms"], r["backend"]) for r in at_m
                          if r["backend"] in peer_names and r["status"] == "ok"]
            best = min(peer_times) if peer_times else None
            for r in at_m:
                ok = r["status"] == "ok" and best is not None
                r[f"{op}_x_peer"] = r[f"{op}_ms"] / best[0] if ok else None
                r[f"{op}_fastest_peer"] = best[1] if best else None
        for r in at_m:
            r["hvp_over_loss"] = r["hvp_ms"] / r["loss_ms"] if r["status"] == "ok" else None


def run(workload: Workload, sizes: Sizes, *, backends=MINIGRAD_BACKENDS,
        peer_names=peers_module.PEER_NAMES, seed: int = 0, verbose: bool = True) -> dict:
    """Benchmark ``workload`` at every width of ``sizes``: returns a dict of records and metadata.

    Every backend in ``backends`` (minigrad's) and every importable peer in
    ``peer_names`` is checked against the numpy twin and timed; failures are recorded
    (status), never raised, so one broken backend does not hide the others.
    """
    unknown = [b for b in backends if b not in MINIGRAD_BACKENDS]
    if unknown:
        raise ValueError(f"unknown minigrad backend(s) {unknown}; the backends are {MINIGRAD_BACKENDS}")
    backends = [b for b in backends if b in workload.backends]
    loaded, skipped = peers_module.load_peers(peer_names)
    X, y = make_data(sizes.n, sizes.d, seed)
    busy = {"start": timing.busy_cores()}
    records = []
    for m in sizes.widths:
        if m != sizes.widths[0]:
            busy[f"m={m}"] = timing.busy_cores()
        net = workload.make_net(m, sizes.d)
        theta = net.init(seed)
        v = np.random.default_rng(seed + 1).standard_normal(theta.size)
        if workload.reference is None:
            reference_functions = minigrad_functions(net, X, y, REFERENCE)
        else:
            reference_functions = workload.reference(net, X, y)
        reference, _ = _call_all(reference_functions, theta, v)
        model = workload.make_model(m, sizes.d)
        contenders = [(b, "minigrad", lambda b=b: minigrad_functions(net, X, y, b)) for b in backends]
        contenders += [(name, "peer", lambda peer=peer: peer.build(model, X, y)) for name, peer in loaded.items()]
        at_m, calls = {}, {}
        for name, kind, build in contenders:
            record = {"workload": workload.name, "m": m, "params": int(theta.size), "backend": name, "kind": kind}
            limit = workload.width_limits.get(name)
            if limit is not None and m > limit:
                record["status"] = f"skipped: m > {limit} would not fit in memory"
            else:
                try:
                    functions = build()
                    theta_n, v_n = functions.to_native(theta), functions.to_native(v)
                    record.update(_check(functions, theta_n, v_n, reference))
                    if record["status"] == "checked":
                        calls[name] = _calls(functions, theta_n, v_n)
                except Exception as error:  # recorded and shown, so the other backends still run
                    record["status"] = f"ERROR: {type(error).__name__}: {error}"
                    record["traceback"] = traceback.format_exc()
            at_m[name] = record
        _time_all(calls, at_m, sizes)
        _measure_memory(calls, at_m)
        records += at_m.values()
        if verbose:
            for name, record in at_m.items():
                print(f"  {workload.name} m={m:<8} {name:<9} {_short_line(record)}", flush=True)
    _add_ratios(records, list(loaded))
    return {
        "workload": workload.name,
        "title": workload.title,
        "sizes": asdict(sizes),
        "seed": seed,
        "tolerance": TOLERANCE,
        "reference": workload.reference_name,
        "quick": sizes.quick,
        "peers_loaded": {name: peers_module.peer_version(name) for name in loaded},
        "peers_skipped": skipped,
        "busy_cores": {**busy, "end": timing.busy_cores()},
        "environment": timing.environment(),
        "records": records,
    }


# ---------------------------------------------------------------------------
# Presenting the results.
# ---------------------------------------------------------------------------
def fmt_ms(ms) -> str:
    """A time in ms with three significant digits and no exponent (1234, 36.7, 0.123)."""
    if ms is None:
        return "-"
    if ms <= 0:
        return "0"
    decimals = max(0, 2 - math.floor(math.log10(ms)))
    return f"{ms:.{decimals}f}"


def fmt_ratio(x) -> str:
    return "-" if x is None else f"{x:.2f}x"


def fmt_mb(mb, method=None) -> str:
    """A memory size in MB with three significant digits, and the method's initial (t, r)."""
    if mb is None:
        return "-"
    text = fmt_ms(mb) if mb >= 0.001 else "0"
    return f"{text} {method[0]}" if method else text


def _short_line(record: dict) -> str:
    if record["status"] != "ok":
        return record["status"]
    return (f"loss {fmt_ms(record['loss_ms'])} ms, grad {fmt_ms(record['grad_ms'])} ms, "
            f"hvp {fmt_ms(record['hvp_ms'])} ms, max rel.err "
            f"{max(record[f'err_{op}'] for op in OPS):.1e}")


def table(result: dict) -> str:
    """The printed table: one row per (width, backend)."""
    header = ["m", "params", "backend", "loss ms", "grad ms", "hvp ms", "hvp/loss", "hvp peak MB",
              "max rel.err", "status"]
    rows = []
    for r in result["records"]:
        if r["status"] != "ok":
            err = max((r[f"err_{op}"] for op in OPS if f"err_{op}" in r), default=None)
            rows.append([str(r["m"]), str(r["params"]), r["backend"], "", "", "", "", "",
                         "-" if err is None else f"{err:.1e}", r["status"]])
            continue
        cells = [f"{fmt_ms(r[f'{op}_ms'])} ({fmt_ratio(r[f'{op}_x_peer'])})" for op in OPS]
        rows.append([str(r["m"]), str(r["params"]), r["backend"], *cells,
                     f"{r['hvp_over_loss']:.2f}", fmt_mb(r.get("hvp_peak_mb"), r.get("memory_method")),
                     f"{max(r[f'err_{op}'] for op in OPS):.1e}", "ok"])
    note = ("(x) = time / the fastest peer's time for that operation and width; "
            "hvp peak MB = the HVP's peak extra memory (t: tracemalloc, r: resident-set growth); "
            f"rel.err = worst of loss, grad, HVP against the reference, {result['reference']}")
    return timing.format_table(header, rows) + "\n" + note


def csv_rows(result: dict) -> list[dict]:
    """Flat rows for the CSV file, the same columns for every record."""
    columns = ["workload", "m", "params", "backend", "kind", "status",
               "loss_ms", "grad_ms", "hvp_ms", "loss_x_peer", "grad_x_peer", "hvp_x_peer",
               "hvp_fastest_peer", "hvp_over_loss", "err_loss", "err_grad", "err_hvp",
               "memory_method", "loss_peak_mb", "grad_peak_mb", "hvp_peak_mb",
               "loss_tracemalloc_mb", "grad_tracemalloc_mb", "hvp_tracemalloc_mb",
               "loss_rss_mb", "grad_rss_mb", "hvp_rss_mb",
               "first_loss_ms", "first_grad_ms", "first_hvp_ms",
               "loss_repeats", "grad_repeats", "hvp_repeats"]
    return [{c: r.get(c) for c in columns} for r in result["records"]]


def figure(result: dict, path: Path) -> Path:
    """Log-log plot of the HVP time against the width m, one line per backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    backends = list(dict.fromkeys(r["backend"] for r in result["records"]))
    for name in backends:
        points = [(r["m"], r["hvp_ms"]) for r in result["records"]
                  if r["backend"] == name and r["status"] == "ok"]
        if not points:
            continue
        kind = next(r["kind"] for r in result["records"] if r["backend"] == name)
        ms, ts = zip(*points)
        label = f"minigrad {name}" if kind == "minigrad" else name
        ax.loglog(ms, ts, marker="o", linestyle="-" if kind == "minigrad" else "--", label=label)
    sizes = result["sizes"]
    threads = result["environment"]["threads"]["requested"] or "library defaults"
    ax.set_xlabel("width m")
    ax.set_ylabel("Hessian-vector product time [ms] (median)")
    ax.set_title(f"{result['title']}: HVP of the squared loss\n"
                 f"n = {sizes['n']}, d = {sizes['d']}, float64, threads = {threads}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write(result: dict, out: Path) -> dict:
    """Write NAME.json, NAME.csv and NAME_hvp.png under ``out``; return their paths."""
    out = Path(out)
    name = result["workload"]
    paths = {
        "json": timing.write_json(out / f"{name}.json", result),
        "csv": timing.write_csv(out / f"{name}.csv", csv_rows(result)),
        "png": figure(result, out / f"{name}_hvp.png"),
    }
    result["files"] = {k: str(p) for k, p in paths.items()}
    return paths


def find(result: dict, backend: str, m: int) -> dict | None:
    """The record of ``backend`` at width m, if it ran and agreed with the twin."""
    for r in result["records"]:
        if r["backend"] == backend and r["m"] == m and r["status"] == "ok":
            return r
    return None


def failures(result: dict) -> list[str]:
    """Records that disagreed with the twin or crashed (skips for memory are not failures)."""
    return [f"{r['workload']} m={r['m']} {r['backend']}: {r['status']}" for r in result.get("records", [])
            if r["status"].startswith(("MISMATCH", "ERROR"))]


# ---------------------------------------------------------------------------
# Targets: ratios measured in this run, against the bounds the issue sets.
# ---------------------------------------------------------------------------
def ratio_target(result: dict, target: str, numerator: tuple[str, str], denominator: tuple[str, str],
                 bound: float, widths) -> Target:
    """Target "time(numerator) / time(denominator) <= bound at every width in ``widths``".

    numerator, denominator: (backend, op), e.g. ("numba", "hvp"); widths not run
    (quick mode, a missing peer) make the verdict "not measured" when none is left.
    """
    parts, ok, values = [], True, {}
    for m in widths:
        top, bottom = find(result, numerator[0], m), find(result, denominator[0], m)
        if top is None or bottom is None:
            continue
        ratio = top[f"{numerator[1]}_ms"] / bottom[f"{denominator[1]}_ms"]
        parts.append(f"m={m}: {ratio:.2f}")
        values[f"m={m}"] = ratio
        ok = ok and ratio <= bound
    if result.get("quick"):  # tiny sizes say nothing about the targets, which are about real ones
        shown = f" ({'; '.join(parts)})" if parts else ""
        return Target(result["workload"], target, f"not measured at this size (--quick){shown}", "not measured",
                      values)
    if not parts:
        missing = [b for b in dict.fromkeys((numerator[0], denominator[0]))
                   if not any(r["backend"] == b and r["status"] == "ok" for r in result["records"])]
        why = f"{', '.join(missing)} did not run" if missing else "no width in range"
        return Target(result["workload"], target, why, "not measured")
    return Target(result["workload"], target, "; ".join(parts), "met" if ok else "missed", values)


def loglog_slope(x, y) -> float | None:
    """Least-squares slope of log y against log x (None if fewer than 2 positive points)."""
    points = [(a, b) for a, b in zip(x, y) if a and b and a > 0 and b > 0]
    if len(points) < 2:
        return None
    xs, ys = np.log([a for a, _ in points]), np.log([b for _, b in points])
    return float(np.polyfit(xs, ys, 1)[0])


def growth(result: dict) -> dict:
    """Log-log slopes in m of every backend's times and HVP peak memory, over the widths
    m >= GROWTH_FROM (over all widths when fewer than two are that wide, as in --quick).
    Returns {"widths": [...], "rows": [{backend, loss_time, grad_time, hvp_time, hvp_memory}]}."""
    widths = sorted({r["m"] for r in result["records"]})
    wide = [m for m in widths if m >= GROWTH_FROM]
    over = wide if len(wide) >= 2 else widths
    rows = []
    for backend in dict.fromkeys(r["backend"] for r in result["records"]):
        records = [r for r in result["records"] if r["backend"] == backend and r["status"] == "ok" and r["m"] in over]
        if len(records) < 2:
            continue
        ms = [r["m"] for r in records]
        row = {"backend": backend, "widths": ms}
        for op in OPS:
            row[f"{op}_time"] = loglog_slope(ms, [r[f"{op}_ms"] for r in records])
        # Resident-set growth is coarse (pages, reuse): below 1 MB it says nothing.
        peaks = [r.get("hvp_peak_mb") for r in records]
        if any(r.get("memory_method") == "rss" for r in records):
            peaks = [None if p is None or p < 1.0 else p for p in peaks]
        row["hvp_memory"] = loglog_slope(ms, peaks)
        rows.append(row)
    note = None
    if result.get("quick"):
        note = "tiny --quick sizes: fixed costs dominate, the slopes mean little"
    elif result.get("growth_note"):
        note = result["growth_note"]
    return {"widths": over, "rows": rows, "note": note}


def growth_table(found: dict) -> str:
    def cell(x):
        return "-" if x is None else f"{x:.2f}"

    rows = [[g["backend"], cell(g["loss_time"]), cell(g["grad_time"]), cell(g["hvp_time"]), cell(g["hvp_memory"])]
            for g in found["rows"]]
    title = (f"growth in m: log-log slope over m = {', '.join(map(str, found['widths']))} "
             "(1 = linear in the width; time and peak memory)")
    if found.get("note"):
        title += " -- " + found["note"]
    return title + "\n" + timing.format_table(["backend", "loss time", "grad time", "hvp time", "hvp memory"], rows)


def flop_rates(result: dict) -> list[dict]:
    """GFLOP/s of the numba backend per width and operation: flops_per_pair * n * m / time,
    and the fraction of the estimated peak (result["peak"]). Empty without a flop count."""
    per_pair, peak = result.get("flops_per_pair"), result.get("peak") or {}
    if not per_pair:
        return []
    n = result["sizes"]["n"]
    rows = []
    for r in result["records"]:
        if r["backend"] != "numba" or r["status"] != "ok":
            continue
        row = {"m": r["m"]}
        for op in OPS:
            gflops = per_pair[op] * n * r["m"] / (r[f"{op}_ms"] * 1e-3) / 1e9
            row[f"{op}_gflops"] = gflops
            row[f"{op}_of_peak"] = gflops / peak["gflops"] if peak.get("gflops") else None
        rows.append(row)
    return rows


def flops_table(result: dict) -> str:
    rows = flop_rates(result)
    if not rows:
        return ""
    per_pair, peak = result["flops_per_pair"], result["peak"]

    def cell(row, op):
        share = row[f"{op}_of_peak"]
        return f"{row[f'{op}_gflops']:.1f} ({'-' if share is None else f'{100 * share:.0f}%'})"

    lines = [f"numba GFLOP/s (% of peak): flops per (sample, neuron) pair at d = {result['sizes']['d']}: "
             + ", ".join(f"{op} {per_pair[op]}" for op in OPS)
             + " (counted in minigrad/kernels/two_layer.py); peak "
             + (f"{peak['gflops']:.0f} GFLOP/s = {peak['how']}" if peak.get("gflops") else peak.get("how", "unknown"))
             + " (benchmarks/timing.py: peak_gflops)",
             timing.format_table(["m", "loss", "grad", "hvp"], [[str(r["m"])] + [cell(r, op) for op in OPS] for r in rows])]
    return "\n".join(lines)


def engine_ratios(result: dict) -> list[dict]:
    """engine HVP / engine loss, and engine HVP / HIPS autograd HVP (None without autograd), per width."""
    rows = []
    for m in sorted({r["m"] for r in result["records"]}):
        engine, autograd = find(result, "engine", m), find(result, "autograd", m)
        if engine is None:
            continue
        rows.append({"m": m, "hvp_over_loss": engine["hvp_ms"] / engine["loss_ms"],
                     "hvp_over_autograd_hvp": engine["hvp_ms"] / autograd["hvp_ms"] if autograd else None})
    return rows


def engine_ratios_table(result: dict) -> str:
    rows = engine_ratios(result)
    if not rows:
        return ""
    has_autograd = any(r["hvp_over_autograd_hvp"] is not None for r in rows)
    why = result["peers_skipped"].get("autograd", "not among the peers asked for (--peers)")
    note = "" if has_autograd else f" (HIPS autograd did not run: {why})"
    return ("engine ratios" + note + "\n" + timing.format_table(
        ["m", "engine HVP / engine loss", "engine HVP / autograd HVP"],
        [[str(r["m"]), f"{r['hvp_over_loss']:.2f}",
          "-" if r["hvp_over_autograd_hvp"] is None else f"{r['hvp_over_autograd_hvp']:.2f}"] for r in rows]))


def targets_table(targets: list[Target]) -> str:
    rows = [[t.workload, t.target, t.measured, t.verdict.upper()] for t in targets]
    return timing.format_table(["workload", "target", "measured", "verdict"], rows)


def add_cli_arguments(parser) -> None:
    """The options every workload takes (``python -m benchmarks.NAME --help``)."""
    parser.add_argument("--quick", action="store_true", help="tiny sizes and one timed call (for the tests)")
    parser.add_argument("--big", action="store_true", help="also the largest widths (two-layer m = 10^6)")
    parser.add_argument("--out", default=None,
                        help=f"folder for JSON/CSV/PNG (default {DEFAULT_OUT}; with --quick {QUICK_OUT})")
    parser.add_argument("--threads", type=int, default=timing.default_threads(),
                        help="threads for every library (default: the cores this process may use)")
    parser.add_argument("--peers", default=",".join(peers_module.PEER_NAMES),
                        help="comma-separated peers to try (default: all); '' for none")


def threads_line(env: dict) -> str:
    """The thread counts each library reports, and the OpenBLAS core type in force."""
    threads = env["threads"]
    blas = threads["blas"]
    if isinstance(blas, list):
        blas = ", ".join(f"{b['internal_api']} {b['num_threads']}"
                         + (f" ({b['architecture']})" if b["architecture"] else "") for b in blas)
    return (f"threads: {threads.get('requested') or 'not set (library defaults)'} requested; "
            f"numba {threads.get('numba', '-')}, torch {threads.get('torch', '-')}, "
            f"jax {threads.get('jax_xla_flags', '-')}, BLAS pools: {blas}; "
            f"OPENBLAS_CORETYPE={env['variables'].get('OPENBLAS_CORETYPE')}")


def busy_line(busy: dict) -> str:
    """How busy other processes kept the machine, with a warning when it matters."""
    values = [b for b in busy.values() if b is not None]
    if not values:
        return "cores busy with other processes: unknown (no /proc/stat)"
    text = "cores busy with other processes: " + ", ".join(
        f"{k} {b:.2f}" for k, b in busy.items() if b is not None)
    if max(values) > 0.3:
        text += ("  -- the machine was shared: timings are slower and noisier than on an idle one, and"
                 " with threads > 1 the thread pools of numba, torch and OpenBLAS can stall badly"
                 " (compare with --threads 1)")
    return text


def report(result: dict, targets: list[Target]) -> str:
    """The whole printed report of one workload: table, skipped peers, load, targets, files."""
    lines = [f"\n== {result['title']} (n = {result['sizes']['n']}, d = {result['sizes']['d']}, float64)", table(result)]
    for name, reason in result["peers_skipped"].items():
        lines.append(f"skipped peer {name}: {reason}")
    lines.append(growth_table(result["growth"]))
    for extra in (flops_table(result), engine_ratios_table(result)):
        if extra:
            lines.append(extra)
    lines.append(threads_line(result["environment"]))
    lines.append(busy_line(result["busy_cores"]))
    lines.append(targets_table(targets))
    if "files" in result:
        lines.append("written: " + ", ".join(result["files"].values()))
    return "\n".join(lines)


def parse_peers(text: str) -> tuple[str, ...]:
    """'jax,torch' -> ('jax', 'torch'); '' -> (); unknown names are a ValueError."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in peers_module.PEER_NAMES]
    if unknown:
        raise ValueError(f"unknown peer(s) {unknown}; the peers are {peers_module.PEER_NAMES}")
    return names


def run_and_report(workload: Workload, sizes: Sizes, targets_of: Callable, *, out=None,
                   threads: int | None = None, peer_names=peers_module.PEER_NAMES,
                   backends=MINIGRAD_BACKENDS, verbose: bool = True) -> dict:
    """What ``python -m benchmarks.NAME`` does: threads, run, targets, files, printed report."""
    if threads is not None:
        timing.set_threads(threads)
    result = run(workload, sizes, backends=backends, peer_names=peer_names, verbose=verbose)
    result["growth_note"] = workload.growth_note
    result["growth"] = growth(result)
    result["engine_ratios"] = engine_ratios(result)
    if workload.flops_per_pair is not None:
        result["flops_per_pair"] = {op: workload.flops_per_pair(op, sizes.d) for op in OPS}
        result["peak"] = timing.peak_gflops(timing.THREADS)
        result["flop_rates"] = flop_rates(result)
    found = targets_of(result)
    result["targets"] = [vars(t) for t in found]
    write(result, output_folder(out, sizes.quick))
    if verbose:
        print(report(result, found), flush=True)
    return result


def main(run_module: Callable, prog: str, doc: str, argv=None) -> int:
    """Command line of one workload file; exit status 1 if a backend disagreed or crashed."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog, description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_cli_arguments(parser)
    args = parser.parse_args(argv)
    result = run_module(quick=args.quick, big=args.big, out=args.out, threads=args.threads,
                        peer_names=parse_peers(args.peers))
    return 1 if failures(result) else 0
