"""Lesson 0 — a tour of the engine.

Everything later in the course rests on two numbers the engine returns: the gradient
grad f(theta) and the Hessian-vector product H(theta) v. This lesson checks both on
functions small enough to differentiate by hand, then measures what an HVP costs.

Claims checked here:
  * reverse mode gives the same gradient as the formula worked out by hand;
  * H v is the derivative of the gradient along v:  H v = d/dt grad f(x + t v) at t = 0;
  * the full Hessian (one HVP per column) matches the closed form and is symmetric;
  * Pearlmutter's trick: an HVP costs a small constant times one evaluation of f,
    whatever the number of parameters p (counted in primitive ops, deterministically);
  * two ways to the same HVP -- forward over reverse (the default) and reverse over
    reverse -- agree to round-off, and forward over reverse does less work;
  * mg.check.check_op catches a rule that leaves the graph.

Run it:  python -m lessons 0
"""

# %% [markdown]
# ## 1. A gradient by hand and by the engine
# f(x) = sum_i x_i tanh(x_i). By hand: df/dx_i = tanh(x_i) + x_i (1 - tanh(x_i)^2).

# %%
from lessons.harness import Lesson  # first: it sets the BLAS threads before numpy loads

import time  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402

lesson = Lesson(0, "A tour of the engine")
rng = np.random.default_rng(0)


def f(x):
    return (x * mg.tanh(x)).sum()


x0 = rng.standard_normal(5)
by_hand = np.tanh(x0) + x0 * (1 - np.tanh(x0) ** 2)

x = mg.Tensor(x0, requires_grad=True)
y = f(x)
y.backward()  # PyTorch / micrograd habits: the gradient lands in x.grad
by_engine = x.grad
lesson.say(f"  x         = {np.round(x0, 4)}")
lesson.say(f"  by hand   = {np.round(by_hand, 6)}")
lesson.say(f"  by engine = {np.round(by_engine, 6)}")
lesson.check_below("reverse-mode gradient equals the hand-derived one (max relative error)",
                   mg.check.relative_error(by_engine, by_hand), 1e-12)

# %% [markdown]
# ## 2. The HVP is the derivative of the gradient along v
# The engine computes H v as grad_x <grad f(x), v>: the first backward sweep is itself
# recorded as a graph, and the second sweep differentiates it. Compare with a finite
# difference of the gradient, and with the closed form: f is a sum of one-dimensional
# terms, so H is diagonal with H_ii = 2 (1 - tanh^2) (1 - x tanh).

# %%
v = rng.standard_normal(5)
hv_engine = mg.hvp(f, x0, v)
step = 1e-4
grad_f = mg.grad(f)
hv_difference = (grad_f(x0 + step * v) - grad_f(x0 - step * v)) / (2 * step)
t = np.tanh(x0)
hv_closed = 2 * (1 - t**2) * (1 - x0 * t) * v
lesson.say(f"  H v (engine)            = {np.round(hv_engine, 6)}")
lesson.say(f"  H v (closed form)       = {np.round(hv_closed, 6)}")
lesson.say(f"  H v (difference of grad)= {np.round(hv_difference, 6)}")
lesson.check_below("HVP equals the closed form (max relative error)",
                   mg.check.relative_error(hv_engine, hv_closed), 1e-12)
lesson.check_below("HVP equals the central difference of the gradient along v (step 1e-4)",
                   mg.check.relative_error(hv_engine, hv_difference), 1e-6)

# %% [markdown]
# ## 3. A full Hessian: Rosenbrock's function
# r(a, b) = (1 - a)^2 + 100 (b - a^2)^2 has the Hessian
# [[2 - 400 (b - a^2) + 800 a^2, -400 a], [-400 a, 200]]. mg.hessian builds it from
# one HVP per column; it must be symmetric, as every Hessian of a smooth f is.

# %%
def rosenbrock(z):
    a, b = z[0], z[1]
    return (1 - a) ** 2 + 100 * (b - a**2) ** 2


