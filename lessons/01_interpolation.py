"""Lesson 1 — interpolation: with p >= n parameters, every training loss is zero.

The slide. Over-parameterization (p > n) lets a model interpolate: the training loss
L(w) = (1/n) sum_i l_i(w) is 0 AND every individual loss l_i(w) = (1/2)(f(x_i; w) - y_i)^2
is 0 — the model passes through every training point, noisy labels included. With
p < n this is impossible in general: least squares leaves a floor, the part of y
outside the column space of the design matrix A,

    min_w L(w) = ||(I - P_A) y||^2 / (2n),    P_A = the orthogonal projection onto range(A),

which is > 0, and it reaches 0 exactly when p = n (a generic A then has rank n).
(The setting of the lecture on over-parametrization; see e.g. M. Belkin, "Fit without
fear: remarkable mathematical phenomena of deep learning through the prism of
interpolation", Acta Numerica 2021.)

Checked here:
  * linear model on a random Gaussian design, p >= n: the minimum-norm least-squares
    solution (mg.linear.lstsq_min_norm) has max_i l_i at round-off level, below an a
    priori backward-error bound (n eps cond(A) ||y||)^2 / 2;
  * p < n: the training loss of least squares equals ||(I - P_A) y||^2 / (2n), with P_A
    computed independently from a QR factorization, and it is far above round-off;
  * a sweep over p: the floor decreases with p (nested models) and hits 0 at p = n;
  * a wide two-layer tanh network (mg.nn.TwoLayerNet, p = m (d + 1) >> n) trained by
    full-batch gradient descent drives max_i l_i below 1e-8 (compiled closed-form
    gradients, checked against the engine first).

Run it:  python -m lessons 1
"""

# %% [markdown]
# ## 1. Data: n noisy samples, up to 2n random features
# A has i.i.d. N(0, 1) entries, n = 40 rows and p_max = 2n columns; the model with p
# features uses the first p columns, so the models are nested (range(A_p) grows with p).
# The labels are a signal carried by the first k = 5 columns plus N(0, sigma^2) noise:
# no linear model with p < n can reproduce the noise, one with p >= n can.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from lessons.harness import Lesson

lesson = Lesson(1, "Interpolation: p >= n fits every training point")
EPS = np.finfo(np.float64).eps

n, k_signal, noise = 40, 5, 0.5
p_max = 2 * n
rng = np.random.default_rng(1)
A_full = rng.standard_normal((n, p_max))
coefficients = rng.standard_normal(k_signal)
y = A_full[:, :k_signal] @ coefficients + noise * rng.standard_normal(n)
y_scale = float(np.mean(y**2))  # the size of a typical l_i before fitting is ~ y^2 / 2
lesson.say(f"  n = {n} samples, labels: signal in {k_signal} features + N(0, {noise}^2) noise; mean y^2 = {y_scale:.3f}")


def fit(p):
    """Minimum-norm least squares on the first p features: (w, per-sample losses l_i)."""
    A = A_full[:, :p]
    w = mg.linear.lstsq_min_norm(A, y)
    return w, mg.linear.per_sample_losses(A, w, y)


def round_off_bound(p):
    """An a priori size for max_i l_i when the exact answer is 0.

    A backward-stable solve returns the exact solution of a problem perturbed by
    ~eps relative, so the residual is ~ eps ||A|| ||A^+|| ||y|| = eps cond(A) ||y||; we
    allow a factor n for the accumulation in the sums. l_i = r_i^2 / 2.
    """
    s = np.linalg.svd(A_full[:, :p], compute_uv=False)
    return 0.5 * (n * EPS * (s[0] / s[-1]) * np.linalg.norm(y)) ** 2


