"""Eigenvalue solvers, Jacobians, tangent kernels and linearizations (minigrad.spectral).

References: numpy.linalg.eigh of the full Hessian from mg.hessian; closed-form Jacobians
of a tiny two-layer tanh net written here with minigrad ops; and Taylor's theorem
(f - f_lin = O(||delta||^2), exactly 0 for a model linear in theta).
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import spectral
from strategies import seeds


def gaussian(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def largest_magnitude(eigenvalues):
    return eigenvalues[np.argmax(np.abs(eigenvalues))]


# ---------------------------------------------------------------------------
# Small test functions with non-trivial Hessians of either sign.
# ---------------------------------------------------------------------------
def tanh_sum(seed, p, k):
    """f(x) = sum_j c_j tanh(b_j . x + a_j) + 1/2 sum_i d_i x_i^2, and a point x0."""
    B, a, c = gaussian(seed, k, p), gaussian(seed + 1, k), 3 * gaussian(seed + 2, k)
    d = 2 * gaussian(seed + 3, p)

    def f(x):
        return (c * mg.tanh(mg.matmul(B, x) + a)).sum() + 0.5 * (d * x * x).sum()

    return f, 0.5 * gaussian(seed + 4, p)


@given(p=st.integers(2, 6), k=st.integers(1, 4), seed=seeds())
def test_power_iteration_matches_eigh_of_the_hessian(p, k, seed):
    f, x0 = tanh_sum(seed, p, k)
    H = mg.hessian(f, x0)
    eigenvalues = np.linalg.eigvalsh(H)
    magnitudes = np.sort(np.abs(eigenvalues))
    lam = largest_magnitude(eigenvalues)
    # Power iteration needs a gap between the two largest magnitudes.
    assume(magnitudes[-2] <= 0.7 * magnitudes[-1])
    result = spectral.power_iteration(lambda v: mg.hvp(f, x0, v), p, seed=seed)
    assert result.converged and result.iterations == len(result.history) <= 1000
    assert abs(result.value - lam) <= 1e-8 * abs(lam)
    assert np.linalg.norm(H @ result.vector - lam * result.vector) <= 1e-6 * abs(lam)
    assert abs(np.linalg.norm(result.vector) - 1) < 1e-12


@given(p=st.integers(2, 6), k=st.integers(1, 4), seed=seeds())
def test_lanczos_matches_eigh_of_the_hessian(p, k, seed):
    f, x0 = tanh_sum(seed, p, k)
    H = mg.hessian(f, x0)
    eigenvalues = np.linalg.eigvalsh(H)
    lam = largest_magnitude(eigenvalues)
    result = spectral.lanczos(lambda v: mg.hvp(f, x0, v), p, seed=seed)
    assert result.converged and result.iterations <= p
    assert abs(abs(result.value) - abs(lam)) <= 1e-9 * abs(lam)
    if abs(abs(eigenvalues[0]) - abs(eigenvalues[-1])) > 1e-6 * abs(lam):  # the sign is well defined
        assert abs(result.value - lam) <= 1e-9 * abs(lam)
        assert np.linalg.norm(H @ result.vector - lam * result.vector) <= 1e-7 * abs(lam)
    assert spectral.hessian_spectral_norm(lambda v: mg.hvp(f, x0, v), p) == pytest.approx(abs(lam), rel=1e-9)


@pytest.mark.parametrize("method", ["power", "lanczos"])
def test_a_negative_largest_magnitude_eigenvalue_keeps_its_sign(method):
    # f = -2 x0^2 + 0.5 x1^2 + 0.3 x2^2 + a coupling: the Hessian's largest |eigenvalue| is ~ -4.
    def f(x):
        return (-2.0 * x[0] * x[0] + 0.5 * x[1] * x[1] + 0.3 * x[2] * x[2]
                + 0.2 * mg.tanh(x[0] * x[1] + x[2]))

    x0 = np.array([0.3, -0.2, 0.1])
    eigenvalues = np.linalg.eigvalsh(mg.hessian(f, x0))
    lam = largest_magnitude(eigenvalues)
    assert lam < -3.5
    matvec = lambda v: mg.hvp(f, x0, v)  # noqa: E731
    solver = spectral.power_iteration if method == "power" else spectral.lanczos
    result = solver(matvec, 3, seed=1)
    assert result.converged and abs(result.value - lam) <= 1e-9 * abs(lam)
    assert spectral.hessian_spectral_norm(matvec, 3, method=method) == pytest.approx(-lam, rel=1e-9)


def operator_with_spectrum(eigenvalues, seed):
    Q = np.linalg.qr(gaussian(seed, len(eigenvalues), len(eigenvalues)))[0]
    H = Q @ np.diag(eigenvalues) @ Q.T
    return H, (lambda v: H @ v)


def test_lanczos_finds_the_top_of_a_large_spectrum_in_few_steps():
    # 99 eigenvalues spread in [-1, 1] and a top one at 3: both need far fewer than p
    # steps. Power iteration's residual shrinks like (1/3)^k, so reaching 1e-8 takes
    # ~ log(1e-8) / log(1/3) ~ 17 steps (plus the start's constant); Lanczos is faster still.
    spectrum = np.concatenate([np.linspace(-1.0, 1.0, 99), [3.0]])
    H, matvec = operator_with_spectrum(spectrum, 0)
    lanczos = spectral.lanczos(matvec, 100, seed=0)
    power = spectral.power_iteration(matvec, 100, seed=0)
    for result in (lanczos, power):
        assert result.converged and abs(result.value - 3.0) <= 1e-9 * 3
        assert abs(abs(result.vector @ np.linalg.eigh(H)[1][:, -1]) - 1) < 1e-8
    assert lanczos.iterations < power.iterations and 15 <= power.iterations <= 25
    assert len(lanczos.history) == lanczos.iterations and abs(lanczos.history[-1] - lanczos.value) == 0
    # The estimates approach 3 from below (Ritz values lie inside the spectrum).
    assert np.all(lanczos.history <= 3 + 1e-12) and abs(lanczos.history[0]) < abs(lanczos.history[-1])


def test_lanczos_with_equal_magnitudes_of_opposite_sign_still_gives_the_norm():
    H, matvec = operator_with_spectrum([-2.0, 2.0, 0.5, -0.3, 1.0], 1)
    result = spectral.lanczos(matvec, 5, seed=3)
    assert result.converged and abs(abs(result.value) - 2.0) <= 1e-9 * 2
    assert spectral.hessian_spectral_norm(matvec, 5) == pytest.approx(2.0, rel=1e-9)
    # Power iteration cannot settle between +2 and -2: it reports that it did not converge.
    power = spectral.power_iteration(matvec, 5, seed=3, max_iter=200)
    assert not power.converged and power.iterations == 200 == len(power.history)
    with pytest.raises(ValueError, match=r"power did not converge in 200 iterations.*method='lanczos'"):
        spectral.hessian_spectral_norm(matvec, 5, method="power", max_iter=200)


def test_lanczos_stops_on_an_invariant_krylov_space():
    u, w = np.linalg.qr(gaussian(2, 10, 2))[0].T
    H = 3 * np.outer(u, u) - np.outer(w, w)  # rank 2: the Krylov space has dimension <= 3
    result = spectral.lanczos(lambda v: H @ v, 10, seed=0)
    assert result.converged and result.iterations <= 3 and abs(result.value - 3) <= 1e-12 * 3
    identity = spectral.lanczos(lambda v: v, 7, seed=0)
    assert identity.converged and identity.iterations == 1 and identity.value == pytest.approx(1.0, abs=1e-15)
    zero = spectral.lanczos(lambda v: 0 * v, 4, seed=0)
    assert zero.converged and zero.value == 0.0 and zero.iterations == 1


def test_lanczos_with_a_fixed_budget_runs_exactly_k_steps():
    H, matvec = operator_with_spectrum(np.linspace(0.1, 1.0, 12), 4)
    calls = []
    result = spectral.lanczos(lambda v: (calls.append(1), H @ v)[1], 12, k=5, seed=0)
    assert result.iterations == 5 == len(calls) == len(result.history)
    full = spectral.lanczos(matvec, 12, k=12, seed=0)
    assert full.converged and abs(full.value - 1.0) <= 1e-12  # the whole space: exact
    early = spectral.lanczos(matvec, 12, k=2, seed=0, tol=1e-10)
    assert not early.converged and early.value < 1.0


def test_power_iteration_reports_non_convergence_within_its_budget():
    H, matvec = operator_with_spectrum([1.0, 0.99, 0.5], 5)
    result = spectral.power_iteration(matvec, 3, max_iter=20, seed=0)
    assert not result.converged and result.iterations == 20 == len(result.history)
    assert 0.99 < result.value < 1.0  # a Rayleigh quotient: inside the spectrum, not yet at the top
    with pytest.raises(ValueError, match=r"did not converge in 20 iterations \(last estimate"):
        spectral.hessian_spectral_norm(matvec, 3, method="power", max_iter=20)


@pytest.mark.parametrize("solver", [spectral.power_iteration, spectral.lanczos])
@pytest.mark.parametrize(
    "matvec, p, kwargs, error, match",
    [
        (lambda v: np.ones(3), 4, {}, ValueError, r"a vector of shape \(4,\) to one of the same shape.*\(3,\)"),
        (lambda v: v * np.nan, 4, {}, ValueError, r"matvec\(v\) returned NaN or inf"),
        (lambda v: v, 0, {}, ValueError, r"p \(the dimension\) must be an int >= 1, but got 0"),
        (lambda v: v, 3.0, {}, TypeError, r"p \(the dimension\) must be an int"),
        (lambda v: v, 4, {"tol": 0.0}, ValueError, r"tol must be a finite number > 0, but got 0"),
        (lambda v: v, 4, {"max_iter": 0}, ValueError, r"max_iter must be an int >= 1, but got 0"),
        (lambda v: v, 4, {"seed": None}, TypeError, r"seed must be an int or a numpy.random.Generator"),
    ],
)
def test_eigen_solvers_reject_bad_input(solver, matvec, p, kwargs, error, match):
    with pytest.raises(error, match=match):
        solver(matvec, p, **kwargs)


def test_lanczos_and_spectral_norm_reject_bad_options():
    with pytest.raises(ValueError, match=r"k must be at most p = 3.*k = 4"):
        spectral.lanczos(lambda v: v, 3, k=4)
    with pytest.raises(ValueError, match=r"k \(the number of steps\) must be an int >= 1, but got 0"):
        spectral.lanczos(lambda v: v, 3, k=0)
    with pytest.raises(ValueError, match=r"method must be one of \('lanczos', 'power'\), but got 'qr'"):
        spectral.hessian_spectral_norm(lambda v: v, 3, method="qr")


# ---------------------------------------------------------------------------
# A tiny two-layer tanh net, f(x) = v . tanh(W x) / sqrt(m), theta = [W.ravel(), v].
# ---------------------------------------------------------------------------
def tiny_net(d, m):
    def model(theta, X):
        W = theta[: m * d].reshape(m, d)
        v = theta[m * d:]
        return mg.matmul(mg.tanh(mg.matmul(X, W.T)), v) / np.sqrt(m)

    def jacobian(theta, X):
        """Closed form: df/dW_ik = v_i tanh'(w_i . x) x_k / sqrt(m), df/dv_i = tanh(w_i . x) / sqrt(m)."""
        W, v = theta[: m * d].reshape(m, d), theta[m * d:]
        h = np.tanh(X @ W.T)  # (n, m)
        dW = (v * (1 - h * h))[:, :, None] * X[:, None, :]  # (n, m, d)
        return np.hstack([dW.reshape(len(X), m * d), h]) / np.sqrt(m)

    return model, jacobian


