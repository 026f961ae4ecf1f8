"""Linear algebra: matmul (1-D and 2-D operands) and outer."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_tensor, make_node
from .arithmetic import _plus, mul
from .shapes import stack, transpose


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
