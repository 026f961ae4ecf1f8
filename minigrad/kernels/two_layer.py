"""The two-layer net's loss, gradient, HVP, output derivatives and Jacobian: numpy twins,
a chunked numpy reference, and the numba kernels.

    f(x) = (1/sqrt m) sum_i v_i sigma(w_i . x),   theta = [W.ravel() (m*d), v (m)],  p = m (d + 1),
    L(theta) = (1/(2n)) sum_j (f(x_j) - y_j)^2,   X (n, d), y (n,), vec = [U.ravel(), u] (p,).

Three families with the same signatures and the same numbers (tests/test_kernels.py):

    NAME_numpy          a few array expressions that state the math: the reference. They
                        hold n x m arrays (Z = X W^T and sigma of it), ~9 of them for the HVP.
    NAME_chunked_numpy  the same formulas applied to CHUNK_NEURONS neurons at a time, so
                        memory is O(p + n * chunk); the reference of the benchmark at
                        m = 10^6, where the plain twin would need ~16 GB.
    NAME_numba          compiled loops that stream over neurons: O(p + n * (CHUNKS + threads))
                        memory and no n x m array (see "Why two passes" below).

Why two passes. The loss needs f(x_j) = sum over ALL neurons before any residual
r_j = f(x_j) - y_j is known, and every neuron's rows of the gradient and HVP need r. So
pass 1 runs over the neurons and accumulates f (and its tangent df, for an HVP); then
the residuals; then pass 2 runs over the neurons again and writes each neuron's own
rows of the result. Each pass recomputes z_ji = w_i . x_j and sigma(z_ji); storing
sigma(Z) between the passes would be an n x m array (200 MB at n = 256, m = 10^5;
measured on one core: 6 % faster at m = 10^4, 60 % slower at m = 10^5).

Work per (sample, neuron) pair, for tanh, counted in the numba kernels' source: every
+, -, *, / counts as one flop (so a fused multiply-add is two); abs, comparisons,
floor, copysign and integer operations count zero. One ``_tanh_scalar`` is 54 flops
(1 for 2|z|, 2 for k, 4 for r, 22 for the Horner polynomial, 3 for expm1(r), 17 for the
power of two, 3 for u, 2 for -u / (2 + u)). Then (see FLOPS_PER_PAIR):

    loss   pass 1:  z (2d), tanh (54), f += v t (2)                              2d + 56
    grad   pass 1 as the loss, then pass 2: z (2d), tanh (54), sum w t (2),
           w (1 - t^2) (3), the d-vector sum_j (.) x_j (2d)                      6d + 115
    HVP    pass 1: z, dz (4d), tanh (54), f (2), df (7); pass 2: z, dz (4d),
           tanh (54), t' and t'' (4), the two terms (12), their sum (1), the
           d-vector (2d)                                                        10d + 134

so at d = 10: 76, 175 and 234 flops per pair (the O(n) residuals and O(p) scalings
are left out). ``benchmarks/two_layer.py`` divides n m times these by the measured
times to print GFLOP/s and the fraction of the machine's peak.

Threads. The neurons are cut into CHUNKS fixed chunks whatever the number of threads;
chunk c's partial sums of pass 1 go to row c of a (CHUNKS, n) array, added in order
afterwards, so the result has the same bits with 1 thread or with 64. The kernels are
serial numba functions that release the GIL (``nogil=True``); ``_run_chunks`` hands
contiguous ranges of chunks to ``numba.get_num_threads()`` Python threads (one of them
the caller's). That replaced ``parallel=True``/``prange``: the same loops, the same
speed, but numba's parallel compiler took ~3x longer to compile them (measured
first-ever compile, loss + gradient + HVP: 11.4 s with prange, 4.1 s serial, busy
2-core machine), and an OpenMP pool spins between calls where Python threads sleep.

Memory. Every array a numba kernel touches (scratch rows, partial sums, the result,
X^T) is allocated by numpy in the Python wrappers below and passed in; the compiled
code allocates nothing. So ``tracemalloc`` (which numpy reports its allocations to)
measures the whole peak of the numba backend too; the benchmark relies on that.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

from .activations import _FAST, TANH, _act_into, _tanh_scalar, act_derivatives_numpy

# Neurons per chunk of the chunked numpy reference: (n, chunk) arrays of 8 MB at n = 256.
CHUNK_NEURONS = 4096

# Flops per (sample, neuron) pair of the numba kernels, tanh, as functions of d (counted
# in the module docstring). Used by the benchmark for GFLOP/s; a test holds the count of
# the tanh helper against its source.
TANH_FLOPS = 54
FLOPS_PER_PAIR = {
    "loss": lambda d: 2 * d + 56,
    "grad": lambda d: 6 * d + 115,
    "hvp": lambda d: 10 * d + 134,
}


# ---------------------------------------------------------------------------
# Two-layer net: numpy twins. Z = X W^T (n, m), S, S1, S2 = sigma, sigma', sigma'' of Z.
# ---------------------------------------------------------------------------
def _two_layer_split(theta, d):
    """W (m, d), v (m,) as views into theta of size m (d + 1)."""
    m = theta.size // (d + 1)
    return theta[: m * d].reshape(m, d), theta[m * d:]


def two_layer_outputs_numpy(theta, X, code):
    """f(x_j) for every row: f = sigma(X W^T) v / sqrt m, shape (n,)."""
    W, v = _two_layer_split(theta, X.shape[1])
    S = act_derivatives_numpy(X @ W.T, code)[0]
    return S @ v / np.sqrt(v.size)


def two_layer_loss_numpy(theta, X, y, code):
    """L = (1/(2n)) sum_j (f(x_j) - y_j)^2, a float."""
    r = two_layer_outputs_numpy(theta, X, code) - y
    return float(r @ r) / (2 * y.size)


def two_layer_loss_grad_numpy(theta, X, y, code):
    """grad L (p,). With w = r / n:  dL/dv = S^T w / sqrt m,  dL/dW = diag(v) S1^T diag(w) X / sqrt m."""
    n, d = X.shape
    W, v = _two_layer_split(theta, d)
    S, S1, _ = act_derivatives_numpy(X @ W.T, code)
    sq = np.sqrt(v.size)
    w = (S @ v / sq - y) / n
    grad_W = ((S1 * w[:, None]) * v).T @ X / sq
    return np.concatenate([grad_W.ravel(), S.T @ w / sq])


def two_layer_loss_hvp_numpy(theta, X, y, vec, code):
    """Exact H v (p,) for the loss; vec = [U.ravel(), u] is split like theta.

    Forward tangent: dZ = X U^T, df = (S u + (S1 * dZ) v) / sqrt m. With a = df / n
    (Gauss-Newton weights) and b = r / n (residual weights), summing over samples j:
        (Hv)_v = (S^T a + (S1 * dZ)^T b) / sqrt m
        (Hv)_W = C^T X / sqrt m,  C = S1 * (a v^T + b u^T) + S2 * dZ * (b v^T)
    """
    n, d = X.shape
    W, v = _two_layer_split(theta, d)
    U, u = _two_layer_split(vec, d)
    Z, dZ = X @ W.T, X @ U.T
    S, S1, S2 = act_derivatives_numpy(Z, code)
    sq = np.sqrt(v.size)
    a = (S @ u + (S1 * dZ) @ v) / sq / n
    b = (S @ v / sq - y) / n
    hv_v = (S.T @ a + (S1 * dZ).T @ b) / sq
    C = S1 * (np.outer(a, v) + np.outer(b, u)) + S2 * dZ * np.outer(b, v)
    return np.concatenate([(C.T @ X / sq).ravel(), hv_v])


def two_layer_output_grad_numpy(theta, x, code):
    """grad_theta f(x) (p,):  df/dw_i = v_i sigma'(w_i . x) x / sqrt m,  df/dv_i = sigma(w_i . x) / sqrt m."""
    W, v = _two_layer_split(theta, x.size)
    s, s1, _ = act_derivatives_numpy(W @ x, code)
    sq = np.sqrt(v.size)
    return np.concatenate([np.outer(v * s1, x).ravel() / sq, s / sq])