z0 = np.array([-0.7, 1.3])
H = mg.hessian(rosenbrock, z0)
a, b = z0
H_closed = np.array([[2 - 400 * (b - a**2) + 800 * a**2, -400 * a], [-400 * a, 200.0]])
lesson.say(f"  engine Hessian:\n{H}\n  closed form:\n{H_closed}")
lesson.check_below("Rosenbrock Hessian equals the closed form (max relative error)",
                   mg.check.relative_error(H, H_closed), 1e-12)
lesson.check_below("the Hessian is symmetric (max |H - H^T|)", float(np.max(np.abs(H - H.T))), 1e-12)

# %% [markdown]
# ## 4. What an HVP costs
# The point of Pearlmutter's trick: H v never forms the p x p matrix H. Its cost is a
# constant number of passes over the graph of f, so the ratio cost(HVP) / cost(f)
# should stay flat as p grows. We count the work deterministically, as the number of
# array elements the primitives produce (minigrad.op_count), and print the
# wall-clock ratio beside it for information only (timings are noisy).
#
# The function: the squared loss of a small two-layer tanh network with m hidden
# units, p = 2 m parameters, on 32 samples.

# %%
def make_loss(m, n=32):
    data = np.random.default_rng(1)
    X = data.standard_normal((n, 1))
    y = np.sin(X[:, 0])

    def outputs(theta):  # the network's n outputs f(x_j; theta)
        W = theta[:m].reshape((m, 1))
        a = theta[m:]
        return mg.tanh(X @ W.T) @ a / np.sqrt(m)

    def loss(theta):
        return ((outputs(theta) - y) ** 2).mean() / 2

    loss.outputs = outputs  # kept for section 5 (the Gauss-Newton control)
    return loss


def work_and_time(thunk, repeats=3):
    before = mg.op_count()[1]
    thunk()
    work = mg.op_count()[1] - before
    start = time.perf_counter()
    for _ in range(repeats):
        thunk()
    return work, (time.perf_counter() - start) / repeats


widths = lesson.size([10, 100, 1000, 10000], [10, 100, 1000])
grad_ratios, work_ratios, time_ratios, sizes = [], [], [], []
rr_work_ratios, rr_time_ratios = [], []
for m in widths:
    loss = make_loss(m)
    theta = np.random.default_rng(2).standard_normal(2 * m)
    direction = np.random.default_rng(3).standard_normal(2 * m)
    f_work, f_time = work_and_time(lambda: loss(mg.Tensor(theta)))
    g_work, _ = work_and_time(lambda: mg.grad(loss)(theta))
    h_work, h_time = work_and_time(lambda: mg.hvp(loss, theta, direction))  # default: forward over reverse
    rr_work, rr_time = work_and_time(lambda: mg.hvp(loss, theta, direction, mode="rev-rev"))
    sizes.append(2 * m)
    grad_ratios.append(g_work / f_work)
    work_ratios.append(h_work / f_work)
    time_ratios.append(h_time / f_time)
    rr_work_ratios.append(rr_work / f_work)
    rr_time_ratios.append(rr_time / f_time)
    lesson.say(f"  p = {2 * m:6d}: work of grad/f {g_work / f_work:5.2f}, HVP/f {h_work / f_work:5.2f}, "
               f"HVP/grad {h_work / g_work:4.2f};  wall-clock HVP/f {h_time / f_time:5.2f}")

# Two wrong ways to the same numbers, measured the same way, as controls: a gradient by
# forward differences (one f per parameter) and the full Hessian (mg.hessian: one sweep
# per column). Both are measured at the smallest widths only, where they are affordable.
small = make_loss(widths[0]), make_loss(widths[1])
fd_work = []
for loss_small, m in zip(small, widths[:2]):
    theta = np.random.default_rng(2).standard_normal(2 * m)
    f_work, _ = work_and_time(lambda: loss_small(mg.Tensor(theta)), repeats=1)

    def forward_differences():
        with mg.no_grad():
            base = loss_small(mg.Tensor(theta)).item()
            return [(loss_small(mg.Tensor(theta + 1e-7 * e)).item() - base) / 1e-7 for e in np.eye(2 * m)]

    fd_work.append(work_and_time(forward_differences, repeats=1)[0] / f_work)
    full_work, _ = work_and_time(lambda: mg.hessian(loss_small, theta), repeats=1)
    fd_work.append(full_work / f_work)
