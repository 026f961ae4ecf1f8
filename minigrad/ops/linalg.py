"""Linear algebra: matmul (1-D and 2-D operands) and outer."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_tensor, make_node
from .arithmetic import _plus, mul
from .shapes import transpose


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
        # Each cotangent only if its input needs one: for a data matrix X in X @ W^T, the
        # n x d cotangent of X would be a full product computed for nothing.
        if a.ndim == 2 and b.ndim == 2:
            da = (lambda: matmul(g, transpose(b)))
            db = (lambda: matmul(transpose(a), g))
        elif a.ndim == 2:  # matrix @ vector: out_i = sum_k A_ik b_k
            da, db = (lambda: outer(g, b)), (lambda: matmul(g, a))
        elif b.ndim == 2:  # vector @ matrix: out_j = sum_k a_k B_kj
            da, db = (lambda: matmul(b, g)), (lambda: outer(a, g))
        else:  # dot product
            da, db = (lambda: mul(g, b)), (lambda: mul(g, a))
        return (da() if a.requires_grad else None), (db() if b.requires_grad else None)

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
        return (matmul(g, b) if a.requires_grad else None), (matmul(a, g) if b.requires_grad else None)

    def jvp(dots, out):
        da, db = dots
        # (Not [da a] @ [b db]^T, one n x m array instead of three: BLAS is ~50x slower for an
        # inner dimension of 2 than numpy's outer products, measured at n x m = 256 x 10^4.)
        return _plus(None if da is None else outer(da, b), None if db is None else outer(a, db))

    return make_node(np.multiply.outer(a.data, b.data), (a, b), vjp, "outer", jvp)
