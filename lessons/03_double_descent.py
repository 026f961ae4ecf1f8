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
    (argmax within [0.8 n, 1.25 n]);
  * under-parameterized (N < n), the risk is the classical U: its minimum is inside;
  * at N = 10 n the risk is below the best under-parameterized risk.

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
#   gamma: smooth, neither linear nor a single feature; Var f ~ 0.4 (printed below).
# * **Noise** sigma = 0.2 (signal-to-noise ~10). Noise is what the interpolant at N = n
#   amplifies (section 4); the risk is measured against the noiseless f.
# * **Sizes** n = 100 training points, 2000 test points (fixed), N from 0.05 n to 10 n.
# * **Seeds** each seed draws a new training set and new features; risks and norms are
#   averaged (arithmetic mean: the expected risk) over the seeds.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from lessons.harness import Lesson

lesson = Lesson(3, "Double descent (random features)")

d, n, n_test, sigma = 8, 100, 2000, 0.2
bandwidth = 0.7  # Fourier features; see section 2
seeds = lesson.size(6, 3)
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
#   sqrt(2) between two points of the sphere. The bandwidth matters, and we say how we
#   chose it. Trying 0.3, 0.5, 0.7, 1.0 and 1.5 while writing this lesson (full size,
#   same seeds), every one peaked at N = n; the ratio risk(10 n) / best risk(N < n) was
#   0.78, 0.28, 0.35, 0.60 and 1.01. A wide kernel (1.5) helps the few-feature models
#   but makes the N -> infinity limit, the ridgeless Gaussian-kernel interpolant,
#   ill-conditioned itself (its kernel matrix has fast-decaying eigenvalues), so the far
#   side only ties the U's best; a narrow one (0.3) is too local for 100 points in 8
#   dimensions (every risk is near Var f, and the U disappears). The ReLU features need
#   no such choice: they are homogeneous, so their scale cancels out of the fitted
#   function.
#
# For each seed and each N we fit w = Phi^+ y and record the test risk
# mean (h(x) - f(x))^2, the norm ||w||, the training error and the smallest singular
# value s_min of the n x N feature matrix Phi.

# %%
FAMILIES = {
    "ReLU": lambda N, seed: mg.linear.RandomReLUFeatures(d, int(N), seed),
    "Fourier": lambda N, seed: mg.linear.RandomFourierFeatures(d, int(N), seed, bandwidth=bandwidth),
}


def smallest_singular_value(Phi):
    """s_min of Phi (n, N) = sqrt(smallest eigenvalue of the smaller Gram matrix).

    For N >= n that Gram matrix is Phi Phi^T (n, n), the kernel matrix K_ij = phi(x_i) . phi(x_j)
    of the features; for N < n it is Phi^T Phi (N, N). (Cheaper than an SVD of Phi; the
    eigenvalue is accurate to ~eps * s_max^2, far below the s_min^2 ~ 1e-7 we meet.)
    """
    gram = Phi @ Phi.T if Phi.shape[1] >= Phi.shape[0] else Phi.T @ Phi
    return float(np.sqrt(max(np.linalg.eigvalsh(gram)[0], 0.0)))


def sweep(make_features):
    """Arrays (seeds, len(N_values)): test risk, ||w||, training MSE / mean(y^2), s_min(Phi)."""
    shape = (seeds, len(N_values))
    out = {key: np.zeros(shape) for key in ("risk", "norm", "train", "s_min")}
    for s in range(seeds):
        rng = np.random.default_rng(s)
        X = on_sphere(rng, n)
        y = target(X) + sigma * rng.standard_normal(n)
        for i, N in enumerate(N_values):
            features = make_features(N, 1000 * s + i)  # a new map per (seed, N): independent draws
            Phi = features(X)
            w = mg.linear.lstsq_min_norm(Phi, y)
            out["risk"][s, i] = np.mean((features(X_test) @ w - f_test) ** 2)
            out["norm"][s, i] = np.linalg.norm(w)
            out["train"][s, i] = np.mean(mg.linear.residuals(Phi, w, y) ** 2) / np.mean(y**2)
            out["s_min"][s, i] = smallest_singular_value(Phi)
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
# solves Phi w = y exactly. Its residual is rounding, ~ eps * cond(Phi) ~ 2.2e-16 * 1e5
# relative (cond is largest at N = n: s_max ~ 4, s_min ~ 1e-3 on average), i.e. a
# relative squared error ~1e-21; we allow 1e-12.

