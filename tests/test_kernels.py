"""Every numba kernel against its numpy twin, and the twins against independent references.

Sizes are tiny: what is under test is the arithmetic, not the speed. The first call of
each numba kernel compiles it (a few seconds, cached on disk afterwards). To step through
a kernel in a debugger, run the tests with NUMBA_DISABLE_JIT=1: every @njit function then
runs as plain Python (prange as range), so breakpoints and print() work inside it.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import kernels as K
from minigrad.kernels import two_layer as TL
from minigrad import nn

CODES = sorted(K.ACTIVATION_CODES.values())
TWIN_RTOL = 1e-12


def assert_twins(numba_value, numpy_value, rtol=TWIN_RTOL, what=""):
    """max |a - b| <= rtol * max |b|: relative to the largest entry (entries that cancel to
    ~0 are compared against the scale of the result, not against themselves)."""
    a, b = np.asarray(numba_value, dtype=np.float64), np.asarray(numpy_value, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} != {b.shape}"
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    error = float(np.max(np.abs(a - b))) if b.size else 0.0
    assert error <= rtol * scale or error == 0.0, f"{what}: max error {error:.3e} vs scale {scale:.3e}"


# ---------------------------------------------------------------------------
# The fast tanh.
# ---------------------------------------------------------------------------
def test_fast_tanh_matches_numpy_over_a_wide_range():
    grids = [
        np.linspace(-50.0, 50.0, 20001),                  # includes |z| > 20, where tanh = +-1
        np.geomspace(1e-310, 40.0, 5000),                 # subnormal and tiny to saturated
        -np.geomspace(1e-310, 40.0, 5000),
        np.array([0.0, -0.0, 5e-324, -5e-324, 1e-8, 0.17328679513998632, 0.1733, 19.06, 710.0, -1e300]),
        np.random.default_rng(0).standard_normal(20000) * 3.0,
    ]
    z = np.concatenate(grids)
    got, want = K.tanh_numba(z), K.tanh_numpy(z)
    nonzero = want != 0
    assert np.all(got[~nonzero] == 0.0)
    assert np.max(np.abs(got[nonzero] - want[nonzero]) / np.abs(want[nonzero])) < 1e-14
    assert np.array_equal(np.signbit(got), np.signbit(want))  # odd, including tanh(-0) = -0


def test_fast_tanh_special_values():
    got = K.tanh_numba(np.array([np.inf, -np.inf, np.nan]))
    assert got[0] == 1.0 and got[1] == -1.0 and np.isnan(got[2])


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=True))
def test_fast_tanh_pointwise(z):
    want = np.tanh(z)
    got = K.tanh_numba(np.array([z]))[0]
    assert got == want or abs(got - want) <= 1e-14 * abs(want)


def test_fast_tanh_keeps_the_shape():
    z = np.random.default_rng(1).standard_normal((3, 4))
    assert K.tanh_numba(z).shape == (3, 4)


# ---------------------------------------------------------------------------
# sigma, sigma', sigma''.
# ---------------------------------------------------------------------------
def test_activation_codes_cover_the_activation_names():
    assert set(K.ACTIVATION_CODES) == set(nn.ACTIVATIONS)
    assert sorted(K.ACTIVATION_CODES.values()) == list(range(len(nn.ACTIVATIONS)))


@pytest.mark.parametrize("code", CODES)
def test_act_derivatives_twins(code):
    z = np.concatenate([np.linspace(-40.0, 40.0, 801), np.random.default_rng(code).standard_normal(200)])
    for part, a, b in zip("s s1 s2".split(), K.act_derivatives_numba(z, code), K.act_derivatives_numpy(z, code)):
        assert_twins(a, b, what=f"code {code}, {part}")


@pytest.mark.parametrize("name", nn.ACTIVATIONS)
def test_act_derivatives_match_the_engine(name):
    """sigma from the engine's forward; sigma' and sigma'' from its gradient and HVP of sum sigma(z)."""
    z = np.random.default_rng(3).standard_normal(50) * 3.0
    if name == "relu":
        z = z[np.abs(z) > 1e-3]  # away from the kink
    s, s1, s2 = K.act_derivatives_numpy(z, K.ACTIVATION_CODES[name])
    sigma = nn.activation(name)

    def total(t):  # sum_j sigma(z_j): its gradient is sigma'(z), its Hessian diag(sigma''(z))
        return sigma(t).sum()

    assert_twins(s, sigma(mg.Tensor(z)).data, 1e-14, "s")
    assert_twins(s1, mg.grad(total)(z), 1e-14, "s1")
    assert_twins(s2, mg.hvp(total, z, np.ones_like(z)), 1e-14, "s2")


@pytest.mark.parametrize("code", [K.TANH, K.SIGMOID, K.SOFTPLUS, K.LINEAR])
def test_act_derivatives_by_finite_differences(code):
    z = np.linspace(-6.0, 6.0, 121)
    h = 1e-5

    def value(t):
        return K.act_derivatives_numpy(t, code)

    s, s1, s2 = value(z)
    fd1 = (value(z + h)[0] - value(z - h)[0]) / (2 * h)
    fd2 = (value(z + h)[1] - value(z - h)[1]) / (2 * h)
    assert_twins(s1, fd1, 1e-8, "s1")
    assert np.max(np.abs(s2 - fd2)) <= 1e-8 * max(1.0, np.max(np.abs(s2)))


def test_act_derivatives_numba_keeps_the_shape():
    z = np.random.default_rng(2).standard_normal((3, 4)) * 3.0
    for code in CODES:
        for part, flat in zip(K.act_derivatives_numba(z, code), K.act_derivatives_numba(z.ravel(), code)):
            assert part.shape == (3, 4) and np.array_equal(part.ravel(), flat)


def test_sigmoid_slope_is_accurate_in_the_tails():
    """s' = e/(1+e)^2 keeps its digits where s (1 - s) would lose them (s ~ 1)."""
    z = np.array([30.0, -30.0, 100.0])
    s1 = K.act_derivatives_numpy(z, K.SIGMOID)[1]
    exact = np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2
    assert np.all(np.abs(s1 - exact) <= 1e-15 * exact)
    assert np.all(np.abs(K.act_derivatives_numba(z, K.SIGMOID)[1] - exact) <= 1e-15 * exact)


