"""Workload 2: loss, gradient and HVP of the deep 1/sqrt(fan-in) tanh net, 3 hidden layers.

    a^0 = x, a^l = tanh(W_l a^{l-1} / sqrt(m_{l-1})) for l = 1, 2, 3 (m_0 = d, m_1 = m_2 = m_3 = m),
    f = v . a^3 / sqrt(m),   L = (1/(2n)) sum_j (f(x_j) - y_j)^2,
    n = 256 samples, d = 10, float64, m = 64, 128, 256, 512, 1024 (p = 10 m + 2 m^2 + m).

Backends: minigrad's engine and numpy closed forms (DeepNet has no numba backend: its
compiled twin measured no faster than numpy), and the peers.

Run it: ``python -m benchmarks.deep [--quick] [--out DIR] [--threads N]``.
"""

from __future__ import annotations

import functools
import sys

from . import peers
from . import workload as wl

DEPTH = 3


def _make_net(m: int, d: int):
    from minigrad import nn

    return nn.DeepNet(d, [m] * DEPTH, activation="tanh")


WORKLOAD = wl.Workload(
    name="deep",
    title=f"Deep tanh net, {DEPTH} hidden layers of width m",
    make_net=_make_net,
    make_model=lambda m, d: functools.partial(peers.deep_output, d=d, widths=(m,) * DEPTH),
    backends=("engine", "numpy"),  # DeepNet has no numba backend (see minigrad/kernels/deep.py)
    growth_note="here p ~ 2 m^2: work on the weight matrices grows like m^2",
)


def sizes(quick: bool = False, big: bool = False) -> wl.Sizes:
    """The issue's sizes (``big`` changes nothing here); ``quick``: tiny ones, one timed call."""
    if quick:
        return wl.Sizes(n=16, d=3, widths=(4, 8), warmup=0, min_repeats=1, max_repeats=1,
                        min_time=0.0, collect_garbage=False, quick=True)
    return wl.Sizes(n=256, d=10, widths=(64, 128, 256, 512, 1024))


def targets(result: dict) -> list[wl.Target]:
    """The issue's target for the deep net, from this run's times."""
    return [
        wl.ratio_target(result, "deep numpy HVP faster than torch HVP at m = 1024",
                        ("numpy", "hvp"), ("torch", "hvp"), 1.0,
                        [m for m in result["sizes"]["widths"] if m == 1024]),
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
