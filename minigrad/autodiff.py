"""The transforms: functions of functions that return derivatives.

Every transform takes ``f``, a Python function from a Tensor to a Tensor, and a
point ``x0``. It builds the graph of ``f`` at ``x0``, sweeps it backwards, and
returns the derivative. Costs are in units of one evaluation of f (written "1 f"):

=================  ==========================  ======================================
transform          returns                     cost
=================  ==========================  ======================================
grad               (shape of x0)               ~3 f (one forward, one reverse sweep)
value_and_grad     (float, shape of x0)        ~3 f
hvp                (shape of x0)               fwd-rev ~4-6 f, rev-rev ~6-10 f; never H
hessian            (p, p)                      p HVPs (one sweep each)
jacobian           (n, p)                      n reverse sweeps
jvp                (value, J v)                one forward sweep carrying tangents ~2-3 f
=================  ==========================  ======================================

Reverse mode (grad, jacobian) runs f and then sweeps its graph backwards with the
vjp rules; forward mode (jvp) carries a tangent beside every value as f runs, with
the jvp rules. An HVP can be had either way round (see ``hvp``).

Two ways to be called:

* **At the top level** (x0 an ndarray, a list, or a Tensor that needs no grad), a
  transform returns fresh float64 ndarrays and leaves no ``.grad`` on anything.
* **Inside an outer computation** -- x0 (or v) is a Tensor that requires grad, or an
  outer transform is tracing the function that makes this call -- it returns Tensors
  connected to that computation, so transforms compose: ``mg.grad(lambda t:
  (mg.hvp(f, t, v) * u).sum())(x)`` is the third derivative of f contracted with
  v and u. Each transform differentiates with respect to its *own* copy of x0 (an
  identity node), never with respect to the outer variable itself, so an inner
  derivative cannot pick up the outer variable's other uses ("perturbation
  confusion", Siskind & Pearlmutter 2005).

A function whose output is not connected to x (computed from ``t.data`` or with
numpy) is an error; ``allow_unused=True`` returns zeros on purpose.
"""

from __future__ import annotations

import contextlib
from typing import Callable

import numpy as np

from . import ops
from .tensor import (
    Tensor, _recording, as_float_array, as_tensor, backprop, forward_level, has_active_tangent, make_node,
    set_tangent, tangent,
)

Function = Callable[[Tensor], Tensor]

# How many transforms are tracing their function right now. Above 0, a transform
# called inside that function is part of an outer computation and returns Tensors.
_DEPTH = 0


@contextlib.contextmanager
def _tracing():
    global _DEPTH
    _DEPTH += 1
    try:
        with _recording():  # a transform records its graph (and tangents) whatever the caller's mode
            yield
    finally:
        _DEPTH -= 1


def _is_live(value) -> bool:
    """Is ``value`` part of an outer computation that may differentiate what we return?"""
    return isinstance(value, Tensor) and (value.requires_grad or has_active_tangent(value))


def _nested(*values) -> bool:
    return _DEPTH > 0 or any(_is_live(v) for v in values)


def _not_connected(name: str) -> ValueError:
    return ValueError(
        f"{name}: f's output does not depend on its input x: there is no path in the graph from x to f(x). "
        "Likely cause: f computed it from t.data, with numpy (np.tanh(t.data), float(t.item()), ...) or "
        "under mg.no_grad(), which leave the graph; use minigrad ops instead (mg.tanh(t), t.sum(), ...). "
        "If f really is constant in x, pass allow_unused=True to get zeros on purpose."
    )


def _input(x0, what: str) -> Tensor:
    """The variable a transform differentiates with respect to: a Tensor that requires grad.

    For an ndarray (or a Tensor outside any graph) it is a fresh leaf holding a float64
    copy. For a Tensor that belongs to an outer computation it is an identity node on
    top of x0: connected to the outer graph (so the result can be differentiated
    again), yet a different node, so this transform's derivative is with respect to it
    alone.
    """
    if _is_live(x0):
        with _recording():
            x = make_node(x0.data, (x0,), lambda g, out: (g,), "input", jvp=lambda dots, out: dots[0])
        x.requires_grad = True  # x0 may carry only tangents: x must still need grad (it is then a leaf)
        return x
    return Tensor(np.array(as_float_array(x0, what), dtype=np.float64), requires_grad=True)


def _direction(v, shape, name: str) -> Tensor:
    """v as a Tensor of x0's shape (never broadcast); a live Tensor is kept, to stay connected."""
    if isinstance(v, Tensor):
        if v.shape != shape:
            raise ValueError(f"{name}: v must have the shape of x0, {shape}, but has shape {v.shape}")
        return v
    v = as_float_array(v, f"{name}: v")
    if v.shape != shape:
        raise ValueError(f"{name}: v must have the shape of x0, {shape}, but has shape {v.shape}")
    return Tensor(v)