def test_unknown_activation_code_is_refused():
    with pytest.raises(ValueError, match="unknown activation code"):
        K.act_derivatives_numpy(np.zeros(2), 9)
    with pytest.raises(ValueError, match="unknown activation code"):
        K.act_derivatives_numba(np.zeros(2), 9)


# ---------------------------------------------------------------------------
# Networks: data drawn from a seed; shapes from hypothesis.
# ---------------------------------------------------------------------------
def _draw(rng, n, d, p):
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    theta = rng.standard_normal(p)
    vec = rng.standard_normal(p)
    return X, y, theta, vec


TWO_LAYER = ["outputs", "loss", "loss_grad", "loss_hvp", "output_grad", "output_hvp", "jacobian"]


def _two_layer_calls(X, y, theta, vec):
    x = X[0].copy()
    return {
        "outputs": (theta, X), "loss": (theta, X, y), "loss_grad": (theta, X, y),
        "loss_hvp": (theta, X, y, vec), "output_grad": (theta, x), "output_hvp": (theta, x, vec),
        "jacobian": (theta, X),
    }


@settings(max_examples=40)
@given(n=st.integers(1, 6), d=st.integers(1, 4), m=st.integers(1, 70), code=st.sampled_from(CODES),
       seed=st.integers(0, 2**31))
def test_two_layer_twins(n, d, m, code, seed):
    """m up to 70 crosses CHUNKS = 32, so both one-neuron chunks and multi-neuron chunks run."""
    calls = _two_layer_calls(*_draw(np.random.default_rng(seed), n, d, m * (d + 1)))
    for name in TWO_LAYER:
        a = getattr(K, f"two_layer_{name}_numba")(*calls[name], code)
        b = getattr(K, f"two_layer_{name}_numpy")(*calls[name], code)
        assert_twins(a, b, what=name)


