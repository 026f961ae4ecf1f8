"""What minigrad costs, side by side with its peers, as ratios measured in one run.

    python -m benchmarks                      # every workload (~3 min on a quiet 2-core machine)
    python -m benchmarks --only two_layer     # one workload; or python -m benchmarks.two_layer
    python -m benchmarks --big                # also the two-layer net at m = 10^6 (numba only)
    python -m benchmarks --quick              # tiny sizes (what the tests run), into results-quick/
    python -m benchmarks --snapshot           # keep this full run in docs/benchmarks/ (git)
    python -m benchmarks.snapshot             # the README's tables, from every kept run
    python -m benchmarks --out DIR --threads N --peers jax,torch

Workloads (one file each):

- ``two_layer``: loss, gradient and Hessian-vector product of the squared loss of the
  two-layer 1/sqrt(m) tanh net, n = 256, d = 10, m = 10^2 ... 10^5 (10^6 with --big);
- ``deep``: the same for a 3-hidden-layer tanh net, m = 64 ... 1024 (engine, numpy, peers);
- ``cold_start``: ``import minigrad``, and the first call of every numba kernel, compiled
  (fresh cache folder: the first-ever compile, against an 8 s budget) and loaded from
  the on-disk cache, each in a fresh process.

Every minigrad backend (``engine``, ``numpy``, ``numba``) and every peer that is
installed (HIPS ``autograd``, ``jax``, ``torch``; ``pip install -e ".[bench]"``) sees
the same data, is first checked against a reference (minigrad's numpy twin; for the
two-layer net its chunked version) and only then timed: the median of repeated calls
after warm-up, with the same number of threads for all (see ``benchmarks/timing.py``
for how each library is told). Then one more call of each operation measures its peak
memory (tracemalloc, or resident-set growth for JAX and torch; see workload.py).

Results go to ``benchmarks/results/`` (``results-quick/`` for --quick; both ignored by
git): NAME.json, NAME.csv, NAME_hvp.png, summary.json, with the machine, versions,
thread settings and how busy other processes kept the cores. ``--snapshot`` copies a
full run to ``docs/benchmarks/runs/`` (tracked), from which ``benchmarks.snapshot``
prints the README's Performance tables as ranges over runs, per machine.

The speed targets of the project are printed at the end (met / missed; "not measured
at this size" under --quick); they are goals, not tests: the exit status is 1 only if a
backend disagreed with the reference or crashed.
"""

WORKLOADS = ("two_layer", "deep", "cold_start")
