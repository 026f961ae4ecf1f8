"""Compiled kernels (numba) for the networks and for SGD, each beside its plain numpy twin.

Every kernel comes twice, with the same signature and the same result:

    NAME_numpy   a few array expressions that state the math: the reference;
    NAME_numba   the same numbers from @njit(cache=True) loops that touch memory less:
                 no n x m temporaries, one transcendental per element per pass, and
                 both cores through ``prange`` (one core for small problems: see
                 PARALLEL_MIN_WORK). Some are short Python functions that call a few
                 compiled loops; their comments say why.

tests/test_kernels.py holds each pair together to ~1e-12 relative, and
tests/test_nn.py holds both against the engine (``backend="engine"``).

Debugging a kernel: start Python with ``NUMBA_DISABLE_JIT=1`` and every @njit function
below runs as plain Python (slowly), so ``print`` and ``pdb`` work inside it; ``prange``
becomes ``range``. Importing this module imports numba but compiles nothing: each
kernel is compiled at its first call and the machine code is cached on disk
(``cache=True``), so later runs start fast.

Conventions. The callers (``minigrad.nn``, ``minigrad.optim``) validate shapes and pass
C-contiguous float64 arrays; the kernels themselves do not check:

    theta (p,)   all parameters in one vector, as in ``minigrad.nn``
    X (n, d)     the inputs, one row per example;  x (d,) a single input;  y (n,) targets
    vec (p,)     the direction of a Hessian-vector product
    code         an activation code, ``ACTIVATION_CODES[name]``
    widths       int64 array (L,) of hidden widths m_1..m_L (deep nets)

The two-layer net (no biases; the first layer is not scaled, as on the slides):

    f(x) = (1/sqrt m) sum_i v_i sigma(w_i . x),   theta = [W.ravel() (m*d), v (m)],  p = m (d + 1)

The deep net (every layer scaled by 1/sqrt of its fan-in, m_0 = d):

    a^0 = x,  a^l = sigma(W^l a^{l-1} / sqrt(m_{l-1})),  f = sigma_out(v . a^L / sqrt(m_L)),
    theta = [W^1.ravel(), ..., W^L.ravel(), v],  W^l of shape (m_l, m_{l-1})

The loss is L(theta) = (1/(2n)) sum_j (f(x_j) - y_j)^2.

Second derivatives of L (used by every HVP below): with residuals r_j = f(x_j) - y_j,

    H v = (1/n) sum_j [ (grad f_j . v) grad f_j  +  r_j (Hess f_j) v ]
          (Gauss-Newton part)                       (residual-weighted output Hessians)
"""

from __future__ import annotations

import contextlib
import math

import numba
import numpy as np
from numba import njit, prange

# ---------------------------------------------------------------------------
# Activation codes: numba kernels take an int, not a name.
# ---------------------------------------------------------------------------
TANH, SIGMOID, RELU, SOFTPLUS, LINEAR = 0, 1, 2, 3, 4
ACTIVATION_CODES = {"tanh": TANH, "sigmoid": SIGMOID, "relu": RELU, "softplus": SOFTPLUS, "linear": LINEAR}

# Compiler settings shared by the loop kernels.
#  error_model="numpy": x / 0 gives inf as in numpy, instead of a Python exception; the
#      check that raises would sit inside every loop and stop it from being vectorized.
#  fastmath reassoc + contract: let LLVM reorder sums (so a reduction like sum_j a_j b_j
#      runs in SIMD lanes) and fuse a * b + c into one FMA. Results move by a few ulps.
#      The tanh helper gets "contract" only: reordering would undo its range reduction.
_FAST = {"reassoc", "contract"}

# Parallel loops over neurons are split into this many chunks, whatever the number of
# threads, so that partial sums are always added in the same order: on one machine the
# same inputs give the same bits with 1 thread or with 64.
CHUNKS = 32


# ---------------------------------------------------------------------------
# A fast, accurate tanh.
# ---------------------------------------------------------------------------
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two (as in fdlibm): k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _tanh_scalar(z):
    """tanh(z) to ~1 ulp, written so that a loop of it compiles to SIMD instructions.

    libm's tanh is a function call per element, which stops LLVM from vectorizing the
    loop; this one is plain arithmetic. With a = 2|z|:

        tanh|z| = -u / (2 + u),   u = expm1(-a) = exp(-a) - 1,

    which has no cancellation for small z (u ~ -a is computed directly, not as 1 - 1).
    expm1(-a) by range reduction: -a = r - k ln2 with |r| <= ln2 / 2, so
    exp(-a) = 2^-k e^r and u = 2^-k (e^r - 1) + (2^-k - 1), where e^r - 1 is a degree-13
    Taylor polynomial (truncation < 1e-17 relative on |r| <= 0.35). tanh|z| rounds to 1
    for |z| > 19.1, so a is clipped at 40 and k stays below 64: 2^-k is the product of the
    factors 2^-(2^b) for the set bits b of k, exact and branch-free.
    """
    a = 2.0 * abs(z)
    a = a if a < 40.0 else 40.0  # also maps inf to 40; NaN is handled at the end
    k = math.floor(a * _INV_LN2 + 0.5)
    r = (k * _LN2_HI - a) + k * _LN2_LO  # keep this order: the error of k*ln2 stays tiny
    # e^r - 1 = r + r^2 (1/2! + r/3! + ... + r^11/13!), by Horner
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    expm1_r = r + r * r * p
    kk = np.int64(k)
    scale = ((1.0 - 0.5 * (kk & 1)) * (1.0 - 0.75 * ((kk >> 1) & 1))
             * (1.0 - 0.9375 * ((kk >> 2) & 1)) * (1.0 - (1.0 - 2.0 ** -8) * ((kk >> 3) & 1))
             * (1.0 - (1.0 - 2.0 ** -16) * ((kk >> 4) & 1)) * (1.0 - (1.0 - 2.0 ** -32) * ((kk >> 5) & 1)))
    u = scale * expm1_r + (scale - 1.0)
    t = math.copysign(-u / (2.0 + u), z)
    return t if z == z else z  # NaN in, NaN out