def two_layer_output_hvp_numpy(theta, x, vec, code):
    """(Hess_theta f(x)) vec (p,), from the block-diagonal closed form (slides, Observation 2).

    The Hessian has no block coupling two different neurons; neuron i's block is
        d2f/dw_i dw_i = v_i sigma''(w_i . x) x x^T / sqrt m,  d2f/dw_i dv_i = sigma'(w_i . x) x / sqrt m,
        d2f/dv_i^2 = 0,
    so with dz_i = U_i . x:  (Hv)_{w_i} = (v_i s2_i dz_i + u_i s1_i) x / sqrt m,  (Hv)_{v_i} = s1_i dz_i / sqrt m.
    """
    W, v = _two_layer_split(theta, x.size)
    U, u = _two_layer_split(vec, x.size)
    _, s1, s2 = act_derivatives_numpy(W @ x, code)
    dz = U @ x
    sq = np.sqrt(v.size)
    return np.concatenate([np.outer(v * s2 * dz + u * s1, x).ravel() / sq, s1 * dz / sq])


def two_layer_jacobian_numpy(theta, X, code):
    """J (n, p), row j = grad_theta f(x_j): [(v * S1_j) outer x_j, S_j] / sqrt m."""
    n, d = X.shape
    W, v = _two_layer_split(theta, d)
    S, S1, _ = act_derivatives_numpy(X @ W.T, code)
    sq = np.sqrt(v.size)
    J_W = ((S1 * v)[:, :, None] * X[:, None, :]).reshape(n, -1)
    return np.concatenate([J_W, S], axis=1) / sq




