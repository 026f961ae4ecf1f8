"""What minigrad costs, side by side with its peers, as ratios measured in one run.

    python -m benchmarks                      # every workload (a few minutes on 2 cores)
    python -m benchmarks --only two_layer     # one workload; or python -m benchmarks.two_layer
    python -m benchmarks --big                # also the two-layer net at m = 10^6
    python -m benchmarks --quick              # tiny sizes (what the tests run)
    python -m benchmarks --out DIR --threads N --peers jax,torch

Workloads (one file each):

- ``two_layer``: loss, gradient and Hessian-vector product of the squared loss of the
  two-layer 1/sqrt(m) tanh net, n = 256, d = 10, m = 10^2 ... 10^5 (10^6 with --big);
- ``deep``: the same for a 3-hidden-layer tanh net, m = 64 ... 1024;
- ``cold_start``: ``import minigrad``, and first numba calls compiled vs loaded from
  the on-disk cache, each in a fresh process.

Every minigrad backend (``engine``, ``numpy``, ``numba``) and every peer that is
installed (HIPS ``autograd``, ``jax``, ``torch``; ``pip install -e ".[bench]"``) sees
the same data, is first checked against minigrad's numpy twin (relative error
printed) and only then timed: the median of repeated calls after warm-up, with the
same number of threads for all (see ``benchmarks/timing.py`` for how each library is
told). Results go to ``benchmarks/results/`` (NAME.json, NAME.csv, NAME_hvp.png,
summary.json), with the machine, versions, thread settings and how busy other
processes kept the cores.

The speed targets of the project are printed at the end (met / missed); they are
goals, not tests: the exit status is 1 only if a backend disagreed with the twin or crashed.
"""

WORKLOADS = ("two_layer", "deep", "cold_start")
