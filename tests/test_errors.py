"""Bad input gets a clear ValueError / TypeError that says what was expected and what was given.

Each message is matched, so a test fails if the error is raised for the wrong reason or
stops naming the shapes involved. Nothing may be silently broadcast into a wrong answer.
"""

import numpy as np
import pytest

import minigrad as mg

T = mg.Tensor


def square_sum(t):
    return (t * t).sum()


# ---------------------------------------------------------------------------
# Shapes that do not fit.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, apply", [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b),
])
def test_mismatched_elementwise_shapes_name_both(name, apply):
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2,\) and \(3,\) do not broadcast"):
        apply(T(np.ones(2)), T(np.ones(3)))
    with pytest.raises(ValueError, match=rf"{name}: shapes \(3, 2\) and \(3,\) do not broadcast"):
        apply(T(np.ones((3, 2))), np.ones(3))  # an ndarray operand is checked the same way


def test_matmul_inner_dimensions_name_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(2, 3\) @ \(2, 3\) \(3 != 2\)"):
        T(np.ones((2, 3))) @ T(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(3,\) @ \(2,\)"):
        mg.matmul(np.ones(3), T(np.ones(2)))


@pytest.mark.parametrize("a, b", [((2, 2, 2), (2, 2)), ((2,), (2, 2, 2)), ((), (2,))])
def test_matmul_refuses_3d_and_0d(a, b):
    expected = rf"matmul: expected 1-D or 2-D operands, got shapes {re_shape(a)} and {re_shape(b)}"
    with pytest.raises(ValueError, match=expected):
        mg.matmul(T(np.ones(a)), T(np.ones(b)))


def re_shape(shape):
    """A shape as it appears in a message, escaped for a regular expression."""
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


def test_bad_reshape_names_both_shapes():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape an array of shape \(2, 3\) into \(4,\)"):
        T(np.ones((2, 3))).reshape(4)


def test_bad_broadcast_to_names_both_shapes():
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(3,\) to \(2, 2\)"):
        mg.broadcast_to(T(np.ones(3)), (2, 2))


def test_bad_transpose_axes():
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 0\) are not a permutation .* shape \(2, 3\)"):
        mg.transpose(T(np.ones((2, 3))), (0, 0))


def test_bad_concatenate():
    with pytest.raises(ValueError, match=r"concatenate: shapes \[\(2, 3\), \(2, 2\)\] do not fit along axis 0"):
        mg.concatenate([T(np.ones((2, 3))), T(np.ones((2, 2)))])
    with pytest.raises(ValueError, match="expected at least one tensor, got none"):
        mg.concatenate([])


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"getitem: index 5 does not fit shape \(3,\)"):
        T(np.ones(3))[5]


# ---------------------------------------------------------------------------
# Axes.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("reduce", [mg.sum, mg.mean], ids=["sum", "mean"])
@pytest.mark.parametrize("axis", [2, -3, (0, 5)])
def test_bad_axis(reduce, axis):
    with pytest.raises(ValueError, match=r"axis -?\d is out of range for an array of 2 dimensions"):
        reduce(T(np.ones((2, 3))), axis=axis)


@pytest.mark.parametrize("reduce", [mg.sum, mg.mean], ids=["sum", "mean"])
@pytest.mark.parametrize("axis", [0, -1])
def test_any_axis_of_a_0d_tensor_is_bad(reduce, axis):
    # numpy refuses every axis of a 0-d array; the engine must say so as a ValueError too.
    with pytest.raises(ValueError, match=rf"axis {axis}"):
        reduce(T(2.0), axis=axis)


def test_mean_over_an_empty_axis():
    with pytest.raises(ValueError, match=r"mean: cannot average over an empty axis \(shape \(0, 2\), axis 0\)"):
        mg.mean(T(np.ones((0, 2))), axis=0)


# ---------------------------------------------------------------------------
# pow takes a constant exponent only.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("exponent, kind", [(T(2.0), "Tensor"), (np.array(2.0), "ndarray"), ("2", "str")])
def test_pow_with_a_non_constant_exponent(exponent, kind):
    with pytest.raises(TypeError, match=f"pow: the exponent must be a real number \\(a constant\\), got {kind}"):
        T(np.ones(2)) ** exponent
    with pytest.raises(TypeError, match="exponent must be a real number"):
        mg.pow(np.ones(2), exponent)


def test_a_tensor_cannot_be_an_exponent():
    with pytest.raises(TypeError):
        2.0 ** T(np.ones(2))
    with pytest.raises(TypeError):
        np.ones(2) ** T(np.ones(2))