@given(n=st.integers(1, 5), d=st.integers(1, 3), m=st.integers(1, 5), seed=seeds())
def test_output_jacobian_and_tangent_kernel(n, d, m, seed):
    model, closed_form = tiny_net(d, m)
    theta, X = gaussian(seed, m * d + m), gaussian(seed + 1, n, d)
    J = spectral.output_jacobian(model, theta, X)
    np.testing.assert_allclose(J, closed_form(theta, X), rtol=1e-12, atol=1e-14)

    K = spectral.tangent_kernel(J)
    assert K.shape == (n, n) and np.array_equal(K, K.T)
    np.testing.assert_allclose(K, J @ J.T, rtol=1e-14, atol=1e-15 * np.abs(K).max())
    assert np.linalg.eigvalsh(K).min() >= -1e-12 * max(1.0, np.abs(K).max())  # PSD up to round-off
    # Entry by entry, K[i, j] = <grad_theta f(x_i), grad_theta f(x_j)>, gradients from mg.grad.
    grads = [mg.grad(lambda t, i=i: model(t, X[i:i + 1]).sum())(theta) for i in range(n)]
    np.testing.assert_allclose(K, np.array([[gi @ gj for gj in grads] for gi in grads]),
                               rtol=1e-12, atol=1e-14 * max(1.0, np.abs(K).max()))