def tanh_numpy(z):
    """tanh(z) elementwise (numpy's own), the twin of ``tanh_numba``. Any shape."""
    return np.tanh(np.asarray(z, dtype=np.float64))


@njit(cache=True, error_model="numpy")
def tanh_numba(z):
    """tanh(z) elementwise by ``_tanh_scalar``: ~1e-16 relative to np.tanh. Any shape."""
    flat = z.ravel()
    out = np.empty(flat.size)
    for j in range(flat.size):
        out[j] = _tanh_scalar(flat[j])
    return out.reshape(z.shape)


# ---------------------------------------------------------------------------
# sigma, sigma', sigma'' together, from one transcendental per element.
# ---------------------------------------------------------------------------
def act_derivatives_numpy(z, code):
    """(sigma(z), sigma'(z), sigma''(z)) elementwise for the activation ``code``; any shape.

    tanh:     t = tanh z;                s' = 1 - t^2,          s'' = -2 t s'
    sigmoid:  e = exp(-|z|), s = 1/(1+e) (z >= 0) or e/(1+e);  s' = e/(1+e)^2,  s'' = s'(1 - 2s)
    softplus: log(1 + e^z) = max(z, 0) + log1p(e);  s' = sigmoid(z),  s'' = e/(1+e)^2
    relu:     max(z, 0);  s' = 1 if z > 0 else 0;  s'' = 0 (the kink at 0 is given slope 0)
    linear:   z;  1;  0
    Written with exp(-|z|) so nothing overflows, and s' = e/(1+e)^2 rather than s(1-s),
    which would lose all digits in the tails (1 - s for s ~ 1).
    """
    z = np.asarray(z, dtype=np.float64)
    if code == TANH:
        t = np.tanh(z)
        s1 = 1.0 - t * t
        return t, s1, -2.0 * t * s1
    if code == SIGMOID or code == SOFTPLUS:
        e = np.exp(-np.abs(z))
        sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        slope = e / ((1.0 + e) * (1.0 + e))
        if code == SIGMOID:
            return sig, slope, slope * (1.0 - 2.0 * sig)
        return np.maximum(z, 0.0) + np.log1p(e), sig, slope
    if code == RELU:
        positive = z > 0
        return np.where(positive, z, 0.0), positive.astype(np.float64), np.zeros_like(z)
    if code == LINEAR:
        return z.copy(), np.ones_like(z), np.zeros_like(z)
    raise ValueError(f"unknown activation code {code!r}; known codes: {ACTIVATION_CODES}")


@njit(cache=True, error_model="numpy")
def _act_scalar(z, code):
    """(sigma(z), sigma'(z), sigma''(z)) for one float; the formulas of act_derivatives_numpy."""
    if code == TANH:
        t = _tanh_scalar(z)
        s1 = 1.0 - t * t
        return t, s1, -2.0 * t * s1
    if code == SIGMOID or code == SOFTPLUS:
        e = math.exp(-abs(z))
        sig = 1.0 / (1.0 + e) if z >= 0 else e / (1.0 + e)
        slope = e / ((1.0 + e) * (1.0 + e))
        if code == SIGMOID:
            return sig, slope, slope * (1.0 - 2.0 * sig)
        return max(z, 0.0) + math.log1p(e), sig, slope
    if code == RELU:
        return (z if z > 0 else 0.0), (1.0 if z > 0 else 0.0), 0.0
    return z, 1.0, 0.0  # LINEAR (codes are checked by the callers)


@njit(cache=True, error_model="numpy")
def _act_into(z, code, s, s1, s2):
    """Fill s, s1, s2 (each (k,)) with sigma, sigma', sigma'' of z (k,).

    tanh gets a loop of its own: a loop that branches on ``code`` inside is not
    vectorized by LLVM (measured: 16 ns per element instead of ~1.5).
    """
    if code < 0 or code > LINEAR:
        raise ValueError("unknown activation code (expected 0..4, see ACTIVATION_CODES)")
    if code == TANH:
        for j in range(z.size):
            t = _tanh_scalar(z[j])
            s[j] = t
            s1[j] = 1.0 - t * t
            s2[j] = -2.0 * t * (1.0 - t * t)
    else:
        for j in range(z.size):
            s[j], s1[j], s2[j] = _act_scalar(z[j], code)