# ---------------------------------------------------------------------------
# Types: ints and bools are converted, the rest refused.
# ---------------------------------------------------------------------------
def test_integer_inputs_are_converted_everywhere():
    x = np.array([1, 2, 3])
    np.testing.assert_array_equal(mg.grad(square_sum)(x), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(mg.hvp(square_sum, x, np.array([1, 0, 2])), [2.0, 0.0, 4.0])
    assert mg.check.check_grad(square_sum, x) < 1e-9
    y = T(np.ones(3)) * np.array([1, 2, 3])
    assert y.data.dtype == np.float64


@pytest.mark.parametrize("bad, dtype", [(np.array([1.0, None], dtype=object), "object"),
                                        (np.array([1j, 2.0]), "complex128")])
def test_object_and_complex_arrays_are_refused_everywhere(bad, dtype):
    with pytest.raises(TypeError, match=f"Tensor data: expected real numbers .*dtype {dtype}"):
        T(bad)
    with pytest.raises(TypeError, match=f"value_and_grad: x0: expected real numbers .*dtype {dtype}"):
        mg.grad(square_sum)(bad)
    with pytest.raises(TypeError, match=f"hvp: x0: .*dtype {dtype}"):
        mg.hvp(square_sum, bad, np.ones(2))
    with pytest.raises(TypeError, match=f"hvp: v: .*dtype {dtype}"):
        mg.hvp(square_sum, np.ones(2), bad)
    with pytest.raises(TypeError, match=f"check_grad: x: .*dtype {dtype}"):
        mg.check.check_grad(square_sum, bad)


# ---------------------------------------------------------------------------
# The transforms.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, call", [
    ("value_and_grad", lambda f, x: mg.grad(f)(x)),
    ("value_and_grad", lambda f, x: mg.value_and_grad(f)(x)),
    ("hvp", lambda f, x: mg.hvp(f, x, np.ones_like(x))),
    ("hessian", lambda f, x: mg.hessian(f, x)),
])
def test_scalar_transforms_of_a_non_scalar_function(name, call):
    with pytest.raises(ValueError, match=rf"{name}: f must return a scalar .* returned shape \(3,\)"):
        call(lambda t: t * t, np.ones(3))


@pytest.mark.parametrize("v_shape", [(3,), (2, 1), (1, 2), ()])
def test_hvp_and_jvp_with_v_of_the_wrong_shape(v_shape):
    shown = re_shape(v_shape)
    with pytest.raises(ValueError, match=rf"hvp: v must have the shape of x0, \(2,\), but has shape {shown}"):
        mg.hvp(square_sum, np.ones(2), np.ones(v_shape))  # never broadcast
    with pytest.raises(ValueError, match=rf"jvp: v must have the shape of x0, \(2,\), but has shape {shown}"):
        mg.jvp(lambda t: t * t, np.ones(2), np.ones(v_shape))


# ---------------------------------------------------------------------------
# NaN and inf handed to the checks.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda x: mg.check.check_grad(square_sum, x),
    lambda x: mg.check.check_hvp(square_sum, x),
    lambda x: mg.check.check_hvp(square_sum, np.zeros_like(x), x),
    lambda x: mg.check.numerical_grad(square_sum, x),
], ids=["check_grad", "check_hvp_x", "check_hvp_v", "numerical_grad"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_checks_refuse_nan_and_inf(call, bad):
    with pytest.raises(ValueError, match="must be finite, but it has 2 NaN or inf entries"):
        call(np.array([[bad, 1.0], [2.0, bad]]))


# ---------------------------------------------------------------------------
# Small things.
# ---------------------------------------------------------------------------
def test_item_of_a_tensor_with_several_entries():
    with pytest.raises(ValueError, match=r"item\(\): expected a tensor with one element, got shape \(2,\)"):
        T(np.ones(2)).item()


def test_the_same_axis_twice_is_refused():
    with pytest.raises(ValueError, match="names the same axis twice"):
        mg.sum(mg.Tensor(np.ones((2, 3))), axis=(0, 0))


def test_backward_of_a_tensor_that_does_not_require_grad():
    constant = mg.Tensor(np.array([1.0, 2.0])).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        constant.backward()


# ---------------------------------------------------------------------------
# A rule that breaks the engine's contract is named, with a real exception (not assert).
# ---------------------------------------------------------------------------
def op_with_rule(rule, name="student_op"):
    from minigrad.tensor import as_tensor, make_node

    def op(a):
        a = as_tensor(a)
        return make_node(a.data * 2.0, (a,), rule, name)
    return op


@pytest.mark.parametrize("rule, message", [
    (lambda g, out: (mg.Tensor(np.ones(5)),), r"vjp rule of op 'student_op' returned a cotangent of shape \(5,\) "
                                                r"for an input of shape \(3,\)"),
    (lambda g, out: (mg.Tensor(np.ones((2, 3))),), r"shape \(2, 3\) for an input of shape \(3,\)"),
    (lambda g, out: (g, g), r"vjp rule of op 'student_op' must return a tuple with one cotangent per input \(1\), got 2"),
    (lambda g, out: g, r"must return a tuple .* got not a tuple"),
])
def test_a_rule_that_breaks_the_contract_raises_a_value_error_naming_the_op(rule, message):
    x = mg.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match=message):
        op_with_rule(rule)(x).sum().backward()