# ---------------------------------------------------------------------------
# Two-layer net: the chunked numpy reference. The formulas of the twins above, applied
# to a block of neurons at a time: f and df are sums over neurons, so they are summed
# block by block (pass 1); the gradient's and HVP's rows of a neuron need only that
# neuron and the residual weights a, b (pass 2). Memory O(p + n * CHUNK_NEURONS).
# ---------------------------------------------------------------------------
def _neuron_blocks(m, chunk):
    """slice objects covering range(m) in blocks of at most ``chunk`` neurons."""
    return [slice(start, min(m, start + chunk)) for start in range(0, m, chunk)]


def _two_layer_pass1_chunked(theta, X, vec, code, chunk):
    """f (n,) and, if vec has size p, df (n,) (else zeros), summed block by block."""
    n, d = X.shape
    W, v = _two_layer_split(theta, d)
    tangent = vec.size > 0
    U, u = _two_layer_split(vec if tangent else theta, d)
    f, df = np.zeros(n), np.zeros(n)
    for block in _neuron_blocks(v.size, chunk):
        S, S1, _ = act_derivatives_numpy(X @ W[block].T, code)
        f += S @ v[block]
        if tangent:
            df += S @ u[block] + (S1 * (X @ U[block].T)) @ v[block]
    sq = np.sqrt(v.size)
    return f / sq, df / sq


def two_layer_outputs_chunked_numpy(theta, X, code, chunk=CHUNK_NEURONS):
    """f(x_j) for every row, shape (n,), in blocks of ``chunk`` neurons."""
    return _two_layer_pass1_chunked(theta, X, np.zeros(0), code, chunk)[0]


def two_layer_loss_chunked_numpy(theta, X, y, code, chunk=CHUNK_NEURONS):
    """L, a float, in blocks of ``chunk`` neurons."""
    r = two_layer_outputs_chunked_numpy(theta, X, code, chunk) - y
    return float(r @ r) / (2 * y.size)


def two_layer_loss_grad_chunked_numpy(theta, X, y, code, chunk=CHUNK_NEURONS):
    """grad L (p,), in blocks of ``chunk`` neurons: w = r / n from pass 1, then per block
    dL/dv = S^T w / sqrt m, dL/dW = diag(v) S1^T diag(w) X / sqrt m (as the plain twin)."""
    n, d = X.shape
    W, v = _two_layer_split(theta, d)
    w = (two_layer_outputs_chunked_numpy(theta, X, code, chunk) - y) / n
    sq = np.sqrt(v.size)
    out = np.empty(theta.size)
    out_W, out_v = out[: W.size].reshape(W.shape), out[W.size:]
    for block in _neuron_blocks(v.size, chunk):
        S, S1, _ = act_derivatives_numpy(X @ W[block].T, code)
        out_W[block] = ((S1 * w[:, None]) * v[block]).T @ X / sq
        out_v[block] = S.T @ w / sq
    return out