@settings(max_examples=10)
@given(n=st.integers(1, 5), d=st.integers(1, 3), m=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_two_layer_numpy_twins_against_a_direct_formula(n, d, m, seed):
    """The numpy twins against formulas written out neuron by neuron and sample by sample."""
    X, y, theta, vec = _draw(np.random.default_rng(seed), n, d, m * (d + 1))
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    f = np.array([sum(v[i] * np.tanh(W[i] @ X[j]) for i in range(m)) / np.sqrt(m) for j in range(n)])
    assert_twins(K.two_layer_outputs_numpy(theta, X, K.TANH), f, 1e-14)
    loss = np.mean((f - y) ** 2) / 2
    assert abs(K.two_layer_loss_numpy(theta, X, y, K.TANH) - loss) <= 1e-14 * max(1.0, loss)
    rows = []
    for j in range(n):
        t = np.tanh(W @ X[j])
        rows.append(np.concatenate([((v * (1 - t ** 2))[:, None] * X[j][None, :]).ravel(), t]) / np.sqrt(m))
    J = np.array(rows)
    assert_twins(K.two_layer_jacobian_numpy(theta, X, K.TANH), J, 1e-14)
    assert_twins(K.two_layer_loss_grad_numpy(theta, X, y, K.TANH), J.T @ (f - y) / n, 1e-13)


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_two_layer_numba_gives_the_same_bits_whatever_the_thread_count(monkeypatch, threads):
    """Chunks are fixed (CHUNKS), not per thread, so sums are added in the same order.
    PARALLEL_MIN_WORK = 0 and a patched thread count split this small problem over 1, 2, 3
    or 7 Python threads (more than the cores: the split itself is under test)."""
    X, y, theta, vec = _draw(np.random.default_rng(5), 9, 3, 100 * 4)
    calls = _two_layer_calls(X, y, theta, vec)
    monkeypatch.setattr(TL, "PARALLEL_MIN_WORK", 10**12)
    serial = {name: getattr(K, f"two_layer_{name}_numba")(*calls[name], K.TANH) for name in TWO_LAYER}
    monkeypatch.setattr(TL, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(TL.numba, "get_num_threads", lambda: threads)
    for name in TWO_LAYER:
        many = getattr(K, f"two_layer_{name}_numba")(*calls[name], K.TANH)
        assert np.array_equal(many, serial[name]), name
        assert_twins(many, getattr(K, f"two_layer_{name}_numpy")(*calls[name], K.TANH), what=name)


def test_run_chunks_covers_every_chunk_once_with_its_own_scratch():
    seen = []

    def kernel(tag, scratch, first, last):  # a plain function stands in for a compiled loop
        seen.append((tag, scratch.shape, first, last))
        scratch[...] = first

    for threads, count in [(1, 5), (2, 5), (3, 32), (7, 4)]:
        seen.clear()
        TL._run_chunks(kernel, ("t",), count, threads, (2, 3))
        ranges = sorted((first, last) for _, _, first, last in seen)
        assert len(ranges) == min(threads, count) and all(shape == (2, 3) for _, shape, _, _ in seen)
        assert ranges[0][0] == 0 and ranges[-1][1] == count
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))  # contiguous, no overlap


def test_run_chunks_reraises_a_worker_error():
    def kernel(scratch, first, last):
        if first > 0:
            raise RuntimeError("boom in a worker")

    with pytest.raises(RuntimeError, match="boom in a worker"):
        TL._run_chunks(kernel, (), 4, 2, (1,))


def test_small_two_layer_problems_run_on_one_thread(monkeypatch):
    """Below PARALLEL_MIN_WORK = n m (d + 20) one thread; above it numba.get_num_threads()."""
    threshold = K.PARALLEL_MIN_WORK
    assert 20 * 1000 * (1 + 20) < threshold <= 64 * 1000 * (3 + 20)  # the two sizes below
    monkeypatch.setattr(TL.numba, "get_num_threads", lambda: 5)
    assert TL._threads(20, 1000, 1) == 1
    assert TL._threads(64, 1000, 3) == 5
    used = []
    real = TL._run_chunks
    monkeypatch.setattr(TL, "_run_chunks", lambda k, a, c, threads, s: used.append(threads) or real(k, a, c, threads, s))
    X, y, theta, vec = _draw(np.random.default_rng(6), 20, 1, 1000 * 2)
    K.two_layer_loss_hvp_numba(theta, X, y, vec, K.TANH)
    assert used == [1, 1]  # pass 1 and pass 2


