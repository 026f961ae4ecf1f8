"""Lesson 7 — why over-parameterization helps optimization: PL* and a tangent kernel that barely moves.

The slide (Liu, Zhu, Belkin, "Loss landscapes and optimization in over-parameterized
non-linear systems and neural networks", ACHA 2022; Jacot, Gabriel, Hongler, "Neural
tangent kernel", NeurIPS 2018). For the square loss on n points,

    L(theta) = (1/(2n)) sum_j (f(x_j; theta) - y_j)^2,   r = f - y (n,),   J = df/dtheta (n, p),
    grad L = J^T r / n,    K(theta) = J J^T (n, n), the tangent kernel,

    ||grad L||^2 = r^T K r / n^2 >= (lambda_min(K) / n) ||r||^2 / n = 2 mu L,   mu = lambda_min(K) / n.

So wherever lambda_min(K) stays away from zero the loss is PL* (a Polyak-Lojasiewicz
inequality on the set where it matters), and gradient descent with step eta <= 1/beta
(beta the smoothness of L) contracts it geometrically: L_{t+1} <= (1 - eta mu) L_t. A
wide network keeps lambda_min(K) there because K hardly changes on the ball B(theta0, R)
that GD explores, and R stays O(1) while the width m grows.

Checked here, for f(x) = (1/sqrt m) sum_i v_i tanh(w_i . x) (mg.nn.TwoLayerNet) trained by
mg.optim.gd on 10 points of a 1-d target, at widths m = 10^2 .. 10^4 and three
initializations each, with numbers measured in this run:
  * the closed forms (backend="numpy") agree with the engine on a small net;
  * the sharpness beta = ||Hess L(theta0)|| equals lambda_max(K0)/n up to O(1/sqrt m), so
    eta = n / lambda_max(K0) is the theorem's eta = 1/beta, in each width's own units;
  * (a) the relative kernel change ||K_T - K_0||_F / ||K_0||_F shrinks with m, with a
    log-log slope between the -1/2 of the theorem's bound and the -1 of the GD path
    (explained below), and is a few percent or less at the largest width;
  * (b) ||theta_T - theta_0|| is flat in m (O(1)), while the largest single-weight move
    max_i |theta_T - theta_0|_i shrinks roughly like m^{-1/2};
  * (c) the late-time per-step loss factor is at least as good as the PL* guarantee
    1 - eta lambda_min / n at every width, and for the widest nets equals the linearized
    model's (1 - eta lambda_min / n)^2 within 10%;
  * (d) the network's outputs along its GD path approach those of its linearization,
    trained by the same GD from the same theta0, as m grows (same slope band as (a)).

Run it:  python -m lessons 7
"""

# %% [markdown]
# ## 0. Setup
# Ten points x_j evenly spaced on [-3, 5], target y = sin(x). TwoLayerNet has no biases,
# so each input is fed as (x_j, 2): the weight on the constant acts as a bias, of standard
# deviation 2. Why these choices: without a bias, f would be odd in x and the kernel of so
# smooth a function class on ten 1-d points is numerically singular (lambda_min ~ 1e-16:
# no PL* rate at all); the bias of size 2 and the spread of the points keep the condition
# number lambda_max / lambda_min of K near 10^3, so that the slowest mode shows within a few
# thousand steps; and an interval that is not symmetric about 0 separates the two smallest
# eigenvalues of K (on a symmetric grid an even and an odd mode share almost the same one,
# and the late loss would mix two rates).
#
# The kernel change varies by up to a factor 3 from one initialization to the next at
# these widths, so every width is trained from three initializations and the scaling laws
# are fitted to geometric means over them.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from lessons.harness import Lesson

lesson = Lesson(7, "Why it helps: PL* and a tangent kernel that barely moves")

