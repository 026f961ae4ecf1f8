"""Every primitive of the zoo, and random compositions of them, against independent oracles.

For each op in ``zoo.OPS``, over hypothesis-drawn tiny shapes (broadcasting included)
and values in the op's safe domain, with f(z) = sum(w * op(inputs packed in z)):

Every derivative test differentiates the composition sum(w * sin(op(...))), so the op's
cotangent w cos(op(...)) depends on the input: a rule that detaches or ignores its
cotangent fails here, while it would pass under the constant cotangent of sum(w * op(...)).

* forward       == the numpy reference (shape, dtype float64, values);
* grad f        == central finite differences, projected (mg.check.check_grad) and
                   coordinate by coordinate (mg.check.numerical_grad), to 1e-6 relative;
* H v           == finite differences of grad f along v (mg.check.check_hvp), 1e-6;
* H             == its closed form written independently in numpy (zoo.*_hessian);
* mg.hessian    == the HVPs H e_j stacked as columns; <u, H v> = <v, H u>; H v linear in v;
* J v (forward mode, the jvp rules) == central differences (mg.check.check_jvp), and
  <u, J v> == <J^T u, v> with J^T u from the vjp rules: the two rules are transposes;
* H v by forward-over-reverse == reverse-over-reverse == reverse-over-forward.

Then the same derivative checks on random expression trees up to six ops deep.
"""

import numpy as np
import pytest
from hypothesis import assume, event, find, given, settings
from hypothesis import strategies as st

import minigrad as mg
import strategies as S
import zoo
from zoo import EXACT_RTOL, FD_RTOL, assert_close

OPS = [pytest.param(op, id=op.name) for op in zoo.OPS]
# The derivative tests cost p finite differences / p HVPs per example: fewer examples
# (25 of the CI profile's 60).
fewer_examples = S.fewer_examples(25 / 60)


# ---------------------------------------------------------------------------
# The zoo, one property per test.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", OPS)
@given(data=st.data())
def test_forward_equals_numpy_reference(op, data):
    inputs = data.draw(op.inputs, label="inputs")
    assert len(inputs) == op.arity
    expected = np.asarray(op.reference(*inputs))
    out = op.engine(*[mg.Tensor(a, requires_grad=True) for a in inputs])
    assert isinstance(out, mg.Tensor)
    assert out.shape == expected.shape, f"{op.name}: shape {out.shape}, numpy gives {expected.shape}"
    assert out.data.dtype == np.float64
    scale = 1.0 + max([0.0] + [float(np.max(np.abs(a))) for a in inputs if a.size])
    assert_close(out.data, expected, EXACT_RTOL, scale, f"{op.name} forward")
    # Recording a graph must not change the value.
    without_graph = op.engine(*[mg.Tensor(a) for a in inputs])
    np.testing.assert_array_equal(without_graph.data, out.data)


@pytest.mark.parametrize("op", OPS)
@fewer_examples
@given(data=st.data())
def test_gradient_equals_central_differences(op, data):
    case = data.draw(zoo.cases(op), label="case")
    x0 = case.x0
    assert mg.check.check_grad(case.f, x0, seed=case.seed) < FD_RTOL
    engine = mg.grad(case.f)(x0)
    numeric = mg.check.numerical_grad(case.f, x0)
    assert_close(engine, numeric, FD_RTOL, case.scale(), f"{op.name}: grad vs coordinate-wise differences")


@pytest.mark.parametrize("op", OPS)
@fewer_examples
@given(data=st.data())
def test_hvp_equals_differences_of_the_gradient(op, data):
    case = data.draw(zoo.cases(op), label="case")
    (v,) = case.directions(1)
    assert mg.check.check_hvp(case.f, case.x0, v, seed=case.seed) < FD_RTOL


@pytest.mark.parametrize("op", OPS)
@fewer_examples
@given(data=st.data())
def test_hessian_equals_closed_form(op, data):
    case = data.draw(zoo.cases(op), label="case")
    expected = op.hessian(case.inputs, case.w)
    H = mg.hessian(case.f_linear, case.x0)  # the op's own Hessian: the linear scalarization
    assert_close(H, expected, EXACT_RTOL, 1.0 + np.abs(expected).sum(), f"{op.name}: Hessian vs closed form")


