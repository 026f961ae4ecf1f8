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

from .autodiff import HVP_MODES, grad, hvp, jvp
from .ops import sin, tanh
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


def relative_error(a, b, floor: float = 0.0, *, names=("a", "b"), where: str = "relative_error") -> float:
    """max over entries of |a - b| / max(|a|, |b|, floor).

    A NaN or an infinity on either side raises a ValueError naming that side
    (``names``, e.g. ("engine", "finite difference")) and ``where``: a NaN compares
    false inside ``max``, so it would otherwise be reported as a perfect 0.0.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    for side, name in ((a, names[0]), (b, names[1])):
        bad = ~np.isfinite(side)
        if np.any(bad):
            raise ValueError(
                f"{where}: the {name} value is not finite ({int(np.sum(bad))} NaN or inf entries, "
                f"e.g. {side[bad].ravel()[0]}); a derivative check needs finite numbers on both sides"
            )
    denominator = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(denominator > 0, np.abs(a - b) / np.where(denominator > 0, denominator, 1.0), 0.0)
    return float(np.max(ratio)) if ratio.size else 0.0


SIDES = ("engine", "finite difference")


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


def _engine_array(value, shape, name: str, what: str) -> np.ndarray:
    """The engine's derivative as an ndarray, refused if its shape is not ``shape``."""
    array = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=np.float64)
    if array.shape != tuple(shape):
        raise ValueError(f"{name}: the engine's {what} has shape {array.shape}, but x has shape {tuple(shape)}")
    return array


def check_grad(f: Function, x, *, directions: int = 3, seed=0, h: float = DEFAULT_STEP) -> float:
    """Worst relative error between <grad f(x), u> and its finite difference along u.

    f: Tensor -> scalar Tensor; x: ndarray. ``directions`` random unit vectors u
    are drawn from ``seed`` (an int or a numpy Generator). Cost: one gradient plus
    4 evaluations of f per direction. A correct rule gives ~1e-9 or less. A
    gradient of the wrong shape, or a NaN/inf on either side, raises ValueError.
    """
    x = _finite_point(x, "check_grad")
    rng = np.random.default_rng(seed)
    scale = max(1.0, abs(_value(f, x, "check_grad")))
    g = _engine_array(grad(f)(x), x.shape, "check_grad", "gradient")
    worst = 0.0
    for k, u in enumerate(_directions(x.shape, directions, rng)):
        engine = float(np.sum(g * u))
        numeric = directional_difference(lambda t: _value(f, x + t * u, "check_grad"), h)
        worst = max(worst, relative_error(engine, numeric, 1e-5 * scale, names=SIDES,
                                          where=f"check_grad, <grad f, u> along direction {k}"))
    return worst


def check_jvp(f: Function, x, *, directions: int = 3, seed=0, h: float = DEFAULT_STEP) -> float:
    """Worst relative error between <w, J u> (forward mode, mg.jvp) and the difference of <w, f> along u.

    f: Tensor -> Tensor of any shape; x: ndarray. u are random unit directions and w
    random weights of f's output shape, both from ``seed``. This checks the jvp rules
    to first order, as ``check_grad`` checks the vjp rules. Cost: 1 + 4 evaluations of f per u.
    """
    x = _finite_point(x, "check_jvp")
    rng = np.random.default_rng(seed)
    with no_grad():
        y0 = as_tensor(f(Tensor(x)))
    w = rng.standard_normal(y0.shape)
    scale = max(1.0, float(np.sum(np.abs(w) * np.abs(y0.data))))
    worst = 0.0
    for k, u in enumerate(_directions(x.shape, directions, rng)):
        _, dot = jvp(f, x, u)
        dot = _engine_array(dot, y0.shape, "check_jvp", "Jacobian-vector product (for f's output)")
        engine = float(np.sum(w * dot))

        def phi(t):
            with no_grad():
                return float(np.sum(w * as_tensor(f(Tensor(x + t * u))).data))

        numeric = directional_difference(phi, h)
        worst = max(worst, relative_error(engine, numeric, 1e-5 * scale, names=SIDES,
                                          where=f"check_jvp, <w, J u> along direction {k}"))
    return worst


