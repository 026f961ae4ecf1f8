"""Lesson 3 — double descent with random features.

The slide. Fit n training points with h(x) = sum_{k=1}^{N} w_k phi_k(x), N random
features, by least squares; for N >= n, take the interpolant of minimum norm
w = Phi^+ y. As N grows the test risk first traces the classical U-curve
(under-parameterized, N < n), peaks at the interpolation threshold N = n, then
descends a second time, and for N >> n it falls BELOW the best under-parameterized
risk: "the best model is an interpolating one". The norm ||w|| of the solution peaks
at N = n too and then decreases: more features let the interpolant be smoother.
Source: M. Belkin, D. Hsu, S. Ma, S. Mandal, "Reconciling modern machine-learning
practice and the classical bias-variance trade-off", PNAS 116 (2019): random Fourier
features on MNIST (their Fig. 2) and random ReLU features (SI appendix).

Setting: x uniform on the unit sphere in R^8, y = f(x) + N(0, 0.2^2) with a smooth f,
n = 100 training points, 2000 test points; random ReLU features relu(W x)/sqrt(N) and
random Fourier features sqrt(2/N) cos(W x / 0.7 + b) (mg.linear); minimum-norm least
squares (mg.linear.lstsq_min_norm); every curve averaged over several seeds (a new
training set and new features per seed).

Checked here, for both feature families:
  * every fit with N >= n interpolates (training error zero to rounding);
  * the test risk, the norm ||w|| and 1 / s_min(Phi) all peak at N = n
    (argmax of the seed-averaged curves);
  * under-parameterized (N < n), the risk is the classical U: its minimum is inside;
  * at N = 10 n the risk is below the best under-parameterized risk.
Each check has controls, wrong variants that must fail it: ridge regression instead
of the minimum-norm fit, pure-noise labels, s_min read off the wrong Gram matrix.

Run it:  python -m lessons 3
"""

# %% [markdown]
# ## 1. The task
# * **Inputs** x uniform on the unit sphere S^7 in R^8. The ReLU features relu(w . x)
#   have no bias, so they are positively homogeneous (relu(w . cx) = c relu(w . x)):
#   with Gaussian inputs the fitted function would be forced to be homogeneous of
#   degree 1. On the sphere nothing is lost (any function of the direction is allowed),
#   and the Gaussian kernel of the Fourier features depends only on the angle too.
# * **Target** f(x) = sin(2 beta . x) + 2 (gamma . x)^2 with fixed unit vectors beta,
#   gamma: smooth, neither linear nor a single feature; Var f is printed below.
# * **Noise** sigma = 0.2 (noise variance 0.04). Noise is what the interpolant at N = n
#   amplifies (section 4); the risk is measured against the noiseless f.
# * **Sizes** n = 100 training points, 2000 test points (fixed), N from 0.05 n to 10 n.
# * **Seeds** each seed draws a new training set and new features; risks and norms are
#   averaged (arithmetic mean: the expected risk) over the seeds.

# %%
from lessons.harness import Lesson  # first: it sets up the thread count before numpy loads

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

lesson = Lesson(3, "Double descent (random features)")

d, n, n_test, sigma = 8, 100, 2000, 0.2
bandwidth = 0.7  # Fourier features; see section 2
seeds = lesson.size(6, 3)  # lesson.size(full, quick): the full-run value, or the smaller one in quick mode
ratios = np.array(lesson.size(
    [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1, 1.05, 1.1, 1.25, 1.5, 2, 3, 5, 7, 10],
    [0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 1, 1.1, 1.25, 2, 4, 10]))
N_values = np.round(ratios * n).astype(int)