# %% [markdown]
# ## 2. p >= n: every l_i is zero, to machine precision
# For p = n (square) and p = 2n the minimum-norm solution interpolates. "Zero" in
# floating point means: at the size round-off alone produces, which we bound a priori
# (round_off_bound above). Relative to the scale of the labels, that size is
# ~ (eps cond(A))^2 ~ 1e-32 cond(A)^2: even a square Gaussian matrix, the worst case here,
# has cond(A) ~ 1e2 to 1e4, so l_i / mean(y^2) < 1e-20 is a fair meaning of
# "machine-precision zero", twenty orders of magnitude below the scale of the problem.

# %%
for p in (n, 2 * n):
    _, losses = fit(p)
    bound = round_off_bound(p)
    lesson.say(f"  p = {p}: cond(A) = {np.linalg.cond(A_full[:, :p]):.3g}; L = {losses.mean():.3e}, "
               f"max_i l_i = {losses.max():.3e} (= {losses.max() / y_scale:.2e} mean y^2); round-off bound {bound:.2e}")
    lesson.check_below(f"p = {p} >= n: max_i l_i of the min-norm fit / the round-off bound (n eps cond(A) ||y||)^2/2",
                       losses.max() / bound, 1.0)
    lesson.check_below(f"p = {p} >= n: max_i l_i relative to mean y^2 (machine precision: ~eps^2 cond^2)",
                       losses.max() / y_scale, 1e-20)


# %% [markdown]
# ## 3. p < n: a floor, the projection residual
# The least-squares fit A w is the orthogonal projection of y onto range(A). We compute that
# projection independently of the SVD solver: A = Q R (reduced QR, Q has orthonormal
# columns spanning range(A)), P_A y = Q Q^T y, and compare ||y - Q Q^T y||^2 / (2n) with
# the training loss of the fit.

# %%
def projection_floor(p):
    Q, _ = np.linalg.qr(A_full[:, :p])
    residual = y - Q @ (Q.T @ y)
    return float(residual @ residual / (2 * n))


p_under = n // 2
_, losses_under = fit(p_under)
floor_qr = projection_floor(p_under)
lesson.say(f"  p = {p_under}: training loss {losses_under.mean():.6f}, ||(I - P_A) y||^2/(2n) by QR {floor_qr:.6f}; "
           f"max_i l_i = {losses_under.max():.4f}")
lesson.check_below(f"p = {p_under} < n: training loss equals the projection residual by QR (relative error)",
                   abs(losses_under.mean() - floor_qr) / floor_qr, 1e-12)
lesson.check_above(f"p = {p_under} < n: the floor is far above round-off (floor / round-off bound)",
                   floor_qr / round_off_bound(p_under), 1e10)

# %% [markdown]
# ## 4. The sweep over p
# Nested models can only lower the floor: range(A_p) grows with p, so ||(I - P_A) y|| can only
# shrink. For p >= k the signal is inside range(A_p) and what is left is the projection of
# the noise onto an (n - p)-dimensional complement, whose expected size is
# (n - p) sigma^2 / (2n): a straight line that reaches 0 at p = n. Beyond p = n the floor
# stays at 0 (round-off).

# %%
ps = np.arange(1, p_max + 1)
sweep_losses = [fit(int(p))[1] for p in ps]  # the per-sample losses l_i of each model
sweep_loss = np.array([losses.mean() for losses in sweep_losses])
sweep_max = np.array([losses.max() for losses in sweep_losses])
sweep_qr = np.array([projection_floor(int(p)) if p < n else np.nan for p in ps])
sweep_bound = np.array([round_off_bound(int(p)) for p in ps])
under = ps < n
lesson.check_below("every p < n: training loss = QR projection residual (max relative error over p)",
                   float(np.max(np.abs(sweep_loss[under] - sweep_qr[under]) / sweep_qr[under])), 1e-12)
lesson.check_above("every p < n: the floor is far above round-off (min over p of floor / round-off bound)",
                   float(np.min(sweep_qr[under] / sweep_bound[under])), 1e10)
lesson.check_below("every p >= n: max_i l_i below the round-off bound (max over p of max_i l_i / bound)",
                   float(np.max(sweep_max[~under] / sweep_bound[~under])), 1.0)