def two_layer_loss_hvp_chunked_numpy(theta, X, y, vec, code, chunk=CHUNK_NEURONS):
    """Exact H v (p,), in blocks of ``chunk`` neurons: a = df / n and b = r / n from pass 1,
    then per block the plain twin's (Hv)_v and (Hv)_W = C^T X / sqrt m."""
    n, d = X.shape
    W, v = _two_layer_split(theta, d)
    U, u = _two_layer_split(vec, d)
    f, df = _two_layer_pass1_chunked(theta, X, vec, code, chunk)
    a, b = df / n, (f - y) / n
    sq = np.sqrt(v.size)
    out = np.empty(theta.size)
    out_W, out_v = out[: W.size].reshape(W.shape), out[W.size:]
    for block in _neuron_blocks(v.size, chunk):
        dZ = X @ U[block].T
        S, S1, S2 = act_derivatives_numpy(X @ W[block].T, code)
        out_v[block] = (S.T @ a + (S1 * dZ).T @ b) / sq
        C = S1 * (np.outer(a, v[block]) + np.outer(b, u[block])) + S2 * dZ * np.outer(b, v[block])
        out_W[block] = C.T @ X / sq
    return out


# ---------------------------------------------------------------------------
# Two-layer net: numba. The loops below each cover the neuron chunks first..last-1 and
# write only those chunks' rows (pass 1: a row of partial sums per chunk; pass 2: the
# neurons' own rows of the result), so threads never write the same memory. ``scratch``
# is the calling thread's own (rows, n) block of length-n rows.
# ---------------------------------------------------------------------------
CHUNKS = 32


