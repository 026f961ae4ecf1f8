"""The one strategies module: every random input of the test suite is drawn here.

Three layers, each built from the one above:

1. **Elements and shapes.** Bounded, finite float64 numbers (no NaN, no inf, no
   subnormals) and *tiny* shapes -- 0-d, (2,), (3, 2), ... -- so that the
   coordinate-by-coordinate checks (p finite differences, p Hessian columns) stay cheap.
2. **Domains.** A domain is a function ``shape -> strategy of arrays of that shape``
   whose values keep an op away from its kinks and from overflow: ``positive`` for
   log and for non-integer powers, ``away_from_zero`` for relu (|x| >= margin, so a
   finite-difference step never crosses the kink) and for denominators, ``bounded``
   (|x| <= 3) for exp, where ``exp(3) ~ 20`` keeps every derivative of moderate size.
3. **Composite builders.** ``one_shape(...)`` draws several arrays of one shape;
   ``broadcastable(...)`` draws arrays whose shapes broadcast together (always
   including the classic cases: scalar with (2,), (3, 2) with (1, 2), (n, 1) with (1, m));
   ``matmul_operands`` draws the four kinds of matrix product; ``expressions`` draws
   random expression trees for composition tests.

Every builder returns a tuple of float64 ndarrays. Random directions that are not
drawn by hypothesis come from ``numpy.random.default_rng(seed)`` with a drawn seed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

BOUND = 3.0  # |x| <= BOUND for "bounded" inputs: exp(3) ~ 20, tanh'(3) ~ 1e-2.

# Broadcast pairs that must always be among the drawn cases (STYLE.md practice 4).
CLASSIC_BROADCAST_PAIRS = (
    ((), (2,)),
    ((2,), ()),
    ((2,), (3, 2)),
    ((3, 2), (1, 2)),
    ((1, 2), (3, 2)),
    ((3, 1), (1, 2)),
    ((2, 1), (1, 3)),
    ((3, 2), (3, 2)),
)


# ---------------------------------------------------------------------------
# 1. Elements and shapes.
# ---------------------------------------------------------------------------
def floats(low: float = -BOUND, high: float = BOUND) -> st.SearchStrategy[float]:
    """Finite float64 numbers in [low, high]: no NaN, no inf, no subnormals."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64)


def shapes(min_dims: int = 0, max_dims: int = 2, min_side: int = 1, max_side: int = 3):
    """Tiny array shapes: 0-d, (2,), (3, 2), ... at most max_side along each of max_dims axes."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def fewer_examples(fraction: float):
    """A settings decorator for slow tests: this fraction of the active profile's examples.

    Relative, not absolute, so that HYPOTHESIS_PROFILE=thorough still draws more of them.
    """
    return settings(max_examples=max(1, round(settings.default.max_examples * fraction)))


def seeds() -> st.SearchStrategy[int]:
    """Seeds for numpy.random.default_rng, for directions hypothesis need not shrink."""
    return st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------------------
# 2. Domains: shape -> strategy of float64 arrays of that shape.
# ---------------------------------------------------------------------------
def bounded(shape, bound: float = BOUND):
    """Arrays with entries in [-bound, bound]."""
    return hnp.arrays(np.float64, shape, elements=floats(-bound, bound))


def positive(shape, low: float = 0.2, high: float = 4.0):
    """Arrays with entries in [low, high], low > 0: inputs of log and of x ** 0.5."""
    return hnp.arrays(np.float64, shape, elements=floats(low, high))


def away_from_zero(shape, margin: float = 0.1, bound: float = BOUND):
    """Arrays with margin <= |entry| <= bound: relu inputs (kink at 0), denominators, x ** -1.

    With margin 0.1 and the finite-difference step 1e-4, no difference quotient
    straddles the kink or the pole.
    """
    magnitude = floats(margin, bound)
    element = st.one_of(magnitude, magnitude.map(lambda m: -m))
    return hnp.arrays(np.float64, shape, elements=element)


def large(shape, low: float = 100.0, high: float = 3000.0):
    """Arrays with low <= |entry| <= high: where exp overflows and naive formulas for
    softplus, sigmoid or logsumexp give inf or NaN; stable ops must stay finite and right."""
    magnitude = floats(low, high)
    return hnp.arrays(np.float64, shape, elements=st.one_of(magnitude, magnitude.map(lambda m: -m)))


def off_grid(shape, offset: float = 0.0, spacing: float = 0.5, jitter: float = 0.1, bound: float = BOUND):
    """Arrays with entries k * spacing + offset + u, |u| <= jitter: maximum(a, b) draws a with
    offset 0 and b with offset spacing / 2, so |a - b| >= spacing / 2 - 2 jitter: never a tie,
    and no finite-difference step crosses the kink."""
    k = st.integers(int(-bound / spacing), int(bound / spacing))
    element = st.tuples(k, floats(-jitter, jitter)).map(lambda ku: ku[0] * spacing + offset + ku[1])
    return hnp.arrays(np.float64, shape, elements=element)


@st.composite
def distinct(draw, shape, spacing: float = 0.5, jitter: float = 0.1):
    """Arrays whose entries differ pairwise by >= spacing - 2 jitter (a shuffled grid plus jitter):
    inputs of max and min, whose argmax must not change within a finite-difference step."""
    size = int(np.prod(shape))
    order = np.array(draw(st.permutations(range(size))), dtype=np.float64)
    noise = draw(hnp.arrays(np.float64, shape, elements=floats(-jitter, jitter)))
    return (order.reshape(shape) - size / 2.0) * spacing + noise


def away_from(points, margin: float = 0.1, bound: float = BOUND):
    """A domain whose entries keep ``margin`` away from each of ``points``: clip's bounds."""
    def domain(shape):
        element = floats(-bound, bound).filter(lambda x: all(abs(x - p) >= margin for p in points))
        return hnp.arrays(np.float64, shape, elements=element)
    return domain


