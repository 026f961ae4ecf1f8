"""Reductions (sum, mean, max, min, logsumexp), shape changes (broadcast_to, reshape,
transpose), indexing (getitem and its transpose scatter_add) and joining (concatenate, stack)."""

from __future__ import annotations

import numbers

import numpy as np

from ..tensor import Tensor, as_tensor, make_node
from .arithmetic import _or_zeros, div, mul, sub
from .elementwise import exp


def _normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    normalized = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise ValueError(f"{op}: axis {ax} is out of range for an array of {ndim} dimensions")
        normalized.append(ax % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: axis {axis} names the same axis twice")
    return tuple(sorted(normalized))


def broadcast_to(a, shape) -> Tensor:
    """Repeat ``a`` along new leading axes and along axes of length 1 to get ``shape``.

    Its rule passes the cotangent through unchanged: the central unbroadcast sums it
    back to ``a.shape``, which is exactly the adjoint of broadcasting.
    """
    a = as_tensor(a)
    shape = tuple(shape)
    try:
        value = np.broadcast_to(a.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {shape}") from None

    def vjp(g, out):
        return (g,)

    def jvp(dots, out):
        return broadcast_to(dots[0], shape)

    return make_node(np.array(value), (a,), vjp, "broadcast_to", jvp)


def sum(a, axis=None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (int, tuple, or None for all). The rule broadcasts g back."""
    a = as_tensor(a)
    axes = _normalize_axes(axis, a.ndim, "sum")
    value = np.sum(a.data, axis=axes, keepdims=keepdims)

    def vjp(g, out):
        if not keepdims:
            kept_shape = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
            g = reshape(g, kept_shape)
        return (broadcast_to(g, a.shape),)

    def jvp(dots, out):
        return sum(dots[0], axis=axes, keepdims=keepdims)

    return make_node(np.asarray(value), (a,), vjp, "sum", jvp)


def mean(a, axis=None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``: the sum divided by the number of summed entries."""
    a = as_tensor(a)
    axes = _normalize_axes(axis, a.ndim, "mean")
    count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    if count == 0:
        raise ValueError(f"mean: cannot average over an empty axis (shape {a.shape}, axis {axis})")
    return div(sum(a, axis=axes, keepdims=keepdims), float(count))


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as length 1 (the keepdims=True shape)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _extremum(a, axis, keepdims: bool, which: str) -> Tensor:
    a = as_tensor(a)
    axes = _normalize_axes(axis, a.ndim, which)
    if any(a.shape[i] == 0 for i in axes):
        raise ValueError(f"{which}: cannot take the {which}imum over an empty axis (shape {a.shape}, axis {axis})")
    reduce = np.max if which == "max" else np.min
    kept = reduce(a.data, axis=axes, keepdims=True)
    # The gradient goes to the entries equal to the extremum, split evenly among ties.
    hits = (a.data == kept).astype(np.float64)
    share = hits / np.sum(hits, axis=axes, keepdims=True)

    def vjp(g, out):
        return (mul(reshape(g, kept.shape), share),)

    value = kept if keepdims else kept.reshape(tuple(n for i, n in enumerate(a.shape) if i not in axes))
    def jvp(dots, out):  # the tangent of the extremum: the tangents of the tied entries, averaged
        return sum(mul(dots[0], share), axis=axes, keepdims=keepdims)

    return make_node(value, (a,), vjp, which, jvp)


def max(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The largest entry over ``axis`` (int, tuple or None for all), as numpy.max.

    d/da = 1 at the maximum, 0 elsewhere; when several entries tie for the maximum
    the gradient is split evenly among them (as JAX does), so it still sums to 1.
    """
    return _extremum(a, axis, keepdims, "max")


def min(a, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The smallest entry over ``axis``; ties split the gradient evenly, as ``max``."""
    return _extremum(a, axis, keepdims, "min")


def logsumexp(a, axis=None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(a))) over ``axis``, computed without overflow (inputs in the thousands are fine).

    Value: m + log(sum(exp(a - m))) with m the maximum, so every exp is of a number <= 0.
    d/da = softmax(a) = exp(a - logsumexp(a)), again an exp of numbers <= 0; written with
    Tensor ops from the result, so the Hessian diag(s) - s s^T comes out of the graph.
    """
    a = as_tensor(a)
    axes = _normalize_axes(axis, a.ndim, "logsumexp")
    if any(a.shape[i] == 0 for i in axes):
        raise ValueError(f"logsumexp: cannot reduce over an empty axis (shape {a.shape}, axis {axis})")
    m = np.max(a.data, axis=axes, keepdims=True)
    kept = m + np.log(np.sum(np.exp(a.data - m), axis=axes, keepdims=True))
    kept_shape = kept.shape

    def vjp(g, out):
        softmax = exp(sub(a, reshape(out, kept_shape)))
        return (mul(reshape(g, kept_shape), softmax),)

    value = kept if keepdims else kept.reshape(tuple(n for i, n in enumerate(a.shape) if i not in axes))
    def jvp(dots, out):  # <softmax, da> over the reduced axes
        softmax = exp(sub(a, reshape(out, kept_shape)))
        return sum(mul(dots[0], softmax), axis=axes, keepdims=keepdims)

    return make_node(value, (a,), vjp, "logsumexp", jvp)


def reshape(a, shape) -> Tensor:
    """The same entries in a new shape (as numpy.reshape, C order)."""
    a = as_tensor(a)
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    try:
        value = a.data.reshape(shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape an array of shape {a.shape} into {shape}") from None

    def vjp(g, out):
        return (reshape(g, a.shape),)

    def jvp(dots, out):
        return reshape(dots[0], shape)

    return make_node(value, (a,), vjp, "reshape", jvp)


def transpose(a, axes=None) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None). The rule applies the inverse permutation."""
    a = as_tensor(a)
    if axes is None:
        axes = tuple(reversed(range(a.ndim)))
    axes = tuple(int(ax) % a.ndim if -a.ndim <= ax < 0 else int(ax) for ax in axes)  # allow negative axes, as numpy
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {a.ndim} axes of shape {a.shape}")
    inverse = tuple(np.argsort(axes))

    def vjp(g, out):
        return (transpose(g, inverse),)

    def jvp(dots, out):
        return transpose(dots[0], axes)

    return make_node(np.transpose(a.data, axes), (a,), vjp, "transpose", jvp)


def getitem(a, index) -> Tensor:
    """a[index] with numpy indexing: ints, slices, integer arrays (repeats allowed), masks.

    The rule scatters g back into zeros of ``a.shape``, adding where an entry was
    picked more than once.
    """
    a = as_tensor(a)
    if isinstance(index, Tensor):
        index = index.data.astype(np.intp)
    try:
        value = a.data[index]
    except IndexError as error:
        raise IndexError(f"getitem: index {index!r} does not fit shape {a.shape}: {error}") from None

    def vjp(g, out):
        return (scatter_add(g, index, a.shape),)

    def jvp(dots, out):
        return getitem(dots[0], index)

    return make_node(np.array(value), (a,), vjp, "getitem", jvp)


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (slice, numbers.Integral, type(None), type(Ellipsis))) for p in parts)


def scatter_add(g, index, shape) -> Tensor:
    """zeros(shape) with ``g`` added at ``index`` (the adjoint of ``getitem``).

    Its own rule is ``getitem``: the two are each other's transposes.
    """
    g = as_tensor(g)
    value = np.zeros(shape)
    if _is_basic_index(index):
        value[index] = g.data  # slices and ints never pick an entry twice
    else:
        np.add.at(value, index, g.data)  # integer arrays may repeat: add, don't overwrite

    def vjp(gg, out):
        return (getitem(gg, index),)

    def jvp(dots, out):
        return scatter_add(dots[0], index, shape)

    return make_node(value, (g,), vjp, "scatter_add", jvp)


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (as numpy.concatenate). The rule slices g apart."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: expected at least one tensor, got none")
    try:
        value = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError as error:
        shapes = [t.shape for t in tensors]
        raise ValueError(f"concatenate: shapes {shapes} do not fit along axis {axis}: {error}") from None
    ax = axis % value.ndim
    bounds = np.cumsum([0] + [t.shape[ax] for t in tensors])

    def vjp(g, out):
        pieces = []
        for start, stop in zip(bounds[:-1], bounds[1:]):
            index = (slice(None),) * ax + (slice(int(start), int(stop)),)
            pieces.append(getitem(g, index))
        return tuple(pieces)

    def jvp(dots, out):
        return concatenate([_or_zeros(d, t) for d, t in zip(dots, tensors)], axis=axis)

    return make_node(value, tuple(tensors), vjp, "concatenate", jvp)


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis (as numpy.stack). The rule takes g apart again."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected at least one tensor, got none")
    shapes = [t.shape for t in tensors]
    if len(set(shapes)) != 1:
        raise ValueError(f"stack: all tensors must have one shape, got shapes {shapes}")
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"stack: axis {axis} is out of range for the {ndim}-dimensional result")
    ax = axis % ndim
    value = np.stack([t.data for t in tensors], axis=ax)

    def vjp(g, out):
        return tuple(getitem(g, (slice(None),) * ax + (i,)) for i in range(len(tensors)))

    def jvp(dots, out):
        return stack([_or_zeros(d, t) for d, t in zip(dots, tensors)], axis=ax)

    return make_node(value, tuple(tensors), vjp, "stack", jvp)
