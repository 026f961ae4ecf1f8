"""Arithmetic: add, sub, neg, mul, div, pow (elementwise, with numpy broadcasting),
and the two helpers every rule file uses (_plus for tangents, _broadcast_shape)."""

from __future__ import annotations

import numbers

import numpy as np

from ..tensor import Tensor, as_tensor, make_node


def _plus(*tangents):
    """The sum of the tangents that are not None (None: a zero tangent), or None if all are."""
    present = [t for t in tangents if t is not None]
    if not present:
        return None
    total = present[0]
    for t in present[1:]:
        total = add(total, t)
    return total


def _or_zeros(dot, like: Tensor) -> Tensor:
    """A tangent, with None (a zero tangent) made an explicit zero array of ``like``'s shape."""
    return dot if dot is not None else Tensor(np.zeros(like.shape))


def _broadcast_shape(op: str, a: Tensor, b: Tensor) -> tuple[int, ...]:
    """Check that two shapes broadcast (numpy rules); name both shapes if not."""
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast together") from None


def add(a, b) -> Tensor:
    """a + b, elementwise with broadcasting. d/da = 1, d/db = 1."""
    a, b = as_tensor(a), as_tensor(b)
    _broadcast_shape("add", a, b)

    def vjp(g, out):
        return g, g

    def jvp(dots, out):
        da, db = dots
        return _plus(da, db)

    return make_node(a.data + b.data, (a, b), vjp, "add", jvp)


def sub(a, b) -> Tensor:
    """a - b, elementwise with broadcasting. d/da = 1, d/db = -1."""
    a, b = as_tensor(a), as_tensor(b)
    _broadcast_shape("sub", a, b)

    def vjp(g, out):
        return g, (neg(g) if b.requires_grad else None)

    def jvp(dots, out):
        da, db = dots
        return _plus(da, None if db is None else neg(db))

    return make_node(a.data - b.data, (a, b), vjp, "sub", jvp)


def neg(a) -> Tensor:
    """-a. d/da = -1."""
    a = as_tensor(a)

    def vjp(g, out):
        return (neg(g),)

    def jvp(dots, out):
        return neg(dots[0])

    return make_node(-a.data, (a,), vjp, "neg", jvp)


def mul(a, b) -> Tensor:
    """a * b, elementwise with broadcasting. d/da = b, d/db = a."""
    a, b = as_tensor(a), as_tensor(b)
    _broadcast_shape("mul", a, b)

    def vjp(g, out):  # only the cotangents some input needs (a constant operand gets None)
        return (mul(g, b) if a.requires_grad else None), (mul(g, a) if b.requires_grad else None)

    def jvp(dots, out):
        da, db = dots
        return _plus(None if da is None else mul(da, b), None if db is None else mul(a, db))

    return make_node(a.data * b.data, (a, b), vjp, "mul", jvp)


def div(a, b) -> Tensor:
    """a / b, elementwise with broadcasting. d/da = 1/b, d/db = -a/b^2."""
    a, b = as_tensor(a), as_tensor(b)
    _broadcast_shape("div", a, b)

    def vjp(g, out):
        g_over_b = div(g, b)
        # -g a / b^2 = -(g / b) * (a / b)
        return g_over_b, (neg(mul(g_over_b, out)) if b.requires_grad else None)

    def jvp(dots, out):  # d(a / b) = da / b - (a / b) db / b
        da, db = dots
        return _plus(None if da is None else div(da, b), None if db is None else neg(mul(out, div(db, b))))

    return make_node(a.data / b.data, (a, b), vjp, "div", jvp)


def pow(a, exponent) -> Tensor:
    """a ** p for a constant real number p. d/da = p a^(p-1).

    For non-integer p the input must be positive (as in numpy).
    """
    if isinstance(exponent, Tensor) or not isinstance(exponent, numbers.Real):
        raise TypeError(f"pow: the exponent must be a real number (a constant), got {type(exponent).__name__}")
    p = float(exponent)
    a = as_tensor(a)

    def vjp(g, out):
        if p == 0.0:
            return (None,)
        if p == 1.0:
            return (g,)
        return (mul(g, mul(p, pow(a, p - 1.0))),)

    def jvp(dots, out):
        if p == 0.0:
            return mul(dots[0], 0.0)
        if p == 1.0:
            return dots[0]
        return mul(dots[0], mul(p, pow(a, p - 1.0)))

    return make_node(np.power(a.data, p), (a,), vjp, "pow", jvp)