def act_derivatives_numba(z, code):
    """(sigma(z), sigma'(z), sigma''(z)) elementwise; twin of act_derivatives_numpy. Any shape.

    The three results are allocated here by numpy, not inside compiled code: numpy asks
    the OS for large arrays in huge pages, numba's allocator (malloc) does not, and glibc
    hands three freed 20 MB arrays straight back to the OS, so every call page-faulted
    60 MB in again. Measured at 256 x 10^4 (tanh): 20-30 ms that way, 6-7 ms this way.
    """
    z = np.ascontiguousarray(z, dtype=np.float64)
    s, s1, s2 = np.empty(z.shape), np.empty(z.shape), np.empty(z.shape)
    _act_into(z.ravel(), code, s.ravel(), s1.ravel(), s2.ravel())  # ravel: views, not copies
    return s, s1, s2


@njit(cache=True, error_model="numpy")
def _act_derivatives_compiled(z, code):
    """As act_derivatives_numba, callable from compiled code (the deep net's passes)."""
    flat = z.ravel()
    s, s1, s2 = np.empty(flat.size), np.empty(flat.size), np.empty(flat.size)
    _act_into(flat, code, s, s1, s2)
    return s.reshape(z.shape), s1.reshape(z.shape), s2.reshape(z.shape)


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
# Two-layer net: numba. Two passes over the neurons, each parallel over chunks of them:
# pass 1 sums f (and its tangent df) over the neurons; pass 2, which needs the residuals
# r = f - y from pass 1, produces each neuron's own rows of the result. No n x m array is
# ever stored: each pass recomputes z_ji = w_i . x_j (2d flops) and sigma (one
# transcendental) into a length-n scratch row. Storing sigma(Z) in pass 1 instead would
# save the second transcendental, but it is an n x m array (200 MB at n = 256, m = 10^5)
# written once and read once. Measured on one core, n = 256, d = 10, tanh HVP: storing
# wins by ~6% at m = 10^4 (the array still fits in cache) and loses by ~60% at m = 10^5.
# ---------------------------------------------------------------------------
@njit(cache=True)
def _chunk_bounds(m):
    """Start/stop indices (C + 1,) of C = min(CHUNKS, m) nearly equal chunks of range(m)."""
    count = min(CHUNKS, m)
    bounds = np.empty(count + 1, dtype=np.int64)
    for c in range(count + 1):
        bounds[c] = (c * m) // count
    return bounds


@njit(cache=True, error_model="numpy", fastmath=_FAST)
def _row_dot(W, i, XT, out):
    """out[j] = W[i] . x_j for all samples j; XT = X^T (d, n), so the inner loop is unit-stride."""
    out[:] = 0.0
    for k in range(XT.shape[0]):
        w = W[i, k]
        for j in range(out.size):
            out[j] += w * XT[k, j]


@njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def _two_layer_forward_numba(theta, X, vec, code):
    """Pass 1: f (n,) and, if vec has size p, df (n,) = d/dt f(theta + t vec) at t = 0.

    f_j = sum_i v_i s_ji / sqrt m;  df_j = sum_i (u_i s_ji + v_i s1_ji dz_ji) / sqrt m.
    Pass an empty vec for f alone (then df is zeros). Each chunk of neurons adds into
    its own row of a (C, n) array; the rows are then added in order (deterministic).
    """
    n, d = X.shape
    m = theta.size // (d + 1)
    tangent = vec.size > 0  # a run-time flag: one compiled version serves both uses
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    U, u = (vec if tangent else theta)[: m * d].reshape(m, d), (vec if tangent else theta)[m * d:]
    XT = np.ascontiguousarray(X.T)
    bounds = _chunk_bounds(m)
    f_parts = np.zeros((bounds.size - 1, n))
    df_parts = np.zeros((bounds.size - 1, n))
    for c in prange(bounds.size - 1):
        z, dz = np.empty(n), np.empty(n)  # scratch rows: allocated per chunk, not per neuron
        s, s1, s2 = np.empty(n), np.empty(n), np.empty(n)
        for i in range(bounds[c], bounds[c + 1]):
            _row_dot(W, i, XT, z)
            if not tangent:
                if code == TANH:  # f alone needs only t = tanh(z): no s', s'' for the loss
                    for j in range(n):
                        f_parts[c, j] += v[i] * _tanh_scalar(z[j])
                else:
                    _act_into(z, code, s, s1, s2)
                    for j in range(n):
                        f_parts[c, j] += v[i] * s[j]
                continue
            _row_dot(U, i, XT, dz)
            if code == TANH:
                # tanh's s' = 1 - t^2 is one flop away from t: one sweep, no scratch rows
                # written and read back (the HVP's pass 1: about -15% measured, n = 256, d = 10).
                for j in range(n):
                    t = _tanh_scalar(z[j])
                    f_parts[c, j] += v[i] * t
                    df_parts[c, j] += u[i] * t + v[i] * (1.0 - t * t) * dz[j]
            else:
                _act_into(z, code, s, s1, s2)
                for j in range(n):
                    f_parts[c, j] += v[i] * s[j]
                    df_parts[c, j] += u[i] * s[j] + v[i] * s1[j] * dz[j]
    sq = math.sqrt(m)
    f, df = np.zeros(n), np.zeros(n)
    for c in range(bounds.size - 1):
        f += f_parts[c]
        df += df_parts[c]
    return f / sq, df / sq


@njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def _two_layer_grad_pass_numba(theta, X, w, code):
    """Pass 2 of the gradient: sum_j w_j grad_theta f(x_j), shape (p,).

    Neuron i's rows: v_i sum_j w_j s1_ji x_j / sqrt m (for w_i) and sum_j w_j s_ji / sqrt m (for v_i).
    """
    n, d = X.shape
    m = theta.size // (d + 1)
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    XT = np.ascontiguousarray(X.T)
    sq = math.sqrt(m)
    out = np.empty(theta.size)
    out_W = out[: m * d].reshape(m, d)
    bounds = _chunk_bounds(m)
    for c in prange(bounds.size - 1):
        z, ws1 = np.empty(n), np.empty(n)
        s, s1, s2 = np.empty(n), np.empty(n), np.empty(n)
        for i in range(bounds[c], bounds[c + 1]):
            _row_dot(W, i, XT, z)
            _act_into(z, code, s, s1, s2)
            g_v = 0.0
            for j in range(n):
                g_v += w[j] * s[j]
                ws1[j] = w[j] * s1[j]
            out[m * d + i] = g_v / sq
            for k in range(d):
                acc = 0.0
                for j in range(n):
                    acc += ws1[j] * XT[k, j]
                out_W[i, k] = v[i] * acc / sq
    return out


@njit(cache=True, error_model="numpy", fastmath=_FAST)
def _hvp_terms(a_j, b_j, s, s1, s2, dz, v_i, u_i):
    """Sample j's share of neuron i's HVP rows (see _two_layer_hvp_pass_numba): the term
    a_j s + b_j s1 dz of the v_i row, and the weight c_ji of x_j in the w_i row."""
    return a_j * s + b_j * s1 * dz, a_j * v_i * s1 + b_j * (v_i * s2 * dz + u_i * s1)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def _two_layer_hvp_pass_numba(theta, X, vec, a, b, code):
    """Pass 2 of an HVP: sum_j [a_j grad f(x_j) + b_j (Hess f(x_j)) vec], shape (p,).

    For the loss a = df / n and b = r / n; for one output a = 0 and b = 1. Neuron i's rows
    (block-diagonal output Hessian, dz_ji = U_i . x_j):
        v_i:  sum_j (a_j s_ji + b_j s1_ji dz_ji) / sqrt m
        w_i:  sum_j c_ji x_j / sqrt m,  c_ji = a_j v_i s1_ji + b_j (v_i s2_ji dz_ji + u_i s1_ji)
    """
    n, d = X.shape
    m = theta.size // (d + 1)
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    U, u = vec[: m * d].reshape(m, d), vec[m * d:]
    XT = np.ascontiguousarray(X.T)
    sq = math.sqrt(m)
    out = np.empty(theta.size)
    out_W = out[: m * d].reshape(m, d)
    bounds = _chunk_bounds(m)
    for c in prange(bounds.size - 1):
        z, dz, coef = np.empty(n), np.empty(n), np.empty(n)
        s, s1, s2 = np.empty(n), np.empty(n), np.empty(n)
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
    return out


# Small problems run on one thread. Waking numba's second thread (an OpenMP team) costs
# more than it saves on a small problem, and far more when other processes compete for the
# cores: the team then waits for a time slice, and its idle threads spin and take cycles
# from the others. Measured on 2 cores, loss HVP:
#     n = 20, d = 1, m = 1000, quiet machine: 1 thread 0.21 ms, 2 threads 0.13 ms;
#         beside one busy process: 2 threads 0.26 ms median but 5 to 90 ms at worst,
#         1 thread 0.20 ms median and 0.45 ms at worst;
#     n = 256, d = 10, m = 1000, quiet: 1 thread 1.3 ms, 2 threads 0.86 ms (parallel pays).
# One pass costs about n m (d + 20) multiply-adds: d for w . x, and the activation about 20
# (tanh of a row takes twice as long as a d = 10 dot product). Below PARALLEL_MIN_WORK (a
# single-threaded HVP of ~0.3 ms) the kernels run on one thread; the chunks are the same
# (CHUNKS), so the result has the same bits either way.
PARALLEL_MIN_WORK = 1_000_000


