"""TwoLayerNet and DeepNet: three backends that agree, derivatives that match finite
differences, the block-diagonal output Hessian (slides, Observation 2), and clear errors.

Data are drawn from a seed that hypothesis picks; shapes are tiny.
"""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.check import directional_difference, relative_error

BACKENDS_RTOL = 1e-10
SMOOTH = ["tanh", "sigmoid", "softplus", "linear"]


def assert_close(a, b, rtol, what=""):
    """max |a - b| <= rtol * max |b| (relative to the largest entry)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} != {b.shape}"
    scale = float(np.max(np.abs(b)))
    error = float(np.max(np.abs(a - b)))
    assert error <= rtol * scale or error == 0.0, f"{what}: max error {error:.3e} vs scale {scale:.3e}"


def data(net, n, seed):
    """X (n, d), y (n,), theta (p,) from init, v (p,), x (d,), all from one seed."""
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, net.d)), rng.standard_normal(n)
    return X, y, net.init(rng), rng.standard_normal(net.num_params), rng.standard_normal(net.d)


def all_methods(net, theta, X, y, v, x, backend):
    return {
        "loss": net.loss(theta, X, y, backend=backend),
        "loss_grad": net.loss_grad(theta, X, y, backend=backend),
        "loss_hvp": net.loss_hvp(theta, X, y, v, backend=backend),
        "output": net.output(theta, x, backend=backend),
        "output_grad": net.output_grad(theta, x, backend=backend),
        "output_hvp": net.output_hvp(theta, x, v, backend=backend),
        "jacobian": net.jacobian(theta, X, backend=backend),
    }


def assert_backends_agree(net, n, seed):
    X, y, theta, v, x = data(net, n, seed)
    engine = all_methods(net, theta, X, y, v, x, "engine")
    assert isinstance(engine["loss"], float) and isinstance(engine["output"], float)
    assert engine["loss_grad"].shape == engine["loss_hvp"].shape == (net.num_params,)
    assert engine["jacobian"].shape == (n, net.num_params)
    assert net.backends == (nn.BACKENDS if isinstance(net, nn.TwoLayerNet) else ("engine", "numpy"))
    for backend in net.backends[1:]:
        other = all_methods(net, theta, X, y, v, x, backend)
        for name, value in other.items():
            assert_close(value, engine[name], BACKENDS_RTOL, f"{net} {backend} {name}")


# ---------------------------------------------------------------------------
# The three backends agree.
# ---------------------------------------------------------------------------
@settings(max_examples=30)
@given(n=st.integers(1, 6), d=st.integers(1, 4), m=st.integers(1, 40),
       activation=st.sampled_from(nn.ACTIVATIONS), seed=st.integers(0, 2**31))
def test_two_layer_backends_agree(n, d, m, activation, seed):
    assert_backends_agree(nn.TwoLayerNet(d, m, activation), n, seed)


@settings(max_examples=30)
@given(n=st.integers(1, 5), d=st.integers(1, 4), widths=st.lists(st.integers(1, 6), min_size=1, max_size=3),
       activation=st.sampled_from(nn.ACTIVATIONS), output_activation=st.sampled_from(["linear", "tanh", "sigmoid"]),
       seed=st.integers(0, 2**31))
def test_deep_backends_agree(n, d, widths, activation, output_activation, seed):
    assert_backends_agree(nn.DeepNet(d, widths, activation, output_activation), n, seed)


# ---------------------------------------------------------------------------
# The engine backend against finite differences.
# ---------------------------------------------------------------------------
def _nets(d, m, activation):
    return [nn.TwoLayerNet(d, m, activation), nn.DeepNet(d, [m, m], activation, "linear"),
            nn.DeepNet(d, [m], activation, "tanh")]


def _away_from_relu_kinks(net, theta, X, margin=1e-2):
    """Every relu pre-activation at least ``margin`` from 0 (finite differences step ~1e-4)."""
    if isinstance(net, nn.TwoLayerNet):
        return np.min(np.abs(X @ net.unflatten(theta)[0].T)) >= margin
    A = X
    for W in net.unflatten(theta)[:-1]:
        Z = A @ W.T / np.sqrt(W.shape[1])
        if np.min(np.abs(Z)) < margin:
            return False
        A = np.maximum(Z, 0)
    return True


@settings(max_examples=20)
@given(n=st.integers(1, 4), d=st.integers(1, 3), m=st.integers(1, 5),
       activation=st.sampled_from(nn.ACTIVATIONS), seed=st.integers(0, 2**31))
def test_engine_loss_derivatives_match_finite_differences(n, d, m, activation, seed):
    for net in _nets(d, m, activation):
        X, y, theta, v, _ = data(net, n, seed)
        if activation == "relu":
            assume(_away_from_relu_kinks(net, theta, X))
        # the loss as a Tensor function, checked by minigrad.check
        def loss(t, net=net, X=X, y=y):
            return ((net.apply(t, X) - y) ** 2).sum() / (2 * n)

        assert mg.check.check_grad(loss, theta) < 1e-6
        assert mg.check.check_hvp(loss, theta, v / np.linalg.norm(v)) < 1e-6
        # and the public methods themselves, along a random unit direction u
        u = np.random.default_rng(seed + 1).standard_normal(theta.size)
        u /= np.linalg.norm(u)
        g = net.loss_grad(theta, X, y)
        fd = directional_difference(lambda s, net=net, X=X, y=y, theta=theta: net.loss(theta + s * u, X, y))
        assert relative_error(g @ u, fd, 1e-5 * max(1.0, net.loss(theta, X, y))) < 1e-6
        hv = net.loss_hvp(theta, X, y, u)
        fd = directional_difference(lambda s, net=net, X=X, y=y, theta=theta: u @ net.loss_grad(theta + s * u, X, y))
        assert relative_error(hv @ u, fd, 1e-5 * max(1.0, np.max(np.abs(g)))) < 1e-6


@settings(max_examples=15)
@given(d=st.integers(1, 3), m=st.integers(1, 5), activation=st.sampled_from(SMOOTH), seed=st.integers(0, 2**31))
def test_engine_output_derivatives_match_finite_differences(d, m, activation, seed):
    for net in _nets(d, m, activation):
        _, _, theta, v, x = data(net, 1, seed)
        def out(t, net=net, x=x):
            return net.apply(t, x.reshape(1, -1)).sum()

        assert mg.check.check_grad(out, theta) < 1e-6
        assert mg.check.check_hvp(out, theta, v / np.linalg.norm(v)) < 1e-6
        assert_close(net.output_grad(theta, x), mg.grad(out)(theta), 1e-14)
        assert_close(net.output_hvp(theta, x, v), mg.hvp(out, theta, v), 1e-14)


# ---------------------------------------------------------------------------
# Observation 2: the output Hessian of the two-layer net is block-diagonal over neurons.
# ---------------------------------------------------------------------------
@settings(max_examples=15)
@given(d=st.integers(1, 3), m=st.integers(2, 4), activation=st.sampled_from(["tanh", "sigmoid", "softplus"]),
       seed=st.integers(0, 2**31))
def test_two_layer_output_hessian_is_block_diagonal(d, m, activation, seed):
    net = nn.TwoLayerNet(d, m, activation)
    _, _, theta, v, x = data(net, 1, seed)
    H = mg.hessian(lambda t: net.apply(t, x.reshape(1, -1)).sum(), theta)  # (p, p) by the engine
    W, vv = net.unflatten(theta)

    def neuron(i):  # neuron i's parameters in theta: w_i (d entries), then v_i
        return list(range(i * d, (i + 1) * d)) + [m * d + i]

    sigma = nn.activation(activation)
    for i in range(m):
        z = np.array(W[i] @ x)
        s1 = mg.grad(sigma)(z)  # sigma'(w_i . x) and sigma''(w_i . x), by the engine
        s2 = mg.hvp(sigma, z, np.array(1.0))
        block = np.zeros((d + 1, d + 1))
        block[:d, :d] = vv[i] * s2 * np.outer(x, x)
        block[:d, d] = block[d, :d] = s1 * x
        assert_close(H[np.ix_(neuron(i), neuron(i))], block / np.sqrt(m), 1e-12, f"block {i}")
        for k in range(m):
            if k != i:
                assert np.all(H[np.ix_(neuron(i), neuron(k))] == 0.0), f"block ({i}, {k}) is not zero"
    for backend in nn.BACKENDS:
        assert_close(net.output_hvp(theta, x, v, backend=backend), H @ v, 1e-12, backend)


# ---------------------------------------------------------------------------
# Parameters, init and apply.
# ---------------------------------------------------------------------------
@given(d=st.integers(1, 4), widths=st.lists(st.integers(1, 5), min_size=1, max_size=3), seed=st.integers(0, 2**31))
def test_flatten_and_unflatten_are_inverse(d, widths, seed):
    """One API shape for both nets: flatten takes what unflatten returns, and gives theta back."""
    for net in (nn.TwoLayerNet(d, widths[0]), nn.DeepNet(d, widths)):
        theta = net.init(seed)
        parts = net.unflatten(theta)
        assert np.array_equal(net.flatten(parts), theta)
        assert np.array_equal(net.flatten(list(parts)), theta)  # a list or a tuple of the arrays
        again = net.unflatten(net.flatten(parts))
        assert len(again) == len(parts) and all(np.array_equal(a, b) for a, b in zip(again, parts))
        if isinstance(net, nn.TwoLayerNet):
            assert [p.shape for p in parts] == [(net.m, d), (net.m,)]
            assert np.array_equal(net.flatten(*parts), theta)  # the older two-argument form
        else:
            fan_ins = (d,) + net.widths[:-1]
            assert [p.shape for p in parts] == [(m, f) for m, f in zip(net.widths, fan_ins)] + [(widths[-1],)]
        parts[0][...] = 0.0  # copies: writing into them leaves theta alone
        assert np.array_equal(theta, net.init(seed))


def test_unflatten_of_a_tensor_keeps_the_graph():
    net = nn.TwoLayerNet(2, 3)
    theta = net.init(0)
    g = mg.grad(lambda t: (net.unflatten(t)[0] ** 2).sum() + 3 * net.unflatten(t)[1].sum())(theta)
    assert np.array_equal(g, np.concatenate([2 * theta[:6], np.full(3, 3.0)]))
    deep = nn.DeepNet(2, [3, 2])
    theta = deep.init(1)
    g = mg.grad(lambda t: deep.unflatten(t)[1].sum())(theta)
    assert np.array_equal(g, np.concatenate([np.zeros(6), np.ones(6), np.zeros(2)]))


def test_init_draws_standard_normals_from_the_seed():
    net = nn.DeepNet(3, [4, 2])
    assert np.array_equal(net.init(11), np.random.default_rng(11).standard_normal(net.num_params))
    rng = np.random.default_rng(5)
    first, second = net.init(rng), net.init(rng)  # a Generator is advanced
    assert not np.array_equal(first, second)
    assert np.array_equal(np.concatenate([first, second]), np.random.default_rng(5).standard_normal(2 * net.num_params))
    assert nn.TwoLayerNet(3, 4).num_params == 16 and net.num_params == 3 * 4 + 4 * 2 + 2


@settings(max_examples=20)
@given(n=st.integers(1, 5), d=st.integers(1, 4), m=st.integers(1, 6),
       activation=st.sampled_from(nn.ACTIVATIONS), seed=st.integers(0, 2**31))
def test_two_layer_apply_is_the_formula(n, d, m, activation, seed):
    net = nn.TwoLayerNet(d, m, activation)
    X, _, theta, _, _ = data(net, n, seed)
    W, v = theta[: m * d].reshape(m, d), theta[m * d:]
    sigma = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0),
             "softplus": lambda z: np.log1p(np.exp(z)), "linear": lambda z: z}[activation]
    want = sigma(X @ W.T) @ v / np.sqrt(m)
    got = net.apply(theta, X)
    assert isinstance(got, np.ndarray) and got.shape == (n,)
    assert_close(got, want, 1e-13)
    as_tensor = net.apply(mg.Tensor(theta), X)
    assert isinstance(as_tensor, mg.Tensor) and np.array_equal(as_tensor.data, got)


@settings(max_examples=20)
@given(n=st.integers(1, 5), d=st.integers(1, 4), widths=st.lists(st.integers(1, 5), min_size=1, max_size=3),
       output_activation=st.sampled_from(["linear", "tanh"]), seed=st.integers(0, 2**31))
def test_deep_apply_is_the_formula(n, d, widths, output_activation, seed):
    net = nn.DeepNet(d, widths, "tanh", output_activation)
    X, _, theta, _, _ = data(net, n, seed)
    a, start, fan_in = X, 0, d  # alpha^l = tanh(W^l alpha^{l-1} / sqrt(m_{l-1})), a row per sample
    for m in widths:
        W = theta[start: start + m * fan_in].reshape(m, fan_in)
        a, start, fan_in = np.tanh(a @ W.T / np.sqrt(fan_in)), start + m * fan_in, m
    g = a @ theta[start:] / np.sqrt(fan_in)
    assert_close(net.apply(theta, X), g if output_activation == "linear" else np.tanh(g), 1e-13)


@pytest.mark.parametrize("m", [10, 4000])
def test_two_layer_output_is_order_one_at_init_whatever_the_width(m):
    """The 1/sqrt(m) scaling: at init, Var f(x) = E[v^2] E[tanh(w . x)^2] ~ 0.394 for x = e_1, any m."""
    net, x = nn.TwoLayerNet(2, m), np.array([[1.0, 0.0]])
    outputs = [net.apply(net.init(seed), x)[0] for seed in range(300)]
    expected = np.mean(np.tanh(np.random.default_rng(0).standard_normal(10**6)) ** 2)
    assert 0.7 * expected < np.var(outputs) < 1.4 * expected  # 300 draws: the variance's sd is ~8%


def test_importing_nn_does_not_import_numba():
    code = "import sys, minigrad, minigrad.nn; assert 'numba' not in sys.modules, 'numba was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# Bad input: a clear error that names what was expected and what was given.
# ---------------------------------------------------------------------------
NET = nn.TwoLayerNet(3, 5)  # p = 20
DEEP = nn.DeepNet(3, [4, 2])  # p = 3*4 + 4*2 + 2 = 22
X3, Y3, V20, x3 = np.ones((4, 3)), np.zeros(4), np.ones(20), np.ones(3)


def _call(net, method, theta=None, X=X3, y=Y3, v=None, x=x3, backend="engine"):
    theta = np.zeros(net.num_params) if theta is None else theta
    v = np.ones(net.num_params) if v is None else v
    args = {"loss": (X, y), "loss_grad": (X, y), "loss_hvp": (X, y, v), "output": (x,), "output_grad": (x,),
            "output_hvp": (x, v), "jacobian": (X,), "apply": (X,)}[method]
    if method == "apply":
        return net.apply(theta, *args)
    return getattr(net, method)(theta, *args, backend=backend)


METHODS = ["loss", "loss_grad", "loss_hvp", "output", "output_grad", "output_hvp", "jacobian", "apply"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("net", [NET, DEEP], ids=["two_layer", "deep"])
def test_wrong_theta_length(net, method):
    with pytest.raises(ValueError, match=rf"theta must have shape \({net.num_params},\).*got shape \(19,\)"):
        _call(net, method, theta=np.zeros(19))
    p = net.num_params
    with pytest.raises(ValueError, match=rf"theta must have shape \({p},\).*got shape \(1, {p}\)"):
        _call(net, method, theta=np.zeros((1, net.num_params)))


def test_wrong_theta_length_message_counts_the_parameters():
    with pytest.raises(ValueError, match=r"m\*d \+ m = 5\*3 \+ 5"):
        NET.loss(np.zeros(19), X3, Y3)
    with pytest.raises(ValueError, match=r"4\*3 \+ 2\*4 \+ 2"):
        DEEP.unflatten(np.zeros(21))
    with pytest.raises(ValueError, match=r"theta must have shape \(20,\).*got shape \(21,\)"):
        NET.apply(mg.Tensor(np.zeros(21)), X3)


@pytest.mark.parametrize("method", ["loss", "loss_grad", "loss_hvp", "jacobian", "apply"])
def test_X_must_be_2d_with_d_columns(method):
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(n, 3\).*got shape \(3,\).*reshape"):
        _call(NET, method, X=np.ones(3))
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(n, 3\).*got shape \(4, 2\)"):
        _call(NET, method, X=np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(n, 3\).*got shape \(2, 4, 3\)"):
        _call(DEEP, method, X=np.ones((2, 4, 3)))


@pytest.mark.parametrize("method", ["loss", "loss_grad", "loss_hvp", "jacobian", "apply"])
def test_empty_data_set(method):
    with pytest.raises(ValueError, match=r"empty data set \(n = 0\)"):
        _call(NET, method, X=np.ones((0, 3)), y=np.zeros(0))


@pytest.mark.parametrize("method", ["loss", "loss_grad", "loss_hvp"])
@pytest.mark.parametrize("backend", nn.BACKENDS)
def test_y_must_have_one_target_per_row(method, backend):
    with pytest.raises(ValueError, match=r"y must have shape \(4,\).*got shape \(4, 1\)"):
        _call(NET, method, y=np.zeros((4, 1)), backend=backend)  # no silent broadcasting to (4, 4)
    with pytest.raises(ValueError, match=r"y must have shape \(4,\).*got shape \(5,\)"):
        _call(DEEP, method, y=np.zeros(5), backend=backend)


@pytest.mark.parametrize("method", ["loss_hvp", "output_hvp"])
def test_v_must_have_the_shape_of_theta(method):
    with pytest.raises(ValueError, match=r"v must have the shape of theta, \(20,\), got shape \(19,\)"):
        _call(NET, method, v=np.ones(19))
    with pytest.raises(ValueError, match=r"v must have the shape of theta, \(22,\), got shape \(22, 1\)"):
        _call(DEEP, method, v=np.ones((22, 1)))


@pytest.mark.parametrize("method", ["output", "output_grad", "output_hvp"])
def test_x_must_be_one_input(method):
    with pytest.raises(ValueError, match=r"x must have shape \(3,\), one input, got shape \(2,\)"):
        _call(NET, method, x=np.ones(2))
    with pytest.raises(ValueError, match=r"x must have shape \(3,\).*got shape \(1, 3\).*batch"):
        _call(DEEP, method, x=np.ones((1, 3)))


def test_unknown_activation_lists_the_known_ones():
    known = "tanh, sigmoid, relu, softplus, linear"
    with pytest.raises(ValueError, match=rf"unknown activation 'gelu'; known activations: {known}"):
        nn.TwoLayerNet(2, 3, activation="gelu")
    with pytest.raises(ValueError, match=rf"unknown activation 'Tanh'; known activations: {known}"):
        nn.DeepNet(2, [3], activation="Tanh")
    with pytest.raises(ValueError, match=r"output_activation.*unknown activation 'identity'"):
        nn.DeepNet(2, [3], output_activation="identity")
    with pytest.raises(ValueError, match=rf"unknown activation 'swish'; known activations: {known}"):
        nn.activation("swish")


@pytest.mark.parametrize("method", METHODS[:-1])
def test_unknown_backend(method):
    with pytest.raises(ValueError, match=r"unknown backend 'jax'; choose one of 'engine', 'numpy', 'numba'"):
        _call(NET, method, backend="jax")
    with pytest.raises(ValueError, match=r"unknown backend 'Numba'"):
        _call(DEEP, method, backend="Numba")


@pytest.mark.parametrize("bad, error, message", [
    (0, ValueError, r"m must be an int >= 1, but got 0"),
    (-3, ValueError, r"m must be an int >= 1, but got -3"),
    (True, TypeError, r"m must be an int, but got bool True"),
    (2.0, TypeError, r"m must be an int, but got float 2.0"),
    ("4", TypeError, r"m must be an int, but got str '4'"),
])
def test_two_layer_widths_must_be_positive_ints(bad, error, message):
    with pytest.raises(error, match=message):
        nn.TwoLayerNet(2, bad)
    with pytest.raises(error, match=message.replace("m must", "d must")):
        nn.TwoLayerNet(bad, 2)


def test_deep_widths_must_be_positive_ints():
    with pytest.raises(ValueError, match=r"widths\[1\] must be an int >= 1, but got 0"):
        nn.DeepNet(2, [3, 0])
    with pytest.raises(TypeError, match=r"widths\[0\] must be an int, but got float 2.5"):
        nn.DeepNet(2, [2.5])
    with pytest.raises(TypeError, match=r"widths\[0\] must be an int, but got bool False"):
        nn.DeepNet(2, [False])
    with pytest.raises(TypeError, match=r"widths must be a sequence of positive ints such as \[100, 100\], got 5"):
        nn.DeepNet(2, 5)
    with pytest.raises(ValueError, match=r"widths is empty"):
        nn.DeepNet(2, [])
    assert nn.DeepNet(np.int64(2), (np.int32(3),)).widths == (3,)  # numpy ints are fine


def test_seed_must_be_an_int_or_a_generator():
    with pytest.raises(TypeError, match=r"seed must be an int or a numpy.random.Generator, but got NoneType None"):
        NET.init(None)
    with pytest.raises(TypeError, match=r"got float 1.5"):
        DEEP.init(1.5)


def test_flatten_checks_shapes():
    with pytest.raises(ValueError, match=r"W of shape \(5, 3\) and v of shape \(5,\), got \(3, 5\) and \(5,\)"):
        NET.flatten((np.ones((3, 5)), np.ones(5)))
    with pytest.raises(ValueError, match=r"W of shape \(5, 3\) and v of shape \(5,\), got \(3, 5\) and \(5,\)"):
        NET.flatten(np.ones((3, 5)), np.ones(5))
    with pytest.raises(ValueError, match=r"expected parts = \(W, v\), what unflatten returns, got an array of shape \(20,\)"):
        NET.flatten(np.ones(20))  # theta itself is not parts
    with pytest.raises(ValueError, match=r"expected parts = \(W, v\).*got a list of 3 items"):
        NET.flatten([np.ones((5, 3)), np.ones(5), np.ones(1)])
    with pytest.raises(ValueError, match=r"expected 3 arrays \[W\^1, ..., W\^L, v\], got 2"):
        DEEP.flatten([np.ones((4, 3)), np.ones(2)])
    expected, given = r"\[\(4, 3\), \(2, 4\), \(2,\)\]", r"\[\(4, 3\), \(4, 2\), \(2,\)\]"
    with pytest.raises(ValueError, match=rf"expected shapes {expected}, got {given}"):
        DEEP.flatten([np.ones((4, 3)), np.ones((4, 2)), np.ones(2)])


@pytest.mark.parametrize("method", METHODS[:-1])
def test_deep_net_refuses_numba_and_points_at_numpy(method):
    with pytest.raises(ValueError, match=r"DeepNet has no backend='numba'.*use backend='numpy'"):
        _call(DEEP, method, backend="numba")
    assert DEEP.backends == ("engine", "numpy") and NET.backends == ("engine", "numpy", "numba")


def test_complex_data_is_refused():
    with pytest.raises(TypeError, match=r"X: expected real numbers .* dtype complex128"):
        NET.loss(np.zeros(20), np.ones((4, 3), dtype=complex), Y3)
