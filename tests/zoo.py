"""The op zoo: every primitive listed once, with what the tests need to know about it.

An entry (:class:`Op`) holds

* ``engine``    -- the op applied to Tensors (the thing under test);
* ``reference`` -- the same op written in plain numpy (the forward oracle);
* ``arity``     -- how many array inputs it takes;
* ``inputs``    -- a hypothesis strategy drawing a tuple of ``arity`` float64 arrays in
  the op's safe domain (see ``strategies.py``: away from kinks, poles and overflow);
* ``hessian``   -- the closed-form Hessian of the scalarization ``sum(w * op(inputs))``
  with respect to all inputs flattened and concatenated, written independently in numpy;
* ``covers``    -- the public op (a name in ``mg.ops.__all__``) the entry tests: a test fails
  when a public op has no entry;
* ``large``     -- for ops meant to be stable at large magnitudes (softplus, sigmoid, ...):
  a strategy drawing inputs in the hundreds and thousands, where value, gradient and
  HVP must stay finite and right.

``tests/test_ops.py`` parametrizes over ``OPS``: adding an entry here adds its forward,
gradient, HVP and Hessian tests at once.

To differentiate with respect to *all* inputs at once (so mixed second derivatives
such as d^2(a*b)/da db are tested too) the inputs are packed into one flat vector z,
and the scalarized function unpacks z with getitem and reshape::

    f(z) = sum(w * op(z[0:p1].reshape(shape1), z[p1:p1+p2].reshape(shape2), ...))

with w a fixed random array of the output's shape, so that every output entry counts.
That scalarization hands the op the *constant* cotangent w, under which a rule that
detaches or ignores its cotangent still gives the right numbers; so the derivative
tests use the composition ``sum(w * sin(op(...)))`` (:meth:`Case.f`), whose cotangent
``w cos(op(...))`` moves with z. The closed-form Hessian test keeps the linear one
(:meth:`Case.f_linear`), for which the Hessian is the op's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.special
from hypothesis import strategies as st

import minigrad as mg
import strategies as S

# Tolerances. Finite differences are compared at FD_RTOL (the house standard, no looser);
# two exact computations that differ only by rounding (H from HVPs vs H from mg.hessian,
# the engine vs an independent closed form) at EXACT_RTOL. Entries much smaller than the
# problem's scale are compared in absolute terms: ``atol = 1e-3 * rtol * scale``.
FD_RTOL = 1e-6
EXACT_RTOL = 1e-10


def assert_close(actual, expected, rtol: float, scale: float, what: str) -> None:
    """Entrywise |actual - expected| <= rtol |expected| + 1e-3 rtol scale, shapes equal."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-3 * rtol * scale, err_msg=what)


# ---------------------------------------------------------------------------
# The zoo entry.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    """One primitive: its engine form, numpy reference, arity, safe inputs and closed-form Hessian."""
    name: str
    arity: int
    engine: Callable[..., mg.Tensor]
    reference: Callable[..., np.ndarray]
    inputs: st.SearchStrategy
    hessian: Callable[[tuple, np.ndarray], np.ndarray] = field(repr=False)
    covers: str = ""
    large: st.SearchStrategy | None = field(default=None, repr=False)

    def __post_init__(self):
        if not self.covers:  # default: the longest public op name that the entry's name starts with
            public = [p for p in mg.ops.__all__ if self.name == p or self.name.startswith(p + "_")]
            # frozen dataclass: set the default through object.__setattr__
            object.__setattr__(self, "covers", max(public, key=len) if public else self.name)

    def __repr__(self) -> str:  # hypothesis prints it when a case fails
        return f"Op({self.name})"


# ---------------------------------------------------------------------------
# Packing several inputs into one vector, and the scalarized function.
# ---------------------------------------------------------------------------
def pack(arrays) -> np.ndarray:
    """Concatenate the flattened arrays into one vector of length P = sum of sizes."""
    return np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)


def unpack(z: mg.Tensor, shapes) -> list:
    """Inverse of ``pack`` written with engine ops (getitem, reshape): Tensors of ``shapes``."""
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(mg.reshape(z[start:start + size], shape))
        start += size
    return parts


