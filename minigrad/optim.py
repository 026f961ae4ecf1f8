"""Gradient descent and stochastic gradient descent over a flat parameter vector theta.

The loops here never touch the autograd graph themselves: the loss and its gradient
come from a callback that returns plain numbers and arrays (e.g. ``mg.value_and_grad(f)``
or a network's closed-form ``loss_grad``), and the update theta <- theta - lr * g is
numpy arithmetic. So memory stays flat however many steps are run.

    theta, hist = gd(mg.value_and_grad(f), theta0, lr=0.1, steps=100)
    hist.step, hist.loss, hist.distance      # arrays, ready to plot

Step sizes are a float or a schedule, a function t -> lr_t of the step index t = 0, 1, ...
A step size so large that the loss blows up stops the run with a DivergenceError that
names the step and the step size, rather than returning NaN.
"""

from __future__ import annotations

import dataclasses
import numbers
import sys
from typing import Callable

import numpy as np

from .tensor import as_float_array
from .validate import generator, positive_number, whole_number

Schedule = Callable[[int], float]


# ---------------------------------------------------------------------------
# Small checks.
# ---------------------------------------------------------------------------
# ---------------------------------------------------------------------------
# Step-size schedules: functions t -> lr_t, t = 0, 1, 2, ...
# ---------------------------------------------------------------------------
def _step_index(t, name: str) -> int:
    return whole_number(t, f"{name}: the step t", 0)


def constant(lr) -> Schedule:
    """The schedule lr_t = lr for every step t."""
    lr = positive_number(lr, "constant: lr")

    def schedule(t):
        _step_index(t, "constant")
        return lr

    return schedule


def inverse_time(c, t0) -> Schedule:
    """The schedule lr_t = c / (t + t0): sum lr_t diverges, sum lr_t^2 converges (Robbins-Monro).

    SGD with it converges even when the gradient noise does not vanish at the minimum.
    """
    c = positive_number(c, "inverse_time: c")
    t0 = positive_number(t0, "inverse_time: t0")

    def schedule(t):
        return c / (_step_index(t, "inverse_time") + t0)

    return schedule


def step_decay(lr0, factor, every) -> Schedule:
    """The schedule lr_t = lr0 * factor^floor(t / every): multiply by factor every `every` steps."""
    lr0 = positive_number(lr0, "step_decay: lr0")
    factor = positive_number(factor, "step_decay: factor")
    if factor > 1:
        raise ValueError(f"step_decay: factor must be in (0, 1] (a decay), but got {factor}")
    every = whole_number(every, "step_decay: every", 1)

    def schedule(t):
        return lr0 * factor ** (_step_index(t, "step_decay") // every)

    return schedule


def _as_schedule(lr, name: str) -> Schedule:
    """A float becomes a constant schedule; a callable is taken as a schedule."""
    if callable(lr):
        return lr
    return constant(positive_number(lr, f"{name}: lr"))


def _learning_rate(schedule: Schedule, t: int, name: str) -> float:
    lr = schedule(t)
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"{name}: the schedule gave lr = {lr!r} at step {t}; expected a finite number > 0")
    return float(lr)


# ---------------------------------------------------------------------------
# What a run leaves behind.
# ---------------------------------------------------------------------------
@dataclasses.dataclass
class History:
    """The record of a run, one entry per recorded step (every `record_every` steps and the last).

    step: (k,) int, the step index t of each record (theta_t is the iterate after t updates).
    loss: (k,) the loss at theta_t (for SGD: the full training loss, not a mini-batch's).
    distance: (k,) ||theta_t - theta_0||, how far the parameters moved.
    lr: (k,) the step size the schedule gives at step t.
    extra: the callback's return value callback(t, theta_t) at each record (empty without callback).
    """

    step: np.ndarray
    loss: np.ndarray
    distance: np.ndarray
    lr: np.ndarray
    extra: list


class _Recorder:
    """Collects History entries as a run goes."""

    def __init__(self, theta0: np.ndarray, callback):
        self.theta0 = theta0
        self.callback = callback
        self.rows: list[tuple[int, float, float, float]] = []
        self.extra: list = []

    def record(self, t: int, theta: np.ndarray, loss: float, lr: float) -> None:
        self.rows.append((t, loss, float(np.linalg.norm(theta - self.theta0)), lr))
        if self.callback is not None:
            self.extra.append(self.callback(t, theta.copy()))

    def history(self) -> History:
        step, loss, distance, lr = (np.array(column) for column in zip(*self.rows))
        return History(step.astype(np.int64), loss, distance, lr, self.extra)


