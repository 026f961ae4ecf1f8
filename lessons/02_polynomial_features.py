"""Lesson 2 — polynomial features, n = 16, p = d: overfitting?

The slide ("Overfitting?"). Fit n = 16 noisy samples y_j = f(x_j) + noise with a
polynomial of d coefficients, h_w(x) = sum_{k<d} w_k phi_k(x), i.e. p = d features of
degree up to d - 1. Classical wisdom: the test error is U-shaped in d, and at d = n
the fit interpolates the noise and is wild. What the slide shows is what happens
after: for d > n there are infinitely many interpolants, least squares picks the one
of minimum norm, w = A^+ y, and the test error comes DOWN again while the training
error stays at zero. The peak sits at the interpolation threshold d = n.
This is the simplest case of the double-descent curve of M. Belkin, D. Hsu, S. Ma,
S. Mandal, "Reconciling modern machine-learning practice and the classical
bias-variance trade-off", PNAS 116 (2019) (lesson 3 does it with random features).

Setting: x_j stratified-random in [-1, 1] (one uniform point in each of 16 equal
cells), f(x) = sin(2 pi x), noise N(0, 0.2^2); Legendre features phi_k = P_k;
minimum-norm least squares; test error = mean squared distance to f on a grid of
2001 points; everything is averaged (geometric mean) over several draws of the
points and of the noise.

Checked here:
  * the training error is zero (to rounding) for every d >= n, and not before;
  * the test error peaks at the interpolation threshold d = n (argmax in 14..18);
  * beyond it, it falls again to well below the peak (< peak / 10 for every d >= 3n);
  * conditioning makes the peak: s_min(A_d) is smallest exactly at d = n; with
    Chebyshev points (A_n well conditioned) the peak is gone; monomial features give
    the same fit for d <= n (same span) but an ill-conditioned min-norm problem beyond
    n, and the second descent never comes.

Run it:  python -m lessons 2
"""

# %% [markdown]
# ## 1. The data
# * **Points.** One uniform point in each of the 16 cells [-1 + 2j/16, -1 + 2(j+1)/16]:
#   random, but without the large holes of 16 i.i.d. uniform points (their largest gap
#   is typically ~0.4, and inside such a hole every fit is a guess whatever d is; here
#   we want to see the effect of d, not of a hole). The points still cluster and leave
#   gaps at random, which is what makes the degree-15 interpolant wild (section 4).
# * **Target.** f(x) = sin(2 pi x): smooth, two periods on [-1, 1]. It needs a degree
#   of ~7-10 to be approximated to the noise level, so the classical sweet spot lies
#   visibly below d = n = 16.
# * **Noise.** sigma = 0.2 (signal variance 0.5, signal-to-noise ratio ~12). The peak at
#   d = n is noise amplified by the ill-conditioned square system, so its height scales
#   like sigma^2; any sigma > 0 shows it.
# * **Test error.** Mean of (h_w(x) - f(x))^2 over 2001 equispaced x in [-1, 1]: the
#   squared L2 distance to the noiseless target.
# * **Draws.** R independent draws of (points, noise), seeds 0..R-1. The test errors
#   span eight decades, so we average their logarithms (geometric mean): an arithmetic
#   mean would be the single worst draw. We average because a single draw can peak one
#   step off, at d = 15 or 17 (A_15 or A_17 can be nearly as ill-conditioned as A_16;
#   seeds 200..209, for instance, do that), while the average peaks at d = n. The window
#   14..18 of the check leaves room for that one step, and one more.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from lessons.harness import Lesson

lesson = Lesson(2, "Polynomial features, n = 16, p = d: overfitting?")

n = 16
sigma = 0.2
draws = lesson.size(10, 6)
d_max = 200
# Full mode: every d from 1 to 200. Quick mode: every d up to 24 (the peak region),
# then a sparse sweep of the far side, still out to 200.
d_values = lesson.size(np.arange(1, d_max + 1),
                       np.array(list(range(1, 25)) + [28, 32, 40, 48, 64, 80, 100, 128, 160, 200]))


def target(x):
    return np.sin(2 * np.pi * x)


def stratified_points(rng):
    """One uniform point in each of the n equal cells of [-1, 1], shape (n,), sorted."""
    return -1.0 + (2.0 * np.arange(n) + 2.0 * rng.uniform(0.0, 1.0, n)) / n


x_test = np.linspace(-1.0, 1.0, 2001)
f_test = target(x_test)
chebyshev_points = np.sort(np.cos(np.pi * (np.arange(n) + 0.5) / n))  # first-kind nodes
samples = []  # (x, noise) per draw; the noise is shared by every variant below
for r in range(draws):
    rng = np.random.default_rng(r)
    samples.append((stratified_points(rng), sigma * rng.standard_normal(n)))