def on_sphere(rng, m):
    """m points uniform on the unit sphere in R^d: normalized Gaussians, shape (m, d)."""
    X = rng.standard_normal((m, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


directions = np.random.default_rng(2019).standard_normal((2, d))
beta, gamma = directions / np.linalg.norm(directions, axis=1, keepdims=True)


def target(X):
    return np.sin(2 * X @ beta) + 2 * (X @ gamma) ** 2


X_test = on_sphere(np.random.default_rng(12345), n_test)
f_test = target(X_test)
lesson.say(f"  d = {d}, n = {n}, {n_test} test points, sigma = {sigma}, Var f = {np.var(f_test):.3g}, "
           f"{seeds} seeds, N/n in {ratios.min()}..{ratios.max()}")

# %% [markdown]
# ## 2. The two feature families and the sweep
# * **Random ReLU features** phi(x) = relu(W x) / sqrt(N), W ~ N(0, 1): the hidden layer
#   of a two-layer ReLU network, frozen; only the last layer is fitted.
# * **Random Fourier features** phi(x) = sqrt(2/N) cos(W x / bandwidth + b) (Rahimi and
#   Recht 2007), whose inner products approximate the Gaussian kernel
#   exp(-||x - x'||^2 / (2 bandwidth^2)). Bandwidth 0.7 is half the typical distance
#   sqrt(2) between two points of the sphere; section 5 measures how the result depends
#   on that choice. The ReLU features need no such choice: they are homogeneous, so
#   their scale cancels out of the fitted function.
#
# For each seed and each N we fit w = Phi^+ y and record the test risk
# mean (h(x) - f(x))^2, the norm ||w||, the training error and the smallest singular
# value s_min of the n x N feature matrix Phi (the min(n, N)-th singular value).
#
# In the same loop, on the same points and features, we fit three **controls**, wrong
# variants that the checks below must reject:
# * **ridge**, argmin ||Phi w - y||^2 + lambda ||w||^2 with lambda = 1e-2, which damps
#   the small singular directions instead of dividing by them: no exact interpolation,
#   and no peak;
# * **pure-noise labels** y = noise (f = 0, risk measured against 0): nothing to learn,
#   so no feature count helps and the smallest model is best;
# * **s_min read off the N x N Gram matrix** Phi^T Phi, right for N <= n but 0 for
#   N > n (Phi^T Phi has rank n there); computed for N <= 2n only (N x N eigenvalue
#   problems for N up to 10 n are costly, and the answer is the same 0).

# %%
RIDGE = 1e-2
FAMILIES = {
    "ReLU": lambda N, seed: mg.linear.RandomReLUFeatures(d, int(N), seed),
    "Fourier": lambda N, seed: mg.linear.RandomFourierFeatures(d, int(N), seed, bandwidth=bandwidth),
}


def sweep(make_features, columns=None, n_seeds=seeds, controls=True):
    """Arrays (n_seeds, len(columns)) of the min-norm fit: test risk, ||w||, training MSE / mean(y^2),
    s_min(Phi), cond(Phi); with controls=True the same for ridge, the pure-noise risk, the Gram-matrix s_min.

    columns: which entries of N_values to fit (default all); the features of (seed s, column i)
    are drawn from seed 1000 s + i, so a smaller sweep reuses exactly the maps of the full one.
    """
    columns = np.arange(len(N_values)) if columns is None else np.asarray(columns)
    keys = ("risk", "norm", "train", "s_min", "cond") + (
        ("ridge_risk", "ridge_norm", "ridge_train", "noise_risk", "gram_s_min") if controls else ())
    out = {key: np.full((n_seeds, len(columns)), np.nan) for key in keys}
    for s in range(n_seeds):
        rng = np.random.default_rng(s)
        X = on_sphere(rng, n)
        noise = sigma * rng.standard_normal(n)
        y = target(X) + noise
        for i, column in enumerate(columns):
            N = N_values[column]
            lesson.progress(f"seed {s + 1} of {n_seeds}, N = {N}")
            features = make_features(N, 1000 * s + column)  # a new map per (seed, N): independent draws
            Phi, Phi_test = features(X), features(X_test)
            w = mg.linear.lstsq_min_norm(Phi, y)
            singular = np.linalg.svd(Phi, compute_uv=False)
            out["risk"][s, i] = np.mean((Phi_test @ w - f_test) ** 2)
            out["norm"][s, i] = np.linalg.norm(w)
            out["train"][s, i] = np.mean(mg.linear.residuals(Phi, w, y) ** 2) / np.mean(y**2)
            out["s_min"][s, i] = singular[-1]  # the min(n, N)-th singular value
            out["cond"][s, i] = singular[0] / singular[-1]
            if not controls:
                continue
            U, singular, Vt = np.linalg.svd(Phi, full_matrices=False)
            w_ridge = Vt.T @ (singular / (singular**2 + RIDGE) * (U.T @ y))
            out["ridge_risk"][s, i] = np.mean((Phi_test @ w_ridge - f_test) ** 2)
            out["ridge_norm"][s, i] = np.linalg.norm(w_ridge)
            out["ridge_train"][s, i] = np.mean(mg.linear.residuals(Phi, w_ridge, y) ** 2) / np.mean(y**2)
            out["noise_risk"][s, i] = np.mean((Phi_test @ mg.linear.lstsq_min_norm(Phi, noise)) ** 2)
            if N <= 2 * n:
                out["gram_s_min"][s, i] = np.sqrt(max(np.linalg.eigvalsh(Phi.T @ Phi)[0], 0.0))
    return out


results = {name: sweep(make) for name, make in FAMILIES.items()}
curves = {name: {key: values.mean(axis=0) for key, values in run.items()} for name, run in results.items()}
under = N_values < n
at_n = int(np.flatnonzero(N_values == n)[0])
at_10n = int(np.flatnonzero(N_values == 10 * n)[0])
for name, c in curves.items():
    lesson.say(f"  {name}: risk " + "  ".join(f"{r:g}:{v:.3g}" for r, v in zip(ratios, c["risk"])))

# %% [markdown]
# ## 3. Interpolation from N = n on
# Distinct points give a feature matrix Phi (n x N) of full rank min(n, N) (almost
# surely over the random W), so for N >= n the minimum-norm least-squares solution
# solves Phi w = y exactly. Its residual is rounding, ~ eps cond(Phi) relative (cond is
# largest at N = n, printed below), and its square is far below the 1e-12 we allow. The
# ridge control never interpolates, and must fail.

# %%
for name, run in results.items():
    worst = float(np.max(run["train"][:, ~under]))
    lesson.say(f"  {name}: cond(Phi) at N = n, mean over seeds: {curves[name]['cond'][at_n]:.3g}")
    lesson.check_below(f"{name}: training error is zero for every N >= n: max MSE / mean(y^2)", worst, 1e-12,
                       controls={f"ridge, lambda = {RIDGE:g}": float(np.max(run["ridge_train"][:, ~under]))})

# %% [markdown]
# ## 4. The peak sits at N = n: risk, norm and smallest singular value
# Why the peak is sharp. Write Phi = U diag(s) V^T; the min-norm fit is
# w = sum_k v_k (u_k . y) / s_k. The noise in y has a component ~ sigma along every u_k,
# so it enters w as sigma / s_k: ||w|| and the test risk blow up when the smallest
# singular value s_min(Phi) is small. For a random n x N matrix, s_min behaves like
# |sqrt(N) - sqrt(n)| (Marchenko-Pastur): it is smallest for the square matrix, N = n,
# and grows on both sides. Below n, the n > N equations over-determine w and the
# noise is partly averaged out (less and less as N -> n); above n, the N - n spare
# directions let the interpolant fit the data with a small w, away from the small
# singular directions. So three curves peak together: risk, ||w|| and 1 / s_min.
# For isotropic Gaussian features the noise part of the risk of min-norm least squares
# is exactly sigma^2 N / (n - N - 1) below the threshold and sigma^2 n / (N - n - 1)
# above it (Hastie, Montanari, Rosset, Tibshirani 2019; Belkin, Hsu, Xu 2019): it
# diverges at the threshold from both sides.
#
# Our features are not isotropic and each N has its own random draw, so a single seed
# may peak one grid step off (each seed's argmax is printed); the check asks for the
# argmax of the seed-averaged curve to be N = n exactly. Controls: ridge has no peak
# in the risk and moves the maximum of ||w||; the N x N Gram matrix puts the smallest
# "s_min" just past n.

# %%
def at_exactly_n(curve, pick=np.argmax):
    N_at = int(N_values[pick(curve)])
    return N_at == n, f"N = {N_at}"


for name, c in curves.items():
    per_seed = N_values[np.argmax(results[name]["risk"], axis=1)] / n
    lesson.say(f"  {name}: risk peak {c['risk'][at_n]:.3g}, ||w|| peak {c['norm'][at_n]:.3g}, s_min "
               f"{c['s_min'][at_n]:.3g} at N = n; each seed's risk argmax at N/n = {per_seed.tolist()}; "
               f"ridge: worst risk at N = {int(N_values[np.argmax(c['ridge_risk'])])}")
    gram = c["gram_s_min"].copy()
    gram[np.isnan(gram)] = np.inf  # not computed beyond 2n
    lesson.check_true(f"{name}: test risk peaks at N = n: argmax over N", *at_exactly_n(c["risk"]),
                      controls={f"ridge, lambda = {RIDGE:g}": at_exactly_n(c["ridge_risk"])})
    lesson.check_true(f"{name}: ||w|| peaks at N = n: argmax over N", *at_exactly_n(c["norm"]),
                      controls={f"ridge, lambda = {RIDGE:g}": at_exactly_n(c["ridge_norm"])})
    lesson.check_true(f"{name}: s_min(Phi) is smallest at N = n: argmin over N", *at_exactly_n(c["s_min"], np.argmin),
                      controls={"s_min from the N x N Gram matrix Phi^T Phi": at_exactly_n(gram, np.argmin)})

# %% [markdown]
# ## 5. The classical U, and the second descent below it
# Under-parameterized, the risk falls while the features are too few to express f
# (bias), then rises as the fit starts to chase the noise (variance): its minimum lies
# strictly inside 0 < N < n. Beyond the peak the risk descends again; the claim of the
# slide is that at N >> n it ends BELOW the best the U-curve offers. The control is
# pure-noise labels: with nothing to learn, the risk only grows with N below n (the
# U has no left arm), and no number of features beats fitting the fewest.

# %%
def U_inside(risk_under):
    i_best = int(np.argmin(risk_under))
    return 0 < i_best < len(risk_under) - 1, f"minimum at N = {N_values[under][i_best]} of {N_values[0]}..{N_values[under][-1]}"


for name, c in curves.items():
    risk_under = c["risk"][under]
    best_under = float(risk_under.min())
    noise_under = c["noise_risk"][under]
    lesson.say(f"  {name}: best N < n is N = {N_values[under][np.argmin(risk_under)]} with risk {best_under:.3g} "
               f"(N = {N_values[0]}: {risk_under[0]:.3g}, N = {N_values[under][-1]}: {risk_under[-1]:.3g}); "
               f"N = 10 n: {c['risk'][at_10n]:.3g}. Pure noise: best N < n {noise_under.min():.3g}, "
               f"N = 10 n {c['noise_risk'][at_10n]:.3g}")
    lesson.check_true(f"{name}: the under-parameterized risk is a U (minimum strictly inside N < n)",
                      *U_inside(risk_under), controls={"pure-noise labels": U_inside(noise_under)})
    lesson.check_below(f"{name}: risk at N = 10 n / best risk over N < n", c["risk"][at_10n] / best_under, 1.0,
                       controls={"pure-noise labels": c["noise_risk"][at_10n] / noise_under.min()})

# %% [markdown]
# The bandwidth of the Fourier features matters. Below, the same sweep (same seeds,
# fewer N: those below n, and 10 n) for five bandwidths, with the ratio
# risk(10 n) / best risk(N < n) of the check above. A wide kernel helps the few-feature
# models, but its N -> infinity limit, the ridgeless Gaussian-kernel interpolant, has a
# kernel matrix with fast-decaying eigenvalues, so it amplifies the noise itself; a narrow
# kernel is too local for 100 points in 8 dimensions and learns little at any N.
# Read the table for where 0.7 sits.

# %%
band_columns = np.append(np.flatnonzero(under), at_10n)
N_band = N_values[band_columns]
lesson.say(f"  Fourier features: bandwidth, best risk N < n (at N), risk at N = 10 n, their ratio")
for width in (0.3, 0.5, 0.7, 1.0, 1.5):
    risk = sweep(lambda N, seed: mg.linear.RandomFourierFeatures(d, int(N), seed, bandwidth=width),
                 band_columns, controls=False)["risk"].mean(axis=0)
    i_best = int(np.argmin(risk[:-1]))
    lesson.say(f"    {width:4.1f}   {risk[i_best]:.3g} (N = {N_band[i_best]})   {risk[-1]:.3g}   "
               f"{risk[-1] / risk[i_best]:.2f}")

# %% [markdown]
# What the peak is made of. Refit at N = n with the noise switched off (same points,
# same features): the peak shrinks but does not vanish, because the part of f that N
# random features cannot express acts like noise too, and is amplified the same way.

# %%
for name, make in FAMILIES.items():
    noiseless = []
    for s in range(seeds):
        rng = np.random.default_rng(s)
        X = on_sphere(rng, n)
        features = make(n, 1000 * s + at_n)  # the same map as in the sweep at N = n
        w = mg.linear.lstsq_min_norm(features(X), target(X))
        noiseless.append(np.mean((features(X_test) @ w - f_test) ** 2))
    lesson.say(f"  {name}: risk at N = n with sigma = {sigma}: {curves[name]['risk'][at_n]:.3g}; "
               f"with sigma = 0: {np.mean(noiseless):.3g}")

# %% [markdown]
# ## 6. Figure
# (a) the test risk against N / n on log-log axes, both families, the threshold N = n
# marked and each family's best under-parameterized risk as a dotted line: the U, the
# peak, and the second descent below the dotted line; dashed, the ridge control, with
# no peak. (b) the norm of the minimum-norm solution. (c) the smallest singular value
# of the feature matrix.

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
for k, (name, c) in enumerate(curves.items()):
    color = f"C{k}"
    axes[0].loglog(ratios, c["risk"], "o-", ms=3, color=color, label=f"{name} features")
    axes[0].loglog(ratios, c["ridge_risk"], "--", color=color, lw=1, label=f"{name}, ridge (control)")
    axes[0].axhline(c["risk"][under].min(), color=color, ls=":", lw=1, label=f"{name}: best N < n")
    axes[1].loglog(ratios, c["norm"], "o-", ms=3, color=color, label=name)
    axes[2].loglog(ratios, c["s_min"], "o-", ms=3, color=color, label=name)
axes[0].set_ylabel(f"test risk (mean of {seeds} seeds)")
axes[0].set_title(f"(a) double descent, n = {n}, d = {d}")
axes[1].set_ylabel("||w|| of the minimum-norm solution")
axes[1].set_title("(b) the norm peaks at N = n too")
axes[2].set_ylabel("smallest singular value of Phi (n x N)")
axes[2].set_title("(c) Phi is worst conditioned at N = n")
for ax in axes[:2]:  # head room above the peaks for the "N = n" label
    ax.set_ylim(top=10 * ax.get_ylim()[1])
for ax in axes:
    ax.axvline(1.0, color="gray", ls="--", lw=1)
    ax.text(0.93, 0.97, "N = n", transform=ax.get_xaxis_transform(), va="top", ha="right", color="gray")
    ax.set_xlabel("number of features / number of samples, N / n")
for ax, place in zip(axes, ("upper left", "upper right", "upper right")):
    ax.legend(fontsize=8, loc=place)
fig.tight_layout()
lesson.save_figure(fig, "double_descent")