n = 10
x_train = np.linspace(-3.0, 5.0, n)
BIAS_INPUT = 2.0
X = np.column_stack([x_train, np.full(n, BIAS_INPUT)])  # (n, d) = (10, 2): rows (x_j, 2)
y = np.sin(x_train)  # (n,)
widths = lesson.size([100, 316, 1000, 3162, 10000], [100, 316, 1000, 3162])
SEEDS = (0, 1, 2)
steps = 2000  # T: the same number of GD steps at every width (both modes; quick drops m = 10^4)
RECORD = 10  # record the loss and the outputs every 10 steps
CHECKPOINTS = steps // 10  # the tangent kernel is recomputed every T/10 steps along the path
SNAPSHOTS = (0, 50, 500, steps)  # steps at which the fitted functions are drawn (seed 0)
# The numpy closed forms: on this 2-core machine they ran several times faster than the
# compiled ("numba") ones at these sizes; section 1 checks them against the engine.
BACKEND = "numpy"


def fit_slope(m, values):
    """Least-squares slope of log(values) against log(m)."""
    return float(np.polyfit(np.log(m), np.log(values), 1)[0])


def over_seeds(values):
    """Geometric mean over the seeds: (len(widths), len(SEEDS)) -> (len(widths),)."""
    return np.exp(np.log(values).mean(axis=1))


def kernel(net, theta):
    """The tangent kernel K(theta) = J J^T (n, n) on the training inputs."""
    return mg.spectral.tangent_kernel(net.jacobian(theta, X, backend=BACKEND))


# %% [markdown]
# ## 1. The closed forms agree with the engine
# Thousands of steps at up to p = 3 10^4 parameters need the closed forms. First compare
# them with the engine (a Tensor graph differentiated by reverse mode) on a small net and
# the same data: the loss, its gradient, its exact Hessian-vector product, the Jacobian J
# and the outputs. Both compute the same formulas in float64, so only rounding separates
# them; 1e-10 relative leaves room for rounding and catches any real mistake.

# %%
rng = np.random.default_rng(0)
small = mg.nn.TwoLayerNet(2, 7, activation="tanh")
th_small = small.init(1)
direction = rng.standard_normal(small.num_params)
pairs = [
    (small.loss(th_small, X, y, backend=BACKEND), small.loss(th_small, X, y, backend="engine")),
    (small.loss_grad(th_small, X, y, backend=BACKEND), small.loss_grad(th_small, X, y, backend="engine")),
    (small.loss_hvp(th_small, X, y, direction, backend=BACKEND),
     small.loss_hvp(th_small, X, y, direction, backend="engine")),
    (small.jacobian(th_small, X, backend=BACKEND), small.jacobian(th_small, X, backend="engine")),
    (small.apply(th_small, X), small.apply(mg.Tensor(th_small), X).data),
]
worst = max(mg.check.relative_error(a, b) for a, b in pairs)
lesson.check_below(f"backend={BACKEND!r} = engine (loss, gradient, HVP, Jacobian, outputs; max relative error)",
                   worst, 1e-10)

# %% [markdown]
# ## 2. The step size
# The Hessian of L is
#
#     Hess L = J^T J / n  +  (1/n) sum_j r_j Hess f_j,
#
# a Gauss-Newton part whose top eigenvalue is lambda_max(K)/n (J^T J and J J^T share their
# non-zero eigenvalues) plus a part of size O(1/sqrt m) (Hess f_j is O(1/sqrt m): lesson 5).
# So the smoothness is beta ~ lambda_max(K0)/n, and we take
#
#     eta = n / lambda_max(K0)    (= 1/beta, the step of the PL* theorem),
#
# computed for each net from its own kernel. Every width then runs at the same point of
# its own stability range (eta lambda_max / n = 1, half way to the divergence threshold 2),
# which makes the comparison across widths fair: a step fixed in absolute units would be
# relatively larger for some widths than for others. We check beta * eta ~ 1 at the
# widest width with Lanczos on the exact HVP of L.

# %%
def setup(m, seed):
    """A width-m net, its theta0 (from the seed pair (seed, m)), K0 and eta = n / lambda_max(K0)."""
    net = mg.nn.TwoLayerNet(2, m, activation="tanh")
    theta0 = net.init(np.random.default_rng([seed, m]))
    K0 = kernel(net, theta0)
    return net, theta0, K0, n / np.linalg.eigvalsh(K0)[-1]


