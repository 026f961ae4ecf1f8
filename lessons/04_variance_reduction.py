"""Lesson 4 — automatic variance reduction: why SGD is fast when the model interpolates.

The slide. SGD with mini-batch size 1 takes the step w <- w - eta grad l_i(w) for a
random sample i. The stochastic gradient is unbiased, E_i grad l_i(w) = grad L(w), but
it is noisy: eps(w) = grad l_i(w) - grad L(w). Classically, at the minimizer w* the
noise does NOT vanish (the per-sample gradients cancel on average but are not zero),
so constant-step SGD stalls at a floor proportional to eta, and only a decaying step
eta_t ~ 1/t converges, at the slow rate E||w_t - w*||^2 ~ 1/t. When the model
interpolates (every l_i(w*) = 0), every per-sample gradient vanishes at w*, the
variance is bounded by a constant times the loss itself, Var[eps(w)] <= 2 beta L(w)
("automatic variance reduction"), and constant-step SGD converges exponentially, like
gradient descent. The step size 1/beta (beta = max_i ||x_i||^2) and the critical
mini-batch size m* = beta / lambda_max(H) come out of the same computation.

Source: S. Ma, R. Bassily, M. Belkin, "The power of interpolation: understanding the
effectiveness of SGD in modern over-parametrized learning", ICML 2018.

Convention (used throughout): l_i(w) = (1/2)(x_i . w - y_i)^2 and
L(w) = (1/n) sum_i l_i(w) = (1/(2n)) sum_i (x_i . w - y_i)^2, so the Hessian is
H = (1/n) sum_i x_i x_i^T and each l_i is beta_i = ||x_i||^2 smooth. (Writing the loss
without the 1/2 only doubles every gradient, i.e. rescales eta by 2.)

Checked here, on the slides' three points x = (1, 2), y = 4; x = (-2, 1), y = 2;
x = (1, -4), y = 4, and on the same points lifted to p = 10 features:
  * w*, the residuals and the gradient noise at w* in exact rational arithmetic;
  * constant-step SGD stalls at the exact stationary excess loss, sandwiched as
    eta sigma^2 / 4 <= E[L] - L* <= eta sigma^2 / (4 (1 - eta beta / 2));
  * the step c/(t + t0) converges with E||w_t - w*||^2 ~ 1/t (log-log slope -1);
  * over-parametrized: every per-sample gradient vanishes at w*, and constant-step SGD
    contracts E||w_t - w*||^2 per step by the spectral radius of the exact
    second-moment map M -> E[(I - eta x x^T) M (I - eta x x^T)];
  * Var[eps(w)] <= 2 beta L(w) along the path (and no such bound without interpolation);
  * eta*(m) = m / (beta + (m - 1) lambda), m* = beta / lambda, and the paper's bound on
    the contraction, 1 - eta*(m) lambda_min, against the exact contraction.

Run it:  python -m lessons 4
"""

# %% [markdown]
# ## 1. The three points, exactly
# L(w) = (1/6) sum_i (x_i . w - y_i)^2 has the unique minimizer w* = (X^T X)^{-1} X^T y.
# By hand: X^T X = [[6, -4], [-4, 21]], X^T y = (4, -6), so w* = (6/11, -2/11); the
# residuals r_i = x_i . w* - y_i are (-42, -36, -30)/11 and L* = 60/11. We redo this in
# exact rational arithmetic (Python's fractions) and compare with the float solver.

# %%
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from lessons.harness import Lesson

lesson = Lesson(4, "Automatic variance reduction (SGD under interpolation)")

X = np.array([[1.0, 2.0], [-2.0, 1.0], [1.0, -4.0]])
y = np.array([4.0, 2.0, 4.0])
n, p = X.shape

# Exact: solve the 2x2 normal equations with Cramer's rule over the rationals.
Xq = [[Fraction(int(v)) for v in row] for row in X]
yq = [Fraction(int(v)) for v in y]
G = [[sum(Xq[i][a] * Xq[i][b] for i in range(n)) for b in range(p)] for a in range(p)]
b_vec = [sum(Xq[i][a] * yq[i] for i in range(n)) for a in range(p)]
det = G[0][0] * G[1][1] - G[0][1] * G[1][0]
w_exact = [(G[1][1] * b_vec[0] - G[0][1] * b_vec[1]) / det, (G[0][0] * b_vec[1] - G[1][0] * b_vec[0]) / det]
r_exact = [Xq[i][0] * w_exact[0] + Xq[i][1] * w_exact[1] - yq[i] for i in range(n)]
L_exact = sum(r * r for r in r_exact) / (2 * n)
# The per-sample gradients at w*: grad l_i(w*) = r_i x_i. They sum to zero (that is what
# makes w* a minimizer) but none of them is zero. Their variance is the noise SGD feels at w*:
# sigma^2 = E_i ||grad l_i(w*) - grad L(w*)||^2 = (1/n) sum_i r_i^2 ||x_i||^2.
g_exact = [[r_exact[i] * Xq[i][a] for a in range(p)] for i in range(n)]
g_sum = [sum(g_exact[i][a] for i in range(n)) for a in range(p)]
sigma2_exact = sum(r_exact[i] ** 2 * (Xq[i][0] ** 2 + Xq[i][1] ** 2) for i in range(n)) / n
lesson.say(f"  exact: w* = ({w_exact[0]}, {w_exact[1]}), residuals {[str(r) for r in r_exact]}, L* = {L_exact}")
lesson.say(f"  exact: per-sample gradients at w*: {[[str(c) for c in g] for g in g_exact]}, "
           f"their sum ({', '.join(str(c) for c in g_sum)})")