@contextlib.contextmanager
def _one_thread_if_small(theta, X):
    """Run the enclosed compiled calls on one thread if n m (d + 20) < PARALLEL_MIN_WORK,
    for the two-layer net of parameters theta (m (d + 1),) on data X (n, d)."""
    n, d = X.shape
    if n * (theta.size // (d + 1)) * (d + 20) >= PARALLEL_MIN_WORK:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


# The public two-layer kernels are plain Python calls of the compiled passes above: numba
# compiles each @njit function together with everything it calls, so a compiled wrapper
# per kernel would compile the same passes again and again (seconds each, on first use).
_NO_TANGENT = np.zeros(0)


def two_layer_outputs_numba(theta, X, code):
    """f(x_j) for every row, shape (n,). Twin of two_layer_outputs_numpy."""
    with _one_thread_if_small(theta, X):
        return _two_layer_forward_numba(theta, X, _NO_TANGENT, code)[0]


def two_layer_loss_numba(theta, X, y, code):
    """L = (1/(2n)) sum_j (f(x_j) - y_j)^2. Twin of two_layer_loss_numpy."""
    r = two_layer_outputs_numba(theta, X, code) - y
    return float(r @ r) / (2 * y.size)


def two_layer_loss_grad_numba(theta, X, y, code):
    """grad L (p,): pass 1 for r, pass 2 with weights r / n. Twin of two_layer_loss_grad_numpy."""
    with _one_thread_if_small(theta, X):
        f = _two_layer_forward_numba(theta, X, _NO_TANGENT, code)[0]
        return _two_layer_grad_pass_numba(theta, X, (f - y) / y.size, code)


def two_layer_loss_hvp_numba(theta, X, y, vec, code):
    """Exact H v (p,) for the loss: pass 1 for f and df, pass 2 with a = df/n, b = r/n."""
    with _one_thread_if_small(theta, X):
        f, df = _two_layer_forward_numba(theta, X, vec, code)
        return _two_layer_hvp_pass_numba(theta, X, vec, df / y.size, (f - y) / y.size, code)


def two_layer_output_grad_numba(theta, x, code):
    """grad_theta f(x) (p,): the gradient pass on the one-row data set x with weight 1."""
    with _one_thread_if_small(theta, x.reshape(1, -1)):
        return _two_layer_grad_pass_numba(theta, x.reshape(1, -1), np.ones(1), code)


def two_layer_output_hvp_numba(theta, x, vec, code):
    """(Hess_theta f(x)) vec (p,): the HVP pass on the one-row data set x with a = 0, b = 1."""
    with _one_thread_if_small(theta, x.reshape(1, -1)):
        return _two_layer_hvp_pass_numba(theta, x.reshape(1, -1), vec, np.zeros(1), np.ones(1), code)


def two_layer_jacobian_numba(theta, X, code):
    """J (n, p), row j = grad_theta f(x_j). Twin of two_layer_jacobian_numpy."""
    with _one_thread_if_small(theta, X):
        return _two_layer_jacobian_compiled(theta, X, code)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=_FAST)
def _two_layer_jacobian_compiled(theta, X, code):
    """J (n, p) as two_layer_jacobian_numba, one sample per parallel task."""
    n, d = X.shape
    m = theta.size // (d + 1)
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    sq = math.sqrt(m)
    J = np.empty((n, theta.size))
    for j in prange(n):
        z, s, s1, s2 = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
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
    return J


# ---------------------------------------------------------------------------
# Deep net. Rows are samples: A^0 = X (n, d), H^l = A^{l-1} W^l^T / sqrt(m_{l-1}) (n, m_l),
# A^l = sigma(H^l), g = A^L v / sqrt(m_L) (n,), f = sigma_out(g).
# The HVP is forward-over-reverse written out by hand (Pearlmutter's R-operator): a
# forward pass that also carries the tangent d/dt X(theta + t vec) of every
# intermediate X, then a reverse pass that carries the tangents of the cotangents.
# The numpy and numba versions are line-for-line the same; numba fuses the elementwise
# expressions into loops and calls BLAS for np.dot (numba's np.dot needs scipy).
# An empty ``vec`` (size 0) means "no tangent": the pass then computes values only.
# ---------------------------------------------------------------------------
def _deep_split_numpy(theta, d, widths):
    """[W^1 (m_1, d), ..., W^L (m_L, m_{L-1})] and v (m_L,): views into theta."""
    Ws, start, fan_in = [], 0, d
    for m in widths:
        m = int(m)
        Ws.append(theta[start: start + m * fan_in].reshape(m, fan_in))
        start, fan_in = start + m * fan_in, m
    return Ws, theta[start:]


def _deep_forward_numpy(theta, X, widths, code, out_code, vec):
    """Forward pass, and (if vec has size p) its tangent along vec.

    Tangent: dA^0 = 0, dH^l = (dA^{l-1} W^l^T + A^{l-1} dW^l^T) / sqrt(m_{l-1}),
    dA^l = sigma'(H^l) * dH^l, dg = (dA^L v + A^L dv) / sqrt(m_L).
    Returns the tuple (As [A^0..A^L], S1s, S2s [sigma', sigma'' at H^1..H^L], dHs [dH^1..dH^L],
    dAs [dA^0..dA^L], g, dg, f, o1, o2) with o1, o2 = sigma_out', sigma_out'' at g;
    without a tangent, dHs, dAs and dg hold zero-size placeholders.
    """
    d = X.shape[1]
    tangent = vec.size > 0
    Ws, v = _deep_split_numpy(theta, d, widths)
    dWs, dv = _deep_split_numpy(vec if tangent else theta, d, widths)
    As, S1s, S2s, dHs, dAs = [X], [], [], [], [np.zeros_like(X)]
    for l, W in enumerate(Ws):
        c = 1.0 / np.sqrt(W.shape[1])
        H = As[l] @ W.T * c
        A, S1, S2 = act_derivatives_numpy(H, code)
        As.append(A)
        S1s.append(S1)
        S2s.append(S2)
        if tangent:
            dH = (dAs[l] @ W.T + As[l] @ dWs[l].T) * c
            dHs.append(dH)
            dAs.append(S1 * dH)
        else:
            dHs.append(np.zeros((0, 0)))
            dAs.append(np.zeros((0, 0)))
    c = 1.0 / np.sqrt(v.size)
    g = As[-1] @ v * c
    dg = (dAs[-1] @ v + As[-1] @ dv) * c if tangent else np.zeros(0)
    f, o1, o2 = act_derivatives_numpy(g, out_code)
    return As, S1s, S2s, dHs, dAs, g, dg, f, o1, o2


