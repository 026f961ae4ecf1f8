"""The graph itself: Tensor, backward(), no_grad, conversions, and memory.

The classic bugs of small engines are tested by name: the diamonds ``b = a + a; c = b + b``
and ``x = a + b; y = x * a`` (a node reached twice must get the *sum* of its cotangents),
a 100,000-op chain (a recursive walk would hit Python's recursion limit), backward()
twice (no silent double counting), and gradient state or graphs that leak between calls.
"""

import gc
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
import strategies as S
from minigrad.tensor import backprop


# ---------------------------------------------------------------------------
# Diamonds: a node used twice.
# ---------------------------------------------------------------------------
@given(S.bounded(S.shapes()))
def test_diamond_a_plus_a_twice_gives_four(a0):
    a = mg.Tensor(a0, requires_grad=True)
    b = a + a
    c = b + b
    c.sum().backward()
    np.testing.assert_array_equal(a.grad, np.full(a0.shape, 4.0))


@given(S.one_shape(S.bounded, S.bounded))
def test_diamond_x_times_a(arrays):
    a0, b0 = arrays
    a, b = mg.Tensor(a0, requires_grad=True), mg.Tensor(b0, requires_grad=True)
    x = a + b
    y = x * a  # y = a^2 + a b: dy/da = 2a + b, dy/db = a
    y.sum().backward()
    np.testing.assert_allclose(a.grad, 2 * a0 + b0, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(b.grad, a0)


def test_diamond_hessian():
    # f(a, b) = sum((a + b) * a): H = [[2 I, I], [I, 0]] in the packed (a, b) order.
    def f(z):
        a, b = z[:3], z[3:]
        return ((a + b) * a).sum()

    H = mg.hessian(f, np.array([0.3, -1.2, 2.0, 0.7, 0.1, -0.4]))
    I, O = np.eye(3), np.zeros((3, 3))
    np.testing.assert_array_equal(H, np.block([[2 * I, I], [I, O]]))


def test_a_leaf_used_by_many_ops_sums_all_paths():
    a = mg.Tensor(np.array([0.5, -1.5]), requires_grad=True)
    y = (a * a + mg.exp(a) - a / 2.0 + a.sum()).sum()  # dy/da_i = 2 a_i + exp(a_i) - 1/2 + 2
    y.backward()
    np.testing.assert_allclose(a.grad, 2 * a.data + np.exp(a.data) - 0.5 + 2.0, rtol=1e-15)


# ---------------------------------------------------------------------------
# Deep graphs.
# ---------------------------------------------------------------------------
def test_a_chain_of_100000_ops_backpropagates_without_recursion():
    limit = sys.getrecursionlimit()
    a = mg.Tensor(0.5, requires_grad=True)
    y, factor = a, 1.00001
    for _ in range(50_000):  # 100,000 ops: a multiply and an add per step
        y = y * factor + 0.001
    y.backward()  # d y / d a = factor ** 50000
    np.testing.assert_allclose(a.grad, factor ** 50_000, rtol=1e-9)
    assert sys.getrecursionlimit() == limit  # the engine did not raise the limit to get through


def test_a_deep_chain_has_the_right_hvp():
    # f = sin applied 2,000 times: exercises the iterative walk on the doubled graph of an HVP.
    def f(x):
        for _ in range(2_000):
            x = mg.sin(x)
        return x.sum()

    x0, v = np.array([0.7]), np.array([1.0])
    assert mg.check.check_hvp(f, x0, v) < 1e-6


# ---------------------------------------------------------------------------
# backward() twice.
# ---------------------------------------------------------------------------
def small_graph():
    x = mg.Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    y = (mg.tanh(x) * x).sum()
    expected = np.tanh(x.data) + x.data * (1 - np.tanh(x.data) ** 2)
    return x, y, expected


def test_backward_twice_without_retain_graph_raises():
    x, y, expected = small_graph()
    y.backward()
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_twice_with_retain_graph_does_not_double_count():
    x, y, expected = small_graph()
    y.backward(retain_graph=True)
    first = x.grad
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)
    np.testing.assert_array_equal(x.grad, first)