m_wide = widths[-1]
beta_eta = []
for seed in SEEDS:
    net, theta0, K0, eta = setup(m_wide, seed)
    beta = mg.spectral.hessian_spectral_norm(lambda v: net.loss_hvp(theta0, X, y, v, backend=BACKEND),
                                             net.num_params, seed=seed)
    beta_eta.append(beta * eta)
lesson.say(f"  m = {m_wide}: beta * eta = {np.round(beta_eta, 4)} for the seeds {SEEDS}")
# The residual part of Hess L is O(1/sqrt m) against an O(1) Gauss-Newton part: 5% is a
# generous allowance at m >= 3162 (measured: about 1%).
lesson.check_between(f"sharpness ||Hess L(theta0)|| / (lambda_max(K0)/n) at m = {m_wide}, worst seed",
                     max(beta_eta, key=lambda b: abs(b - 1)), 0.95, 1.05)

# %% [markdown]
# ## 3. Train every net, and its linearization
# GD on the network: theta_{t+1} = theta_t - eta grad L(theta_t), T steps (mg.optim.gd).
# GD on the linearized model f_lin(theta) = f(theta0) + J0 (theta - theta0)
# (mg.spectral.Linearization), with the same eta and T, from the same theta0: its loss is
# a quadratic, its gradient J0^T (f_lin - y) / n.
#
# A callback records the outputs on the training points every 10 steps (for claim d), the
# smallest eigenvalue of K(theta_t) every T/10 steps (for claim c), and a few whole
# parameter vectors (for the figures).

# %%
def train(m, seed):
    """GD on the width-m net and on its linearization; everything the claims need, as a dict."""
    net, theta0, K0, eta = setup(m, seed)
    lin = mg.spectral.Linearization(net.apply, theta0, X, J0=net.jacobian(theta0, X, backend=BACKEND))

    def value_and_grad(theta):
        return net.loss(theta, X, y, backend=BACKEND), net.loss_grad(theta, X, y, backend=BACKEND)

    def watch(t, theta):
        lam = float(np.linalg.eigvalsh(kernel(net, theta))[0]) if t % CHECKPOINTS == 0 else None
        return net.apply(theta, X), lam, (theta if t in SNAPSHOTS else None)

    def lin_value_and_grad(theta):
        r = lin(theta) - y
        return 0.5 * float(r @ r) / n, lin.J0.T @ r / n

    def lin_watch(t, theta):
        return lin(theta), (theta if t in SNAPSHOTS else None)

    theta_T, hist = mg.optim.gd(value_and_grad, theta0, eta, steps, callback=watch, record_every=RECORD)
    _, hist_lin = mg.optim.gd(lin_value_and_grad, theta0, eta, steps, callback=lin_watch, record_every=RECORD)
    lam_steps = np.array([t for t, e in zip(hist.step, hist.extra) if e[1] is not None])
    return dict(
        net=net, theta0=theta0, eta=eta, K0=K0, theta_T=theta_T, K_T=kernel(net, theta_T),
        step=hist.step, loss=hist.loss,
        outputs=np.array([e[0] for e in hist.extra]), outputs_lin=np.array([e[0] for e in hist_lin.extra]),
        lam_steps=lam_steps, lam_path=np.array([e[1] for e in hist.extra if e[1] is not None]),
        snaps={int(t): e[2] for t, e in zip(hist.step, hist.extra) if e[2] is not None},
        snaps_lin={int(t): e[1] for t, e in zip(hist_lin.step, hist_lin.extra) if e[1] is not None},
    )


runs = {}
for m in widths:
    for seed in SEEDS:
        runs[m, seed] = train(m, seed)
    lesson.say(f"  m = {m:6d}: L_0 -> L_T = " + ",  ".join(
        f"{runs[m, s]['loss'][0]:.3g} -> {runs[m, s]['loss'][-1]:.2g}" for s in SEEDS)
        + f"   (T = {steps} steps)")

