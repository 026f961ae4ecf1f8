"""Keep full benchmark runs in git (docs/benchmarks/), and turn them into the README's tables.

``benchmarks/results/`` is ignored by git: every run rewrites it, and a fresh clone has
none. To keep a run and regenerate the README's Performance tables:

    python -m benchmarks --snapshot      # a full run, then a copy in docs/benchmarks/runs/RUN/
    python -m benchmarks.snapshot        # print the README tables from every kept run

RUN is ``DATE_CPU_Nt`` (UTC date and time, the CPU model, the thread count). A run
folder holds summary.json and each workload's NAME.json and NAME.csv; the HVP figures of
the newest snapshot are copied to docs/benchmarks/NAME_hvp.png (the ones the README
shows). A ``--quick`` run is never kept: its sizes are tiny and its targets unmeasured.

The tables give every ratio as a RANGE over the kept runs of one machine (a machine is
the CPU model, the core count and the threads used), with how many runs met each target,
and list the runs with their date and how busy other processes kept the cores: one run
on a shared machine is a sample, not a fact.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks"


def run_name(summary: dict, environment: dict) -> str:
    """DATE_CPU_Nt, e.g. 2026-12-01T1130Z_AMD-EPYC_2t (file-system safe)."""
    date = environment["date_utc"][:16].replace(":", "") + "Z"
    cpu = re.sub(r"[^A-Za-z0-9]+", "-", environment["cpu"]).strip("-")[:40] or "cpu"
    threads = environment["threads"].get("requested") or environment["cores"]
    return f"{date}_{cpu}_{threads}t"


def save(out, dest=DOCS) -> Path:
    """Copy the run in ``out`` (summary.json and every workload's json/csv) to
    dest/runs/RUN/, and its HVP figures to dest/; return the run folder."""
    out, dest = Path(out), Path(dest)
    summary = json.loads((out / "summary.json").read_text())
    if summary["quick"]:
        raise ValueError("--snapshot keeps full runs only: a --quick run has tiny sizes and no measured targets")
    environment = json.loads((out / f"{summary['workloads'][0]}.json").read_text())["environment"]
    folder = dest / "runs" / run_name(summary, environment)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(out / "summary.json", folder / "summary.json")
    for name in summary["workloads"]:
        for suffix in (".json", ".csv"):
            if (out / f"{name}{suffix}").exists():
                shutil.copy2(out / f"{name}{suffix}", folder / f"{name}{suffix}")
        if (out / f"{name}_hvp.png").exists():
            shutil.copy2(out / f"{name}_hvp.png", dest / f"{name}_hvp.png")
    return folder


def load_runs(dest=DOCS) -> list[dict]:
    """Every kept run, oldest first: {"name", "summary", "results": {workload: result}}."""
    runs = []
    for folder in sorted(Path(dest, "runs").glob("*/")):
        if not (folder / "summary.json").exists():
            continue
        summary = json.loads((folder / "summary.json").read_text())
        results = {name: json.loads((folder / f"{name}.json").read_text())
                   for name in summary["workloads"] if (folder / f"{name}.json").exists()}
        runs.append({"name": folder.name, "summary": summary, "results": results})
    return runs


def _environment(run: dict) -> dict:
    return next(iter(run["results"].values()))["environment"]


def machine(run: dict) -> str:
    env = _environment(run)
    threads = env["threads"].get("requested") or env["cores"]
    return f"{env['cpu']}, {env['cores']} cores, {threads} threads"


def _busy(run: dict) -> float | None:
    values = [b for result in run["results"].values() for b in (result.get("busy_cores") or {}).values()
              if b is not None]
    return max(values) if values else None


def _span(values, digits=2, unit="") -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    if f"{low:.{digits}f}" == f"{high:.{digits}f}":
        return f"{low:.{digits}f}{unit}"
    return f"{low:.{digits}f}-{high:.{digits}f}{unit}"


def tables(runs: list[dict], dest=DOCS) -> str:
    """Markdown for the README: the runs, then per machine the targets, the two-layer times
    and peak memory (ranges over runs); the newest HVP figure first if dest has one."""
    if not runs:
        return "No kept runs: make one with `python -m benchmarks --snapshot`."
    lines = []
    figure = Path(dest) / "two_layer_hvp.png"
    if figure.exists():
        relative = figure.relative_to(REPO) if figure.is_relative_to(REPO) else figure
        lines += [f"![two-layer HVP time against the width, newest kept run]({relative.as_posix()})", ""]
    lines += ["| run | machine | seconds | cores busy with others (max) | --big |", "|---|---|---|---|---|"]
    for run in runs:
        busy = _busy(run)
        lines.append(f"| {run['name']} | {machine(run)} | {run['summary']['seconds']:.0f} | "
                     f"{'-' if busy is None else f'{busy:.2f}'} | {'yes' if run['summary']['big'] else 'no'} |")
    for name in dict.fromkeys(machine(run) for run in runs):
        group = [run for run in runs if machine(run) == name]
        lines += ["", f"**{name}** ({len(group)} run{'s' if len(group) > 1 else ''}: "
                  f"{', '.join(run['name'][:16] for run in group)})", "",
                  "| target | measured (range over runs) | met |", "|---|---|---|"]
        targets = {}
        for run in group:
            for t in run["summary"]["targets"]:
                entry = targets.setdefault((t["workload"], t["target"]),
                                           {"values": {}, "texts": [], "met": 0, "judged": 0})
                for key, value in (t.get("values") or {}).items():
                    entry["values"].setdefault(key, []).append(value)
                entry["texts"].append(t["measured"])
                entry["met"] += t["verdict"] == "met"
                entry["judged"] += t["verdict"] in ("met", "missed")
        for (workload, target), entry in targets.items():
            unit = " s" if workload == "cold_start" else ""
            measured = "; ".join(f"{key}: {_span(values, 2, unit)}" if key != "s" else _span(values, 2, unit)
                                 for key, values in entry["values"].items())
            measured = measured or " / ".join(dict.fromkeys(entry["texts"]))  # a target without numbers
            met = f"{entry['met']}/{entry['judged']}" if entry["judged"] else "-"
            lines.append(f"| {target} | {measured} | {met} |")
        lines += ["", "| two-layer, m | op | " + " | ".join(_backends(group)) + " |",
                  "|---|---|" + "---|" * len(_backends(group))]
        for m in _widths(group):
            for op in ("hvp", "loss"):
                cells = []
                for backend in _backends(group):
                    times = [r[f"{op}_ms"] for run in group for r in run["results"].get("two_layer", {}).get("records", [])
                             if r["m"] == m and r["backend"] == backend and r["status"] == "ok"]
                    cells.append(_span(times, 3 if times and max(times) < 1 else 1, " ms"))
                lines.append(f"| {_width(m)} | {op} | " + " | ".join(cells) + " |")
        lines += ["", "| two-layer, m | HVP peak memory: " + " | ".join(_backends(group)) + " |",
                  "|---|" + "---|" * len(_backends(group))]
        for m in _widths(group):
            cells = []
            for backend in _backends(group):
                peaks = [r["hvp_peak_mb"] for run in group for r in run["results"].get("two_layer", {}).get("records", [])
                         if r["m"] == m and r["backend"] == backend and r.get("hvp_peak_mb") is not None]
                method = next((r["memory_method"] for run in group
                               for r in run["results"].get("two_layer", {}).get("records", [])
                               if r["backend"] == backend and r.get("memory_method")), "")
                cells.append(_span(peaks, 1, f" MB ({method})" if method else " MB"))
            lines.append(f"| {_width(m)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _width(m: int) -> str:
    """10^k for a power of ten, else the number."""
    k = len(str(m)) - 1
    return f"10^{k}" if m == 10**k and k > 1 else str(m)


def _backends(group) -> list[str]:
    return list(dict.fromkeys(r["backend"] for run in group
                              for r in run["results"].get("two_layer", {}).get("records", [])))


def _widths(group) -> list[int]:
    return sorted({r["m"] for run in group for r in run["results"].get("two_layer", {}).get("records", [])})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.snapshot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default=str(DOCS), help=f"folder of kept runs (default {DOCS})")
    args = parser.parse_args(argv)
    print(tables(load_runs(args.runs), args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
