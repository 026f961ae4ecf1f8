"""Elementwise functions: exp, log, tanh, sigmoid, softplus, relu, sin, cos, abs, sqrt,
the fused slopes of tanh and sigmoid, and the choosers maximum, minimum, clip, where."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_tensor, make_node
from .arithmetic import _broadcast_shape, _plus, add, div, mul, neg, sub


def exp(a) -> Tensor:
    """exp(a). d/da = exp(a) (reuses the result)."""
    a = as_tensor(a)

    def vjp(g, out):
        return (mul(g, out),)

    def jvp(dots, out):
        return mul(dots[0], out)

    return make_node(np.exp(a.data), (a,), vjp, "exp", jvp)


def log(a) -> Tensor:
    """Natural log of a (a > 0). d/da = 1/a."""
    a = as_tensor(a)

    def vjp(g, out):
        return (div(g, a),)

    def jvp(dots, out):
        return div(dots[0], a)

    return make_node(np.log(a.data), (a,), vjp, "log", jvp)


def tanh(a) -> Tensor:
    """tanh(a). d/da = 1 - tanh(a)^2, from the result t: both rules send a vector u
    (cotangent or tangent) to u (1 - t^2), one fused primitive ``tanh_backward``."""
    a = as_tensor(a)

    def vjp(g, out):
        return (tanh_backward(g, out),)

    def jvp(dots, out):
        return tanh_backward(dots[0], out)

    return make_node(np.tanh(a.data), (a,), vjp, "tanh", jvp)


def tanh_backward(u, t) -> Tensor:
    """u (1 - t^2): a cotangent or tangent u passed through tanh, whose value is t.

    One primitive (one array) where ``mul(u, tanh_slope(t))`` makes two. Partials:
    d/du = 1 - t^2, d/dt = -2 t u. Its own tangent (what forward-over-reverse HVPs
    need at every tanh) is the fused ``tanh_backward_tangent``: one array, not five.
    """
    u, t = as_tensor(u), as_tensor(t)
    _broadcast_shape("tanh_backward", u, t)

    def vjp(c, out):
        return tanh_backward(c, t), mul(c, mul(u, t)) * -2.0

    def jvp(dots, out):
        du, dt = dots
        if du is not None and dt is not None:
            return tanh_backward_tangent(u, du, t, dt)
        if du is not None:
            return tanh_backward(du, t)
        return mul(dt, mul(u, t)) * -2.0

    # u (1 - t^2) with one temporary (these n x m passes dominate an HVP through a tanh layer)
    value = np.multiply(t.data, t.data, out=np.empty(t.shape))  # an array even for 0-d t
    np.subtract(1.0, value, out=value)
    value = np.multiply(value, u.data, out=value if value.shape == np.broadcast_shapes(u.shape, t.shape) else None)
    return make_node(value, (u, t), vjp, "tanh_backward", jvp)


def tanh_backward_tangent(u, du, t, dt) -> Tensor:
    """du (1 - t^2) - 2 t u dt: the tangent of ``tanh_backward(u, t)`` along (du, dt).

    Four arrays in (broadcast together), one out: fused so that a forward-over-reverse HVP
    makes one array per tanh here instead of five (two products, a slope, its
    tangent, a sum). Partials: d/du = -2 t dt, d/ddu = 1 - t^2,
    d/dt = -2 (t du + u dt), d/ddt = -2 t u.
    """
    u, du, t, dt = (as_tensor(x) for x in (u, du, t, dt))
    try:
        shape = np.broadcast_shapes(u.shape, du.shape, t.shape, dt.shape)
    except ValueError:
        raise ValueError(f"tanh_backward_tangent: shapes {[x.shape for x in (u, du, t, dt)]} "
                         "do not broadcast together") from None

    def partials():  # the four partial derivatives, in Tensor ops
        return (mul(t, dt) * -2.0, None, add(mul(t, du), mul(u, dt)) * -2.0, mul(t, u) * -2.0)

    def vjp(c, out):
        p_u, _, p_t, p_dt = partials()
        return mul(c, p_u), tanh_backward(c, t), mul(c, p_t), mul(c, p_dt)

    def jvp(dots, out):
        d_u, d_du, d_t, d_dt = dots
        p_u, _, p_t, p_dt = partials()
        return _plus(None if d_u is None else mul(d_u, p_u), None if d_du is None else tanh_backward(d_du, t),
                     None if d_t is None else mul(d_t, p_t), None if d_dt is None else mul(d_dt, p_dt))

    # du (1 - t^2) - 2 t u dt, in place in two temporaries of the output's shape
    value = np.multiply(t.data, t.data, out=np.empty(shape))
    np.subtract(1.0, value, out=value)
    value *= du.data
    second = np.multiply(t.data, u.data, out=np.empty(shape))
    second *= dt.data
    second *= 2.0
    value -= second
    return make_node(value, (u, du, t, dt), vjp, "tanh_backward_tangent", jvp)


def tanh_slope(t) -> Tensor:
    """1 - t^2: the derivative of tanh written in terms of its value t = tanh(a).

    A primitive of its own (not ``1 - t * t``): one array instead of three, and its
    rule d/dt = -2 t keeps second derivatives flowing. (tanh's own rules go one step
    further and fuse the product with the cotangent: ``tanh_backward``.)
    """
    t = as_tensor(t)

    def vjp(g, out):
        return (mul(g, mul(-2.0, t)),)

    def jvp(dots, out):
        return mul(dots[0], mul(-2.0, t))

    return make_node(1.0 - t.data * t.data, (t,), vjp, "tanh_slope", jvp)


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a non-positive number never overflows; both branches are exact.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid(a) -> Tensor:
    """1 / (1 + exp(-a)), computed without overflow. d/da = s (1 - s), by ``sigmoid_slope``."""
    a = as_tensor(a)

    def vjp(g, out):
        return (mul(g, sigmoid_slope(out)),)

    def jvp(dots, out):
        return mul(dots[0], sigmoid_slope(out))

    return make_node(_stable_sigmoid(a.data), (a,), vjp, "sigmoid", jvp)


def sigmoid_slope(s) -> Tensor:
    """s (1 - s): the derivative of the sigmoid in terms of its value s. Rule: d/ds = 1 - 2 s."""
    s = as_tensor(s)

    def vjp(g, out):
        return (mul(g, sub(1.0, mul(2.0, s))),)

    def jvp(dots, out):
        return mul(dots[0], sub(1.0, mul(2.0, s)))

    return make_node(s.data * (1.0 - s.data), (s,), vjp, "sigmoid_slope", jvp)


def softplus(a) -> Tensor:
    """log(1 + exp(a)), computed without overflow. d/da = sigmoid(a)."""
    a = as_tensor(a)
    value = np.maximum(a.data, 0.0) + np.log1p(np.exp(-np.abs(a.data)))

    def vjp(g, out):
        return (mul(g, sigmoid(a)),)

    def jvp(dots, out):
        return mul(dots[0], sigmoid(a))

    return make_node(value, (a,), vjp, "softplus", jvp)


def relu(a) -> Tensor:
    """max(a, 0). d/da = 1 where a > 0, else 0 (and second derivative 0, away from the kink)."""
    a = as_tensor(a)

    def vjp(g, out):
        # The step function is a constant as far as the graph is concerned.
        return (mul(g, Tensor(a.data > 0)),)

    def jvp(dots, out):
        return mul(dots[0], Tensor(a.data > 0))

    return make_node(np.maximum(a.data, 0.0), (a,), vjp, "relu", jvp)


def sin(a) -> Tensor:
    """sin(a). d/da = cos(a)."""
    a = as_tensor(a)

    def vjp(g, out):
        return (mul(g, cos(a)),)

    def jvp(dots, out):
        return mul(dots[0], cos(a))

    return make_node(np.sin(a.data), (a,), vjp, "sin", jvp)


def cos(a) -> Tensor:
    """cos(a). d/da = -sin(a)."""
    a = as_tensor(a)

    def vjp(g, out):
        return (neg(mul(g, sin(a))),)

    def jvp(dots, out):
        return neg(mul(dots[0], sin(a)))

    return make_node(np.cos(a.data), (a,), vjp, "cos", jvp)


def abs(a) -> Tensor:  # noqa: A001 (the numpy name, on purpose)
    """|a|. d/da = sign(a), taken as 0 at a = 0 (as numpy's sign, PyTorch and JAX)."""
    a = as_tensor(a)

    def vjp(g, out):
        return (mul(g, Tensor(np.sign(a.data))),)  # the sign is a constant: |a| is piecewise linear

    def jvp(dots, out):
        return mul(dots[0], Tensor(np.sign(a.data)))

    return make_node(np.abs(a.data), (a,), vjp, "abs", jvp)


def sqrt(a) -> Tensor:
    """sqrt(a) for a >= 0. d/da = 1 / (2 sqrt(a)) (reuses the result)."""
    a = as_tensor(a)

    def vjp(g, out):
        return (div(mul(g, 0.5), out),)

    def jvp(dots, out):
        return div(mul(dots[0], 0.5), out)

    return make_node(np.sqrt(a.data), (a,), vjp, "sqrt", jvp)


def _choice_weights(a: np.ndarray, b: np.ndarray, a_wins: np.ndarray) -> np.ndarray:
    """1 where a is chosen, 0 where b is, 1/2 at ties: the share of the gradient that goes to a."""
    return np.where(a == b, 0.5, a_wins.astype(np.float64))


def maximum(a, b) -> Tensor:
    """Elementwise max(a, b) with broadcasting.

    d/da = 1 where a > b, 0 where a < b; at a tie the gradient is split evenly
    (1/2 to each), the convention JAX uses: the average of the two one-sided derivatives.
    """
    a, b = as_tensor(a), as_tensor(b)
    _broadcast_shape("maximum", a, b)
    share = _choice_weights(a.data, b.data, a.data > b.data)

    def vjp(g, out):
        return mul(g, share), mul(g, 1.0 - share)

    def jvp(dots, out):
        da, db = dots
        return _plus(None if da is None else mul(da, share), None if db is None else mul(db, 1.0 - share))

    return make_node(np.maximum(a.data, b.data), (a, b), vjp, "maximum", jvp)


def minimum(a, b) -> Tensor:
    """Elementwise min(a, b) with broadcasting; ties split the gradient evenly, as ``maximum``."""
    a, b = as_tensor(a), as_tensor(b)
    _broadcast_shape("minimum", a, b)
    share = _choice_weights(a.data, b.data, a.data < b.data)

    def vjp(g, out):
        return mul(g, share), mul(g, 1.0 - share)

    def jvp(dots, out):
        da, db = dots
        return _plus(None if da is None else mul(da, share), None if db is None else mul(db, 1.0 - share))

    return make_node(np.minimum(a.data, b.data), (a, b), vjp, "minimum", jvp)


def clip(a, lo=None, hi=None) -> Tensor:
    """a clipped to [lo, hi] (as numpy.clip); lo and hi are constants (numbers or arrays), or None.

    d/da = 1 where lo <= a <= hi -- the bounds included, as PyTorch's clamp: a value
    sitting exactly on a bound still passes its gradient -- and 0 outside. For bounds
    that need gradients of their own, use ``maximum`` and ``minimum``.
    """
    for name, bound in (("lo", lo), ("hi", hi)):
        if isinstance(bound, Tensor):
            raise TypeError(f"clip: {name} must be a constant (a number or an array), got a Tensor; "
                            "for a bound that needs a gradient use mg.maximum / mg.minimum")
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    a = as_tensor(a)
    inside = np.ones(a.shape, dtype=bool)
    if lo is not None:
        inside = inside & (a.data >= lo)
    if hi is not None:
        inside = inside & (a.data <= hi)
    passes = inside.astype(np.float64)

    def vjp(g, out):
        return (mul(g, passes),)

    def jvp(dots, out):
        return mul(dots[0], passes)

    return make_node(np.clip(a.data, lo, hi), (a,), vjp, "clip", jvp)


def where(condition, a, b) -> Tensor:
    """a where ``condition`` holds, else b (as numpy.where), all three broadcast together.

    ``condition`` is a constant (a bool array, or a Tensor read as value != 0): it
    gets no gradient. d/da = condition, d/db = not condition.
    """
    cond = (condition.data != 0) if isinstance(condition, Tensor) else np.asarray(condition, dtype=bool)
    a, b = as_tensor(a), as_tensor(b)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape} (condition), {a.shape} and {b.shape} "
                         "do not broadcast together") from None
    chosen = cond.astype(np.float64)

    def vjp(g, out):
        return mul(g, chosen), mul(g, 1.0 - chosen)

    def jvp(dots, out):
        da, db = dots
        return _plus(None if da is None else mul(da, chosen), None if db is None else mul(db, 1.0 - chosen))

    return make_node(np.where(cond, a.data, b.data), (a, b), vjp, "where", jvp)