def _chunk_bounds(m):
    """Start/stop indices (C + 1,) int64 of C = min(CHUNKS, m) nearly equal chunks of range(m)."""
    count = min(CHUNKS, m)
    return (np.arange(count + 1, dtype=np.int64) * m) // count


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _row_dot(W, i, XT, out):
    """out[j] = W[i] . x_j for all samples j; XT = X^T (d, n), so the inner loop is unit-stride."""
    out[:] = 0.0
    for k in range(XT.shape[0]):
        w = W[i, k]
        for j in range(out.size):
            out[j] += w * XT[k, j]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _forward_chunks(theta, XT, vec, code, bounds, f_parts, df_parts, scratch, first, last):
    """Pass 1 over chunks first..last-1: f_parts[c] (n,) = sum_{i in chunk c} v_i s_ji and, if
    vec has size p, df_parts[c] (n,) = sum_{i in chunk c} (u_i s_ji + v_i s1_ji dz_ji), with
    s, s1 = sigma, sigma' of z_ji = w_i . x_j and dz_ji = U_i . x_j. scratch: (5, n).

    Pass an empty vec for f alone: a run-time flag, so one compiled version serves both.
    """
    d, n = XT.shape
    m = theta.size // (d + 1)
    tangent = vec.size > 0
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    U, u = (vec if tangent else theta)[: m * d].reshape(m, d), (vec if tangent else theta)[m * d:]
    z, dz, s, s1, s2 = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    for c in range(first, last):
        f_c, df_c = f_parts[c], df_parts[c]
        f_c[:] = 0.0
        df_c[:] = 0.0
        for i in range(bounds[c], bounds[c + 1]):
            _row_dot(W, i, XT, z)
            if not tangent:
                if code == TANH:  # f alone needs only t = tanh(z): no s', s'' for the loss
                    for j in range(n):
                        f_c[j] += v[i] * _tanh_scalar(z[j])
                else:
                    _act_into(z, code, s, s1, s2)
                    for j in range(n):
                        f_c[j] += v[i] * s[j]
                continue
            _row_dot(U, i, XT, dz)
            if code == TANH:
                # tanh's s' = 1 - t^2 is one flop away from t: one sweep, no scratch rows
                # written and read back (the HVP's pass 1: about -15% measured, n = 256, d = 10).
                for j in range(n):
                    t = _tanh_scalar(z[j])
                    f_c[j] += v[i] * t
                    df_c[j] += u[i] * t + v[i] * (1.0 - t * t) * dz[j]
            else:
                _act_into(z, code, s, s1, s2)
                for j in range(n):
                    f_c[j] += v[i] * s[j]
                    df_c[j] += u[i] * s[j] + v[i] * s1[j] * dz[j]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _grad_chunks(theta, XT, w, code, bounds, out, scratch, first, last):
    """Pass 2 of a gradient over chunks first..last-1: the neurons' rows of
    sum_j w_j grad_theta f(x_j) (p,), written into out. scratch: (5, n).

    Neuron i's rows: v_i sum_j w_j s1_ji x_j / sqrt m (for w_i) and sum_j w_j s_ji / sqrt m (for v_i).
    """
    d, n = XT.shape
    m = theta.size // (d + 1)
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    out_W = out[: m * d].reshape(m, d)
    sq = math.sqrt(m)
    z, ws1, s, s1, s2 = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    for c in range(first, last):
        for i in range(bounds[c], bounds[c + 1]):
            _row_dot(W, i, XT, z)
            g_v = 0.0
            if code == TANH:  # s' = 1 - t^2 from t, in the same sweep (as in pass 1)
                for j in range(n):
                    t = _tanh_scalar(z[j])
                    g_v += w[j] * t
                    ws1[j] = w[j] * (1.0 - t * t)
            else:
                _act_into(z, code, s, s1, s2)
                for j in range(n):
                    g_v += w[j] * s[j]
                    ws1[j] = w[j] * s1[j]
            out[m * d + i] = g_v / sq
            for k in range(d):
                acc = 0.0
                for j in range(n):
                    acc += ws1[j] * XT[k, j]
                out_W[i, k] = v[i] * acc / sq


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _hvp_terms(a_j, b_j, s, s1, s2, dz, v_i, u_i):
    """Sample j's share of neuron i's HVP rows (see _hvp_chunks): the term
    a_j s + b_j s1 dz of the v_i row, and the weight c_ji of x_j in the w_i row."""
    return a_j * s + b_j * s1 * dz, a_j * v_i * s1 + b_j * (v_i * s2 * dz + u_i * s1)


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _hvp_chunks(theta, XT, vec, a, b, code, bounds, out, scratch, first, last):
    """Pass 2 of an HVP over chunks first..last-1: the neurons' rows of
    sum_j [a_j grad f(x_j) + b_j (Hess f(x_j)) vec] (p,), written into out. scratch: (6, n).

    For the loss a = df / n and b = r / n; for one output a = 0 and b = 1. Neuron i's rows
    (block-diagonal output Hessian, dz_ji = U_i . x_j):
        v_i:  sum_j (a_j s_ji + b_j s1_ji dz_ji) / sqrt m
        w_i:  sum_j c_ji x_j / sqrt m,  c_ji = a_j v_i s1_ji + b_j (v_i s2_ji dz_ji + u_i s1_ji)
    """
    d, n = XT.shape
    m = theta.size // (d + 1)
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    U, u = vec[: m * d].reshape(m, d), vec[m * d:]
    out_W = out[: m * d].reshape(m, d)
    sq = math.sqrt(m)
    z, dz, coef, s, s1, s2 = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4], scratch[5]
    for c in range(first, last):
        for i in range(bounds[c], bounds[c + 1]):
            _row_dot(W, i, XT, z)
            _row_dot(U, i, XT, dz)
            h_v = 0.0
            if code == TANH:
                # As in pass 1: s' and s'' come from t in 3 flops, inside the one sweep
                # (about -20% for this pass, measured). The branch on code stays outside the loop.
                for j in range(n):
                    t = _tanh_scalar(z[j])
                    t1 = 1.0 - t * t
                    h_j, coef[j] = _hvp_terms(a[j], b[j], t, t1, -2.0 * t * t1, dz[j], v[i], u[i])
                    h_v += h_j
            else:
                _act_into(z, code, s, s1, s2)
                for j in range(n):
                    h_j, coef[j] = _hvp_terms(a[j], b[j], s[j], s1[j], s2[j], dz[j], v[i], u[i])
                    h_v += h_j
            out[m * d + i] = h_v / sq
            for k in range(d):
                acc = 0.0
                for j in range(n):
                    acc += coef[j] * XT[k, j]
                out_W[i, k] = acc / sq


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FAST)
def _jacobian_rows(theta, X, code, J, scratch, first, last):
    """Rows first..last-1 of J (n, p): row j = [(v * s1_j) outer x_j, s_j] / sqrt m. scratch: (4, m)."""
    n, d = X.shape
    m = theta.size // (d + 1)
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    sq = math.sqrt(m)
    z, s, s1, s2 = scratch[0], scratch[1], scratch[2], scratch[3]
    for j in range(first, last):
        for i in range(m):
            acc = 0.0
            for k in range(d):
                acc += W[i, k] * X[j, k]
            z[i] = acc
        _act_into(z, code, s, s1, s2)
        for i in range(m):
            c = v[i] * s1[i] / sq
            for k in range(d):
                J[j, i * d + k] = c * X[j, k]
            J[j, m * d + i] = s[i] / sq