def assert_hessian_consistent(f, x0, directions, what):
    """mg.hessian == stacked HVPs, H symmetric, <u, H v> = <v, H u>, H v linear in v."""
    p = x0.size
    H = mg.hessian(f, x0)
    assert H.shape == (p, p) and H.dtype == np.float64
    u, v, v2 = directions
    scale = 1.0 + np.abs(H).sum() * max(1.0, np.abs(u).max(), np.abs(v).max(), np.abs(v2).max())
    columns = np.stack([mg.hvp(f, x0, e) for e in np.eye(p)], axis=1)
    assert_close(H, columns, EXACT_RTOL, scale, f"{what}: mg.hessian vs HVPs H e_j")
    assert_close(H, H.T, EXACT_RTOL, scale, f"{what}: H symmetric")
    Hu, Hv, Hv2 = (mg.hvp(f, x0, d) for d in (u, v, v2))
    assert_close(u @ Hv, v @ Hu, EXACT_RTOL, scale, f"{what}: <u, H v> = <v, H u>")
    assert_close(mg.hvp(f, x0, 2.5 * v - 0.75 * v2), 2.5 * Hv - 0.75 * Hv2, EXACT_RTOL, scale,
                 f"{what}: H (a v + b v') = a H v + b H v'")


@pytest.mark.parametrize("op", OPS)
@fewer_examples
@given(data=st.data())
def test_hessian_is_symmetric_linear_and_equals_stacked_hvps(op, data):
    case = data.draw(zoo.cases(op), label="case")
    assert_hessian_consistent(case.f, case.x0, case.directions(3), op.name)


@pytest.mark.parametrize("op", OPS)
@S.fewer_examples(10 / 60)
@given(data=st.data())
def test_check_op_passes_every_zoo_op(op, data):
    # check_op composes the op with a random non-linear inner map and a random outer
    # sin: the tool students use on their own ops must pass every op of the engine.
    inputs = data.draw(op.inputs, label="inputs")
    seed = data.draw(S.seeds(), label="seed")
    assert mg.check.check_op(op.engine, *inputs, seed=seed) < FD_RTOL


def public_ops():
    """Every op in mg.ops.__all__ and every function minigrad exports from minigrad.ops."""
    exported = {name for name in dir(mg) if str(getattr(getattr(mg, name), "__module__", "")).startswith("minigrad.ops")}
    return sorted(set(mg.ops.__all__) | exported)


def test_every_public_op_has_a_zoo_entry():
    covered = {op.covers for op in zoo.OPS}
    missing = [name for name in public_ops() if name not in covered]
    assert not missing, f"public ops without an entry in tests/zoo.py (add one per op): {missing}"
    assert {"add", "matmul", "getitem", "sum"} <= set(public_ops())  # the listing itself works


STABLE = [pytest.param(op, id=op.name) for op in zoo.OPS if op.large is not None]


def test_the_ops_meant_to_be_stable_are_tried_at_large_magnitudes():
    names = {op.covers for op in zoo.OPS if op.large is not None}
    assert {"softplus", "sigmoid", "tanh"} <= names


@pytest.mark.parametrize("op", STABLE)
@S.fewer_examples(20 / 60)
@given(data=st.data())
def test_stable_ops_at_large_magnitudes(op, data):
    # Inputs in the hundreds and thousands, where exp overflows: value, gradient, HVP
    # and Hessian must be finite and right (exp itself is not on this list: exp(1000) = inf).
    inputs = data.draw(op.large, label="inputs")
    seed = data.draw(S.seeds(), label="seed")
    w = np.random.default_rng(seed).standard_normal(np.shape(op.reference(*inputs)))
    case = zoo.Case(op, inputs, w, seed)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow, not even in an intermediate
        value = op.engine(*[mg.Tensor(a) for a in inputs])
        expected = np.asarray(op.reference(*inputs))
        assert np.all(np.isfinite(value.data))
        assert_close(value.data, expected, EXACT_RTOL, 1.0 + np.abs(expected).max(), f"{op.name} at large inputs")
        g = mg.grad(case.f)(case.x0)
        assert np.all(np.isfinite(g))
        (v,) = case.directions(1)
        assert np.all(np.isfinite(mg.hvp(case.f, case.x0, v)))
        assert mg.check.check_grad(case.f, case.x0, seed=seed) < FD_RTOL
        assert mg.check.check_hvp(case.f, case.x0, v, seed=seed) < FD_RTOL
        expected_H = op.hessian(case.inputs, case.w)
        assert_close(mg.hessian(case.f_linear, case.x0), expected_H, EXACT_RTOL, 1.0 + np.abs(expected_H).sum(),
                     f"{op.name}: Hessian at large inputs vs closed form")