fd_grad_ratio, hessian_small, hessian_large = fd_work[0], fd_work[1], fd_work[3]
lesson.say(f"  controls: forward-difference gradient at p = {sizes[0]}: work/f {fd_grad_ratio:.1f}; "
           f"full Hessian work/f {hessian_small:.1f} at p = {sizes[0]}, {hessian_large:.1f} at p = {sizes[1]}")

# The cheap gradient principle (Baur & Strassen; Griewank & Walther, "Evaluating
# Derivatives", ch. 4): a reverse sweep costs a small constant (at most ~4) times the
# function it differentiates. An HVP is the gradient computation run once more with a
# tangent beside every value (forward over reverse), so it costs a few gradients, and
# a constant times f.
lesson.check_below("gradient work / f work (cheap gradient principle)", max(grad_ratios), 4.0,
                   controls={"a gradient by forward differences, one f per parameter": fd_grad_ratio})
lesson.check_below("HVP work / gradient work (the gradient computation, with tangents)",
                   max(w / g for w, g in zip(work_ratios, grad_ratios)), 4.0)
lesson.check_below("HVP work / f work does not grow with p (largest / smallest ratio over p)",
                   max(work_ratios) / min(work_ratios), 1.25,
                   controls={"the full Hessian (one sweep per column), same ratio over the two "
                             "smallest p": hessian_large / hessian_small})

# %% [markdown]
# ## 5. Two ways to an HVP
# H v is the derivative of the gradient along v. The engine can get it two ways round:
# * **forward over reverse** (mg.hvp's default): run the gradient computation -- f, then
#   its reverse sweep -- once, carrying beside every value its *tangent*, the derivative
#   along v (each primitive's jvp rule says how). The tangent of the gradient is H v.
# * **reverse over reverse** (mode="rev-rev", Pearlmutter's original): record the reverse
#   sweep itself as a graph, then sweep backwards over f's graph *and* that recorded one.
#
# Same numbers, up to round-off. The control is the Gauss-Newton product J^T J v / n,
# which drops the residual term sum_j r_j Hess f_j of the exact Hessian: a plausible
# wrong "HVP" that must fail the same test.

# %%
m = widths[-1]
loss = make_loss(m)
theta = np.random.default_rng(2).standard_normal(2 * m)
direction = np.random.default_rng(3).standard_normal(2 * m)
hv_fwd_rev = mg.hvp(loss, theta, direction)
hv_rev_rev = mg.hvp(loss, theta, direction, mode="rev-rev")
_, J_v = mg.jvp(loss.outputs, theta, direction)  # forward mode: J v, one sweep
gauss_newton = mg.grad(lambda t: (loss.outputs(t) * J_v).sum())(theta) / J_v.size  # J^T (J v) / n
lesson.say(f"  p = {2 * m}: |H v| = {np.linalg.norm(hv_rev_rev):.4g}, "
           f"|fwd-rev - rev-rev| = {np.linalg.norm(hv_fwd_rev - hv_rev_rev):.2g}, "
           f"|Gauss-Newton - rev-rev| = {np.linalg.norm(gauss_newton - hv_rev_rev):.3g}")
lesson.check_below("forward-over-reverse HVP equals reverse-over-reverse (max relative error)",
                   mg.check.relative_error(hv_fwd_rev, hv_rev_rev, floor=1e-8 * np.abs(hv_rev_rev).max()), 1e-10,
                   controls={"the Gauss-Newton product J^T J v / n (no residual term)":
                             mg.check.relative_error(gauss_newton, hv_rev_rev, floor=1e-8 * np.abs(hv_rev_rev).max())})