# ---------------------------------------------------------------------------
# Threads for the loops above.
# ---------------------------------------------------------------------------
# Small problems run on one thread. Waking a second thread costs more than it saves on a
# small problem, and far more when other processes compete for the cores. Measured on 2
# cores (with numba's OpenMP pool, before the switch to Python threads), loss HVP:
#     n = 20, d = 1, m = 1000, quiet machine: 1 thread 0.21 ms, 2 threads 0.13 ms;
#         beside one busy process: 2 threads 0.26 ms median but 5 to 90 ms at worst,
#         1 thread 0.20 ms median and 0.45 ms at worst;
#     n = 256, d = 10, m = 1000, quiet: 1 thread 1.3 ms, 2 threads 0.86 ms (parallel pays).
# One pass costs about n m (d + 20) multiply-adds: d for w . x, and the activation about 20
# (tanh of a row takes twice as long as a d = 10 dot product). Below PARALLEL_MIN_WORK (a
# single-threaded HVP of ~0.3 ms) the kernels run on one thread; the chunks are the same
# (CHUNKS), so the result has the same bits either way.
PARALLEL_MIN_WORK = 1_000_000

_POOL: ThreadPoolExecutor | None = None


def _forget_pool():
    global _POOL
    _POOL = None  # a forked child has the pool object but none of its threads


os.register_at_fork(after_in_child=_forget_pool)


def _pool() -> ThreadPoolExecutor:
    """The worker threads (created on first use; they sleep while idle, never spin)."""
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, numba.config.NUMBA_NUM_THREADS - 1),
                                   thread_name_prefix="minigrad-kernels")
    return _POOL


def _threads(n, m, d):
    """1 if the problem is small (n m (d + 20) < PARALLEL_MIN_WORK), else numba.get_num_threads()
    (what ``numba.set_num_threads`` last set: the one knob for every numba kernel)."""
    if n * m * (d + 20) < PARALLEL_MIN_WORK:
        return 1
    return numba.get_num_threads()


