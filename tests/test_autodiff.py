"""The transforms (grad, value_and_grad, hvp, hessian, jacobian, jvp) against closed forms.

Closed forms are written independently in numpy: a quadratic (whose gradient and
Hessian are exact linear algebra), the Rosenbrock function (a classic, with a
tridiagonal Hessian), elementwise maps and linear maps (for Jacobians and J v).
Then the contract of every transform: float64 ndarrays of the documented shapes,
no .grad state left behind, zeros for functions that do not depend on x.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import strategies as S
from zoo import EXACT_RTOL, FD_RTOL, assert_close


# ---------------------------------------------------------------------------
# Closed forms.
# ---------------------------------------------------------------------------
@st.composite
def quadratics(draw):
    """(A (n, n) not symmetric, b (n,), x (n,), v (n,)) for f(x) = 0.5 x^T A x + b^T x."""
    n = draw(st.integers(1, 5), label="n")
    A = draw(S.bounded((n, n)), label="A")
    b, x, v = (draw(S.bounded((n,)), label=name) for name in ("b", "x", "v"))
    return A, b, x, v


def quadratic(A, b):
    return lambda x: 0.5 * (x @ (A @ x)) + b @ x


@given(quadratics())
def test_quadratic_value_grad_hvp_hessian(drawn):
    A, b, x, v = drawn
    A_sym = 0.5 * (A + A.T)  # only the symmetric part of A shapes x^T A x
    f = quadratic(A, b)
    scale = 1.0 + np.abs(A).sum() * (1.0 + np.abs(x).max() + np.abs(v).max()) + np.abs(b).sum()
    value, g = mg.value_and_grad(f)(x)
    assert isinstance(value, float)
    assert_close(value, 0.5 * x @ A @ x + b @ x, EXACT_RTOL, scale * (1.0 + np.abs(x).max()), "value")
    assert_close(g, A_sym @ x + b, EXACT_RTOL, scale, "grad = A_sym x + b")
    assert_close(mg.grad(f)(x), g, EXACT_RTOL, scale, "grad vs value_and_grad")
    assert_close(mg.hvp(f, x, v), A_sym @ v, EXACT_RTOL, scale, "hvp = A_sym v")
    assert_close(mg.hessian(f, x), A_sym, EXACT_RTOL, scale, "hessian = A_sym")


def rosenbrock(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def rosenbrock_grad(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


def rosenbrock_hessian(x):
    n = x.size
    H = np.zeros((n, n))
    i = np.arange(n - 1)
    H[i, i] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    return H


@given(S.bounded(st.integers(2, 5).map(lambda n: (n,)), bound=2.0), S.seeds())
def test_rosenbrock(x, seed):
    v = np.random.default_rng(seed).standard_normal(x.shape)
    H = rosenbrock_hessian(x)
    scale = 1.0 + np.abs(H).sum() * (1.0 + np.abs(x).max())
    assert_close(mg.grad(rosenbrock)(x), rosenbrock_grad(x), EXACT_RTOL, scale, "Rosenbrock grad")
    assert_close(mg.hessian(rosenbrock, x), H, EXACT_RTOL, scale, "Rosenbrock Hessian")
    assert_close(mg.hvp(rosenbrock, x, v), H @ v, EXACT_RTOL, scale, "Rosenbrock H v")


def test_rosenbrock_minimum():
    x = np.ones(4)
    np.testing.assert_array_equal(mg.grad(rosenbrock)(x), np.zeros(4))
    assert mg.value_and_grad(rosenbrock)(x)[0] == 0.0


def test_docstring_examples():
    np.testing.assert_array_equal(mg.grad(lambda x: (x * x).sum())(np.array([1.0, 2.0])), [2.0, 4.0])
    assert mg.value_and_grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))[0] == 5.0
    np.testing.assert_array_equal(mg.grad(lambda x: mg.tanh(x).sum())(np.zeros(3)), np.ones(3))
    np.testing.assert_array_equal(mg.hvp(lambda x: (x**3).sum(), np.array([1.0, 2.0]), np.ones(2)), [6.0, 12.0])


@given(S.bounded(S.shapes(min_dims=1)), S.seeds())
def test_elementwise_cubes_hessian_is_diagonal(x, seed):
    # f = sum(x^3 + sin x) over a matrix-shaped x: H = diag(6 x - sin x) in flattened order.
    v = np.random.default_rng(seed).standard_normal(x.shape)
    f = lambda t: (t**3 + mg.sin(t)).sum()
    H = np.diag((6.0 * x - np.sin(x)).ravel())
    assert_close(mg.hessian(f, x), H, EXACT_RTOL, 1.0 + np.abs(H).sum(), "diag Hessian")
    hv = mg.hvp(f, x, v)
    assert hv.shape == x.shape
    assert_close(hv, (6.0 * x - np.sin(x)) * v, EXACT_RTOL, 1.0 + np.abs(H).sum() * np.abs(v).max(), "H v")


@st.composite
def linear_maps(draw):
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return draw(S.bounded((m, n))), draw(S.bounded((n,))), draw(S.bounded((n,)))


@given(linear_maps())
def test_jacobian_and_jvp_of_a_tanh_layer(drawn):
    A, x, v = drawn
    f = lambda t: A @ mg.tanh(t)  # J = A diag(1 - tanh(x)^2)
    J = A * (1.0 - np.tanh(x) ** 2)
    scale = 1.0 + np.abs(A).sum() * (1.0 + np.abs(v).max())
    assert_close(mg.jacobian(f, x), J, EXACT_RTOL, scale, "jacobian")
    value, jv = mg.jvp(f, x, v)
    assert_close(value, A @ np.tanh(x), EXACT_RTOL, scale, "jvp value")
    assert_close(jv, J @ v, EXACT_RTOL, scale, "jvp = J v")


def test_jacobian_flattens_matrix_inputs_and_outputs():
    X = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 2.0]])
    B = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])
    J = mg.jacobian(lambda T: T @ B, X)  # vec(X B) = (I kron B^T) vec(X) in row-major order
    np.testing.assert_array_equal(J, np.kron(np.eye(2), B.T))
    assert mg.jacobian(lambda t: (t * t).sum(), np.array([1.0, 3.0])).shape == (1, 2)  # scalar f: one row


def composite(t):
    """An R^3 -> R^2 map mixing every kind of op: for jacobian/jvp/hessian cross-checks."""
    a = mg.sigmoid(t[0] * t[1]) + mg.exp(mg.tanh(t[2]))
    b = mg.log(mg.softplus(t).sum()) * mg.cos(t[1])
    return mg.concatenate([mg.reshape(a, (1,)), mg.reshape(b, (1,))])


@S.fewer_examples(0.5)
@given(S.bounded((3,)), S.seeds())
def test_jvp_equals_jacobian_times_v_and_finite_differences(x, seed):
    v = np.random.default_rng(seed).standard_normal(3)
    J = mg.jacobian(composite, x)
    value, jv = mg.jvp(composite, x, v)
    assert_close(jv, J @ v, EXACT_RTOL, 1.0 + np.abs(J).sum() * np.abs(v).max(), "jvp vs J v")
    with mg.no_grad():
        assert_close(value, composite(mg.Tensor(x)).data, EXACT_RTOL, 1.0, "jvp value")
    # and both equal d/dt f(x + t v), by the five-point stencil, one output at a time
    for i in range(2):
        numeric = mg.check.directional_difference(
            lambda s: float(composite(mg.Tensor(x + s * v)).data[i]))
        assert_close(jv[i], numeric, FD_RTOL, 1.0 + np.abs(J).sum() * np.abs(v).max(), f"J v [{i}] vs differences")


@S.fewer_examples(0.5)
@given(S.bounded((3,)), S.seeds())
def test_hessian_rows_are_jacobians_of_the_gradient(x, seed):
    f = lambda t: composite(t).sum()
    H = mg.hessian(f, x)
    assert_close(H, H.T, EXACT_RTOL, 1.0 + np.abs(H).sum(), "symmetric")
    # The gradient as a function R^3 -> R^3, rebuilt from the engine's own gradient graph.
    grad_as_map = lambda t: mg.backprop(f(t), [t], create_graph=True)[0]
    assert_close(mg.jacobian(grad_as_map, x), H, EXACT_RTOL, 1.0 + np.abs(H).sum(), "J(grad f) = H")


# ---------------------------------------------------------------------------
# The contract of every transform.
# ---------------------------------------------------------------------------
def f_scalar(t):
    return (mg.sin(t) * t).sum() + (t * t).mean()


def f_vector(t):
    return mg.tanh(t) * 2.0


TRANSFORMS = {
    "grad": lambda x: mg.grad(f_scalar)(x),
    "value_and_grad": lambda x: mg.value_and_grad(f_scalar)(x)[1],
    "hvp": lambda x: mg.hvp(f_scalar, x, np.ones(np.shape(x))),
    "hessian": lambda x: mg.hessian(f_scalar, x),
    "jacobian": lambda x: mg.jacobian(f_vector, x),
    "jvp_value": lambda x: mg.jvp(f_vector, x, np.ones(np.shape(x)))[0],
    "jvp": lambda x: mg.jvp(f_vector, x, np.ones(np.shape(x)))[1],
}


def expected_shape(name, x):
    x = np.asarray(x)
    return {"hessian": (x.size, x.size), "jacobian": (x.size, x.size)}.get(name, x.shape)


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("x0", [np.array([1, -2, 3]), np.array([[0.5, 1.5]], dtype=np.float32),
                                np.array([1.0, 2.0, 3.0]), [0.25, -0.5]],
                         ids=["int", "float32_matrix", "float64", "list"])
def test_transforms_return_float64_ndarrays_of_the_documented_shape(name, x0):
    out = TRANSFORMS[name](x0)
    assert type(out) is np.ndarray and out.dtype == np.float64
    assert out.shape == expected_shape(name, x0)
    # ints and float32 are converted to float64 first: same result as a float64 input
    np.testing.assert_array_equal(out, TRANSFORMS[name](np.asarray(x0, dtype=np.float64)))


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transforms_return_ndarrays_for_a_0d_input(name):
    # "x0: ndarray -> ndarray like x0" (DESIGN.md) holds for 0-d x0 too.
    out = TRANSFORMS[name](np.array(0.5))
    assert type(out) is np.ndarray, f"{name} returned a {type(out).__name__} for a 0-d x0"
    assert out.dtype == np.float64 and out.shape == expected_shape(name, np.array(0.5))


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transforms_leave_no_grad_state(name):
    W = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)  # a parameter the function closes over
    seen = []

    def f(t):
        seen.append(t)
        return (mg.sin(t) * W).sum() + (t * t * W).sum()

    def g(t):
        seen.append(t)
        return mg.tanh(t) * W

    x0 = np.array([0.1, 0.2, 0.3])
    {"grad": lambda: mg.grad(f)(x0), "value_and_grad": lambda: mg.value_and_grad(f)(x0),
     "hvp": lambda: mg.hvp(f, x0, np.ones(3)), "hessian": lambda: mg.hessian(f, x0),
     "jacobian": lambda: mg.jacobian(g, x0), "jvp_value": lambda: mg.jvp(g, x0, np.ones(3)),
     "jvp": lambda: mg.jvp(g, x0, np.ones(3))}[name]()
    assert W.grad is None, f"{name} left a .grad on a tensor f closes over"
    assert seen and all(t.grad is None for t in seen), f"{name} left a .grad on its input leaf"
    assert mg.is_grad_enabled()


UNCONNECTED = {
    "constant_tensor": lambda t: mg.Tensor(3.0),
    "constant_graph": lambda t: mg.Tensor(np.array([[2.0]])).sum(),
    "python_float": lambda t: 4.0,
    "from_t_data": lambda t: mg.Tensor(np.tanh(t.data)).sum(),  # the classic: numpy on .data
    "under_no_grad": lambda t: _under_no_grad(t),
}


def _under_no_grad(t):
    with mg.no_grad():
        return (t * t).sum()


ALL_SIX = {
    "value_and_grad": lambda f, x0, **kw: mg.grad(f, **kw)(x0),
    "value_and_grad ": lambda f, x0, **kw: mg.value_and_grad(f, **kw)(x0)[1],
    "hvp": lambda f, x0, **kw: mg.hvp(f, x0, np.ones_like(x0), **kw),
    "hessian": lambda f, x0, **kw: mg.hessian(f, x0, **kw).reshape(x0.shape * 2),
    "jacobian": lambda f, x0, **kw: mg.jacobian(f, x0, **kw).reshape(x0.shape),
    "jvp": lambda f, x0, **kw: mg.jvp(f, x0, np.ones_like(x0), **kw)[1] * np.zeros_like(x0),
}


@pytest.mark.parametrize("kind", UNCONNECTED)
@pytest.mark.parametrize("name", ALL_SIX)
def test_a_function_not_connected_to_x_is_an_error_naming_the_cause(kind, name):
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=rf"{name.strip()}: f's output does not depend on its input x.*t\.data.*"
                                         r"allow_unused=True"):
        ALL_SIX[name](UNCONNECTED[kind], x0)


@pytest.mark.parametrize("kind", UNCONNECTED)
def test_allow_unused_gives_zeros_on_purpose(kind):
    f = UNCONNECTED[kind]
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(mg.grad(f, allow_unused=True)(x0), np.zeros((2, 2)))
    np.testing.assert_array_equal(mg.value_and_grad(f, allow_unused=True)(x0)[1], np.zeros((2, 2)))
    np.testing.assert_array_equal(mg.hvp(f, x0, np.ones((2, 2)), allow_unused=True), np.zeros((2, 2)))
    np.testing.assert_array_equal(mg.hessian(f, x0, allow_unused=True), np.zeros((4, 4)))
    np.testing.assert_array_equal(mg.jacobian(f, x0, allow_unused=True), np.zeros((1, 4)))
    np.testing.assert_array_equal(mg.jvp(f, x0, np.ones((2, 2)), allow_unused=True)[1], np.zeros(()))


def test_connected_functions_with_a_zero_derivative_are_not_errors():
    # (t * 0) is connected to t: its derivative is a true zero, not a broken graph.
    f = lambda t: (t * 0.0).sum() * 0.0 + 1.0
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(mg.grad(f)(x0), np.zeros((2, 2)))
    np.testing.assert_array_equal(mg.hvp(f, x0, np.ones((2, 2))), np.zeros((2, 2)))
    np.testing.assert_array_equal(mg.jvp(f, x0, np.ones((2, 2)))[1], np.zeros(()))


def test_a_function_closing_over_another_tensor_that_needs_grad_is_still_caught():
    W = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)  # connected to W, not to x
    with pytest.raises(ValueError, match="does not depend on its input x"):
        mg.grad(lambda t: (W * mg.Tensor(t.data)).sum())(np.ones(2))
    assert W.grad is None


def test_transforms_work_even_under_no_grad():
    with mg.no_grad():
        np.testing.assert_array_equal(mg.grad(lambda t: (t * t).sum())(np.array([1.0, 2.0])), [2.0, 4.0])
        np.testing.assert_array_equal(mg.hvp(lambda t: (t**3).sum(), np.array([1.0, 2.0]), np.ones(2)), [6.0, 12.0])
        assert not mg.is_grad_enabled()


def test_linear_functions_have_zero_hessian():
    a = np.array([1.0, -2.0, 0.5])
    f = lambda t: (t * a).sum() + t[0] - 3.0 * t.mean()
    np.testing.assert_array_equal(mg.hessian(f, np.ones(3)), np.zeros((3, 3)))
    np.testing.assert_array_equal(mg.hvp(f, np.ones(3), np.array([1.0, 2.0, 3.0])), np.zeros(3))


def test_identity_jacobian_and_jvp():
    x0, v = np.array([0.5, -1.0]), np.array([3.0, 4.0])
    np.testing.assert_array_equal(mg.jacobian(lambda t: t, x0), np.eye(2))
    value, jv = mg.jvp(lambda t: t, x0, v)
    np.testing.assert_array_equal(value, x0)
    np.testing.assert_array_equal(jv, v)


# ---------------------------------------------------------------------------
# Transforms compose: called on a Tensor of an outer computation (or inside an outer
# transform) they return Tensors connected to it. Closed forms for f(x) = sin(a . x):
#   grad = cos(s) a,  H = -sin(s) a a^T,  d/dx <u, H v> = -cos(s) (a.u)(a.v) a,
#   d/dx of that contracted with w = sin(s) (a.u)(a.v)(a.w) a,   s = a . x.
# ---------------------------------------------------------------------------
@st.composite
def ridge_points(draw):
    n = draw(st.integers(1, 4), label="n")
    a, x, u, v, w = (draw(S.bounded((n,), bound=1.5), label=name) for name in "axuvw")
    return a, x, u, v, w


def ridge(a):
    return lambda t: mg.sin(t @ a)


@given(ridge_points())
def test_grad_of_hvp_is_the_third_derivative(drawn):
    a, x, u, v, _ = drawn
    s = a @ x
    third = -np.cos(s) * (a @ u) * (a @ v) * a
    scale = 1.0 + np.abs(a).sum() ** 3 * (1 + np.abs(u).max()) * (1 + np.abs(v).max())
    out = mg.grad(lambda t: (mg.hvp(ridge(a), t, v) * u).sum())(x)
    assert_close(out, third, EXACT_RTOL, scale, "grad <u, H v>")
    out = mg.grad(lambda t: (mg.hessian(ridge(a), t) * np.outer(u, v)).sum())(x)
    assert_close(out, third, EXACT_RTOL, scale, "grad <u, hessian v>")
    out = mg.grad(lambda t: mg.jvp(lambda r: (mg.grad(ridge(a))(r) * u).sum(), t, v)[1])(x)
    assert_close(out, third, EXACT_RTOL, scale, "grad of a jvp of a grad")


@given(ridge_points())
def test_three_nested_grads_and_a_fourth_derivative(drawn):
    a, x, u, v, w = drawn
    s = a @ x
    f = ridge(a)
    scale = 1.0 + np.abs(a).sum() ** 4 * (1 + np.abs(u).max()) * (1 + np.abs(v).max()) * (1 + np.abs(w).max())
    # depth 2: grad of <grad f, v> is H v
    assert_close(mg.grad(lambda t: (mg.grad(f)(t) * v).sum())(x), -np.sin(s) * (a @ v) * a, EXACT_RTOL, scale,
                 "grad of grad")
    # depth 3: three grads, the third derivative contracted with u and v
    depth3 = mg.grad(lambda t: (mg.grad(lambda r: (mg.grad(f)(r) * u).sum())(t) * v).sum())(x)
    assert_close(depth3, -np.cos(s) * (a @ u) * (a @ v) * a, EXACT_RTOL, scale, "grad of grad of grad")
    # depth 3 with an HVP in the middle: the fourth derivative contracted with u, v, w
    depth4 = mg.grad(lambda t: (mg.grad(lambda r: (mg.hvp(f, r, u) * v).sum())(t) * w).sum())(x)
    assert_close(depth4, np.sin(s) * (a @ u) * (a @ v) * (a @ w) * a, EXACT_RTOL, scale, "4th derivative")


def test_jacobian_and_value_and_grad_compose():
    a = np.array([0.5, -1.0, 2.0])
    x0 = np.array([0.3, 0.1, -0.2])
    s = a @ x0
    # d/dx sum(J(x)) for f(x) = tanh(x) * (a . x): checked against finite differences
    outer_f = lambda t: mg.jacobian(lambda r: mg.tanh(r) * (r @ a), t).sum()
    assert mg.check.check_grad(outer_f, x0) < FD_RTOL
    # value_and_grad inside returns Tensors: d/dx [f(x) * |grad f(x)|^2] for f = sin(a.x)
    def outer(t):
        value, g = mg.value_and_grad(ridge(a))(t)
        assert isinstance(value, mg.Tensor) and isinstance(g, mg.Tensor)
        return value * (g * g).sum()
    n2 = a @ a
    expected = np.cos(s) * a * np.cos(s) ** 2 * n2 + np.sin(s) * (-2.0 * np.cos(s) * np.sin(s) * n2) * a
    np.testing.assert_allclose(mg.grad(outer)(x0), expected, rtol=1e-12)


def test_inner_transform_of_a_closure_over_the_outer_variable():
    # The inner x0 is a plain array, but f closes over the outer t: the inner gradient (= t)
    # is a Tensor connected to t, so the outer derivative of sum(t * inner) is 2 t.
    x0 = np.array([1.0, -2.0])
    outer = lambda t: (t * mg.grad(lambda y: (y * t).sum())(np.ones(2))).sum()
    np.testing.assert_array_equal(mg.grad(outer)(x0), 2 * x0)


@pytest.mark.parametrize("x0", [0.7, -1.3, 2.0])
def test_no_perturbation_confusion_in_reverse_mode(x0):
    # Siskind & Pearlmutter: d/dx [x * d/dy (x + y) at y = x] = d/dx [x * 1] = 1. An engine that
    # differentiates the inner function with respect to the outer x itself gets 2.
    x = np.array(x0)
    inner = lambda t: mg.grad(lambda y: t + y)(t)
    assert mg.grad(lambda t: t * inner(t))(x) == 1.0
    # and d/dx [x * d/dy (x * y) at y = x] = d/dx [x^2] = 2x (confused: 4x)
    inner = lambda t: mg.grad(lambda y: t * y)(t)
    np.testing.assert_allclose(mg.grad(lambda t: t * inner(t))(x), 2 * x0, rtol=1e-15)


def test_a_live_tensor_input_gives_a_connected_tensor_and_plain_inputs_give_arrays():
    x = mg.Tensor(np.array([0.5, 1.0]), requires_grad=True)
    g = mg.grad(lambda t: (t ** 3).sum())(x)
    assert isinstance(g, mg.Tensor) and g.requires_grad
    g.sum().backward()  # d/dx sum(3 x^2) = 6 x: the PyTorch habit works too
    np.testing.assert_allclose(x.grad, 6 * x.data, rtol=1e-15)
    assert type(mg.grad(lambda t: (t ** 3).sum())(np.array([0.5, 1.0]))) is np.ndarray
    assert type(mg.grad(lambda t: (t ** 3).sum())(mg.Tensor([0.5, 1.0]))) is np.ndarray  # no grad: top level
    hv = mg.hvp(lambda t: (t ** 3).sum(), x, np.ones(2))
    assert isinstance(hv, mg.Tensor) and hv.requires_grad


def test_an_inner_transform_does_not_free_or_change_the_outer_graph():
    x = mg.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = mg.tanh(x) * 3.0  # an outer graph
    mg.grad(lambda t: (t * y).sum())(np.ones(2))  # top level x0, but f closes over y
    (y.sum()).backward()
    np.testing.assert_allclose(x.grad, 3 * (1 - np.tanh(x.data) ** 2), rtol=1e-15)


# ---------------------------------------------------------------------------
# Forward mode: jvp is one forward sweep carrying tangents, and it nests.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("x0", [0.7, -1.3, 2.0])
def test_no_perturbation_confusion_in_forward_mode(x0):
    # The same classic in forward mode: the inner tangent (level 2) must not be read as
    # the outer one (level 1). d/dx [x * d/dy (x + y) at y = x] = 1; with x * y: 2 x.
    x = np.array(x0)
    outer = lambda inner: mg.jvp(lambda t: t * inner(t), x, np.array(1.0))[1]
    assert outer(lambda t: mg.jvp(lambda y: t + y, t, np.array(1.0))[1]) == 1.0
    np.testing.assert_allclose(outer(lambda t: mg.jvp(lambda y: t * y, t, np.array(1.0))[1]), 2 * x0, rtol=1e-15)
    # and mixed: a forward derivative outside, a reverse one inside, and the other way round
    assert outer(lambda t: mg.grad(lambda y: t + y)(t)) == 1.0
    assert mg.grad(lambda t: t * mg.jvp(lambda y: t + y, t, np.array(1.0))[1])(x) == 1.0


@given(ridge_points())
def test_nested_forward_mode_gives_second_and_third_derivatives(drawn):
    a, x, u, v, w = drawn
    s = a @ x
    f = ridge(a)
    scale = 1.0 + np.abs(a).sum() ** 3 * (1 + np.abs(u).max()) * (1 + np.abs(v).max()) * (1 + np.abs(w).max())
    # jvp of jvp: u^T H v
    second = mg.jvp(lambda t: mg.jvp(f, t, u)[1], x, v)[1]
    assert_close(second, -np.sin(s) * (a @ u) * (a @ v), EXACT_RTOL, scale, "jvp of jvp")
    # jvp of jvp of jvp: the third derivative contracted with u, v, w
    third = mg.jvp(lambda r: mg.jvp(lambda t: mg.jvp(f, t, u)[1], r, v)[1], x, w)[1]
    assert_close(third, -np.cos(s) * (a @ u) * (a @ v) * (a @ w), EXACT_RTOL, scale, "jvp^3")
    # forward over the forward-over-reverse HVP: d/dt <u, H(x + t w) v>
    fhv = mg.jvp(lambda t: (mg.hvp(f, t, v) * u).sum(), x, w)[1]
    assert_close(fhv, -np.cos(s) * (a @ u) * (a @ v) * (a @ w), EXACT_RTOL, scale, "jvp of hvp")


@given(ridge_points())
def test_the_three_hvp_modes_agree_nested_too(drawn):
    a, x, u, v, _ = drawn
    s = a @ x
    scale = 1.0 + np.abs(a).sum() ** 3 * (1 + np.abs(u).max()) * (1 + np.abs(v).max())
    third = -np.cos(s) * (a @ u) * (a @ v) * a
    for mode in ("fwd-rev", "rev-rev", "rev-fwd"):
        assert_close(mg.hvp(ridge(a), x, v, mode=mode), -np.sin(s) * (a @ v) * a, EXACT_RTOL, scale, mode)
        out = mg.grad(lambda t: (mg.hvp(ridge(a), t, v, mode=mode) * u).sum())(x)
        assert_close(out, third, EXACT_RTOL, scale, f"grad of hvp ({mode})")


def test_jvp_docstring_example_and_a_forward_pass_that_keeps_no_graph():
    value, tangent = mg.jvp(lambda t: t ** 2, np.array([1.0, 3.0]), np.array([1.0, 0.0]))
    np.testing.assert_array_equal(value, [1.0, 9.0])
    np.testing.assert_array_equal(tangent, [2.0, 0.0])
    seen = []
    mg.jvp(lambda t: seen.append(mg.tanh(t) * t) or seen[-1], np.ones(3), np.ones(3))
    assert not seen[0].requires_grad  # top level: a forward sweep records no reverse graph


def test_forward_mode_costs_less_than_two_reverse_sweeps():
    # Deterministic work (array elements produced): one forward pass with tangents vs the old
    # route, a VJP of a VJP (a reverse sweep recorded as a graph and swept again).
    A = np.random.default_rng(0).standard_normal((50, 50))
    f = lambda t: mg.tanh(A @ mg.tanh(A @ t))
    x0, v = np.ones(50), np.ones(50)
    before = mg.op_count()[1]
    _, forward = mg.jvp(f, x0, v)
    forward_work = mg.op_count()[1] - before

    def vjp_of_vjp():
        x = mg.Tensor(x0, requires_grad=True)
        y = f(x)
        u = mg.Tensor(np.zeros(y.shape), requires_grad=True)
        (jt_u,) = mg.backprop(y, [x], u, create_graph=True)
        (jv,) = mg.backprop((jt_u * v).sum(), [u])
        return jv.data

    before = mg.op_count()[1]
    reverse = vjp_of_vjp()
    reverse_work = mg.op_count()[1] - before
    np.testing.assert_allclose(forward, reverse, rtol=1e-12)
    assert forward_work < 0.6 * reverse_work


def test_fwd_rev_hvp_does_less_work_than_rev_rev():
    net = mg.nn.TwoLayerNet(d=3, m=200, activation="tanh")
    X = np.random.default_rng(0).standard_normal((64, 3))
    y = np.sin(X[:, 0])
    theta = net.init(seed=0)
    v = np.random.default_rng(1).standard_normal(theta.size)
    loss = lambda t: net._loss_tensor(t, X, y)
    work = {}
    for mode in ("fwd-rev", "rev-rev"):
        before = mg.op_count()[1]
        work[mode] = (mg.hvp(loss, theta, v, mode=mode), mg.op_count()[1] - before)
    np.testing.assert_allclose(work["fwd-rev"][0], work["rev-rev"][0], rtol=1e-11, atol=1e-14)
    assert work["fwd-rev"][1] < work["rev-rev"][1]


def test_hvp_refuses_an_unknown_mode():
    with pytest.raises(ValueError, match=r"hvp: mode must be one of \('fwd-rev', 'rev-rev', 'rev-fwd'\), got 'fwd'"):
        mg.hvp(lambda t: (t * t).sum(), np.ones(2), np.ones(2), mode="fwd")


def test_a_jvp_rule_of_the_wrong_shape_names_the_op():
    from minigrad.tensor import as_tensor, make_node

    def bad(a):
        a = as_tensor(a)
        return make_node(a.data * 2, (a,), lambda g, out: (g * 2,), "bad_op", lambda dots, out: mg.Tensor(np.ones(5)))

    with pytest.raises(ValueError, match=r"jvp rule of op 'bad_op' returned a tangent of shape \(5,\) "
                                         r"for an output of shape \(3,\)"):
        mg.jvp(bad, np.ones(3), np.ones(3))