# %% [markdown]
# What each costs, in array elements produced (deterministic) and wall-clock (noisy,
# for information). Reverse over reverse records the gradient's graph and then sweeps
# back over two graphs, making a cotangent for every node of both; forward over reverse
# walks f's graph twice (forward, then back) and makes one extra tangent per value.
# With arrays this small (32 samples) the wall-clock is mostly Python's cost per
# primitive, and forward over reverse runs a jvp rule beside each: compare the two
# wall-clock columns with the two work columns to see whether that overhead shows.

# %%
for p_, fr, rr, tfr, trr in zip(sizes, work_ratios, rr_work_ratios, time_ratios, rr_time_ratios):
    lesson.say(f"  p = {p_:6d}: work/f  fwd-rev {fr:5.2f}, rev-rev {rr:5.2f};  "
               f"wall-clock/f  fwd-rev {tfr:5.2f}, rev-rev {trr:5.2f}")
saving = max(fr / rr for fr, rr in zip(work_ratios, rr_work_ratios))
lesson.say(f"  forward over reverse does at most {saving:.2f} of reverse over reverse's work, at every p")
lesson.check_below("fwd-rev HVP work / rev-rev HVP work (largest over p)", saving, 0.9)

# %% [markdown]
# A rule that *leaves the graph* -- here tanh whose vjp rule treats its cotangent g as a
# constant, `mg.Tensor(g.data) * slope` -- still gives the right gradient of
# `tanh(x).sum()`, where g = 1. mg.check.check_op puts the op inside a random
# composition, where the cotangent moves with x, and catches it; the engine's own tanh
# passes the same test.

# %%
from minigrad.tensor import as_tensor, make_node  # noqa: E402 (the tools for writing an op)


def tanh_with_a_detached_cotangent(a):
    a = as_tensor(a)
    return make_node(np.tanh(a.data), (a,), lambda g, out: (mg.Tensor(g.data) * mg.tanh_slope(out),),
                     "leaky_tanh", lambda dots, out: dots[0] * mg.tanh_slope(out))


point = rng.standard_normal(4)
summed = lambda t: tanh_with_a_detached_cotangent(t).sum()
lesson.say(f"  the leaky tanh under .sum(): check_grad {mg.check.check_grad(summed, point):.1e}, "
           f"check_hvp {mg.check.check_hvp(summed, point):.1e} (both blind)")
lesson.check_below("check_op error of the engine's tanh (gradient, JVP and three HVP modes)",
                   mg.check.check_op(mg.tanh, point), 1e-6,
                   controls={"a tanh whose rule detaches its cotangent": mg.check.check_op(tanh_with_a_detached_cotangent,
                                                                                        point)})

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
grid = np.linspace(-3, 3, 200)
values = grid * np.tanh(grid)
first = np.array([mg.grad(lambda s: s * mg.tanh(s))(np.array(g)) for g in grid])
second = np.array([mg.hvp(lambda s: s * mg.tanh(s), np.array(g), np.array(1.0)) for g in grid])
left.plot(grid, values, label="f(x) = x tanh x")
left.plot(grid, first, label="f'(x) from mg.grad")
left.plot(grid, second, label="f''(x) from mg.hvp")
left.set_xlabel("x")
left.set_ylabel("value")
left.legend()
left.set_title("(a) first and second derivatives by the engine")
right.semilogx(sizes, work_ratios, "o-", color="C0", label="fwd-rev: work (elements produced)")
right.semilogx(sizes, time_ratios, "s--", color="C0", label="fwd-rev: wall-clock (information)")
right.semilogx(sizes, rr_work_ratios, "o-", color="C1", label="rev-rev: work")
right.semilogx(sizes, rr_time_ratios, "s--", color="C1", label="rev-rev: wall-clock")
right.set_xlabel("number of parameters p")
right.set_ylabel("cost of one HVP / cost of one f")
right.set_ylim(bottom=0)
right.legend()
right.set_title("(b) an HVP costs a constant times f")
lesson.save_figure(fig, "tour")