lesson.check_below("the floor never increases with p (max over p of L(p+1) - L(p), relative to mean y^2)",
                   float(np.max(np.diff(sweep_loss)) / y_scale), 1e-12)


# %% [markdown]
# ## 5. A wide network interpolates too
# f(x) = (1/sqrt m) sum_j v_j tanh(w_j . x) with m hidden units, p = m (d + 1) parameters,
# on n_net = 20 points in d = 10 with noisy labels sin(x_1) + 0.3 noise. Gradient descent on
# L(theta) = (1/(2 n)) sum_i (f(x_i) - y_i)^2. First: the compiled closed-form loss and
# gradient (backends "numpy" and "numba") agree with the engine's reverse mode on a small
# net. Then the wide net, trained with the closed-form gradient. We train with the numpy
# backend: at this size (n = 20, p ~ 10^4) one gradient is a few small matrix products,
# which numpy does in about a millisecond, and numba's threads do not pay off.

# %%
n_net, d = 20, 10
data = np.random.default_rng(2)
X_net = data.standard_normal((n_net, d))
y_net = np.sin(X_net[:, 0]) + 0.3 * data.standard_normal(n_net)

small = mg.nn.TwoLayerNet(d, 8, activation="tanh")
theta_small = small.init(seed=3)
reference_loss = small.loss(theta_small, X_net, y_net, backend="engine")
reference_grad = small.loss_grad(theta_small, X_net, y_net, backend="engine")
for backend in ("numpy", "numba"):
    loss_error = mg.check.relative_error(small.loss(theta_small, X_net, y_net, backend=backend), reference_loss)
    grad_error = mg.check.relative_error(small.loss_grad(theta_small, X_net, y_net, backend=backend), reference_grad)
    lesson.check_below(f"TwoLayerNet (m = 8) loss and loss_grad: {backend} = engine (max relative error)",
                       max(loss_error, grad_error), 1e-10)

# %% [markdown]
# The step size and the number of steps come from the tangent kernel K = J J^T at
# initialization (J the (n, p) Jacobian of the outputs): near a wide net's initialization
# GD on L moves the residuals like r <- (I - lr K / n) r, stable for lr < 2 / lambda_max(K/n).
# We take lr = 1 / lambda_max(K/n); the slowest direction then shrinks L by
# (1 - lr lambda_min(K/n))^2 per step, which gives the steps needed to reach L = 1e-12.
# We run twice that (the kernel drifts a little during training at finite width).

# %%
m = lesson.size(1000, 200)
net = mg.nn.TwoLayerNet(d, m, activation="tanh")
theta0 = net.init(seed=4)
J0 = net.jacobian(theta0, X_net, backend="numpy")
kernel_eigs = np.linalg.eigvalsh(J0 @ J0.T / n_net)
lr = 1.0 / kernel_eigs[-1]
L0 = net.loss(theta0, X_net, y_net, backend="numpy")
steps = 2 * int(np.ceil(np.log(L0 / 1e-12) / (-2 * np.log(1 - lr * kernel_eigs[0]))))
lesson.say(f"  m = {m}: p = {net.num_params} parameters for n = {n_net} points; K/n eigenvalues in "
           f"[{kernel_eigs[0]:.4f}, {kernel_eigs[-1]:.4f}]; lr = {lr:.4f}; {steps} steps")


def value_and_grad(theta):
    return net.loss(theta, X_net, y_net, backend="numpy"), net.loss_grad(theta, X_net, y_net, backend="numpy")


def max_sample_loss(t, theta):
    return float(np.max(0.5 * (net.apply(theta, X_net) - y_net) ** 2))


theta, history = mg.optim.gd(value_and_grad, theta0, lr, steps, callback=max_sample_loss, record_every=5)
net_losses = 0.5 * (net.apply(theta, X_net) - y_net) ** 2
net_y_scale = float(np.mean(y_net**2))
lesson.say(f"  after {steps} steps: L = {net_losses.mean():.3e}, max_i l_i = {net_losses.max():.3e} "
           f"(from L = {L0:.3f}); parameters moved ||theta - theta0|| / ||theta0|| = "
           f"{history.distance[-1] / np.linalg.norm(theta0):.4f}")