lesson.say(f"  n = {n} points, sigma = {sigma}, {draws} draws, d from 1 to {d_max} "
           f"({len(d_values)} values)")

# %% [markdown]
# ## 2. Features and the minimum-norm fit
# A_d = [P_0(x_j), ..., P_{d-1}(x_j)] (n x d) and w = A_d^+ y (mg.linear.lstsq_min_norm):
# the least-squares fit for d <= n, and for d > n the interpolant of smallest ||w||.
#
# *Which* norm is minimized decides the far side. We use the plain P_k (|P_k| <= 1 on
# [-1, 1]), not the orthonormal sqrt(2k+1) P_k (normalized=True). Since
# int P_k^2 = 2/(2k+1), putting a given amount of L2 energy into degree k costs
# ~ (2k+1) in ||w||^2: a mild smoothness penalty, so the min-norm interpolant is smooth
# between the data and absorbs the noise in narrow spikes at the data points. With
# normalized features ||w|| is the L2 norm of the fit itself, which prefers a fit that
# is ~0 between the data; its far side tends to the error of predicting 0, ||f||^2 = 0.5
# (printed below).
#
# The features of degree < d do not depend on d, so A_d is the first d columns of
# A_{d_max}: we build the largest design once per draw and slice it.

# %%
def sweep(features, points=None):
    """Fit every d for every draw. features(x, d) -> (len(x), d); points=None: the draw's own.

    Returns arrays (draws, len(d_values)): test error, train error (also relative to
    mean(y^2)), smallest singular value and condition number of A_d.
    """
    shape = (draws, len(d_values))
    out = {key: np.zeros(shape) for key in ("test", "train", "train_rel", "s_min", "cond")}
    F_test = features(x_test, d_max)
    for r, (x_draw, noise) in enumerate(samples):
        x = x_draw if points is None else points
        y = target(x) + noise
        F = features(x, d_max)
        for i, d in enumerate(d_values):
            A = F[:, :d]
            w = mg.linear.lstsq_min_norm(A, y)
            s = np.linalg.svd(A, compute_uv=False)
            out["test"][r, i] = np.mean((F_test[:, :d] @ w - f_test) ** 2)
            out["train"][r, i] = np.mean(mg.linear.residuals(A, w, y) ** 2)
            out["train_rel"][r, i] = out["train"][r, i] / np.mean(y**2)
            out["s_min"][r, i] = s[-1]
            out["cond"][r, i] = s[0] / s[-1]
    return out


def geometric_mean(values):
    """Average of logarithms over the draws (axis 0)."""
    return np.exp(np.mean(np.log(values), axis=0))


legendre = sweep(mg.linear.legendre_features)
test = geometric_mean(legendre["test"])
train_rel = legendre["train_rel"]
at = {int(d): i for i, d in enumerate(d_values)}  # column of a given d

# %% [markdown]
# ## 3. Training error: zero from d = n on
# For d >= n the n x d system A_d w = y has a solution (A_d has rank n: distinct points,
# d >= n polynomials), so the minimum-norm least-squares w interpolates: the residual
# is rounding, of relative size ~ eps * cond(A_d) ~ 2.2e-16 * 1e5 ~ 2e-11 here (cond is
# largest at d = n, 1e4-1e5), i.e. a relative squared error ~1e-21; we allow 1e-12.
# For d = n - 1 one degree of freedom is missing: the expected residual is at least
# sigma^2 (n - d) / n = sigma^2 / n per sample; we check the mean over draws exceeds a
# tenth of it.

# %%
beyond = d_values >= n
worst_train_beyond = float(np.max(train_rel[:, beyond]))
train_below = float(np.mean(legendre["train"][:, at[n - 1]]))
lesson.say(f"  largest relative training error over d >= n and all draws: {worst_train_beyond:.2g}")
lesson.say(f"  mean training error at d = n - 1: {train_below:.3g} (sigma^2 / n = {sigma**2 / n:.3g})")
lesson.check_below("training error is zero (to rounding) for every d >= n: max of MSE / mean(y^2)",
                   worst_train_beyond, 1e-12)
lesson.check_above("training error at d = n - 1 is not zero: mean MSE over draws (bound sigma^2/(10n))",
                   train_below, sigma**2 / (10 * n))

# %% [markdown]
# ## 4. Test error: a peak at d = n, then a second descent
# The test error first follows the classical U (bias falls, variance grows), then
# explodes at d = n, where the fit is the unique interpolant of the noisy data, and
# falls again for d > n. "Well below the peak" means by at least a factor 10 for every
# d >= 3n. We also compare the far side with the best d < n: that comparison is an
# honest report, not a claim (see the text after the numbers).

