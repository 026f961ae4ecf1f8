"""The transforms: functions of functions that return derivatives as fresh ndarrays.

Every transform takes ``f``, a Python function from a Tensor to a Tensor, and a
point ``x0`` (an ndarray). It builds the graph of ``f`` at ``x0``, sweeps it
backwards, and returns plain numpy arrays; no ``.grad`` is left on anything.

Costs are in units of one evaluation of f (written "1 f"):

=================  ==========================  ======================
transform          returns                     cost
=================  ==========================  ======================
grad               (shape of x0)               ~3 f
value_and_grad     (float, shape of x0)        ~3 f
hvp                (shape of x0)               ~6-10 f, never the Hessian
hessian            (p, p)                      p HVPs (one sweep each)
jacobian           (n, p)                      n reverse sweeps
jvp                (value, J v)                two reverse sweeps
=================  ==========================  ======================
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .tensor import Tensor, _grad_mode, as_float_array, as_tensor, backprop

Function = Callable[[Tensor], Tensor]


def _not_connected(name: str) -> ValueError:
    return ValueError(
        f"{name}: f's output does not depend on its input x: there is no path in the graph from x to f(x). "
        "Likely cause: f computed it from t.data, with numpy (np.tanh(t.data), float(t.item()), ...) or "
        "under mg.no_grad(), which leave the graph; use minigrad ops instead (mg.tanh(t), t.sum(), ...). "
        "If f really is constant in x, pass allow_unused=True to get zeros on purpose."
    )


def _trace(f: Function, x: Tensor):
    """f(x) with grad mode on (whatever the caller's mode), as a Tensor."""
    with _grad_mode(True):
        return as_tensor(f(x))


def _sweep(name: str, y: Tensor, x: Tensor, seed=None, *, allow_unused: bool, **options) -> Tensor:
    """backprop to x; "no path from x to y" is an error unless allow_unused (then zeros)."""
    (g,) = backprop(y, [x], seed, unreached="none", **options)
    if g is None:
        if not allow_unused:
            raise _not_connected(name)
        g = Tensor(np.zeros(x.shape))
    return g


def _leaf(x0, what: str) -> Tensor:
    """A fresh leaf that requires grad, holding a copy of x0 as float64."""
    return Tensor(np.array(as_float_array(x0, what), dtype=np.float64), requires_grad=True)


def _scalar_output(f: Function, x: Tensor, name: str) -> Tensor:
    y = _trace(f, x)
    if y.data.size != 1:
        raise ValueError(
            f"{name}: f must return a scalar (one element), but it returned shape {y.shape}; "
            "reduce it (e.g. .sum() or .mean()) or use mg.jacobian"
        )
    return y


def _vector(v, shape, name: str) -> Tensor:
    v = as_float_array(v, f"{name}: v")
    if v.shape != shape:
        raise ValueError(f"{name}: v must have the shape of x0, {shape}, but has shape {v.shape}")
    return Tensor(v)


def value_and_grad(f: Function, *, allow_unused: bool = False) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Return a function ``x0 -> (f(x0), grad f(x0))``.

    f maps a Tensor of x0's shape to a scalar Tensor. The gradient has x0's shape.
    Cost: one forward and one reverse sweep (~3 f). ``allow_unused``: see ``grad``.

    Example: ``mg.value_and_grad(lambda x: (x * x).sum())(np.array([1., 2.]))``
    returns ``(5.0, array([2., 4.]))``.
    """

    def value_and_grad_f(x0):
        x = _leaf(x0, "value_and_grad: x0")
        y = _scalar_output(f, x, "value_and_grad")
        g = _sweep("value_and_grad", y, x, allow_unused=allow_unused)
        return y.item(), g.data.copy()

    return value_and_grad_f


def grad(f: Function, *, allow_unused: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """Return a function ``x0 -> grad f(x0)``, an ndarray of x0's shape.

    f maps a Tensor to a scalar Tensor. Cost ~3 f.
    Example: ``mg.grad(lambda x: mg.tanh(x).sum())(np.zeros(3))`` is ``[1, 1, 1]``.

    If f's output does not depend on x (computed from ``t.data`` or through numpy,
    so the graph never saw x), this raises a ValueError naming the likely cause;
    ``allow_unused=True`` returns zeros instead, on purpose.
    """
    value_and_grad_f = value_and_grad(f, allow_unused=allow_unused)

    def grad_f(x0):
        return value_and_grad_f(x0)[1]

    return grad_f


def hvp(f: Function, x0, v, *, allow_unused: bool = False) -> np.ndarray:
    """Hessian-vector product H(x0) v, where H = d^2 f / dx^2, without forming H.

    Pearlmutter's trick: H v = grad_x <grad f(x), v>. The first reverse sweep is
    recorded as a graph (create_graph), the second differentiates it.
    Shapes: x0 and v of one shape S; the result has shape S (H acts on x0 flattened).
    Cost ~6-10 f, independent of the number of parameters.
    A gradient that does not depend on x (f linear) gives H v = 0; an f that does
    not depend on x at all is an error unless ``allow_unused`` (see ``grad``).

    Example: for f(x) = sum(x^3), H = diag(6 x), so hvp(f, [1, 2], [1, 1]) = [6, 12].
    """
    x = _leaf(x0, "hvp: x0")
    v_t = _vector(v, x.shape, "hvp")
    y = _scalar_output(f, x, "hvp")
    with _grad_mode(True):
        g = _sweep("hvp", y, x, allow_unused=allow_unused, create_graph=True)
        directional = (g * v_t).sum()
    (hv,) = backprop(directional, [x])
    return hv.data.copy()


def hessian(f: Function, x0, *, allow_unused: bool = False) -> np.ndarray:
    """The full Hessian of a scalar f at x0, shape (p, p) with p = x0.size.

    Column j is H e_j, one reverse sweep over the (recorded) gradient graph each, so
    the gradient graph is built once. Cost ~ p HVPs: use ``hvp`` when p is large.
    ``allow_unused``: see ``grad``.
    """
    x = _leaf(x0, "hessian: x0")
    y = _scalar_output(f, x, "hessian")
    with _grad_mode(True):
        g = _sweep("hessian", y, x, allow_unused=allow_unused, create_graph=True)
        g_flat = g.reshape(-1)
    p = x.size
    columns = np.zeros((p, p))
    for j in range(p):
        # Row j of H is grad of g_j; H is symmetric, so it is also column j.
        (row,) = backprop(g_flat[j], [x], retain_graph=True)
        columns[:, j] = row.data.reshape(-1)
    return columns


def jacobian(f: Function, x0, *, allow_unused: bool = False) -> np.ndarray:
    """The Jacobian of f at x0: entry [i, j] = d f_i / d x_j, shape (n, p).

    n = f(x0).size and p = x0.size (both flattened). One reverse sweep per output,
    over one recorded forward graph: cost ~ n reverse sweeps. ``allow_unused``: see ``grad``.
    """
    x = _leaf(x0, "jacobian: x0")
    y = _trace(f, x)
    n, p = y.size, x.size
    J = np.zeros((n, p))
    for i in range(n):
        seed = np.zeros(n)
        seed[i] = 1.0
        row = _sweep("jacobian", y, x, seed.reshape(y.shape), allow_unused=allow_unused, retain_graph=True)
        J[i] = row.data.reshape(-1)
    return J


def jvp(f: Function, x0, v, *, allow_unused: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Jacobian-vector product by two reverse sweeps: returns (f(x0), J v).

    A reverse-only engine gives u -> J^T u. That map is linear in u, so its
    vector-Jacobian product with v is (J^T)^T v = J v: a VJP of a VJP is a JVP.
    Shapes: v like x0; the result like f(x0). Cost ~ two reverse sweeps.
    ``allow_unused``: see ``grad``.
    """
    x = _leaf(x0, "jvp: x0")
    v_t = _vector(v, x.shape, "jvp")
    y = _trace(f, x)
    u = Tensor(np.zeros(y.shape), requires_grad=True)  # a dummy cotangent; its value does not matter
    with _grad_mode(True):
        jt_u = _sweep("jvp", y, x, u, allow_unused=allow_unused, create_graph=True)
        directional = (jt_u * v_t).sum()
    (jv,) = backprop(directional, [u])
    return y.data.copy(), jv.data.copy()
