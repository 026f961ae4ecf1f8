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
Each check has controls (wrong variants that must fail it): a ridge fit instead of the
minimum-norm one, a model one feature short, noise-free labels, non-nested models, a
gradient with a dropped chain-rule factor, a narrow net, labels no function can fit.

Run it:  python -m lessons 1
"""

# %% [markdown]
# ## 1. Data: n noisy samples, up to 2n random features
# A has i.i.d. N(0, 1) entries, n = 40 rows and p_max = 2n columns; the model with p
# features uses the first p columns, so the models are nested (range(A_p) grows with p).
# The labels are a signal carried by the first k = 5 columns plus N(0, sigma^2) noise:
# no linear model with p < n can reproduce the noise, one with p >= n can.
#
# Every check below comes with *controls*: the same measurement made on a plausible wrong
# variant, which must FAIL the same test (otherwise the test could not tell right from
# wrong). Three wrong variants recur: a ridge fit, argmin ||A w - y||^2 + lambda ||w||^2
# with a small lambda > 0, instead of the minimum-norm least-squares fit; a model one
# feature short, p = n - 1; and noise-free labels y = A_k c, which a model with p >= k
# already fits exactly.

# %%
from lessons.harness import Lesson  # first: it sets up the thread count before numpy loads

import time

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

lesson = Lesson(1, "Interpolation: p >= n fits every training point")
EPS = np.finfo(np.float64).eps

n, k_signal, noise = 40, 5, 0.5
p_max = 2 * n
RIDGE = 1e-3  # the penalty lambda of the ridge control
rng = np.random.default_rng(1)
A_full = rng.standard_normal((n, p_max))
coefficients = rng.standard_normal(k_signal)
y_clean = A_full[:, :k_signal] @ coefficients  # the signal: inside range(A_p) for every p >= k
y = y_clean + noise * rng.standard_normal(n)
y_scale = float(np.mean(y**2))  # the size of a typical l_i before fitting is ~ y^2 / 2
lesson.say(f"  n = {n} samples, labels: signal in {k_signal} features + N(0, {noise}^2) noise; mean y^2 = {y_scale:.3f}")


def ridge(A, labels, lam):
    """The ridge fit argmin ||A w - y||^2 + lam ||w||^2 = V diag(s / (s^2 + lam)) U^T y (a control)."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return Vt.T @ (s / (s**2 + lam) * (U.T @ labels))


def fit(p, labels=y, lam=0.0):
    """Least squares on the first p features: (w, per-sample losses l_i).

    lam = 0: the minimum-norm solution A^+ y (the method of this lesson); lam > 0: ridge.
    """
    A = A_full[:, :p]
    w = mg.linear.lstsq_min_norm(A, labels) if lam == 0 else ridge(A, labels, lam)
    return w, mg.linear.per_sample_losses(A, w, labels)


def round_off_bound(p, labels=y):
    """An a priori size for max_i l_i when the exact answer is 0.

    A backward-stable solve returns the exact solution of a problem perturbed by
    ~eps relative, so the residual is ~ eps ||A|| ||A^+|| ||y|| = eps cond(A) ||y||; we
    allow a factor n for the accumulation in the sums. l_i = r_i^2 / 2.
    """
    s = np.linalg.svd(A_full[:, :p], compute_uv=False)
    return 0.5 * (n * EPS * (s[0] / s[-1]) * np.linalg.norm(labels)) ** 2


# %% [markdown]
# ## 2. p >= n: every l_i is zero, to machine precision
# For p = n (square) and p = 2n the minimum-norm solution interpolates. "Zero" in
# floating point means: at the size round-off alone produces, which we bound a priori
# (round_off_bound above). Relative to the scale of the labels, that size is
# ~ (eps cond(A))^2 ~ 1e-32 cond(A)^2, with cond(A) printed below (the square matrix is
# the worst case); l_i / mean(y^2) < 1e-20, twenty orders of magnitude below the scale
# of the problem, is a fair meaning of "machine-precision zero".
# Controls: the ridge fit never interpolates exactly (it trades residual for a smaller
# ||w||), and p = n - 1 leaves one direction of the noise unfitted; both must fail.

