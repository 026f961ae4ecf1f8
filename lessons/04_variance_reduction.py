"""Lesson 4 — automatic variance reduction: why SGD is fast when the model interpolates.

The slide. SGD with mini-batch size 1 takes the step w <- w - eta grad l_i(w) for a
random sample i. The stochastic gradient is unbiased, E_i grad l_i(w) = grad L(w), but
it is noisy: eps(w) = grad l_i(w) - grad L(w). Classically (under-parametrized), at the
minimizer w* the noise does NOT vanish (the per-sample gradients cancel on average but
are not zero), so constant-step SGD stalls at a floor proportional to eta, and only a
decaying step eta_t ~ 1/t converges, at the slow rate 1/t. When the model interpolates
(every l_i(w*) = 0), every per-sample gradient vanishes at w*, the noise shrinks with the
loss, Var[eps(w)] <= 2 beta L(w) ("automatic variance reduction"), and constant-step SGD
converges exponentially, like gradient descent. The step size 1/beta (beta = max_i
||x_i||^2) and the critical mini-batch size m* = beta / lambda_max(H) come out of the
same computation.

Sources:
  S. Ma, R. Bassily, M. Belkin, "The power of interpolation: understanding the
  effectiveness of SGD in modern over-parametrized learning", ICML 2018, arXiv:1712.06559
  (the variance bound, the exponential rate, eta*(m) and m*).
  C. Liu, M. Belkin, "Accelerating SGD with momentum for over-parameterized learning",
  ICLR 2020, arXiv:1810.13395 (the slide's link: the same interpolation setting, where
  constant-step SGD converges exponentially, studied with momentum).

Convention (used throughout): l_i(w) = (1/2)(x_i . w - y_i)^2 and
L(w) = (1/n) sum_i l_i(w), so the Hessian is H = (1/n) sum_i x_i x_i^T and each l_i is
beta_i = ||x_i||^2 smooth (its curvature, x_i x_i^T, is at most ||x_i||^2 in any direction).
"Interpolate" means fit every training point exactly: L(w*) = 0. (Writing the loss without
the 1/2 doubles every gradient, i.e. doubles eta: one of the controls below is exactly
that mistake.)

The data: the slide's three points x = (1, 2), y = 4; x = (-2, 1), y = 2; x = (1, -4),
y = 4 with the model w . x (2 weights, 3 equations: no exact fit), and the SAME three
points with a bias, w1 x1 + w2 x2 + b (3 weights, 3 equations: a unique exact fit).
Section 7 adds a wider problem built to make the critical batch size large.

Every claim is checked against a *control*: the same test on a plausible wrong variant
(a decaying step presented as constant, labels that cannot be interpolated, a step past
2/beta, the wrong batch scaling, a dropped 1/2, ...), which must FAIL.

Run it:  python -m lessons 4
"""

# %% [markdown]
# ## 1. The three points, exactly
# L(w) = (1/6) sum_i (x_i . w - y_i)^2 has the unique minimizer w* = (X^T X)^{-1} X^T y.
# By hand: X^T X = [[6, -4], [-4, 21]], X^T y = (4, -6), so w* = (6/11, -2/11) and the
# residuals r_i = x_i . w* - y_i are (-42, -36, -30)/11, none zero. With a bias feature
# the system X_b w = y is square and invertible: w_b = (2/3, 0, 10/3) fits all three points.
# We redo both in exact rational arithmetic (Python's fractions) and compare with the floats.

# %%
from lessons.harness import Lesson, loglog_slope  # first: it pins BLAS to one thread before numpy loads

from fractions import Fraction  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402

lesson = Lesson(4, "Automatic variance reduction (SGD under interpolation)")

X = np.array([[1.0, 2.0], [-2.0, 1.0], [1.0, -4.0]])
y = np.array([4.0, 2.0, 4.0])
n, p = X.shape
Xb = np.hstack([X, np.ones((n, 1))])  # the same points with a bias feature: w1 x1 + w2 x2 + b
pb = Xb.shape[1]