lesson.say(f"  exact: gradient-noise variance at w*: sigma^2 = {sigma2_exact} = {float(sigma2_exact):.6f}")

w_star = mg.linear.lstsq_normal(X, y)
r_star = mg.linear.residuals(X, w_star, y)
L_star = float(np.mean(mg.linear.per_sample_losses(X, w_star, y)))
per_sample_grads = r_star[:, None] * X  # (n, p): row i is grad l_i(w*)
sigma2 = float(np.mean(np.sum(per_sample_grads**2, axis=1)))
lesson.check_below("least squares w* (float solver) equals the exact rational w* = (6/11, -2/11)",
                   mg.check.relative_error(w_star, np.array([float(v) for v in w_exact])), 1e-14)
lesson.check_true("exact: the per-sample gradients at w* sum to zero, yet none is zero",
                  all(c == 0 for c in g_sum) and all(any(c != 0 for c in g) for g in g_exact),
                  f"sum = ({', '.join(str(c) for c in g_sum)}), "
                  f"|grad l_i(w*)|^2 = {', '.join(str(g[0] ** 2 + g[1] ** 2) for g in g_exact)}")
lesson.check_below("gradient-noise variance at w* (float) equals the exact 10200/121 (relative error)",
                   abs(sigma2 - float(sigma2_exact)) / float(sigma2_exact), 1e-13)

H = X.T @ X / n  # the Hessian of L
eig_H = np.linalg.eigvalsh(H)
lam_min, lam_max = float(eig_H[0]), float(eig_H[-1])
beta = float(np.max(np.sum(X**2, axis=1)))  # each l_i is ||x_i||^2-smooth; beta = the largest
Sigma = per_sample_grads.T @ per_sample_grads / n  # noise covariance at w*, trace = sigma^2
lesson.say(f"  H eigenvalues {np.round(eig_H, 6)}, beta = max ||x_i||^2 = {beta:g}")


# %% [markdown]
# ## 2. The exact second moment of SGD
# Write e = w - w*. Since x_i . w - y_i = x_i . e + r_i, one SGD step on sample i is
#
#     e' = (I - eta x_i x_i^T) e - eta r_i x_i.
#
# Averaging over the random i (fresh at each step, independent of e), with m = E[e] and
# M = E[e e^T], and using sum_i r_i x_i = 0:
#
#     m' = (I - eta H) m,
#     M' = M - eta (H M + M H) + eta^2 (1/n) sum_i E[(x_i . w - y_i)^2] x_i x_i^T,
#     with E[(x_i . w - y_i)^2] = x_i^T M x_i + 2 r_i x_i . m + r_i^2.
#
# An exact, deterministic recursion: no sampling. Its fixed point (m = 0) solves
# M = T_eta(M) + eta^2 Sigma, where T_eta(M) = E_i[(I - eta x_i x_i^T) M (I - eta x_i x_i^T)]
# and Sigma = (1/n) sum_i r_i^2 x_i x_i^T is the noise covariance at w*. The loss is
# quadratic, L(w) = L* + (1/2) e^T H e, so the excess loss is E[L] - L* = (1/2) tr(H M).

# %%
def moment_step(m, M, eta, A, r):
    """One exact SGD step of the mean m (p,) and second moment M (p, p) of e = w - w*.

    A: (n, p) the data, r: (n,) the residuals at w*, eta: the step size (batch size 1).
    """
    Hm = A.T @ A / len(A)
    weights = np.einsum("ij,jk,ik->i", A, M, A) + 2 * r * (A @ m) + r**2  # E[(x_i . w - y_i)^2]
    M_next = M - eta * (Hm @ M + M @ Hm) + eta**2 * (A.T * weights) @ A / len(A)
    return m - eta * Hm @ m, M_next


