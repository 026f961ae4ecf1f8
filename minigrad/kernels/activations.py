"""sigma, sigma', sigma'' of the activations, and a fast tanh: the scalar code every
two-layer kernel inlines, beside its numpy twins.

    TANH, SIGMOID, RELU, SOFTPLUS, LINEAR    integer codes (numba kernels take an int, not a name)
    tanh_numpy / tanh_numba                  tanh elementwise (numpy's own / ``_tanh_scalar``)
    act_derivatives_numpy / _numba           (sigma, sigma', sigma'') elementwise

The numba twins here exist so that tests can hold the scalar helpers that the compiled
passes inline (``_tanh_scalar``, ``_act_scalar``, ``_act_into``) against numpy, one
element at a time; no network calls them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

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