def solve_exact(A, b):
    """Solve A x = b over the rationals by Gauss-Jordan elimination (A square, invertible)."""
    k = len(A)
    rows = [list(A[i]) + [b[i]] for i in range(k)]
    for col in range(k):
        pivot = next(i for i in range(col, k) if rows[i][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for i in range(k):
            if i != col and rows[i][col] != 0:
                rows[i] = [a - rows[i][col] * c for a, c in zip(rows[i], rows[col])]
    return [rows[i][k] for i in range(k)]


def exact_fit(Xf, normal_equations):
    """w, residuals, per-sample gradients r_i x_i and sigma^2 = (1/n) sum_i r_i^2 ||x_i||^2, as fractions."""
    Xq = [[Fraction(int(v)) for v in row] for row in Xf]
    yq = [Fraction(int(v)) for v in y]
    k = len(Xq[0])
    if normal_equations:  # least squares: (X^T X) w = X^T y
        G = [[sum(Xq[i][a] * Xq[i][c] for i in range(n)) for c in range(k)] for a in range(k)]
        w = solve_exact(G, [sum(Xq[i][a] * yq[i] for i in range(n)) for a in range(k)])
    else:  # square system: X w = y
        w = solve_exact(Xq, yq)
    r = [sum(Xq[i][a] * w[a] for a in range(k)) - yq[i] for i in range(n)]
    g = [[r[i] * Xq[i][a] for a in range(k)] for i in range(n)]
    s2 = sum(r[i] ** 2 * sum(v * v for v in Xq[i]) for i in range(n)) / n
    return w, r, g, s2


def frac(values):
    return "(" + ", ".join(str(v) for v in values) + ")"


w_exact, r_exact, g_exact, sigma2_exact = exact_fit(X, normal_equations=True)
wb_exact, rb_exact, gb_exact, _ = exact_fit(Xb, normal_equations=False)
g_sum = [sum(g[a] for g in g_exact) for a in range(p)]
L_exact = sum(r * r for r in r_exact) / (2 * n)
lesson.say(f"  exact, no bias: w* = {frac(w_exact)}, residuals {frac(r_exact)}, L* = {L_exact}")
lesson.say(f"  exact, no bias: per-sample gradients at w*: {[frac(g) for g in g_exact]}, their sum {frac(g_sum)}")
lesson.say(f"  exact, no bias: gradient-noise variance at w*: sigma^2 = (1/n) sum_i r_i^2 ||x_i||^2 = {sigma2_exact}"
           f" = {float(sigma2_exact):.6f}")
lesson.say(f"  exact, with bias: w_b = {frac(wb_exact)}, residuals {frac(rb_exact)}")

w_star = mg.linear.lstsq_normal(X, y)
r_star = mg.linear.residuals(X, w_star, y)
L_star = float(np.mean(mg.linear.per_sample_losses(X, w_star, y)))
per_sample_grads = r_star[:, None] * X  # (n, p): row i is grad l_i(w*)
sigma2 = float(np.mean(np.sum(per_sample_grads**2, axis=1)))
w_ridge = np.linalg.solve(X.T @ X + 1e-6 * np.eye(p), X.T @ y)
lesson.check_below("least squares w* (float solver) equals the exact rational w* (relative error)",
                   mg.check.relative_error(w_star, np.array([float(v) for v in w_exact])), 1e-14,
                   controls={"ridge with lambda = 1e-6 instead of least squares":
                             mg.check.relative_error(w_ridge, np.array([float(v) for v in w_exact]))})
lesson.check_true("exact, no bias: the per-sample gradients at w* sum to zero, yet none is zero",
                  all(c == 0 for c in g_sum) and all(any(c != 0 for c in g) for g in g_exact),
                  f"sum {frac(g_sum)}, |grad l_i(w*)|^2 = {', '.join(str(sum(c * c for c in g)) for g in g_exact)}",
                  controls={"the same points with a bias (interpolated)": (
                      all(any(c != 0 for c in g) for g in gb_exact),
                      f"|grad l_i(w_b)|^2 = {', '.join(str(sum(c * c for c in g)) for g in gb_exact)}")})
sigma2_no_half = float(np.mean(np.sum((2 * per_sample_grads) ** 2, axis=1)))  # gradients of (x.w - y)^2
lesson.check_below("gradient-noise variance at w* (float) equals the exact sigma^2 (relative error)",
                   abs(sigma2 - float(sigma2_exact)) / float(sigma2_exact), 1e-13,
                   controls={"the loss without the 1/2 (every gradient doubled)":
                             abs(sigma2_no_half - float(sigma2_exact)) / float(sigma2_exact)})

w_b = mg.linear.lstsq_normal(Xb, y)


def gradient_scale(A, w):
    """Round-off scale of a per-sample gradient at a computed fit: the residuals of a
    backward-stable solve are ~ eps ||A|| ||w||, times max ||x_i||."""
    return np.finfo(float).eps * np.linalg.norm(A, 2) * np.linalg.norm(w) * np.max(np.linalg.norm(A, axis=1))


max_grad_b = float(np.max(np.linalg.norm(mg.linear.residuals(Xb, w_b, y)[:, None] * Xb, axis=1)))
max_grad = float(np.max(np.linalg.norm(per_sample_grads, axis=1)))
w_b_ridge = np.linalg.solve(Xb.T @ Xb + 1e-6 * np.eye(pb), Xb.T @ y)
wb_float = np.array([float(v) for v in wb_exact])
# One entry of w_b is exactly 0, so errors are measured relative to ||w_b||, not entry by entry.
lesson.check_below("with bias: w_b (float) equals the exact (2/3, 0, 10/3) (error relative to ||w_b||)",
                   mg.check.relative_error(w_b, wb_float, floor=np.linalg.norm(wb_float)), 1e-14,
                   controls={"ridge with lambda = 1e-6 instead of the exact fit":
                             mg.check.relative_error(w_b_ridge, wb_float, floor=np.linalg.norm(wb_float))})
lesson.check_below("with bias: max_i ||grad l_i(w_b)|| in units of round-off (every per-sample gradient vanishes)",
                   max_grad_b / gradient_scale(Xb, w_b), 100.0,
                   controls={"no bias (labels the model cannot interpolate), at w*":
                             max_grad / gradient_scale(X, w_star)})

H = X.T @ X / n  # the Hessian of L
eig_H = np.linalg.eigvalsh(H)
lam_min, lam_max = float(eig_H[0]), float(eig_H[-1])
beta = float(np.max(np.sum(X**2, axis=1)))  # each l_i is ||x_i||^2-smooth; beta = the largest
Sigma = per_sample_grads.T @ per_sample_grads / n  # noise covariance at w*, trace = sigma^2
H_b = Xb.T @ Xb / n
eig_b = np.linalg.eigvalsh(H_b)
alpha_b, lam_b = float(eig_b[0]), float(eig_b[-1])
beta_b = float(np.max(np.sum(Xb**2, axis=1)))
lesson.say(f"  no bias: H eigenvalues {np.round(eig_H, 4)}, beta = max ||x_i||^2 = {beta:g}")
lesson.say(f"  with bias: H eigenvalues {np.round(eig_b, 4)}, beta = {beta_b:g}")


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
# An exact, deterministic recursion: no sampling. With m = 0 it reads M' = T(M) + eta^2 Sigma,
# T(M) = E_i[(I - eta x_i x_i^T) M (I - eta x_i x_i^T)], Sigma = (1/n) sum_i r_i^2 x_i x_i^T
# the noise covariance at w*. With a mini-batch of b samples (drawn with replacement) the
# step uses B = (1/b) sum_j x_{i_j} x_{i_j}^T, and T(M) = E[(I - eta B) M (I - eta B)] =
# M - eta (H M + M H) + eta^2 [(1/b) E_i (x_i^T M x_i) x_i x_i^T + (1 - 1/b) H M H]: the
# noise part shrinks like 1/b, the gradient-descent part H M H does not. The loss is
# quadratic, L(w) = L* + (1/2) e^T H e, so E[L] - L* = (1/2) tr(H M).
# T is linear in M; written as a matrix K acting on M flattened to a vector, it is symmetric,
# and E||e_t||^2 shrinks like rho^t, rho = the largest |eigenvalue| of K.

# %%
def moment_step(m, M, eta, A, r):
    """One exact SGD step (batch size 1) of the mean m (p,) and second moment M (p, p) of e = w - w*.

    A: (n, p) the data, r: (n,) the residuals at w*, eta: the step size.
    """
    Hm = A.T @ A / len(A)
    weights = np.einsum("ij,jk,ik->i", A, M, A) + 2 * r * (A @ m) + r**2  # E[(x_i . w - y_i)^2]
    M_next = M - eta * (Hm @ M + M @ Hm) + eta**2 * (A.T * weights) @ A / len(A)
    return m - eta * Hm @ m, M_next


def second_moment_matrix(A, eta, batch=1, drop_gd_term=False):
    """The (q^2, q^2) matrix K of T: M -> E[(I - eta B) M (I - eta B)] on q x q matrices M.

    Row-major flattening: vec(H M) = (H kron I) vec(M), vec(M H) = (I kron H) vec(M),
    vec(H M H) = (H kron H) vec(M), and vec(E_i (x_i^T M x_i) x_i x_i^T) = W^T W vec(M) / n
    with the rows of W the flattened x_i x_i^T. drop_gd_term=True leaves out the
    (1 - 1/b) H M H term: a wrong variant, used as a control.
    """
    count, q = A.shape
    Hm = A.T @ A / count
    eye = np.eye(q)
    W = np.einsum("ia,ib->iab", A, A).reshape(count, q * q)
    gd_term = 0.0 if drop_gd_term else (1 - 1 / batch) * np.kron(Hm, Hm)
    return (np.eye(q * q) - eta * (np.kron(Hm, eye) + np.kron(eye, Hm))
            + eta**2 * (W.T @ W / (count * batch) + gd_term))


def spectral_radius(K):
    return float(np.max(np.abs(np.linalg.eigvalsh(K))))  # K is symmetric


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
# measure it by running long SGD runs (compiled: mg.optim.sgd_least_squares), dropping a
# burn-in, and averaging the loss over time and runs. The standard error comes from
# block means, blocks ten correlation times long; the correlation time 1 / (1 - rho)
# comes from the spectral radius rho of the exact map T. Two controls run the same
# measurement on what does converge: a decaying step presented as constant, and the
# interpolating (bias) problem at the same constant step.

# %%
etas = [0.02, 0.01, 0.005]
floor_runs = lesson.size(8, 4)
floor_steps = lesson.size(40_000, 20_000)
seeds = np.random.default_rng(40)


def stationary(eta):
    """Constant-step SGD on the slide's data, stationary state: E[L] - L*, the correlation
    time 1 / (1 - rho) in steps, and E||w - w*||^2 = tr(M), all exact."""
    K = second_moment_matrix(X, eta)
    M_stationary = np.linalg.solve(np.eye(p * p) - K, eta**2 * Sigma.ravel()).reshape(p, p)
    return 0.5 * float(np.trace(H @ M_stationary)), 1.0 / (1.0 - spectral_radius(K)), float(np.trace(M_stationary))


def stationary_excess(eta):
    return stationary(eta)[:2]


def windowed_mean(curves, burn_in, block):
    """Mean of the excess-loss curves after burn_in, and its standard error from block means."""
    means = np.concatenate([c[burn_in:][: (len(c) - burn_in) // block * block].reshape(-1, block).mean(axis=1)
                            for c in curves])
    return float(means.mean()), float(means.std(ddof=1) / np.sqrt(len(means))), len(means)


# The decaying step of section 4: c / (t + t0), c = 1 / lambda_min, t0 = ceil(c beta).
c_decay = 1.0 / lam_min
t0_decay = float(np.ceil(c_decay * beta))
decay_lrs = c_decay / (np.arange(floor_steps) + t0_decay)

floors, floor_errors, floor_exact, floor_curves, floor_double = [], [], [], [], []
for eta in etas:
    exact, tau = stationary_excess(eta)
    floor_exact.append(exact)
    floor_double.append(stationary_excess(2 * eta)[0])  # the loss without the 1/2: the step is really 2 eta
    burn_in, block = int(20 * tau), int(10 * tau)
    curves = [mg.optim.sgd_least_squares(X, y, np.zeros(p), eta, floor_steps, seed=seeds)[1] - L_star
              for _ in range(floor_runs)]
    mean, error, blocks = windowed_mean(curves, burn_in, block)
    floors.append(mean)
    floor_errors.append(error)
    floor_curves.append(np.mean(curves, axis=0))
    if eta == etas[1]:
        mid_window = (burn_in, block)
    lesson.say(f"  eta = {eta:<6g}: measured floor E[L] - L* = {mean:.5f} +- {error:.5f} "
               f"({blocks} blocks of {block} steps); exact {exact:.5f}; eta sigma^2/4 = {eta * sigma2 / 4:.5f}")

# The controls, measured exactly like the eta = 0.01 floor (same burn-in and blocks).
decay_curves = [mg.optim.sgd_least_squares(X, y, np.zeros(p), decay_lrs, floor_steps, seed=seeds)[1] - L_star
                for _ in range(floor_runs)]
decay_floor, decay_error, _ = windowed_mean(decay_curves, *mid_window)
interp_curves = [mg.optim.sgd_least_squares(Xb, y, np.zeros(pb), etas[1], floor_steps, seed=seeds)[1]
                 for _ in range(floor_runs)]  # L* = 0 with the bias
interp_floor, _, _ = windowed_mean(interp_curves, *mid_window)
lesson.say(f"  same window, decaying step c/(t + t0): {decay_floor:.3g} +- {decay_error:.2g}; "
           f"with bias at eta = {etas[1]:g}: {interp_floor:.3g}")

for k, (eta, measured, error, exact) in enumerate(zip(etas, floors, floor_errors, floor_exact)):
    controls = {"exact value for the loss without the 1/2 (step 2 eta)": abs(measured - floor_double[k]) / error}
    if eta == etas[1]:
        controls["a decaying step c/(t + t0) presented as constant"] = abs(decay_floor - exact) / decay_error
    lesson.check_below(f"eta = {eta:g}: |measured floor - exact stationary excess loss| in standard errors",
                       abs(measured - exact) / error, 4.0, controls=controls)
    low, high = eta * sigma2 / 4, eta * sigma2 / (4 * (1 - eta * beta / 2))
    lesson.check_between(f"eta = {eta:g}: exact floor / (eta sigma^2 / 4) inside the bounds [1, 1/(1 - eta beta/2)]",
                         exact / low, 1.0, high / low,
                         controls={"the loss without the 1/2 (step 2 eta)": floor_double[k] / low})
eta_mid = etas[1]
lesson.check_above(f"eta = {eta_mid:g}: constant-step SGD stalls, measured floor / (eta sigma^2 / 4)",
                   floors[1] / (eta_mid * sigma2 / 4), 0.5,
                   controls={"a decaying step c/(t + t0) presented as constant": decay_floor / (eta_mid * sigma2 / 4),
                             "the same points with a bias (interpolated), same eta":
                             interp_floor / (eta_mid * sigma2 / 4)})
# Floor ~ eta: the log-log slope of the floors against eta. The sandwich bounds each
# log floor to [log(eta sigma^2/4), + D(eta)], D = -log(1 - eta beta / 2), so the
# least-squares slope over three equally log-spaced steps lies in 1 -+ D / log(eta_max/eta_min).
floor_slope = loglog_slope(etas, floors)
log_x = np.log(etas) - np.mean(np.log(etas))
floor_slope_error = float(np.sqrt(np.sum((log_x / np.sum(log_x**2)) ** 2 * (np.array(floor_errors) / floors) ** 2)))
span = np.log(max(etas) / min(etas))
low = 1 + np.log(1 - min(etas) * beta / 2) / span - 4 * floor_slope_error
high = 1 - np.log(1 - max(etas) * beta / 2) / span + 4 * floor_slope_error
lesson.say(f"  log-log slope of the measured floors against eta: {floor_slope:.4f} +- {floor_slope_error:.4f}")
lesson.check_between("floor ~ eta: log-log slope of the measured floors (sandwich bounds, widened by 4 s.e.)",
                     floor_slope, low, high,
                     controls={"E[L] instead of E[L] - L* (L* not subtracted)":
                               loglog_slope(etas, np.array(floors) + L_star)})


# %% [markdown]
# ## 4. Decaying step c / (t + t0): convergence at rate 1/t
# With eta_t = c / (t + t0), the exact recursion along the slowest direction of H reads
# u' ~ (1 - 2 c lambda_min / t) u + c^2 s / t^2, whose solution decays like
# c^2 s / ((2 c lambda_min - 1) t) when 2 c lambda_min > 1, but only like t^(-2 c lambda_min)
# when 2 c lambda_min < 1. We take c = 1 / lambda_min (so 2 c lambda_min = 2) and
# t0 = ceil(c beta), so that the first step c / t0 <= 1 / beta. We measure the excess loss
# E[L(w_t)] - L* (mean over runs) at log-spaced steps and fit a line in log-log coordinates
# over the last two decades, against the schedule's clock s = t + t0. The exact recursion
# gives the same curve without sampling. Controls: the same slope test on the constant
# step (a floor: slope near 0) and on c = 1 / (4 lambda_min) (too small: slope -1/2).

# %%
decay_steps = lesson.size(10_000, 5_000)
decay_runs = lesson.size(100, 50)
checkpoints = np.unique(np.round(np.logspace(0, np.log10(decay_steps), 30)).astype(int))
stream = np.random.default_rng(41)
excess_runs = np.array([mg.optim.sgd_least_squares(X, y, np.zeros(p), decay_lrs[:decay_steps], decay_steps,
                                                   seed=stream)[1][checkpoints] - L_star
                        for _ in range(decay_runs)])
mean_excess = excess_runs.mean(axis=0)


def exact_excess(schedule, steps):
    """E[L(w_t)] - L* for t = 0..steps by the exact recursion, from w_0 = 0 (e_0 = -w*)."""
    m, M = -w_star.copy(), np.outer(w_star, w_star)
    out = [0.5 * np.trace(H @ M)]
    for t in range(steps):
        m, M = moment_step(m, M, schedule(t), X, r_star)
        out.append(0.5 * np.trace(H @ M))
    return np.array(out)


exact_decay = exact_excess(lambda t: c_decay / (t + t0_decay), decay_steps)
exact_small_c = exact_excess(lambda t: c_decay / 4 / (t + t0_decay), decay_steps)
exact_constant = exact_excess(lambda t: etas[1], decay_steps)

window = checkpoints >= decay_steps / 100
clock = checkpoints[window] + t0_decay
slope_mc = loglog_slope(clock, mean_excess[window])
slope_exact = loglog_slope(clock, exact_decay[checkpoints[window]])
# Bootstrap over runs: the runs are independent, the checkpoints of one run are not.
boot = np.random.default_rng(42)
boot_slopes = [loglog_slope(clock, excess_runs[boot.integers(0, decay_runs, decay_runs)][:, window].mean(axis=0))
               for _ in range(200)]
slope_error = float(np.std(boot_slopes, ddof=1))
slope_small_c = loglog_slope(clock, exact_small_c[checkpoints[window]])
slope_constant = loglog_slope(clock, exact_constant[checkpoints[window]])
slope_constant_mc = loglog_slope(clock, floor_curves[1][checkpoints[window]])
lesson.say(f"  c = 1/lambda_min = {c_decay:.4f}, t0 = {t0_decay:g}, {decay_runs} runs of {decay_steps} steps")
lesson.say(f"  log-log slope of E[L(w_t)] - L* against t + t0, t in [{checkpoints[window][0]}, {decay_steps}]: "
           f"measured {slope_mc:.4f} +- {slope_error:.4f}, exact recursion {slope_exact:.4f}; "
           f"exact with c/4: {slope_small_c:.4f}; exact with constant eta = {etas[1]:g}: {slope_constant:.4f}")
lesson.check_between("exact recursion: log-log slope of E[L] - L* under c/(t + t0) (asymptotically -1; "
                     "corrections O(1/(t + t0)))", slope_exact, -1.05, -0.95,
                     controls={f"a constant step eta = {etas[1]:g} presented as decaying": slope_constant,
                               "c = 1/(4 lambda_min), so 2 c lambda_min < 1": slope_small_c})
lesson.check_below("SGD runs: |measured slope - exact slope| in bootstrap standard errors",
                   abs(slope_mc - slope_exact) / slope_error, 4.0,
                   controls={"the exact slope of c = 1/(4 lambda_min) as the prediction":
                             abs(slope_mc - slope_small_c) / slope_error})
lesson.check_between("SGD runs: log-log slope of E[L] - L* (rate 1/t; -1 +- exact offset + 4 s.e.)",
                     slope_mc, -1 - abs(slope_exact + 1) - 4 * slope_error, -1 + abs(slope_exact + 1) + 4 * slope_error,
                     controls={f"SGD runs with the constant step {etas[1]:g} (section 3)": slope_constant_mc})
# The level, not only the slope: mean over the window of log(measured / exact), with a
# bootstrap standard error. The control takes the exact curve for the loss without the
# 1/2 (every step doubled, c -> 2 c) as the prediction.
exact_double_c = exact_excess(lambda t: 2 * c_decay / (t + t0_decay), decay_steps)


def log_level(runs, exact):
    return float(np.mean(np.log(runs[:, window].mean(axis=0) / exact[checkpoints[window]])))


level_decay = log_level(excess_runs, exact_decay)
level_error = float(np.std([log_level(excess_runs[boot.integers(0, decay_runs, decay_runs)], exact_decay)
                            for _ in range(200)], ddof=1))
lesson.say(f"  E[L] - L* at T = {decay_steps}: measured {mean_excess[-1]:.3e}, exact {exact_decay[decay_steps]:.3e}; "
           f"window mean of log(measured/exact) = {level_decay:.4f} +- {level_error:.4f}")
lesson.check_below("SGD runs: |window mean of log(measured E[L] - L* / exact)| in bootstrap s.e.",
                   abs(level_decay) / level_error, 4.0,
                   controls={"the exact curve for the loss without the 1/2 (c doubled) as the prediction":
                             abs(log_level(excess_runs, exact_double_c)) / level_error})


# %% [markdown]
# ## 5. The same three points, interpolated: constant step converges
# With the bias, w_b fits every point, so every per-sample gradient r_i x_i is zero at
# w_b: no noise is left at the solution. The recursion loses its source term, M' = T(M),
# and E||w_t - w_b||^2 decays like rho^t, rho the spectral radius of K. Ma, Bassily and
# Belkin show E||e'||^2 <= (1 - eta alpha) ||e||^2 at eta = 1/beta (alpha = lambda_min(H)),
# so rho <= 1 - alpha/beta. We run many SGD runs at eta = 1/beta and compare. Controls:
# the slide's labels without the bias (no interpolation), a step 2.5/beta (beyond 2/beta),
# the bound taken for the rate itself, and gradient descent's map (no sampling noise) taken
# as the prediction of E[L(w_t)].

# %%
eta_b = 1.0 / beta_b
K_b = second_moment_matrix(Xb, eta_b)
rho = spectral_radius(K_b)
rho_bound = 1 - eta_b * alpha_b
eta_big = 2.5 / beta_b
rho_big = spectral_radius(second_moment_matrix(Xb, eta_big))
lesson.say(f"  with bias: beta = {beta_b:g}, eta = 1/beta = {eta_b:.5f}; exact contraction of E||w_t - w_b||^2 "
           f"per step rho = {rho:.5f}; paper's bound 1 - alpha/beta = {rho_bound:.5f}; "
           f"at eta = 2.5/beta rho = {rho_big:.4f}")

over_runs = lesson.size(400, 200)
over_steps = 300
stream = np.random.default_rng(44)
over_losses = np.zeros((over_runs, over_steps + 1))
over_final = np.zeros(over_runs)
for run in range(over_runs):
    w, over_losses[run] = mg.optim.sgd_least_squares(Xb, y, np.zeros(pb), eta_b, over_steps, seed=stream)
    over_final[run] = np.sum((w - w_b) ** 2)
# Controls for the convergence test, same length and number of runs:
no_bias_final = np.array([np.sum((mg.optim.sgd_least_squares(X, y, np.zeros(p), 1 / beta, over_steps, seed=stream)[0]
                                  - w_star) ** 2) for _ in range(over_runs // 10)])
big_final = np.array([np.sum((mg.optim.sgd_least_squares(Xb, y, np.zeros(pb), eta_big, over_steps, seed=stream,
                                                         diverge_factor=1e250)[0] - w_b) ** 2)
                      for _ in range(over_runs // 10)])



def exact_curves(K):
    """E[L(w_t)] and E||w_t - w_b||^2, t = 0..over_steps, by the recursion M_{t+1} = K M_t (r = 0)."""
    v = np.outer(w_b, w_b).ravel()
    losses, distances = [], []
    for t in range(over_steps + 1):
        M = v.reshape(pb, pb)
        losses.append(0.5 * np.trace(H_b @ M))
        distances.append(np.trace(M))
        v = K @ v
    return np.array(losses), np.array(distances)


exact_over_loss, exact_over = exact_curves(K_b)
# A wrong prediction of the same curve: gradient descent's map (I - eta H) M (I - eta H),
# i.e. no sampling noise (an infinite batch). (The batch-2 map is too close to tell apart
# on three points with a few hundred runs; section 7 tests the batch scaling.)
gd_over_loss, _ = exact_curves(second_moment_matrix(Xb, eta_b, batch=np.inf))

fit = np.arange(over_steps // 3, over_steps + 1)  # past the transient of the faster modes
rho_measured = float(np.exp(np.polyfit(fit, np.log(over_losses[:, fit].mean(axis=0)), 1)[0]))
boot_rhos = [np.exp(np.polyfit(fit, np.log(over_losses[pick][:, fit].mean(axis=0)), 1)[0])
             for pick in (boot.integers(0, over_runs, over_runs) for _ in range(200))]
rho_error = float(np.std(boot_rhos, ddof=1))
# The level of the curve late in the run, E[L(w_T')] at T' = over_steps / 2, on a log scale.
mid = over_steps // 2
level = over_losses[:, mid].mean()
level_error = float(np.std([over_losses[boot.integers(0, over_runs, over_runs), mid].mean() for _ in range(200)],
                           ddof=1)) / level  # standard error of log(level)
lesson.say(f"  measured per-step contraction of E[L(w_t)] ({over_runs} runs, t >= {fit[0]}): "
           f"{rho_measured:.5f} +- {rho_error:.5f}; exact rho = {rho:.5f}")
lesson.say(f"  E[L(w_t)] at t = {mid}: measured {level:.4e} (log s.e. {level_error:.3f}), "
           f"exact {exact_over_loss[mid]:.4e}; "
           f"wrong prediction: gradient descent's map {gd_over_loss[mid]:.4e}")
ratio_T = over_final.mean() / np.sum(w_b**2)
lesson.say(f"  after {over_steps} steps: E||w_T - w_b||^2 / ||w_0 - w_b||^2 = {ratio_T:.3e} "
           f"(exact {exact_over[-1] / exact_over[0]:.3e}, paper's bound {rho_bound ** over_steps:.3e})")
lesson.check_below("with bias, constant step 1/beta: |measured contraction - exact rho| in bootstrap s.e.",
                   abs(rho_measured - rho) / rho_error, 4.0,
                   controls={"the paper's bound 1 - alpha/beta taken as the rate":
                             abs(rho_measured - rho_bound) / rho_error})
lesson.check_below(f"with bias: |log measured E[L(w_t)] - log exact| at t = {mid}, in bootstrap s.e.",
                   abs(np.log(level / exact_over_loss[mid])) / level_error, 4.0,
                   controls={"gradient descent's map (no sampling noise) as the prediction":
                             abs(np.log(level / gd_over_loss[mid])) / level_error})
lesson.check_below(f"with bias: E||w_T - w_b||^2 / ||w_0 - w_b||^2 after {over_steps} steps, below the paper's "
                   "(1 - alpha/beta)^T", ratio_T, rho_bound ** over_steps,
                   controls={"no bias (labels the model cannot interpolate), eta = 1/beta":
                             no_bias_final.mean() / np.sum(w_star**2),
                             "with bias, eta = 2.5/beta (beyond 2/beta)": big_final.mean() / np.sum(w_b**2)})
lesson.check_below("exact contraction rho at eta = 1/beta below the paper's bound 1 - eta alpha",
                   rho - rho_bound, 0.0,
                   controls={"eta = 2.5/beta, against its 1 - eta alpha": rho_big - (1 - eta_big * alpha_b)})


# %% [markdown]
# ## 6. Automatic variance reduction along the path
# The noise of the stochastic gradient at w: Var[eps(w)] = (1/n) sum_i ||grad l_i(w) - grad L(w)||^2.
# Why it is bounded by the loss: grad l_i = (x_i . w - y_i) x_i, so
# ||grad l_i||^2 = 2 l_i ||x_i||^2 <= 2 beta l_i, and
#
#     Var[eps(w)] = (1/n) sum_i ||grad l_i||^2 - ||grad L||^2 <= 2 beta L(w).
#
# (The paper's general form: a beta-smooth l_i >= 0 has ||grad l_i||^2 <= 2 beta l_i.) The
# bound holds for both problems; what differs is where L goes. Without interpolation L
# tends to L* > 0 and the noise stays near sigma^2; with interpolation L -> 0 and the noise
# goes to 0 with it, in proportion. We follow one SGD path of each kind with mg.optim.sgd
# (gradients from the engine), recording Var and L at every step; the same seed gives the
# same samples as the compiled mg.optim.sgd_least_squares, which we check first.

# %%
def engine_batch_loss(A, targets):
    def batch_value_and_grad(w, idx):
        rows, labels = mg.Tensor(A[idx]), targets[idx]
        return mg.value_and_grad(lambda v: ((mg.matmul(rows, v) - labels) ** 2).mean() / 2)(w)
    return batch_value_and_grad


def gradient_variance(A, targets, w):
    r = A @ w - targets
    g = r[:, None] * A  # per-sample gradients (n, p)
    return float(np.mean(np.sum((g - g.mean(axis=0)) ** 2, axis=1)))


def variance_and_loss(A, targets):
    return lambda t, w: (gradient_variance(A, targets, w), float(np.mean((A @ w - targets) ** 2) / 2))


# The noise formula itself, held to exact arithmetic at w = 0 (where the mean gradient
# is not zero, so forgetting to subtract it would show): grad l_i(0) = -y_i x_i.
g0 = [[-Fraction(int(y[i])) * Fraction(int(v)) for v in X[i]] for i in range(n)]
g0_mean = [sum(g[a] for g in g0) / n for a in range(p)]
var0_exact = sum(sum((g[a] - g0_mean[a]) ** 2 for a in range(p)) for g in g0) / n
second_moment0 = float(np.mean(np.sum((y[:, None] * X) ** 2, axis=1)))  # the mean not subtracted
lesson.say(f"  exact: Var[eps(0)] = {var0_exact} = {float(var0_exact):.6f}")
lesson.check_below("Var[eps(w)] at w = 0 (float) equals the exact value (relative error)",
                   abs(gradient_variance(X, y, np.zeros(p)) - float(var0_exact)) / float(var0_exact), 1e-13,
                   controls={"the mean gradient not subtracted (the second moment)":
                             abs(second_moment0 - float(var0_exact)) / float(var0_exact)})

path_steps = over_steps
w_path, hist = mg.optim.sgd(engine_batch_loss(Xb, y), n, np.zeros(pb), eta_b, path_steps, batch_size=1,
                            replace=True, seed=45, callback=variance_and_loss(Xb, y))
w_kernel, kernel_losses = mg.optim.sgd_least_squares(Xb, y, np.zeros(pb), eta_b, path_steps, seed=45)
w_other, _ = mg.optim.sgd_least_squares(Xb, y, np.zeros(pb), eta_b, path_steps, seed=46)
_, numpy_losses = mg.optim.sgd_least_squares(Xb, y, np.zeros(pb), eta_b, path_steps, seed=45, backend="numpy")
_, epoch_losses = mg.optim.sgd_least_squares(Xb, y, np.zeros(pb), eta_b, path_steps, seed=45, backend="numpy",
                                             replace=False)
lesson.check_below("compiled SGD (numba) = SGD with engine gradients, same samples (relative error of w at the end)",
                   mg.check.relative_error(w_kernel, w_path), 1e-12,
                   controls={"compiled SGD with another seed (other samples)":
                             mg.check.relative_error(w_other, w_path)})
lesson.check_below("numba kernel = numpy twin (max |difference of losses| / L_0)",
                   float(np.max(np.abs(kernel_losses - numpy_losses)) / numpy_losses[0]), 1e-12,
                   controls={"numpy twin drawing batches without replacement":
                             float(np.max(np.abs(kernel_losses - epoch_losses)) / numpy_losses[0])})

variance_over = np.array([v for v, _ in hist.extra])
loss_over = np.array([l for _, l in hist.extra])
keep = loss_over > 1e-25  # below this the ratio is round-off over round-off
under_steps = path_steps
eta_u = etas[1]
_, hist_u = mg.optim.sgd(engine_batch_loss(X, y), n, np.zeros(p), eta_u, under_steps, batch_size=1,
                         replace=True, seed=46, callback=variance_and_loss(X, y))
variance_under = np.array([v for v, _ in hist_u.extra])
loss_under = np.array([l for _, l in hist_u.extra])
excess_under = loss_under - L_star
second_half = slice(path_steps // 2, None)
lesson.say(f"  with bias (eta = 1/beta): sup_t Var/L = {np.max(variance_over[keep] / loss_over[keep]):.4f}, "
           f"bound 2 beta = {2 * beta_b:g} (2 lambda_max(H) = {2 * lam_b:.4f}); Var from {variance_over[0]:.2f} "
           f"to {variance_over[-1]:.2e}")
lesson.say(f"  no bias (eta = {eta_u:g}): Var from {variance_under[0]:.2f} to {variance_under[-1]:.2f} "
           f"(sigma^2 = {sigma2:.2f}) while L - L* goes from {excess_under[0]:.2f} to {excess_under[-1]:.3f}")
lesson.check_below("with bias: sup_t Var[eps(w_t)] / L(w_t) along the SGD path, in units of 2 beta",
                   np.max(variance_over[keep] / loss_over[keep]) / (2 * beta_b), 1.0,
                   controls={"lambda_max(H) (the smoothness of L) in place of beta (that of each l_i)":
                             np.max(variance_over[keep] / loss_over[keep]) / (2 * lam_b)})
lesson.check_above("no bias: the noise does not die, min over the second half of Var[eps(w_t)] / Var[eps(w_0)]",
                   variance_under[second_half].min() / variance_under[0], 0.1,
                   controls={"with bias (interpolated), eta = 1/beta":
                             variance_over[second_half].min() / variance_over[0]})
slope_var = loglog_slope(loss_over[keep], variance_over[keep])
slope_var_under = loglog_slope(excess_under[excess_under > 0], variance_under[excess_under > 0])
lesson.say(f"  log-log slope of Var against the (excess) loss: with bias {slope_var:.4f} over "
           f"{np.log10(loss_over[keep].max() / loss_over[keep].min()):.0f} decades; no bias {slope_var_under:.4f}")
lesson.check_between("with bias: the noise shrinks in proportion to the loss, log-log slope of Var against L",
                     slope_var, 0.9, 1.1,
                     controls={"no bias: Var against L - L*": slope_var_under})


# %% [markdown]
# ## 7. The step size per batch size and the critical batch size m*
# With a mini-batch of m samples, Ma, Bassily and Belkin bound the step for an
# interpolating quadratic by E||e'||^2 <= ||e||^2 - eta (2 - eta (beta + (m - 1) lambda) / m) e^T H e
# (lambda = lambda_max(H)); the best step in this bound is eta*(m) = m / (beta + (m - 1) lambda)
# and gives E||e'||^2 <= (1 - eta*(m) alpha) ||e||^2. For m << m* = beta / lambda the step
# grows linearly, eta*(m) ~ m / beta ("linear scaling": one batch of m is worth m steps of
# batch 1); past m* it saturates at 1 / lambda, the gradient-descent step, and bigger
# batches stop paying. Why a new problem: on the slide's three points m* is a few units
# (printed below), so the linear range is invisible. In general m* <= n max ||x_i||^2 /
# mean ||x_i||^2, because lambda_max(H) >= tr(H) / n = mean ||x_i||^2 / n. So m* is large
# when the samples point in many different directions with similar lengths:
# then beta = max ||x_i||^2 is about the average ||x_i||^2 while lambda_max(H) averages
# their directions away. We take n Gaussian samples in d = 25 n dimensions (nearly
# orthogonal) with random labels: more weights than samples, so it interpolates.
#
# Three checks. (i) The exact rho(m) at eta*(m) (mini-batch map K) is below the bound for
# every m. (ii) The exact gain per iteration, (1 - rho(m)) / (1 - rho(1)), follows the
# bound's shape eta*(m) / eta*(1) = m / (1 + (m - 1)/m*): linear, then flat. (iii) Real
# mini-batch SGD (mg.optim.sgd_least_squares with batch_size=m) matches the exact
# prediction of E||w_T - w*||^2 at several m. Controls: the batch-1 map (batch size
# ignored), the map without the (1 - 1/m) H M H term (the wrong batch scaling), and the
# linear-scaling step m / beta pushed past m*.

# %%
n_wide = lesson.size(24, 16)
d_wide = 25 * n_wide
A_wide = np.random.default_rng(47).standard_normal((n_wide, d_wide)) / np.sqrt(d_wide)
y_wide = np.random.default_rng(48).standard_normal(n_wide)
w_wide = mg.linear.lstsq_min_norm(A_wide, y_wide)
Q, _ = np.linalg.qr(A_wide.T)  # (d, n): orthonormal basis of the row space, where SGD from 0 moves
Z_wide = A_wide @ Q  # the samples in that basis (n, n): same Gram matrix, same SGD
H_wide = Z_wide.T @ Z_wide / n_wide
eig_wide = np.linalg.eigvalsh(H_wide)
alpha_w, lam_w = float(eig_wide[0]), float(eig_wide[-1])
beta_w = float(np.max(np.sum(A_wide**2, axis=1)))
m_star = beta_w / lam_w
batch_sizes = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
eta_batch = batch_sizes / (beta_w + (batch_sizes - 1) * lam_w)
rho_batch = np.array([spectral_radius(second_moment_matrix(Z_wide, eta, batch=int(b)))
                      for b, eta in zip(batch_sizes, eta_batch)])
rho_ignored = np.array([spectral_radius(second_moment_matrix(Z_wide, eta)) for eta in eta_batch])
rho_dropped = np.array([spectral_radius(second_moment_matrix(Z_wide, eta, batch=int(b), drop_gd_term=True))
                        for b, eta in zip(batch_sizes, eta_batch)])
rho_linear = np.array([spectral_radius(second_moment_matrix(Z_wide, b / beta_w, batch=int(b))) for b in batch_sizes])
bound_batch = 1 - eta_batch * alpha_w
lesson.say(f"  n = {n_wide}, d = {d_wide}: beta = {beta_w:.4f}, lambda_max(H) = {lam_w:.4f}, alpha = {alpha_w:.4f}; "
           f"critical batch size m* = beta/lambda = {m_star:.2f}")
lesson.say(f"  (the slide's points: m* = {beta / lam_max:.3f} without bias, {beta_b / lam_b:.3f} with bias)")
for b, eta, r_b, bd in zip(batch_sizes, eta_batch, rho_batch, bound_batch):
    lesson.say(f"    m = {b:>3}: eta*(m) = {eta:.4f} (m/beta = {b / beta_w:.4f}, 1/lambda = {1 / lam_w:.4f}), "
               f"exact rho {r_b:.5f}, bound {bd:.5f}")
lesson.check_below("for every batch size m: exact rho at eta*(m) minus the paper's bound 1 - eta*(m) alpha (max)",
                   float(np.max(rho_batch - bound_batch)), 0.0,
                   controls={"the batch-1 map at eta*(m) (batch size ignored)":
                             float(np.max(rho_ignored - bound_batch))})
gain = (1 - rho_batch) / (1 - rho_batch[0])
shape = batch_sizes / (1 + (batch_sizes - 1) / m_star)
deviation = float(np.max(np.abs(gain / shape - 1)))
gain_dropped = (1 - rho_dropped) / (1 - rho_dropped[0])
gain_linear = (1 - rho_linear) / (1 - rho_linear[0])
lesson.say("  exact gain per iteration over m = 1: " + ", ".join(f"m={b}: {g:.2f}" for b, g in zip(batch_sizes, gain)))
lesson.say("  the bound's shape m / (1 + (m-1)/m*):  "
           + ", ".join(f"m={b}: {s:.2f}" for b, s in zip(batch_sizes, shape)))
lesson.check_below("exact gain per iteration (1 - rho(m))/(1 - rho(1)) vs m/(1 + (m-1)/m*): max relative deviation",
                   deviation, 0.1,
                   controls={"the map without the (1 - 1/m) H M H term":
                             float(np.max(np.abs(gain_dropped / shape - 1))),
                             "the linear-scaling step m/beta for every m":
                             float(np.max(np.abs(gain_linear / shape - 1)))})

# (iii) Real mini-batch SGD at several batch sizes, each run long enough to shrink
# E||e||^2 by about e^-5, against the exact recursion M_{t+1} = K M_t: the gap is the mean,
# over ten recorded steps, of log(measured / exact), with a bootstrap standard error.
sgd_batches = [1, 4, 16, 64] if not lesson.quick else [1, 4, 32]
sgd_runs = lesson.size(200, 100)
stream = np.random.default_rng(49)
e0 = -(Q.T @ w_wide)  # e_0 = 0 - w* in the row-space basis
z_scores, z_ignored, z_dropped, batch_curves = [], [], [], []
for b in sgd_batches:
    k = int(np.flatnonzero(batch_sizes == b)[0])
    steps = int(np.ceil(5 / (1 - rho_batch[k])))
    marks = np.unique(np.linspace(0, steps, 11).astype(int))  # where E||w_t - w*||^2 is recorded
    distances = np.zeros((sgd_runs, len(marks)))
    for run in range(sgd_runs):
        w = np.zeros(d_wide)
        distances[run, 0] = np.sum(w_wide**2)
        for j in range(1, len(marks)):  # continue the run from where it stopped, same random stream
            w, _ = mg.optim.sgd_least_squares(A_wide, y_wide, w, eta_batch[k], int(marks[j] - marks[j - 1]),
                                              batch_size=b, seed=stream)
            distances[run, j] = np.sum((w - w_wide) ** 2)

    def predicted(K):
        """E||e_t||^2 at t = 0..steps by M_{t+1} = K M_t from M_0 = e_0 e_0^T."""
        v, out = np.outer(e0, e0).ravel(), []
        for _ in range(steps + 1):
            out.append(float(np.trace(v.reshape(n_wide, n_wide))))
            v = K @ v
        return np.array(out)

    def log_gap(rows, curve):
        """Mean over the recorded steps t > 0 of log(measured E||e_t||^2 / predicted).

        A wrong map can predict E||e_t||^2 <= 0 (the map without the H M H term does at
        large steps): impossible for a mean of squares, so the gap is infinite."""
        predicted_t = curve[marks[1:]]
        if np.any(predicted_t <= 0):
            return float("inf")
        return float(np.mean(np.log(rows[:, 1:].mean(axis=0) / predicted_t)))

    exact = predicted(second_moment_matrix(Z_wide, eta_batch[k], batch=b))
    wrong_ignored = predicted(second_moment_matrix(Z_wide, eta_batch[k]))
    wrong_dropped = predicted(second_moment_matrix(Z_wide, eta_batch[k], batch=b, drop_gd_term=True))
    gap = log_gap(distances, exact)
    error = float(np.std([log_gap(distances[boot.integers(0, sgd_runs, sgd_runs)], exact) for _ in range(200)], ddof=1))
    z_scores.append(abs(gap) / error)
    z_ignored.append(abs(log_gap(distances, wrong_ignored)) / error)
    z_dropped.append(abs(log_gap(distances, wrong_dropped)) / error)
    batch_curves.append((b, marks, distances.mean(axis=0), exact))
    lesson.say(f"    m = {b:>3}, {steps} steps at eta*(m): E||w_T - w*||^2 measured {distances[:, -1].mean():.4e}, "
               f"exact {exact[-1]:.4e} (wrong: batch ignored {wrong_ignored[-1]:.3e}, H M H term dropped "
               f"{wrong_dropped[-1]:.3e}); mean log(measured/exact) over the run {gap:+.4f} +- {error:.4f}")
lesson.say(f"  |gap| / s.e. per m = {sgd_batches}: exact map {np.round(z_scores, 2)}, batch-1 map {np.round(z_ignored, 1)}, "
           f"no H M H term {np.round(z_dropped, 1)} (inf: a predicted E||e_t||^2 <= 0)")
lesson.check_below(f"mini-batch SGD at m = {sgd_batches}: max over m of "
                   "|mean log(measured/exact E||w_t - w*||^2)| in s.e.",
                   max(z_scores), 4.0,
                   controls={"the batch-1 map as the prediction (batch size ignored)": max(z_ignored),
                             "the map without the (1 - 1/m) H M H term": max(z_dropped)})


# %% [markdown]
# ## 8. The slide's example in the w-plane
# (a) No bias: the three lines x_i . w = y_i do not meet; w* is the least-squares point
# between them. Constant-step SGD does not settle: its iterates (the end points of many
# runs) form a cloud around w*, whose mean squared distance to w* is the exact stationary
# tr(M) of section 3 (about proportional to eta, so the cloud's width goes like sqrt(eta)),
# and a decaying step walks into w*. (b) With the bias, the three planes x_i . w + b = y_i meet in one point;
# shown is the slice b = b*, where the three lines cross at (2/3, 0), and one SGD path at
# the constant step 1/beta (projected on (w1, w2)) converging into that point. (c) Along
# the two SGD paths of section 6: the gradient noise Var[eps(w_t)] stays at sigma^2
# without the bias, and falls with the loss when the points are interpolated.

# %%
cloud_runs = lesson.size(300, 150)
cloud_etas = [etas[0], etas[2]]
clouds = []
for eta in cloud_etas:
    burn = int(20 * stationary_excess(eta)[1])
    clouds.append(np.array([mg.optim.sgd_least_squares(X, y, np.zeros(p), eta, burn, seed=stream)[0]
                            for _ in range(cloud_runs)]))
burn = int(20 * stationary_excess(cloud_etas[1])[1])
decay_cloud = np.array([mg.optim.sgd_least_squares(X, y, np.zeros(p), decay_lrs[:burn], burn, seed=stream)[0]
                        for _ in range(cloud_runs)])  # the control: a decaying step, as many steps
cloud_spread = [float(np.sqrt(np.mean(np.sum((c - w_star) ** 2, axis=1)))) for c in clouds]
lesson.say(f"  clouds: rms distance to w* at eta = {cloud_etas[0]:g}: {cloud_spread[0]:.4f}, "
           f"at eta = {cloud_etas[1]:g}: "
           f"{cloud_spread[1]:.4f} (ratio {cloud_spread[0] / cloud_spread[1]:.3f}; sqrt of the step ratio "
           f"{np.sqrt(cloud_etas[0] / cloud_etas[1]):.3f})")
for eta, cloud in zip(cloud_etas, clouds):
    squared = np.sum((cloud - w_star) ** 2, axis=1)
    error = squared.std(ddof=1) / np.sqrt(cloud_runs)
    exact_spread = stationary(eta)[2]
    controls = {"exact tr(M) for the loss without the 1/2 (step 2 eta)":
                abs(squared.mean() - stationary(2 * eta)[2]) / error}
    if eta == cloud_etas[1]:
        controls["a decaying step c/(t + t0) presented as constant, as many steps"] = \
            abs(np.mean(np.sum((decay_cloud - w_star) ** 2, axis=1)) - exact_spread) / error
    lesson.check_below(f"cloud at eta = {eta:g}: |mean ||w - w*||^2 of the end points - exact tr(M)| "
                       "in standard errors",
                       abs(squared.mean() - exact_spread) / error, 4.0, controls=controls)
path_decay = [np.zeros(p)]
for t in range(400):
    path_decay.append(mg.optim.sgd_least_squares(X, y, path_decay[-1], c_decay / (t + t0_decay), 1, seed=stream)[0])
path_decay = np.array(path_decay)
path_bias = [np.zeros(pb)]
for t in range(60):
    path_bias.append(mg.optim.sgd_least_squares(Xb, y, path_bias[-1], eta_b, 1, seed=stream)[0])
path_bias = np.array(path_bias)

fig, axes = plt.subplots(1, 3, figsize=(16, 5))
grid = np.linspace(-2.5, 5.0, 2)
ax = axes[0]
for i in range(n):  # x_i1 w1 + x_i2 w2 = y_i, solved for w2
    ax.plot(grid, (y[i] - X[i, 0] * grid) / X[i, 1], color="gray", lw=1)
for eta, cloud, color in zip(cloud_etas, clouds, ["C0", "C1"]):
    ax.plot(cloud[:, 0], cloud[:, 1], ".", ms=3, alpha=0.35, color=color,
            label=f"constant eta = {eta:g}: {cloud_runs} end points")
ax.plot(path_decay[:, 0], path_decay[:, 1], "-", color="C2", lw=0.8, zorder=3,
        label=f"decaying step c/(t + t0): one path, {len(path_decay) - 1} steps")
ax.plot(*w_star, "k*", ms=12, zorder=4, label="least-squares w*")
ax.plot([], [], color="gray", lw=1, label="the lines x_i . w = y_i")
ax.set_xlim(-2.2, 4.4)
ax.set_ylim(-1.8, 2.4)
ax.set_xlabel("w1")
ax.set_ylabel("w2")
ax.set_title("(a) no bias: no exact fit, SGD noise at w*")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)

ax = axes[1]
b_star = w_b[2]
for i in range(n):  # the plane x_i . w + b = y_i at b = b*
    ax.plot(grid, (y[i] - b_star - X[i, 0] * grid) / X[i, 1], color="gray", lw=1)
ax.plot(path_bias[:, 0], path_bias[:, 1], "o-", color="C3", ms=3, lw=1,
        label=f"constant eta = 1/beta: one path, {len(path_bias) - 1} steps")
ax.plot(w_b[0], w_b[1], "k*", ms=12, label="w_b = (2/3, 0), b* = 10/3")
ax.plot([], [], color="gray", lw=1, label="the planes at b = b*")
ax.set_xlim(-1.0, 2.2)
ax.set_ylim(-1.6, 2.2)
ax.set_xlabel("w1")
ax.set_ylabel("w2")
ax.set_title("(b) with bias: the planes meet in one point")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)

ax = axes[2]
steps_axis = np.arange(path_steps + 1)
ax.semilogy(steps_axis, variance_under, "-", color="C0", label="no bias: Var[eps(w_t)]")
ax.semilogy(steps_axis, excess_under, "--", color="C0", label="no bias: L(w_t) - L*")
ax.semilogy(steps_axis, variance_over, "-", color="C3", label="with bias: Var[eps(w_t)]")
ax.semilogy(steps_axis, loss_over, "--", color="C3", label="with bias: L(w_t)")
ax.axhline(sigma2, color="gray", ls=":", lw=1, label="sigma^2, the noise at w* (no bias)")
ax.set_xlabel("SGD step t")
ax.set_ylabel("gradient noise Var[eps(w_t)] and (excess) loss")
ax.set_title("(c) the noise falls with the loss only with bias")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
fig.tight_layout()
lesson.save_figure(fig, "slide_example")


# %% [markdown]
# ## 9. The SGD variance picture
# (a) Constant step without the bias stalls at floors that halve with eta (dashed: the
# exact stationary values). (b) The decaying step keeps going down, along the 1/t line.
# (c) With the bias the constant step converges geometrically, at the exact rate rho^t.
# (d) The variance of the stochastic gradient against the (excess) loss along one path
# of each kind: on the line Var ~ L with interpolation, flat at sigma^2 without.

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
ax.plot([], [], "--", color="gray", lw=1, label="dashed, same colour: exact stationary value")
ax.set_xlabel("step t")
ax.set_ylabel("E[L(w_t)] - L*")
ax.set_title("(a) no bias, constant step: a floor ~ eta sigma^2 / 4")
ax.legend(fontsize=8)

ax = axes[0, 1]
ax.loglog(np.arange(1, decay_steps + 1), exact_decay[1:], "k-", lw=1, label="exact recursion")
ax.loglog(checkpoints, mean_excess, "o", ms=4, color="C0", label=f"SGD, mean of {decay_runs} runs")
ref = exact_decay[decay_steps] * (decay_steps + t0_decay) / (np.arange(1, decay_steps + 1) + t0_decay)
ax.loglog(np.arange(1, decay_steps + 1), ref, ":", color="gray", label="~ 1/(t + t0)")
ax.axhline(floor_exact[1], color="C3", ls="--", lw=1, label=f"constant eta = {etas[1]:g}: its floor")
ax.set_xlabel("step t")
ax.set_ylabel("E[L(w_t)] - L*")
ax.set_title(f"(b) no bias, step c/(t + t0): slope {slope_mc:.3f}")
ax.legend(fontsize=8)

ax = axes[1, 0]
ax.semilogy(np.arange(over_steps + 1)[::10], over_losses.mean(axis=0)[::10], "o", ms=4, color="C1",
            label=f"E[L(w_t)], {over_runs} runs")
ax.semilogy(exact_over_loss, "k-", lw=1, label="exact E[L(w_t)]")
ax.semilogy(exact_over_loss[0] * rho_bound ** np.arange(over_steps + 1), ":", color="gray",
            label="L_0 (1 - alpha/beta)^t, the paper's rate")
ax.set_xlabel("step t")
ax.set_ylabel("E[L(w_t)]  (L* = 0)")
ax.set_title(f"(c) with bias, constant step 1/beta: rho = {rho:.4f}")
ax.legend(fontsize=8)

ax = axes[1, 1]
ax.loglog(excess_under, variance_under, ".", ms=3, color="C0", label=f"no bias (eta = {eta_u:g}): Var vs L - L*")
ax.loglog(loss_over[keep], variance_over[keep], ".", ms=3, color="C3", label="with bias (eta = 1/beta): Var vs L")
span_l = np.array([loss_over[keep].min(), max(loss_over.max(), excess_under.max())])
ax.loglog(span_l, 2 * beta_b * span_l, "k--", lw=1, label="Var = 2 beta L (with bias)")
ax.axhline(sigma2, color="gray", ls=":", lw=1, label="sigma^2, the noise at w* (no bias)")
ax.set_xlabel("loss along one SGD path (excess loss without bias)")
ax.set_ylabel("Var[eps(w)], variance of the stochastic gradient")
ax.set_title("(d) automatic variance reduction: Var <= 2 beta L")
ax.legend(fontsize=8, loc="lower right")
fig.tight_layout()
lesson.save_figure(fig, "sgd_variance")


# %% [markdown]
# ## 10. The batch-size picture
# (a) The step eta*(m): on the line m / beta up to about m*, then flat under 1 / lambda.
# (b) The exact gain per iteration follows the same shape (dashed: the bound's shape); the
# linear-scaling step m / beta stops helping (and then diverges) past m*. (c) Real
# mini-batch SGD at several m lands on the exact prediction, and not on the wrong ones.

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
ax = axes[0]
ax.loglog(batch_sizes, eta_batch, "o-", color="C0", label="eta*(m) = m / (beta + (m - 1) lambda)")
ax.loglog(batch_sizes, batch_sizes / beta_w, ":", color="gray", label="m / beta (linear scaling)")
ax.axhline(1 / lam_w, color="C2", ls="--", lw=1, label="1 / lambda (gradient descent)")
ax.axvline(m_star, color="C3", ls="--", lw=1, label=f"m* = beta / lambda = {m_star:.1f}")
ax.set_xlabel("mini-batch size m")
ax.set_ylabel("step size")
ax.set_title("(a) the step grows with m, then saturates")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)

ax = axes[1]
ax.loglog(batch_sizes, gain, "o-", color="C0", label="exact, at eta*(m)")
ax.loglog(batch_sizes, shape, "--", color="k", lw=1, label="m / (1 + (m - 1)/m*)")
positive = gain_linear > 0
ax.loglog(batch_sizes[positive], gain_linear[positive], "s:", color="C1",
          label="exact, at m / beta (absent where rho >= 1: no convergence)")
ax.axvline(m_star, color="C3", ls="--", lw=1, label="m*")
ax.set_xlabel("mini-batch size m")
ax.set_ylabel("gain per iteration, (1 - rho(m)) / (1 - rho(1))")
ax.set_title("(b) linear scaling up to m*, then saturation")
ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)

ax = axes[2]
for j, (b, marks, measured_curve, exact) in enumerate(batch_curves):
    color = f"C{j}"
    ax.semilogy(marks, measured_curve, "o", ms=4, color=color, label=f"m = {b}: SGD, mean of {sgd_runs} runs")
    ax.semilogy(np.arange(len(exact)), exact, "-", lw=1, color=color, label=f"m = {b}: exact map")
ax.set_xlabel("step t (each at its eta*(m))")
ax.set_ylabel("E||w_t - w*||^2")
ax.set_title("(c) real mini-batch SGD vs the exact map")
ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.15))
fig.tight_layout()
lesson.save_figure(fig, "batch_size")