class DivergenceError(ValueError):
    """The loss became non-finite or grew past diverge_factor times its start: the step size is too large."""


def _diverged(name: str, t: int, lr: float, loss: float, start: float, factor: float) -> DivergenceError:
    return DivergenceError(
        f"{name} diverged at step {t} with lr = {lr:.6g}: the loss is {loss:.6g}, "
        f"started at {start:.6g} (limit {factor:g} x max(|start|, 1)); use a smaller step size"
    )


def _check_gradient(name: str, t: int, lr: float, loss: float, g: np.ndarray) -> None:
    """A NaN or inf (batch) loss or gradient: at theta0 bad input, later a divergence."""
    if np.isfinite(loss) and np.all(np.isfinite(g)):
        return
    if t == 0:
        raise ValueError(f"{name}: the loss or gradient at theta0 is not finite (loss {loss})")
    raise DivergenceError(f"{name} diverged at step {t} with lr = {lr:.6g}: the (batch) loss is {loss:.6g} "
                          "or its gradient has NaN or inf entries; use a smaller step size")


def _check_loss(name, t, lr, loss, start, factor) -> None:
    """Raise DivergenceError if loss is non-finite or |loss| > factor * max(|start|, 1).

    The floor of 1 keeps a start near zero (an already fitted model) from turning any
    tiny increase into an error; a real blow-up grows geometrically and passes it fast.
    """
    if not np.isfinite(loss) or abs(loss) > factor * max(abs(start), 1.0):
        raise _diverged(name, t, lr, loss, start, factor)