# %%
i_peak = int(np.argmax(test))
d_peak = int(d_values[i_peak])
peak = float(test[i_peak])
under = d_values < n
best_under = float(np.min(test[under]))
d_best_under = int(d_values[under][np.argmin(test[under])])
far = d_values >= 3 * n
worst_far = float(np.max(test[far]))
per_draw_argmax = d_values[np.argmax(legendre["test"], axis=1)]
lesson.say(f"  test error (geometric mean over {draws} draws): peak {peak:.3g} at d = {d_peak}; "
           f"best d < n: {best_under:.3g} at d = {d_best_under}; d = {d_max}: {test[-1]:.3g}")
lesson.say(f"  argmax of each draw's own curve: {per_draw_argmax.tolist()}")
lesson.say(f"  far side (d >= {3 * n}): worst {worst_far:.3g} = peak / {peak / worst_far:.3g} "
           f"= {worst_far / best_under:.2f} x the best d < n")
lesson.check_between("test error peaks at the interpolation threshold: argmax over d", d_peak, 14, 18)
lesson.check_below("second descent: worst test error over d >= 3n, as a fraction of the peak",
                   worst_far / peak, 0.1)

# %% [markdown]
# Look at the numbers: the far side is far below the peak but, with 16 points, it does
# not beat the best small model (the ratio printed above; 1.2 to 4 across other sets
# of draws): the minimum-norm interpolant is
# smooth between the data and spiky at the data, and those spikes are how it absorbs
# the noise without being wild (figure `fits`). Harmless overfitting, not yet helpful
# overfitting; lesson 3 shows the far side beating the best under-parameterized model.
#
# The choice of norm matters (section 2): with orthonormal features the far side is
# the error of the zero function.

# %%
normalized = sweep(lambda x, d: mg.linear.legendre_features(x, d, normalized=True))
test_normalized = geometric_mean(normalized["test"])
lesson.say(f"  normalized Legendre features: d = {d_max} test error {test_normalized[-1]:.3g} "
           f"(||f||^2 = {np.mean(f_test**2):.3g}); peak {test_normalized[at[n]]:.3g} at d = n "
           f"(the same interpolant as with P_k: same span)")

# %% [markdown]
# ## 5. What makes the peak: conditioning
# At d = n the fit is w = A_n^{-1} y, so the noise is amplified by up to 1/s_min(A_n).
# The smallest singular value of A_d is smallest exactly at d = n, for every draw:
# for d <= n, s_min(A_d) = min over unit w of ||A_d w||, and a new column only enlarges
# the set minimized over, so s_min can only fall; for d >= n, s_min(A_d)^2 is the
# smallest eigenvalue of A_d A_d^T = sum_k phi_k phi_k^T, and a new column only adds a
# positive semi-definite term, so s_min can only rise. The min-norm fit divides the
# noise by the singular values, so the peak is as high as A_n is ill-conditioned.
# Two experiments change the conditioning:
#
# * **Chebyshev points** x_j = cos(pi (j + 1/2) / n): the Legendre matrix A_n is well
#   conditioned there (polynomial interpolation at these nodes is stable: its Lebesgue
#   constant grows only like log n). Same target, same noise draws.
# * **Monomial features** x^0 .. x^{d-1} at the same stratified points: for d <= n they
#   span the same polynomials, so the fit is the same function (a basis change does not
#   change a least-squares fit or a unique interpolant). Beyond n the minimum-norm
#   problem differs: the new columns x_j^k decay geometrically with k for |x_j| < 1, so
#   they add almost nothing to A_d A_d^T, s_min(A_d) stays tiny, and the min-norm
#   interpolant keeps amplifying the noise (its kernel sum_k (x x')^k -> 1/(1 - x x')
#   has Cauchy-like, notoriously ill-conditioned Gram matrices). No second descent.

# %%
chebyshev = sweep(mg.linear.legendre_features, points=chebyshev_points)
monomial = sweep(mg.linear.monomial_features)
test_cheb = geometric_mean(chebyshev["test"])
test_mono = geometric_mean(monomial["test"])
s_min = {name: geometric_mean(run["s_min"]) for name, run in
         (("legendre", legendre), ("chebyshev", chebyshev), ("monomial", monomial))}
cond_n = {name: float(geometric_mean(run["cond"])[at[n]]) for name, run in
          (("legendre", legendre), ("chebyshev", chebyshev), ("monomial", monomial))}
d_smin_per_draw = d_values[np.argmin(legendre["s_min"], axis=1)]
best_under_cheb = float(np.min(test_cheb[under]))
same_fit = float(np.max(np.abs(monomial["test"][:, d_values <= n] - legendre["test"][:, d_values <= n])
                        / legendre["test"][:, d_values <= n]))
for name in ("legendre", "chebyshev", "monomial"):
    lesson.say(f"  {name:9s}: cond(A_n) = {cond_n[name]:.3g}, s_min(A_n) = {s_min[name][at[n]]:.3g}, "
               f"s_min(A_{d_max}) = {s_min[name][-1]:.3g}")