@dataclass
class Case:
    """One drawn test case for an op: inputs, the weights w, and a seed for directions."""
    op: Op
    inputs: tuple
    w: np.ndarray
    seed: int

    @property
    def x0(self) -> np.ndarray:
        return pack(self.inputs)

    def f(self, z) -> mg.Tensor:
        """sum(w * sin(op(unpack(z)))): a Tensor (P,) -> scalar Tensor whose cotangent
        for the op, w cos(op(...)), depends on z (so a rule must treat it as a Tensor)."""
        parts = unpack(z, [a.shape for a in self.inputs])
        return mg.sum(mg.mul(mg.sin(self.op.engine(*parts)), self.w))

    def f_linear(self, z) -> mg.Tensor:
        """The scalarization sum(w * op(unpack(z))): its Hessian is the op's own (``Op.hessian``)."""
        parts = unpack(z, [a.shape for a in self.inputs])
        return mg.sum(mg.mul(self.op.engine(*parts), self.w))

    def scale(self) -> float:
        """Size of the terms summed in f: round-off of f (and of its differences) is relative to it."""
        biggest = max([1.0] + [float(np.max(np.abs(a))) for a in self.inputs if a.size])
        out = np.asarray(self.op.reference(*self.inputs))
        if out.size:
            biggest = max(biggest, float(np.max(np.abs(out))))
        return 1.0 + float(np.sum(np.abs(self.w))) * biggest

    def directions(self, count: int) -> list:
        """``count`` standard normal vectors of the packed shape (P,), from the case's seed."""
        rng = np.random.default_rng(self.seed)
        return [rng.standard_normal(self.x0.shape) for _ in range(count)]


@st.composite
def cases(draw, op: Op):
    """A Case for ``op``: inputs from its domain, w ~ N(0, 1) of the output's shape."""
    inputs = draw(op.inputs)
    seed = draw(S.seeds())
    out_shape = np.shape(op.reference(*inputs))
    w = np.random.default_rng(seed).standard_normal(out_shape)
    return Case(op, inputs, w, seed)


# ---------------------------------------------------------------------------
# Closed-form Hessians of sum(w * op(inputs)), written with numpy only.
# ---------------------------------------------------------------------------
def zero_hessian(inputs, w) -> np.ndarray:
    """Linear ops (add, sum, reshape, getitem, ...): the Hessian is zero."""
    p = sum(a.size for a in inputs)
    return np.zeros((p, p))


def diagonal_hessian(second_derivative):
    """Elementwise unary op with second derivative s(x): H = diag(w * s(x)), flattened."""
    def hessian(inputs, w):
        (x,) = inputs
        return np.diag((w * second_derivative(x)).ravel())
    return hessian


def binary_elementwise_hessian(second_partials):
    """Elementwise binary op phi(a, b) with broadcasting.

    With out_k = phi(a_alpha(k), b_beta(k)) (alpha, beta: where broadcasting reads
    entry k from), f = sum_k w_k out_k has
        H[a_i, a_i'] = sum_{k: alpha(k)=i=i'} w_k phi_aa(k),
        H[a_i, b_j]  = sum_{k: alpha(k)=i, beta(k)=j} w_k phi_ab(k),
        H[b_j, b_j'] = sum_{k: beta(k)=j=j'} w_k phi_bb(k).
    ``second_partials(A, B) -> (phi_aa, phi_ab, phi_bb)`` on the broadcast arrays.
    """
    def hessian(inputs, w):
        a, b = inputs
        out_shape = np.broadcast_shapes(a.shape, b.shape)
        ia = np.broadcast_to(np.arange(a.size).reshape(a.shape), out_shape).ravel()
        ib = a.size + np.broadcast_to(np.arange(b.size).reshape(b.shape), out_shape).ravel()
        A = np.broadcast_to(a, out_shape).ravel()
        B = np.broadcast_to(b, out_shape).ravel()
        W = np.asarray(w).ravel()
        faa, fab, fbb = (np.broadcast_to(s, A.shape) for s in second_partials(A, B))
        H = np.zeros((a.size + b.size,) * 2)
        np.add.at(H, (ia, ia), W * faa)  # add.at: several k may land on one entry
        np.add.at(H, (ia, ib), W * fab)
        np.add.at(H, (ib, ia), W * fab)
        np.add.at(H, (ib, ib), W * fbb)
        return H
    return hessian