def denominators(shape):
    """Arrays with 0.5 <= |entry| <= 3: 1/b and its derivatives stay moderate."""
    return away_from_zero(shape, margin=0.5)


# ---------------------------------------------------------------------------
# 3. Composite builders.
# ---------------------------------------------------------------------------
@st.composite
def one_shape(draw, *domains, shape_strategy=None):
    """One array per domain, all of one drawn shape (default: ``shapes()``)."""
    shape = draw(shape_strategy if shape_strategy is not None else shapes())
    return tuple(draw(domain(shape)) for domain in domains)


def broadcast_shape_pairs():
    """Pairs of shapes that broadcast together: the classic pairs first, then any tiny pair."""
    drawn = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)
    return st.one_of(st.sampled_from(CLASSIC_BROADCAST_PAIRS), drawn.map(lambda b: b.input_shapes))


@st.composite
def broadcastable(draw, first_domain, second_domain):
    """Two arrays whose shapes broadcast together, each drawn from its own domain."""
    shape_a, shape_b = draw(broadcast_shape_pairs())
    return draw(first_domain(shape_a)), draw(second_domain(shape_b))


@st.composite
def matmul_operands(draw, kind: str):
    """Operands for one kind of product: "mm" (n,k)@(k,m), "mv" (n,k)@(k,), "vm" (k,)@(k,m), "vv" (k,)@(k,)."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    left = (n, k) if kind in ("mm", "mv") else (k,)
    right = (k, m) if kind in ("mm", "vm") else (k,)
    return draw(bounded(left)), draw(bounded(right))


@st.composite
def concat_operands(draw, count: int, axis: int, ndim: int):
    """``count`` arrays that agree on every axis but ``axis`` (where each has 1 to 3 entries)."""
    shape = list(draw(shapes(min_dims=ndim, max_dims=ndim)))
    parts = []
    for _ in range(count):
        shape[axis] = draw(st.integers(1, 3))
        parts.append(draw(bounded(tuple(shape))))
    return tuple(parts)


@st.composite
def stretchable(draw):
    """One array whose last axis has length 1, to be broadcast (stretched) along it."""
    shape = draw(shapes(min_dims=1, max_dims=2))
    return (draw(bounded(shape[:-1] + (1,))),)


# ---------------------------------------------------------------------------
# Random expression trees (for composition tests).
# ---------------------------------------------------------------------------
# A tree is a nested tuple:
#   ("x",)                the whole input vector, shape (n,)
#   ("item", i)           the entry x[i], shape () -- mixes in broadcasting
#   ("flip",)             x[::-1]
#   ("total",)            x.sum(), shape ()
#   ("const", c)          a constant float
#   ("unary", name, a)    a unary op applied to subtree a
#   ("binary", name, a, b)
@st.composite
def expressions(draw, n: int, unary_names, binary_names, max_depth: int = 6, min_depth: int = 3):
    """An expression tree over a vector of n entries, ``min_depth`` to ``max_depth`` ops deep.

    ``unary_names`` and ``binary_names`` are the op names the evaluator knows (see
    ``zoo.COMPOSABLE_UNARY`` / ``zoo.COMPOSABLE_BINARY``). The top ``min_depth`` levels
    are always ops, so every tree composes at least that many.
    """
    unary_names, binary_names = sorted(unary_names), sorted(binary_names)

    def leaf():
        kind = draw(st.sampled_from(["x", "item", "flip", "total", "const"]))
        if kind == "item":
            return ("item", draw(st.integers(0, n - 1)))
        if kind == "const":
            return ("const", draw(floats(-2.0, 2.0)))
        return (kind,)

    def node(depth):
        if depth == 0:
            return leaf()
        force_op = depth > max_depth - min_depth
        kind = draw(st.sampled_from(["unary", "binary"] if force_op else ["unary", "binary", "leaf"]))
        if kind == "leaf":
            return leaf()
        if kind == "unary":
            return ("unary", draw(st.sampled_from(unary_names)), node(depth - 1))
        return ("binary", draw(st.sampled_from(binary_names)), node(depth - 1), node(depth - 1))

    return node(max_depth)


def tree_depth(tree) -> int:
    """Number of ops on the longest root-to-leaf path of an expression tree."""
    if tree[0] == "unary":
        return 1 + tree_depth(tree[2])
    if tree[0] == "binary":
        return 1 + max(tree_depth(tree[2]), tree_depth(tree[3]))
    return 0