lesson.say(f"  Chebyshev points: test error at d = n {test_cheb[at[n]]:.3g}, best d < n {best_under_cheb:.3g}, "
           f"argmax over d: {int(d_values[np.argmax(test_cheb)])}, d = {d_max}: {test_cheb[-1]:.3g}")
lesson.say(f"  monomials: test error at d = n {test_mono[at[n]]:.3g}, at d = {d_max} {test_mono[-1]:.3g}, "
           f"argmax over d: {int(d_values[np.argmax(test_mono)])}")

lesson.check_true("s_min(A_d) is smallest exactly at d = n, in every draw (Legendre, stratified)",
                  np.all(d_smin_per_draw == n), f"argmin per draw {sorted(set(d_smin_per_draw.tolist()))}")
# A "peak" is a test error 10x above the best d < n (the same factor as "well below").
lesson.check_above("stratified points: test error at d = n / best d < n (a peak)", peak / best_under, 10)
lesson.check_below("Chebyshev points: test error at d = n / best d < n (no peak)",
                   test_cheb[at[n]] / best_under_cheb, 10)
# Rounding in the monomial fit is ~ eps * cond(A) <= 2.2e-16 * 1e8 ~ 2e-8 relative.
lesson.check_below("monomials = Legendre for d <= n (same span): max relative difference of test errors",
                   same_fit, 1e-6)
lesson.check_above("monomials: no second descent: test error at d = 200 / at d = n",
                   test_mono[-1] / test_mono[at[n]], 1.0)
lesson.check_below("monomials keep A_d ill-conditioned: s_min(A_200) monomial / Legendre",
                   s_min["monomial"][-1] / s_min["legendre"][-1], 1e-3)

# %% [markdown]
# ## 6. Figures
# `fits`: one draw, the fits for small d (under-fitting, then about right), for d = n
# (the unique interpolant: wild between the points, off the chart near the ends) and
# for d = 200 (interpolates again, but tamely: the noise goes into narrow spikes).
# `curve`: left, training and test error against d, the threshold d = n marked;
# middle, the same test error with Chebyshev points and with monomial features;
# right, the smallest singular value of A_d, which mirrors the test error's peak.

# %%
x0, noise0 = samples[0]
y0 = target(x0) + noise0
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
for ax, degrees, title in zip(axes, ([4, 8], [n], [d_max]),
                              ("small d: the classical regime", f"d = n = {n}: the unique interpolant",
                               f"d = {d_max}: the minimum-norm interpolant")):
    ax.plot(x_test, f_test, "k--", lw=1, label="target sin(2 pi x)")
    for d in degrees:
        w = mg.linear.lstsq_min_norm(mg.linear.legendre_features(x0, d), y0)
        ax.plot(x_test, mg.linear.legendre_features(x_test, d) @ w, lw=1.3, label=f"d = {d}")
    ax.plot(x0, y0, "ko", ms=4, label="training data")
    ax.set_ylim(-2.5, 2.5)
    ax.set_xlabel("x")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
axes[0].set_ylabel("h_w(x)")
lesson.save_figure(fig, "fits")

fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4))
floor = 1e-5  # the training error for d >= n is ~1e-25: rounding, drawn at the floor
train_mean = geometric_mean(np.maximum(legendre["train"], 1e-300))
left.loglog(d_values, test, "-", color="C0", label="test error")
left.loglog(d_values, np.maximum(train_mean, floor), "-", color="C1",
            label="training error (clipped)")
left.axhline(best_under, color="C2", ls=":", label="best d < n")
left.set_ylim(floor / 2, 30 * peak)
left.set_title(f"Legendre features, n = {n}: double descent")
left.set_ylabel(f"error (geometric mean of {draws} draws)")
middle.loglog(d_values, test, label="Legendre, stratified points")
middle.loglog(d_values, test_cheb, label="Legendre, Chebyshev points")
middle.loglog(d_values, test_mono, label="monomials, stratified points")
middle.set_title("test error: conditioning decides the peak")
right.loglog(d_values, s_min["legendre"], label="Legendre, stratified")
right.loglog(d_values, s_min["chebyshev"], label="Legendre, Chebyshev")
right.loglog(d_values, s_min["monomial"], label="monomials, stratified")
right.set_title("smallest singular value of A_d (n x d)")
for ax in (left, middle, right):
    ax.axvline(n, color="gray", ls="--", lw=1)
    ax.text(n * 1.05, 0.98, "d = n", transform=ax.get_xaxis_transform(), va="top", color="gray")
    ax.set_xlabel("number of features d (degree d - 1), log scale")
left.legend(fontsize=8, loc="upper left")
middle.legend(fontsize=8, loc="center left")
right.legend(fontsize=8, loc="lower left")
lesson.save_figure(fig, "curve")
