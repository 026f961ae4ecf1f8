"""Command line: ``python -m benchmarks [--big] [--quick] [--only NAME] [--out DIR] [--threads N] [--peers LIST]
[--snapshot]``."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from . import WORKLOADS
from . import __doc__ as PACKAGE_DOC
from . import timing
from . import workload as wl


def run_all(names=WORKLOADS, *, quick: bool = False, big: bool = False, out=None,
            threads: int | None = None, peer_names=None, verbose: bool = True) -> dict:
    """Run the named workloads in order; write summary.json (all targets, failures) under ``out``.

    Returns {"results": {name: result}, "targets": [...], "failures": [...], "seconds": float}.
    """
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; the workloads are {WORKLOADS}")
    if threads is not None:
        timing.set_threads(threads)
    out = wl.output_folder(out, quick)
    start = time.perf_counter()
    results, failures = {}, []
    for name in names:
        module = importlib.import_module(f"{__package__}.{name}")
        kwargs = {} if peer_names is None else {"peer_names": peer_names}
        try:
            results[name] = module.run(quick=quick, big=big, out=out, verbose=verbose, **kwargs)
        except Exception as error:  # one broken workload must not hide the others' results
            traceback.print_exc()
            failures.append(f"{name}: {type(error).__name__}: {error}")
            continue
        if name != "cold_start":
            failures += wl.failures(results[name])
    targets = [t for result in results.values() for t in result["targets"]]
    summary = {"workloads": list(names), "quick": quick, "big": big, "targets": targets,
               "failures": failures, "seconds": time.perf_counter() - start,
               "files": {name: result.get("files") for name, result in results.items()}}
    timing.write_json(Path(out) / "summary.json", summary)
    if verbose:
        print("\n== Targets (ratios from this run)")
        print(wl.targets_table([wl.Target(**t) for t in targets]))
        for failure in failures:
            print("FAILED:", failure)
        print(f"\n{len(failures)} failures; {sum(t['verdict'] == 'met' for t in targets)} targets met, "
              f"{sum(t['verdict'] == 'missed' for t in targets)} missed, "
              f"{sum(t['verdict'] == 'not measured' for t in targets)} not measured "
              f"({summary['seconds']:.0f} s); summary in {Path(out) / 'summary.json'}")
    return {"results": results, **summary}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=PACKAGE_DOC,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    wl.add_cli_arguments(parser)
    parser.add_argument("--only", action="append", choices=WORKLOADS,
                        help="run only this workload (repeatable); default: all")
    parser.add_argument("--snapshot", action="store_true",
                        help="after a full run, keep a copy in docs/benchmarks/runs/ (tracked by git) and print "
                             "the README tables (python -m benchmarks.snapshot prints them again)")
    args = parser.parse_args(argv)
    if args.snapshot and args.quick:
        parser.error("--snapshot keeps full runs only; drop --quick")
    summary = run_all(tuple(args.only or WORKLOADS), quick=args.quick, big=args.big, out=args.out,
                      threads=args.threads, peer_names=wl.parse_peers(args.peers))
    if args.snapshot:
        from . import snapshot

        folder = snapshot.save(wl.output_folder(args.out, args.quick))
        print(f"\nkept in {folder}; the README tables from every kept run:\n")
        print(snapshot.tables(snapshot.load_runs(), snapshot.DOCS))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