def second_moment_matrix(A, eta, batch=1):
    """The (q^2, q^2) matrix of T: M -> E[(I - eta B) M (I - eta B)] on q x q matrices M.

    B = (1/b) sum_j x_{i_j} x_{i_j}^T for a batch of b = `batch` indices drawn uniformly
    with replacement: the SGD step on an interpolation problem is e' = (I - eta B) e, so
    T maps E[e e^T] to E[e' e'^T]. Expanded:
    T(M) = M - eta (H M + M H) + eta^2 [(1/b) E_i (x_i^T M x_i) x_i x_i^T + (1 - 1/b) H M H].
    A: (n, q), rows x_i. Built column by column, applying T to each basis matrix.
    """
    q = A.shape[1]
    Hm = A.T @ A / len(A)
    K = np.zeros((q * q, q * q))
    for j in range(q * q):
        E = np.zeros(q * q)
        E[j] = 1.0
        M = E.reshape(q, q)
        quad = (A.T * np.einsum("ij,jk,ik->i", A, M, A)) @ A / len(A)
        image = M - eta * (Hm @ M + M @ Hm) + eta**2 * (quad / batch + (1 - 1 / batch) * Hm @ M @ Hm)
        K[:, j] = image.ravel()
    return K


def spectral_radius(K):
    return float(np.max(np.abs(np.linalg.eigvals(K))))


# %% [markdown]
# ## 3. Constant step: a floor proportional to eta
# Small-eta theory. The fixed point satisfies eta (H M + M H) - eta^2 E[x x^T M x x^T] = eta^2 Sigma.
# Take the trace: 2 eta tr(H M) - eta^2 E[(x^T M x) ||x||^2] = eta^2 sigma^2. Since
# 0 <= E[(x^T M x) ||x||^2] <= beta E[x^T M x] = beta tr(H M), the excess loss
# E[L] - L* = tr(H M) / 2 is pinned between two exact bounds:
#
#     eta sigma^2 / 4  <=  E[L] - L*  <=  eta sigma^2 / (4 (1 - eta beta / 2)).
#
# So the floor is eta sigma^2 / 4 to first order: halving eta halves the floor. We
# measure it by running many long SGD runs (compiled: mg.optim.sgd_least_squares),
# dropping a burn-in, and averaging the loss over time and runs. The standard error
# comes from block means, blocks ten correlation times long; the correlation time
# 1 / (1 - rho) comes from the spectral radius rho of the exact map T_eta.