def same_shape_elementwise_hessian(second_partials):
    """Elementwise op phi(x_1, ..., x_k) of k arrays of one shape: block (i, j) of the
    Hessian of sum(w * phi) is diag(w * d^2 phi / dx_i dx_j). ``second_partials(*arrays)``
    returns {(i, j): array} for i <= j, the missing pairs being zero."""
    def hessian(inputs, w):
        size = inputs[0].size
        H = np.zeros((len(inputs) * size,) * 2)
        for (i, j), value in second_partials(*inputs).items():
            block = np.diag(np.ravel(np.asarray(w) * value))
            H[i * size:(i + 1) * size, j * size:(j + 1) * size] += block
            if i != j:
                H[j * size:(j + 1) * size, i * size:(i + 1) * size] += block
        return H
    return hessian


def bilinear_hessian(inputs, w) -> np.ndarray:
    """matmul: f = sum_ij w_ij sum_l A_il B_lj, so d^2 f / dA_il dB_qj = w_ij [l = q].

    Vectors are read as a row (k,) -> (1, k) on the left and a column (k,) -> (k, 1) on
    the right (this does not change their flattened order); w as (n, m).
    """
    a, b = inputs
    A = a.reshape(1, -1) if a.ndim == 1 else a
    B = b.reshape(-1, 1) if b.ndim == 1 else b
    n, k = A.shape
    m = B.shape[1]
    cross = np.einsum("ij,lq->ilqj", np.reshape(w, (n, m)), np.eye(k)).reshape(n * k, k * m)
    return np.block([[np.zeros((n * k, n * k)), cross], [cross.T, np.zeros((k * m, k * m))]])


def outer_hessian(inputs, w) -> np.ndarray:
    """outer: f = sum_ij w_ij a_i b_j, so d^2 f / da_i db_j = w_ij."""
    a, b = inputs
    return np.block([[np.zeros((a.size, a.size)), w], [w.T, np.zeros((b.size, b.size))]])


def logsumexp_hessian(axis):
    """f = sum_k w_k logsumexp(x_k) over the slices x_k that ``axis`` reduces: each slice
    contributes w_k (diag(s_k) - s_k s_k^T), s_k = softmax(x_k), on its own entries."""
    def hessian(inputs, w):
        (x,) = inputs
        axes = tuple(range(x.ndim)) if axis is None else tuple(np.atleast_1d(axis) % max(x.ndim, 1))
        kept = [i for i in range(x.ndim) if i not in axes]
        order = kept + sorted(axes)
        K = int(np.prod([x.shape[i] for i in kept]))
        X = np.transpose(x, order).reshape(K, -1)
        where = np.transpose(np.arange(x.size).reshape(x.shape), order).reshape(K, -1)
        W = np.reshape(w, K)  # the kept axes keep their order: w's flat order is slice order
        H = np.zeros((x.size, x.size))
        for k in range(K):
            e = np.exp(X[k] - X[k].max())
            soft = e / e.sum()
            H[np.ix_(where[k], where[k])] += W[k] * (np.diag(soft) - np.outer(soft, soft))
        return H
    return hessian


def checkerboard(*shapes) -> np.ndarray:
    """A fixed condition for where(): True on alternate entries of the broadcast shape."""
    shape = np.broadcast_shapes(*shapes)
    return np.arange(int(np.prod(shape))).reshape(shape) % 2 == 0


# ---------------------------------------------------------------------------
# numpy references that are not one numpy call.
# ---------------------------------------------------------------------------
def np_sigmoid(x):
    # exp of a non-positive number only: no overflow at |x| in the thousands.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def np_softplus(x):
    return np.logaddexp(0.0, x)


def np_scatter_add(g, index, shape):
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