class _Progress:
    """Prints one line to stderr about every tenth of the run, when enabled."""

    def __init__(self, name: str, steps: int, enabled: bool):
        self.name, self.steps, self.enabled = name, steps, bool(enabled)
        self.every = max(1, steps // 10)

    def __call__(self, t: int, loss: float, lr: float) -> None:
        if self.enabled and (t % self.every == 0 or t == self.steps):
            print(f"{self.name}: step {t}/{self.steps}  loss {loss:.6e}  lr {lr:.3g}", file=sys.stderr)


def _theta(theta0, name: str) -> np.ndarray:
    theta = np.array(as_float_array(theta0, f"{name}: theta0"), dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"{name}: theta0 must be finite, but it has NaN or inf entries")
    return theta


def _evaluate(value_and_grad, theta: np.ndarray, args, name: str) -> tuple[float, np.ndarray]:
    """Call the user's value_and_grad and check what comes back."""
    loss, g = value_and_grad(theta.copy(), *args)  # a copy: the callback cannot alter our iterate
    g = as_float_array(g, f"{name}: the gradient")
    if g.shape != theta.shape:
        raise ValueError(f"{name}: the gradient has shape {g.shape}, but theta has shape {theta.shape}")
    return float(loss), g


def _common(steps, record_every, diverge_factor, name):
    steps = whole_number(steps, f"{name}: steps", 0)
    record_every = whole_number(record_every, f"{name}: record_every", 1)
    diverge_factor = positive_number(diverge_factor, f"{name}: diverge_factor")
    if diverge_factor <= 1:
        raise ValueError(f"{name}: diverge_factor must be > 1, but got {diverge_factor}")
    return steps, record_every, diverge_factor


# ---------------------------------------------------------------------------
# Full-batch gradient descent.
# ---------------------------------------------------------------------------
def gd(value_and_grad, theta0, lr, steps, *, callback=None, record_every=1, progress=False,
       diverge_factor=1e6):
    """Gradient descent: theta_{t+1} = theta_t - lr_t grad L(theta_t), for t = 0, ..., steps - 1.

    value_and_grad: theta (ndarray like theta0) -> (L(theta) float, grad L(theta) like theta0).
    lr: a float or a schedule t -> lr_t. Records steps 0, record_every, 2 record_every, ...
    and the last one. callback(t, theta_t), if given, is called at each record and its
    results are kept in History.extra. Raises DivergenceError when the loss turns
    non-finite or exceeds diverge_factor * max(|L(theta_0)|, 1). progress=True prints
    a line (step, loss, lr) to stderr about every tenth of the run.

    Returns (theta_steps, History). Cost: steps + 1 calls of value_and_grad.
    """
    name = "gd"
    theta0 = _theta(theta0, name)
    schedule = _as_schedule(lr, name)
    steps, record_every, diverge_factor = _common(steps, record_every, diverge_factor, name)
    recorder, report = _Recorder(theta0, callback), _Progress(name, steps, progress)

    theta = theta0.copy()
    start = None
    previous_lr = float("nan")  # the step size of the update that produced theta_t
    for t in range(steps + 1):
        loss, g = _evaluate(value_and_grad, theta, (), name)
        if start is None:
            if not np.isfinite(loss):
                raise ValueError(f"{name}: the loss at theta0 is {loss}; it must be finite")
            start = loss
        else:
            _check_loss(name, t, previous_lr, loss, start, diverge_factor)
        lr_t = _learning_rate(schedule, t, name)
        if t % record_every == 0 or t == steps:
            recorder.record(t, theta, loss, lr_t)
        report(t, loss, lr_t)
        if t == steps:
            break
        _check_gradient(name, t, previous_lr, loss, g)
        theta = theta - lr_t * g
        previous_lr = lr_t
    return theta, recorder.history()


# ---------------------------------------------------------------------------
# Stochastic gradient descent on mini-batches.
# ---------------------------------------------------------------------------
def minibatch_indices(n, batch_size, steps, *, replace, seed) -> np.ndarray:
    """The sample indices of every mini-batch of a run: an int64 array (steps, batch_size).

    replace=True: every index is drawn uniformly from 0..n-1, independently.
    replace=False: epochs. The index stream is a concatenation of independent random
    permutations of 0..n-1, cut into consecutive batches, so every sample is used
    exactly once per n consecutive draws (a batch may straddle two epochs).
    """
    n = whole_number(n, "minibatch_indices: n (number of samples)", 1)
    batch_size = whole_number(batch_size, "minibatch_indices: batch_size", 1)
    steps = whole_number(steps, "minibatch_indices: steps", 0)
    if not replace and batch_size > n:
        raise ValueError(
            f"minibatch_indices: batch_size = {batch_size} is larger than the n = {n} samples; "
            "without replacement a batch holds each sample at most once"
        )
    rng = generator(seed, "minibatch_indices")
    total = steps * batch_size
    if replace:
        stream = rng.integers(0, n, size=total)
    else:
        epochs = -(-total // n)  # ceil(total / n)
        stream = np.concatenate([rng.permutation(n) for _ in range(epochs)] or [np.zeros(0, np.int64)])
    return stream[:total].astype(np.int64).reshape(steps, batch_size)


def sgd(batch_value_and_grad, n, theta0, lr, steps, *, batch_size=1, replace=False, seed,
        full_loss=None, callback=None, record_every=1, progress=False, diverge_factor=1e6):
    """Mini-batch SGD: theta_{t+1} = theta_t - lr_t g_t, g_t the gradient on batch B_t.

    batch_value_and_grad(theta, idx) -> (loss on the samples idx, its gradient like theta),
    idx an int64 array of batch_size indices into 0..n-1 (see ``minibatch_indices`` for how
    batches are drawn with or without replacement). The batch loss should be a mean over
    idx, so that g_t is an unbiased estimate of the full gradient.
    full_loss(theta) -> float is the training loss recorded in History.loss; by default
    it is batch_value_and_grad(theta, all n indices)[0], one full pass per record (set
    record_every to keep that cheap). Divergence is checked on every batch loss (finite)
    and on the recorded full losses (|L| <= diverge_factor * max(|L_0|, 1)). With
    progress=True a line goes to stderr at the recorded steps, about ten per run.

    Returns (theta_steps, History). Cost: steps batch evaluations plus one full loss per record.
    """
    name = "sgd"
    theta0 = _theta(theta0, name)
    schedule = _as_schedule(lr, name)
    steps, record_every, diverge_factor = _common(steps, record_every, diverge_factor, name)
    batches = minibatch_indices(n, batch_size, steps, replace=replace, seed=seed)
    if full_loss is None:
        everything = np.arange(n, dtype=np.int64)

        def full_loss(theta):
            return batch_value_and_grad(theta, everything)[0]

    recorder, report = _Recorder(theta0, callback), _Progress(name, steps, progress)
    theta = theta0.copy()
    start = None
    previous_lr = float("nan")
    for t in range(steps + 1):
        lr_t = _learning_rate(schedule, t, name)
        if t % record_every == 0 or t == steps:
            loss = float(full_loss(theta.copy()))
            if start is None:
                if not np.isfinite(loss):
                    raise ValueError(f"{name}: the loss at theta0 is {loss}; it must be finite")
                start = loss
            _check_loss(name, t, previous_lr, loss, start, diverge_factor)
            recorder.record(t, theta, loss, lr_t)
            report(t, loss, lr_t)
        if t == steps:
            break
        batch_loss, g = _evaluate(batch_value_and_grad, theta, (batches[t].copy(),), name)
        _check_gradient(name, t, previous_lr, batch_loss, g)
        theta = theta - lr_t * g
        previous_lr = lr_t
    return theta, recorder.history()


# ---------------------------------------------------------------------------
# SGD for least squares, compiled.
# ---------------------------------------------------------------------------
BACKENDS = ("numba", "numpy")


def sgd_least_squares(A, y, w0, lr, steps, *, batch_size=1, replace=True, seed, backend="numba",
                      diverge_factor=1e6):
    """SGD on L(w) = (1/(2n)) ||A w - y||^2 with the whole loop in one kernel.

    Step t: w <- w - lr_t (1/b) sum_{i in B_t} (a_i . w - y_i) a_i, with the batches B_t
    from ``minibatch_indices(n, batch_size, steps, replace=replace, seed=seed)``.
    A: (n, p), y: (n,), w0: (p,); lr a float, a schedule, or a 1-D array of the `steps`
    step sizes lr_0..lr_{steps-1} (a long schedule then costs no Python call per step).
    backend "numba" runs the compiled kernel, "numpy" its plain twin (both in minigrad.kernels).

    Returns (w (p,), losses (steps + 1,)), losses[t] = L before step t, losses[steps] at
    the end. Raises DivergenceError, naming the first bad step and its lr, if a loss is
    non-finite or exceeds diverge_factor * max(|losses[0]|, 1).
    """
    from .linear import _problem  # the same checks as the least-squares solvers

    name = "sgd_least_squares"
    A, y = _problem(A, y, name)
    n, p = A.shape
    w0 = _theta(w0, name)
    if w0.shape != (p,):
        raise ValueError(f"{name}: w0 must have shape ({p},) (one weight per column of A, shape {A.shape}), "
                         f"but has shape {w0.shape}")
    steps = whole_number(steps, f"{name}: steps", 0)
    diverge_factor = positive_number(diverge_factor, f"{name}: diverge_factor")
    if backend not in BACKENDS:
        raise ValueError(f"{name}: backend must be one of {BACKENDS}, but got {backend!r}")
    if isinstance(lr, np.ndarray):  # the step sizes, one per step
        lrs = np.array(lr, dtype=np.float64)
        if lrs.shape != (steps,):
            raise ValueError(f"{name}: an array lr must hold one step size per step, shape ({steps},), "
                             f"but has shape {lrs.shape}")
        bad = np.flatnonzero(~(np.isfinite(lrs) & (lrs > 0)))
        if bad.size:
            raise ValueError(f"{name}: lr[{bad[0]}] = {float(lrs[bad[0]])}; every step size must be finite and > 0")
    elif callable(lr):
        schedule = _as_schedule(lr, name)
        lrs = np.array([_learning_rate(schedule, t, name) for t in range(steps)], dtype=np.float64)
    else:  # a constant: checked once, no need to call a schedule per step
        lrs = np.full(steps, positive_number(lr, f"{name}: lr"))
    batches = minibatch_indices(n, batch_size, steps, replace=replace, seed=seed)
    from . import kernels  # lazily, here: importing minigrad must not import numba

    kernel = kernels.sgd_least_squares_numba if backend == "numba" else kernels.sgd_least_squares_numpy
    w, losses = kernel(A, y, w0, lrs, batches)
    # The kernel runs to the end; find the first step where the loss blew up, if any.
    limit = diverge_factor * max(abs(losses[0]), 1.0)
    bad = np.flatnonzero(~np.isfinite(losses) | (np.abs(losses) > limit))
    if bad.size:
        t = int(bad[0])
        if t == 0:
            raise ValueError(f"{name}: the loss at w0 is {losses[0]}; it must be finite")
        raise _diverged(name, t, float(lrs[t - 1]), float(losses[t]), float(losses[0]), diverge_factor)
    return w, losses
