"""Linear models: least squares and the feature maps that feed it.

A linear model predicts ``A w`` from a design matrix A (n samples, p features) and
weights w (p,). Its loss is the mean of the per-sample losses

    L(w) = (1/n) sum_i (1/2)(a_i . w - y_i)^2 = (1/(2n)) ||A w - y||^2.

Two solvers minimize it:

* ``lstsq_normal`` solves the normal equations A^T A w = A^T y. Simple and fast, but
  it squares the condition number, and it has no unique answer when A^T A is singular
  (fewer samples than features, or dependent features).
* ``lstsq_min_norm`` returns the minimum-norm minimizer w = A^+ y through the SVD.
  When p > n there are many interpolating solutions; this is the one with the
  smallest ||w||, the solution that gradient descent from w = 0 converges to, and the
  one behind the "double descent" curve.

The feature maps turn inputs into design matrices: Legendre and monomial features of
a scalar input, and random ReLU / Fourier features of a vector input. A random map is
drawn once, at construction, so the same map is applied to training and test data.
"""

from __future__ import annotations

import numbers

import numpy as np

from .tensor import as_float_array
from .validate import generator, positive_number, whole_number

EPS = np.finfo(np.float64).eps


# ---------------------------------------------------------------------------
# Input checks shared by the functions below.
# ---------------------------------------------------------------------------
def _finite(array: np.ndarray, what: str) -> np.ndarray:
    bad = ~np.isfinite(array)
    if np.any(bad):
        raise ValueError(f"{what} must be finite, but it has {int(bad.sum())} NaN or inf entries")
    return array


def _matrix(A, what: str) -> np.ndarray:
    A = as_float_array(A, what)
    if A.ndim != 2:
        raise ValueError(f"{what} must be a matrix of shape (n, p), but has shape {A.shape}")
    if A.size == 0:
        raise ValueError(f"{what} must have at least one row and one column, but has shape {A.shape}")
    return _finite(A, what)


def _vector(v, length: int, what: str, meaning: str) -> np.ndarray:
    v = as_float_array(v, what)
    if v.shape != (length,):
        raise ValueError(f"{what} must have shape ({length},) ({meaning}), but has shape {v.shape}")
    return _finite(v, what)


def _scalar_inputs(x, what: str) -> np.ndarray:
    """x as a float64 vector (n,); a column (n, 1) is accepted and flattened."""
    x = as_float_array(x, what)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"{what} must be a vector of scalar inputs, shape (n,) or (n, 1), but has shape {x.shape}")
    return _finite(x, what)


# ---------------------------------------------------------------------------
# Least squares.
# ---------------------------------------------------------------------------
def _problem(A, y, name: str) -> tuple[np.ndarray, np.ndarray]:
    A = _matrix(A, f"{name}: A")
    y = _vector(y, A.shape[0], f"{name}: y", f"one target per row of A, which has shape {A.shape}")
    return A, y


def lstsq_normal(A, y) -> np.ndarray:
    """Least squares by the normal equations: solve (A^T A) w = A^T y.

    A: (n, p), y: (n,) -> w: (p,), the unique minimizer of ||A w - y||^2.

    It needs A^T A (p, p) to be invertible in floating point. cond(A^T A) = cond(A)^2,
    so we refuse when cond(A)^2 >= 1 / (p eps): then the computed w would be
    round-off, and numpy's solve would not say so. Use ``lstsq_min_norm`` there.
    """
    A, y = _problem(A, y, "lstsq_normal")
    n, p = A.shape
    if n < p:
        raise ValueError(
            f"lstsq_normal: A has shape {A.shape}, fewer rows than columns, so A^T A ({p}x{p}) is singular "
            f"(rank <= {n}); use lstsq_min_norm for the minimum-norm solution"
        )
    s = np.linalg.svd(A, compute_uv=False)
    if s[-1] <= s[0] * np.sqrt(p * EPS):
        cond = np.inf if s[-1] == 0 else (s[0] / s[-1]) ** 2
        raise ValueError(
            f"lstsq_normal: A^T A is singular to working precision (A has shape {A.shape}, "
            f"cond(A^T A) = {cond:.3g} >= 1/(p eps) = {1 / (p * EPS):.3g}); use lstsq_min_norm"
        )
    return np.linalg.solve(A.T @ A, A.T @ y)