# %% [markdown]
# ## 4. (a) The tangent kernel barely moves
# The theorem's bound: ||K(theta) - K(theta0)|| <= 2 ||J|| sup ||Hess f|| ||theta - theta0||,
# with sup ||Hess f|| = O(1/sqrt m) on the ball (lesson 5) and ||theta - theta0|| = O(1)
# (claim b): the relative change is O(m^{-1/2}).
#
# Along the GD path it is smaller still, O(1/m) for large m. The first-order change of K is
# a sum over the m neurons of terms of size m^{-3/2} (each weight moves by ~ m^{-1/2}, and
# K averages over neurons), and each term is odd in that neuron's output weight v_i, whose
# sign is random: they cancel like a random walk, sqrt(m) m^{-3/2} = 1/m. Second-order terms
# are (m^{-1/2})^2 = 1/m too. (The m^{-1/2} bound is attained only along the top
# eigenvector of Hess f, lesson 5, which GD does not follow; a finer analysis of wide
# networks, e.g. Dyer and Gur-Ari, ICLR 2020, likewise finds changes of order 1/m.) The
# 1/m regime sets in late: in a separate trial run (widths up to 10^5, beyond this lesson's
# time budget) m times the change levelled off only from m ~ 10^4 on, so over 10^2 .. 10^4
# the fitted slope lies between the two laws.
#
# So we check that the slope lies in [-1.2, -0.4]: between the path's -1 and the bound's
# -1/2, with 0.1-0.2 of allowance for the scatter of a fit through 4-5 points; and that
# at the widest net the change is below 5% ("barely moves").

# %%
def per_width(quantity):
    """quantity(run) for every width and seed: array (len(widths), len(SEEDS))."""
    return np.array([[quantity(runs[m, s]) for s in SEEDS] for m in widths])


def relative_kernel_change(run):
    return np.linalg.norm(run["K_T"] - run["K0"]) / np.linalg.norm(run["K0"])


kernel_change_all = per_width(relative_kernel_change)
kernel_change = over_seeds(kernel_change_all)
for m, row, mean in zip(widths, kernel_change_all, kernel_change):
    lesson.say(f"  m = {m:6d}: ||K_T - K_0||_F / ||K_0||_F = {np.round(row, 4)}, geometric mean {mean:.3g}")
slope_kernel = fit_slope(widths, kernel_change)
lesson.check_between("log-log slope of the relative kernel change against m (path: -1, bound: -1/2)",
                     slope_kernel, -1.2, -0.4)
lesson.check_below(f"relative kernel change at the widest net, m = {m_wide} (geometric mean)",
                   kernel_change[-1], 0.05)

# %% [markdown]
# ## 5. (b) The parameters move O(1) in total, each weight by ~ m^{-1/2}
# In the lazy regime theta_T - theta0 ~ J0^T alpha for an n-vector alpha fixed by the data
# and the kernel (GD on f_lin moves only in the row space of J0), so ||theta_T - theta0||^2 ~
# alpha^T K0 alpha = O(1): flat in m, while ||theta0|| ~ sqrt(p) grows like m^{1/2}. Each
# coordinate of J0^T alpha carries one factor 1/sqrt m, so each weight moves by ~ m^{-1/2}.
# The largest of the m moves is a maximum of m random draws, which grows slowly with m
# (by a factor between sqrt(log m) and log m, depending on the tails), and the narrowest
# nets are not yet lazy, so its fitted slope is above -1/2: about -0.3 over 10^2 .. 10^4.
# We check: the slope of ||theta_T - theta0|| is within +-0.2 of 0 (compared with +1/2 for
# ||theta0||), and the slope of the largest single move lies in [-0.65, -0.2] (-1/2, and
# that correction, with 0.15 of allowance either side).

# %%
distance = over_seeds(per_width(lambda r: np.linalg.norm(r["theta_T"] - r["theta0"])))
largest_move = over_seeds(per_width(lambda r: np.max(np.abs(r["theta_T"] - r["theta0"]))))
init_norm = over_seeds(per_width(lambda r: np.linalg.norm(r["theta0"])))
for m, dist, big, norm0 in zip(widths, distance, largest_move, init_norm):
    lesson.say(f"  m = {m:6d}: ||theta_T - theta0|| = {dist:.3f}  (||theta0|| = {norm0:6.1f}),  "
               f"max_i |theta_T - theta0|_i = {big:.4f}   (geometric means)")