def _deep_reverse_numpy(theta, widths, state, wf, dwf, vec):
    """Reverse pass from the cotangent wf (n,) on f, and (if vec has size p) its tangent dwf.

    Cotangents, per sample: wg = wf o1, wA^L = wg v^T / sqrt(m_L), then for l = L..1:
    wH^l = wA^l * S1^l and wA^{l-1} = wH^l W^l / sqrt(m_{l-1}). Their tangents follow by
    the product rule: dwg = dwf o1 + wf o2 dg, dwA^L = (dwg v^T + wg dv^T) / sqrt(m_L),
    dwH^l = dwA^l * S1^l + wA^l * S2^l * dH^l, dwA^{l-1} = (dwH^l W^l + wH^l dW^l) / sqrt(m_{l-1}).
    Returns (wHs, dwHs, wg, dwg); wHs[l] is the cotangent of H^{l+1}, shape (n, m_{l+1}).
    """
    As, S1s, S2s, dHs, dAs, g, dg, f, o1, o2 = state
    tangent = vec.size > 0
    Ws, v = _deep_split_numpy(theta, As[0].shape[1], widths)
    dWs, dv = _deep_split_numpy(vec if tangent else theta, As[0].shape[1], widths)
    wg = wf * o1
    dwg = dwf * o1 + wf * o2 * dg if tangent else np.zeros(0)
    c = 1.0 / np.sqrt(v.size)
    wA = np.outer(wg, v) * c
    dwA = (np.outer(dwg, v) + np.outer(wg, dv)) * c if tangent else np.zeros((0, 0))
    wHs = [np.zeros((0, 0)) for _ in range(len(Ws))]
    dwHs = [np.zeros((0, 0)) for _ in range(len(Ws))]
    for l in range(len(Ws) - 1, -1, -1):
        wHs[l] = wA * S1s[l]
        if tangent:
            dwHs[l] = dwA * S1s[l] + wA * S2s[l] * dHs[l]
        if l > 0:
            c = 1.0 / np.sqrt(Ws[l].shape[1])
            wA = wHs[l] @ Ws[l] * c
            if tangent:
                dwA = (dwHs[l] @ Ws[l] + wHs[l] @ dWs[l]) * c
    return wHs, dwHs, wg, dwg


def _deep_sum_grads_numpy(theta, state, wHs, wg, dwHs, dwg):
    """Sum the per-sample gradients into one (p,) vector: grad_W^l = wH^l^T A^{l-1} / sqrt(m_{l-1}),
    grad_v = A^L^T wg / sqrt(m_L). With tangents (dwg of size n), their tangents instead,
    which is the HVP: (dwH^l^T A^{l-1} + wH^l^T dA^{l-1}) / sqrt(m_{l-1}), (dA^L^T wg + A^L^T dwg) / sqrt(m_L)."""
    As, dAs = state[0], state[4]
    tangent = dwg.size > 0
    out = np.empty(theta.size)
    start = 0
    for l in range(len(wHs)):
        c = 1.0 / np.sqrt(As[l].shape[1])
        if tangent:
            block = (dwHs[l].T @ As[l] + wHs[l].T @ dAs[l]) * c
        else:
            block = wHs[l].T @ As[l] * c
        out[start: start + block.size] = block.ravel()
        start += block.size
    c = 1.0 / np.sqrt(As[-1].shape[1])
    if tangent:
        out[start:] = (dAs[-1].T @ wg + As[-1].T @ dwg) * c
    else:
        out[start:] = As[-1].T @ wg * c
    return out


def deep_outputs_numpy(theta, X, widths, code, out_code):
    """f(x_j) for every row, shape (n,)."""
    return _deep_forward_numpy(theta, X, widths, code, out_code, np.zeros(0))[7]


def deep_loss_numpy(theta, X, y, widths, code, out_code):
    """L = (1/(2n)) sum_j (f(x_j) - y_j)^2, a float."""
    r = _deep_forward_numpy(theta, X, widths, code, out_code, np.zeros(0))[7] - y
    return float(r @ r) / (2 * y.size)


def deep_loss_grad_numpy(theta, X, y, widths, code, out_code):
    """grad L (p,): the reverse pass from wf = r / n."""
    none = np.zeros(0)
    state = _deep_forward_numpy(theta, X, widths, code, out_code, none)
    wHs, dwHs, wg, dwg = _deep_reverse_numpy(theta, widths, state, (state[7] - y) / y.size, none, none)
    return _deep_sum_grads_numpy(theta, state, wHs, wg, dwHs, dwg)


def deep_loss_hvp_numpy(theta, X, y, vec, widths, code, out_code):
    """Exact H v (p,) for the loss: the tangent of the gradient, from wf = r / n and its
    tangent dwf = df / n, where df = o1 dg is the tangent of f."""
    state = _deep_forward_numpy(theta, X, widths, code, out_code, vec)
    wf, dwf = (state[7] - y) / y.size, state[8] * state[6] / y.size
    wHs, dwHs, wg, dwg = _deep_reverse_numpy(theta, widths, state, wf, dwf, vec)
    return _deep_sum_grads_numpy(theta, state, wHs, wg, dwHs, dwg)


