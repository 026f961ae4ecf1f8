"""The finite-difference checks: small errors for right rules, large ones for wrong rules.

The key lesson for students is the last op here: a rule whose backward *leaves the
graph* (uses a raw numpy array where a Tensor op was needed) still gives the right
gradient -- check_grad passes it -- but every second derivative through it is wrong,
and only check_hvp notices. Conversely check_hvp differences the engine's own gradient,
so it cannot see a wrong first derivative: only check_grad can. Run both on every op.
"""

import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
import strategies as S
from minigrad.tensor import as_tensor, make_node
from zoo import FD_RTOL


# ---------------------------------------------------------------------------
# Custom ops written the way a student would (see ops.sin), one right, two wrong.
# ---------------------------------------------------------------------------
def sin_jvp(a):
    """The right forward rule for sin: the tangent of sin(a) is cos(a) da."""
    return lambda dots, out: mg.mul(dots[0], mg.cos(a))


def good_sin(a):
    """sin with the right rules, written with Tensor ops: d/da = cos(a)."""
    a = as_tensor(a)
    return make_node(np.sin(a.data), (a,), lambda g, out: (mg.mul(g, mg.cos(a)),), "good_sin", sin_jvp(a))


def sin_with_wrong_rule(a):
    """sin whose vjp rule says d/da = +sin(a) instead of cos(a): a wrong gradient."""
    a = as_tensor(a)
    return make_node(np.sin(a.data), (a,), lambda g, out: (mg.mul(g, mg.sin(a)),), "wrong_sin", sin_jvp(a))


def sin_that_leaves_the_graph(a):
    """sin whose vjp rule computes cos(a) with numpy: the right gradient, but a constant
    as far as the graph knows, so d/da of the gradient misses the -sin(a) term."""
    a = as_tensor(a)
    return make_node(np.sin(a.data), (a,), lambda g, out: (mg.mul(g, mg.Tensor(np.cos(a.data))),), "detached_sin",
                     sin_jvp(a))


def objective(sin_op):
    """f(x) = sum(w * sin_op(x)) + 0.5 * sum(tanh(x)^2): the custom op inside a larger function."""
    w = np.array([1.0, -2.0, 0.5, 1.5])
    return lambda t: (sin_op(t) * w).sum() + 0.5 * (mg.tanh(t) ** 2).sum()


X0 = np.array([0.3, 1.2, -0.7, 2.0])
V0 = np.array([1.0, -0.5, 0.25, 2.0])


def test_right_rule_gives_tiny_errors():
    f = objective(good_sin)
    assert mg.check.check_grad(f, X0) < 1e-9
    assert mg.check.check_hvp(f, X0, V0) < 1e-9


def test_wrong_first_derivative_is_caught_by_check_grad():
    f = objective(sin_with_wrong_rule)
    assert mg.check.check_grad(f, X0) > 0.1
    # check_hvp differences the engine's *gradient*: it checks the second sweep against the
    # first, so a wrong first derivative slips through it. That is why both checks exist.
    assert mg.check.check_hvp(f, X0, V0) < 1e-9


def test_rule_that_leaves_the_graph_passes_check_grad_but_fails_check_hvp():
    f = objective(sin_that_leaves_the_graph)
    assert mg.check.check_grad(f, X0) < 1e-9  # the gradient is right ...
    np.testing.assert_allclose(mg.grad(f)(X0), mg.grad(objective(good_sin))(X0), rtol=1e-15)
    assert mg.check.check_hvp(f, X0, V0) > 0.1  # ... the Hessian is not: only check_hvp can tell


@S.fewer_examples(0.5)
@given(S.bounded((4,)), S.seeds())
def test_the_wrong_rules_are_caught_at_any_point(x, seed):
    # Wherever the missing term w * sin(x) * v is not negligible, the error is large.
    v = np.random.default_rng(seed).standard_normal(4)
    missing = np.abs(np.array([1.0, -2.0, 0.5, 1.5]) * np.sin(x) * v).max()
    assert mg.check.check_grad(objective(sin_that_leaves_the_graph), x, seed=seed) < FD_RTOL
    assert mg.check.check_hvp(objective(good_sin), x, v, seed=seed) < FD_RTOL
    if missing > 0.1:
        assert mg.check.check_hvp(objective(sin_that_leaves_the_graph), x, v, directions=6, seed=seed) > 1e-3
    if np.abs(np.cos(x) - np.sin(x)).max() > 0.1:
        assert mg.check.check_grad(objective(sin_with_wrong_rule), x, directions=6, seed=seed) > 1e-3