lesson.check_between("log-log slope of ||theta_T - theta0|| against m (flat: O(1))",
                     fit_slope(widths, distance), -0.2, 0.2)
lesson.check_between("log-log slope of max_i |theta_T - theta0|_i against m (~ -1/2, up to the max of m draws)",
                     fit_slope(widths, largest_move), -0.65, -0.2)

# %% [markdown]
# ## 6. (c) The loss falls at the rate lambda_min(K) predicts
# Two predictions, stated precisely for L = (1/(2n)) ||r||^2:
#
# * PL* (any model, eta <= 1/beta): the descent lemma gives L_{t+1} <= L_t - (eta/2) ||grad L_t||^2
#   and PL* gives ||grad L_t||^2 >= 2 mu L_t, so L_{t+1} <= (1 - eta mu) L_t with
#   mu = lambda_min(K)/n: the per-step factor 1 - eta lambda_min / n, with lambda_min the
#   smallest value along the path (we take the minimum over the T/10 checkpoints).
# * Linearized model (K constant): r_{t+1} = r_t - eta J0 J0^T r_t / n = (I - eta K0/n) r_t.
#   With eta <= n/lambda_max every eigen-mode of r shrinks by 1 - eta lambda_i / n in [0, 1),
#   the slowest by 1 - eta lambda_min / n; L is quadratic in r, so the late-time per-step
#   factor of L is (1 - eta lambda_min / n)^2. The PL* guarantee is the square root of
#   this: it is a bound, off by a factor 2 in the exponent.
#
# We fit log L_t on the second half of the run (where the slowest mode dominates) and
# express the decay in units of the PL* exponent -log(1 - eta lambda_min / n): it must be
# >= 1 for every net (the guarantee), and ~ 2 for a net that behaves like its
# linearization. For the latter we use lambda_min of the kernel GD actually sees in the
# fit window (mean over the checkpoints in it): lambda_min is ~ 1/1000 of lambda_max, so
# even a 1% change of K moves it by several percent. The allowance is 10%: the kernel still
# moves by 1-3% at the widest nets, and the second-slowest mode has not quite died out at
# the start of the window. (Section 2 found beta * eta within 1% of 1, so the guarantee's
# hypothesis eta <= 1/beta holds up to a 1% change of its exponent, far inside the margins.)

