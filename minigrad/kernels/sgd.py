"""SGD for least squares, one (mini-)batch per step: the whole loop in one compiled call,
beside its numpy twin (used by ``minigrad.optim.sgd_least_squares``)."""

from __future__ import annotations

import numpy as np
from numba import njit


def sgd_least_squares_numpy(A, y, w0, lrs, batches):
    """Mini-batch SGD on L(w) = (1/(2n)) ||A w - y||^2; returns (w (p,), losses (T+1,)).

    A (n, p), y (n,), w0 (p,), lrs (T,), batches (T, b) int64 row indices. Step t:
        losses[t] = L(w);   w <- w - lrs[t] (1/b) sum_{i in batches[t]} (A_i . w - y_i) A_i
    (a repeated index counts twice), and losses[T] = L(w) after the last step.
    """
    n = y.size
    w = np.array(w0, dtype=np.float64)
    T, b = batches.shape
    losses = np.empty(T + 1)
    # A run that diverges overflows to inf/NaN like the numba twin; the caller
    # (optim.sgd_least_squares) detects it and raises, so no warnings here.
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T):
            residual = A @ w - y
            losses[t] = residual @ residual / (2 * n)
            rows = batches[t]
            w = w - lrs[t] * (residual[rows] @ A[rows]) / b
        residual = A @ w - y
        losses[T] = residual @ residual / (2 * n)
    return w, losses


@njit(cache=True, error_model="numpy")
def _half_mean_square_residual(A, y, w, residual):
    """Fill residual = A w - y and return (1/(2n)) ||A w - y||^2 (serial, so its sum order is fixed)."""
    n, p = A.shape
    total = 0.0
    for i in range(n):
        acc = 0.0
        for k in range(p):
            acc += A[i, k] * w[k]
        residual[i] = acc - y[i]
        total += residual[i] * residual[i]
    return total / (2 * n)


@njit(cache=True, error_model="numpy")
def sgd_least_squares_numba(A, y, w0, lrs, batches):
    """Twin of sgd_least_squares_numpy: the same steps as loops, in one compiled call.

    Serial on purpose: one step is O(n p) for the recorded loss plus O(b p) for the
    update, too little work to pay for waking threads T times.
    """
    n, p = A.shape
    T, b = batches.shape
    w = w0.copy()
    residual = np.empty(n)
    step = np.empty(p)
    losses = np.empty(T + 1)
    for t in range(T):
        losses[t] = _half_mean_square_residual(A, y, w, residual)
        step[:] = 0.0
        for q in range(b):
            i = batches[t, q]
            for k in range(p):
                step[k] += residual[i] * A[i, k]
        for k in range(p):
            w[k] -= lrs[t] * step[k] / b
    losses[T] = _half_mean_square_residual(A, y, w, residual)
    return w, losses
