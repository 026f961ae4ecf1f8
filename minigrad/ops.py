"""The primitives: each op is one function with its forward (numpy) and, beside it,
its vector-Jacobian rule written with Tensor ops.

A reverse rule has the form ``vjp(g, out) -> (cotangent for each input,)`` where
``g`` is the cotangent of the result. Rules may return a cotangent of the *broadcast*
shape; ``tensor._unbroadcast`` sums it back to the input's shape, so no rule deals
with broadcasting. Because rules use Tensor ops (never raw numpy on ``g``), the
backward pass is itself a graph, and differentiating it gives Hessian-vector products.

A forward rule has the form ``jvp(dots, out) -> tangent of the result``: ``dots``
holds one tangent per input (``None`` for an input whose tangent is zero), and the
rule is the same derivative applied the other way: for out = a * b, the vjp sends
g to (g b, g a) and the jvp sends (da, db) to da b + a db. The two are transposes of
each other (<g, J dot> = <J^T g, dot>), which the tests check over the whole zoo.

To add your own op, copy the shape of ``sin`` below: compute the value with numpy,
write both rules with existing ops, call ``make_node``. Then prove it with
``minigrad.check.check_op`` (README: "Add your own op").
"""

from __future__ import annotations

import numbers

import numpy as np

from .tensor import Tensor, as_tensor, make_node

# The public ops: each has an entry in the op zoo (tests/zoo.py), and a test fails if one has none.
__all__ = [
    "add", "sub", "neg", "mul", "div", "pow",
    "exp", "log", "tanh", "tanh_slope", "sigmoid", "sigmoid_slope", "softplus", "relu", "sin", "cos",
    "matmul", "outer",
    "abs", "sqrt", "maximum", "minimum", "clip", "where",
    "broadcast_to", "sum", "mean", "max", "min", "logsumexp",
    "reshape", "transpose", "getitem", "scatter_add", "concatenate", "stack",
]


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


# ---------------------------------------------------------------------------
# Arithmetic.
# ---------------------------------------------------------------------------
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
        return g, neg(g)

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

    def vjp(g, out):
        return mul(g, b), mul(g, a)

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
        return g_over_b, neg(mul(g_over_b, out))  # -g a / b^2 = -(g / b) * (a / b)

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


# ---------------------------------------------------------------------------
# Elementwise functions.
# ---------------------------------------------------------------------------
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
    """tanh(a). d/da = 1 - tanh(a)^2, computed from the result by ``tanh_slope``."""
    a = as_tensor(a)

    def vjp(g, out):
        return (mul(g, tanh_slope(out)),)

    def jvp(dots, out):
        return mul(dots[0], tanh_slope(out))

    return make_node(np.tanh(a.data), (a,), vjp, "tanh", jvp)