def raw_op(case):
    """z -> op(unpack(z)): the op itself, flattened input, output of the op's shape."""
    shapes = [a.shape for a in case.inputs]
    return lambda z: case.op.engine(*zoo.unpack(z, shapes))


@pytest.mark.parametrize("op", OPS)
@fewer_examples
@given(data=st.data())
def test_jvp_equals_central_differences(op, data):
    case = data.draw(zoo.cases(op), label="case")
    assert mg.check.check_jvp(raw_op(case), case.x0, seed=case.seed) < FD_RTOL
    assert mg.check.check_jvp(case.f, case.x0, seed=case.seed) < FD_RTOL


@pytest.mark.parametrize("op", OPS)
@fewer_examples
@given(data=st.data())
def test_jvp_and_vjp_rules_are_transposes(op, data):
    # <u, J v> (forward mode) == <J^T u, v> (reverse mode) for random u (output shape), v (input shape).
    case = data.draw(zoo.cases(op), label="case")
    f = raw_op(case)
    rng = np.random.default_rng(case.seed)
    v = rng.standard_normal(case.x0.shape)
    value, Jv = mg.jvp(f, case.x0, v)
    u = rng.standard_normal(np.shape(value))
    JTu = mg.grad(lambda z: (f(z) * u).sum(), allow_unused=True)(case.x0)
    scale = case.scale() * (1.0 + np.abs(u).sum()) * (1.0 + np.abs(v).sum())
    assert_close(np.sum(u * Jv), np.sum(JTu * v), EXACT_RTOL, scale, f"{op.name}: <u, J v> vs <J^T u, v>")


@pytest.mark.parametrize("op", OPS)
@fewer_examples
@given(data=st.data())
def test_the_three_hvp_modes_agree(op, data):
    case = data.draw(zoo.cases(op), label="case")
    (v,) = case.directions(1)
    fwd_rev = mg.hvp(case.f, case.x0, v)
    scale = case.scale() * (1.0 + np.abs(v).sum())
    for mode in ("rev-rev", "rev-fwd"):
        assert_close(mg.hvp(case.f, case.x0, v, mode=mode), fwd_rev, EXACT_RTOL, scale, f"{op.name}: {mode} vs fwd-rev")


# ---------------------------------------------------------------------------
# The classic broadcast pairs, every one of them, for every binary op (deterministic).
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in zoo.ELEMENTWISE_BINARY])
@pytest.mark.parametrize("shapes", S.CLASSIC_BROADCAST_PAIRS, ids=str)
def test_classic_broadcast_pairs(op, shapes):
    rng = np.random.default_rng(7)
    a = rng.uniform(-2.0, 2.0, shapes[0])
    b = rng.uniform(0.5, 2.0, shapes[1]) * rng.choice([-1.0, 1.0], shapes[1])  # a safe denominator too
    expected = op.reference(a, b)
    out = op.engine(mg.Tensor(a), mg.Tensor(b))
    assert out.shape == np.shape(expected)
    assert_close(out.data, expected, EXACT_RTOL, 1.0, f"{op.name} forward")
    w = rng.standard_normal(np.shape(expected))
    case = zoo.Case(op, (a, b), w, seed=3)
    assert mg.check.check_grad(case.f, case.x0) < FD_RTOL
    assert_close(mg.grad(case.f)(case.x0), mg.check.numerical_grad(case.f, case.x0), FD_RTOL, case.scale(),
                 f"{op.name}: grad vs coordinate-wise differences")
    assert mg.check.check_hvp(case.f, case.x0) < FD_RTOL
    expected_H = op.hessian((a, b), w)
    assert_close(mg.hessian(case.f_linear, case.x0), expected_H, EXACT_RTOL, 1.0 + np.abs(expected_H).sum(),
                 f"{op.name}: Hessian vs closed form")
    # The gradient of each input has that input's shape (broadcasting undone).
    ta, tb = mg.Tensor(a, requires_grad=True), mg.Tensor(b, requires_grad=True)
    mg.sum(op.engine(ta, tb) * w).backward()
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape


