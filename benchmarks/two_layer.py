"""Workload 1: loss, gradient and HVP of the two-layer 1/sqrt(m) tanh net.

    f(x) = (1/sqrt m) sum_i v_i tanh(w_i . x),   L(theta) = (1/(2n)) sum_j (f(x_j) - y_j)^2,
    theta = [W.ravel() (m*d), v (m)],  n = 256 samples, d = 10, float64,
    m = 10^2, 10^3, 10^4, 10^5 (and 10^6 with --big).

The reference every backend is checked against is minigrad's chunked numpy twin
(``two_layer_*_chunked_numpy``: the closed forms applied to 4096 neurons at a time, so
it needs O(p + n * 4096) memory; tests/test_kernels.py holds it to the plain twin).

``--big`` adds m = 10^6 (p = 1.1 * 10^7): there only minigrad's numba kernels run beside
the chunked reference. One (n, m) array is 2 GB at that width, and the plain numpy twin,
the engine, autograd, torch and JAX hold several (the numpy HVP peaks at 1.6 GB at
m = 10^5, so ~16 GB at 10^6), so they are skipped (BIG_WIDTH_LIMITS); numba streams over
neurons and needs ~100 MB.

Printed besides the times: each backend's peak memory, the log-log growth of time and
memory in m, numba's GFLOP/s against the machine's estimated peak (flop counts in
minigrad/kernels/two_layer.py), and the engine's two ratios (HVP / loss, HVP / autograd).

Run it: ``python -m benchmarks.two_layer [--big] [--quick] [--out DIR] [--threads N]``.
"""

from __future__ import annotations

import functools
import sys

import numpy as np

from . import peers
from . import workload as wl

# Beyond these widths a backend's (n, m) intermediates would not fit in the reference
# machine's 24 GB (peaks at m = 10^5 are in the report's "hvp peak MB" column: x10 at 10^6).
BIG_WIDTH_LIMITS = {"numpy": 10**5, "engine": 10**5, "autograd": 10**5, "torch": 10**5, "jax": 10**5}


def _make_net(m: int, d: int):
    from minigrad import nn

    return nn.TwoLayerNet(d, m, activation="tanh")


def chunked_reference(net, X, y) -> peers.PeerFunctions:
    """The chunked numpy twin (O(p + n * chunk) memory) in the shape of a peer."""
    from minigrad import kernels

    code = kernels.ACTIVATION_CODES[net.activation]
    return peers.PeerFunctions(
        loss=lambda theta: kernels.two_layer_loss_chunked_numpy(theta, X, y, code),
        grad=lambda theta: kernels.two_layer_loss_grad_chunked_numpy(theta, X, y, code),
        hvp=lambda theta, v: kernels.two_layer_loss_hvp_chunked_numpy(theta, X, y, v, code),
        to_native=lambda a: a, to_numpy=np.asarray)


def flops_per_pair(op: str, d: int) -> int:
    """Flops per (sample, neuron) pair of the numba kernels (tanh), from minigrad.kernels."""
    from minigrad import kernels

    return kernels.FLOPS_PER_PAIR[op](d)


WORKLOAD = wl.Workload(
    name="two_layer",
    title="Two-layer tanh net, f = v . tanh(W x) / sqrt(m)",
    make_net=_make_net,
    make_model=lambda m, d: functools.partial(peers.two_layer_output, m=m, d=d),
    width_limits=BIG_WIDTH_LIMITS,
    reference=chunked_reference,
    reference_name="minigrad's chunked numpy twin",
    flops_per_pair=flops_per_pair,
)


def sizes(quick: bool = False, big: bool = False) -> wl.Sizes:
    """The issue's sizes; ``quick``: tiny ones and a single timed call (for the tests)."""
    if quick:
        return wl.Sizes(n=16, d=3, widths=(4, 16), warmup=0, min_repeats=1, max_repeats=1,
                        min_time=0.0, collect_garbage=False, quick=True)
    widths = (10**2, 10**3, 10**4, 10**5) + ((10**6,) if big else ())
    return wl.Sizes(n=256, d=10, widths=widths)


def targets(result: dict) -> list[wl.Target]:
    """The issue's targets for this workload, from this run's times."""
    every = result["sizes"]["widths"]
    wide = [m for m in every if m >= 10**4]
    return [
        wl.ratio_target(result, "numba HVP <= 0.4x JAX HVP at m >= 10^4",
                        ("numba", "hvp"), ("jax", "hvp"), 0.4, wide),
        wl.ratio_target(result, "numba HVP faster than torch HVP at m >= 10^4",
                        ("numba", "hvp"), ("torch", "hvp"), 1.0, wide),
        wl.ratio_target(result, "numba HVP faster than minigrad numpy HVP at m >= 10^4",
                        ("numba", "hvp"), ("numpy", "hvp"), 1.0, wide),
        wl.ratio_target(result, "numba HVP / numba loss <= 3 at every width",
                        ("numba", "hvp"), ("numba", "loss"), 3.0, every),
        wl.ratio_target(result, "engine HVP <= 0.5x HIPS autograd HVP at every width",
                        ("engine", "hvp"), ("autograd", "hvp"), 0.5, every),
        wl.ratio_target(result, "engine HVP / engine loss <= 5 at every width",
                        ("engine", "hvp"), ("engine", "loss"), 5.0, every),
    ]


def run(quick: bool = False, big: bool = False, out=None, threads: int | None = None,
        peer_names=peers.PEER_NAMES, backends=wl.MINIGRAD_BACKENDS, verbose: bool = True) -> dict:
    """Check and time every backend, write NAME.json/.csv/_hvp.png under ``out``, print the report.

    threads: if given, ``timing.set_threads(threads)`` first (None: leave libraries as they are).
    Returns the result dict: records, environment, and "targets" (a list of dicts).
    """
    return wl.run_and_report(WORKLOAD, sizes(quick, big), targets, out=out, threads=threads,
                             peer_names=peer_names, backends=backends, verbose=verbose)


def main(argv=None) -> int:
    return wl.main(run, f"python -m benchmarks.{WORKLOAD.name}", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
