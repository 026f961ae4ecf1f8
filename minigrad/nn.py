"""Networks in the 1/sqrt(m) ("NTK") parametrization, with all parameters in ONE flat vector.

The theory speaks of theta in R^p (theta - theta0, p x p Hessians, balls B(theta0, R)),
so a network here is a recipe for a function f(theta, x), not a bag of layer objects:

    net = TwoLayerNet(d=1, m=1000, activation="tanh")
    theta0 = net.init(seed=0)                  # ndarray (p,), N(0, 1) entries
    net.apply(theta0, X)                       # outputs (n,) as an ndarray
    net.apply(mg.Tensor(theta0), X)            # the same, as a Tensor with its graph
    net.loss_hvp(theta0, X, y, v, backend="numba")     # TwoLayerNet; DeepNet: "numpy"

Every parameter is drawn N(0, 1) and each layer's pre-activation is divided by
sqrt(fan-in) at apply time, where the fan-in m of a layer is the number of inputs
each of its units sums over (the length of one row of its weight matrix). With this
scaling a wide network stays O(1) at initialization and its Hessian shrinks like
1/sqrt(m): the "transition to linearity" the lessons measure.

Derivatives come from one of three backends, which agree to rounding error (tests/test_nn.py):

    "engine"  the Tensor graph and mg.grad / mg.hvp / mg.jacobian: nothing written by hand;
    "numpy"   closed forms in numpy (minigrad/kernels/, *_numpy);
    "numba"   the same closed forms compiled with numba (kernels/two_layer.py, *_numba): the
              fast one, TwoLayerNet only. DeepNet has "engine" and "numpy": its numba twin
              measured no faster than numpy (the time is in BLAS matrix products) and cost
              ~15 s of compiling, so it was removed; backend="numba" raises a ValueError.

Importing this module does not import numba; the first "numpy" or "numba" call imports
minigrad.kernels (and numba with it), and each numba kernel compiles at its first call.

A net's parameters go back and forth between theta and its arrays with
``parts = net.unflatten(theta)`` and ``net.flatten(parts)``, for both nets:
``net.flatten(net.unflatten(theta))`` is theta.
"""

from __future__ import annotations

import math

import numpy as np

from . import ops
from .autodiff import grad, hvp, jacobian
from .tensor import Tensor, as_float_array, no_grad
from .validate import generator, whole_number

ACTIVATIONS = ("tanh", "sigmoid", "relu", "softplus", "linear")
BACKENDS = ("engine", "numpy", "numba")


def _identity(t):
    return t


_ENGINE_ACTIVATIONS = {
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "relu": ops.relu,
    "softplus": ops.softplus,
    "linear": _identity,
}


def activation(name):
    """The engine function (Tensor -> Tensor, elementwise) for an activation name.

    One of ACTIVATIONS: tanh, sigmoid (1 / (1 + e^-z)), relu (max(z, 0)),
    softplus (log(1 + e^z)), linear (the identity).
    """
    return _ENGINE_ACTIVATIONS[_check_activation(name, "activation")]


# ---------------------------------------------------------------------------
# Checks with messages that say what was expected and what was given.
# ---------------------------------------------------------------------------
def _check_activation(name, where: str) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {name!r}; known activations: {', '.join(ACTIVATIONS)}")
    return name


def _check_backend(backend, where: str, backends=BACKENDS) -> str:
    if backend == "numba" and "numba" not in backends:
        raise ValueError(
            f"{where}: DeepNet has no backend='numba' (its compiled twin measured no faster than numpy, "
            f"whose time is in BLAS matrix products, and took ~15 s to compile); use backend='numpy' "
            f"(same closed forms) or 'engine'"
        )
    if not isinstance(backend, str) or backend not in backends:
        raise ValueError(f"{where}: unknown backend {backend!r}; choose one of {', '.join(map(repr, backends))}")
    return backend


def _kernels():
    """minigrad.kernels, imported on first use: it imports numba, which takes a while."""
    from . import kernels
    return kernels