# %%
def rates(run):
    """(measured late decay / PL* exponent, measured late decay / linearized exponent).

    Also stores in run the fitted log factor per step and the two lambda_min used.
    """
    late = run["step"] >= steps // 2
    log_factor = float(np.polyfit(run["step"][late], np.log(run["loss"][late]), 1)[0])  # per step
    run["log_factor"] = log_factor
    run["lam_min_path"] = run["lam_path"].min()
    run["lam_window"] = run["lam_path"][run["lam_steps"] >= steps // 2].mean()
    pl_exponent = log_factor / np.log(1 - run["eta"] * run["lam_min_path"] / n)
    lin_ratio = log_factor / (2 * np.log(1 - run["eta"] * run["lam_window"] / n))
    return pl_exponent, lin_ratio


both = per_width(rates)  # (widths, seeds, 2)
pl_exponent, lin_ratio = both[..., 0], both[..., 1]
for m, pl_row, lin_row in zip(widths, pl_exponent, lin_ratio):
    run = runs[m, SEEDS[0]]
    lesson.say(f"  m = {m:6d}: seed {SEEDS[0]}: factor {np.exp(run['log_factor']):.6f} per step, PL* bound "
               f"{1 - run['eta'] * run['lam_min_path'] / n:.6f}, linearized "
               f"{(1 - run['eta'] * run['lam_window'] / n) ** 2:.6f};  decay / PL* exponent = "
               f"{np.round(pl_row, 2)}, / linearized = {np.round(lin_row, 3)}")
lesson.check_above("late decay exponent in units of the PL* exponent -log(1 - eta lambda_min/n), worst net",
                   pl_exponent.min(), 1.0)
lesson.check_between(f"late decay / the linearized model's 2 log(1 - eta lambda_min/n), m = {m_wide}, worst seed",
                     max(lin_ratio[-1], key=lambda v: abs(v - 1)), 0.9, 1.1)

# %% [markdown]
# ## 7. (d) The network follows its linearization
# Both runs start at f(theta0) and take the same steps. By Taylor's theorem the network's
# outputs differ from the linear model's by at most O(sup ||Hess f|| R^2) = O(m^{-1/2});
# along the GD path, for the reason of section 4, the difference is O(1/m) for large m.
# We take the largest difference over the whole run, max_t ||f(theta_t) - f_lin(theta^lin_t)||
# (on the training points, every 10 steps), and check its slope against m lies in the band
# of section 4, [-1.2, -0.4], and that at the widest net it is below 3% of ||y||.

# %%
deviation_all = per_width(lambda r: np.max(np.linalg.norm(r["outputs"] - r["outputs_lin"], axis=1)))
deviation = over_seeds(deviation_all)
for m, row, mean in zip(widths, deviation_all, deviation):
    lesson.say(f"  m = {m:6d}: max_t ||f(theta_t) - f_lin(theta_lin_t)|| = {np.round(row, 4)}, "
               f"geometric mean {mean:.3g}")
slope_deviation = fit_slope(widths, deviation)
lesson.check_between("log-log slope of max_t ||f - f_lin|| against m (path: -1, bound: -1/2)",
                     slope_deviation, -1.2, -0.4)
lesson.check_below(f"max_t ||f - f_lin|| / ||y|| at the widest net, m = {m_wide} (geometric mean)",
                   deviation[-1] / np.linalg.norm(y), 0.03)

# %% [markdown]
# ## 8. Figures
# Loss curves (seed 0): every width falls fast at first (the large-eigenvalue modes), then
# along a straight line in log scale whose slope is set by lambda_min. Dashed: the
# linearized model's slope (1 - eta lambda_min/n)^2 per step; dotted: the PL* guarantee
# (1 - eta lambda_min/n), half as steep. The measured curves run parallel to the dashed lines.

# %%
colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(widths)))
fig, ax = plt.subplots(figsize=(7.5, 4.8))
for color, m in zip(colors, widths):
    run = runs[m, SEEDS[0]]
    t = run["step"]
    ax.semilogy(t, run["loss"], color=color, lw=1.8, label=f"m = {m}")
    t_anchor = steps // 2
    anchor = run["loss"][np.searchsorted(t, t_anchor)]
    ax.semilogy(t, anchor * (1 - run["eta"] * run["lam_window"] / n) ** (2 * (t - t_anchor)), "--", color=color, lw=1)
    ax.semilogy(t, anchor * (1 - run["eta"] * run["lam_min_path"] / n) ** (t - t_anchor), ":", color=color, lw=1)
ax.plot([], [], "k--", lw=1, label="linearized: (1 - eta lambda_min/n)^(2t)")
ax.plot([], [], "k:", lw=1, label="PL* guarantee: (1 - eta lambda_min/n)^t")
low = min(runs[m, SEEDS[0]]["loss"].min() for m in widths)
high = max(runs[m, SEEDS[0]]["loss"][0] for m in widths)
ax.set_ylim(low / 10, 2 * high)
ax.set_xlabel("GD step t  (eta = n / lambda_max(K0) for each net)")
ax.set_ylabel("training loss L(theta_t)")
ax.set_title("GD on wide tanh nets: geometric decay at the rate lambda_min(K) sets")
ax.legend(fontsize=8, loc="upper right")
lesson.save_figure(fig, "loss_curves")

# %% [markdown]
# Scaling with the width: the kernel's relative change, the parameter moves, and the
# distance to the linearized model, on log-log axes (small dots: each initialization;
# line: their geometric mean), with the m^{-1/2} of the bounds and the m^{-1} of the GD
# path drawn through the widest point.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
m_arr = np.array(widths, dtype=float)