def _trace(f: Function, x: Tensor) -> Tensor:
    """f(x) with grad mode on (whatever the caller's mode), as a Tensor."""
    with _tracing():
        return as_tensor(f(x))


def _scalar_output(f: Function, x: Tensor, name: str) -> Tensor:
    y = _trace(f, x)
    if y.data.size != 1:
        raise ValueError(
            f"{name}: f must return a scalar (one element), but it returned shape {y.shape}; "
            "reduce it (e.g. .sum() or .mean()) or use mg.jacobian"
        )
    return y


def _sweep(name: str, y: Tensor, x: Tensor, seed=None, *, allow_unused: bool, **options) -> Tensor:
    """backprop to x; "no path from x to y" is an error unless allow_unused (then zeros)."""
    (g,) = backprop(y, [x], seed, unreached="none", **options)
    if g is None:
        if not allow_unused:
            raise _not_connected(name)
        g = Tensor(np.zeros(x.shape))
    return g


def _out(t: Tensor, nested: bool):
    """What a transform hands back: the Tensor itself inside an outer computation, else a fresh array."""
    return t if nested else t.data.copy()


# ---------------------------------------------------------------------------
# The transforms.
# ---------------------------------------------------------------------------
def value_and_grad(f: Function, *, allow_unused: bool = False) -> Callable:
    """Return a function ``x0 -> (f(x0), grad f(x0))``.

    f maps a Tensor of x0's shape to a scalar Tensor. The gradient has x0's shape.
    Cost: one forward and one reverse sweep (~3 f). ``allow_unused``: see ``grad``.
    At the top level it returns (float, ndarray); inside an outer computation
    (module docstring) a pair of Tensors connected to it.

    Example: ``mg.value_and_grad(lambda x: (x * x).sum())(np.array([1., 2.]))``
    returns ``(5.0, array([2., 4.]))``.
    """

    def value_and_grad_f(x0):
        nested = _nested(x0)
        x = _input(x0, "value_and_grad: x0")
        y = _scalar_output(f, x, "value_and_grad")
        with _recording():
            g = _sweep("value_and_grad", y, x, allow_unused=allow_unused, create_graph=nested)
        if nested:
            return y, g
        return y.item(), g.data.copy()

    return value_and_grad_f


def grad(f: Function, *, allow_unused: bool = False) -> Callable:
    """Return a function ``x0 -> grad f(x0)``, an ndarray of x0's shape.

    f maps a Tensor to a scalar Tensor. Cost ~3 f.
    Example: ``mg.grad(lambda x: mg.tanh(x).sum())(np.zeros(3))`` is ``[1, 1, 1]``.

    If f's output does not depend on x (computed from ``t.data`` or through numpy,
    so the graph never saw x), this raises a ValueError naming the likely cause;
    ``allow_unused=True`` returns zeros instead, on purpose. Inside an outer
    computation the gradient is a Tensor connected to it (module docstring).
    """
    value_and_grad_f = value_and_grad(f, allow_unused=allow_unused)

    def grad_f(x0):
        return value_and_grad_f(x0)[1]

    return grad_f


HVP_MODES = ("fwd-rev", "rev-rev", "rev-fwd")


def hvp(f: Function, x0, v, *, mode: str = "fwd-rev", allow_unused: bool = False):
    """Hessian-vector product H(x0) v, where H = d^2 f / dx^2, without forming H.

    Shapes: x0 and v of one shape S; the result has shape S (H acts on x0 flattened).
    Three ways to the same numbers (they agree to round-off):

    * ``"fwd-rev"`` (default), forward over reverse: H v is the directional derivative
      of the gradient, d/dt grad f(x0 + t v), so run the gradient computation (f and
      its reverse sweep) once with a tangent v carried beside every value. One
      forward and one reverse sweep, each about twice its usual cost: ~4-6 f.
    * ``"rev-rev"``, reverse over reverse (Pearlmutter): H v = grad_x <grad f(x), v>.
      The first reverse sweep is recorded as a graph, and a second reverse sweep runs
      over f's graph *and* that recorded one: ~6-10 f, and memory for both graphs.
    * ``"rev-fwd"``, reverse over forward: H v = grad_x (d/dt f(x + t v)), a reverse
      sweep over a forward pass carrying tangents.

    All cost a constant times f, independent of the number of parameters.
    A gradient that does not depend on x (f linear) gives H v = 0; an f that does
    not depend on x at all is an error unless ``allow_unused`` (see ``grad``).

    Example: for f(x) = sum(x^3), H = diag(6 x), so hvp(f, [1, 2], [1, 1]) = [6, 12].
    """
    if mode not in HVP_MODES:
        raise ValueError(f"hvp: mode must be one of {HVP_MODES}, got {mode!r}")
    nested = _nested(x0, v)
    x = _input(x0, "hvp: x0")
    v_t = _direction(v, x.shape, "hvp")
    if mode == "rev-rev":
        y = _scalar_output(f, x, "hvp")
        with _recording():
            g = _sweep("hvp", y, x, allow_unused=allow_unused, create_graph=True)
            directional = (g * v_t).sum()
            (hv,) = backprop(directional, [x], create_graph=nested)
        return _out(hv, nested)
    if mode == "fwd-rev":
        with forward_level(differentiable=nested) as level:
            set_tangent(x, level, v_t)
            y = _scalar_output(f, x, "hvp")
            with _recording():
                g = _sweep("hvp", y, x, allow_unused=allow_unused, create_graph=nested)
            hv = tangent(g, level)  # the tangent of the gradient along v: H v
        if hv is None:  # the gradient does not move with x: f is linear (or allow_unused)
            hv = Tensor(np.zeros(x.shape))
        return _out(hv, nested)
    # rev-fwd
    with forward_level() as level:
        set_tangent(x, level, v_t)
        y = _scalar_output(f, x, "hvp")
        directional = tangent(y, level)  # <grad f, v>, as a node of the reverse graph
    if directional is None:
        if not allow_unused:
            raise _not_connected("hvp")
        directional = Tensor(np.zeros(()))
    # The reverse sweep runs after the level is closed: its nodes need no tangents.
    with _recording():
        (hv,) = backprop(directional.reshape(()), [x], create_graph=nested)
    return _out(hv, nested)