# %%
for name, run in results.items():
    worst = float(np.max(run["train"][:, ~under]))
    lesson.check_below(f"{name}: training error is zero for every N >= n: max MSE / mean(y^2)", worst, 1e-12)

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
#
# The window. For isotropic Gaussian features the noise part of the risk of min-norm
# least squares is exactly sigma^2 N / (n - N - 1) below the threshold and
# sigma^2 n / (N - n - 1) above it (Hastie, Montanari, Rosset, Tibshirani 2019;
# Belkin, Hsu, Xu 2019): a peak symmetric in log(N / n). At the edges of the window
# [0.8 n, 1.25 n] (symmetric in log(N/n)) that term has fallen to ~4 sigma^2 = 0.16,
# comparable with the risk away from the peak (0.05 to 0.4 here): the window is the
# body of the peak. Our features are not isotropic and each N has its own random
# draw, so a single seed may peak one grid step off (N = 0.95 n or 1.05 n); we ask for
# the argmax of the seed-averaged curve inside the window, and print each seed's.

# %%
window = (0.8 * n, 1.25 * n)
for name, c in curves.items():
    N_risk = int(N_values[np.argmax(c["risk"])])
    N_norm = int(N_values[np.argmax(c["norm"])])
    N_smin = int(N_values[np.argmin(c["s_min"])])
    per_seed = N_values[np.argmax(results[name]["risk"], axis=1)] / n
    lesson.say(f"  {name}: risk peak {c['risk'][at_n]:.3g} at N = {N_risk}; ||w|| peak {c['norm'].max():.3g} "
               f"at N = {N_norm}; s_min smallest ({c['s_min'].min():.3g}) at N = {N_smin}; "
               f"each seed's risk argmax at N/n = {per_seed.tolist()}")
    lesson.check_between(f"{name}: test risk peaks at N = n: argmax over N", N_risk, *window)
    lesson.check_between(f"{name}: ||w|| peaks at N = n: argmax over N", N_norm, *window)
    lesson.check_between(f"{name}: s_min(Phi) is smallest at N = n: argmin over N", N_smin, *window)

# %% [markdown]
# ## 5. The classical U, and the second descent below it
# Under-parameterized, the risk falls while the features are too few to express f
# (bias), then rises as the fit starts to chase the noise (variance): its minimum lies
# strictly inside 0 < N < n. Beyond the peak the risk descends again; the claim of the
# slide is that at N >> n it ends BELOW the best the U-curve offers.

# %%
for name, c in curves.items():
    risk_under = c["risk"][under]
    i_best = int(np.argmin(risk_under))
    best_under = float(risk_under[i_best])
    interior = 0 < i_best < len(risk_under) - 1
    lesson.say(f"  {name}: best N < n is N = {N_values[under][i_best]} with risk {best_under:.3g} "
               f"(N = {N_values[0]}: {risk_under[0]:.3g}, N = {N_values[under][-1]}: {risk_under[-1]:.3g}); "
               f"N = 10 n: {c['risk'][at_10n]:.3g}")
    lesson.check_true(f"{name}: the under-parameterized risk is a U (minimum strictly inside N < n)", interior,
                      f"minimum at N = {N_values[under][i_best]} of {N_values[0]}..{N_values[under][-1]}")
    lesson.check_below(f"{name}: risk at N = 10 n / best risk over N < n", c["risk"][at_10n] / best_under, 1.0)

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
# Left: the test risk against N / n on log-log axes, both families, the threshold N = n
# marked and each family's best under-parameterized risk as a dotted line: the U, the
# peak, and the second descent below the dotted line. Middle: the norm of the
# minimum-norm solution. Right: the smallest singular value of the feature matrix.

# %%
fig, axes = plt.subplots(1, 3, figsize=(16, 4.3))
for k, (name, c) in enumerate(curves.items()):
    color = f"C{k}"
    axes[0].loglog(ratios, c["risk"], "o-", ms=3, color=color, label=f"{name} features")
    axes[0].axhline(c["risk"][under].min(), color=color, ls=":", lw=1, label=f"{name}: best N < n")
    axes[1].loglog(ratios, c["norm"], "o-", ms=3, color=color, label=name)
    axes[2].loglog(ratios, c["s_min"], "o-", ms=3, color=color, label=name)
axes[0].set_ylabel(f"test risk (mean of {seeds} seeds)")
axes[0].set_title(f"double descent, n = {n}, d = {d}")
axes[1].set_ylabel("||w|| of the minimum-norm solution")
axes[1].set_title("the norm peaks at N = n too")
axes[2].set_ylabel("smallest singular value of Phi (n x N)")
axes[2].set_title("Phi is worst conditioned at N = n")
for ax in axes:
    ax.axvline(1.0, color="gray", ls="--", lw=1)
    ax.text(1.05, 0.97, "N = n", transform=ax.get_xaxis_transform(), va="top", color="gray")
    ax.set_xlabel("number of features / number of samples, N / n")
for ax, place in zip(axes, ("upper left", "upper right", "upper right")):
    ax.legend(fontsize=8, loc=place)
lesson.save_figure(fig, "double_descent")