class _Net:
    """What TwoLayerNet and DeepNet share: init, input checks, and the three backends.

    A subclass sets d, activation, num_params, defines apply(theta, X), unflatten(theta),
    _param_text() (how p is counted, for error messages) and _kernel_args() (the
    arguments after the data that its kernels in minigrad/kernels/ take), and names its
    kernels with _kernel_prefix ("two_layer" or "deep").
    """

    d: int
    activation: str
    num_params: int
    _kernel_prefix: str
    backends = BACKENDS  # the backends this net has (DeepNet: no "numba")

    # -- parameters -----------------------------------------------------------
    def init(self, seed) -> np.ndarray:
        """A fresh theta (num_params,) with independent N(0, 1) entries.

        seed: an int or a numpy.random.Generator (which is advanced).
        """
        return generator(seed, f"{self._name}.init").standard_normal(self.num_params)

    # -- checks -----------------------------------------------------------------
    @property
    def _name(self) -> str:
        return type(self).__name__

    def _theta(self, theta, where: str, keep_tensor: bool = False):
        """theta as a C-contiguous float64 (p,) array (or the Tensor itself if keep_tensor)."""
        array = as_float_array(theta, f"{where}: theta")
        if array.shape != (self.num_params,):
            raise ValueError(
                f"{where}: theta must have shape ({self.num_params},) ({self._param_text()} parameters), "
                f"got shape {array.shape}"
            )
        if keep_tensor and isinstance(theta, Tensor):
            return theta
        return np.ascontiguousarray(array)

    def _X(self, X, where: str) -> np.ndarray:
        array = as_float_array(X, f"{where}: X")
        if array.ndim != 2 or array.shape[1] != self.d:
            hint = " (for a single input x use output(theta, x), or X = x.reshape(1, -1))" if array.ndim == 1 else ""
            raise ValueError(
                f"{where}: X must be a 2-D array of shape (n, {self.d}), one row per example, "
                f"got shape {array.shape}{hint}"
            )
        if array.shape[0] == 0:
            raise ValueError(
                f"{where}: X has shape {array.shape}: an empty data set (n = 0); at least one row is needed"
            )
        return np.ascontiguousarray(array)

    def _y(self, y, n: int, where: str) -> np.ndarray:
        array = as_float_array(y, f"{where}: y")
        if array.shape != (n,):
            raise ValueError(f"{where}: y must have shape ({n},), one target per row of X, got shape {array.shape}")
        return np.ascontiguousarray(array)

    def _v(self, v, where: str) -> np.ndarray:
        array = as_float_array(v, f"{where}: v")
        if array.shape != (self.num_params,):
            raise ValueError(f"{where}: v must have the shape of theta, ({self.num_params},), got shape {array.shape}")
        return np.ascontiguousarray(array)

    def _x(self, x, where: str) -> np.ndarray:
        array = as_float_array(x, f"{where}: x")
        if array.shape != (self.d,):
            hint = " (for a batch of inputs use apply/loss/jacobian with X)" if array.ndim == 2 else ""
            raise ValueError(f"{where}: x must have shape ({self.d},), one input, got shape {array.shape}{hint}")
        return np.ascontiguousarray(array)

    def _kernel(self, what: str, backend: str):
        """The minigrad.kernels function for this net, e.g. two_layer_loss_hvp_numba."""
        return getattr(_kernels(), f"{self._kernel_prefix}_{what}_{backend}")

    # -- the engine's objective functions -------------------------------------------
    def _loss_tensor(self, theta: Tensor, X: np.ndarray, y: np.ndarray) -> Tensor:
        r = self.apply(theta, X) - y
        return (r * r).sum() / (2 * y.size)

    def _output_tensor(self, theta: Tensor, x: np.ndarray) -> Tensor:
        return self.apply(theta, x.reshape(1, -1)).sum()  # the one output, as a scalar

    # -- loss and its derivatives ---------------------------------------------------
    def loss(self, theta, X, y, backend: str = "engine") -> float:
        """L(theta) = (1/(2n)) sum_j (f(x_j) - y_j)^2, a float. theta (p,), X (n, d), y (n,)."""
        where = f"{self._name}.loss"
        theta, X = self._theta(theta, where), self._X(X, where)
        y = self._y(y, X.shape[0], where)
        if _check_backend(backend, where, self.backends) == "engine":
            with no_grad():
                return self._loss_tensor(Tensor(theta), X, y).item()
        return float(self._kernel("loss", backend)(theta, X, y, *self._kernel_args()))

    def loss_grad(self, theta, X, y, backend: str = "engine") -> np.ndarray:
        """grad L (p,) = (1/n) sum_j (f(x_j) - y_j) grad_theta f(x_j)."""
        where = f"{self._name}.loss_grad"
        theta, X = self._theta(theta, where), self._X(X, where)
        y = self._y(y, X.shape[0], where)
        if _check_backend(backend, where, self.backends) == "engine":
            return grad(lambda t: self._loss_tensor(t, X, y))(theta)
        return self._kernel("loss_grad", backend)(theta, X, y, *self._kernel_args())

    def loss_hvp(self, theta, X, y, v, backend: str = "engine") -> np.ndarray:
        """H v (p,), H the exact Hessian of L (p, p), never formed:

            H = (1/n) sum_j [ grad f_j grad f_j^T  +  (f_j - y_j) Hess_theta f_j ]
        (Gauss-Newton part plus the residual-weighted Hessians of the outputs). v (p,).
        """
        where = f"{self._name}.loss_hvp"
        theta, X = self._theta(theta, where), self._X(X, where)
        y, v = self._y(y, X.shape[0], where), self._v(v, where)
        if _check_backend(backend, where, self.backends) == "engine":
            return hvp(lambda t: self._loss_tensor(t, X, y), theta, v)
        return self._kernel("loss_hvp", backend)(theta, X, y, v, *self._kernel_args())

    # -- one output and its derivatives ----------------------------------------------
    def output(self, theta, x, backend: str = "engine") -> float:
        """f(theta, x), a float, for one input x (d,)."""
        where = f"{self._name}.output"
        theta, x = self._theta(theta, where), self._x(x, where)
        if _check_backend(backend, where, self.backends) == "engine":
            with no_grad():
                return self._output_tensor(Tensor(theta), x).item()
        return float(self._kernel("outputs", backend)(theta, x.reshape(1, -1), *self._kernel_args())[0])

    def output_grad(self, theta, x, backend: str = "engine") -> np.ndarray:
        """grad_theta f(theta, x), shape (p,), for one input x (d,)."""
        where = f"{self._name}.output_grad"
        theta, x = self._theta(theta, where), self._x(x, where)
        if _check_backend(backend, where, self.backends) == "engine":
            return grad(lambda t: self._output_tensor(t, x))(theta)
        return self._kernel("output_grad", backend)(theta, x, *self._kernel_args())

    def output_hvp(self, theta, x, v, backend: str = "engine") -> np.ndarray:
        """(Hess_theta f(theta, x)) v, shape (p,): the Hessian of the output (p, p) times v (p,)."""
        where = f"{self._name}.output_hvp"
        theta, x, v = self._theta(theta, where), self._x(x, where), self._v(v, where)
        if _check_backend(backend, where, self.backends) == "engine":
            return hvp(lambda t: self._output_tensor(t, x), theta, v)
        return self._kernel("output_hvp", backend)(theta, x, v, *self._kernel_args())

    def jacobian(self, theta, X, backend: str = "engine") -> np.ndarray:
        """J (n, p), J[j] = grad_theta f(theta, x_j). The tangent kernel is J J^T (n, n).

        "engine" does one reverse sweep per row (fine for small n); the kernels fill J directly.
        """
        where = f"{self._name}.jacobian"
        theta, X = self._theta(theta, where), self._X(X, where)
        if _check_backend(backend, where, self.backends) == "engine":
            return jacobian(lambda t: self.apply(t, X), theta)
        return self._kernel("jacobian", backend)(theta, X, *self._kernel_args())


