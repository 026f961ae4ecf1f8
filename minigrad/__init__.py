"""minigrad: a small reverse-mode autograd engine with exact Hessian-vector products.

    import numpy as np, minigrad as mg
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (mg.tanh(x) * x).sum(); y.backward(); x.grad
    mg.hvp(lambda t: (t ** 3).sum(), np.array([1.0, 2.0]), np.ones(2))   # [6, 12]

Layers (each imports only from those above it): tensor (the graph), ops (the
primitives and their rules), autodiff (grad, hvp, ...), check (finite differences).
"""

from . import check, linear, nn, ops, optim, spectral
from .autodiff import grad, hessian, hvp, jacobian, jvp, value_and_grad
from .ops import (
    abs, add, broadcast_to, clip, concatenate, cos, div, exp, getitem, log, logsumexp, matmul, max, maximum,
    mean, min, minimum, mul, neg, outer, pow, relu, reshape, sigmoid, sigmoid_slope, sin, softplus, sqrt,
    stack, sub, sum, tanh, tanh_slope, transpose, where,
)
from .tensor import Tensor, as_tensor, backprop, is_grad_enabled, no_grad, op_count

__version__ = "0.1.0"


def __getattr__(name):
    # ``mg.kernels`` imports numba, which takes a moment; load it only when asked
    # so that ``import minigrad`` stays fast and compiles nothing.
    if name == "kernels":
        import importlib

        return importlib.import_module(".kernels", __name__)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