def test_backward_with_accumulate_adds_into_a_new_array():
    x, y, expected = small_graph()
    y.backward(retain_graph=True)
    first = x.grad
    y.backward(accumulate=True)
    np.testing.assert_allclose(x.grad, 2 * expected, rtol=1e-14)
    assert x.grad is not first
    np.testing.assert_allclose(first, expected, rtol=1e-14)  # never += into an array handed out


def test_zero_grad_forgets():
    x, y, _ = small_graph()
    y.backward()
    x.zero_grad()
    assert x.grad is None


def test_backward_with_create_graph_stores_a_plain_array():
    x, y, expected = small_graph()
    y.backward(create_graph=True)
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, expected, rtol=1e-14)


# ---------------------------------------------------------------------------
# Seeds.
# ---------------------------------------------------------------------------
def test_non_scalar_backward_without_seed_raises():
    x = mg.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2,\).*seed="):
        (x * 3.0).backward()


def test_seed_of_the_wrong_shape_raises():
    x = mg.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"seed has shape \(3,\), but the output has shape \(2,\)"):
        (x * 3.0).backward(np.ones(3))
    with pytest.raises(ValueError, match=r"seed has shape \(1, 2\), but the output has shape \(2,\)"):
        (x * 3.0).backward(np.ones((1, 2)))  # not silently broadcast


@given(S.one_shape(S.bounded, S.bounded, shape_strategy=S.shapes(min_dims=1)))
def test_seeded_backward_is_a_vector_jacobian_product(arrays):
    x0, seed = arrays
    x = mg.Tensor(x0, requires_grad=True)
    mg.sin(x).backward(seed)  # J = diag(cos x): J^T seed = cos(x) * seed
    np.testing.assert_allclose(x.grad, np.cos(x0) * seed, rtol=1e-15, atol=0)


def test_backprop_gives_zeros_for_inputs_not_reached():
    x = mg.Tensor(np.ones(2), requires_grad=True)
    unused = mg.Tensor(np.ones((3, 2)), requires_grad=True)
    gx, gu = backprop((x * x).sum(), [x, unused])
    np.testing.assert_array_equal(gx.data, [2.0, 2.0])
    np.testing.assert_array_equal(gu.data, np.zeros((3, 2)))


# ---------------------------------------------------------------------------
# What gets recorded, and where gradients go.
# ---------------------------------------------------------------------------
def test_no_grad_records_nothing_and_restores_grad_mode():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert mg.is_grad_enabled()
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = (x * x).sum()
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert x.grad is None
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            1 / 0
    assert mg.is_grad_enabled()  # restored even after an exception


def test_gradients_go_to_leaves_only():
    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    c = mg.Tensor(np.array([3.0, 4.0]))  # a constant: requires_grad=False
    h = x * c
    y = mg.exp(h).sum()
    y.backward()
    np.testing.assert_allclose(x.grad, c.data * np.exp(x.data * c.data), rtol=1e-15)
    assert h.grad is None and y.grad is None  # intermediate nodes keep no gradient
    assert c.grad is None and not h.is_leaf and x.is_leaf


# ---------------------------------------------------------------------------
# Operators, with numpy arrays and Python numbers on either side.
# ---------------------------------------------------------------------------
OPERATORS = {
    "+": (lambda a, b: a + b, lambda a, b: (np.ones_like(a), np.ones_like(b))),
    "-": (lambda a, b: a - b, lambda a, b: (np.ones_like(a), -np.ones_like(b))),
    "*": (lambda a, b: a * b, lambda a, b: (b, a)),
    "/": (lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
}


@pytest.mark.parametrize("symbol", OPERATORS)
@pytest.mark.parametrize("tensor_side", ["left", "right", "both"])
def test_operators_mix_tensors_and_ndarrays(symbol, tensor_side):
    apply, partials = OPERATORS[symbol]
    a0, b0 = np.array([1.5, -2.0, 0.5]), np.array([0.7, 1.3, -2.5])
    a = mg.Tensor(a0, requires_grad=True) if tensor_side in ("left", "both") else a0
    b = mg.Tensor(b0, requires_grad=True) if tensor_side in ("right", "both") else b0
    y = apply(a, b)
    assert isinstance(y, mg.Tensor), f"ndarray {symbol} Tensor gave a {type(y).__name__}"
    np.testing.assert_allclose(y.data, apply(a0, b0), rtol=1e-15)
    y.sum().backward()
    da, db = partials(a0, b0)
    if isinstance(a, mg.Tensor):
        np.testing.assert_allclose(a.grad, da, rtol=1e-15)
    if isinstance(b, mg.Tensor):
        np.testing.assert_allclose(b.grad, db, rtol=1e-15)


def test_matmul_operator_with_an_ndarray_on_either_side():
    A = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    x = mg.Tensor(np.array([0.3, -0.7]), requires_grad=True)
    y = A @ x
    assert isinstance(y, mg.Tensor)
    np.testing.assert_allclose(y.data, A @ x.data, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, A.sum(axis=0), rtol=1e-15)
    z = mg.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (z @ A).sum().backward()
    np.testing.assert_allclose(z.grad, A.sum(axis=1), rtol=1e-15)


def test_python_numbers_and_unary_operators():
    x = mg.Tensor(np.array([2.0, -1.0]), requires_grad=True)
    y = (3.0 - x) * 2 + 1 / x + (-x) ** 2
    np.testing.assert_allclose(y.data, (3 - x.data) * 2 + 1 / x.data + x.data**2, rtol=1e-15)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, -2.0 - 1 / x.data**2 + 2 * x.data, rtol=1e-15)