def test_linearization_is_exact_for_a_model_linear_in_theta():
    X = gaussian(0, 6, 3)
    features = np.hstack([np.sin(X), X ** 2])  # (6, 6): nonlinear in x, linear in theta

    def model(theta, X):
        return mg.matmul(features, theta) + np.cos(X[:, 0])

    theta0 = gaussian(1, 6)
    lin = spectral.Linearization(model, theta0, X)
    np.testing.assert_allclose(lin.J0, features, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(lin.f0, features @ theta0 + np.cos(X[:, 0]), rtol=1e-14)
    np.testing.assert_array_equal(lin(theta0), lin.f0)
    theta = theta0 + 10 * gaussian(2, 6)  # far away: still exact
    scale = np.abs(features) @ np.abs(theta) + 1
    assert np.all(np.abs(lin.remainder(theta)) <= 1e-13 * scale)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_linearization_remainder_is_second_order(seed):
    d, m, n = 2, 4, 5
    model, closed_form = tiny_net(d, m)
    theta0, X = gaussian(seed, m * d + m), gaussian(seed + 1, n, d)
    u = gaussian(seed + 2, m * d + m)
    u /= np.linalg.norm(u)
    lin = spectral.Linearization(model, theta0, X)
    given_J0 = spectral.Linearization(model, theta0, X, J0=closed_form(theta0, X))
    np.testing.assert_allclose(lin.J0, given_J0.J0, rtol=1e-12, atol=1e-14)

    # Taylor: R(h u) = (h^2 / 2) [u^T Hess f_j u]_j + O(h^3), Hess f_j from mg.hvp.
    curvature = np.array([u @ mg.hvp(lambda t, j=j: model(t, X[j:j + 1]).sum(), theta0, u) for j in range(n)])
    assert np.linalg.norm(curvature) > 1e-3  # a direction in which f really bends
    for h in (0.1, 0.05):
        ratio = np.linalg.norm(lin.remainder(theta0 + h * u)) / np.linalg.norm(lin.remainder(theta0 + h / 2 * u))
        assert 3.5 < ratio < 4.5  # halving delta quarters the remainder
    for h in (1e-2, 1e-3):
        predicted = 0.5 * h * h * curvature
        error = np.linalg.norm(given_J0.remainder(theta0 + h * u) - predicted)
        assert error <= 50 * h * np.linalg.norm(predicted)  # the O(h^3) term, relative to O(h^2)


def test_linearization_accepts_models_returning_arrays():
    A = gaussian(3, 4, 2)

    def model(theta, X):  # plain numpy, as net.apply does for an ndarray theta
        return np.tanh(X @ A @ theta)

    X, theta0 = gaussian(4, 3, 4), gaussian(5, 2)
    h = np.tanh(X @ A @ theta0)
    J0 = (1 - h * h)[:, None] * (X @ A)
    lin = spectral.Linearization(model, theta0, X, J0=J0)
    delta = 1e-3 * gaussian(6, 2)
    np.testing.assert_allclose(lin(theta0 + delta), h + J0 @ delta, rtol=1e-15)
    assert np.linalg.norm(lin.remainder(theta0 + delta)) < 1e-5


def test_jacobian_kernel_and_linearization_reject_bad_input():
    model, _ = tiny_net(2, 3)
    theta, X = gaussian(0, 9), gaussian(1, 4, 2)
    with pytest.raises(ValueError, match=r"theta must be a flat parameter vector of shape \(p,\).*\(3, 3\)"):
        spectral.output_jacobian(model, theta.reshape(3, 3), X)
    with pytest.raises(ValueError, match=r"one output per sample, shape \(n,\).*\(4, 1\)"):
        spectral.output_jacobian(lambda t, X: model(t, X).reshape(4, 1), theta, X)
    with pytest.raises(ValueError, match=r"returned 3 outputs for X of shape \(4, 2\); expected one per row \(4\)"):
        spectral.output_jacobian(lambda t, X: model(t, X)[:3], theta, X)
    with pytest.raises(ValueError, match=r"J must be a Jacobian of shape \(n, p\).*\(5,\)"):
        spectral.tangent_kernel(np.ones(5))
    with pytest.raises(ValueError, match=r"J must be finite"):
        spectral.tangent_kernel(np.full((2, 2), np.inf))
    with pytest.raises(ValueError, match=r"J0 must have shape \(n, p\) = \(4, 9\).*\(4, 8\)"):
        spectral.Linearization(model, theta, X, J0=np.ones((4, 8)))
    lin = spectral.Linearization(model, theta, X)
    with pytest.raises(ValueError, match=r"theta must have the shape of theta0, \(9,\), but has shape \(8,\)"):
        lin(np.ones(8))
    with pytest.raises(ValueError, match=r"theta must be finite"):
        lin.remainder(np.full(9, np.nan))


# ---------------------------------------------------------------------------
# Hutchinson's trace and stochastic Lanczos quadrature, against eigh.
# ---------------------------------------------------------------------------
def symmetric(seed, p, spread=1.0):
    """A random symmetric p x p matrix with eigenvalues of either sign, and its eigenvalues."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    eigenvalues = spread * rng.standard_normal(p)
    return (Q * eigenvalues) @ Q.T, np.sort(eigenvalues)


@given(p=st.integers(2, 40), seed=seeds())
def test_hutchinson_trace_is_within_a_few_standard_errors(p, seed):
    H, eigenvalues = symmetric(seed, p)
    estimate = spectral.hutchinson_trace(lambda v: H @ v, p, samples=60, seed=seed)
    assert estimate.samples.shape == (60,)
    assert estimate.value == pytest.approx(estimate.samples.mean())
    # 5 standard errors: a false alarm about once in 10^6 draws; a floor for diagonal H (stderr ~ 0)
    assert abs(estimate.value - eigenvalues.sum()) <= 5 * estimate.stderr + 1e-10 * (1 + np.abs(eigenvalues).sum())


def test_hutchinson_trace_is_exact_for_a_diagonal_matrix():
    d = np.arange(1.0, 8.0)
    estimate = spectral.hutchinson_trace(lambda v: d * v, 7, samples=3, seed=0)  # z_i^2 = 1: no variance
    assert estimate.value == pytest.approx(d.sum(), rel=1e-14) and estimate.stderr == pytest.approx(0, abs=1e-12)


@given(p=st.integers(3, 40), k=st.integers(1, 12), seed=seeds())
def test_spectral_density_has_unit_mass_and_the_probes_exact_moments(p, k, seed):
    assume(k <= p)
    H, eigenvalues = symmetric(seed, p)
    density = spectral.spectral_density(lambda v: H @ v, p, k=k, samples=4, seed=seed)
    assert density.nodes.shape == density.weights.shape and np.all(density.weights >= 0)
    assert density.weights.sum() == pytest.approx(1.0, abs=1e-12)
    # Gauss quadrature with k nodes is exact for degree <= 2k - 1: per probe, the first moment
    # is z^T H z / p (Hutchinson on the same probes) and, for k >= 2, the second ||H z||^2 / p.
    trace = spectral.hutchinson_trace(lambda v: H @ v, p, samples=4, seed=seed)
    first = density.weights @ density.nodes
    assert first == pytest.approx(trace.value / p, abs=1e-10 * (1 + np.abs(eigenvalues).max()))
    probes = [z for z in spectral._probes(p, 4, seed, "test")]
    if k >= 2:
        second = np.mean([np.sum((H @ z) ** 2) / p for z in probes])
        assert density.weights @ density.nodes**2 == pytest.approx(second, rel=1e-10)
    # every node lies inside the spectrum (Ritz values interlace)
    assert eigenvalues[0] - 1e-10 <= density.nodes.min() and density.nodes.max() <= eigenvalues[-1] + 1e-10


def test_spectral_density_matches_eigh_in_moments_and_extremes():
    p = 200
    H, eigenvalues = symmetric(5, p, spread=3.0)
    density = spectral.spectral_density(lambda v: H @ v, p, k=40, samples=30, seed=1)
    # moments of the eigenvalue distribution: within a few standard errors of a 30-probe mean
    for power in (1, 2):
        exact = np.mean(eigenvalues**power)
        assert density.weights @ density.nodes**power == pytest.approx(exact, rel=0.1, abs=0.1)
    # the extreme nodes are the extreme eigenvalues once k is large enough
    assert density.nodes.min() == pytest.approx(eigenvalues[0], rel=1e-6)
    assert density.nodes.max() == pytest.approx(eigenvalues[-1], rel=1e-6)
    # the smoothed density integrates to 1 and puts its mass where the eigenvalues are
    grid = np.linspace(eigenvalues[0] - 5, eigenvalues[-1] + 5, 4001)
    phi = density.density(grid, width=0.5)
    assert np.trapezoid(phi, grid) == pytest.approx(1.0, abs=1e-6)
    exact_phi = np.mean(np.exp(-0.5 * ((grid[:, None] - eigenvalues) / 0.5) ** 2), axis=1) / (0.5 * np.sqrt(2 * np.pi))
    assert np.trapezoid(np.abs(phi - exact_phi), grid) < 0.25  # L1 distance of two densities (at most 2)


def test_spectral_density_with_k_equal_p_finds_every_eigenvalue():
    H, eigenvalues = symmetric(2, 30)
    density = spectral.spectral_density(lambda v: H @ v, 30, k=30, samples=2, seed=0)
    for node_set in (density.nodes[:30], density.nodes[30:]):
        np.testing.assert_allclose(np.sort(node_set), eigenvalues, atol=1e-10)


def test_spectral_density_of_the_zero_matrix_and_a_multiple_of_the_identity():
    zero = spectral.spectral_density(lambda v: 0 * v, 5, k=3, samples=2, seed=0)
    assert np.all(zero.nodes == 0) and zero.weights.sum() == pytest.approx(1.0)
    scaled = spectral.spectral_density(lambda v: 1e-12 * v, 5, k=3, samples=2, seed=0)
    np.testing.assert_allclose(scaled.nodes, 1e-12, rtol=1e-12)  # a tiny scale is not mistaken for zero


@pytest.mark.parametrize("call, error, match", [
    (lambda: spectral.hutchinson_trace(lambda v: v, 0, samples=3, seed=0), ValueError, "p"),
    (lambda: spectral.hutchinson_trace(lambda v: v, 3, samples=1, seed=0), ValueError, "samples"),
    (lambda: spectral.hutchinson_trace(lambda v: v, 3, samples=3, seed=None), TypeError, "seed"),
    (lambda: spectral.hutchinson_trace(lambda v: v[:2], 3, samples=3, seed=0), ValueError, "shape"),
    (lambda: spectral.hutchinson_trace(lambda v: v * np.nan, 3, samples=3, seed=0), ValueError, "NaN"),
    (lambda: spectral.spectral_density(lambda v: v, 3, k=4, samples=3, seed=0), ValueError, "at most p"),
    (lambda: spectral.spectral_density(lambda v: v, 3, k=0, samples=3, seed=0), ValueError, "k"),
    (lambda: spectral.spectral_density(lambda v: v, 3, k=2, samples=1, seed=0), ValueError, "samples"),
    (lambda: spectral.spectral_density(lambda v: np.ones(4), 3, k=2, samples=2, seed=0), ValueError, "shape"),
    (lambda: spectral.spectral_density(lambda v: v * np.inf, 3, k=2, samples=2, seed=0), ValueError, "NaN"),
    (lambda: spectral.spectral_density(lambda v: v, 3, k=2, samples=2, seed=0).density([0.0], 0.0),
     ValueError, "width"),
])
def test_trace_and_density_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_lanczos_with_a_long_fixed_budget_stays_orthonormal_and_finds_every_eigenvalue():
    # k = p = 160 steps: without re-orthogonalization the basis loses orthogonality after a few
    # dozen steps and ghost copies of the extreme eigenvalues appear.
    p = 160
    H, eigenvalues = symmetric(11, p, spread=2.0)
    Q = np.zeros((p, p))
    Q[0] = np.random.default_rng(0).standard_normal(p)
    Q[0] /= np.linalg.norm(Q[0])
    alphas, betas = [], []
    for j in range(p):
        alpha, w = spectral._lanczos_step(lambda v: H @ v, Q, j, betas, "test")
        alphas.append(alpha)
        if j < p - 1:
            betas.append(float(np.linalg.norm(w)))
            Q[j + 1] = w / betas[-1]
    assert np.abs(Q @ Q.T - np.eye(p)).max() < 1e-8
    from scipy.linalg import eigh_tridiagonal
    np.testing.assert_allclose(eigh_tridiagonal(np.array(alphas), np.array(betas))[0], eigenvalues, atol=1e-8)
    result = spectral.lanczos(lambda v: H @ v, p, k=p, seed=0)
    assert result.iterations <= p and result.value == pytest.approx(largest_magnitude(eigenvalues), rel=1e-10)