# %%
_, losses_short = fit(n - 1)  # the control "one feature short"
for p in (n, 2 * n):
    _, losses = fit(p)
    _, losses_ridge = fit(p, lam=RIDGE)
    bound = round_off_bound(p)
    s_min = np.linalg.svd(A_full[:, :p], compute_uv=False)[-1]
    lesson.say(f"  p = {p}: cond(A) = {np.linalg.cond(A_full[:, :p]):.3g}, s_min(A)^2 = {s_min**2:.3g} "
               f"(ridge lambda = {RIDGE:g}); L = {losses.mean():.3e}, max_i l_i = {losses.max():.3e} "
               f"(= {losses.max() / y_scale:.2e} mean y^2); round-off bound {bound:.2e}")
    lesson.check_below(f"p = {p} >= n: max_i l_i of the min-norm fit / the round-off bound (n eps cond(A) ||y||)^2/2",
                       losses.max() / bound, 1.0,
                       controls={f"ridge, lambda = {RIDGE:g}": losses_ridge.max() / bound,
                                 f"one feature short, p = {n - 1}": losses_short.max() / round_off_bound(n - 1)})
    lesson.check_below(f"p = {p} >= n: max_i l_i relative to mean y^2 (machine precision: ~eps^2 cond^2)",
                       losses.max() / y_scale, 1e-20,
                       controls={f"ridge, lambda = {RIDGE:g}": losses_ridge.max() / y_scale,
                                 f"one feature short, p = {n - 1}": losses_short.max() / y_scale})


# %% [markdown]
# ## 3. p < n: a floor, the projection residual
# The least-squares fit A w is the orthogonal projection of y onto range(A). We compute that
# projection independently of the SVD solver: A = Q R (reduced QR, Q has orthonormal
# columns spanning range(A)), P_A y = Q Q^T y, and compare ||y - Q Q^T y||^2 / (2n) with
# the training loss of the fit. Controls: the ridge fit stops short of the projection
# (its loss is above the floor), so the equality must fail for it; and with noise-free
# labels the floor is round-off, so "far above round-off" must fail: the floor is the
# part of the labels no model with p < n can reach, here the noise.

# %%
def projection_floor(p, labels=y):
    Q, _ = np.linalg.qr(A_full[:, :p])
    residual = labels - Q @ (Q.T @ labels)
    return float(residual @ residual / (2 * n))


p_under = n // 2
_, losses_under = fit(p_under)
_, losses_under_ridge = fit(p_under, lam=RIDGE)
floor_qr = projection_floor(p_under)
lesson.say(f"  p = {p_under}: training loss {losses_under.mean():.6f}, ||(I - P_A) y||^2/(2n) by QR {floor_qr:.6f}; "
           f"max_i l_i = {losses_under.max():.4f}; ridge's training loss {losses_under_ridge.mean():.6f}")
lesson.check_below(f"p = {p_under} < n: training loss equals the projection residual by QR (relative error)",
                   abs(losses_under.mean() - floor_qr) / floor_qr, 1e-12,
                   controls={f"ridge, lambda = {RIDGE:g}": abs(losses_under_ridge.mean() - floor_qr) / floor_qr})
lesson.check_above(f"p = {p_under} < n: the floor is far above round-off (floor / round-off bound)",
                   floor_qr / round_off_bound(p_under), 1e10,
                   controls={"noise-free labels": projection_floor(p_under, y_clean) / round_off_bound(p_under, y_clean)})

# %% [markdown]
# ## 4. The sweep over p
# Nested models can only lower the floor: range(A_p) grows with p, so ||(I - P_A) y|| can only
# shrink. For p >= k the signal is inside range(A_p) and what is left is the projection of
# the noise onto an (n - p)-dimensional complement, whose expected size is
# (n - p) sigma^2 / (2n): a straight line that reaches 0 at p = n. Beyond p = n the floor
# stays at 0 (round-off). The control for "never increases" draws a fresh random design
# for every p (models that are not nested): then a larger model may fit worse, which
# shows that the monotone floor is a consequence of nesting.

# %%
ps = np.arange(1, p_max + 1)
under = ps < n
sweep_losses = [fit(int(p))[1] for p in ps]  # the per-sample losses l_i of each model
sweep_loss = np.array([losses.mean() for losses in sweep_losses])
sweep_max = np.array([losses.max() for losses in sweep_losses])
sweep_qr = np.array([projection_floor(int(p)) if p < n else np.nan for p in ps])
sweep_bound = np.array([round_off_bound(int(p)) for p in ps])
# The controls, over the same p: ridge fits, noise-free labels, and fresh (not nested) designs.
ridge_loss = np.array([fit(int(p), lam=RIDGE)[1].mean() for p in ps])
ridge_max = np.array([fit(int(p), lam=RIDGE)[1].max() for p in ps])
clean_qr = np.array([projection_floor(int(p), y_clean) for p in ps[under]])
clean_bound = np.array([round_off_bound(int(p), y_clean) for p in ps[under]])
fresh = np.random.default_rng(5)
fresh_loss = np.array([mg.linear.per_sample_losses(B, mg.linear.lstsq_min_norm(B, y), y).mean()
                       for B in (fresh.standard_normal((n, int(p))) for p in ps)])