def test_method_forms_equal_the_functions():
    x0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    x = mg.Tensor(x0)
    np.testing.assert_allclose(x.sum(axis=0).data, x0.sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(x.mean().data, x0.mean(), rtol=1e-15)
    np.testing.assert_array_equal(x.reshape(3, 2).data, x0.reshape(3, 2))
    np.testing.assert_array_equal(x.reshape((6,)).data, x0.reshape(6))
    np.testing.assert_array_equal(x.T.data, x0.T)
    np.testing.assert_array_equal(x.transpose((1, 0)).data, x0.T)
    np.testing.assert_array_equal(x[1, ::-1].data, x0[1, ::-1])
    for name, reference in (("exp", np.exp), ("tanh", np.tanh), ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
                            ("relu", lambda v: np.maximum(v, 0.0))):
        np.testing.assert_allclose(getattr(x, name)().data, reference(x0), rtol=1e-15)
    np.testing.assert_allclose(mg.Tensor(np.abs(x0)).log().data, np.log(np.abs(x0)), rtol=1e-15)
    assert (x.shape, x.ndim, x.size, len(x)) == ((2, 3), 2, 6, 2)
    assert mg.Tensor(np.array([[2.5]])).item() == 2.5
    # the methods and operators numpy users reach for
    np.testing.assert_array_equal(abs(x).data, np.abs(x0))
    np.testing.assert_array_equal(x.abs().data, np.abs(x0))
    np.testing.assert_array_equal(abs(x).sqrt().data, np.sqrt(np.abs(x0)))
    np.testing.assert_array_equal(x.max().data, x0.max())
    np.testing.assert_array_equal(x.min(axis=1, keepdims=True).data, x0.min(axis=1, keepdims=True))
    np.testing.assert_array_equal(x.max(axis=0).data, x0.max(axis=0))
    np.testing.assert_array_equal(x.clip(-0.5, 1.0).data, x0.clip(-0.5, 1.0))
    np.testing.assert_array_equal(x.clip(lo=0.0).data, x0.clip(0.0, None))
    np.testing.assert_allclose(x.logsumexp(axis=1).data, np.log(np.exp(x0).sum(axis=1)), rtol=1e-14)


# ---------------------------------------------------------------------------
# Conversions: float64 everywhere.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [np.array([1, 2, 3]), [1, 2, 3], np.array([True, False]), 7,
                                   np.array([1.5, 2.5], dtype=np.float32), np.uint8(3)])
def test_int_bool_and_float32_inputs_become_float64(value):
    t = mg.Tensor(value)
    assert type(t.data) is np.ndarray and t.data.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(value, dtype=np.float64))


def test_tensor_copies_its_input():
    x0 = np.array([1.0, 2.0])
    t = mg.Tensor(x0)
    x0[0] = 99.0
    assert t.data[0] == 1.0
    out = t.numpy()
    out[1] = -5.0
    assert t.data[1] == 2.0


@pytest.mark.parametrize("value, dtype", [(np.array([1 + 2j]), "complex128"),
                                          (np.array([1.0, None], dtype=object), "object"),
                                          (np.array(["a", "b"]), "<U1")])