def tanh_slope(t) -> Tensor:
    """1 - t^2: the derivative of tanh written in terms of its value t = tanh(a).

    A primitive of its own (not ``1 - t * t``) so that tanh's backward makes one
    array instead of three; its rule d/dt = -2 t keeps second derivatives flowing.
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


# ---------------------------------------------------------------------------
# Linear algebra.
# ---------------------------------------------------------------------------
def matmul(a, b) -> Tensor:
    """Matrix product a @ b for 1-D and 2-D operands.

    Shapes: (n, k) @ (k, m) -> (n, m); (n, k) @ (k,) -> (n,); (k,) @ (k, m) -> (m,);
    (k,) @ (k,) -> () (the dot product). For 2-D: dA = G B^T, dB = A^T G.
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim not in (1, 2) or b.ndim not in (1, 2):
        raise ValueError(f"matmul: expected 1-D or 2-D operands, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[0]:
        raise ValueError(
            f"matmul: inner dimensions differ: {a.shape} @ {b.shape} "
            f"({a.shape[-1]} != {b.shape[0]})"
        )

    def vjp(g, out):
        if a.ndim == 2 and b.ndim == 2:
            return matmul(g, transpose(b)), matmul(transpose(a), g)
        if a.ndim == 2:  # matrix @ vector: out_i = sum_k A_ik b_k
            return outer(g, b), matmul(g, a)
        if b.ndim == 2:  # vector @ matrix: out_j = sum_k a_k B_kj
            return matmul(b, g), outer(a, g)
        return mul(g, b), mul(g, a)  # dot product

    def jvp(dots, out):  # d(A B) = dA B + A dB
        da, db = dots
        return _plus(None if da is None else matmul(da, b), None if db is None else matmul(a, db))

    return make_node(np.asarray(a.data @ b.data), (a, b), vjp, "matmul", jvp)


def outer(a, b) -> Tensor:
    """Outer product of vectors: out[i, j] = a[i] b[j]; shapes (n,), (m,) -> (n, m).

    The rule uses matrix-vector products (dA = G b, dB = G^T a) rather than
    elementwise products and sums, so its backward makes no n x m temporaries.
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expected two vectors, got shapes {a.shape} and {b.shape}")

    def vjp(g, out):
        return matmul(g, b), matmul(a, g)

    def jvp(dots, out):
        da, db = dots
        if da is not None and db is not None:
            # da b^T + a db^T = [da a] [b db]^T: one (n, 2) @ (2, m) product makes one n x m
            # array instead of three (two outer products and their sum)
            return matmul(stack([da, a], axis=1), stack([b, db]))
        return outer(da, b) if da is not None else outer(a, db)

    return make_node(np.multiply.outer(a.data, b.data), (a, b), vjp, "outer", jvp)


# ---------------------------------------------------------------------------
# Reductions and shape changes.
# ---------------------------------------------------------------------------
def _normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    normalized = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise ValueError(f"{op}: axis {ax} is out of range for an array of {ndim} dimensions")
        normalized.append(ax % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: axis {axis} names the same axis twice")
    return tuple(sorted(normalized))


def broadcast_to(a, shape) -> Tensor:
    """Repeat ``a`` along new leading axes and along axes of length 1 to get ``shape``.

    Its rule passes the cotangent through unchanged: the central unbroadcast sums it
    back to ``a.shape``, which is exactly the adjoint of broadcasting.
    """
    a = as_tensor(a)
    shape = tuple(shape)
    try:
        value = np.broadcast_to(a.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {shape}") from None

    def vjp(g, out):
        return (g,)

    def jvp(dots, out):
        return broadcast_to(dots[0], shape)

    return make_node(np.array(value), (a,), vjp, "broadcast_to", jvp)


def sum(a, axis=None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (int, tuple, or None for all). The rule broadcasts g back."""
    a = as_tensor(a)
    axes = _normalize_axes(axis, a.ndim, "sum")
    value = np.sum(a.data, axis=axes, keepdims=keepdims)

    def vjp(g, out):
        if not keepdims:
            kept_shape = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
            g = reshape(g, kept_shape)
        return (broadcast_to(g, a.shape),)

    def jvp(dots, out):
        return sum(dots[0], axis=axes, keepdims=keepdims)

    return make_node(np.asarray(value), (a,), vjp, "sum", jvp)


def mean(a, axis=None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``: the sum divided by the number of summed entries."""
    a = as_tensor(a)
    axes = _normalize_axes(axis, a.ndim, "mean")
    count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    if count == 0:
        raise ValueError(f"mean: cannot average over an empty axis (shape {a.shape}, axis {axis})")
    return div(sum(a, axis=axes, keepdims=keepdims), float(count))


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as length 1 (the keepdims=True shape)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _extremum(a, axis, keepdims: bool, which: str) -> Tensor:
    a = as_tensor(a)
    axes = _normalize_axes(axis, a.ndim, which)
    if any(a.shape[i] == 0 for i in axes):
        raise ValueError(f"{which}: cannot take the {which}imum over an empty axis (shape {a.shape}, axis {axis})")
    reduce = np.max if which == "max" else np.min
    kept = reduce(a.data, axis=axes, keepdims=True)
    # The gradient goes to the entries equal to the extremum, split evenly among ties.
    hits = (a.data == kept).astype(np.float64)
    share = hits / np.sum(hits, axis=axes, keepdims=True)

    def vjp(g, out):
        return (mul(reshape(g, kept.shape), share),)

    value = kept if keepdims else kept.reshape(tuple(n for i, n in enumerate(a.shape) if i not in axes))
    def jvp(dots, out):  # the tangent of the extremum: the tangents of the tied entries, averaged
        return sum(mul(dots[0], share), axis=axes, keepdims=keepdims)

    return make_node(value, (a,), vjp, which, jvp)


def max(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The largest entry over ``axis`` (int, tuple or None for all), as numpy.max.

    d/da = 1 at the maximum, 0 elsewhere; when several entries tie for the maximum
    the gradient is split evenly among them (as JAX does), so it still sums to 1.
    """
    return _extremum(a, axis, keepdims, "max")


def min(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The smallest entry over ``axis``; ties split the gradient evenly, as ``max``."""
    return _extremum(a, axis, keepdims, "min")


def logsumexp(a, axis=None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(a))) over ``axis``, computed without overflow (inputs in the thousands are fine).

    Value: m + log(sum(exp(a - m))) with m the maximum, so every exp is of a number <= 0.
    d/da = softmax(a) = exp(a - logsumexp(a)), again an exp of numbers <= 0; written with
    Tensor ops from the result, so the Hessian diag(s) - s s^T comes out of the graph.
    """
    a = as_tensor(a)
    axes = _normalize_axes(axis, a.ndim, "logsumexp")
    if any(a.shape[i] == 0 for i in axes):
        raise ValueError(f"logsumexp: cannot reduce over an empty axis (shape {a.shape}, axis {axis})")
    m = np.max(a.data, axis=axes, keepdims=True)
    kept = m + np.log(np.sum(np.exp(a.data - m), axis=axes, keepdims=True))
    kept_shape = kept.shape

    def vjp(g, out):
        softmax = exp(sub(a, reshape(out, kept_shape)))
        return (mul(reshape(g, kept_shape), softmax),)

    value = kept if keepdims else kept.reshape(tuple(n for i, n in enumerate(a.shape) if i not in axes))
    def jvp(dots, out):  # <softmax, da> over the reduced axes
        softmax = exp(sub(a, reshape(out, kept_shape)))
        return sum(mul(dots[0], softmax), axis=axes, keepdims=keepdims)

    return make_node(value, (a,), vjp, "logsumexp", jvp)


def reshape(a, shape) -> Tensor:
    """The same entries in a new shape (as numpy.reshape, C order)."""
    a = as_tensor(a)
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    try:
        value = a.data.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape an array of shape {a.shape} into {shape}") from None

    def vjp(g, out):
        return (reshape(g, a.shape),)

    def jvp(dots, out):
        return reshape(dots[0], shape)

    return make_node(value, (a,), vjp, "reshape", jvp)


def transpose(a, axes=None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None). The rule applies the inverse permutation."""
    a = as_tensor(a)
    if axes is None:
        axes = tuple(reversed(range(a.ndim)))
    axes = tuple(int(ax) % a.ndim if -a.ndim <= ax < 0 else int(ax) for ax in axes)  # allow negative axes, as numpy
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {a.ndim} axes of shape {a.shape}")
    inverse = tuple(np.argsort(axes))

    def vjp(g, out):
        return (transpose(g, inverse),)

    def jvp(dots, out):
        return transpose(dots[0], axes)

    return make_node(np.transpose(a.data, axes), (a,), vjp, "transpose", jvp)


def getitem(a, index) -> Tensor:
    """a[index] with numpy indexing: ints, slices, integer arrays (repeats allowed), masks.

    The rule scatters g back into zeros of ``a.shape``, adding where an entry was
    picked more than once.
    """
    a = as_tensor(a)
    if isinstance(index, Tensor):
        index = index.data.astype(np.intp)
    try:
        value = a.data[index]
    except IndexError as error:
        raise IndexError(f"getitem: index {index!r} does not fit shape {a.shape}: {error}") from None

    def vjp(g, out):
        return (scatter_add(g, index, a.shape),)

    def jvp(dots, out):
        return getitem(dots[0], index)

    return make_node(np.array(value), (a,), vjp, "getitem", jvp)


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (slice, numbers.Integral, type(None), type(Ellipsis))) for p in parts)


def scatter_add(g, index, shape) -> Tensor:
    """zeros(shape) with ``g`` added at ``index`` (the adjoint of ``getitem``).

    Its own rule is ``getitem``: the two are each other's transposes.
    """
    g = as_tensor(g)
    value = np.zeros(shape)
    if _is_basic_index(index):
        value[index] = g.data  # slices and ints never pick an entry twice
    else:
        np.add.at(value, index, g.data)  # integer arrays may repeat: add, don't overwrite

    def vjp(gg, out):
        return (getitem(gg, index),)

    def jvp(dots, out):
        return scatter_add(dots[0], index, shape)

    return make_node(value, (g,), vjp, "scatter_add", jvp)


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (as numpy.concatenate). The rule slices g apart."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: expected at least one tensor, got none")
    try:
        value = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as error:
        shapes = [t.shape for t in tensors]
        raise ValueError(f"concatenate: shapes {shapes} do not fit along axis {axis}: {error}") from None
    ax = axis % value.ndim
    bounds = np.cumsum([0] + [t.shape[ax] for t in tensors])

    def vjp(g, out):
        pieces = []
        for start, stop in zip(bounds[:-1], bounds[1:]):
            index = (slice(None),) * ax + (slice(int(start), int(stop)),)
            pieces.append(getitem(g, index))
        return tuple(pieces)

    def jvp(dots, out):
        return concatenate([_or_zeros(d, t) for d, t in zip(dots, tensors)], axis=axis)

    return make_node(value, tuple(tensors), vjp, "concatenate", jvp)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis (as numpy.stack). The rule takes g apart again."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected at least one tensor, got none")
    shapes = [t.shape for t in tensors]
    if len(set(shapes)) != 1:
        raise ValueError(f"stack: all tensors must have one shape, got shapes {shapes}")
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"stack: axis {axis} is out of range for the {ndim}-dimensional result")
    ax = axis % ndim
    value = np.stack([t.data for t in tensors], axis=ax)

    def vjp(g, out):
        return tuple(getitem(g, (slice(None),) * ax + (i,)) for i in range(len(tensors)))

    def jvp(dots, out):
        return stack([_or_zeros(d, t) for d, t in zip(dots, tensors)], axis=ax)

    return make_node(value, tuple(tensors), vjp, "stack", jvp)
