"""The graph: a Tensor is a float64 ndarray plus a record of how it was made.

This module knows nothing about any particular operation. An op (see the ``ops`` package)
computes its value with numpy and calls :func:`make_node` with its parents, its
vector-Jacobian rule ``vjp(g, out) -> tuple of cotangents, one per parent`` and its
Jacobian-vector rule ``jvp(dots, out) -> tangent of out``. Because every rule is
written with Tensor operations, running the backward pass while grad mode is on
records a *new* graph: differentiate that one and you get second derivatives
(Hessian-vector products) for free.

Forward mode: inside :func:`forward_level` every new node also gets a *tangent*
(the directional derivative of its value), computed by its jvp rule as the node is
made. Levels are numbered and nest (a jvp inside a jvp): the tangent for level k is
computed with levels >= k hidden, so it carries the tangents of the outer levels
only -- two nested perturbations never mix ("perturbation confusion").

The backward walk (:func:`backprop`) is iterative, so a 100,000-op chain does not hit
Python's recursion limit, and it drops each cotangent as soon as it has been passed
on. Broadcasting is undone in exactly one place, :func:`_unbroadcast`, so no rule
has to think about it.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Sequence

import numpy as np

# ---------------------------------------------------------------------------
# Grad mode: when off, ops compute values only and record nothing.
# ---------------------------------------------------------------------------
_GRAD_ENABLED = True
_TANGENTS_ENABLED = True  # forward mode: off only under no_grad() (a user's "this is a constant")


def is_grad_enabled() -> bool:
    """True when new operations are recorded in the graph."""
    return _GRAD_ENABLED


@contextlib.contextmanager
def no_grad():
    """Context manager: inside it, operations compute values but record no graph.

    Use it for evaluation and for optimizer updates, so that memory does not grow
    with the number of steps. What is computed inside is a constant for every
    transform: no tangents are carried either (forward mode).
    """
    global _GRAD_ENABLED, _TANGENTS_ENABLED
    previous = _GRAD_ENABLED, _TANGENTS_ENABLED
    _GRAD_ENABLED = _TANGENTS_ENABLED = False
    try:
        yield
    finally:
        _GRAD_ENABLED, _TANGENTS_ENABLED = previous


@contextlib.contextmanager
def _recording():
    """Grad mode and tangents on, whatever the caller chose: how a transform traces f."""
    global _GRAD_ENABLED, _TANGENTS_ENABLED
    previous = _GRAD_ENABLED, _TANGENTS_ENABLED
    _GRAD_ENABLED = _TANGENTS_ENABLED = True
    try:
        yield
    finally:
        _GRAD_ENABLED, _TANGENTS_ENABLED = previous


@contextlib.contextmanager
def _grad_mode(enabled: bool):
    global _GRAD_ENABLED
    previous = _GRAD_ENABLED
    _GRAD_ENABLED = enabled
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


# ---------------------------------------------------------------------------
# Forward mode: the active tangent levels, innermost last.
# ---------------------------------------------------------------------------
_FORWARD_LEVELS: list[int] = []
_LEVELS_OPENED = 0
_RECORDED_LEVELS: set[int] = set()  # levels whose tangent computations enter the reverse graph


@contextlib.contextmanager
def forward_level(differentiable: bool = True):
    """Open a new forward-mode level; yields its number. Nodes made inside get tangents for it.

    ``differentiable=False``: nothing will run reverse mode over the tangents (e.g. the
    forward-over-reverse HVP at the top level), so their computations are not recorded
    in the reverse graph. Besides saving the bookkeeping, that keeps the graph free of
    cycles (a node -> its tangent -> the node), which only Python's cyclic garbage
    collector could free: measured, its pauses tripled the time of an HVP.
    """
    global _LEVELS_OPENED
    _LEVELS_OPENED += 1  # never reused: a tangent left on an old node cannot be mistaken for a new one
    level = _LEVELS_OPENED
    _FORWARD_LEVELS.append(level)
    if differentiable:
        _RECORDED_LEVELS.add(level)
    try:
        yield level
    finally:
        _FORWARD_LEVELS.remove(level)
        _RECORDED_LEVELS.discard(level)


@contextlib.contextmanager
def _only_levels(levels: list[int]):
    global _FORWARD_LEVELS
    previous = _FORWARD_LEVELS
    _FORWARD_LEVELS = levels
    try:
        yield
    finally:
        _FORWARD_LEVELS = previous


def tangent(t: "Tensor", level: int):
    """The tangent of ``t`` at forward level ``level`` (a Tensor), or None (a zero tangent)."""
    return t._tangents.get(level) if t._tangents else None


def set_tangent(t: "Tensor", level: int, value: "Tensor") -> None:
    """Give ``t`` the tangent ``value`` (of t's shape) at ``level``: the seed of a forward sweep."""
    if value.shape != t.shape:
        raise ValueError(f"set_tangent: the tangent has shape {value.shape}, the tensor {t.shape}")
    t._tangents = dict(t._tangents or {})  # a copy: never change a dict another node may share
    t._tangents[level] = value


def has_active_tangent(t: "Tensor") -> bool:
    """Does ``t`` carry a tangent of a forward level that is open now?"""
    return bool(t._tangents) and any(level in t._tangents for level in _FORWARD_LEVELS)


# ---------------------------------------------------------------------------
# A running count of the work done by ops: a deterministic measure of cost
# (unlike wall-clock time), used by lesson 0 to compare an HVP with one f.
# ---------------------------------------------------------------------------
_OPS_RUN = 0
_ELEMENTS_MADE = 0


def op_count() -> tuple[int, int]:
    """(ops evaluated, array elements they produced) since the process started.

    Take it before and after a computation; the difference is its cost in
    primitive evaluations and in elements written (a proxy for arithmetic work).
    """
    return _OPS_RUN, _ELEMENTS_MADE


# ---------------------------------------------------------------------------
# Converting user input to float64 arrays, with clear errors.
# ---------------------------------------------------------------------------
def as_float_array(value, what: str = "value") -> np.ndarray:
    """Return ``value`` as a float64 ndarray (ints and bools are converted).

    Object, string and complex arrays are refused with a TypeError: silently
    casting them would give a wrong answer instead of an error.
    """
    if isinstance(value, Tensor):
        return value.data
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind == "f":
        return array.astype(np.float64, copy=False)
    if kind in "iub":
        return array.astype(np.float64)
    raise TypeError(
        f"{what}: expected real numbers (float, int or bool), "
        f"got an array of dtype {array.dtype!s}"
    )


# ---------------------------------------------------------------------------
# The Tensor.
# ---------------------------------------------------------------------------
class Tensor:
    """A float64 array that remembers how it was computed.

    Attributes:
        data: the value, a float64 ``numpy.ndarray`` (0-d for scalars).
        requires_grad: whether gradients flow to (leaf) or through (op result) it.
        grad: after ``backward()``, the gradient of the output w.r.t. this leaf,
            an ndarray of the same shape; ``None`` before.
        op: name of the operation that made it ("" for a leaf).
    """

    # Make numpy defer to our operators in ``ndarray * Tensor`` (see __array_ufunc__).
    __array_priority__ = 1000

    def __init__(self, data, requires_grad: bool = False):
        self.data = np.array(as_float_array(data, "Tensor data"), dtype=np.float64)
        self.requires_grad = bool(requires_grad)
        self.grad: np.ndarray | None = None
        self.op = ""
        self._parents: tuple[Tensor, ...] = ()
        self._vjp: Callable | None = None
        self._tangents: dict | None = None  # forward level -> tangent Tensor (forward mode only)

    # -- basic facts ---------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self._vjp is None

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        extra = f", op={self.op!r}" if self.op else ""
        extra += ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=6)}{extra})"

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item(): expected a tensor with one element, got shape {self.shape}")
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """A copy of the value as an ndarray (never a view the graph might reuse)."""
        return self.data.copy()

    def detach(self) -> "Tensor":
        """The same value as a new leaf that does not require grad."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the stored gradient."""
        self.grad = None

    # -- the backward pass ------------------------------------------------------
    def backward(self, seed=None, *, retain_graph: bool = False,
                 create_graph: bool = False, accumulate: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf with ``requires_grad`` and store it in ``leaf.grad``.

        Args:
            seed: the cotangent w.r.t. ``self``, of shape ``self.shape``. May be
                omitted only when ``self`` is a scalar (then it is 1.0).
            retain_graph: keep the graph so ``backward`` can be called again.
            create_graph: record the backward pass as a graph (for second
                derivatives); the stored ``.grad`` stays a plain ndarray.
            accumulate: add to an existing ``.grad`` instead of replacing it.
                Off by default so that calling ``backward()`` twice never
                double-counts by accident.
        """
        if seed is None and self.data.size != 1:
            raise ValueError(
                "backward(): the output has shape "
                f"{self.shape}; pass seed= (a cotangent of that shape) or reduce it to a scalar first"
            )
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad: no input with requires_grad=True "
                "(or the computation ran under no_grad())"
            )
        leaves = [node for node in _topological_order(self) if node.is_leaf]
        grads = backprop(self, leaves, seed, retain_graph=retain_graph, create_graph=create_graph)
        for leaf, g in zip(leaves, grads):
            value = g.data.copy()
            if accumulate and leaf.grad is not None:
                value = leaf.grad + value  # a new array: never += into one we did not allocate
            leaf.grad = value

    # -- operators (the rules live in the ops package) -----------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, exponent):
        return ops.pow(self, exponent)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def sum(self, axis=None, keepdims: bool = False):
        return ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims: bool = False):
        return ops.mean(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape)

    def transpose(self, axes=None):
        return ops.transpose(self, axes)

    @property
    def T(self):
        return ops.transpose(self)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def tanh(self):
        return ops.tanh(self)

    def relu(self):
        return ops.relu(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def __abs__(self):
        return ops.abs(self)

    def abs(self):
        return ops.abs(self)

    def sqrt(self):
        return ops.sqrt(self)

    def max(self, axis=None, keepdims: bool = False):
        return ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims: bool = False):
        return ops.min(self, axis=axis, keepdims=keepdims)

    def clip(self, lo=None, hi=None):
        return ops.clip(self, lo, hi)

    def logsumexp(self, axis=None, keepdims: bool = False):
        return ops.logsumexp(self, axis=axis, keepdims=keepdims)

    # -- numpy functions on Tensors ---------------------------------------------------
    # numpy cannot record what it computes in the graph, so np.tanh(t) or np.sum(t) would
    # lose the derivative. numpy hands a call with a Tensor argument to these two hooks:
    # arithmetic written with an ndarray on the left (``ndarray * t``) goes to the Tensor
    # operators; everything else is refused with the minigrad spelling of the same thing.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        operator = _UFUNC_OPERATORS.get(ufunc.__name__)
        if operator is not None and method == "__call__" and not kwargs:
            return getattr(ops, operator)(*inputs)
        raise TypeError(_numpy_refusal(f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")))

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.shape, np.ndim, np.size):  # facts about the array, no derivative involved
            return func(*[a.data if isinstance(a, Tensor) else a for a in args], **kwargs)
        raise TypeError(_numpy_refusal(f"np.{func.__name__}"))

    # A Tensor is mutable and compared by identity (the graph keys on id()).
    __hash__ = object.__hash__


# ndarray (op) Tensor: numpy's ufunc name -> the ops function that does it on the graph.
_UFUNC_OPERATORS = {
    "add": "add", "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
    "power": "pow", "matmul": "matmul", "negative": "neg",
}

# What to write instead of a numpy function (default: mg.NAME when minigrad has an op NAME).
_MINIGRAD_SPELLING = {
    "np.sum": "t.sum() or mg.sum(t)", "np.mean": "t.mean() or mg.mean(t)",
    "np.max": "t.max() or mg.max(t)", "np.amax": "t.max() or mg.max(t)",
    "np.min": "t.min() or mg.min(t)", "np.amin": "t.min() or mg.min(t)",
    "np.absolute": "abs(t) or mg.abs(t)", "np.abs": "abs(t) or mg.abs(t)", "np.square": "t ** 2",
    "np.clip": "t.clip(lo, hi) or mg.clip(t, lo, hi)", "np.reshape": "t.reshape(shape)",
    "np.transpose": "t.T or mg.transpose(t, axes)", "np.dot": "a @ b or mg.matmul(a, b)",
    "np.logaddexp": "mg.softplus(a - b) + b, or mg.logsumexp", "np.exp2": "mg.exp(t * np.log(2.0))",
    "np.log1p": "mg.log(1 + t)", "np.expm1": "mg.exp(t) - 1", "np.tanh": "mg.tanh(t) or t.tanh()",
    "np.exp": "mg.exp(t) or t.exp()", "np.log": "mg.log(t) or t.log()", "np.sqrt": "mg.sqrt(t) or t.sqrt()",
}


def _numpy_refusal(name: str) -> str:
    plain = name.split(".")[1]
    instead = _MINIGRAD_SPELLING.get(name) or (
        f"mg.{plain}(...)" if plain in ops.__all__ else "a minigrad op (see mg.ops.__all__) or Tensor operators")
    return (
        f"{name} was applied to a minigrad Tensor: numpy cannot record it in the graph, so the "
        f"derivative would be lost. Use {instead} instead (or apply numpy to t.data for a plain "
        "value that needs no derivative)."
    )


def as_tensor(value) -> Tensor:
    """Return ``value`` if it is a Tensor, else wrap it as a constant leaf."""
    return value if isinstance(value, Tensor) else Tensor(value)


def make_node(value: np.ndarray, parents: Sequence[Tensor], vjp: Callable, op: str,
              jvp: Callable | None = None) -> Tensor:
    """Wrap an op's result. Records ``parents`` and ``vjp`` only if a gradient can flow.

    ``vjp(g, out)`` receives the cotangent ``g`` (a Tensor shaped like ``out``)
    and the result node ``out`` itself, and returns one cotangent per parent
    (a Tensor, or ``None`` for "no gradient"), each either of the parent's shape
    or broadcastable to ``out``'s shape: :func:`_unbroadcast` sums the rest.
    Passing ``out`` in (instead of capturing it) keeps the graph free of cycles.

    ``jvp(dots, out)`` (forward mode) receives one tangent per parent (a Tensor of
    that parent's shape, or ``None`` for a zero tangent; never all None) and returns
    the tangent of ``out``, of out's shape or one that broadcasts to it. It runs
    only inside a forward level (mg.jvp, mg.hvp): an op without one works
    everywhere else, and raises a clear error there.
    """
    global _OPS_RUN, _ELEMENTS_MADE
    _OPS_RUN += 1
    _ELEMENTS_MADE += value.size
    out = Tensor.__new__(Tensor)
    out.data = np.asarray(value, dtype=np.float64)  # numpy gives scalars for 0-d results: keep arrays
    out.grad = None
    out.op = op
    if _GRAD_ENABLED and any(p.requires_grad for p in parents):
        out.requires_grad = True
        out._parents = tuple(parents)
        out._vjp = vjp
    else:
        out.requires_grad = False
        out._parents = ()
        out._vjp = None
    out._tangents = None
    if _FORWARD_LEVELS and _TANGENTS_ENABLED and any(p._tangents for p in parents):
        _push_tangents(out, parents, jvp, op)
    return out


def _push_tangents(out: Tensor, parents: Sequence[Tensor], jvp: Callable | None, op: str) -> None:
    """Forward mode: give ``out`` its tangent at every open level where a parent has one.

    Levels go from outer to inner; the tangent for level k is computed with levels >= k
    hidden, so it is itself a node carrying the outer levels' tangents (a jvp of a jvp
    is a second derivative) and never its own level's (which would mix two
    perturbations). It is recorded in the reverse graph like any op, so reverse mode
    can differentiate it (reverse over forward).
    """
    levels = _FORWARD_LEVELS
    for k, level in enumerate(levels):
        dots = tuple(tangent(p, level) for p in parents)
        if all(d is None for d in dots):
            continue
        if jvp is None:
            raise TypeError(
                f"forward mode (mg.jvp, or mg.hvp's default mode='fwd-rev') reached op {op!r}, which has "
                "no Jacobian-vector rule: pass jvp=... to make_node beside its vjp (see ops.sin), or use "
                "mg.hvp(..., mode='rev-rev'), which needs only vjp rules"
            )
        with _only_levels(levels[:k]), _grad_mode(_GRAD_ENABLED and level in _RECORDED_LEVELS):
            dot = as_tensor(jvp(dots, out))
            if dot.shape != out.shape:
                try:
                    fits = np.broadcast_shapes(dot.shape, out.shape) == out.shape
                except ValueError:
                    fits = False
                if not fits:
                    raise ValueError(f"the jvp rule of op {op!r} returned a tangent of shape {dot.shape} "
                                     f"for an output of shape {out.shape}")
                dot = ops.broadcast_to(dot, out.shape)  # the one place tangents are broadcast
        if out._tangents is None:
            out._tangents = {}
        out._tangents[level] = dot


# ---------------------------------------------------------------------------
# The backward walk.
# ---------------------------------------------------------------------------
def _topological_order(root: Tensor, stop=frozenset()) -> list[Tensor]:
    """Nodes that ``root`` depends on (and that require grad), parents before children.

    Iterative depth-first search with an explicit stack: no recursion, so graph
    depth is limited by memory, not by Python's recursion limit. Nodes whose id is
    in ``stop`` are not expanded: a sweep to those inputs never walks behind them
    (into an outer computation they came from).
    """
    order: list[Tensor] = []
    if not root.requires_grad:
        return order
    visited = {id(root)}
    # Each stack entry: (node, iterator over its parents still to visit).
    stack = [(root, iter(() if id(root) in stop else root._parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent.requires_grad and id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(() if id(parent) in stop else parent._parents)))
                break
        else:  # all parents done: the node can be placed
            stack.pop()
            order.append(node)
    return order


def _unbroadcast(g: Tensor, shape: tuple[int, ...], op: str) -> Tensor:
    """Sum ``g`` over the axes that broadcasting added or stretched, to get ``shape``.

    The one place where broadcasting is undone. Written with Tensor ops so that it
    is itself differentiable. A cotangent that cannot be summed to ``shape`` is a
    bug in the rule of ``op``: it raises a ValueError naming that op (not an
    ``assert``, which ``python -O`` would remove).
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra < 0:
        raise ValueError(_wrong_cotangent(op, g.shape, shape))
    if extra:
        g = ops.sum(g, axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = ops.sum(g, axis=stretched, keepdims=True)
    if g.shape != shape:
        raise ValueError(_wrong_cotangent(op, g.shape, shape))
    return g


def _check_broadcast_cotangent(given: tuple, expected: tuple, node: Tensor) -> None:
    """A cotangent not of its input's shape must be of a shape that broadcasts to the output's."""
    try:
        fits = np.broadcast_shapes(given, node.shape) == node.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(_wrong_cotangent(node.op, given, expected))


def _wrong_cotangent(op: str, given: tuple, expected: tuple) -> str:
    return (f"the vjp rule of op {op!r} returned a cotangent of shape {given} for an input of shape "
            f"{expected}: a rule must return, per input, that input's shape or one that broadcasts to the output's")


def backprop(output: Tensor, inputs: Sequence[Tensor], seed=None, *,
             retain_graph: bool = False, create_graph: bool = False,
             unreached: str = "zeros") -> list:
    """Reverse-mode sweep: the vector-Jacobian product ``seed^T d(output)/d(input)`` for each input.

    Args:
        output: the Tensor to differentiate.
        inputs: Tensors (usually leaves) to differentiate with respect to.
        seed: cotangent for ``output``, shape ``output.shape``; default 1.0 for
            a one-element output. May be a Tensor (then it is part of the new graph).
        retain_graph: keep the forward graph for another sweep. Implied by
            ``create_graph`` (the new graph refers to the old one).
        create_graph: record this sweep as a differentiable graph.
        unreached: what to return for an input with no path to ``output`` in the
            graph: "zeros" (a zero Tensor of its shape) or "none" (``None``, so that
            the caller can tell "no path" from "a zero derivative", as in x ** 0).

    Returns:
        One Tensor per input, of that input's shape. Only the nodes that lie on a
        path from an input to ``output`` run their rules: a function that closes over
        other tensors needing grad does not pay for (or free) their part of the graph.
        Cost: about one to three times the forward pass.
    """
    if unreached not in ("zeros", "none"):
        raise ValueError(f"backprop: unreached must be 'zeros' or 'none', got {unreached!r}")
    if seed is None:
        if output.data.size != 1:
            raise ValueError(f"backprop: output has shape {output.shape}; a seed cotangent of that shape is needed")
        seed = Tensor(np.ones(output.shape))
    seed = as_tensor(seed)
    if seed.shape != output.shape:
        raise ValueError(f"backprop: seed has shape {seed.shape}, but the output has shape {output.shape}")
    wanted = {id(t) for t in inputs}
    order = _topological_order(output, stop=wanted)
    # A node matters only if it depends on an input: mark them, parents first. A freed
    # node has forgotten its parents: it counts, so that its rule raises the clear error.
    relevant = set()
    for node in order:
        if id(node) in wanted or node._vjp is _freed_vjp or any(id(p) in relevant for p in node._parents):
            relevant.add(id(node))
    results: dict[int, Tensor] = {}
    cotangents: dict[int, Tensor] = {id(output): seed} if id(output) in relevant else {}
    with _grad_mode(create_graph):
        for node in reversed(order):
            g = cotangents.pop(id(node), None)  # freed as soon as it is used
            if g is None:
                continue
            if id(node) in wanted:
                results[id(node)] = g
                continue  # an input: the sweep stops here (never walks behind it)
            if node._vjp is None:
                continue
            parent_grads = node._vjp(g, node)
            if not isinstance(parent_grads, (tuple, list)) or len(parent_grads) != len(node._parents):
                count = len(parent_grads) if isinstance(parent_grads, (tuple, list)) else "not a tuple"
                raise ValueError(
                    f"the vjp rule of op {node.op!r} must return a tuple with one cotangent per input "
                    f"({len(node._parents)}), got {count}"
                )
            for parent, pg in zip(node._parents, parent_grads):
                if pg is None or id(parent) not in relevant:
                    continue
                pg = as_tensor(pg)
                if pg.shape != parent.shape:
                    _check_broadcast_cotangent(pg.shape, parent.shape, node)
                    pg = _unbroadcast(pg, parent.shape, node.op)
                previous = cotangents.get(id(parent))
                cotangents[id(parent)] = pg if previous is None else previous + pg
            if not (retain_graph or create_graph):
                _free(node)
    connected = {id(node) for node in order}  # the ancestors of output
    out = []
    for t in inputs:
        g = results.get(id(t))
        if g is None and (unreached == "zeros" or id(t) in connected):
            g = Tensor(np.zeros(t.shape))  # a path, but every rule on it said "no gradient"
        out.append(g)
    return out


def _freed_vjp(g, out):
    raise RuntimeError(
        f"backward through the {out.op!r} node a second time, but its graph was freed "
        "by the first backward(); pass retain_graph=True to the first call"
    )


def _free(node: Tensor) -> None:
    """Drop what the node keeps for the backward pass, so the graph can be collected."""
    node._parents = ()
    node._vjp = _freed_vjp
    node._tangents = None  # forward over reverse: the sweep is past this node, its tangents too


# The ops package imports Tensor from this module; importing it here, after Tensor is
# defined, lets the operator methods above call the rules without a cycle at
# import time.
from . import ops  # noqa: E402
