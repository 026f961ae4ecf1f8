"""Finite-difference checks: is the engine's derivative right?

The difference quotient used everywhere is the five-point central stencil

    D_u f(x) ~ [-f(x + 2h u) + 8 f(x + h u) - 8 f(x - h u) + f(x - 2h u)] / (12 h),

whose truncation error is O(h^4) (vs O(h^2) for the two-point one). With h = 1e-4
that is ~1e-16 times the fifth derivative, so what is left is round-off of about
1e-12 |f|: float64 checks can be tight (~1e-6 relative) without luck.

Checks are *projected*: instead of p difference quotients (one per coordinate) they
compare <u, grad f(x)> with the difference quotient along a random direction u, and
<u, H v> with the difference quotient of <u, grad f> along v. That costs O(1)
evaluations whatever p is, so it scales to real networks. ``numerical_grad`` does
the coordinate-by-coordinate version for small inputs.

A relative error here is |a - b| / max(|a|, |b|, floor) with
floor = 1e-5 * max(1, |f(x)|): derivatives below the floor are indistinguishable
from round-off of f, so they are compared in absolute terms instead.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .autodiff import grad, hvp
from .tensor import Tensor, as_float_array, as_tensor, no_grad

Function = Callable[[Tensor], Tensor]

DEFAULT_STEP = 1e-4


def _finite_point(x, name: str) -> np.ndarray:
    x = np.array(as_float_array(x, f"{name}: x"), dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}: x must be finite, but it has {np.sum(~np.isfinite(x))} NaN or inf entries")
    return x


def _value(f: Function, x: np.ndarray, name: str) -> float:
    with no_grad():
        y = as_tensor(f(Tensor(x)))
    if y.data.size != 1:
        raise ValueError(f"{name}: f must return a scalar, but it returned shape {y.shape}")
    value = float(y.data.reshape(()))
    if not np.isfinite(value):
        raise ValueError(f"{name}: f(x) = {value} is not finite; checks need finite numbers")
    return value


def directional_difference(phi: Callable[[float], float], h: float = DEFAULT_STEP) -> float:
    """Five-point central difference for phi'(0), where phi maps a float to a float. Error O(h^4)."""
    return (-phi(2 * h) + 8 * phi(h) - 8 * phi(-h) + phi(-2 * h)) / (12 * h)


def relative_error(a, b, floor: float = 0.0) -> float:
    """max over entries of |a - b| / max(|a|, |b|, floor)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denominator = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(denominator > 0, np.abs(a - b) / np.where(denominator > 0, denominator, 1.0), 0.0)
    return float(np.max(ratio)) if ratio.size else 0.0


def numerical_grad(f: Function, x, h: float = DEFAULT_STEP) -> np.ndarray:
    """The gradient of scalar f at x, one five-point difference per coordinate.

    Shape of x in and out. Cost: 4 p evaluations of f; for small x only.
    """
    x = _finite_point(x, "numerical_grad")
    out = np.zeros(x.size)
    flat = x.reshape(-1)
    for i in range(x.size):
        def phi(t, i=i):
            shifted = flat.copy()
            shifted[i] += t
            return _value(f, shifted.reshape(x.shape), "numerical_grad")
        out[i] = directional_difference(phi, h)
    return out.reshape(x.shape)


def _directions(shape, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    directions = []
    for _ in range(count):
        u = rng.standard_normal(shape)
        norm = np.linalg.norm(u)
        directions.append(u / norm if norm > 0 else u)
    return directions


def check_grad(f: Function, x, *, directions: int = 3, seed=0, h: float = DEFAULT_STEP) -> float:
    """Worst relative error between <grad f(x), u> and its finite difference along u.

    f: Tensor -> scalar Tensor; x: ndarray. ``directions`` random unit vectors u
    are drawn from ``seed`` (an int or a numpy Generator). Cost: one gradient plus
    4 evaluations of f per direction. A correct rule gives ~1e-9 or less.
    """
    x = _finite_point(x, "check_grad")
    rng = np.random.default_rng(seed)
    scale = max(1.0, abs(_value(f, x, "check_grad")))
    g = grad(f)(x)
    worst = 0.0
    for u in _directions(x.shape, directions, rng):
        engine = float(np.sum(g * u))
        numeric = directional_difference(lambda t: _value(f, x + t * u, "check_grad"), h)
        worst = max(worst, relative_error(engine, numeric, 1e-5 * scale))
    return worst


def check_hvp(f: Function, x, v=None, *, directions: int = 3, seed=0, h: float = DEFAULT_STEP) -> float:
    """Worst relative error between <u, H v> (engine HVP) and the difference of <u, grad f> along v.

    f: Tensor -> scalar Tensor; x, v: ndarrays of one shape (v random if None).
    The finite difference uses the engine's *gradient*, so this checks the second
    sweep against the first. Cost: one HVP plus 4 gradients per direction u.
    """
    x = _finite_point(x, "check_hvp")
    rng = np.random.default_rng(seed)
    if v is None:
        v = _directions(x.shape, 1, rng)[0]
    v = _finite_point(v, "check_hvp (v)")
    if v.shape != x.shape:
        raise ValueError(f"check_hvp: v must have the shape of x, {x.shape}, but has shape {v.shape}")
    grad_f = grad(f)
    g0 = grad_f(x)
    scale = max(1.0, float(np.max(np.abs(g0))) if g0.size else 1.0) * max(1.0, float(np.linalg.norm(v)))
    hv = hvp(f, x, v)
    worst = 0.0
    for u in _directions(x.shape, directions, rng):
        engine = float(np.sum(u * hv))
        numeric = directional_difference(lambda t: float(np.sum(u * grad_f(x + t * v))), h)
        worst = max(worst, relative_error(engine, numeric, 1e-5 * scale))
    return worst