# ---------------------------------------------------------------------------
# Entry builders.
# ---------------------------------------------------------------------------
def unary(name, engine, reference, second_derivative, domain=S.bounded, shape_strategy=None, *,
          covers="", stable=False):
    """An elementwise unary op: tiny shapes (0-d included) and a diagonal Hessian.

    ``stable=True``: the op must also be right at inputs in the hundreds and thousands.
    """
    large = S.one_shape(S.large, shape_strategy=shape_strategy) if stable else None
    return Op(name, 1, engine, reference, S.one_shape(domain, shape_strategy=shape_strategy),
              diagonal_hessian(second_derivative), covers, large)


def binary(name, engine, reference, second_partials, second_domain=S.bounded, *, covers="",
           first_domain=S.bounded):
    """An elementwise binary op over broadcast-compatible shapes."""
    return Op(name, 2, engine, reference, S.broadcastable(first_domain, second_domain),
              binary_elementwise_hessian(second_partials), covers)


def linear(name, engine, reference, inputs, arity=1, *, covers=""):
    """A linear op (reductions, shape changes, indexing): its Hessian is zero."""
    return Op(name, arity, engine, reference, inputs, zero_hessian, covers)


def power(p, domain):
    """x ** p for a constant p: second derivative p (p - 1) x^(p - 2) (zero for p = 0, 1)."""
    def second(x):
        if p in (0.0, 1.0):
            return np.zeros_like(x)
        return p * (p - 1.0) * x ** (p - 2.0)
    return unary(f"pow_{p:g}", lambda t: mg.pow(t, p), lambda x: np.power(x, p), second, domain, covers="pow")


def reduction(name, engine_fn, numpy_fn, axis, keepdims, shape_strategy):
    """sum or mean over ``axis`` (None, an int or a tuple), with or without keepdims."""
    return linear(
        f"{name}_axis={axis}{'_keepdims' if keepdims else ''}",
        lambda t: engine_fn(t, axis=axis, keepdims=keepdims),
        lambda x: numpy_fn(x, axis=axis, keepdims=keepdims),
        S.one_shape(S.bounded, shape_strategy=shape_strategy),
        covers=name,
    )


def indexing(name, index, shape_strategy):
    """x[index] for one fixed index (slices, ints, integer arrays with repeats, a mask)."""
    return linear(f"getitem_{name}", lambda t: t[index], lambda x: x[index],
                  S.one_shape(S.bounded, shape_strategy=shape_strategy), covers="getitem")


ANY_SHAPE = S.shapes()
VECTOR = S.shapes(min_dims=1, max_dims=1)
AT_LEAST_1D = S.shapes(min_dims=1)
MATRIX = S.shapes(min_dims=2, max_dims=2)
CUBE = S.shapes(min_dims=3, max_dims=3, max_side=2)
REPEATS = np.array([0, 0, -1, 0])  # an integer index with repeats (and a negative entry)
MASK = np.array([True, False, True])