def reference(ax, values, power, style, label):
    ax.loglog(m_arr, values[-1] * (m_arr / m_arr[-1]) ** power, style, color="gray", lw=1, label=label)


def scatter(ax, values_all, color="C0"):
    for k in range(values_all.shape[1]):
        ax.loglog(m_arr, values_all[:, k], ".", color=color, ms=4, alpha=0.6)


scatter(axes[0], kernel_change_all)
axes[0].loglog(m_arr, kernel_change, "o-", label=f"geometric mean (slope {slope_kernel:.2f})")
reference(axes[0], kernel_change, -0.5, "--", "m^(-1/2) (bound)")
reference(axes[0], kernel_change, -1.0, ":", "m^(-1) (GD path, large m)")
axes[0].set_title("(a) relative change of the tangent kernel")
axes[0].set_ylabel("||K_T - K_0||_F / ||K_0||_F")
axes[1].loglog(m_arr, distance, "o-", label="||theta_T - theta0||")
axes[1].loglog(m_arr, largest_move, "s-", color="C1", label="max_i |theta_T - theta0|_i")
axes[1].loglog(m_arr, init_norm, "^-", color="C2", label="||theta0|| (for scale)")
reference(axes[1], largest_move, -0.5, "--", "m^(-1/2)")
axes[1].set_title("(b) how far the parameters move")
scatter(axes[2], deviation_all)
axes[2].loglog(m_arr, deviation, "o-", label=f"geometric mean (slope {slope_deviation:.2f})")
reference(axes[2], deviation, -0.5, "--", "m^(-1/2) (bound)")
reference(axes[2], deviation, -1.0, ":", "m^(-1) (GD path, large m)")
axes[2].set_title("(d) network vs its linearization")
axes[2].set_ylabel("max_t ||f(theta_t) - f_lin(theta_lin_t)||")
for ax in axes:
    ax.set_xlabel("width m")
    ax.legend(fontsize=8)
lesson.save_figure(fig, "kernel_change")

# %% [markdown]
# Trajectories (seed 0): the function the network computes (solid) and the one its
# linearization computes (dashed) at a few steps of GD, on a fine grid of inputs, for the
# narrowest and the widest net; and the distance between their outputs on the training
# points along the run, for every width (one initialization; section 7 has the means). At
# m = 100 the two part a little (early on, and beyond the last data point); at the widest
# they coincide to the eye.

# %%
grid = np.linspace(-3.5, 5.5, 200)
X_grid = np.column_stack([grid, np.full_like(grid, BIAS_INPUT)])
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
for ax, m in zip(axes[:2], (widths[0], widths[-1])):
    run = runs[m, SEEDS[0]]
    net = run["net"]
    lin_grid = mg.spectral.Linearization(net.apply, run["theta0"], X_grid,
                                         J0=net.jacobian(run["theta0"], X_grid, backend=BACKEND))
    for color, t in zip(plt.cm.plasma(np.linspace(0.0, 0.8, len(SNAPSHOTS))), SNAPSHOTS):
        ax.plot(grid, net.apply(run["snaps"][t], X_grid), "-", color=color, lw=1.6, label=f"t = {t}")
        ax.plot(grid, lin_grid(run["snaps_lin"][t]), "--", color=color, lw=1.2)
    ax.plot(x_train, y, "ko", ms=5, label="data (x_j, sin x_j)")
    ax.plot([], [], "k--", lw=1.2, label="linearized model")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title(f"m = {m}: network (solid) vs linearized (dashed)")
    ax.legend(fontsize=7, loc="best")
for color, m in zip(colors, widths):
    run = runs[m, SEEDS[0]]
    gap = np.linalg.norm(run["outputs"] - run["outputs_lin"], axis=1)
    axes[2].semilogy(run["step"][1:], gap[1:], color=color, label=f"m = {m}")
axes[2].set_xlabel("GD step t")
axes[2].set_ylabel("||f(theta_t) - f_lin(theta_lin_t)||, training points")
axes[2].set_title("distance between the two trajectories")
axes[2].legend(fontsize=8)
lesson.save_figure(fig, "trajectories")
