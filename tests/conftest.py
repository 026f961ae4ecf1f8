"""Shared pytest setup: one hypothesis profile so CI is repeatable.

derandomize=True makes every run draw the same examples (a failure in CI is a
failure on your machine); deadline=None because numba compile time and the
first call's warm-up are not what is under test. Set HYPOTHESIS_PROFILE=thorough
locally to draw many more examples.
"""

import os

# One OpenBLAS thread, set before numpy loads (see lessons/__init__.py for the
# measurement): the numba kernels use both cores, and spinning BLAS threads fight them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import matplotlib  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

matplotlib.use("Agg")  # lessons save figures; no screen in CI

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