class TwoLayerNet(_Net):
    """f(x) = (1/sqrt m) sum_{i=1}^m v_i sigma(w_i . x): one hidden layer of width m, no biases.

    The 1/sqrt(m) belongs to the output layer, whose fan-in is m; the first layer is not
    scaled (the slides' two-layer model; scale x yourself, or use DeepNet, which divides
    every layer by sqrt of its fan-in, first layer included).

    Parameters: theta = [W.ravel() (m*d), v (m)], p = m d + m, where W (m, d) has the
    hidden weight vectors w_i as rows and v (m,) holds the output weights.

    Args:
        d: input dimension. m: hidden width. activation: one of ACTIVATIONS.
    """

    _kernel_prefix = "two_layer"

    def __init__(self, d: int, m: int, activation: str = "tanh"):
        self.d = whole_number(d, "TwoLayerNet: d")
        self.m = whole_number(m, "TwoLayerNet: m")
        self.activation = _check_activation(activation, "TwoLayerNet")
        self.num_params = self.m * self.d + self.m
        self._sigma = _ENGINE_ACTIVATIONS[self.activation]

    def __repr__(self) -> str:
        return f"TwoLayerNet(d={self.d}, m={self.m}, activation={self.activation!r})"

    def _param_text(self) -> str:
        return f"m*d + m = {self.m}*{self.d} + {self.m}"

    def _kernel_args(self) -> tuple:
        return (_kernels().ACTIVATION_CODES[self.activation],)

    def unflatten(self, theta):
        """(W (m, d), v (m,)) from theta (p,).

        Tensors (slices of theta's graph, so gradients flow back to theta) if theta is a
        Tensor; fresh ndarrays (copies) otherwise.
        """
        theta = self._theta(theta, f"{self._name}.unflatten", keep_tensor=True)
        md = self.m * self.d
        if isinstance(theta, Tensor):
            return theta[:md].reshape(self.m, self.d), theta[md:]
        return theta[:md].reshape(self.m, self.d).copy(), theta[md:].copy()

    def flatten(self, parts, v=None) -> np.ndarray:
        """theta = [W.ravel(), v], shape (p,), from parts = (W (m, d), v (m,)), what unflatten
        returns: ``net.flatten(net.unflatten(theta))`` is theta, as for DeepNet.

        ``flatten(W, v)`` (two arguments, the older form) is accepted too.
        """
        if v is None:
            if isinstance(parts, np.ndarray) or not hasattr(parts, "__len__") or len(parts) != 2:
                if isinstance(parts, np.ndarray):
                    got = f"an array of shape {parts.shape}"
                elif hasattr(parts, "__len__"):
                    got = f"a {type(parts).__name__} of {len(parts)} items"
                else:
                    got = repr(parts)
                raise ValueError(f"TwoLayerNet.flatten: expected parts = (W, v), what unflatten returns, got {got}")
            W, v = parts
        else:
            W = parts
        W, v = as_float_array(W, "TwoLayerNet.flatten: W"), as_float_array(v, "TwoLayerNet.flatten: v")
        if W.shape != (self.m, self.d) or v.shape != (self.m,):
            raise ValueError(
                f"TwoLayerNet.flatten: expected W of shape ({self.m}, {self.d}) and v of shape ({self.m},), "
                f"got {W.shape} and {v.shape}"
            )
        return np.concatenate([W.ravel(), v])

    def apply(self, theta, X):
        """Outputs f(x_j) for the rows of X (n, d): sigma(X W^T) v / sqrt(m), shape (n,).

        A Tensor theta gives a Tensor (with its graph, for the engine's derivatives);
        an ndarray theta gives an ndarray (the same computation, no graph recorded).
        """
        where = f"{self._name}.apply"
        X = self._X(X, where)
        theta = self._theta(theta, where, keep_tensor=True)
        if not isinstance(theta, Tensor):
            with no_grad():
                return self.apply(Tensor(theta), X).data
        W, v = self.unflatten(theta)
        hidden = self._sigma(ops.matmul(X, ops.transpose(W)))  # (n, m): z_ji = w_i . x_j
        return ops.matmul(hidden, v) * (1.0 / math.sqrt(self.m))