# ---------------------------------------------------------------------------
# Random compositions: expression trees up to six ops deep.
# ---------------------------------------------------------------------------
@st.composite
def compositions(draw):
    n = draw(st.integers(1, 4), label="n")
    tree = draw(S.expressions(n, zoo.COMPOSABLE_UNARY, zoo.COMPOSABLE_BINARY, max_depth=6), label="tree")
    assume(uses_x(tree))  # a tree of constants only is not connected to x: the transforms refuse it
    x0 = draw(S.bounded((n,)), label="x0")
    seed = draw(S.seeds(), label="seed")
    event(f"depth {S.tree_depth(tree)}")
    return tree, x0, seed


def uses_x(tree) -> bool:
    if tree[0] in ("unary", "binary"):
        return any(uses_x(sub) for sub in tree[2:])
    return tree[0] != "const"


def scalarized(tree, n, seed):
    """f(x) = sum(w * tree(x)) with w ~ N(0, 1) of shape (n,) (tree(x) may be a scalar: broadcast)."""
    w = np.random.default_rng(seed).standard_normal(n)
    return lambda x: mg.sum(mg.mul(zoo.evaluate(tree, x), w)), w


def test_expression_strategy_reaches_depth_six():
    tree = find(S.expressions(3, zoo.COMPOSABLE_UNARY, zoo.COMPOSABLE_BINARY, max_depth=6),
                lambda t: S.tree_depth(t) >= 6, settings=settings(database=None, max_examples=2000))
    assert S.tree_depth(tree) == 6


@S.fewer_examples(40 / 60)
@given(compositions())
def test_composition_forward_and_gradient(drawn):
    tree, x0, seed = drawn
    f, w = scalarized(tree, x0.size, seed)
    expected = np.asarray(zoo.evaluate(tree, x0, use_numpy=True))
    value = zoo.evaluate(tree, mg.Tensor(x0))
    assert value.shape == expected.shape
    assert_close(value.data, expected, EXACT_RTOL, 1.0 + np.abs(expected).max(), "composition forward")
    assert mg.check.check_grad(f, x0, seed=seed) < FD_RTOL
    scale = 1.0 + np.abs(w).sum() * (1.0 + np.abs(expected).max())
    assert_close(mg.grad(f)(x0), mg.check.numerical_grad(f, x0), FD_RTOL, scale, "composition grad")


@S.fewer_examples(40 / 60)
@given(compositions())
def test_composition_hvp(drawn):
    tree, x0, seed = drawn
    f, _ = scalarized(tree, x0.size, seed)
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(x0.shape) for _ in range(3)]
    assert mg.check.check_hvp(f, x0, directions[0], seed=seed) < FD_RTOL
    assert_hessian_consistent(f, x0, directions, "composition")
    assert mg.check.check_jvp(f, x0, seed=seed) < FD_RTOL
    assert mg.check.check_jvp(lambda t: zoo.evaluate(tree, t), x0, seed=seed) < FD_RTOL
    scale = 1.0 + np.abs(mg.hessian(f, x0)).sum() * np.abs(directions[1]).max()
    fwd_rev = mg.hvp(f, x0, directions[1])
    for mode in ("rev-rev", "rev-fwd"):
        assert_close(mg.hvp(f, x0, directions[1], mode=mode), fwd_rev, EXACT_RTOL, scale, f"composition: {mode}")


def test_transpose_accepts_negative_axes_like_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = mg.Tensor(a, requires_grad=True)
    y = mg.transpose(x, (-1, 0, -2))
    assert np.array_equal(y.data, np.transpose(a, (-1, 0, -2)))
    (y * mg.Tensor(np.transpose(a, (2, 0, 1)))).sum().backward()
    assert np.array_equal(x.grad, a)


# ---------------------------------------------------------------------------
# Kinks and ties: what the derivative is where the op is not differentiable (documented
# in each op's docstring; these tests hold the code to the docstring).
# ---------------------------------------------------------------------------
def grad_of(f, x0):
    x = mg.Tensor(np.asarray(x0, dtype=np.float64), requires_grad=True)
    f(x).backward()
    return x.grad