def check_hvp(f: Function, x, v=None, *, directions: int = 3, seed=0, h: float = DEFAULT_STEP,
              mode: str = "fwd-rev") -> float:
    """Worst relative error between <u, H v> (engine HVP) and the difference of <u, grad f> along v.

    f: Tensor -> scalar Tensor; x, v: ndarrays of one shape (v random if None).
    The finite difference uses the engine's *gradient*, so this checks the second
    sweep against the first. ``mode``: how the engine computes H v (see mg.hvp).
    Cost: one HVP plus 4 gradients per direction u.
    """
    x = _finite_point(x, "check_hvp")
    rng = np.random.default_rng(seed)
    if v is None:
        v = _directions(x.shape, 1, rng)[0]
    v = _finite_point(v, "check_hvp (v)")
    if v.shape != x.shape:
        raise ValueError(f"check_hvp: v must have the shape of x, {x.shape}, but has shape {v.shape}")
    grad_f = grad(f)
    g0 = _engine_array(grad_f(x), x.shape, "check_hvp", "gradient")
    if not np.all(np.isfinite(g0)):
        raise ValueError("check_hvp: the engine gradient at x is not finite; a derivative check needs finite numbers")
    scale = max(1.0, float(np.max(np.abs(g0))) if g0.size else 1.0) * max(1.0, float(np.linalg.norm(v)))
    hv = _engine_array(hvp(f, x, v, mode=mode), x.shape, "check_hvp", "Hessian-vector product")
    worst = 0.0
    for k, u in enumerate(_directions(x.shape, directions, rng)):
        engine = float(np.sum(u * hv))
        numeric = directional_difference(lambda t: float(np.sum(u * grad_f(x + t * v))), h)
        worst = max(worst, relative_error(engine, numeric, 1e-5 * scale, names=SIDES,
                                          where=f"check_hvp ({mode}), <u, H v> along direction {k}"))
    return worst


def check_op(op: Callable[..., Tensor], *inputs, seed=0, directions: int = 3, h: float = DEFAULT_STEP,
             modes=HVP_MODES) -> float:
    """Check an op's rules *inside a composition*, where its cotangent is not a constant.

    ``op`` maps Tensors to a Tensor; ``inputs`` are ndarrays in its domain (they set the
    point and the shapes). With a random smooth inner map g (per input i, elementwise
    ``g_i(z) = inputs_i + s_i (tanh(z) - tanh(z0_i))``, so g(z0) = inputs) and random
    weights w and phases c of the output's shape, it checks

        F(z) = sum(w * sin(op(g_1(z_1), ..., g_k(z_k)) + c))        at z = z0

    against finite differences to first order, in reverse mode (``check_grad``: the
    vjp rules) and forward mode (``check_jvp``: the jvp rules), and to second order
    (``check_hvp``) in each HVP mode of ``modes``: forward over reverse differentiates
    the vjp rules with the jvp rules, reverse over reverse the vjp rules with
    themselves, reverse over forward the jvp rules with the vjp rules, so a rule that
    leaves the graph is caught whichever kind it is. Returns the worst relative error
    (~1e-9 for right rules). An op with only a vjp rule: ``modes=("rev-rev",)``, and
    skip forward mode (then ``check_jvp`` is not run).

    Why not just ``check_grad(lambda t: op(t).sum(), x)``? There the op's cotangent is
    the constant 1, so a rule that forgets to multiply by it, or that detaches it
    (raw numpy on ``g.data``), gives exactly the right numbers. Here the cotangent
    ``w cos(op(...) + c)`` moves with z, and such a rule gets the HVP (or even the gradient)
    wrong. All draws (z0, s, w, c, directions) come from ``seed``.
    """
    if not inputs:
        raise ValueError("check_op: give at least one input array (the point where the op is checked)")
    arrays = [_finite_point(a, f"check_op (input {i})") for i, a in enumerate(inputs)]
    rng = np.random.default_rng(seed)
    z0 = [rng.standard_normal(a.shape) for a in arrays]
    slopes = [rng.uniform(0.5, 1.5, a.shape) * rng.choice([-1.0, 1.0], a.shape) for a in arrays]
    with no_grad():
        out = as_tensor(op(*[Tensor(a) for a in arrays]))
    w = rng.standard_normal(out.shape)
    phase = rng.uniform(0.0, 2.0 * np.pi, out.shape)  # so that sin'' = -sin(y + phase) is not 0 where y = 0
    sizes = [a.size for a in arrays]
    starts = np.cumsum([0] + sizes)

    def F(z: Tensor) -> Tensor:
        parts = []
        for a, z0_i, s, start, size in zip(arrays, z0, slopes, starts, sizes):
            z_i = z[int(start):int(start) + size].reshape(a.shape)
            parts.append((tanh(z_i) - np.tanh(z0_i)) * s + a)
        return (sin(as_tensor(op(*parts)) + phase) * w).sum()

    point = np.concatenate([z.ravel() for z in z0]) if z0 else np.zeros(0)
    modes = tuple(modes)
    unknown = [m for m in modes if m not in HVP_MODES]
    if unknown or not modes:
        raise ValueError(f"check_op: modes must be a non-empty selection of {HVP_MODES}, got {modes}")
    errors = [check_grad(F, point, directions=directions, seed=rng, h=h)]
    if any(m != "rev-rev" for m in modes):
        errors.append(check_jvp(F, point, directions=directions, seed=rng, h=h))
    v = _directions(point.shape, 1, rng)[0]
    for mode in modes:  # the same v and directions u for every mode
        errors.append(check_hvp(F, point, v, directions=directions, seed=seed, h=h, mode=mode))
    return max(errors)