class DeepNet(_Net):
    """A fully connected net with L hidden layers, every layer scaled by 1/sqrt(its fan-in):

        alpha^0 = x,   alpha^l = sigma(W^l alpha^{l-1} / sqrt(m_{l-1}))   (l = 1..L),
        f(x) = sigma_out(v . alpha^L / sqrt(m_L)),

    with m_0 = d, W^l of shape (m_l, m_{l-1}) (so m_{l-1} is the fan-in of layer l) and v (m_L,).
    sigma_out is the identity by default ("linear"); a nonlinear one (any ACTIVATIONS name)
    gives the counter-example of Liu, Zhu and Belkin (2020), where linearity does not arrive
    as the width grows. No biases.

    Parameters: theta = [W^1.ravel(), ..., W^L.ravel(), v], p = sum_l m_l m_{l-1} + m_L.

    Args:
        d: input dimension. widths: [m_1, ..., m_L], a non-empty sequence of positive ints.
        activation, output_activation: names from ACTIVATIONS.
    """

    _kernel_prefix = "deep"
    backends = ("engine", "numpy")

    def __init__(self, d: int, widths, activation: str = "tanh", output_activation: str = "linear"):
        self.d = whole_number(d, "DeepNet: d")
        if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
            raise TypeError(f"DeepNet: widths must be a sequence of positive ints such as [100, 100], got {widths!r}")
        if len(widths) == 0:
            raise ValueError("DeepNet: widths is empty; give at least one hidden width, e.g. widths=[100]")
        self.widths = tuple(whole_number(m, f"DeepNet: widths[{l}]") for l, m in enumerate(widths))
        self.activation = _check_activation(activation, "DeepNet")
        self.output_activation = _check_activation(output_activation, "DeepNet (output_activation)")
        fan_ins = (self.d,) + self.widths[:-1]
        self._shapes = [(m, fan_in) for m, fan_in in zip(self.widths, fan_ins)]
        self.num_params = sum(m * fan_in for m, fan_in in self._shapes) + self.widths[-1]
        self._sigma = _ENGINE_ACTIVATIONS[self.activation]
        self._sigma_out = _ENGINE_ACTIVATIONS[self.output_activation]

    def __repr__(self) -> str:
        return (f"DeepNet(d={self.d}, widths={list(self.widths)}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r})")

    def _param_text(self) -> str:
        terms = " + ".join(f"{m}*{fan_in}" for m, fan_in in self._shapes)
        return f"sum of m_l*m_(l-1) + m_L = {terms} + {self.widths[-1]}"

    def _kernel_args(self) -> tuple:
        codes = _kernels().ACTIVATION_CODES
        return np.array(self.widths, dtype=np.int64), codes[self.activation], codes[self.output_activation]

    def unflatten(self, theta) -> list:
        """[W^1 (m_1, d), ..., W^L (m_L, m_{L-1}), v (m_L,)] from theta (p,).

        Tensors (slices of theta's graph) if theta is a Tensor; fresh ndarrays otherwise.
        """
        theta = self._theta(theta, f"{self._name}.unflatten", keep_tensor=True)
        parts, start = [], 0
        for shape in self._shapes:
            size = shape[0] * shape[1]
            piece = theta[start: start + size].reshape(shape)
            parts.append(piece if isinstance(theta, Tensor) else piece.copy())
            start += size
        parts.append(theta[start:] if isinstance(theta, Tensor) else theta[start:].copy())
        return parts

    def flatten(self, parts) -> np.ndarray:
        """theta (p,) from [W^1, ..., W^L, v] with the shapes unflatten gives."""
        expected = self._shapes + [(self.widths[-1],)]
        if len(parts) != len(expected):
            raise ValueError(f"DeepNet.flatten: expected {len(expected)} arrays [W^1, ..., W^L, v], got {len(parts)}")
        arrays = [as_float_array(part, f"DeepNet.flatten: parts[{i}]") for i, part in enumerate(parts)]
        shapes = [a.shape for a in arrays]
        if shapes != expected:
            raise ValueError(f"DeepNet.flatten: expected shapes {expected}, got {shapes}")
        return np.concatenate([a.ravel() for a in arrays])

    def apply(self, theta, X):
        """Outputs f(x_j) for the rows of X (n, d), shape (n,). In batch form, rows are samples:

            A^0 = X,  A^l = sigma(A^{l-1} W^l^T / sqrt(m_{l-1})),  f = sigma_out(A^L v / sqrt(m_L)).

        A Tensor theta gives a Tensor (with its graph); an ndarray theta gives an ndarray.
        """
        where = f"{self._name}.apply"
        X = self._X(X, where)
        theta = self._theta(theta, where, keep_tensor=True)
        if not isinstance(theta, Tensor):
            with no_grad():
                return self.apply(Tensor(theta), X).data
        *Ws, v = self.unflatten(theta)
        A = X
        for W in Ws:
            A = self._sigma(ops.matmul(A, ops.transpose(W)) * (1.0 / math.sqrt(W.shape[1])))
        return self._sigma_out(ops.matmul(A, v) * (1.0 / math.sqrt(v.shape[0])))
