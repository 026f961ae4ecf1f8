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
  * the test error peaks exactly at the interpolation threshold d = n;
  * beyond it, it falls again, back to within a small factor of the best d < n;
  * conditioning makes the peak: s_min(A_d) is smallest exactly at d = n; with
    Chebyshev points (A_n well conditioned) the peak is gone; monomial features give
    the same fit for d <= n (same span) but an ill-conditioned min-norm problem beyond
    n, and the second descent never comes.
Each check has controls, wrong variants that must fail it: ridge regression or a
truncated SVD instead of the minimum-norm fit, noise-free labels, orthonormal or
monomial features, equispaced points, s_min read off the wrong Gram matrix.

Run it:  python -m lessons 2
"""

# %% [markdown]
# ## 1. The data
# * **Points.** One uniform point in each of the 16 cells [-1 + 2j/16, -1 + 2(j+1)/16]:
#   random, but without the large holes of 16 i.i.d. uniform points (the largest gaps
#   of both kinds of draw are printed below; inside a hole every fit is a guess whatever
#   d is; here we want to see the effect of d, not of a hole). The points still cluster
#   and leave gaps at random, which is what makes the degree-15 interpolant wild
#   (section 4).
# * **Target.** f(x) = sin(2 pi x): smooth, two periods on [-1, 1]. A polynomial needs a
#   moderate degree to follow it, so the classical sweet spot (printed in section 4)
#   lies below d = n = 16.
# * **Noise.** sigma = 0.2 (signal variance 1/2, noise variance 0.04). The peak at
#   d = n is noise amplified by the ill-conditioned square system, so its height scales
#   like sigma^2; any sigma > 0 shows it.
# * **Test error.** Mean of (h_w(x) - f(x))^2 over 2001 equispaced x in [-1, 1]: the
#   squared L2 distance to the noiseless target.
# * **Draws.** R independent draws of (points, noise), seeds 0..R-1. The test errors
#   span many decades, so we average their logarithms (geometric mean): an arithmetic
#   mean would be the single worst draw. We average because a single draw could peak one
#   step off, at d = 15 or 17 (A_15 or A_17 can be nearly as ill-conditioned as A_16;
#   each draw's own argmax is printed in section 4).

# %%
from lessons.harness import Lesson  # first: it sets up the thread count before numpy loads

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

lesson = Lesson(2, "Polynomial features, n = 16, p = d: overfitting?")

n = 16
sigma = 0.2
draws = lesson.size(10, 6)  # lesson.size(full, quick): the full-run value, or the smaller one in quick mode
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
iid_points = [np.sort(np.random.default_rng(r).uniform(-1.0, 1.0, n)) for r in range(draws)]
lesson.say(f"  n = {n} points, sigma = {sigma}, {draws} draws, d from 1 to {d_max} "
           f"({len(d_values)} values)")
lesson.say(f"  largest gap between neighbouring points (mean over draws): stratified "
           f"{np.mean([np.diff(x).max() for x, _ in samples]):.2f}, i.i.d. uniform "
           f"{np.mean([np.diff(x).max() for x in iid_points]):.2f}")

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
#
# Two wrong fits serve as controls below: **ridge regression**, argmin ||A w - y||^2 +
# lambda ||w||^2 with lambda = 1e-2, which never interpolates and damps the noise
# along small singular directions; and a **truncated SVD**, A^+ with singular values
# below 1e-3 s_max dropped (what a pseudo-inverse with a loose cutoff does), which
# also stops interpolating where A_d is ill-conditioned.

# %%
RIDGE, CUTOFF = 1e-2, 1e-3


def ridge(A, y, lam=RIDGE):
    """argmin ||A w - y||^2 + lam ||w||^2 = V diag(s / (s^2 + lam)) U^T y (a control)."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return Vt.T @ (s / (s**2 + lam) * (U.T @ y))


def truncated(A, y):
    """A^+ y with the singular values below CUTOFF * s_max dropped (a control)."""
    return mg.linear.lstsq_min_norm(A, y, rcond=CUTOFF)