def lstsq_min_norm(A, y, rcond=None) -> np.ndarray:
    """Minimum-norm least squares w = A^+ y via the SVD A = U diag(s) V^T.

    A: (n, p), y: (n,) -> w: (p,) = sum over kept k of v_k (u_k . y) / s_k.

    Singular values s_k <= rcond * s_max are treated as zero (their directions are
    dropped, not divided by a tiny number). rcond defaults to max(n, p) * eps, as in
    numpy.linalg.lstsq. Among all minimizers of ||A w - y|| this w has the smallest
    ||w||: it has no component in the null space of A.
    """
    A, y = _problem(A, y, "lstsq_min_norm")
    n, p = A.shape
    if rcond is None:
        rcond = max(n, p) * EPS
    if isinstance(rcond, bool) or not isinstance(rcond, numbers.Real):
        raise TypeError(f"lstsq_min_norm: rcond must be a real number or None, but got {type(rcond).__name__}")
    if not (np.isfinite(rcond) and rcond >= 0):
        raise ValueError(f"lstsq_min_norm: rcond must be a finite number >= 0, but got {rcond}")
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > rcond * s[0]  # s is sorted, s[0] = s_max; an all-zero A keeps nothing: w = 0
    coefficients = (U[:, keep].T @ y) / s[keep]
    return Vt[keep].T @ coefficients


def residuals(A, w, y) -> np.ndarray:
    """r = A w - y, shape (n,), for A (n, p), w (p,), y (n,)."""
    A = _matrix(A, "residuals: A")
    n, p = A.shape
    w = _vector(w, p, "residuals: w", f"one weight per column of A, which has shape {A.shape}")
    y = _vector(y, n, "residuals: y", f"one target per row of A, which has shape {A.shape}")
    return A @ w - y


def per_sample_losses(A, w, y) -> np.ndarray:
    """l_i = (1/2)(a_i . w - y_i)^2, shape (n,). Their mean is the loss L(w) = (1/(2n)) ||A w - y||^2."""
    r = residuals(A, w, y)
    return 0.5 * r * r


# ---------------------------------------------------------------------------
# Polynomial features of a scalar input.
# ---------------------------------------------------------------------------
def legendre_features(x, d, normalized: bool = False) -> np.ndarray:
    """Legendre polynomials P_0(x), ..., P_{d-1}(x) as columns: shape (n, d).

    x: (n,) (or (n, 1)) with every entry in [-1, 1], where the P_k are orthogonal.
    Computed by the three-term recurrence

        P_0 = 1,  P_1 = x,  (k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1},

    which is stable on [-1, 1] (|P_k| <= 1 there), unlike powers of x.
    normalized=True returns sqrt(2k + 1) P_k instead: orthonormal for the uniform
    distribution on [-1, 1], i.e. (1/2) int_{-1}^{1} phi_j phi_k dx = delta_jk.
    """
    x = _scalar_inputs(x, "legendre_features: x")
    d = whole_number(d, "legendre_features: d (the number of features)")
    outside = np.abs(x) > 1.0
    if np.any(outside):
        raise ValueError(
            f"legendre_features: x must lie in [-1, 1] (where Legendre polynomials are orthogonal), "
            f"but {int(outside.sum())} entries are outside, e.g. {float(x[outside][0])!r}; rescale x first"
        )
    P = np.empty((x.size, d))
    P[:, 0] = 1.0
    if d > 1:
        P[:, 1] = x
    for k in range(1, d - 1):
        P[:, k + 1] = ((2 * k + 1) * x * P[:, k] - k * P[:, k - 1]) / (k + 1)
    if normalized:
        P *= np.sqrt(2.0 * np.arange(d) + 1.0)
    return P