# ---------------------------------------------------------------------------
# THE ZOO.
# ---------------------------------------------------------------------------
OPS: list[Op] = [
    # -- arithmetic, with broadcasting ------------------------------------------------------
    binary("add", mg.add, np.add, lambda A, B: (0.0, 0.0, 0.0)),
    binary("sub", mg.sub, np.subtract, lambda A, B: (0.0, 0.0, 0.0)),
    binary("mul", mg.mul, np.multiply, lambda A, B: (0.0, 1.0, 0.0)),
    binary("div", mg.div, np.divide, lambda A, B: (0.0, -1.0 / B**2, 2.0 * A / B**3), S.denominators),
    # -- elementwise unary --------------------------------------------------------------------
    unary("neg", mg.neg, np.negative, np.zeros_like),
    unary("exp", mg.exp, np.exp, np.exp),
    unary("log", mg.log, np.log, lambda x: -1.0 / x**2, S.positive),
    unary("tanh", mg.tanh, np.tanh, lambda x: -2.0 * np.tanh(x) * (1.0 - np.tanh(x) ** 2), stable=True),
    unary("sigmoid", mg.sigmoid, np_sigmoid,
          lambda x: np_sigmoid(x) * (1.0 - np_sigmoid(x)) * (1.0 - 2.0 * np_sigmoid(x)), stable=True),
    unary("relu", mg.relu, lambda x: np.maximum(x, 0.0), np.zeros_like, S.away_from_zero, stable=True),
    unary("softplus", mg.softplus, np_softplus, lambda x: np_sigmoid(x) * (1.0 - np_sigmoid(x)), stable=True),
    unary("sin", mg.sin, np.sin, lambda x: -np.sin(x)),
    unary("cos", mg.cos, np.cos, lambda x: -np.cos(x)),
    unary("tanh_slope", mg.tanh_slope, lambda t: 1.0 - t**2, lambda t: np.full_like(t, -2.0)),
    binary("tanh_backward", mg.ops.tanh_backward, lambda u, t: u * (1.0 - t**2), lambda U, T: (0.0, -2.0 * T, -2.0 * U)),
    # du (1 - t^2) - 2 t u dt, inputs (u, du, t, dt)
    Op("tanh_backward_tangent", 4, mg.ops.tanh_backward_tangent,
       lambda u, du, t, dt: du * (1.0 - t**2) - 2.0 * t * u * dt,
       S.one_shape(S.bounded, S.bounded, S.bounded, S.bounded),
       same_shape_elementwise_hessian(lambda u, du, t, dt: {
           (0, 2): -2.0 * dt, (0, 3): -2.0 * t, (1, 2): -2.0 * t, (2, 2): -2.0 * du, (2, 3): -2.0 * u})),
    unary("sigmoid_slope", mg.sigmoid_slope, lambda s: s * (1.0 - s), lambda s: np.full_like(s, -2.0)),
    unary("abs", mg.abs, np.abs, np.zeros_like, S.away_from_zero, stable=True),
    unary("sqrt", mg.sqrt, np.sqrt, lambda x: -0.25 * x ** -1.5, S.positive),
    unary("clip", lambda t: mg.clip(t, -1.0, 1.5), lambda x: np.clip(x, -1.0, 1.5), np.zeros_like,
          S.away_from([-1.0, 1.5])),
    unary("clip_hi_only", lambda t: t.clip(hi=0.5), lambda x: np.clip(x, None, 0.5), np.zeros_like,
          S.away_from([0.5])),
    # maximum / minimum: a on the grid k/2, b on k/2 + 1/4 (plus jitter): never a tie
    binary("maximum", mg.maximum, np.maximum, lambda A, B: (0.0, 0.0, 0.0),
           lambda shape: S.off_grid(shape, 0.25), first_domain=S.off_grid),
    binary("minimum", mg.minimum, np.minimum, lambda A, B: (0.0, 0.0, 0.0),
           lambda shape: S.off_grid(shape, 0.25), first_domain=S.off_grid),
    Op("where", 2, lambda a, b: mg.where(checkerboard(a.shape, b.shape), a, b),
       lambda a, b: np.where(checkerboard(a.shape, b.shape), a, b), S.broadcastable(S.bounded, S.bounded),
       zero_hessian),
    power(2, S.bounded),
    power(3, S.bounded),
    power(0.5, S.positive),
    power(1.5, S.positive),
    power(-1, S.denominators),
    power(-2, S.denominators),
    power(0, S.bounded),
    power(1, S.bounded),
    # -- products -------------------------------------------------------------------------------
    *[Op(f"matmul_{kind}", 2, mg.matmul, np.matmul, S.matmul_operands(kind), bilinear_hessian, "matmul")
      for kind in ("mm", "mv", "vm", "vv")],
    Op("outer", 2, mg.outer, np.outer, st.tuples(S.bounded(VECTOR), S.bounded(VECTOR)), outer_hessian),
    # -- reductions -------------------------------------------------------------------------------
    *[reduction(name, e, n, axis, keep, shape)
      for name, e, n in (("sum", mg.sum, np.sum), ("mean", mg.mean, np.mean))
      for axis, keep, shape in ((None, False, ANY_SHAPE), (None, True, ANY_SHAPE), (0, False, AT_LEAST_1D),
                                (-1, True, AT_LEAST_1D), ((0, 2), False, CUBE), ((-1, 0), True, MATRIX))],
    *[linear(f"{name}_axis={axis}{'_keepdims' if keep else ''}", lambda t, e=e, axis=axis, keep=keep:
             e(t, axis=axis, keepdims=keep), lambda x, n=n, axis=axis, keep=keep: n(x, axis=axis, keepdims=keep),
             S.one_shape(S.distinct, shape_strategy=shape))  # distinct entries: no ties, no argmax flips
      for name, e, n in (("max", mg.max, np.max), ("min", mg.min, np.min))
      for axis, keep, shape in ((None, False, ANY_SHAPE), (0, False, AT_LEAST_1D), (-1, True, AT_LEAST_1D),
                                ((0, 2), False, CUBE))],
    *[Op(f"logsumexp_axis={axis}{'_keepdims' if keep else ''}", 1,
         lambda t, axis=axis, keep=keep: mg.logsumexp(t, axis=axis, keepdims=keep),
         lambda x, axis=axis, keep=keep: scipy.special.logsumexp(x, axis=axis, keepdims=keep),
         S.one_shape(S.bounded, shape_strategy=shape), logsumexp_hessian(axis),
         large=S.one_shape(S.large, shape_strategy=shape))
      for axis, keep, shape in ((None, False, ANY_SHAPE), (0, False, AT_LEAST_1D), (-1, True, AT_LEAST_1D),
                                ((0, 2), False, CUBE))],
    # -- shape changes -------------------------------------------------------------------------------
    linear("reshape_flat", lambda t: mg.reshape(t, (-1,)), lambda x: x.reshape(-1), S.one_shape(S.bounded)),
    linear("reshape_reversed", lambda t: t.reshape(t.shape[::-1]), lambda x: x.reshape(x.shape[::-1]),
           S.one_shape(S.bounded)),
    linear("reshape_new_axis", lambda t: mg.reshape(t, (1,) + t.shape + (1,)),
           lambda x: x.reshape((1,) + x.shape + (1,)), S.one_shape(S.bounded)),
    linear("transpose_T", lambda t: t.T, lambda x: x.T, S.one_shape(S.bounded, shape_strategy=MATRIX)),
    linear("transpose_axes", lambda t: mg.transpose(t, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0)),
           S.one_shape(S.bounded, shape_strategy=CUBE)),
    linear("broadcast_to_new_axis", lambda t: mg.broadcast_to(t, (3,) + t.shape),
           lambda x: np.broadcast_to(x, (3,) + x.shape), S.one_shape(S.bounded)),
    linear("broadcast_to_stretch", lambda t: mg.broadcast_to(t, t.shape[:-1] + (3,)),
           lambda x: np.broadcast_to(x, x.shape[:-1] + (3,)), S.stretchable()),
    # -- indexing -------------------------------------------------------------------------------------
    indexing("int", 0, AT_LEAST_1D),
    indexing("slice", slice(1, None), AT_LEAST_1D),
    indexing("reversed_slices", (slice(None, None, -1), slice(1, None)), MATRIX),
    indexing("int_array_repeats", REPEATS, AT_LEAST_1D),
    indexing("int_arrays_2d_repeats", (np.array([0, -1, 0]), np.array([0, 0, -1])), MATRIX),
    indexing("slice_and_int_array", (slice(None), np.array([0, 0])), MATRIX),
    indexing("mask", MASK, S.shapes(min_dims=1, max_dims=1, min_side=3, max_side=3)),
    linear("scatter_add_repeats", lambda g: mg.ops.scatter_add(g, REPEATS, (3,)),
           lambda g: np_scatter_add(g, REPEATS, (3,)), S.one_shape(S.bounded, shape_strategy=st.just((4,)))),
    linear("scatter_add_slice", lambda g: mg.ops.scatter_add(g, (slice(None), 1), (3, 2)),
           lambda g: np_scatter_add(g, (slice(None), 1), (3, 2)),
           S.one_shape(S.bounded, shape_strategy=st.just((3,)))),
    # -- joining ----------------------------------------------------------------------------------------
    linear("concatenate_axis0", lambda a, b: mg.concatenate([a, b]), lambda a, b: np.concatenate([a, b]),
           S.concat_operands(2, axis=0, ndim=2), arity=2),
    linear("concatenate_axis1", lambda a, b: mg.concatenate([a, b], axis=1),
           lambda a, b: np.concatenate([a, b], axis=1), S.concat_operands(2, axis=1, ndim=2), arity=2),
    linear("concatenate_three", lambda a, b, c: mg.concatenate([a, b, c], axis=-1),
           lambda a, b, c: np.concatenate([a, b, c], axis=-1), S.concat_operands(3, axis=0, ndim=1), arity=3),
    linear("stack_axis0", lambda a, b: mg.stack([a, b]), lambda a, b: np.stack([a, b]),
           S.one_shape(S.bounded, S.bounded), arity=2),
    linear("stack_last_axis_three", lambda a, b, c: mg.stack([a, b, c], axis=-1),
           lambda a, b, c: np.stack([a, b, c], axis=-1), S.one_shape(S.bounded, S.bounded, S.bounded), arity=3),
]