# ---------------------------------------------------------------------------
# check_op: the op inside a composition, where its cotangent moves with x.
# ---------------------------------------------------------------------------
def sin_with(rule, jvp_rule=None):
    """sin(a) with the vjp rule ``rule(g, a)`` (returning the cotangent for a) and the jvp
    rule ``jvp_rule(da, a)`` (returning the tangent of the result; default: the right one)."""
    def op(a):
        a = as_tensor(a)
        jvp = sin_jvp(a) if jvp_rule is None else (lambda dots, out: jvp_rule(dots[0], a))
        return make_node(np.sin(a.data), (a,), lambda g, out: (rule(g, a),), "student_sin", jvp)
    return op


RIGHT_VJP = lambda g, a: mg.mul(g, mg.cos(a))  # noqa: E731


WRONG_SIN_RULES = {
    # a detached cotangent: the first derivative is right, the HVP misses d(g)/dx
    "cotangent_detached": lambda g, a: mg.mul(mg.Tensor(g.data), mg.cos(a)),
    # the whole rule in raw numpy (the README's warning)
    "raw_numpy": lambda g, a: mg.Tensor(g.data * np.cos(a.data)),
    # forgets to multiply by the cotangent: right whenever the cotangent is 1
    "cotangent_ignored": lambda g, a: mg.cos(a),
    # the derivative is a constant as far as the graph knows
    "slope_detached": lambda g, a: mg.mul(g, mg.Tensor(np.cos(a.data))),
    # a wrong derivative
    "wrong_slope": lambda g, a: mg.mul(g, mg.sin(a)),
    # a wrong scale
    "twice_the_slope": lambda g, a: mg.mul(g, mg.cos(a) * 2.0),
}
# The ones a check on op(t).sum() cannot see: with the cotangent the constant 1,
# they give exactly the right gradient *and* HVP.
BLIND_TO_SUM_CHECKS = {"cotangent_detached", "cotangent_ignored"}


@pytest.mark.parametrize("kind", WRONG_SIN_RULES)
def test_check_op_flags_every_kind_of_wrong_rule(kind):
    op = sin_with(WRONG_SIN_RULES[kind])
    for seed in range(3):
        assert mg.check.check_op(op, X0, seed=seed) > 1e-2, f"{kind} passed check_op with seed {seed}"
    summed = lambda t: op(t).sum()
    sum_errors = max(mg.check.check_grad(summed, X0), mg.check.check_hvp(summed, X0, V0))
    if kind in BLIND_TO_SUM_CHECKS:
        assert sum_errors < 1e-9  # the blind spot check_op exists for
    else:
        assert sum_errors > 1e-2


@S.fewer_examples(0.3)
@given(S.bounded((4,)), S.seeds())
def test_check_op_passes_right_rules_and_fails_detached_cotangents_anywhere(x, seed):
    assert mg.check.check_op(sin_with(lambda g, a: mg.mul(g, mg.cos(a))), x, seed=seed) < FD_RTOL
    assert mg.check.check_op(good_sin, x, seed=seed) < FD_RTOL
    if np.abs(np.cos(x)).max() > 0.1:  # where cos(x) ~ 0 the missing term is ~ 0 too
        assert mg.check.check_op(sin_with(WRONG_SIN_RULES["cotangent_detached"]), x, seed=seed) > 1e-3


def test_check_op_on_binary_ops_with_broadcasting_and_reductions():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-2, 2, (3, 1)), rng.uniform(0.5, 2, (1, 2))
    assert mg.check.check_op(mg.div, a, b) < FD_RTOL
    assert mg.check.check_op(lambda t: mg.sum(t, axis=0), a) < FD_RTOL
    assert mg.check.check_op(lambda s, t: (s @ t), rng.standard_normal((2, 3)), rng.standard_normal(3)) < FD_RTOL

    def mul_with_detached_cotangent(x, y):
        x, y = as_tensor(x), as_tensor(y)
        rule = lambda g, out: (mg.Tensor(g.data) * y, g * x)
        return make_node(x.data * y.data, (x, y), rule, "student_mul",
                         lambda dots, out: dots[0] * y + x * dots[1])

    assert mg.check.check_op(mul_with_detached_cotangent, a, b) > 1e-2