def sweep(features, points=None, solver=mg.linear.lstsq_min_norm):
    """Fit every d for every draw. features(x, d) -> (len(x), d); points=None: the draw's own.

    solver(A, y) -> w: the minimum-norm fit unless a control asks for another.
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
            w = solver(A, y)
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
legendre_ridge = sweep(mg.linear.legendre_features, solver=ridge)  # controls
legendre_truncated = sweep(mg.linear.legendre_features, solver=truncated)
test = geometric_mean(legendre["test"])
train_rel = legendre["train_rel"]
at = {int(d): i for i, d in enumerate(d_values)}  # column of a given d

# %% [markdown]
# ## 3. Training error: zero from d = n on
# For d >= n the n x d system A_d w = y has a solution (A_d has rank n: distinct points,
# d >= n polynomials), so the minimum-norm least-squares w interpolates: the residual
# is rounding, of relative size ~ eps cond(A_d) (cond is largest at d = n; cond(A_n) is
# printed in section 5), and its square is far below the 1e-12 we allow. Controls: ridge
# and the truncated SVD leave a residual, and must fail.
# For d = n - 1 one degree of freedom is missing: the expected residual is at least
# sigma^2 (n - d) / n = sigma^2 / n per sample; we check the mean over draws exceeds a
# tenth of it. Controls: one degree later, d = n, the residual is rounding; and with
# noise-free labels (sigma = 0) the degree-(n - 2) fit of the smooth target is nearly
# exact: the residual at d = n - 1 is the noise that cannot be fitted.

# %%
beyond = d_values >= n
worst_train_beyond = float(np.max(train_rel[:, beyond]))
train_below = float(np.mean(legendre["train"][:, at[n - 1]]))
lesson.say(f"  largest relative training error over d >= n and all draws: {worst_train_beyond:.2g}")
lesson.say(f"  mean training error at d = n - 1: {train_below:.3g} (sigma^2 / n = {sigma**2 / n:.3g})")
noise_free = []  # the control: training error at d = n - 1 with sigma = 0
for x, _ in samples:
    A = mg.linear.legendre_features(x, n - 1)
    noise_free.append(np.mean(mg.linear.residuals(A, mg.linear.lstsq_min_norm(A, target(x)), target(x)) ** 2))
noise_free_below = float(np.mean(noise_free))
lesson.check_below("training error is zero (to rounding) for every d >= n: max of MSE / mean(y^2)",
                   worst_train_beyond, 1e-12,
                   controls={f"ridge, lambda = {RIDGE:g}": float(np.max(legendre_ridge["train_rel"][:, beyond])),
                             f"truncated SVD, cutoff {CUTOFF:g} s_max":
                             float(np.max(legendre_truncated["train_rel"][:, beyond]))})
lesson.check_above("training error at d = n - 1 is not zero: mean MSE over draws (bound sigma^2/(10n))",
                   train_below, sigma**2 / (10 * n),
                   controls={"the same at d = n": float(np.mean(legendre["train"][:, at[n]])),
                             "noise-free labels (sigma = 0)": noise_free_below})

# %% [markdown]
# ## 4. Test error: a peak at d = n, then a second descent
# The test error first follows the classical U (bias falls, variance grows), then
# explodes at d = n, where the fit is the unique interpolant of the noisy data, and
# falls again for d > n.
#
# * **The peak** is at d = n exactly (for the geometric mean over draws). Controls: ridge
#   damps the small singular directions and has no peak (its worst d is elsewhere), and
#   the truncated SVD moves the peak below n (it drops A_d's small singular values, so it
#   stops interpolating where they appear).
# * **The second descent**: the worst test error over the far side d >= 3n is back within
#   a factor 5 of the best d < n (the peak is orders of magnitude higher). Controls, two
#   other feature sets with the same minimum-norm fit: orthonormal Legendre features
#   (section 2: their far side tends to predicting 0) and monomials (section 5: no second
#   descent at all). Both must fail.

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
per_draw_far = np.max(legendre["test"][:, far], axis=1) / np.min(legendre["test"][:, under], axis=1)
lesson.say(f"  far side (d >= {3 * n}): worst {worst_far:.3g} = peak / {peak / worst_far:.3g} "
           f"= {worst_far / best_under:.2f} x the best d < n; each draw's own ratio: "
           + " ".join(f"{v:.2g}" for v in per_draw_far))

normalized = sweep(lambda x, d: mg.linear.legendre_features(x, d, normalized=True))
monomial = sweep(mg.linear.monomial_features)
test_normalized = geometric_mean(normalized["test"])
test_mono = geometric_mean(monomial["test"])
test_ridge = geometric_mean(legendre_ridge["test"])
test_truncated = geometric_mean(legendre_truncated["test"])
lesson.say(f"  normalized Legendre features: d = {d_max} test error {test_normalized[-1]:.3g} "
           f"(||f||^2 = {np.mean(f_test**2):.3g}); peak {test_normalized[at[n]]:.3g} at d = n "
           f"(the same interpolant as with P_k: same span)")
lesson.say(f"  ridge (lambda = {RIDGE:g}): test error at d = n {test_ridge[at[n]]:.3g}, worst at d = "
           f"{int(d_values[np.argmax(test_ridge)])}; truncated SVD: worst at d = "
           f"{int(d_values[np.argmax(test_truncated)])}")


def far_ratio(curve):
    """Worst test error over d >= 3n / best over d < n."""
    return float(np.max(curve[far]) / np.min(curve[under]))


def argmax_is_n(curve):
    d_worst = int(d_values[np.argmax(curve)])
    return d_worst == n, f"argmax d = {d_worst}"


lesson.check_true("test error peaks exactly at the interpolation threshold: argmax over d = n", *argmax_is_n(test),
                  controls={f"ridge, lambda = {RIDGE:g}": argmax_is_n(test_ridge),
                            f"truncated SVD, cutoff {CUTOFF:g} s_max": argmax_is_n(test_truncated)})
lesson.check_below("second descent: worst test error over d >= 3n / best over d < n", far_ratio(test), 5.0,
                   controls={"orthonormal Legendre features": far_ratio(test_normalized),
                             "monomial features": far_ratio(test_mono)})

# %% [markdown]
# Look at the numbers: the far side is far below the peak but, with 16 points, it
# does not beat the best small model on average (the ratios printed above; single
# draws vary): the minimum-norm interpolant is smooth between the data and spiky at
# the data, and those spikes are how it absorbs the noise without being wild (figure
# `fits`). Harmless overfitting, not yet helpful overfitting; lesson 3 shows the far
# side beating the best under-parameterized model. The controls show that both
# halves depend on choices: which norm is minimized (orthonormal features: the far
# side tends to the error of the zero function) and the basis (monomials: section 5).

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
#
# Controls. The monotonicity argument holds for any nested features, so the claim
# "s_min is smallest at d = n" is about computing the right singular value: reading
# s_min off the d x d Gram matrix A_d^T A_d (fine for d <= n) gives 0 for every
# d > n, because A_d^T A_d has rank n; the n-th singular value needs the n x n
# A_d A_d^T there. Equispaced points (the classical Runge example, where
# interpolation is unstable) must show a peak where Chebyshev points do not. The
# monomial-Legendre equality must fail beyond n (d from n + 1 to 3n), where the two
# minimum-norm problems differ. Legendre features must fail the "no second descent"
# test; orthonormal Legendre features, well conditioned too, must fail the s_min test.

# %%
chebyshev = sweep(mg.linear.legendre_features, points=chebyshev_points)
equispaced = sweep(mg.linear.legendre_features, points=np.linspace(-1.0, 1.0, n))  # a control
test_cheb = geometric_mean(chebyshev["test"])
test_equi = geometric_mean(equispaced["test"])
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



def gram_s_min(A):
    """The control: sqrt of the smallest eigenvalue of A^T A (d x d), right only for d <= n."""
    return np.sqrt(max(np.linalg.eigvalsh(A.T @ A)[0], 0.0))


# The control over d <= 2n only (d x d eigenvalue problems up to d = 200 are costly, and
# the answer for d > n is the same 0); the correct argmin is at n either way.
d_gram = d_values[d_values <= 2 * n]
gram_argmin = np.array([d_gram[np.argmin([gram_s_min(mg.linear.legendre_features(x, int(d))) for d in d_gram])]
                        for x, _ in samples])
beyond_n = (d_values > n) & (d_values <= 3 * n)
differ_beyond = float(np.max(np.abs(monomial["test"][:, beyond_n] - legendre["test"][:, beyond_n])
                             / legendre["test"][:, beyond_n]))
lesson.say(f"  equispaced points: test error at d = n {test_equi[at[n]]:.3g}, cond(A_n) = "
           f"{geometric_mean(equispaced['cond'])[at[n]]:.3g}")


def argmin_all_n(argmins):
    return bool(np.all(argmins == n)), f"argmin per draw {sorted(set(argmins.tolist()))}"


lesson.check_true("s_min(A_d) is smallest exactly at d = n, in every draw (Legendre, stratified)",
                  *argmin_all_n(d_smin_per_draw),
                  controls={"s_min from the d x d Gram matrix A^T A": argmin_all_n(gram_argmin)})
# A "peak" is a test error 10x above the best d < n.
lesson.check_above("stratified points: test error at d = n / best d < n (a peak)", peak / best_under, 10,
                   controls={"Chebyshev points": test_cheb[at[n]] / best_under_cheb,
                             f"ridge, lambda = {RIDGE:g}": test_ridge[at[n]] / np.min(test_ridge[under])})
lesson.check_below("Chebyshev points: test error at d = n / best d < n (no peak)",
                   test_cheb[at[n]] / best_under_cheb, 10,
                   controls={"equispaced points": test_equi[at[n]] / np.min(test_equi[under])})
# The monomial fit is as accurate as eps cond(A_n) (printed above) allows; 1e-6 leaves room.
lesson.check_below("monomials = Legendre for d <= n (same span): max relative difference of test errors",
                   same_fit, 1e-6, controls={"the same comparison for n < d <= 3n": differ_beyond})
lesson.check_above(f"monomials: no second descent: test error at d = {d_max} / at d = n",
                   test_mono[-1] / test_mono[at[n]], 1.0,
                   controls={"Legendre features": test[-1] / test[at[n]]})
lesson.check_below(f"monomials keep A_d ill-conditioned: s_min(A_{d_max}) monomial / Legendre",
                   s_min["monomial"][-1] / s_min["legendre"][-1], 1e-3,
                   controls={"orthonormal Legendre instead of monomials":
                             float(geometric_mean(normalized["s_min"])[-1] / s_min["legendre"][-1])})

# %% [markdown]
# ## 6. Figures
# `fits`: one draw, (a) the fits for small d (under-fitting, then about right), (b) for
# d = n (the unique interpolant: wild between the points, off the chart near the ends)
# and (c) for d = 200 (interpolates again, but tamely: the noise goes into narrow spikes).
# `curve`: (a) training and test error against d, the threshold d = n marked, with the
# ridge control (no peak); (b) the same test error with Chebyshev points, with monomial
# features and with orthonormal Legendre features (the controls of sections 4 and 5);
# (c) the smallest singular value of A_d, which mirrors the test error's peak.

# %%
x0, noise0 = samples[0]
y0 = target(x0) + noise0
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), sharey=True)
colors = {4: "C0", 8: "C1", n: "C3", d_max: "C2"}  # one colour per d, shared by the legend
for ax, degrees, title in zip(axes, ([4, 8], [n], [d_max]),
                              ("(a) small d: the classical regime", f"(b) d = n = {n}: the unique interpolant",
                               f"(c) d = {d_max}: the minimum-norm interpolant")):
    ax.plot(x_test, f_test, "k--", lw=1, label="target sin(2 pi x)")
    for d in degrees:
        w = mg.linear.lstsq_min_norm(mg.linear.legendre_features(x0, d), y0)
        ax.plot(x_test, mg.linear.legendre_features(x_test, d) @ w, lw=1.3, color=colors[d], label=f"fit, d = {d}")
    ax.set_ylim(-2.5, 2.5)
    ax.set_xlabel("x")
    ax.set_title(title)
for ax in axes:  # the data last, on top of the curves and at the end of the legend
    ax.plot(x0, y0, "ko", ms=4, label="training data")
axes[0].set_ylabel("h_w(x)")
# One legend below the panels: inside them it would cover the wild fit of panel (b).
handles = {}
for ax in axes:
    for handle, label in zip(*ax.get_legend_handles_labels()):
        handles.setdefault(label, handle)
handles["training data"] = handles.pop("training data")  # last in the legend
fig.legend(handles.values(), handles.keys(), loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles),
           fontsize=9, frameon=False)
lesson.save_figure(fig, "fits")

fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15.5, 4.2))
floor = 1e-5  # the training error for d >= n is rounding (printed in section 3): drawn at the floor
train_mean = geometric_mean(np.maximum(legendre["train"], 1e-300))
left.loglog(d_values, test, "-", color="C0", label="test error")
left.loglog(d_values, np.maximum(train_mean, floor), "-", color="C1",
            label="training error (clipped)")
left.loglog(d_values, test_ridge, "--", color="C4", label=f"test error, ridge lambda = {RIDGE:g} (control)")
left.axhline(best_under, color="C2", ls=":", label="best test error, d < n")
left.set_ylim(floor / 2, 30 * peak)
left.set_title(f"(a) Legendre features, n = {n}: double descent")
left.set_ylabel(f"error (geometric mean of {draws} draws)")
middle.loglog(d_values, test, color="C0", label="Legendre, stratified points")
middle.loglog(d_values, test_cheb, color="C1", label="Legendre, Chebyshev points")
middle.loglog(d_values, test_mono, color="C2", label="monomials, stratified points")
middle.loglog(d_values, test_normalized, ":", color="C3", lw=2, label="orthonormal Legendre, stratified")
middle.set_title("(b) test error: points, basis and norm")
middle.set_ylabel("test error (geometric mean)")
right.loglog(d_values, s_min["legendre"], color="C0", label="Legendre, stratified")
right.loglog(d_values, s_min["chebyshev"], color="C1", label="Legendre, Chebyshev")
right.loglog(d_values, s_min["monomial"], color="C2", label="monomials, stratified")
right.set_title("(c) smallest singular value of A_d (n x d)")
right.set_ylabel("s_min(A_d) (geometric mean)")
for ax in (left, middle, right):
    ax.axvline(n, color="gray", ls="--", lw=1)
    ax.text(n * 0.93, 0.98, "d = n", transform=ax.get_xaxis_transform(), va="top", ha="right", color="gray")
    ax.set_xlabel("number of features d (degree d - 1), log scale")
for ax in (left, middle, right):  # legends below the panels: inside, they would cover the curves
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
fig.tight_layout()
lesson.save_figure(fig, "curve")