lesson.check_below("every p < n: training loss = QR projection residual (max relative error over p)",
                   float(np.max(np.abs(sweep_loss[under] - sweep_qr[under]) / sweep_qr[under])), 1e-12,
                   controls={f"ridge, lambda = {RIDGE:g}":
                             float(np.max(np.abs(ridge_loss[under] - sweep_qr[under]) / sweep_qr[under]))})
lesson.check_above("every p < n: the floor is far above round-off (min over p of floor / round-off bound)",
                   float(np.min(sweep_qr[under] / sweep_bound[under])), 1e10,
                   controls={"noise-free labels": float(np.min(clean_qr / clean_bound))})
lesson.check_below("every p >= n: max_i l_i below the round-off bound (max over p of max_i l_i / bound)",
                   float(np.max(sweep_max[~under] / sweep_bound[~under])), 1.0,
                   controls={f"ridge, lambda = {RIDGE:g}": float(np.max(ridge_max[~under] / sweep_bound[~under]))})
lesson.check_below("the floor never increases with p (max over p of L(p+1) - L(p), relative to mean y^2)",
                   float(np.max(np.diff(sweep_loss)) / y_scale), 1e-12,
                   controls={"a fresh random design for each p (not nested)": float(np.max(np.diff(fresh_loss)) / y_scale)})


# %% [markdown]
# ## 5. A wide network interpolates too
# f(x) = (1/sqrt m) sum_j v_j tanh(w_j . x) with m hidden units, p = m (d + 1) parameters,
# on n_net = 20 points in d = 10 with noisy labels sin(x_1) + 0.3 noise. Gradient descent on
# L(theta) = (1/(2 n)) sum_i (f(x_i) - y_i)^2. First: the compiled closed-form loss and
# gradient (backends "numpy" and "numba") agree with the engine's reverse mode on a small
# net. The control is the same gradient written out by hand with one chain-rule factor
# dropped (tanh' = 1 - tanh^2 taken as 1): a bug of exactly the kind the comparison must
# catch. The same formula with the factor kept agrees with the engine (printed).

# %%
n_net, d = 20, 10
data = np.random.default_rng(2)
X_net = data.standard_normal((n_net, d))
y_net = np.sin(X_net[:, 0]) + 0.3 * data.standard_normal(n_net)


def hand_loss_grad(net, theta, X, labels, chain_factor=True):
    """grad L written out: with H = tanh(X W^T) and r = H v / sqrt(m) - y,
    dL/dv = H^T r / (n sqrt m), dL/dW = ((r v^T) * tanh'(X W^T))^T X / (n sqrt m)."""
    W, v = net.unflatten(theta)
    H = np.tanh(X @ W.T)
    r = H @ v / np.sqrt(net.m) - labels
    slope = 1.0 - H**2 if chain_factor else 1.0  # tanh' = 1 - tanh^2; the control drops it
    scale = len(labels) * np.sqrt(net.m)
    return net.flatten((np.outer(r, v) * slope).T @ X / scale, H.T @ r / scale)


small = mg.nn.TwoLayerNet(d, 8, activation="tanh")
theta_small = small.init(seed=3)
reference_loss = small.loss(theta_small, X_net, y_net, backend="engine")
reference_grad = small.loss_grad(theta_small, X_net, y_net, backend="engine")
backend_error = max(
    max(mg.check.relative_error(small.loss(theta_small, X_net, y_net, backend=backend), reference_loss),
        mg.check.relative_error(small.loss_grad(theta_small, X_net, y_net, backend=backend), reference_grad))
    for backend in ("numpy", "numba"))
hand_error = mg.check.relative_error(hand_loss_grad(small, theta_small, X_net, y_net), reference_grad)
dropped_error = mg.check.relative_error(hand_loss_grad(small, theta_small, X_net, y_net, chain_factor=False),
                                        reference_grad)
lesson.say(f"  the gradient written out by hand: relative error {hand_error:.2g} with tanh', "
           f"{dropped_error:.2g} without")
lesson.check_below("TwoLayerNet (m = 8) loss and loss_grad, numpy and numba = engine (max relative error)",
                   backend_error, 1e-10, controls={"the hand-written gradient without tanh'": dropped_error})