OPS_BY_NAME = {op.name: op for op in OPS}
ELEMENTWISE_BINARY = [OPS_BY_NAME[name] for name in ("add", "sub", "mul", "div")]


# ---------------------------------------------------------------------------
# Domain-safe wrappers for random compositions: every one is smooth and finite on
# all of R (the unsafe op sits behind a squashing one), so any tree of them can be
# differentiated and finite-differenced anywhere. Each: (engine version, numpy version).
# ---------------------------------------------------------------------------
COMPOSABLE_UNARY = {
    "neg": (mg.neg, np.negative),
    "tanh": (mg.tanh, np.tanh),
    "sigmoid": (mg.sigmoid, np_sigmoid),
    "softplus": (mg.softplus, np_softplus),
    "sin": (mg.sin, np.sin),
    "cos": (mg.cos, np.cos),
    "exp_of_tanh": (lambda a: mg.exp(mg.tanh(a)), lambda a: np.exp(np.tanh(a))),
    "log_of_softplus": (lambda a: mg.log(mg.softplus(a) + 0.5), lambda a: np.log(np_softplus(a) + 0.5)),
    "relu_of_shifted_tanh": (lambda a: mg.relu(mg.tanh(a) + 1.5), lambda a: np.maximum(np.tanh(a) + 1.5, 0.0)),
    "cube_of_tanh": (lambda a: mg.tanh(a) ** 3, lambda a: np.tanh(a) ** 3),
    "sqrt_of_sigmoid": (lambda a: (mg.sigmoid(a) + 0.5) ** 0.5, lambda a: (np_sigmoid(a) + 0.5) ** 0.5),
    "inverse_of_sigmoid": (lambda a: (mg.sigmoid(a) + 0.5) ** -1, lambda a: (np_sigmoid(a) + 0.5) ** -1),
    "square_of_sin": (lambda a: mg.sin(a) ** 2, lambda a: np.sin(a) ** 2),
    "centered": (lambda a: a - a.mean(), lambda a: a - np.mean(a)),
}