lesson.check_below("wide net (p >> n), GD: max_i l_i relative to mean y^2", net_losses.max() / net_y_scale, 1e-8)
lesson.check_below("wide net: training loss L relative to mean y^2", net_losses.mean() / net_y_scale, 1e-8)


# %% [markdown]
# ## 6. Pictures
# Top left: the training-loss floor against p on a linear scale: it falls along the noise
# line (n - p) sigma^2 / (2n) and reaches 0 at p = n. Top right: the same on a log scale,
# where "0" shows its true size: a drop of ~25 orders of magnitude at p = n, to round-off.
# Bottom left: the individual losses l_i for p = n/2 (all visibly nonzero) and p = 2n (all
# at round-off). Bottom right: the network's training curve, L and max_i l_i against the step.

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 9))
tiny = 1e-36  # exact zeros cannot be drawn on a log scale; they are drawn at 1e-36
signal_free = (ps >= k_signal) & under
noise_line = (n - ps[signal_free]) * noise**2 / (2 * n)

ax = axes[0, 0]
ax.plot(ps, sweep_loss, "o-", ms=3, label="training loss L of the least-squares fit")
ax.plot(ps[under], sweep_qr[under], "x", color="C3", ms=5, label="||(I - P_A) y||^2 / (2n), by QR")
ax.plot(ps[signal_free], noise_line, "k:", label="(n - p) sigma^2 / (2n), its mean once the signal is fitted")
ax.axvline(n, color="k", lw=0.8)
ax.set_ylim(0, 3 * noise_line[0])
ax.set_xlabel("number of features p  (vertical line: p = n)")
ax.set_ylabel("training loss")
ax.set_title(f"least squares, n = {n}: the floor hits 0 at p = n")
ax.legend(fontsize=8)

ax = axes[0, 1]
ax.semilogy(ps, np.maximum(sweep_loss, tiny), "o-", ms=3, label="training loss L")
ax.semilogy(ps, np.maximum(sweep_max, tiny), ".", color="C2", ms=4, label="max_i l_i")
ax.semilogy(ps[signal_free], noise_line, "k:", label="(n - p) sigma^2 / (2n)")
ax.semilogy(ps, sweep_bound, "--", color="gray", lw=1, label="round-off bound (n eps cond(A) ||y||)^2 / 2")
ax.axvline(n, color="k", lw=0.8)
ax.set_xlabel("number of features p")
ax.set_ylabel("loss")
ax.set_title("the same on a log scale: 0 means round-off")
ax.legend(fontsize=8, loc="center left")

ax = axes[1, 0]
_, losses_over = fit(2 * n)
index = np.arange(n)
ax.semilogy(index, np.maximum(losses_under, tiny), "o", label=f"p = {p_under} < n: L = {losses_under.mean():.3f}")
ax.semilogy(index, np.maximum(losses_over, tiny), "s", label=f"p = {2 * n} > n: L = {losses_over.mean():.1e}")
ax.set_xlabel("training sample i")
ax.set_ylabel("l_i = (a_i . w - y_i)^2 / 2   (exact zeros at 1e-36)")
ax.set_title("individual losses: every one vanishes when p > n")
ax.legend(fontsize=8)

ax = axes[1, 1]
ax.semilogy(history.step, history.loss, label="training loss L")
ax.semilogy(history.step, history.extra, label="max_i l_i")
ax.axhline(1e-8 * net_y_scale, color="gray", ls="--", lw=1, label="1e-8 mean y^2")
ax.set_xlabel("gradient-descent step")
ax.set_title(f"two-layer tanh net, m = {m} (p = {net.num_params}, n = {n_net})")
ax.legend(fontsize=8)
fig.tight_layout()
lesson.save_figure(fig, "interpolation")