# %% [markdown]
# The step size and the number of steps come from the *tangent kernel* at initialization,
# K = J J^T, where J is the (n, p) Jacobian of the n outputs f(x_i) in the p parameters
# (lesson 7 studies it): near a wide net's initialization, one GD step on L moves the
# residuals like r <- (I - lr K / n) r, stable for lr < 2 / lambda_max(K/n).
# We take lr = 1 / lambda_max(K/n); the slowest direction then shrinks L by
# (1 - lr lambda_min(K/n))^2 per step, which gives the steps needed to reach L = 1e-12.
# We run twice that, because at finite width the kernel moves during training (how much
# is measured and printed after the run).
#
# Controls, trained the same way (lr from their own kernel, the same number of steps):
# a *narrow* net, m = 1 (p = d + 1 = 11 < n: fewer unknowns than equations), which
# generically cannot interpolate: the claim is about width; and the wide net on labels
# that *cannot* be interpolated: two identical inputs with different labels, where no
# function can have both l_i = 0.

# %%
m = lesson.size(1000, 200)  # lesson.size(full, quick): the full-run value, or the smaller one in quick mode
net = mg.nn.TwoLayerNet(d, m, activation="tanh")
theta0 = net.init(seed=4)


def kernel_over_n(model, theta, X):
    J = model.jacobian(theta, X, backend="numpy")
    return J @ J.T / len(X)


kernel_eigs = np.linalg.eigvalsh(kernel_over_n(net, theta0, X_net))
lr = 1.0 / kernel_eigs[-1]
L0 = net.loss(theta0, X_net, y_net, backend="numpy")
steps = 2 * int(np.ceil(np.log(L0 / 1e-12) / (-2 * np.log(1 - lr * kernel_eigs[0]))))
lesson.say(f"  m = {m}: p = {net.num_params} parameters for n = {n_net} points; K/n eigenvalues in "
           f"[{kernel_eigs[0]:.4f}, {kernel_eigs[-1]:.4f}]; lr = {lr:.4f}; {steps} steps")


def train(model, theta_init, X, labels, record_every=5):
    """Full-batch GD, lr = 1 / lambda_max(K/n) at theta_init, `steps` steps; records max_i l_i."""
    rate = 1.0 / np.linalg.eigvalsh(kernel_over_n(model, theta_init, X))[-1]

    def value_and_grad(theta):
        return model.loss(theta, X, labels, backend="numpy"), model.loss_grad(theta, X, labels, backend="numpy")

    def max_sample_loss(t, theta):
        return float(np.max(0.5 * (model.apply(theta, X) - labels) ** 2))

    theta, history = mg.optim.gd(value_and_grad, theta_init, rate, steps,
                                 callback=max_sample_loss, record_every=record_every)
    return theta, history, 0.5 * (model.apply(theta, X) - labels) ** 2


start = time.perf_counter()
theta, history, net_losses = train(net, theta0, X_net, y_net)
seconds = time.perf_counter() - start
net_y_scale = float(np.mean(y_net**2))
kernel_end = kernel_over_n(net, theta, X_net)
kernel_start = kernel_over_n(net, theta0, X_net)
drift = np.linalg.norm(kernel_end - kernel_start, 2) / np.linalg.norm(kernel_start, 2)
lesson.say(f"  after {steps} steps ({1e3 * seconds / steps:.2g} ms per step with the numpy backend): "
           f"L = {net_losses.mean():.3e}, max_i l_i = {net_losses.max():.3e} (from L = {L0:.3f}); "
           f"||theta - theta0|| / ||theta0|| = {history.distance[-1] / np.linalg.norm(theta0):.4f}; "
           f"the kernel moved by ||K_end - K_0|| / ||K_0|| = {drift:.3g}")

narrow = mg.nn.TwoLayerNet(d, 1, activation="tanh")
_, narrow_history, narrow_losses = train(narrow, narrow.init(seed=4), X_net, y_net)
X_twin, y_twin = X_net.copy(), y_net.copy()
X_twin[1] = X_twin[0]  # the same input twice ...
y_twin[1] = y_twin[0] + 1.0  # ... with labels 1 apart: l_0 + l_1 >= 1/4 for every function
_, _, twin_losses = train(net, theta0, X_twin, y_twin)
twin_scale = float(np.mean(y_twin**2))
lesson.say(f"  controls after {steps} steps: narrow net (m = 1, p = {narrow.num_params} < n): "
           f"max_i l_i = {narrow_losses.max():.3g}; wide net, twin inputs: max_i l_i = {twin_losses.max():.3g}")
lesson.check_below("wide net (p >> n), GD: max_i l_i relative to mean y^2", net_losses.max() / net_y_scale, 1e-8,
                   controls={f"narrow net, m = 1 (p = {narrow.num_params} < n)": narrow_losses.max() / net_y_scale,
                             "two identical inputs, different labels": twin_losses.max() / twin_scale})