def deep_output_grad_numpy(theta, x, widths, code, out_code):
    """grad_theta f(x) (p,): the reverse pass on the one-row data set x from wf = 1."""
    none = np.zeros(0)
    state = _deep_forward_numpy(theta, x.reshape(1, -1), widths, code, out_code, none)
    wHs, dwHs, wg, dwg = _deep_reverse_numpy(theta, widths, state, np.ones(1), none, none)
    return _deep_sum_grads_numpy(theta, state, wHs, wg, dwHs, dwg)


def deep_output_hvp_numpy(theta, x, vec, widths, code, out_code):
    """(Hess_theta f(x)) vec (p,): the tangent of grad f, from wf = 1 (a constant: dwf = 0)."""
    state = _deep_forward_numpy(theta, x.reshape(1, -1), widths, code, out_code, vec)
    wHs, dwHs, wg, dwg = _deep_reverse_numpy(theta, widths, state, np.ones(1), np.zeros(1), vec)
    return _deep_sum_grads_numpy(theta, state, wHs, wg, dwHs, dwg)


def deep_jacobian_numpy(theta, X, widths, code, out_code):
    """J (n, p), row j = grad_theta f(x_j): the blocks outer(wH^l_j, A^{l-1}_j) / sqrt(m_{l-1}) and
    A^L_j wg_j / sqrt(m_L), from the reverse pass with wf = 1 for every row (rows never mix)."""
    n = X.shape[0]
    none = np.zeros(0)
    state = _deep_forward_numpy(theta, X, widths, code, out_code, none)
    wHs, _, wg, _ = _deep_reverse_numpy(theta, widths, state, np.ones(n), none, none)
    As = state[0]
    blocks = [(wHs[l][:, :, None] * As[l][:, None, :]).reshape(n, -1) / np.sqrt(As[l].shape[1])
              for l in range(len(wHs))]
    blocks.append(As[-1] * (wg / np.sqrt(As[-1].shape[1]))[:, None])
    return np.concatenate(blocks, axis=1)


@njit(cache=True)
def _deep_split_numba(theta, d, widths):
    """As _deep_split_numpy."""
    Ws = []
    start, fan_in = 0, d
    for l in range(widths.size):
        m = widths[l]
        Ws.append(theta[start: start + m * fan_in].reshape(m, fan_in))
        start, fan_in = start + m * fan_in, m
    return Ws, theta[start:]


@njit(cache=True, error_model="numpy")
def _act_matrix_numba(H, code):
    """sigma, sigma', sigma'' of a matrix H (rows, cols), through the 1-D _act_derivatives_compiled."""
    s, s1, s2 = _act_derivatives_compiled(H.ravel(), code)
    return s.reshape(H.shape), s1.reshape(H.shape), s2.reshape(H.shape)


@njit(cache=True, error_model="numpy", fastmath=_FAST)
def _deep_forward_numba(theta, X, widths, code, out_code, vec):
    """As _deep_forward_numpy."""
    n, d = X.shape
    tangent = vec.size > 0
    Ws, v = _deep_split_numba(theta, d, widths)
    dWs, dv = _deep_split_numba(vec if tangent else theta, d, widths)
    As = [X.copy()]
    dAs = [np.zeros((n, d))]
    S1s, S2s, dHs = [], [], []
    for l in range(len(Ws)):
        W = Ws[l]
        c = 1.0 / math.sqrt(W.shape[1])
        H = np.dot(As[l], W.T) * c
        A, S1, S2 = _act_matrix_numba(H, code)
        As.append(A)
        S1s.append(S1)
        S2s.append(S2)
        if tangent:
            dH = (np.dot(dAs[l], W.T) + np.dot(As[l], dWs[l].T)) * c
            dHs.append(dH)
            dAs.append(S1 * dH)
        else:
            dHs.append(np.zeros((0, 0)))
            dAs.append(np.zeros((0, 0)))
    c = 1.0 / math.sqrt(v.size)
    g = np.dot(As[-1], v) * c
    dg = (np.dot(dAs[-1], v) + np.dot(As[-1], dv)) * c if tangent else np.zeros(0)
    f, o1, o2 = _act_derivatives_compiled(g, out_code)
    return As, S1s, S2s, dHs, dAs, g, dg, f, o1, o2


@njit(cache=True, error_model="numpy", fastmath=_FAST)
def _deep_reverse_numba(theta, widths, state, wf, dwf, vec):
    """As _deep_reverse_numpy."""
    As, S1s, S2s, dHs, dAs, g, dg, f, o1, o2 = state
    tangent = vec.size > 0
    Ws, v = _deep_split_numba(theta, As[0].shape[1], widths)
    dWs, dv = _deep_split_numba(vec if tangent else theta, As[0].shape[1], widths)
    wg = wf * o1
    dwg = dwf * o1 + wf * o2 * dg if tangent else np.zeros(0)
    c = 1.0 / math.sqrt(v.size)
    wA = np.outer(wg, v) * c
    dwA = (np.outer(dwg, v) + np.outer(wg, dv)) * c if tangent else np.zeros((0, 0))
    wHs = [np.zeros((0, 0)) for _ in range(len(Ws))]
    dwHs = [np.zeros((0, 0)) for _ in range(len(Ws))]
    for l in range(len(Ws) - 1, -1, -1):
        wHs[l] = wA * S1s[l]
        if tangent:
            dwHs[l] = dwA * S1s[l] + wA * S2s[l] * dHs[l]
        if l > 0:
            c = 1.0 / math.sqrt(Ws[l].shape[1])
            wA = np.dot(wHs[l], Ws[l]) * c
            if tangent:
                dwA = (np.dot(dwHs[l], Ws[l]) + np.dot(wHs[l], dWs[l])) * c
    return wHs, dwHs, wg, dwg