def hessian(f: Function, x0, *, allow_unused: bool = False):
    """The full Hessian of a scalar f at x0, shape (p, p) with p = x0.size.

    Column j is H e_j, one reverse sweep over the (recorded) gradient graph each, so
    the gradient graph is built once. Cost ~ p HVPs: use ``hvp`` when p is large.
    ``allow_unused``: see ``grad``.
    """
    nested = _nested(x0)
    x = _input(x0, "hessian: x0")
    y = _scalar_output(f, x, "hessian")
    p = x.size
    with _recording():
        g = _sweep("hessian", y, x, allow_unused=allow_unused, create_graph=True)
        g_flat = g.reshape(-1)
        # Row j of H is grad of g_j; H is symmetric, so it is also column j.
        rows = [backprop(g_flat[j], [x], retain_graph=True, create_graph=nested)[0].reshape(-1) for j in range(p)]
    if nested:
        return ops.stack(rows, axis=1) if rows else Tensor(np.zeros((0, 0)))
    columns = np.zeros((p, p))
    for j, row in enumerate(rows):
        columns[:, j] = row.data
    return columns


def jacobian(f: Function, x0, *, allow_unused: bool = False):
    """The Jacobian of f at x0: entry [i, j] = d f_i / d x_j, shape (n, p).

    n = f(x0).size and p = x0.size (both flattened). One reverse sweep per output,
    over one recorded forward graph: cost ~ n reverse sweeps. ``allow_unused``: see ``grad``.
    """
    nested = _nested(x0)
    x = _input(x0, "jacobian: x0")
    y = _trace(f, x)
    n, p = y.size, x.size
    rows = []
    with _recording():
        for i in range(n):
            seed = np.zeros(n)
            seed[i] = 1.0
            row = _sweep("jacobian", y, x, seed.reshape(y.shape), allow_unused=allow_unused,
                         retain_graph=True, create_graph=nested)
            rows.append(row.reshape(-1))
    if nested:
        return ops.stack(rows) if rows else Tensor(np.zeros((0, p)))
    J = np.zeros((n, p))
    for i, row in enumerate(rows):
        J[i] = row.data
    return J


def jvp(f: Function, x0, v, *, allow_unused: bool = False):
    """Jacobian-vector product in one forward sweep: returns (f(x0), J v).

    x carries the tangent v; every op computes its value and, by its jvp rule, the
    tangent of its value; the tangent that comes out of f is J v. Shapes: v like x0;
    both results like f(x0). Cost ~2-3 f, and no graph is kept (at the top level).
    Nested calls are safe: each call opens its own forward level, and a tangent of
    one level never leaks into another. ``allow_unused``: see ``grad``.

    Example: ``mg.jvp(lambda t: t ** 2, np.array([1., 3.]), np.array([1., 0.]))``
    returns ``(array([1., 9.]), array([2., 0.]))``.
    """
    nested = _nested(x0, v)
    if nested:
        x = _input(x0, "jvp: x0")
    else:  # nothing will differentiate the result backwards: record no reverse graph at all
        x = Tensor(np.array(as_float_array(x0, "jvp: x0"), dtype=np.float64))
    v_t = _direction(v, x.shape, "jvp")
    with forward_level(differentiable=nested) as level:
        set_tangent(x, level, v_t)
        y = _trace(f, x)
        dot = tangent(y, level)
    if dot is None:
        if not allow_unused:
            raise _not_connected("jvp")
        dot = Tensor(np.zeros(y.shape))
    if nested:
        return y, dot
    return y.data.copy(), dot.data.copy()