def test_the_new_ops_refuse_bad_input_clearly():
    with pytest.raises(ValueError, match=r"max: cannot take the maximum over an empty axis \(shape \(0, 2\), axis 0\)"):
        mg.max(T(np.ones((0, 2))), axis=0)
    with pytest.raises(ValueError, match=r"min: axis 2 is out of range"):
        T(np.ones((2, 3))).min(axis=2)
    with pytest.raises(ValueError, match="logsumexp: cannot reduce over an empty axis"):
        mg.logsumexp(T(np.ones((0, 2))), axis=0)
    with pytest.raises(ValueError, match=r"stack: all tensors must have one shape, got shapes \[\(2,\), \(3,\)\]"):
        mg.stack([T(np.ones(2)), T(np.ones(3))])
    with pytest.raises(ValueError, match="stack: expected at least one tensor"):
        mg.stack([])
    with pytest.raises(ValueError, match="stack: axis 3 is out of range for the 2-dimensional result"):
        mg.stack([T(np.ones(2))], axis=3)
    with pytest.raises(TypeError, match="clip: lo must be a constant .* use mg.maximum"):
        mg.clip(T(np.ones(2)), T(0.0), 1.0)
    with pytest.raises(ValueError, match="clip: give lo, hi or both"):
        T(np.ones(2)).clip()
    with pytest.raises(ValueError, match=r"where: shapes \(2,\) \(condition\), \(3,\) and \(\) do not broadcast"):
        mg.where(np.array([True, False]), T(np.ones(3)), 0.0)
    with pytest.raises(ValueError, match=r"maximum: shapes \(2,\) and \(3,\) do not broadcast"):
        mg.maximum(T(np.ones(2)), T(np.ones(3)))


# ---------------------------------------------------------------------------
# numpy functions on a Tensor: refused with the minigrad spelling (they would leave the graph).
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call, instead", [
    (lambda t: np.sum(t), r"t\.sum\(\)"), (lambda t: np.mean(t), r"t\.mean\(\)"),
    (lambda t: np.tanh(t), r"mg\.tanh\(t\)"), (lambda t: np.exp(t), r"mg\.exp\(t\)"),
    (lambda t: np.log(t), r"mg\.log\(t\)"), (lambda t: np.sin(t), r"mg\.sin\(\.\.\.\)"),
    (lambda t: np.max(t), r"t\.max\(\)"), (lambda t: np.abs(t), r"abs\(t\)"),
    (lambda t: np.maximum(t, 0.0), r"mg\.maximum"), (lambda t: np.sqrt(t), r"mg\.sqrt"),
    (lambda t: np.where(t.data > 0, t, 0.0), r"mg\.where"), (lambda t: np.concatenate([t, t]), "mg.concatenate"),
    (lambda t: np.dot(t, t), "a @ b"), (lambda t: np.cumsum(t), r"a minigrad op \(see mg\.ops\.__all__\)"),
    (lambda t: np.add(np.ones(2), t, out=np.zeros(2)), r"mg\.add"),  # out= (in place): refused
])
def test_numpy_functions_on_a_tensor_name_the_minigrad_way(call, instead):
    t = T(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match=rf"np\.\w+ was applied to a minigrad Tensor: .* Use {instead}"):
        call(t)


def test_ndarray_arithmetic_with_a_tensor_still_works_and_stays_in_the_graph():
    a = np.array([2.0, -3.0])
    t = T(np.array([1.0, 2.0]), requires_grad=True)
    for out, expected, grad in [(a * t, a * t.data, a), (a + t, a + t.data, 1.0), (a - t, a - t.data, -1.0),
                                (a / t, a / t.data, -a / t.data**2), (np.float64(3.0) * t, 3 * t.data, 3.0),
                                (np.ones((3, 2)) @ t, np.ones((3, 2)) @ t.data, 3.0)]:
        assert isinstance(out, mg.Tensor)
        np.testing.assert_allclose(out.data, expected, rtol=1e-15)
        out.sum().backward()
        np.testing.assert_allclose(t.grad, np.broadcast_to(grad, (2,)), rtol=1e-15)
    assert np.shape(t) == (2,) and np.ndim(t) == 1 and np.size(t) == 2  # facts about the array are fine