@njit(cache=True, error_model="numpy", fastmath=_FAST)
def _deep_sum_grads_numba(theta, state, wHs, wg, dwHs, dwg):
    """As _deep_sum_grads_numpy."""
    As, dAs = state[0], state[4]
    tangent = dwg.size > 0
    out = np.empty(theta.size)
    start = 0
    for l in range(len(wHs)):
        c = 1.0 / math.sqrt(As[l].shape[1])
        if tangent:
            block = (np.dot(dwHs[l].T, As[l]) + np.dot(wHs[l].T, dAs[l])) * c
        else:
            block = np.dot(wHs[l].T, As[l]) * c
        out[start: start + block.size] = block.ravel()
        start += block.size
    c = 1.0 / math.sqrt(As[-1].shape[1])
    if tangent:
        out[start:] = (np.dot(dAs[-1].T, wg) + np.dot(As[-1].T, dwg)) * c
    else:
        out[start:] = np.dot(As[-1].T, wg) * c
    return out


@njit(cache=True)
def _deep_numba(theta, X, y, vec, widths, code, out_code, backward, residual):
    """The compiled deep-net kernel behind the public functions below (one compiled unit).

    Returns (f (n,), out): out is empty unless ``backward``; then it is the gradient of
    sum_j w_j f(x_j) (p,) with w = (f - y) / n if ``residual`` (the loss) else w = 1 (one
    output), or, if vec has size p, that gradient's tangent along vec (the HVP).
    """
    state = _deep_forward_numba(theta, X, widths, code, out_code, vec)
    f = state[7]
    if not backward:
        return f, np.zeros(0)
    n = X.shape[0]
    if residual:
        wf = (f - y) / n
        dwf = state[8] * state[6] / n if vec.size > 0 else np.zeros(0)  # df / n, df = o1 dg
    else:
        wf, dwf = np.ones(n), np.zeros(state[6].size)
    wHs, dwHs, wg, dwg = _deep_reverse_numba(theta, widths, state, wf, dwf, vec)
    return f, _deep_sum_grads_numba(theta, state, wHs, wg, dwHs, dwg)


def deep_outputs_numba(theta, X, widths, code, out_code):
    """f(x_j) for every row, shape (n,). Twin of deep_outputs_numpy."""
    return _deep_numba(theta, X, _NO_TANGENT, _NO_TANGENT, widths, code, out_code, False, False)[0]


def deep_loss_numba(theta, X, y, widths, code, out_code):
    """L = (1/(2n)) sum_j (f(x_j) - y_j)^2. Twin of deep_loss_numpy."""
    r = deep_outputs_numba(theta, X, widths, code, out_code) - y
    return float(r @ r) / (2 * y.size)


def deep_loss_grad_numba(theta, X, y, widths, code, out_code):
    """grad L (p,). Twin of deep_loss_grad_numpy."""
    return _deep_numba(theta, X, y, _NO_TANGENT, widths, code, out_code, True, True)[1]


def deep_loss_hvp_numba(theta, X, y, vec, widths, code, out_code):
    """Exact H v (p,) for the loss. Twin of deep_loss_hvp_numpy."""
    return _deep_numba(theta, X, y, vec, widths, code, out_code, True, True)[1]


def deep_output_grad_numba(theta, x, widths, code, out_code):
    """grad_theta f(x) (p,). Twin of deep_output_grad_numpy."""
    return _deep_numba(theta, x.reshape(1, -1), _NO_TANGENT, _NO_TANGENT, widths, code, out_code, True, False)[1]


def deep_output_hvp_numba(theta, x, vec, widths, code, out_code):
    """(Hess_theta f(x)) vec (p,). Twin of deep_output_hvp_numpy."""
    return _deep_numba(theta, x.reshape(1, -1), _NO_TANGENT, vec, widths, code, out_code, True, False)[1]


@njit(cache=True)
def deep_jacobian_numba(theta, X, widths, code, out_code):
    """J (n, p), row j = grad_theta f(x_j). Twin of deep_jacobian_numpy."""
    n = X.shape[0]
    none = np.zeros(0)
    state = _deep_forward_numba(theta, X, widths, code, out_code, none)
    wHs, dwHs, wg, dwg = _deep_reverse_numba(theta, widths, state, np.ones(n), none, none)
    As = state[0]
    J = np.empty((n, theta.size))
    start = 0
    for l in range(len(wHs)):
        fan_in = As[l].shape[1]
        c = 1.0 / math.sqrt(fan_in)
        for j in range(n):
            for i in range(wHs[l].shape[1]):
                for k in range(fan_in):
                    J[j, start + i * fan_in + k] = wHs[l][j, i] * As[l][j, k] * c
        start += wHs[l].shape[1] * fan_in
    c = 1.0 / math.sqrt(As[-1].shape[1])
    for j in range(n):
        for k in range(As[-1].shape[1]):
            J[j, start + k] = As[-1][j, k] * wg[j] * c
    return J


# ---------------------------------------------------------------------------
# SGD for least squares, one (mini-)batch per step.
# ---------------------------------------------------------------------------
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