def test_complex_object_and_string_arrays_are_refused(value, dtype):
    with pytest.raises(TypeError, match=f"expected real numbers .*dtype {dtype}"):
        mg.Tensor(value)
    with pytest.raises(TypeError, match=f"dtype {dtype}"):
        mg.Tensor(np.ones(1)) + value


@pytest.mark.parametrize("op", [mg.exp, mg.tanh, mg.sin, mg.neg, lambda t: t * t, lambda t: t + 1.0,
                                lambda t: t.sum(), lambda t: mg.reshape(t, ()), lambda t: t ** 2],
                         ids=["exp", "tanh", "sin", "neg", "mul", "add", "sum", "reshape", "pow"])
def test_op_results_on_0d_inputs_are_0d_ndarrays(op):
    # Tensor.data is documented as "a float64 numpy.ndarray (0-d for scalars)". numpy's
    # ufuncs return a numpy scalar (np.float64) for 0-d input; the engine must keep an array.
    out = op(mg.Tensor(0.5, requires_grad=True))
    assert type(out.data) is np.ndarray, f"data is a {type(out.data).__name__}, not a 0-d ndarray"
    assert out.data.shape == () and out.data.dtype == np.float64


# ---------------------------------------------------------------------------
# Memory and fresh results.
# ---------------------------------------------------------------------------
RNG = np.random.default_rng(11)
X_DATA, Y_DATA = RNG.standard_normal((6, 2)), RNG.standard_normal(6)


def small_net_loss(theta):
    """Mean squared error of a 2 -> 4 -> 1 tanh network; theta (12,) = [W (4, 2), v (4,)]."""
    W, v = theta[:8].reshape(4, 2), theta[8:]
    out = mg.tanh(X_DATA @ W.T) @ v / 2.0
    return ((out - Y_DATA) ** 2).mean()


def traced_growth(call, warmup, repeats):
    """Bytes still allocated after ``repeats`` more calls than after ``warmup`` calls.

    Cyclic garbage is collected before each reading: it is freed eventually, so it is
    churn, not growth; what survives gc.collect() is held by a live reference (a leak).
    """
    tracemalloc.start()
    try:
        for _ in range(warmup):
            call()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(repeats):
            call()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before


def test_repeated_grad_calls_do_not_grow_memory():
    theta0 = np.random.default_rng(3).standard_normal(12)
    grad = mg.grad(small_net_loss)
    growth = traced_growth(lambda: grad(theta0), warmup=100, repeats=1_000)
    # A retained graph costs tens of kB per call (~10 MB over 1,000 calls); caches of numpy
    # (e.g. for broadcast shapes) fill up during warm-up and then stay put.
    assert growth < 200_000, f"memory grew by {growth} bytes over 1,000 mg.grad calls"


def test_repeated_hvp_calls_do_not_grow_memory():
    theta0, v = np.random.default_rng(4).standard_normal((2, 12))
    growth = traced_growth(lambda: mg.hvp(small_net_loss, theta0, v), warmup=50, repeats=300)
    assert growth < 200_000, f"memory grew by {growth} bytes over 300 mg.hvp calls"


def test_grad_and_hvp_return_fresh_arrays_and_leave_x0_alone():
    theta0, v = np.random.default_rng(5).standard_normal((2, 12))
    theta_copy, v_copy = theta0.copy(), v.copy()
    grad = mg.grad(small_net_loss)
    g1 = grad(theta0)
    expected = g1.copy()
    g1[:] = 123.0  # mutating a result ...
    np.testing.assert_array_equal(grad(theta0), expected)  # ... does not change the next one
    h1 = mg.hvp(small_net_loss, theta0, v)
    expected_h = h1.copy()
    h1 *= -7.0
    np.testing.assert_array_equal(mg.hvp(small_net_loss, theta0, v), expected_h)
    value, g2 = mg.value_and_grad(small_net_loss)(theta0)
    g2[:] = 0.0
    np.testing.assert_array_equal(mg.value_and_grad(small_net_loss)(theta0)[1], expected)
    np.testing.assert_array_equal(theta0, theta_copy)
    np.testing.assert_array_equal(v, v_copy)
    assert not np.shares_memory(grad(theta0), theta0)