WRONG_SIN_JVP_RULES = {
    # the tangent right in value but computed with numpy: invisible to first-order checks and to
    # forward-over-reverse; reverse over forward differentiates it and finds it constant
    "tangent_detached": lambda da, a: mg.Tensor(da.data * np.cos(a.data)),
    # only the slope detached
    "slope_detached": lambda da, a: mg.mul(da, mg.Tensor(np.cos(a.data))),
    # a wrong derivative, a dropped factor
    "wrong_slope": lambda da, a: mg.mul(da, mg.sin(a)),
    "tangent_ignored": lambda da, a: mg.cos(a),
}


@pytest.mark.parametrize("kind", WRONG_SIN_JVP_RULES)
def test_check_op_flags_every_kind_of_wrong_jvp_rule(kind):
    op = sin_with(RIGHT_VJP, WRONG_SIN_JVP_RULES[kind])
    assert mg.check.check_op(op, X0) > 1e-2, kind
    assert mg.check.check_op(op, X0, modes=("rev-rev",)) < FD_RTOL  # reverse mode never runs a jvp rule


def test_which_check_sees_a_detached_jvp_rule():
    op = sin_with(RIGHT_VJP, WRONG_SIN_JVP_RULES["tangent_detached"])
    F = lambda t: (mg.sin(op(mg.tanh(t)) + 0.3) * np.array([1.0, -2.0, 0.5, 1.5])).sum()
    assert mg.check.check_jvp(F, X0) < FD_RTOL  # the tangent's value is right...
    assert mg.check.check_hvp(F, X0, V0, mode="fwd-rev") < FD_RTOL  # ... and fwd-rev only uses its value
    assert mg.check.check_hvp(F, X0, V0, mode="rev-fwd") > 1e-2  # reverse over forward differentiates it


def mul_with_a_dropped_jvp_term(x, y):
    """a * b whose jvp rule forgets the a db term."""
    x, y = as_tensor(x), as_tensor(y)
    return make_node(x.data * y.data, (x, y), lambda g, out: (g * y, g * x), "student_mul",
                     lambda dots, out: dots[0] * y if dots[0] is not None else mg.Tensor(np.zeros(out.shape)))


def test_a_dropped_term_in_a_jvp_rule_is_caught_by_check_jvp_and_fwd_rev():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(-2, 2, (3, 1)), rng.uniform(-2, 2, (1, 2))
    assert mg.check.check_op(mul_with_a_dropped_jvp_term, a, b) > 1e-2
    F = lambda t: (mg.sin(mul_with_a_dropped_jvp_term(t[:3].reshape(3, 1), t[3:].reshape(1, 2))) ** 2).sum()
    z = np.concatenate([a.ravel(), b.ravel()])
    assert mg.check.check_jvp(F, z) > 1e-2
    assert mg.check.check_hvp(F, z, mode="fwd-rev") > 1e-2
    assert mg.check.check_hvp(F, z, mode="rev-rev") < FD_RTOL


def test_an_op_without_a_jvp_rule_works_in_reverse_mode_and_names_itself_in_forward_mode():
    def vjp_only_sin(a):
        a = as_tensor(a)
        return make_node(np.sin(a.data), (a,), lambda g, out: (mg.mul(g, mg.cos(a)),), "vjp_only_sin")

    f = lambda t: vjp_only_sin(t).sum()
    np.testing.assert_allclose(mg.grad(f)(X0), np.cos(X0), rtol=1e-15)
    np.testing.assert_allclose(mg.hvp(f, X0, V0, mode="rev-rev"), -np.sin(X0) * V0, rtol=1e-15)
    assert mg.check.check_op(vjp_only_sin, X0, modes=("rev-rev",)) < FD_RTOL
    for call in (lambda: mg.hvp(f, X0, V0), lambda: mg.jvp(f, X0, V0), lambda: mg.check.check_op(vjp_only_sin, X0)):
        with pytest.raises(TypeError, match=r"reached op 'vjp_only_sin', which has no Jacobian-vector rule: "
                                            r"pass jvp=\.\.\. to make_node .* mode='rev-rev'"):
            call()