def test_max_and_min_split_the_gradient_evenly_among_ties():
    np.testing.assert_array_equal(grad_of(lambda t: t.max(), [1.0, 3.0, 3.0, 2.0]), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(grad_of(lambda t: t.min(), [1.0, 1.0, 1.0, 2.0]), [1 / 3, 1 / 3, 1 / 3, 0.0])
    # per slice, with axis and keepdims: each row's share sums to 1
    a = np.array([[2.0, 2.0, 0.0], [5.0, 1.0, 4.0]])
    g = grad_of(lambda t: (t.max(axis=1, keepdims=True) * np.array([[1.0], [10.0]])).sum(), a)
    np.testing.assert_array_equal(g, [[0.5, 0.5, 0.0], [10.0, 0.0, 0.0]])
    np.testing.assert_array_equal(grad_of(lambda t: t.max(axis=0).sum(), a), [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])


def test_maximum_and_minimum_split_ties_evenly():
    a, b = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True), mg.Tensor([1.0, 5.0, 0.0], requires_grad=True)
    (mg.maximum(a, b) * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0, 3.0])
    np.testing.assert_array_equal(b.grad, [0.5, 2.0, 0.0])
    mg.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad, [0.5, 0.0, 1.0])
    # maximum(x, x) = x: the two halves add back to exactly 1
    np.testing.assert_array_equal(grad_of(lambda t: mg.maximum(t, t).sum(), [1.0, -2.0]), [1.0, 1.0])


def test_clip_passes_the_gradient_on_the_bounds_and_abs_has_slope_zero_at_zero():
    np.testing.assert_array_equal(grad_of(lambda t: t.clip(-1.0, 1.0).sum(), [-2.0, -1.0, 0.0, 1.0, 2.0]),
                                  [0.0, 1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(grad_of(lambda t: abs(t).sum(), [-2.0, 0.0, 3.0]), [-1.0, 0.0, 1.0])


def test_where_with_broadcasting_and_a_tensor_condition():
    cond = np.array([[True], [False]])  # (2, 1) broadcast against a (3,) and b ()
    a, b = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True), mg.Tensor(10.0, requires_grad=True)
    out = mg.where(cond, a, b)
    np.testing.assert_array_equal(out.data, [[1.0, 2.0, 3.0], [10.0, 10.0, 10.0]])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0, 1.0])
    assert b.grad == 3.0
    np.testing.assert_array_equal(mg.where(mg.Tensor([1.0, 0.0]), a[:2], b).data, [1.0, 10.0])


@pytest.mark.parametrize("scale", [1.0, 1e3, -1e3, 3e3])
def test_logsumexp_is_exact_in_the_thousands(scale):
    x0 = scale + np.array([0.0, 0.0, np.log(2.0)])  # exp(x0) overflows for scale 1e3
    value = mg.logsumexp(mg.Tensor(x0))
    np.testing.assert_allclose(value.data, scale + np.log(4.0), rtol=1e-15)
    # x0 itself carries a rounding error of ~|scale| 1e-16 (1000 + log 2 is not exact): so does softmax
    tol = 1e-15 * (1.0 + abs(scale))
    np.testing.assert_allclose(mg.grad(mg.logsumexp)(x0), [0.25, 0.25, 0.5], rtol=tol)
    v = np.array([1.0, -1.0, 2.0])
    s = np.array([0.25, 0.25, 0.5])
    np.testing.assert_allclose(mg.hvp(mg.logsumexp, x0, v), s * v - s * (s @ v), rtol=tol, atol=tol)


def test_the_fused_tanh_rules_broadcast_and_pass_check_op():
    # tanh_backward(u, t) = u (1 - t^2) and its tangent are fused primitives (one array each in
    # a forward-over-reverse HVP through tanh); with broadcasting, as tanh_backward allows it.
    rng = np.random.default_rng(5)
    scalar, vector = rng.uniform(-2, 2, ()), rng.uniform(-2, 2, (3,))
    assert mg.check.check_op(mg.ops.tanh_backward, scalar, vector) < FD_RTOL
    assert mg.check.check_op(mg.ops.tanh_backward_tangent, scalar, scalar, vector, vector) < FD_RTOL
    x = rng.standard_normal(4)
    np.testing.assert_allclose(mg.grad(lambda t: mg.tanh(t).sum())(x), 1 - np.tanh(x) ** 2, rtol=1e-15)
