"""Schedules, gradient descent and SGD (minigrad.optim) against closed forms and plain loops.

* GD on a quadratic 1/2 (x - x*)^T H (x - x*) has the closed-form iterates
  x_t - x* = (I - lr H)^t (x_0 - x*); with lr = 2/(mu + L) the error shrinks by exactly
  (L - mu)/(L + mu) per step along the extreme eigenvectors.
* SGD without replacement visits every sample once per epoch; SGD with the whole data
  set as one batch is GD.
* sgd_least_squares (a compiled kernel) is held to a loop in plain Python, step for step.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import optim
from strategies import floats, seeds


def gaussian(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


def rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b)


# ---------------------------------------------------------------------------
# Schedules.
# ---------------------------------------------------------------------------
@given(t=st.integers(0, 10**6), lr=floats(1e-4, 10.0), c=floats(1e-3, 10.0), t0=floats(0.5, 100.0))
def test_schedules_give_their_formulas(t, lr, c, t0):
    assert optim.constant(lr)(t) == lr
    assert optim.inverse_time(c, t0)(t) == c / (t + t0)
    assert optim.step_decay(lr, 0.5, 7)(t) == lr * 0.5 ** (t // 7)


def test_step_decay_values():
    schedule = optim.step_decay(1.0, 0.1, 10)
    assert [schedule(t) for t in (0, 9, 10, 19, 20, 35)] == [1.0, 1.0, 0.1, 0.1, 0.1 ** 2, 0.1 ** 3]
    assert optim.inverse_time(2.0, 4.0)(6) == 0.2


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: optim.constant(0.0), ValueError, r"constant: lr must be a finite number > 0, but got 0"),
        (lambda: optim.constant(-0.1), ValueError, r"> 0, but got -0.1"),
        (lambda: optim.constant(float("nan")), ValueError, r"> 0, but got nan"),
        (lambda: optim.constant("0.1"), TypeError, r"lr must be a real number, but got str"),
        (lambda: optim.inverse_time(0.0, 1.0), ValueError, r"inverse_time: c must be .* > 0"),
        (lambda: optim.inverse_time(1.0, 0.0), ValueError, r"inverse_time: t0 must be .* > 0"),
        (lambda: optim.step_decay(1.0, 1.5, 10), ValueError, r"factor must be in \(0, 1\].*1.5"),
        (lambda: optim.step_decay(1.0, 0.5, 0), ValueError, r"every must be an int >= 1, but got 0"),
        (lambda: optim.step_decay(-1.0, 0.5, 3), ValueError, r"lr0 must be .* > 0"),
        (lambda: optim.constant(0.1)(-1), ValueError, r"the step t must be an int >= 0, but got -1"),
        (lambda: optim.inverse_time(1.0, 1.0)(2.5), TypeError, r"the step t must be an int"),
    ],
)
def test_schedules_reject_bad_input(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ---------------------------------------------------------------------------
# Gradient descent.
# ---------------------------------------------------------------------------
def quadratic(seed, eigenvalues):
    """(f, H, x*) for f(x) = 1/2 (x - x*)^T H (x - x*), H = Q diag(eigenvalues) Q^T."""
    p = len(eigenvalues)
    Q = np.linalg.qr(gaussian(seed, p, p))[0]
    H = Q @ np.diag(eigenvalues) @ Q.T
    x_star = gaussian(seed + 1, p)

    def f(x):
        d = x - x_star
        return 0.5 * (d * mg.matmul(H, d)).sum()

    return f, H, x_star


@given(mu=floats(0.1, 1.0), kappa=floats(1.5, 20.0), seed=seeds())
def test_gd_on_a_quadratic_has_the_closed_form_iterates_and_linear_rate(mu, kappa, seed):
    L = mu * kappa
    f, H, x_star = quadratic(seed, [mu, 0.5 * (mu + L), L])
    theta0 = gaussian(seed + 2, 3)
    lr = 2.0 / (mu + L)
    steps = 25
    theta, hist = optim.gd(mg.value_and_grad(f), theta0, lr, steps)

    # Closed form: e_t = (I - lr H)^t e_0.
    M = np.eye(3) - lr * H
    errors = [theta0 - x_star]
    for _ in range(steps):
        errors.append(M @ errors[-1])
    # Each step rounds theta to ~eps |theta|, so e_t is known to no better than that
    # floor once it has shrunk; we compare to 1e-9 relative plus this floor.
    floor = 1e-14 * steps * (1 + np.linalg.norm(x_star) + np.linalg.norm(theta0))
    assert np.linalg.norm(theta - x_star - errors[-1]) <= 1e-9 * np.linalg.norm(errors[-1]) + floor
    for i, e in enumerate(errors):
        assert abs(hist.loss[i] - 0.5 * e @ H @ e) <= 1e-9 * hist.loss[i] + L * (np.linalg.norm(e) + floor) * floor
        assert abs(hist.distance[i] - np.linalg.norm(e - errors[0])) <= 1e-9 * hist.distance[i] + floor

    # The rate: lr = 2/(mu + L) maps the middle eigenvalue to 0 and both ends to
    # +-rho, rho = (L - mu)/(L + mu); so ||e_t|| = rho^(t - 1) ||e_1|| exactly for t >= 1.
    rho = (L - mu) / (L + mu)
    norms = np.array([np.linalg.norm(e) for e in errors])
    np.testing.assert_allclose(norms[1:], norms[1] * rho ** np.arange(steps), rtol=1e-9)
    assert np.linalg.norm(theta - x_star) <= rho ** steps * np.linalg.norm(theta0 - x_star) + floor


def test_gd_history_records_every_k_steps_and_the_last():
    f, H, x_star = quadratic(3, [0.5, 1.0, 2.0])
    schedule = optim.inverse_time(1.0, 2.0)
    theta0 = gaussian(4, 3)
    seen = []
    theta, hist = optim.gd(mg.value_and_grad(f), theta0, schedule, 10, record_every=4,
                           callback=lambda t, th: (seen.append(type(th)), t, th)[1:])
    # The same run by hand.
    iterates = [theta0]
    for t in range(10):
        iterates.append(iterates[-1] - schedule(t) * (H @ (iterates[-1] - x_star)))
    assert rel(theta, iterates[-1]) < 1e-12
    np.testing.assert_array_equal(hist.step, [0, 4, 8, 10])
    assert hist.step.dtype == np.int64
    np.testing.assert_allclose(hist.lr, [schedule(t) for t in (0, 4, 8, 10)], rtol=0)
    for i, t in enumerate((0, 4, 8, 10)):
        e = iterates[t] - x_star
        assert abs(hist.loss[i] - 0.5 * e @ H @ e) <= 1e-12 * hist.loss[0]
        assert abs(hist.distance[i] - np.linalg.norm(iterates[t] - theta0)) <= 1e-12 * (1 + hist.distance[i])
        assert hist.extra[i][0] == t and rel(hist.extra[i][1], iterates[t]) < 1e-12
    assert seen == [np.ndarray] * 4  # the callback sees plain arrays, not Tensors
    _, quiet = optim.gd(mg.value_and_grad(f), theta0, 0.1, 3)
    assert quiet.extra == [] and len(quiet.step) == 4


def test_training_loops_record_no_graph_of_their_own():
    # Every engine op run during training comes from the value_and_grad callbacks:
    # the loops' updates are numpy arithmetic, so memory does not grow with steps.
    f, _, _ = quadratic(0, [1.0, 2.0])
    value_and_grad = mg.value_and_grad(f)
    theta0 = np.ones(2)
    before = mg.op_count()[0]
    value_and_grad(theta0)
    per_call = mg.op_count()[0] - before
    assert per_call > 0

    before = mg.op_count()[0]
    optim.gd(value_and_grad, theta0, 0.1, 7)
    assert mg.op_count()[0] - before == 8 * per_call

    def batch_value_and_grad(theta, idx):
        return value_and_grad(theta)  # the op count does not depend on idx

    before = mg.op_count()[0]
    optim.sgd(batch_value_and_grad, 5, theta0, 0.1, 7, seed=0, record_every=3)
    records = 4  # steps 0, 3, 6 and 7, each with one full-loss evaluation
    assert mg.op_count()[0] - before == (7 + records) * per_call


def test_gd_raises_divergence_error_naming_step_and_lr():
    f, _, _ = quadratic(1, [1.0, 4.0])
    with pytest.raises(optim.DivergenceError, match=r"gd diverged at step \d+ with lr = 0\.75: the loss is") as info:
        optim.gd(mg.value_and_grad(f), np.ones(2), 0.75, 1000)  # 0.75 > 2/L = 0.5
    assert isinstance(info.value, ValueError)
    step = int(str(info.value).split("step ")[1].split()[0])
    assert 1 < step < 1000  # stopped when the loss passed 1e6 x its start, long before NaN

    # A loss that turns NaN (log of a negative number) is a divergence too, not a NaN result.
    with np.errstate(invalid="ignore"), pytest.raises(optim.DivergenceError, match=r"diverged at step 1 with lr = 5"):
        optim.gd(mg.value_and_grad(lambda x: mg.log(x).sum()), np.ones(1) * 0.5, 5.0, 10)  # x_1 = 0.5 - 5 * 2 < 0
    # x -> x - 1.5 * 2x = -2x: the loss is 4^t; it passes 10 x max(|1|, 1) at step 2.
    expected = r"gd diverged at step 2 with lr = 1.5: the loss is 16,.*limit 10 x"
    with pytest.raises(optim.DivergenceError, match=expected):
        optim.gd(lambda th: (float(th[0]) ** 2, 2 * th), np.ones(1), 1.5, 10, diverge_factor=10.0)


def test_a_non_finite_gradient_is_bad_input_at_the_start_and_a_divergence_later():
    def value_and_grad(theta):
        g = np.array([np.inf]) if theta[0] < 0 else 2 * theta
        return float(theta[0] ** 2), g

    with pytest.raises(ValueError, match=r"gd: the loss or gradient at theta0 is not finite") as info:
        optim.gd(value_and_grad, -np.ones(1), 0.1, 5)
    assert not isinstance(info.value, optim.DivergenceError)
    # x -> x - 1.2 * 2x = -1.4 x: negative after one step, where the gradient is inf.
    with pytest.raises(optim.DivergenceError, match=r"gd diverged at step 1 with lr = 1.2:.*gradient has NaN or inf"):
        optim.gd(value_and_grad, np.ones(1), 1.2, 5)
    with pytest.raises(optim.DivergenceError, match=r"sgd diverged at step 1 with lr = 1.2:.*gradient has NaN or inf"):
        optim.sgd(lambda th, idx: value_and_grad(th), 3, np.ones(1), 1.2, 5, seed=0,
                  full_loss=lambda th: float(th[0] ** 2))


def test_gd_progress_prints_to_stderr(capsys):
    f, _, _ = quadratic(2, [1.0, 2.0])
    optim.gd(mg.value_and_grad(f), np.ones(2), 0.1, 20, progress=True)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == ""
    assert len(lines) == 11 and lines[0].startswith("gd: step 0/20  loss ") and lines[-1].startswith("gd: step 20/20")
    optim.gd(mg.value_and_grad(f), np.ones(2), 0.1, 20)
    assert capsys.readouterr().err == ""
    A, y, batch_value_and_grad = least_squares(0)
    optim.sgd(batch_value_and_grad, 8, np.zeros(3), 0.05, 40, seed=0, record_every=4, progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 11 and lines[0].startswith("sgd: step 0/40  loss ") and lines[-1].startswith("sgd: step 40/40")


def _square(th):
    return float(th @ th), 2 * th


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"steps": -1}, ValueError, r"gd: steps must be an int >= 0, but got -1"),
        ({"steps": 2.0}, TypeError, r"gd: steps must be an int"),
        ({"record_every": 0}, ValueError, r"record_every must be an int >= 1"),
        ({"diverge_factor": 1.0}, ValueError, r"diverge_factor must be > 1"),
        ({"lr": 0.0}, ValueError, r"gd: lr must be a finite number > 0"),
        ({"lr": lambda t: -1.0}, ValueError, r"the schedule gave lr = -1.0 at step 0"),
        ({"theta0": np.array([1.0, np.nan])}, ValueError, r"theta0 must be finite"),
        ({"value_and_grad": lambda th: (0.0, np.zeros(3))}, ValueError,
         r"gradient has shape \(3,\).*theta has shape \(2,\)"),
        ({"value_and_grad": lambda th: (np.nan, th)}, ValueError, r"loss at theta0 is nan"),
    ],
)
def test_gd_rejects_bad_input(kwargs, error, match):
    args = {"value_and_grad": _square, "theta0": np.ones(2), "lr": 0.1, "steps": 3} | kwargs
    with pytest.raises(error, match=match):
        optim.gd(args.pop("value_and_grad"), args.pop("theta0"), args.pop("lr"), args.pop("steps"), **args)


# ---------------------------------------------------------------------------
# Mini-batches and SGD.
# ---------------------------------------------------------------------------
@given(n=st.integers(1, 12), batch_size=st.integers(1, 12), epochs=st.integers(1, 4), seed=seeds())
def test_without_replacement_every_sample_is_used_once_per_epoch(n, batch_size, epochs, seed):
    batch_size = min(batch_size, n)
    steps = -(-epochs * n // batch_size)  # enough steps to cover `epochs` epochs
    batches = optim.minibatch_indices(n, batch_size, steps, replace=False, seed=seed)
    assert batches.shape == (steps, batch_size) and batches.dtype == np.int64
    stream = batches.ravel()
    for e in range(epochs):
        np.testing.assert_array_equal(np.sort(stream[e * n:(e + 1) * n]), np.arange(n))
    np.testing.assert_array_equal(batches, optim.minibatch_indices(n, batch_size, steps, replace=False, seed=seed))


def test_without_replacement_the_stream_is_one_fresh_permutation_per_epoch_from_the_seed():
    n, batch_size, steps = 7, 3, 30  # 90 draws: 12 whole epochs and part of a 13th, batches straddle epochs
    batches = optim.minibatch_indices(n, batch_size, steps, replace=False, seed=11)
    rng = np.random.default_rng(11)  # the documented construction, written out
    expected = np.concatenate([rng.permutation(n) for _ in range(13)])[: steps * batch_size]
    np.testing.assert_array_equal(batches.ravel(), expected)
    epochs = batches.ravel()[: 12 * n].reshape(12, n)
    for e in range(11):
        assert not np.array_equal(epochs[e], epochs[e + 1]), f"epochs {e} and {e + 1} repeat one permutation"
    assert len({tuple(e) for e in epochs}) == 12  # 12 draws of 7! = 5040 permutations: all distinct here
    other = optim.minibatch_indices(n, batch_size, steps, replace=False, seed=12)
    assert not np.array_equal(other, batches)  # another seed, another stream


def test_with_replacement_draws_uniform_indices_independently():
    batches = optim.minibatch_indices(10, 4, 50, replace=True, seed=3)
    assert batches.shape == (50, 4) and batches.min() >= 0 and batches.max() <= 9
    np.testing.assert_array_equal(batches, np.random.default_rng(3).integers(0, 10, size=200).reshape(50, 4))
    epochs = batches.ravel().reshape(20, 10)
    assert not all(len(set(e)) == 10 for e in epochs)  # repeats within an "epoch" happen
    np.testing.assert_array_equal(
        optim.minibatch_indices(10, 4, 50, replace=True, seed=np.random.default_rng(3)), batches)


def least_squares(seed, n=8, p=3):
    A, y = gaussian(seed, n, p), gaussian(seed + 1, n)

    def batch_value_and_grad(w, idx):
        r = A[idx] @ w - y[idx]
        return 0.5 * np.mean(r * r), A[idx].T @ r / len(idx)

    return A, y, batch_value_and_grad


@pytest.mark.parametrize("replace", [False, True])
def test_sgd_uses_the_announced_batches(replace):
    A, y, batch_value_and_grad = least_squares(0)
    seen = []

    def spy(w, idx):
        if len(idx) < len(y):  # the full-loss evaluations use all indices at once
            seen.append(idx.copy())
        return batch_value_and_grad(w, idx)

    optim.sgd(spy, 8, np.zeros(3), 0.05, 12, batch_size=2, replace=replace, seed=5, record_every=100)
    expected = optim.minibatch_indices(8, 2, 12, replace=replace, seed=5)
    np.testing.assert_array_equal(np.array(seen), expected)
    if not replace:  # 12 batches of 2 = 3 epochs of 8, each a permutation
        for e in range(3):
            np.testing.assert_array_equal(np.sort(np.concatenate(seen[4 * e:4 * e + 4])), np.arange(8))


def test_sgd_with_the_whole_data_set_as_one_batch_is_gd():
    A, y, batch_value_and_grad = least_squares(1)
    theta_sgd, hist_sgd = optim.sgd(batch_value_and_grad, 8, np.zeros(3), 0.1, 30, batch_size=8, seed=0)
    everything = np.arange(8)
    theta_gd, hist_gd = optim.gd(lambda w: batch_value_and_grad(w, everything), np.zeros(3), 0.1, 30)
    assert rel(theta_sgd, theta_gd) < 1e-12
    np.testing.assert_allclose(hist_sgd.loss, hist_gd.loss, rtol=1e-12)
    np.testing.assert_array_equal(hist_sgd.step, hist_gd.step)


def test_sgd_matches_a_plain_loop_and_records_the_full_loss():
    A, y, batch_value_and_grad = least_squares(2)
    schedule = optim.step_decay(0.2, 0.5, 5)
    theta, hist = optim.sgd(batch_value_and_grad, 8, np.zeros(3), schedule, 12, batch_size=3, replace=False,
                            seed=9, record_every=5, callback=lambda t, w: w)
    batches = optim.minibatch_indices(8, 3, 12, replace=False, seed=9)
    w, iterates = np.zeros(3), [np.zeros(3)]
    for t in range(12):
        r = A[batches[t]] @ w - y[batches[t]]
        w = w - schedule(t) * A[batches[t]].T @ r / 3
        iterates.append(w)
    assert rel(theta, w) < 1e-12
    np.testing.assert_array_equal(hist.step, [0, 5, 10, 12])
    for i, t in enumerate(hist.step):
        np.testing.assert_allclose(hist.extra[i], iterates[t], rtol=1e-12, atol=1e-15)
        full = np.sum((A @ iterates[t] - y) ** 2) / 16
        assert abs(hist.loss[i] - full) <= 1e-12 * full
        assert hist.lr[i] == schedule(t)

    _, custom = optim.sgd(batch_value_and_grad, 8, np.zeros(3), 0.1, 4, seed=9, full_loss=lambda w: 7.0)
    np.testing.assert_array_equal(custom.loss, [7.0] * 5)


def test_sgd_raises_divergence_error_naming_step_and_lr():
    A, y, batch_value_and_grad = least_squares(3)
    with pytest.raises(optim.DivergenceError, match=r"sgd diverged at step \d+ with lr = 3: the loss is"):
        optim.sgd(batch_value_and_grad, 8, np.zeros(3), 3.0, 2000, batch_size=4, seed=0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"seed": None}, TypeError, r"seed must be an int or a numpy.random.Generator, but got NoneType"),
        ({"batch_size": 9}, ValueError, r"batch_size = 9 is larger than the n = 8 samples"),
        ({"batch_size": 0}, ValueError, r"batch_size must be an int >= 1, but got 0"),
        ({"n": 0}, ValueError, r"n \(number of samples\) must be an int >= 1, but got 0"),
        ({"steps": -2}, ValueError, r"sgd: steps must be an int >= 0, but got -2"),
        ({"lr": -0.1}, ValueError, r"sgd: lr must be a finite number > 0"),
    ],
)
def test_sgd_rejects_bad_input(kwargs, error, match):
    _, _, batch_value_and_grad = least_squares(0)
    args = {"n": 8, "lr": 0.1, "steps": 3, "seed": 0} | kwargs
    with pytest.raises(error, match=match):
        optim.sgd(batch_value_and_grad, args.pop("n"), np.zeros(3), args.pop("lr"), args.pop("steps"), **args)


# ---------------------------------------------------------------------------
# sgd_least_squares: the compiled loop against one in plain Python.
# ---------------------------------------------------------------------------
def python_sgd_least_squares(A, y, w0, lrs, batches):
    """The reference: the SGD loop with Python floats and explicit sums, no numpy vector ops."""
    n, p = A.shape
    rows = [[float(a) for a in row] for row in A]
    targets = [float(v) for v in y]
    w = [float(v) for v in w0]

    def loss(w):
        return sum((sum(row[k] * w[k] for k in range(p)) - yi) ** 2 for row, yi in zip(rows, targets)) / (2 * n)

    losses = []
    for lr, batch in zip(lrs, batches):
        losses.append(loss(w))
        g = [0.0] * p
        for i in batch:
            r = sum(rows[i][k] * w[k] for k in range(p)) - targets[i]
            for k in range(p):
                g[k] += r * rows[i][k]
        w = [w[k] - float(lr) * g[k] / len(batch) for k in range(p)]
    losses.append(loss(w))
    return np.array(w), np.array(losses)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@given(n=st.integers(1, 10), p=st.integers(1, 4), batch_size=st.integers(1, 4), replace=st.booleans(), seed=seeds())
def test_sgd_least_squares_matches_a_python_loop_step_for_step(backend, n, p, batch_size, replace, seed):
    batch_size = min(batch_size, n)
    A, y, w0 = gaussian(seed, n, p), gaussian(seed + 1, n), gaussian(seed + 2, p)
    lr = 0.5 / max(1.0, np.max(np.sum(A * A, axis=1)))  # below 2 / max_i ||a_i||^2: stable
    schedule = optim.inverse_time(lr * 5, 5.0)
    steps = 30
    w, losses = optim.sgd_least_squares(A, y, w0, schedule, steps, batch_size=batch_size, replace=replace,
                                        seed=seed, backend=backend)
    lrs = [schedule(t) for t in range(steps)]
    batches = optim.minibatch_indices(n, batch_size, steps, replace=replace, seed=seed)
    w_ref, losses_ref = python_sgd_least_squares(A, y, w0, lrs, batches)
    assert losses.shape == (steps + 1,)
    np.testing.assert_allclose(w, w_ref, rtol=1e-11, atol=1e-12 * np.linalg.norm(w_ref))
    np.testing.assert_allclose(losses, losses_ref, rtol=1e-11, atol=1e-14)


def test_sgd_least_squares_agrees_with_the_general_sgd_loop():
    A, y, batch_value_and_grad = least_squares(4, n=12, p=4)
    for replace in (False, True):
        w, losses = optim.sgd_least_squares(A, y, np.zeros(4), 0.05, 40, batch_size=3, replace=replace, seed=11,
                                            backend="numpy")
        theta, hist = optim.sgd(batch_value_and_grad, 12, np.zeros(4), 0.05, 40, batch_size=3, replace=replace,
                                seed=11)
        assert rel(w, theta) < 1e-12
        np.testing.assert_allclose(losses, hist.loss, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_sgd_least_squares_raises_divergence_error_naming_step_and_lr(backend):
    A, y = gaussian(5, 10, 3), gaussian(6, 10)
    with pytest.raises(optim.DivergenceError, match=r"sgd_least_squares diverged at step \d+ with lr = 4: the loss is"):
        optim.sgd_least_squares(A, y, np.zeros(3), 4.0, 3000, seed=0, backend=backend)


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.ones((4, 2)), np.ones(3), np.zeros(2)), {}, ValueError, r"y must have shape \(4,\).*\(3,\)"),
        ((np.ones((4, 2)), np.ones(4), np.zeros(3)), {}, ValueError, r"w0 must have shape \(2,\).*\(3,\)"),
        ((np.full((4, 2), np.nan), np.ones(4), np.zeros(2)), {}, ValueError, r"A must be finite"),
        ((np.ones((4, 2)), np.ones(4), np.zeros(2)), {"backend": "cuda"}, ValueError,
         r"backend must be one of \('numba', 'numpy'\), but got 'cuda'"),
        ((np.ones((4, 2)), np.ones(4), np.zeros(2)), {"seed": "x"}, TypeError, r"seed must be an int"),
        ((np.ones((4, 2)), np.ones(4), np.zeros(2)), {"batch_size": 5, "replace": False}, ValueError,
         r"batch_size = 5 is larger than the n = 4"),
    ],
)
def test_sgd_least_squares_rejects_bad_input(args, kwargs, error, match):
    kwargs = {"seed": 0} | kwargs
    with pytest.raises(error, match=match):
        optim.sgd_least_squares(*args, 0.1, 5, **kwargs)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_sgd_least_squares_takes_an_array_of_step_sizes_like_the_schedule_it_lists(backend):
    A, y = gaussian(7, 9, 3), gaussian(8, 9)
    schedule = optim.inverse_time(0.4, 3.0)
    lrs = np.array([schedule(t) for t in range(25)])
    w_array, losses_array = optim.sgd_least_squares(A, y, np.zeros(3), lrs, 25, batch_size=2, seed=3, backend=backend)
    w_schedule, losses_schedule = optim.sgd_least_squares(A, y, np.zeros(3), schedule, 25, batch_size=2, seed=3,
                                                          backend=backend)
    np.testing.assert_array_equal(w_array, w_schedule)
    np.testing.assert_array_equal(losses_array, losses_schedule)


@pytest.mark.parametrize(
    "lrs, match",
    [
        (np.full(4, 0.1), r"an array lr must hold one step size per step, shape \(5,\), but has shape \(4,\)"),
        (np.full((5, 1), 0.1), r"shape \(5,\), but has shape \(5, 1\)"),
        (np.array([0.1, 0.1, -0.1, 0.1, 0.1]), r"lr\[2\] = -0.1; every step size must be finite and > 0"),
        (np.array([0.1, np.nan, 0.1, 0.1, 0.1]), r"lr\[1\] = nan"),
    ],
)
def test_sgd_least_squares_rejects_a_bad_array_of_step_sizes(lrs, match):
    with pytest.raises(ValueError, match=match):
        optim.sgd_least_squares(np.ones((4, 2)), np.ones(4), np.zeros(2), lrs, 5, seed=0)