def test_check_op_is_deterministic_and_refuses_bad_input():
    assert mg.check.check_op(mg.tanh, X0, seed=3) == mg.check.check_op(mg.tanh, X0, seed=3)
    with pytest.raises(ValueError, match="at least one input"):
        mg.check.check_op(mg.tanh)
    with pytest.raises(ValueError, match="check_op: modes must be a non-empty selection"):
        mg.check.check_op(mg.tanh, X0, modes=("fwd-fwd",))
    with pytest.raises(ValueError, match=r"check_op \(input 0\): x must be finite"):
        mg.check.check_op(mg.tanh, np.array([np.nan, 1.0]))


# ---------------------------------------------------------------------------
# Correct functions: tiny errors, everywhere.
# ---------------------------------------------------------------------------
FUNCTIONS = {
    "tanh_net": lambda t: (mg.tanh(t[:-1] * t[1:]) ** 2).sum() + mg.softplus(t).mean(),
    "log_sum_exp": lambda t: mg.log(mg.exp(t).sum()),
    "rational": lambda t: (t / (1.0 + t * t)).sum() * t[0],
    "matrix": lambda t: (mg.reshape(t, (2, 2)) @ mg.reshape(mg.sin(t), (2, 2))).sum(),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@S.fewer_examples(0.5)
@given(x=S.bounded((4,)), seed=S.seeds())
def test_correct_functions_pass_both_checks(name, x, seed):
    f = FUNCTIONS[name]
    v = np.random.default_rng(seed).standard_normal(4)
    assert mg.check.check_grad(f, x, seed=seed) < FD_RTOL
    assert mg.check.check_hvp(f, x, v, seed=seed) < FD_RTOL
    assert mg.check.check_hvp(f, x, seed=seed) < FD_RTOL  # v drawn by the check itself


def test_numerical_grad_matches_a_known_gradient():
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    numeric = mg.check.numerical_grad(lambda t: (t**3).sum(), x)
    assert numeric.shape == x.shape
    np.testing.assert_allclose(numeric, 3 * x**2, rtol=1e-9)


# ---------------------------------------------------------------------------
# The stencil and the error measure.
# ---------------------------------------------------------------------------
def test_five_point_stencil_is_exact_for_quartics():
    phi = lambda t: 3.0 * t**4 - 2.0 * t**3 + 0.5 * t**2 + 7.0 * t - 1.0  # phi'(0) = 7
    np.testing.assert_allclose(mg.check.directional_difference(phi, h=0.1), 7.0, rtol=1e-12)


def test_five_point_stencil_has_fourth_order_error():
    # error ~ C h^4: halving h divides it by 2^4 = 16 (h large enough that round-off is negligible)
    errors = [abs(mg.check.directional_difference(np.exp, h=h) - 1.0) for h in (0.1, 0.05)]
    assert 15.0 < errors[0] / errors[1] < 17.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_relative_error_refuses_non_finite_values_naming_the_side(bad):
    # NaN compares false inside max: unchecked, a NaN derivative would score a perfect 0.0.
    with pytest.raises(ValueError, match=r"somewhere: the engine value is not finite \(1 NaN or inf"):
        mg.check.relative_error([1.0, bad], [1.0, 2.0], names=("engine", "finite difference"), where="somewhere")
    with pytest.raises(ValueError, match="the finite difference value is not finite"):
        mg.check.relative_error(1.0, bad, names=("engine", "finite difference"))
    with pytest.raises(ValueError, match="relative_error: the b value is not finite"):
        mg.check.relative_error(1.0, bad)


def nan_gradient_sin(a):
    """sin whose rule returns NaN: a check must refuse it, not score it 0."""
    a = as_tensor(a)
    return make_node(np.sin(a.data), (a,), lambda g, out: (mg.mul(g, np.nan),), "nan_sin",
                     lambda dots, out: mg.mul(dots[0], np.nan))


def test_a_nan_derivative_is_an_error_in_every_check():
    f = lambda t: nan_gradient_sin(t).sum()
    with pytest.raises(ValueError, match=r"check_grad, <grad f, u> along direction 0: the engine value is not finite"):
        mg.check.check_grad(f, X0)
    with pytest.raises(ValueError, match="check_hvp: the engine gradient at x is not finite"):
        mg.check.check_hvp(f, X0)
    with pytest.raises(ValueError, match="not finite"):
        mg.check.check_op(nan_gradient_sin, X0)


def nan_hessian_sin(a):
    """sin whose gradient is right but whose second derivative is NaN."""
    a = as_tensor(a)
    def cos_with_nan_rule(t):
        return make_node(np.cos(t.data), (t,), lambda g, out: (mg.mul(g, np.nan),), "nan_cos",
                         lambda dots, out: mg.mul(dots[0], np.nan))
    return make_node(np.sin(a.data), (a,), lambda g, out: (mg.mul(g, cos_with_nan_rule(a)),), "sin",
                     lambda dots, out: mg.mul(dots[0], cos_with_nan_rule(a)))


def test_a_nan_second_derivative_is_an_error_naming_the_engine_side():
    f = lambda t: nan_hessian_sin(t).sum()
    assert mg.check.check_grad(f, X0) < 1e-9
    with pytest.raises(ValueError, match=r"check_hvp \(fwd-rev\), <u, H v> along direction 0: the engine value is not finite"):
        mg.check.check_hvp(f, X0)


def test_a_gradient_of_the_wrong_shape_is_an_error():
    original = mg.check.grad
    try:  # an engine bug simulated: the gradient comes back flattened
        mg.check.grad = lambda f: (lambda x: np.ravel(original(f)(x)))
        with pytest.raises(ValueError, match=r"check_grad: the engine's gradient has shape \(4,\), but x has shape \(2, 2\)"):
            mg.check.check_grad(lambda t: (t * t).sum(), np.ones((2, 2)))
    finally:
        mg.check.grad = original


def test_relative_error():
    assert mg.check.relative_error(2.0, 2.0) == 0.0
    np.testing.assert_allclose(mg.check.relative_error([1.0, 4.0], [1.0, 5.0]), 0.2, rtol=1e-15)
    assert mg.check.relative_error(1e-12, 0.0, floor=1e-5) == pytest.approx(1e-7, rel=1e-9)
    assert mg.check.relative_error(0.0, 0.0) == 0.0
    assert mg.check.relative_error(np.zeros(0), np.zeros(0)) == 0.0


def test_checks_are_deterministic_given_the_seed():
    f = FUNCTIONS["tanh_net"]
    x = np.array([0.1, -0.4, 0.9, 1.3])
    assert mg.check.check_grad(f, x, seed=5) == mg.check.check_grad(f, x, seed=5)
    assert mg.check.check_hvp(f, x, seed=5) == mg.check.check_hvp(f, x, seed=np.random.default_rng(5))


# ---------------------------------------------------------------------------
# Non-finite input is refused, not checked.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("check", [mg.check.check_grad, mg.check.check_hvp, mg.check.numerical_grad],
                         ids=["check_grad", "check_hvp", "numerical_grad"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_x_is_refused(check, bad):
    with pytest.raises(ValueError, match="x must be finite, but it has 1 NaN or inf entries"):
        check(lambda t: (t * t).sum(), np.array([1.0, bad, 2.0]))


def test_non_finite_v_is_refused():
    with pytest.raises(ValueError, match=r"check_hvp \(v\).*must be finite"):
        mg.check.check_hvp(lambda t: (t * t).sum(), np.ones(2), np.array([np.nan, 1.0]))


def test_non_finite_function_value_is_refused():
    with pytest.raises(ValueError, match="is not finite"):
        with np.errstate(invalid="ignore"):
            mg.check.check_grad(lambda t: mg.log(t).sum(), np.array([-1.0, 2.0]))


def test_checks_refuse_non_scalar_functions_and_mismatched_v():
    with pytest.raises(ValueError, match=r"f must return a scalar, but it returned shape \(2,\)"):
        mg.check.check_grad(lambda t: t * t, np.ones(2))
    with pytest.raises(ValueError, match=r"v must have the shape of x, \(2,\), but has shape \(3,\)"):
        mg.check.check_hvp(lambda t: (t * t).sum(), np.ones(2), np.ones(3))
