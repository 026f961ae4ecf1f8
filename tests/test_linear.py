"""Least squares and feature maps (minigrad.linear) against numpy's own routines.

References: numpy.linalg.lstsq (an independent LAPACK solver), numpy.polynomial.legendre
(legvander, leggauss) and numpy.vander. Matrices come from a seeded Gaussian generator;
hypothesis draws the shapes and seeds.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.polynomial import legendre as npleg

from minigrad import linear
from strategies import floats, seeds


def gaussian(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def rel(a, b):
    """||a - b|| / ||b||, the relative error of a against the reference b."""
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# ---------------------------------------------------------------------------
# Least squares.
# ---------------------------------------------------------------------------
@given(n=st.integers(1, 12), extra=st.integers(0, 6), seed=seeds())
def test_full_rank_solvers_match_numpy_lstsq(n, extra, seed):
    p = max(1, n - extra)  # n >= p: over- or exactly determined
    A, y = gaussian(seed, n, p), gaussian(seed + 1, n)
    assume(np.linalg.cond(A) < 1e3)  # the normal equations lose cond(A)^2 eps of accuracy
    reference = np.linalg.lstsq(A, y, rcond=None)[0]
    assert rel(linear.lstsq_normal(A, y), reference) < 1e-9
    assert rel(linear.lstsq_min_norm(A, y), reference) < 1e-11


@given(n=st.integers(2, 10), p=st.integers(2, 10), seed=seeds(), data=st.data())
def test_min_norm_on_rank_deficient_matches_numpy_and_has_smallest_norm(n, p, seed, data):
    r = data.draw(st.integers(1, min(n, p) - 1), label="rank")
    A = gaussian(seed, n, r) @ gaussian(seed + 1, r, p)  # rank r < min(n, p)
    y = gaussian(seed + 2, n)
    w = linear.lstsq_min_norm(A, y)
    assert rel(w, np.linalg.lstsq(A, y, rcond=None)[0]) < 1e-9

    # Any null-space vector z of A gives another minimizer w + z, never a shorter one:
    # w has no null-space component, so ||w + z||^2 = ||w||^2 + ||z||^2.
    null_basis = np.linalg.svd(A)[2][r:]  # rows of V^T beyond the rank span ker(A)
    z = null_basis.T @ gaussian(seed + 3, p - r)
    assert np.linalg.norm(A @ z) < 1e-10 * np.linalg.norm(A) * np.linalg.norm(z)
    r_w, r_wz = linear.residuals(A, w, y), linear.residuals(A, w + z, y)
    assert abs(np.linalg.norm(r_wz) - np.linalg.norm(r_w)) <= 1e-9 * max(np.linalg.norm(r_w), np.linalg.norm(y))
    assert np.linalg.norm(w + z) > np.linalg.norm(w)
    pythagoras = np.linalg.norm(w) ** 2 + np.linalg.norm(z) ** 2
    assert abs(np.linalg.norm(w + z) ** 2 - pythagoras) <= 1e-9 * pythagoras


@given(n=st.integers(1, 8), extra=st.integers(1, 6), seed=seeds())
def test_min_norm_interpolates_when_underdetermined(n, extra, seed):
    p = n + extra
    A, y = gaussian(seed, n, p), gaussian(seed + 1, n)
    assume(np.linalg.cond(A) < 1e4)
    w = linear.lstsq_min_norm(A, y)
    assert rel(A @ w, y) < 1e-10  # p > n: an exact fit
    assert rel(w, np.linalg.lstsq(A, y, rcond=None)[0]) < 1e-10
    # w lies in the row space of A: w = A^T alpha for some alpha.
    alpha = np.linalg.solve(A @ A.T, A @ w)
    assert rel(A.T @ alpha, w) < 1e-9
    with pytest.raises(ValueError, match=r"fewer rows than columns.*lstsq_min_norm"):
        linear.lstsq_normal(A, y)


def test_normal_equations_refuse_dependent_columns():
    A = gaussian(0, 6, 2) @ gaussian(1, 2, 3)  # 6 x 3 of rank 2
    with pytest.raises(ValueError, match=r"singular to working precision \(A has shape \(6, 3\).*use lstsq_min_norm"):
        linear.lstsq_normal(A, gaussian(2, 6))
    with pytest.raises(ValueError, match=r"singular"):
        linear.lstsq_normal(np.zeros((4, 2)), np.ones(4))


def test_rcond_drops_small_singular_values_like_numpy():
    U = np.linalg.qr(gaussian(0, 5, 2))[0]
    V = np.linalg.qr(gaussian(1, 3, 3))[0]
    A = U @ np.diag([1.0, 1e-3]) @ V[:, :2].T  # singular values 1 and 1e-3 (and a zero one)
    y = gaussian(2, 5)
    cut = linear.lstsq_min_norm(A, y, rcond=1e-2)
    assert rel(cut, np.linalg.lstsq(A, y, rcond=1e-2)[0]) < 1e-12
    assert rel(cut, V[:, 0] * (U[:, 0] @ y)) < 1e-12  # only the first singular direction is kept
    kept = linear.lstsq_min_norm(A, y)  # default rcond keeps 1e-3
    assert rel(kept, V[:, 0] * (U[:, 0] @ y) + V[:, 1] * (U[:, 1] @ y) / 1e-3) < 1e-10
    assert np.array_equal(linear.lstsq_min_norm(np.zeros((3, 2)), y[:3]), np.zeros(2))


@given(n=st.integers(1, 10), p=st.integers(1, 5), seed=seeds())
def test_residuals_and_per_sample_losses(n, p, seed):
    A, w, y = gaussian(seed, n, p), gaussian(seed + 1, p), gaussian(seed + 2, n)
    r = linear.residuals(A, w, y)
    losses = linear.per_sample_losses(A, w, y)
    for i in range(n):  # one sample at a time, in plain Python
        ri = sum(A[i, k] * w[k] for k in range(p)) - y[i]
        assert abs(r[i] - ri) <= 1e-12 * (1 + abs(ri))
        assert abs(losses[i] - 0.5 * ri * ri) <= 1e-12 * (1 + ri * ri)
    assert abs(losses.mean() - np.sum((A @ w - y) ** 2) / (2 * n)) <= 1e-12 * (1 + losses.mean())


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: linear.lstsq_normal(np.ones(3), np.ones(3)), ValueError, r"matrix of shape \(n, p\).*\(3,\)"),
        (lambda: linear.lstsq_min_norm(np.ones((4, 2)), np.ones(5)), ValueError, r"shape \(4,\).*has shape \(5,\)"),
        (lambda: linear.lstsq_min_norm(np.ones((4, 2)), np.ones((4, 1))), ValueError, r"shape \(4,\).*\(4, 1\)"),
        (lambda: linear.lstsq_normal(np.array([[1.0, np.nan], [0, 1]]), np.ones(2)), ValueError,
         r"A must be finite.*1 NaN"),
        (lambda: linear.lstsq_min_norm(np.eye(2), np.array([1.0, np.inf])), ValueError, r"y must be finite"),
        (lambda: linear.lstsq_min_norm(np.zeros((0, 2)), np.ones(0)), ValueError, r"at least one row.*\(0, 2\)"),
        (lambda: linear.lstsq_min_norm(np.eye(2), np.ones(2), rcond=-1.0), ValueError, r"rcond.*>= 0.*-1"),
        (lambda: linear.lstsq_min_norm(np.eye(2), np.ones(2), rcond="big"), TypeError, r"rcond must be a real"),
        (lambda: linear.lstsq_min_norm(np.array([["a"]]), np.ones(1)), TypeError, r"dtype"),
        (lambda: linear.residuals(np.ones((3, 2)), np.ones(3), np.ones(3)), ValueError,
         r"w must have shape \(2,\).*\(3,\)"),
        (lambda: linear.per_sample_losses(np.ones((3, 2)), np.ones(2), np.ones(2)), ValueError,
         r"y must have shape \(3,\)"),
    ],
)
def test_least_squares_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------------
# Polynomial features.
# ---------------------------------------------------------------------------
unit_interval = st.lists(floats(-1.0, 1.0), min_size=1, max_size=12).map(np.array)


@given(x=unit_interval, d=st.integers(1, 25))
def test_legendre_features_match_legvander(x, d):
    reference = npleg.legvander(x, d - 1)
    np.testing.assert_allclose(linear.legendre_features(x, d), reference, rtol=1e-12, atol=1e-12)
    scaled = reference * np.sqrt(2 * np.arange(d) + 1)
    np.testing.assert_allclose(linear.legendre_features(x, d, normalized=True), scaled, rtol=1e-12, atol=1e-12)
    column = linear.legendre_features(x.reshape(-1, 1), d)
    np.testing.assert_array_equal(column, linear.legendre_features(x, d))


@pytest.mark.parametrize("d", [1, 2, 7, 30])
def test_normalized_legendre_features_are_orthonormal(d):
    # Gauss-Legendre with d nodes integrates polynomials of degree <= 2d - 1 exactly,
    # so (1/2) sum_i w_i phi_j(x_i) phi_k(x_i) is exactly (1/2) int phi_j phi_k dx.
    nodes, weights = npleg.leggauss(d)
    Phi = linear.legendre_features(nodes, d, normalized=True)
    gram = 0.5 * Phi.T @ (weights[:, None] * Phi)
    np.testing.assert_allclose(gram, np.eye(d), atol=1e-12)


@given(x=st.lists(floats(-2.0, 2.0), min_size=1, max_size=12).map(np.array), d=st.integers(1, 14))
def test_monomial_features_match_vander(x, d):
    reference = np.vander(x, d, increasing=True)
    np.testing.assert_allclose(linear.monomial_features(x, d), reference, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("features", [linear.legendre_features, linear.monomial_features])
@pytest.mark.parametrize(
    "x, d, error, match",
    [
        (np.zeros((2, 2)), 3, ValueError, r"shape \(n,\) or \(n, 1\).*\(2, 2\)"),
        (np.array([0.0, np.nan]), 3, ValueError, r"x must be finite.*1 NaN"),
        (np.zeros(3), 0, ValueError, r"d \(the number of features\) must be an int >= 1, but got 0"),
        (np.zeros(3), -2, ValueError, r"int >= 1, but got -2"),
        (np.zeros(3), 2.5, TypeError, r"must be an int.*2\.5"),
        (np.zeros(3), True, TypeError, r"must be an int.*bool"),
    ],
)
def test_polynomial_features_reject_bad_input(features, x, d, error, match):
    with pytest.raises(error, match=match):
        features(x, d)


def test_legendre_features_refuse_x_outside_the_interval():
    with pytest.raises(ValueError, match=r"x must lie in \[-1, 1\].*2 entries are outside, e.g. 1\.5"):
        linear.legendre_features(np.array([0.0, 1.5, -1.0, -3.0]), 4)
    linear.monomial_features(np.array([1.5, -3.0]), 4)  # monomials have no such restriction


# ---------------------------------------------------------------------------
# Random features.
# ---------------------------------------------------------------------------
@given(d=st.integers(1, 4), N=st.integers(1, 30), seed=seeds())
def test_random_relu_features_formula_and_same_map_on_train_and_test(d, N, seed):
    phi = linear.RandomReLUFeatures(d, N, seed=seed, scale=0.5)
    assert phi.W.shape == (N, d)
    np.testing.assert_array_equal(phi.W, 0.5 * np.random.default_rng(seed).standard_normal((N, d)))
    X_train, X_test = gaussian(seed, 5, d), gaussian(seed + 1, 3, d)
    F_train = phi(X_train)
    assert F_train.shape == (5, N)
    np.testing.assert_allclose(F_train, np.maximum(X_train @ phi.W.T, 0) / np.sqrt(N), rtol=1e-15, atol=0)
    # One map, fixed at construction: features of test data come from the same W.
    np.testing.assert_array_equal(phi(np.vstack([X_train, X_test])), np.vstack([F_train, phi(X_test)]))
    np.testing.assert_array_equal(phi(X_train), F_train)
    # relu is positively homogeneous: phi(c x) = c phi(x) for c > 0.
    # (Up to round-off in W x, whose terms can cancel: measure against their size.)
    scale = np.abs(X_train) @ np.abs(phi.W.T) / np.sqrt(N)
    assert np.all(np.abs(phi(3.0 * X_train) - 3.0 * F_train) <= 1e-14 * 3.0 * scale)


@given(d=st.integers(1, 4), N=st.integers(1, 30), seed=seeds())
def test_random_fourier_features_formula_and_same_map_on_train_and_test(d, N, seed):
    phi = linear.RandomFourierFeatures(d, N, seed=seed, bandwidth=0.7)
    assert phi.W.shape == (N, d) and phi.b.shape == (N,)
    assert np.all((phi.b >= 0) & (phi.b < 2 * np.pi))
    X_train, X_test = gaussian(seed, 5, d), gaussian(seed + 1, 3, d)
    F_train = phi(X_train)
    np.testing.assert_allclose(F_train, np.sqrt(2 / N) * np.cos(X_train @ phi.W.T / 0.7 + phi.b), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(phi(np.vstack([X_train, X_test])), np.vstack([F_train, phi(X_test)]))


@pytest.mark.parametrize("cls", [linear.RandomReLUFeatures, linear.RandomFourierFeatures])
def test_random_features_are_reproducible_by_seed(cls):
    X = gaussian(0, 6, 3)
    np.testing.assert_array_equal(cls(3, 20, seed=7)(X), cls(3, 20, seed=7)(X))
    np.testing.assert_array_equal(cls(3, 20, seed=np.random.default_rng(7))(X), cls(3, 20, seed=7)(X))
    assert not np.allclose(cls(3, 20, seed=7)(X), cls(3, 20, seed=8)(X))


@pytest.mark.parametrize("cls", [linear.RandomReLUFeatures, linear.RandomFourierFeatures])
@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((0, 5), {"seed": 0}, ValueError, r"d \(input dimension\) must be an int >= 1, but got 0"),
        ((2, 0), {"seed": 0}, ValueError, r"N \(number of features\) must be an int >= 1, but got 0"),
        ((2, -4), {"seed": 0}, ValueError, r"N \(number of features\).*-4"),
        ((2, 5.0), {"seed": 0}, TypeError, r"N \(number of features\) must be an int"),
        ((2, 5), {"seed": None}, TypeError, r"seed must be an int or a numpy.random.Generator"),
        ((2, 5), {"seed": 1.5}, TypeError, r"seed must be an int"),
    ],
)
def test_random_features_reject_bad_construction(cls, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(*args, **kwargs)


def test_random_features_reject_bad_scale_and_inputs():
    with pytest.raises(ValueError, match=r"scale must be a finite number > 0, but got 0"):
        linear.RandomReLUFeatures(2, 5, seed=0, scale=0.0)
    with pytest.raises(ValueError, match=r"bandwidth must be a finite number > 0, but got -1"):
        linear.RandomFourierFeatures(2, 5, seed=0, bandwidth=-1.0)
    for phi in (linear.RandomReLUFeatures(3, 5, seed=0), linear.RandomFourierFeatures(3, 5, seed=0)):
        with pytest.raises(ValueError, match=r"X must have shape \(n, 3\).*\(4, 2\)"):
            phi(np.zeros((4, 2)))
        with pytest.raises(ValueError, match=r"X must have shape \(n, 3\).*\(3,\)"):
            phi(np.zeros(3))
        with pytest.raises(ValueError, match=r"X must be finite"):
            phi(np.full((2, 3), np.nan))