# %%
etas = [0.02, 0.01, 0.005]
floor_runs = lesson.size(8, 4)
floor_steps = lesson.size(40_000, 20_000)
seeds = np.random.default_rng(40)
floors, floor_errors, floor_exact, floor_curves = [], [], [], []
for eta in etas:
    K = second_moment_matrix(X, eta)
    M_stationary = np.linalg.solve(np.eye(p * p) - K, eta**2 * Sigma.ravel()).reshape(p, p)
    floor_exact.append(0.5 * np.trace(H @ M_stationary))
    tau = 1.0 / (1.0 - spectral_radius(K))  # steps for the second moment to forget its start
    burn_in, block = int(20 * tau), int(10 * tau)
    block_means, curves = [], []
    for _ in range(floor_runs):
        _, losses = mg.optim.sgd_least_squares(X, y, np.zeros(p), eta, floor_steps, seed=seeds)
        excess = losses[burn_in:] - L_star
        usable = (len(excess) // block) * block
        block_means.append(excess[:usable].reshape(-1, block).mean(axis=1))
        curves.append(losses - L_star)
    block_means = np.concatenate(block_means)
    floors.append(float(block_means.mean()))
    floor_errors.append(float(block_means.std(ddof=1) / np.sqrt(len(block_means))))
    floor_curves.append(np.mean(curves, axis=0))
    lesson.say(f"  eta = {eta:<6g}: measured floor E[L] - L* = {floors[-1]:.5f} +- {floor_errors[-1]:.5f} "
               f"({len(block_means)} blocks of {block} steps); exact {floor_exact[-1]:.5f}; "
               f"eta sigma^2/4 = {eta * sigma2 / 4:.5f}")

for eta, measured, error, exact in zip(etas, floors, floor_errors, floor_exact):
    lesson.check_below(f"eta = {eta:g}: measured floor vs exact stationary excess loss (in standard errors)",
                       abs(measured - exact) / error, 4.0)
    low, high = eta * sigma2 / 4, eta * sigma2 / (4 * (1 - eta * beta / 2))
    lesson.check_between(f"eta = {eta:g}: exact floor / (eta sigma^2 / 4) inside the bounds [1, 1/(1 - eta beta/2)]",
                         exact / low, 1.0, high / low)
for k in range(len(etas) - 1):
    ratio = floors[k] / floors[k + 1]
    ratio_error = ratio * np.hypot(floor_errors[k] / floors[k], floor_errors[k + 1] / floors[k + 1])
    step_ratio = etas[k] / etas[k + 1]
    # The sandwich bounds at eta_k and eta_{k+1} bound the ratio of floors:
    # step_ratio (1 - eta_{k+1} beta / 2) <= ratio <= step_ratio / (1 - eta_k beta / 2).
    low = step_ratio * (1 - etas[k + 1] * beta / 2)
    high = step_ratio / (1 - etas[k] * beta / 2)
    lesson.check_between(f"floor ratio for eta {etas[k]:g} / {etas[k + 1]:g} (step ratio {step_ratio:g}; "
                         f"bounds from the sandwich, widened by 4 standard errors {4 * ratio_error:.3f})",
                         ratio, low - 4 * ratio_error, high + 4 * ratio_error)


# %% [markdown]
# ## 4. Decaying step c / (t + t0): convergence at rate 1/t
# With eta_t = c / (t + t0), the exact recursion for E||e_t||^2 along the slowest direction
# of H reads u' ~ (1 - 2 c lambda_min / t) u + c^2 s / t^2, whose solution decays like
# c^2 s / ((2 c lambda_min - 1) t) when 2 c lambda_min > 1. We take c = 1 / lambda_min
# (so 2 c lambda_min = 2) and t0 = ceil(c beta), so that the first step c / t0 <= 1 / beta.
# E||e_t||^2 is measured at log-spaced checkpoints by continuing each run from where it
# stopped (same random stream), averaged over runs, and fitted by a line in log-log
# coordinates over the last two decades. The clock of the schedule is s = t + t0 (the
# step size is c / s), so that is the variable we fit against: in plain t the shift t0
# bends the line by a factor t / (t + t0) at the start of the window. The exact
# recursion gives the same curve without sampling; its slope tells how close to the
# asymptotic -1 the window is (the next correction is O(1/s)).

# %%
c_decay = 1.0 / lam_min
t0_decay = float(np.ceil(c_decay * beta))
decay_steps = lesson.size(10_000, 5_000)
decay_runs = lesson.size(100, 50)
checkpoints = np.unique(np.round(np.logspace(0, np.log10(decay_steps), 30)).astype(int))
stream = np.random.default_rng(41)
distances = np.zeros((decay_runs, len(checkpoints)))
for run in range(decay_runs):
    w, done = np.zeros(p), 0
    for k, t in enumerate(checkpoints):
        # the schedule of this stretch starts at step `done`: lr = c / ((done + s) + t0), s = 0, 1, ...
        w, _ = mg.optim.sgd_least_squares(X, y, w, mg.optim.inverse_time(c_decay, t0_decay + done),
                                          int(t - done), seed=stream)
        done = int(t)
        distances[run, k] = np.sum((w - w_star) ** 2)
mean_distance = distances.mean(axis=0)

# The exact recursion, step by step (the same schedule).
m, M = -w_star.copy(), np.outer(w_star, w_star)  # e_0 = 0 - w*, deterministic
exact_distance = np.zeros(decay_steps + 1)
exact_distance[0] = np.trace(M)
for t in range(decay_steps):
    m, M = moment_step(m, M, c_decay / (t + t0_decay), X, r_star)
    exact_distance[t + 1] = np.trace(M)

window = checkpoints >= decay_steps / 100
clock = np.log(checkpoints[window] + t0_decay)
slope_mc = np.polyfit(clock, np.log(mean_distance[window]), 1)[0]
slope_exact = np.polyfit(clock, np.log(exact_distance[checkpoints[window]]), 1)[0]
# Bootstrap over runs: the runs are independent, the checkpoints of one run are not.
boot = np.random.default_rng(42)
boot_slopes = []
for _ in range(200):
    pick = boot.integers(0, decay_runs, decay_runs)
    boot_slopes.append(np.polyfit(clock, np.log(distances[pick][:, window].mean(axis=0)), 1)[0])
slope_error = float(np.std(boot_slopes, ddof=1))
lesson.say(f"  c = 1/lambda_min = {c_decay:.4f}, t0 = {t0_decay:g}, {decay_runs} runs of {decay_steps} steps")
lesson.say(f"  log-log slope of E||w_t - w*||^2 against t + t0, t in [{checkpoints[window][0]}, {decay_steps}]: "
           f"measured {slope_mc:.4f} +- {slope_error:.4f}, exact recursion {slope_exact:.4f}")
lesson.check_between("exact recursion: log-log slope of E||w_t - w*||^2 under c/(t + t0) (asymptotically -1; "
                     "corrections O(1/(t + t0)))", slope_exact, -1.05, -0.95)
lesson.check_below("SGD runs: |measured slope - exact slope| in bootstrap standard errors",
                   abs(slope_mc - slope_exact) / slope_error, 4.0)
lesson.check_between("SGD runs: log-log slope of E||w_t - w*||^2 (rate 1/t; -1 +- exact offset + 4 s.e.)",
                     slope_mc, -1 - abs(slope_exact + 1) - 4 * slope_error, -1 + abs(slope_exact + 1) + 4 * slope_error)
lesson.say(f"  E||w_T - w*||^2 at T = {decay_steps}: measured {mean_distance[-1]:.3e}, exact {exact_distance[decay_steps]:.3e}")


# %% [markdown]
# ## 5. Over-parametrized: the same points, solvable
# Lift each x_i to (x_i, z_i) with z_i in R^8 random (entries N(0, 4/8), so ||z_i||^2 ~ 4, a
# size comparable to ||x_i||^2). Now p = 10 > n = 3: the equations x_i . w = y_i have
# solutions, and the minimum-norm one w* interpolates. Every l_i(w*) = 0, so every
# per-sample gradient r_i x_i = 0 at w*: there is no noise left at the solution.
#
# With r = 0 the recursion loses its source term: M' = T_eta(M). SGD from w = 0 only ever
# adds multiples of the x_i, so e stays in the row space of X; there T_eta acts on 3 x 3
# matrices (in an orthonormal basis Q of the row space, z_i = Q^T x_i), and E||e_t||^2
# decays like rho^t, rho its spectral radius. (On the whole R^10, T_eta also has the
# eigenvalue 1: the null space of X, which SGD never touches.)

# %%
extra = 8
Z = np.random.default_rng(43).standard_normal((n, extra)) * 2 / np.sqrt(extra)
Xo = np.hstack([X, Z])
po = Xo.shape[1]
w_over = mg.linear.lstsq_min_norm(Xo, y)
grads_over = mg.linear.residuals(Xo, w_over, y)[:, None] * Xo
beta_o = float(np.max(np.sum(Xo**2, axis=1)))
H_o = Xo.T @ Xo / n
eig_o = np.linalg.eigvalsh(H_o)
alpha_o = float(np.min(eig_o[eig_o > 1e-10 * eig_o[-1]]))  # smallest nonzero eigenvalue of H
lam_o = float(eig_o[-1])
# Machine precision here: the residuals of a backward-stable solve are ~ eps ||X|| ||w*||.
scale = np.finfo(float).eps * np.linalg.norm(Xo, 2) * np.linalg.norm(w_over) * np.max(np.linalg.norm(Xo, axis=1))
lesson.check_below("over-parametrized: max_i ||grad l_i(w*)|| (every per-sample gradient vanishes), "
                   "in units of eps ||X|| ||w*|| max||x_i||", float(np.max(np.linalg.norm(grads_over, axis=1))) / scale, 100.0)

eta_o = 1.0 / beta_o
Q, _ = np.linalg.qr(Xo.T)  # (p, n): orthonormal basis of the row space
K_row = second_moment_matrix(Xo @ Q, eta_o)
rho = spectral_radius(K_row)
rho_bound = 1 - eta_o * alpha_o  # Ma-Bassily-Belkin: E||e'||^2 <= (1 - eta alpha)||e||^2 at eta = 1/beta
lesson.say(f"  p = {po}, beta = {beta_o:.4f}, eta = 1/beta = {eta_o:.5f}, H eigenvalues {np.round(eig_o[-n:], 4)}")
lesson.say(f"  exact contraction of E||w_t - w*||^2 per step: rho = {rho:.6f}; paper's bound 1 - alpha/beta = {rho_bound:.6f}")

over_runs = lesson.size(400, 200)
over_steps = 300
over_checkpoints = np.arange(0, over_steps + 1, 10)
stream = np.random.default_rng(44)
over_distances = np.zeros((over_runs, len(over_checkpoints)))
over_losses = np.zeros((over_runs, over_steps + 1))
for run in range(over_runs):
    w = np.zeros(po)
    over_distances[run, 0] = np.sum(w_over**2)
    for k in range(1, len(over_checkpoints)):
        w, losses = mg.optim.sgd_least_squares(Xo, y, w, eta_o, 10, seed=stream)
        over_distances[run, k] = np.sum((w - w_over) ** 2)
        over_losses[run, over_checkpoints[k - 1]:over_checkpoints[k] + 1] = losses

fit = over_checkpoints >= over_steps // 3  # past the transient of the faster modes
slope = np.polyfit(over_checkpoints[fit], np.log(over_distances[:, fit].mean(axis=0)), 1)[0]
rho_measured = float(np.exp(slope))
boot_rhos = []
for _ in range(200):
    pick = boot.integers(0, over_runs, over_runs)
    boot_rhos.append(np.exp(np.polyfit(over_checkpoints[fit], np.log(over_distances[pick][:, fit].mean(axis=0)), 1)[0]))
rho_error = float(np.std(boot_rhos, ddof=1))
loss_slope = np.polyfit(np.arange(over_steps // 3, over_steps + 1),
                        np.log(over_losses[:, over_steps // 3:].mean(axis=0)), 1)[0]
# Exact E||e_t||^2 and E[L_t] by the recursion (r = 0), in the full R^10.
M = np.outer(w_over, w_over)
exact_over = [np.trace(M)]
exact_over_loss = [0.5 * np.trace(H_o @ M)]
for t in range(over_steps):
    _, M = moment_step(np.zeros(po), M, eta_o, Xo, np.zeros(n))
    exact_over.append(np.trace(M))
    exact_over_loss.append(0.5 * np.trace(H_o @ M))
exact_over, exact_over_loss = np.array(exact_over), np.array(exact_over_loss)
lesson.say(f"  measured per-step contraction of E||w_t - w*||^2 ({over_runs} runs): {rho_measured:.5f} +- {rho_error:.5f}; "
           f"of E[L_t]: {np.exp(loss_slope):.5f}; exact rho = {rho:.5f}")
lesson.say(f"  after {over_steps} steps: E||w_t - w*||^2 = {over_distances[:, -1].mean():.3e} "
           f"(exact {exact_over[-1]:.3e}), from {exact_over[0]:.3f}")
lesson.check_below("over-parametrized, constant step 1/beta: |measured contraction - exact rho| in bootstrap s.e.",
                   abs(rho_measured - rho) / rho_error, 4.0)
lesson.check_below("over-parametrized: linear convergence, E||w_T - w*||^2 / E||w_0 - w*||^2 after 300 steps",
                   over_distances[:, -1].mean() / over_distances[:, 0].mean(), rho_bound ** over_steps)
lesson.check_below("exact contraction rho <= the paper's bound 1 - alpha/beta (alpha = smallest nonzero eig of H)",
                   rho, rho_bound)


# %% [markdown]
# ## 6. Automatic variance reduction along the path
# The noise of the stochastic gradient at w: Var[eps(w)] = (1/n) sum_i ||grad l_i(w) - grad L(w)||^2.
# Why it is bounded by the loss: grad l_i = (x_i . w - y_i) x_i, so
# ||grad l_i||^2 = 2 l_i ||x_i||^2 <= 2 beta l_i, and
#
#     Var[eps(w)] = (1/n) sum_i ||grad l_i||^2 - ||grad L||^2 <= 2 beta L(w).
#
# (The paper's general form: a beta-smooth l_i >= 0 has ||grad l_i||^2 <= 2 beta l_i.)
# Without interpolation this is useless near w*: L(w*) = L* > 0 while the excess loss
# L - L* goes to 0, so Var / (L - L*) is unbounded. With interpolation L* = 0 and the
# variance vanishes with the loss. We follow one SGD path of each kind with mg.optim.sgd
# (its gradient from the engine), recording Var and L at each step; the same seed gives
# the same sample sequence as the compiled mg.optim.sgd_least_squares, which we check first.

# %%
def engine_batch_loss(A, targets):
    def batch_value_and_grad(w, idx):
        rows, labels = mg.Tensor(A[idx]), targets[idx]
        return mg.value_and_grad(lambda v: ((mg.matmul(rows, v) - labels) ** 2).mean() / 2)(w)
    return batch_value_and_grad


def variance_and_loss(A, targets):
    def record(t, w):
        r = A @ w - targets
        g = r[:, None] * A  # per-sample gradients (n, p)
        return float(np.mean(np.sum((g - g.mean(axis=0)) ** 2, axis=1))), float(np.mean(r**2) / 2)
    return record


path_steps = over_steps
w_path, hist = mg.optim.sgd(engine_batch_loss(Xo, y), n, np.zeros(po), eta_o, path_steps, batch_size=1,
                            replace=True, seed=45, callback=variance_and_loss(Xo, y))
w_kernel, kernel_losses = mg.optim.sgd_least_squares(Xo, y, np.zeros(po), eta_o, path_steps, seed=45)
w_numpy, numpy_losses = mg.optim.sgd_least_squares(Xo, y, np.zeros(po), eta_o, path_steps, seed=45, backend="numpy")
lesson.check_below("compiled SGD (numba) = SGD with engine gradients, same samples (max relative error of w_t path end)",
                   mg.check.relative_error(w_kernel, w_path), 1e-12)
lesson.check_below("compiled SGD losses = engine-SGD losses along the path (max |difference| / L_0)",
                   float(np.max(np.abs(kernel_losses - hist.loss)) / hist.loss[0]), 1e-12)
lesson.check_below("numba kernel = numpy twin (max |difference of losses| / L_0)",
                   float(np.max(np.abs(kernel_losses - numpy_losses)) / numpy_losses[0]), 1e-12)

variance_over = np.array([v for v, _ in hist.extra])
loss_over = np.array([l for _, l in hist.extra])
keep = loss_over > 1e-25  # below this the ratio is round-off over round-off
ratio_over = variance_over[keep] / loss_over[keep]

under_steps = lesson.size(1500, 600)
eta_u = etas[1]
_, hist_u = mg.optim.sgd(engine_batch_loss(X, y), n, np.zeros(p), eta_u, under_steps, batch_size=1,
                         replace=True, seed=46, callback=variance_and_loss(X, y))
variance_under = np.array([v for v, _ in hist_u.extra])
excess_under = np.array([l for _, l in hist_u.extra]) - L_star
ratio_under = variance_under / excess_under
lesson.say(f"  interpolating: sup_t Var/L along the path = {ratio_over.max():.4f}, bound 2 beta = {2 * beta_o:.4f}; "
           f"Var at the last step {variance_over[-1]:.2e}")
lesson.say(f"  not interpolating (eta = {eta_u:g}): Var stays near sigma^2 = {sigma2:.2f} "
           f"(last 10%: mean {variance_under[-under_steps // 10:].mean():.2f}) while L - L* ~ {floor_exact[1]:.3f}; "
           f"sup Var/(L - L*) = {ratio_under.max():.4g}")
lesson.check_below("interpolating: sup_t Var[eps(w_t)] / L(w_t) along the SGD path <= 2 beta (the bound, as a ratio)",
                   ratio_over.max() / (2 * beta_o), 1.0)
lesson.check_above("not interpolating: sup_t Var[eps(w_t)] / (L(w_t) - L*) exceeds 2 beta (no such bound)",
                   ratio_under.max() / (2 * beta), 1.0)


# %% [markdown]
# ## 7. The step size 1/beta and the critical mini-batch size
# With a mini-batch of m samples (drawn with replacement) the same argument gives
# E||e'||^2 <= ||e||^2 - eta (2 - eta (beta + (m - 1) lambda) / m) e^T H e, so the best
# step in this bound is eta*(m) = m / (beta + (m - 1) lambda), lambda = lambda_max(H), and
# E||e'||^2 <= (1 - eta*(m) alpha) ||e||^2. Up to m* = beta / lambda the step grows almost
# linearly with m (one batch of m ~ m steps of batch 1: "linear scaling"); past m* it
# saturates near 1 / lambda, the gradient-descent step ("saturation"). We compute both
# for the lifted data, and check the exact contraction (spectral radius of the mini-batch
# second-moment map at eta*(m)) against the bound for each m. An honest remark: three
# points in a low dimension give beta / lambda ~ 2, so the linear-scaling range m <= m*
# is tiny here; the exact gain per iteration already bends at m = 2 and saturates soon
# after. (m* is large when the data spread over many directions: beta is one sample's
# ||x_i||^2, while lambda_max(H) <= beta averages the samples' directions.)

# %%
m_star = beta_o / lam_o
batch_sizes = np.arange(1, 17)
eta_batch = batch_sizes / (beta_o + (batch_sizes - 1) * lam_o)
rho_batch = np.array([spectral_radius(second_moment_matrix(Xo @ Q, eta, batch=int(b)))
                      for b, eta in zip(batch_sizes, eta_batch)])
bound_batch = 1 - eta_batch * alpha_o
lesson.say(f"  beta = {beta_o:.4f}, lambda_max(H) = {lam_o:.4f}: step 1/beta = {1 / beta_o:.5f}, "
           f"critical batch size m* = beta/lambda = {m_star:.3f}")
lesson.say(f"  (the slides' 2-d data: beta = {beta:g}, lambda_max = {lam_max:.4f}, m* = {beta / lam_max:.4f})")
for b, eta, r_b, bd in zip(batch_sizes, eta_batch, rho_batch, bound_batch):
    if b not in (1, 2, 3, 4, 8, 16):
        continue
    lesson.say(f"    m = {b}: eta*(m) = {eta:.5f}, exact contraction {r_b:.5f}, bound 1 - eta*(m) alpha = {bd:.5f}")
lesson.check_below("for every batch size m = 1..16: exact contraction at eta*(m) minus the paper's bound (max)",
                   float(np.max(rho_batch - bound_batch)), 0.0)
gain = (1 - rho_batch) / (1 - rho_batch[0])
lesson.say("  gain per iteration over m = 1, (1 - rho(m)) / (1 - rho(1)), for m = 1, 2, 3, 4, 8, 16: "
           f"{np.round(gain[[0, 1, 2, 3, 7, 15]], 3)}")


# %% [markdown]
# ## 8. The SGD variance picture
# Top left: constant step on the 2-d data stalls at floors that halve with eta (dashed:
# the exact stationary values). Top right: the decaying step keeps going down, along the
# 1/t line. Bottom left: on the interpolating data the constant step converges
# geometrically, at the exact rate rho^t. Bottom right: the variance of the stochastic
# gradient relative to the (excess) loss: bounded by 2 beta with interpolation, unbounded
# without.

# %%
fig, axes = plt.subplots(2, 2, figsize=(12, 9))
ax = axes[0, 0]
edges = np.unique(np.round(np.logspace(0, np.log10(floor_steps + 1), 60)).astype(int))
for eta, curve, exact in zip(etas, floor_curves, floor_exact):
    # mean over the runs, then over log-spaced windows of steps (the raw curve is a noisy cloud)
    binned = [curve[a:b].mean() for a, b in zip(edges[:-1], edges[1:])]
    line = ax.loglog(np.sqrt(edges[:-1] * edges[1:]), binned, "o-", ms=3,
                     label=f"eta = {eta:g}: {floor_runs} runs, windowed")[0]
    ax.axhline(exact, color=line.get_color(), ls="--", lw=1)
ax.plot([], [], "k--", lw=1, label="exact stationary value")
ax.set_xlabel("step t")
ax.set_ylabel("E[L(w_t)] - L*")
ax.set_title("not interpolating, constant step: a floor ~ eta sigma^2 / 4")
ax.legend(fontsize=8)

ax = axes[0, 1]
ax.loglog(np.arange(1, decay_steps + 1), exact_distance[1:], "k-", lw=1, label="exact recursion")
ax.loglog(checkpoints, mean_distance, "o", ms=4, label=f"SGD, mean of {decay_runs} runs")
ref = exact_distance[decay_steps] * decay_steps / np.arange(1, decay_steps + 1)
ax.loglog(np.arange(1, decay_steps + 1), ref, ":", color="gray", label="slope -1")
ax.axhline(np.trace(np.linalg.solve(np.eye(p * p) - second_moment_matrix(X, etas[1]),
                                    etas[1] ** 2 * Sigma.ravel()).reshape(p, p)),
           color="C3", ls="--", lw=1, label=f"constant eta = {etas[1]:g}: its floor")
ax.set_xlabel("step t")
ax.set_ylabel("E||w_t - w*||^2")
ax.set_title(f"not interpolating, step c/(t + t0): slope {slope_mc:.3f}")
ax.legend(fontsize=8)

ax = axes[1, 0]
ax.semilogy(over_checkpoints, over_distances.mean(axis=0), "o", ms=4, label=f"E||w_t - w*||^2, {over_runs} runs")
ax.semilogy(exact_over, "k-", lw=1, label="exact recursion")
ax.semilogy(over_losses.mean(axis=0), "-", color="C1", lw=1, label="E[L(w_t)], same runs")
ax.semilogy(exact_over_loss, "k--", lw=1, label="exact E[L(w_t)]")
ax.semilogy(np.arange(over_steps + 1), exact_over[0] * rho_bound ** np.arange(over_steps + 1), ":", color="gray",
            label="paper's bound (1 - alpha/beta)^t")
ax.set_xlabel("step t")
ax.set_title(f"interpolating (p = {po}), constant step 1/beta: rho = {rho:.4f}")
ax.legend(fontsize=8)

ax = axes[1, 1]
ax.loglog(excess_under, variance_under, ".", ms=3, alpha=0.6,
          label=f"not interpolating (eta = {eta_u:g}): Var vs L - L*")
ax.loglog(loss_over, variance_over, ".", ms=3, label="interpolating (eta = 1/beta): Var vs L")
span = np.array([min(loss_over.min(), excess_under.min()), max(loss_over.max(), excess_under.max())])
ax.loglog(span, 2 * beta_o * span, "k--", lw=1, label="Var = 2 beta L")
ax.axhline(sigma2, color="C0", ls=":", lw=1, label="sigma^2, the noise at w*")
ax.set_xlabel("loss along one SGD path (excess loss without interpolation)")
ax.set_ylabel("Var[eps(w)], variance of the stochastic gradient")
ax.set_title("automatic variance reduction: Var <= 2 beta L")
ax.legend(fontsize=8)
fig.tight_layout()
lesson.save_figure(fig, "sgd_variance")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.plot(batch_sizes, eta_batch, "o-", label="eta*(m) = m / (beta + (m - 1) lambda)")
left.axhline(1 / lam_o, color="gray", ls=":", label="1 / lambda")
left.axvline(m_star, color="C3", ls="--", label=f"m* = beta / lambda = {m_star:.2f}")
left.set_xlabel("mini-batch size m")
left.set_ylabel("step size")
left.set_title("optimal step size per batch size")
left.legend(fontsize=8)
right.plot(batch_sizes, 1 - rho_batch, "o-", label="exact: 1 - rho(m)")
right.plot(batch_sizes, 1 - bound_batch, "s--", label="bound: eta*(m) alpha")
right.plot(batch_sizes[:5], batch_sizes[:5] * alpha_o / beta_o, ":", color="gray",
           label="linear scaling of the bound: m alpha / beta")
right.axvline(m_star, color="C3", ls="--", label="m*")
right.set_xlabel("mini-batch size m")
right.set_ylabel("decrease of E||w - w*||^2 per iteration")
right.set_title("gain per iteration grows with m, then saturates past m*")
right.legend(fontsize=8)
fig.tight_layout()
lesson.save_figure(fig, "batch_size")
