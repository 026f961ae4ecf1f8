"""What the lessons measure: top Hessian eigenvalues, the tangent kernel, the linearized model.

* ``power_iteration`` and ``lanczos`` find the largest-magnitude eigenvalue of a
  symmetric p x p operator given only as a function v -> H v (e.g. an exact
  Hessian-vector product ``lambda v: mg.hvp(f, theta, v)``), never forming H.
  ``hessian_spectral_norm`` returns ||H||_2 = |that eigenvalue|.
* ``output_jacobian`` J (n, p), J[j, k] = d f(x_j; theta) / d theta_k, and
  ``tangent_kernel`` K = J J^T (n, n), the neural tangent kernel on the data.
* ``hutchinson_trace`` estimates tr(H) and ``spectral_density`` the whole eigenvalue
  density of H (stochastic Lanczos quadrature), both from matvecs only, as PyHessian does.
* ``Linearization`` is the model's first-order Taylor expansion in theta,
  f_lin(theta) = f(theta0) + J0 (theta - theta0). For wide networks the remainder
  f - f_lin stays small on a whole ball around theta0 ("transition to linearity").

Convergence is judged by the residual: a unit vector u and a number lam with
||H u - lam u|| <= r guarantee an eigenvalue of H within r of lam (H symmetric).
We stop when r <= tol * |lam|.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from .autodiff import jacobian
from .tensor import as_float_array, as_tensor, no_grad
from .validate import generator, positive_number, whole_number

EPS = np.finfo(np.float64).eps

MatVec = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass
class EigResult:
    """An eigenvalue estimate.

    value: the estimate of the largest-magnitude eigenvalue (with its sign).
    vector: (p,) unit vector, the matching eigenvector estimate.
    history: (iterations,) the estimate after each iteration (one matvec each).
    converged: whether the method's residual test (residual <= tol |value|) passed.
    iterations: the number of matvecs used.
    """

    value: float
    vector: np.ndarray
    history: np.ndarray
    converged: bool
    iterations: int


# ---------------------------------------------------------------------------
# Checks.
# ---------------------------------------------------------------------------
def _tolerance(tol, name: str) -> float:
    return positive_number(tol, f"{name}: tol")


def _start(p: int, seed, name: str) -> np.ndarray:
    """A random unit vector in R^p (a random start has a component along every eigenvector)."""
    rng = generator(seed, name)
    v = rng.standard_normal(p)
    return v / np.linalg.norm(v)


def _apply(matvec: MatVec, v: np.ndarray, name: str) -> np.ndarray:
    w = as_float_array(matvec(v.copy()), f"{name}: matvec(v)")
    if w.shape != v.shape:
        raise ValueError(f"{name}: matvec must map a vector of shape {v.shape} to one of the same shape, "
                         f"but it returned shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name}: matvec(v) returned NaN or inf entries")
    return w


# ---------------------------------------------------------------------------
# Eigenvalue solvers.
# ---------------------------------------------------------------------------
def power_iteration(matvec: MatVec, p, *, tol=1e-8, max_iter=1000, seed=0) -> EigResult:
    """Largest-magnitude eigenvalue of a symmetric operator H (p x p) by power iteration.

    v_0 random unit; each iteration w = H v_k, lam_k = v_k . w (the Rayleigh quotient),
    v_{k+1} = w / ||w||. The error shrinks like (|lam_2| / |lam_1|)^k, so it is slow
    when the two largest magnitudes are close, and it does not settle when they are
    equal with opposite signs (use ``lanczos`` then). A negative lam_1 is fine: v
    flips sign every step but the Rayleigh quotient converges.
    Stops when ||H v_k - lam_k v_k|| <= tol |lam_k| or after max_iter matvecs.
    """
    name = "power_iteration"
    p = whole_number(p, f"{name}: p (the dimension)", 1)
    tol = _tolerance(tol, name)
    max_iter = whole_number(max_iter, f"{name}: max_iter", 1)
    v = _start(p, seed, name)
    history = []
    for k in range(1, max_iter + 1):
        w = _apply(matvec, v, name)
        lam = float(v @ w)
        history.append(lam)
        residual = np.linalg.norm(w - lam * v)
        if residual <= tol * abs(lam):
            return EigResult(lam, v, np.array(history), True, k)
        v = w / np.linalg.norm(w)  # w != 0 here, else the residual test would have passed
    return EigResult(lam, v, np.array(history), False, max_iter)


def _lanczos_step(matvec: MatVec, Q: np.ndarray, j: int, betas: list, name: str) -> tuple[float, np.ndarray]:
    """One Lanczos step from the orthonormal rows Q[0..j]: alpha_j = q_j . H q_j and the
    next direction w = H q_j - alpha_j q_j - beta_{j-1} q_{j-1}, re-orthogonalized (twice,
    "twice is enough") against every earlier q because floating point loses orthogonality.
    ||w|| is beta_j; q_{j+1} = w / beta_j.
    """
    w = _apply(matvec, Q[j], name)
    alpha = float(Q[j] @ w)
    w = w - alpha * Q[j]
    if j > 0:
        w = w - betas[-1] * Q[j - 1]
    basis = Q[: j + 1]
    for _ in range(2):
        w = w - basis.T @ (basis @ w)
    return alpha, w


def lanczos(matvec: MatVec, p, *, k=None, tol=1e-10, max_iter=200, seed=0) -> EigResult:
    """Largest-magnitude eigenvalue of a symmetric operator H (p x p) by the Lanczos method.

    Builds an orthonormal basis Q_j = [q_1 .. q_j] of the Krylov space span{q_1, H q_1, ...,
    H^{j-1} q_1} in which H is tridiagonal, T_j = Q_j^T H Q_j (alphas on the diagonal,
    betas beside it):

        w = H q_j - alpha_j q_j - beta_{j-1} q_{j-1},  beta_j = ||w||,  q_{j+1} = w / beta_j.

    In floating point the q's lose orthogonality, so w is re-orthogonalized against
    all previous q's (full reorthogonalization; done twice, "twice is enough").
    The eigenvalues of T_j (Ritz values) approach the extreme eigenvalues of H far
    faster than power iteration; the one of largest magnitude is the estimate. A Ritz
    pair (theta, Q_j s) has residual r = beta_j |s_j| (s_j the last entry of s), and H has
    an eigenvalue within r of theta. We stop when the estimate's residual is <= tol
    |estimate| and the Ritz value at the other end of the spectrum is either settled
    too or clearly smaller in magnitude (|theta_other| + r_other < |estimate|), so an
    end that has not yet arrived cannot hide a larger magnitude.

    k: if given, run exactly k steps (a fixed budget, 1 <= k <= p), stopping early only
    when beta is tiny (the Krylov space is invariant: the Ritz values are exact).
    Otherwise stop when that test passes, beta is tiny, or after
    min(p, max_iter) steps. Cost: one matvec and O(p j) work per step; memory p x steps.
    """
    name = "lanczos"
    p = whole_number(p, f"{name}: p (the dimension)", 1)
    tol = _tolerance(tol, name)
    max_iter = whole_number(max_iter, f"{name}: max_iter", 1)
    if k is None:
        steps, fixed_budget = min(p, max_iter), False
    else:
        steps, fixed_budget = whole_number(k, f"{name}: k (the number of steps)", 1), True
        if steps > p:
            raise ValueError(f"{name}: k must be at most p = {p} (a Krylov space of R^{p} has at most {p} dimensions), "
                             f"but got k = {steps}")
    from scipy.linalg import eigh_tridiagonal  # here, not at the top: keeps import minigrad fast

    Q = np.zeros((steps, p))
    Q[0] = _start(p, seed, name)
    alphas, betas, history = [], [], []
    for j in range(steps):
        alpha, w = _lanczos_step(matvec, Q, j, betas, name)
        alphas.append(alpha)
        beta = float(np.linalg.norm(w))

        # The tridiagonal T_j = tridiag(betas, alphas, betas) has the Ritz values. LAPACK's
        # tridiagonal solver is O(j^2) and calls no threaded BLAS, which matters: a dense
        # eigh on a tiny matrix with a multi-threaded BLAS is 10-100x slower on a busy machine.
        ritz_values, ritz_vectors = eigh_tridiagonal(np.array(alphas), np.array(betas))
        i = int(np.argmax(np.abs(ritz_values)))
        value, s = float(ritz_values[i]), ritz_vectors[:, i]
        history.append(value)
        residuals = beta * np.abs(ritz_vectors[-1])
        # The estimate has settled, and the other end of the spectrum cannot overtake it:
        # an eigenvalue lies within its residual of the other extreme Ritz value.
        other = 0 if i == len(ritz_values) - 1 else len(ritz_values) - 1
        settled = residuals[i] <= tol * abs(value)
        other_smaller = abs(ritz_values[other]) + residuals[other] < abs(value) or residuals[other] <= tol * abs(value)
        invariant = beta <= p * EPS * np.abs(ritz_values).max()  # also true for H = 0
        converged = invariant or (settled and other_smaller)
        if invariant or (converged and not fixed_budget) or j == steps - 1:
            break
        betas.append(beta)
        Q[j + 1] = w / beta
    vector = Q[: j + 1].T @ s
    return EigResult(value, vector / np.linalg.norm(vector), np.array(history), bool(converged), j + 1)


METHODS = ("lanczos", "power")


def hessian_spectral_norm(matvec: MatVec, p, *, method="lanczos", **options) -> float:
    """||H||_2 = |largest-magnitude eigenvalue| of a symmetric H given as v -> H v (p x p).

    method: "lanczos" (default) or "power"; options (tol, max_iter, seed, k) go to it.
    Typical use: ``hessian_spectral_norm(lambda v: net.loss_hvp(theta, X, y, v), p)``.
    Raises ValueError if the method did not converge (call ``lanczos`` or
    ``power_iteration`` directly to get the unconverged estimate and its history).
    """
    if method not in METHODS:
        raise ValueError(f"hessian_spectral_norm: method must be one of {METHODS}, but got {method!r}")
    solver = lanczos if method == "lanczos" else power_iteration
    result = solver(matvec, p, **options)
    if not result.converged:
        raise ValueError(
            f"hessian_spectral_norm: {method} did not converge in {result.iterations} iterations "
            f"(last estimate {result.value:.6g}); raise max_iter, loosen tol, or use method='lanczos'"
        )
    return abs(result.value)


# ---------------------------------------------------------------------------
# The whole spectrum from HVPs: Hutchinson's trace, stochastic Lanczos quadrature.
# ---------------------------------------------------------------------------
def _probes(p: int, samples, seed, name: str):
    """Rademacher probes z (entries +1 or -1, each with probability 1/2), one per sample."""
    samples = whole_number(samples, f"{name}: samples", 2)  # a standard error needs two
    rng = generator(seed, name)
    for _ in range(samples):
        yield rng.integers(0, 2, size=p).astype(np.float64) * 2.0 - 1.0


@dataclasses.dataclass
class TraceEstimate:
    """Hutchinson's estimate of tr(H).

    value: the mean of z^T H z over the probes (unbiased: E[z z^T] = I).
    stderr: the standard error of that mean, std(z^T H z) / sqrt(samples).
    samples: (samples,) the individual z^T H z.
    """

    value: float
    stderr: float
    samples: np.ndarray


def hutchinson_trace(matvec: MatVec, p, *, samples, seed) -> TraceEstimate:
    """tr(H) of a symmetric p x p operator given as v -> H v, from matvecs only.

    For a Rademacher vector z, E[z^T H z] = sum_ij H_ij E[z_i z_j] = sum_i H_ii = tr(H)
    (Hutchinson 1989). The variance of one sample is 2 (||H||_F^2 - sum_i H_ii^2), so a
    diagonal-heavy H is cheap to estimate and the error falls like 1/sqrt(samples).
    Cost: ``samples`` matvecs. PyHessian (Yao et al. 2020) made this standard for networks.
    """
    name = "hutchinson_trace"
    p = whole_number(p, f"{name}: p (the dimension)", 1)
    values = np.array([float(z @ _apply(matvec, z, name)) for z in _probes(p, samples, seed, name)])
    return TraceEstimate(float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size)), values)


@dataclasses.dataclass
class SpectralDensity:
    """The eigenvalue density of H as a weighted set of nodes (stochastic Lanczos quadrature).

    nodes: (samples * k,) Ritz values, k per probe (fewer if a Krylov space closed early).
    weights: (same,) the squared first components of the Ritz vectors, divided by the
    number of probes: they sum to 1, and sum_i weights_i g(nodes_i) estimates
    (1/p) sum_j g(lambda_j) = (1/p) tr g(H), exactly in expectation for polynomials g
    of degree < 2k.
    """

    nodes: np.ndarray
    weights: np.ndarray

    def density(self, grid, width) -> np.ndarray:
        """The density smoothed by Gaussians of standard deviation ``width``, on ``grid`` (g,).

        phi(t) = sum_i weights_i N(t; nodes_i, width^2); it integrates to 1 over the line.
        """
        width = positive_number(width, "SpectralDensity.density: width")
        grid = np.asarray(as_float_array(grid, "SpectralDensity.density: grid"), dtype=np.float64)
        gaps = (grid[..., None] - self.nodes) / width
        return (self.weights * np.exp(-0.5 * gaps**2)).sum(axis=-1) / (width * np.sqrt(2 * np.pi))


def spectral_density(matvec: MatVec, p, *, k, samples, seed) -> SpectralDensity:
    """The eigenvalue density of a symmetric p x p H, from matvecs only (Ghorbani, Krishnan, Xiao 2019).

    For each Rademacher probe z, run k Lanczos steps from q1 = z / sqrt(p): T_k = V diag(theta) V^T.
    Gauss quadrature says q1^T g(H) q1 = sum_i V[0, i]^2 g(theta_i), exactly for polynomials
    g of degree <= 2k - 1; and E[q1^T g(H) q1] = tr g(H) / p. So the nodes theta_i with
    weights V[0, i]^2 / samples are a discrete density whose moments are those of the
    eigenvalues. The extreme nodes converge to the extreme eigenvalues first (as in ``lanczos``).
    Cost: samples * k matvecs; memory k * p.
    """
    name = "spectral_density"
    p = whole_number(p, f"{name}: p (the dimension)", 1)
    k = whole_number(k, f"{name}: k (Lanczos steps per probe)", 1)
    if k > p:
        raise ValueError(f"{name}: k must be at most p = {p} (a Krylov space of R^{p} has at most {p} dimensions), "
                         f"but got k = {k}")
    from scipy.linalg import eigh_tridiagonal  # here, not at the top: keeps import minigrad fast

    nodes, weights = [], []
    probes = list(_probes(p, samples, seed, name))
    for z in probes:
        Q = np.zeros((k, p))
        Q[0] = z / np.sqrt(p)
        alphas, betas = [], []
        for j in range(k):
            alpha, w = _lanczos_step(matvec, Q, j, betas, name)
            alphas.append(alpha)
            beta = float(np.linalg.norm(w))
            scale = max(np.abs(alphas).max(), max(betas, default=0.0))  # ~ ||T_j||, 0 only for H = 0
            if j == k - 1 or beta <= p * EPS * scale:
                break  # the budget is spent, or the Krylov space is invariant (the nodes are exact)
            betas.append(beta)
            Q[j + 1] = w / beta
        theta, V = eigh_tridiagonal(np.array(alphas), np.array(betas))
        nodes.append(theta)
        weights.append(V[0] ** 2 / len(probes))
    return SpectralDensity(np.concatenate(nodes), np.concatenate(weights))


# ---------------------------------------------------------------------------
# Jacobian, tangent kernel, linearization.
# ---------------------------------------------------------------------------
def _parameters(theta, name: str) -> np.ndarray:
    theta = np.array(as_float_array(theta, f"{name}: theta"), dtype=np.float64)
    if theta.ndim != 1:
        raise ValueError(f"{name}: theta must be a flat parameter vector of shape (p,), but has shape {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name}: theta must be finite, but it has NaN or inf entries")
    return theta


def _check_outputs(out: np.ndarray, X, name: str) -> None:
    if out.ndim != 1:
        raise ValueError(f"{name}: model(theta, X) must return one output per sample, shape (n,), "
                         f"but returned shape {out.shape}")
    rows = np.shape(X)[0] if np.ndim(X) > 0 else None
    if rows is not None and out.shape[0] != rows:
        raise ValueError(f"{name}: model(theta, X) returned {out.shape[0]} outputs for X of shape {np.shape(X)}; "
                         f"expected one per row ({rows})")


def output_jacobian(model, theta, X) -> np.ndarray:
    """J (n, p), J[j, k] = d f(x_j; theta) / d theta_k, by the engine (mg.jacobian).

    model(theta_tensor, X) -> Tensor (n,) must be written with minigrad ops (e.g. a
    network's ``apply``); theta: (p,). Cost: one forward pass and n reverse sweeps.
    """
    name = "output_jacobian"
    theta = _parameters(theta, name)

    def f(t):
        out = as_tensor(model(t, X))
        _check_outputs(out.data, X, name)
        return out

    return jacobian(f, theta)


def tangent_kernel(J) -> np.ndarray:
    """The tangent kernel K = J J^T (n, n) from a Jacobian J (n, p).

    K[i, j] = <grad_theta f(x_i), grad_theta f(x_j)>. It is symmetric positive
    semidefinite; we symmetrize so that it is exactly symmetric in floating point.
    """
    J = as_float_array(J, "tangent_kernel: J")
    if J.ndim != 2:
        raise ValueError(f"tangent_kernel: J must be a Jacobian of shape (n, p), but has shape {J.shape}")
    if not np.all(np.isfinite(J)):
        raise ValueError("tangent_kernel: J must be finite, but it has NaN or inf entries")
    K = J @ J.T
    return 0.5 * (K + K.T)


class Linearization:
    """The first-order Taylor model of f in theta around theta0, on fixed inputs X:

        f_lin(theta) = f(theta0) + J0 (theta - theta0),   f0 (n,), J0 (n, p).

    model(theta, X) -> outputs (n,) for an ndarray theta (e.g. ``net.apply``).
    J0: the Jacobian at theta0 (n, p), e.g. ``net.jacobian(theta0, X, backend="numba")``;
    if omitted it is computed by ``output_jacobian``, which needs model to accept a
    Tensor theta too (``net.apply`` does).
    Call it on theta (p,) for f_lin(theta); ``remainder(theta)`` = f(theta) - f_lin(theta),
    which is O(||theta - theta0||^2) (the Hessian of f in theta sets its size).
    """

    def __init__(self, model, theta0, X, J0=None):
        name = "Linearization"
        self.model, self.X = model, X
        self.theta0 = _parameters(theta0, name)
        self.f0 = self._outputs(self.theta0)
        n, p = self.f0.shape[0], self.theta0.shape[0]
        if J0 is None:
            J0 = output_jacobian(model, self.theta0, X)
        J0 = np.array(as_float_array(J0, f"{name}: J0"), dtype=np.float64)
        if J0.shape != (n, p):
            raise ValueError(f"{name}: J0 must have shape (n, p) = ({n}, {p}) (outputs x parameters), "
                             f"but has shape {J0.shape}")
        self.J0 = J0

    def _outputs(self, theta: np.ndarray) -> np.ndarray:
        with no_grad():  # values only: nothing here is differentiated
            out = np.array(as_float_array(self.model(theta.copy(), self.X), "Linearization: model output"))
        _check_outputs(out, self.X, "Linearization")
        return out

    def _check(self, theta) -> np.ndarray:
        theta = _parameters(theta, "Linearization")
        if theta.shape != self.theta0.shape:
            raise ValueError(f"Linearization: theta must have the shape of theta0, {self.theta0.shape}, "
                             f"but has shape {theta.shape}")
        return theta

    def __call__(self, theta) -> np.ndarray:
        """f_lin(theta) = f0 + J0 (theta - theta0), shape (n,)."""
        return self.f0 + self.J0 @ (self._check(theta) - self.theta0)

    def remainder(self, theta) -> np.ndarray:
        """f(theta) - f_lin(theta), shape (n,): what the linear model misses."""
        theta = self._check(theta)
        return self._outputs(theta) - self(theta)