COMPOSABLE_BINARY = {
    "add": (mg.add, np.add),
    "sub": (mg.sub, np.subtract),
    "mul_by_tanh": (lambda a, b: a * mg.tanh(b), lambda a, b: a * np.tanh(b)),
    "div_by_softplus": (lambda a, b: a / (1.0 + mg.softplus(b)), lambda a, b: a / (1.0 + np_softplus(b))),
}


def evaluate(tree, x, use_numpy: bool = False):
    """Value of an expression tree (see ``strategies.expressions``) at x.

    x is a Tensor of shape (n,) (engine) or an ndarray (``use_numpy=True``, the reference).
    """
    kind = tree[0]
    if kind == "x":
        return x
    if kind == "item":
        return x[tree[1]]
    if kind == "flip":
        return x[::-1]
    if kind == "total":
        return np.sum(x) if use_numpy else x.sum()
    if kind == "const":
        return np.float64(tree[1]) if use_numpy else mg.Tensor(tree[1])
    which = 1 if use_numpy else 0
    if kind == "unary":
        return COMPOSABLE_UNARY[tree[1]][which](evaluate(tree[2], x, use_numpy))
    left, right = evaluate(tree[2], x, use_numpy), evaluate(tree[3], x, use_numpy)
    return COMPOSABLE_BINARY[tree[1]][which](left, right)