def test_numba_kernels_allocate_nothing_that_tracemalloc_cannot_see(monkeypatch):
    """The benchmark measures the numba backend's memory with tracemalloc, which sees numpy's
    allocations only: the compiled loops must allocate no arrays themselves. NRT's counter
    counts one allocation per array passed in (its small MemInfo header) and one per array
    made inside compiled code; so the count must equal the arrays passed in."""
    from numba.core.runtime import _nrt_python, rtsys

    passed = []
    real = TL._run_chunks

    def counting(kernel, args, count, threads, scratch_shape):
        passed.append(sum(isinstance(a, np.ndarray) for a in args) + 1)  # + the scratch block
        return real(kernel, args, count, 1, scratch_shape)  # one thread: one call per pass

    monkeypatch.setattr(TL, "_run_chunks", counting)
    X, y, theta, vec = _draw(np.random.default_rng(8), 16, 3, 50 * 4)
    calls = _two_layer_calls(X, y, theta, vec)
    _nrt_python.memsys_enable_stats()  # NRT's allocation counters (off by default)
    try:
        for name in TWO_LAYER:
            kernel = getattr(K, f"two_layer_{name}_numba")
            kernel(*calls[name], K.TANH)  # compile first
            passed.clear()
            before = rtsys.get_allocation_stats().alloc
            kernel(*calls[name], K.TANH)
            assert rtsys.get_allocation_stats().alloc - before == sum(passed), name
        before = rtsys.get_allocation_stats().alloc
        K.tanh_numba(np.ones(3))  # the counter sees allocations inside: this one makes its result
        assert rtsys.get_allocation_stats().alloc - before > 1
    finally:
        _nrt_python.memsys_disable_stats()


@settings(max_examples=25)
@given(n=st.integers(1, 6), d=st.integers(1, 4), m=st.integers(1, 40), chunk=st.integers(1, 17),
       code=st.sampled_from(CODES), seed=st.integers(0, 2**31))
def test_two_layer_chunked_reference_matches_the_plain_twin(n, d, m, chunk, code, seed):
    """The benchmark's reference at m = 10^6 (blocks of neurons) against the plain twin at
    small m, with blocks from 1 neuron to more than m (one block)."""
    X, y, theta, vec = _draw(np.random.default_rng(seed), n, d, m * (d + 1))
    assert_twins(K.two_layer_outputs_chunked_numpy(theta, X, code, chunk), K.two_layer_outputs_numpy(theta, X, code))
    assert abs(K.two_layer_loss_chunked_numpy(theta, X, y, code, chunk)
               - K.two_layer_loss_numpy(theta, X, y, code)) <= 1e-12 * K.two_layer_loss_numpy(theta, X, y, code)
    assert_twins(K.two_layer_loss_grad_chunked_numpy(theta, X, y, code, chunk),
                 K.two_layer_loss_grad_numpy(theta, X, y, code), what="grad")
    assert_twins(K.two_layer_loss_hvp_chunked_numpy(theta, X, y, vec, code, chunk),
                 K.two_layer_loss_hvp_numpy(theta, X, y, vec, code), what="hvp")


def test_two_layer_chunked_reference_uses_blocks_of_neurons(monkeypatch):
    """Memory O(n * chunk): no activation array wider than ``chunk`` neurons is ever made."""
    widest = []
    real = TL.act_derivatives_numpy

    def spy(z, code):
        widest.append(z.shape[1])
        return real(z, code)

    monkeypatch.setattr(TL, "act_derivatives_numpy", spy)
    X, y, theta, vec = _draw(np.random.default_rng(9), 5, 2, 50 * 3)
    K.two_layer_loss_hvp_chunked_numpy(theta, X, y, vec, K.TANH, chunk=8)
    assert max(widest) == 8 and sum(widest) == 2 * 50  # pass 1 and pass 2 each see every neuron once


