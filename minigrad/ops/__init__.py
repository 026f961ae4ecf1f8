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

The ops live in four modules by kind, each short enough to read in one sitting:
``arithmetic`` (add ... pow), ``elementwise`` (exp ... where), ``linalg`` (matmul,
outer) and ``shapes`` (reductions, reshapes, indexing, joining); this package
gathers them, so ``mg.ops.NAME`` is every op. To add your own op, copy the shape of
``sin`` (in ``elementwise.py``): compute the value with numpy, write both rules with
existing ops, call ``make_node``. Then prove it with
``minigrad.check.check_op`` (README: "Add your own op").
"""

from .arithmetic import _broadcast_shape, _plus, add, div, mul, neg, pow, sub  # noqa: F401
from .elementwise import (  # noqa: F401
    abs, clip, cos, exp, log, maximum, minimum, relu, sigmoid, sigmoid_slope, sin, softplus, sqrt, tanh,
    tanh_backward, tanh_backward_tangent, tanh_slope, where,
)
from .shapes import (  # noqa: F401
    _normalize_axes, broadcast_to, concatenate, getitem, logsumexp, max, mean, min, reshape, scatter_add, stack,
    sum, transpose,
)
from .linalg import matmul, outer  # noqa: E402, F401  (after shapes: it uses transpose)

# The public ops: each has an entry in the op zoo (tests/zoo.py), and a test fails if one has none.
__all__ = [
    "add", "sub", "neg", "mul", "div", "pow",
    "exp", "log", "tanh", "tanh_slope", "tanh_backward", "tanh_backward_tangent", "sigmoid", "sigmoid_slope", "softplus", "relu", "sin", "cos",
    "matmul", "outer",
    "abs", "sqrt", "maximum", "minimum", "clip", "where",
    "broadcast_to", "sum", "mean", "max", "min", "logsumexp",
    "reshape", "transpose", "getitem", "scatter_add", "concatenate", "stack",
]