def monomial_features(x, d) -> np.ndarray:
    """Powers x^0, x^1, ..., x^{d-1} as columns: shape (n, d), for x of shape (n,) (or (n, 1)).

    On [-1, 1] these columns become nearly parallel as d grows (a badly conditioned
    Vandermonde matrix); compare legendre_features.
    """
    x = _scalar_inputs(x, "monomial_features: x")
    d = whole_number(d, "monomial_features: d (the number of features)")
    V = np.empty((x.size, d))
    V[:, 0] = 1.0
    for k in range(1, d):
        V[:, k] = V[:, k - 1] * x
    return V


# ---------------------------------------------------------------------------
# Random features of a vector input.
# ---------------------------------------------------------------------------
def _inputs(X, d: int, what: str) -> np.ndarray:
    X = as_float_array(X, what)
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"{what} must have shape (n, {d}) (one row per sample), but has shape {X.shape}")
    return _finite(X, what)


class RandomReLUFeatures:
    """phi(x) = relu(W x) / sqrt(N): N random ReLU features of x in R^d.

    W (N, d) has N(0, scale^2) entries, drawn once from ``seed`` at construction and
    reused for every call, so training and test data go through the same map.
    Calling the object on X (n, d) returns the design matrix (n, N).

    These are the hidden units of a two-layer ReLU net whose first layer is frozen;
    fitting the last layer by least squares is the random-features model of double
    descent. There is no bias: for a scalar input, relu(w x) spans only relu(x) and
    relu(-x), so append a constant column (X = [x, 1], d = 2) to get a rich family.
    """

    def __init__(self, d, N, seed, scale=1.0):
        self.d = whole_number(d, "RandomReLUFeatures: d (input dimension)")
        self.N = whole_number(N, "RandomReLUFeatures: N (number of features)")
        self.scale = positive_number(scale, "RandomReLUFeatures: scale")
        rng = generator(seed, "RandomReLUFeatures")
        self.W = self.scale * rng.standard_normal((self.N, self.d))

    def __call__(self, X) -> np.ndarray:
        X = _inputs(X, self.d, "RandomReLUFeatures: X")
        return np.maximum(X @ self.W.T, 0.0) / np.sqrt(self.N)

    def __repr__(self) -> str:
        return f"RandomReLUFeatures(d={self.d}, N={self.N}, scale={self.scale})"


class RandomFourierFeatures:
    """phi(x) = sqrt(2/N) cos(W x / bandwidth + b): N random Fourier features of x in R^d.

    W (N, d) ~ N(0, 1) and b (N,) ~ U[0, 2 pi), drawn once from ``seed`` at construction
    and reused for every call. Calling the object on X (n, d) returns (n, N).
    In expectation over (W, b), phi(x) . phi(x') = exp(-||x - x'||^2 / (2 bandwidth^2)),
    the Gaussian kernel (Rahimi and Recht, 2007).
    """

    def __init__(self, d, N, seed, bandwidth=1.0):
        self.d = whole_number(d, "RandomFourierFeatures: d (input dimension)")
        self.N = whole_number(N, "RandomFourierFeatures: N (number of features)")
        self.bandwidth = positive_number(bandwidth, "RandomFourierFeatures: bandwidth")
        rng = generator(seed, "RandomFourierFeatures")
        self.W = rng.standard_normal((self.N, self.d))
        self.b = rng.uniform(0.0, 2.0 * np.pi, self.N)

    def __call__(self, X) -> np.ndarray:
        X = _inputs(X, self.d, "RandomFourierFeatures: X")
        return np.sqrt(2.0 / self.N) * np.cos(X @ self.W.T / self.bandwidth + self.b)

    def __repr__(self) -> str:
        return f"RandomFourierFeatures(d={self.d}, N={self.N}, bandwidth={self.bandwidth})"