def test_tanh_flop_count_matches_the_source():
    """TANH_FLOPS (used for GFLOP/s) is the +, -, *, / of _tanh_scalar as written: count them."""
    import ast
    import inspect
    import textwrap

    from minigrad.kernels import activations

    tree = ast.parse(textwrap.dedent(inspect.getsource(activations._tanh_scalar.py_func)))
    arithmetic = (ast.Add, ast.Sub, ast.Mult, ast.Div)
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, arithmetic):
            constant = not any(isinstance(leaf, ast.Name) for leaf in ast.walk(node))
            count += not constant  # 1.0 / 6227020800.0 and 1.0 - 2.0 ** -8 fold at compile time
    # Counted: the float products in ``scale`` (each factor is 1 - c * bit, bit an int made
    # float). Not counted: abs, floor, the comparisons, copysign, the int shifts and ands.
    assert count == K.TANH_FLOPS
    assert K.FLOPS_PER_PAIR["loss"](10) == 76 and K.FLOPS_PER_PAIR["hvp"](10) == 234


# ---------------------------------------------------------------------------
# SGD for least squares.
# ---------------------------------------------------------------------------
def _sgd_pure_python(A, y, w0, lrs, batches):
    """The update rule with Python floats and lists only: the reference for both twins."""
    n, p = len(A), len(w0)
    w = [float(c) for c in w0]

    def loss(w):
        return sum((sum(A[i][k] * w[k] for k in range(p)) - y[i]) ** 2 for i in range(n)) / (2 * n)

    losses = []
    for t, batch in enumerate(batches):
        losses.append(loss(w))
        step = [0.0] * p
        for i in batch:
            residual = sum(A[i][k] * w[k] for k in range(p)) - y[i]
            for k in range(p):
                step[k] += residual * A[i][k]
        w = [w[k] - lrs[t] * step[k] / len(batch) for k in range(p)]
    losses.append(loss(w))
    return np.array(w), np.array(losses)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_sgd_matches_a_pure_python_loop_step_for_step(batch_size):
    rng = np.random.default_rng(7)
    n, p, T = 12, 4, 60
    A, y, w0 = rng.standard_normal((n, p)), rng.standard_normal(n), rng.standard_normal(p)
    lrs = 0.1 / (1.0 + 0.05 * np.arange(T))
    batches = rng.integers(0, n, size=(T, batch_size))  # with replacement: repeats count twice
    w_ref, losses_ref = _sgd_pure_python(A.tolist(), y.tolist(), w0, lrs.tolist(), batches.tolist())
    for sgd in (K.sgd_least_squares_numpy, K.sgd_least_squares_numba):
        w, losses = sgd(A, y, w0, lrs, batches)
        assert losses.shape == (T + 1,)
        np.testing.assert_allclose(losses, losses_ref, rtol=1e-12, atol=0)
        np.testing.assert_allclose(w, w_ref, rtol=1e-12, atol=1e-14)
    assert losses[-1] < losses[0]  # it learned something: the comparison is not of two no-ops


def test_sgd_does_not_write_into_w0_and_full_batch_gd_converges():
    rng = np.random.default_rng(8)
    n, p, T = 10, 3, 400
    A, y = rng.standard_normal((n, p)), rng.standard_normal(n)
    w0 = np.zeros(p)
    batches = np.tile(np.arange(n), (T, 1))  # every row every step: plain gradient descent
    lr = 1.0 / np.linalg.eigvalsh(A.T @ A / n).max()
    w, losses = K.sgd_least_squares_numba(A, y, w0, np.full(T, lr), batches)
    assert np.all(w0 == 0.0)
    w_star = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(w, w_star, rtol=1e-8)
    assert np.all(np.diff(losses) <= 1e-15)  # GD with lr <= 1/lambda_max never increases L