lesson.check_below("wide net: training loss L relative to mean y^2", net_losses.mean() / net_y_scale, 1e-8,
                   controls={f"narrow net, m = 1 (p = {narrow.num_params} < n)": narrow_losses.mean() / net_y_scale,
                             "two identical inputs, different labels": twin_losses.mean() / twin_scale})


# %% [markdown]
# ## 6. Pictures
# (a) the training-loss floor against p on a linear scale: it falls along the noise
# line (n - p) sigma^2 / (2n) and reaches 0 at p = n. (b) the same on a log scale, where
# "0" shows its true size (the drop at p = n is printed below). (c) the individual losses
# l_i for p = n/2 (all visibly nonzero) and p = 2n (all at round-off). (d) the network's
# training curve, L and max_i l_i against the step, with the narrow net's (the control).

# %%
drop = np.log10(sweep_loss[ps == n - 1][0] / sweep_loss[ps == n][0])
lesson.say(f"  from p = n - 1 to p = n the training loss drops by {drop:.1f} orders of magnitude")
fig, axes = plt.subplots(2, 2, figsize=(13, 9))
tiny = 1e-36  # exact zeros cannot be drawn on a log scale; they are drawn at 1e-36
signal_free = (ps >= k_signal) & under
noise_line = (n - ps[signal_free]) * noise**2 / (2 * n)

ax = axes[0, 0]
ax.plot(ps, sweep_loss, "o-", color="C0", ms=3, label="training loss L of the least-squares fit")
ax.plot(ps[under], sweep_qr[under], "x", color="C3", ms=5, label="||(I - P_A) y||^2 / (2n), by QR")
ax.plot(ps[signal_free], noise_line, "k:", label="(n - p) sigma^2 / (2n), its mean once the signal is fitted")
ax.axvline(n, color="gray", lw=0.8)
ax.set_ylim(0, 3 * noise_line[0])
ax.set_xlabel("number of features p  (vertical line: p = n)")
ax.set_ylabel("training loss L")
ax.set_title(f"(a) least squares, n = {n}: the floor hits 0 at p = n")
ax.legend(fontsize=8, loc="upper right")

ax = axes[0, 1]
ax.semilogy(ps, np.maximum(sweep_loss, tiny), "o-", color="C0", ms=3, label="training loss L")
ax.semilogy(ps, np.maximum(sweep_max, tiny), ".", color="C2", ms=4, label="max_i l_i")
ax.semilogy(ps[signal_free], noise_line, "k:", label="(n - p) sigma^2 / (2n)")
ax.semilogy(ps, sweep_bound, "--", color="gray", lw=1, label="round-off bound (n eps cond(A) ||y||)^2 / 2")
ax.axvline(n, color="gray", lw=0.8)
ax.set_xlabel("number of features p  (vertical line: p = n)")
ax.set_ylabel("loss (log scale)")
ax.set_title("(b) the same on a log scale: 0 means round-off")
ax.legend(fontsize=8, loc="center left")

ax = axes[1, 0]
_, losses_over = fit(2 * n)
index = np.arange(n)
ax.semilogy(index, np.maximum(losses_under, tiny), "o", color="C0", label=f"p = {p_under} < n: L = {losses_under.mean():.3f}")
ax.semilogy(index, np.maximum(losses_over, tiny), "s", color="C1", label=f"p = {2 * n} > n: L = {losses_over.mean():.1e}")
ax.set_xlabel("training sample i")
ax.set_ylabel("l_i = (a_i . w - y_i)^2 / 2   (exact zeros at 1e-36)")
ax.set_title("(c) individual losses: every one vanishes when p > n")
ax.legend(fontsize=8, loc="center right")

ax = axes[1, 1]
ax.semilogy(history.step, history.loss, color="C0", label=f"training loss L, m = {m}")
ax.semilogy(history.step, history.extra, color="C1", label=f"max_i l_i, m = {m}")
ax.semilogy(narrow_history.step, narrow_history.loss, "--", color="C0", label="training loss L, m = 1 (control)")
ax.semilogy(narrow_history.step, narrow_history.extra, "--", color="C1", label="max_i l_i, m = 1 (control)")
ax.axhline(1e-8 * net_y_scale, color="gray", ls=":", lw=1, label="1e-8 mean y^2 (the check)")
ax.set_xlabel("gradient-descent step")
ax.set_ylabel("loss (log scale)")
ax.set_title(f"(d) two-layer tanh net, p = {net.num_params} >> n = {n_net}")
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
lesson.save_figure(fig, "interpolation")