def _run_chunks(kernel, args, count, threads, scratch_shape):
    """kernel(*args, scratch[t], first, last) for ``threads`` contiguous ranges of 0..count-1.

    Range 0 runs on this thread, the others on the pool; returns when all are done. Each
    range gets its own scratch block of shape ``scratch_shape`` (numpy-allocated).
    """
    threads = max(1, min(threads, count))
    scratch = np.empty((threads, *scratch_shape))
    edges = [(t * count) // threads for t in range(threads + 1)]
    futures = [_pool().submit(kernel, *args, scratch[t], edges[t], edges[t + 1]) for t in range(1, threads)]
    kernel(*args, scratch[0], edges[0], edges[1])
    for future in futures:
        future.result()  # re-raises an error from a worker


# ---------------------------------------------------------------------------
# The public numba kernels: plain Python that allocates with numpy and calls the loops.
# ---------------------------------------------------------------------------
_NO_TANGENT = np.zeros(0)


def _pass1(theta, X, vec, code):
    """f (n,) and df (n,) (zeros if vec is empty): pass 1 over all chunks, rows added in order."""
    n, d = X.shape
    m = theta.size // (d + 1)
    bounds = _chunk_bounds(m)
    chunks = bounds.size - 1
    f_parts, df_parts = np.empty((chunks, n)), np.empty((chunks, n))
    args = (theta, np.ascontiguousarray(X.T), vec, code, bounds, f_parts, df_parts)
    _run_chunks(_forward_chunks, args, chunks, _threads(n, m, d), (5, n))
    sq = math.sqrt(m)
    return f_parts.sum(axis=0) / sq, df_parts.sum(axis=0) / sq


def _grad_pass(theta, X, w, code):
    """sum_j w_j grad_theta f(x_j) (p,): pass 2 over all chunks."""
    n, d = X.shape
    m = theta.size // (d + 1)
    bounds = _chunk_bounds(m)
    out = np.empty(theta.size)
    args = (theta, np.ascontiguousarray(X.T), w, code, bounds, out)
    _run_chunks(_grad_chunks, args, bounds.size - 1, _threads(n, m, d), (5, n))
    return out


def _hvp_pass(theta, X, vec, a, b, code):
    """sum_j [a_j grad f(x_j) + b_j (Hess f(x_j)) vec] (p,): pass 2 over all chunks."""
    n, d = X.shape
    m = theta.size // (d + 1)
    bounds = _chunk_bounds(m)
    out = np.empty(theta.size)
    args = (theta, np.ascontiguousarray(X.T), vec, a, b, code, bounds, out)
    _run_chunks(_hvp_chunks, args, bounds.size - 1, _threads(n, m, d), (6, n))
    return out


def two_layer_outputs_numba(theta, X, code):
    """f(x_j) for every row, shape (n,). Twin of two_layer_outputs_numpy."""
    return _pass1(theta, X, _NO_TANGENT, code)[0]


def two_layer_loss_numba(theta, X, y, code):
    """L = (1/(2n)) sum_j (f(x_j) - y_j)^2. Twin of two_layer_loss_numpy."""
    r = two_layer_outputs_numba(theta, X, code) - y
    return float(r @ r) / (2 * y.size)


def two_layer_loss_grad_numba(theta, X, y, code):
    """grad L (p,): pass 1 for r, pass 2 with weights r / n. Twin of two_layer_loss_grad_numpy."""
    f = _pass1(theta, X, _NO_TANGENT, code)[0]
    return _grad_pass(theta, X, (f - y) / y.size, code)


def two_layer_loss_hvp_numba(theta, X, y, vec, code):
    """Exact H v (p,) for the loss: pass 1 for f and df, pass 2 with a = df/n, b = r/n."""
    f, df = _pass1(theta, X, vec, code)
    return _hvp_pass(theta, X, vec, df / y.size, (f - y) / y.size, code)


def two_layer_output_grad_numba(theta, x, code):
    """grad_theta f(x) (p,): the gradient pass on the one-row data set x with weight 1."""
    return _grad_pass(theta, x.reshape(1, -1), np.ones(1), code)


def two_layer_output_hvp_numba(theta, x, vec, code):
    """(Hess_theta f(x)) vec (p,): the HVP pass on the one-row data set x with a = 0, b = 1."""
    return _hvp_pass(theta, x.reshape(1, -1), vec, np.zeros(1), np.ones(1), code)


def two_layer_jacobian_numba(theta, X, code):
    """J (n, p), row j = grad_theta f(x_j). Twin of two_layer_jacobian_numpy. Rows split over threads."""
    n, d = X.shape
    m = theta.size // (d + 1)
    J = np.empty((n, theta.size))
    _run_chunks(_jacobian_rows, (theta, X, code, J), n, _threads(n, m, d), (4, m))
    return J
