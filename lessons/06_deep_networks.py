"""Lesson 6 — transition to linearity of deep networks, and when it fails.

The slide (Liu, Zhu, Belkin 2020, "On the linearity of large non-linear models: when
and why the tangent kernel is constant", NeurIPS): for a deep network with L hidden
layers of width m in the 1/sqrt(m) parametrization,

    alpha^0 = x,  alpha^l = sigma(W^l alpha^{l-1} / sqrt(m_{l-1})),  f = v . alpha^L / sqrt(m),

the Hessian of the output in the parameters is small, ||H_f|| = O~(1 / sqrt(m)) (up to
log factors), on a ball around the random initialization: the network becomes linear
in its parameters as m grows. The output layer must be LINEAR: for f = phi(f~) with a
non-linear phi on top of such a network f~ ("a non-linear output layer"),

    H_f = phi''(f~) grad f~ grad f~^T + phi'(f~) H_f~,

and the first term has norm |phi''(f~)| ||grad f~||^2 = |phi''(f~)| K(x, x), the tangent
kernel at x, which is O(1) at every width: the Hessian does not vanish and linearity
never arrives.

Checked here, with numbers measured in this run:
  * the compiled closed forms (backend="numba") agree with the engine on small nets;
  * for 2 and 3 hidden layers, the log-log slope of ||H_f(theta0)|| against m is -1/2
    (within a band that allows one sqrt(log m) factor);
  * the Taylor remainder along the most curved direction shrinks the same way;
  * with a softplus output layer the Hessian identity above holds exactly, Weyl's
    inequality | ||H_f|| - phi'' K | <= phi' ||H_f~|| holds at every width, ||H_f|| stays
    O(1) (slope ~ 0) because K(x, x) does not shrink (it converges to the NTK), and the
    remainder along the most curved direction stays O(1).

Run it:  python -m lessons 6
"""

# %% [markdown]
# ## 0. Setup
# One input x0 = 1 (d = 1). Widths m on a doubling grid, every hidden layer of width m.
# The Hessian norm at one random initialization fluctuates, most at small m, so at each
# width we average log ||H|| over several initializations: more where they are cheap
# (m_max / m of them), one at the largest width, where fluctuations are smallest.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from lessons.harness import Lesson

lesson = Lesson(6, "Transition to linearity: deep networks, and a non-linear output layer")

X0 = np.array([[1.0]])  # one input, (n, d) = (1, 1)
x0 = X0[0]
R = 1.0  # distance of the Taylor-remainder probe, a fixed O(1) radius
widths = lesson.size([32, 64, 128, 256, 512, 1024], [32, 64, 128, 256, 512])
DEPTHS = (2, 3)
OUTPUT = "softplus"  # the non-linear output layer of the counter-example (phi'' > 0 everywhere)
LANCZOS = dict(tol=1e-4, max_iter=200)  # see section 1: enough for ~1e-8 relative accuracy


def n_seeds(m):
    """How many initializations to average at width m: m_max / m (cheap where m is small)."""
    return max(1, widths[-1] // m)


def fit_slope(m, y):
    """Least-squares slope of log y against log m."""
    return float(np.polyfit(np.log(m), np.log(y), 1)[0])


def top_eigen(net, theta, **options):
    """Largest-magnitude eigenpair of H_f(theta) at x0, by Lanczos on the compiled HVP."""
    settings = dict(LANCZOS, **options)
    return mg.spectral.lanczos(lambda u: net.output_hvp(theta, x0, u, backend="numba"), net.num_params,
                               **settings)


# %% [markdown]
# ## 1. The compiled closed forms agree with the engine; Lanczos is accurate enough
# The wide nets need backend="numba" (a hand-written forward-over-reverse HVP). Compare it
# with the engine (the Tensor graph differentiated twice) on small nets of each depth,
# with a linear and with non-linear output layers: the output, its gradient, its Hessian
# times a vector and the Jacobian. Same formulas in float64: only
# rounding separates them, so 1e-10 relative is a tight and safe bound.
#
# Lanczos stops when the residual ||H u - lambda u|| <= tol |lambda| at both ends of the
# spectrum. The error of a Ritz value is of the order of the residual squared over the
# spectral gap, so tol = 1e-4 gives ~1e-8: check it against tol = 1e-10 on one net.

# %%
rng = np.random.default_rng(0)
X3 = np.array([[0.7], [-1.3], [2.0]])
worst = 0.0
for depth in DEPTHS:
    for out in ("linear", "softplus", "tanh"):
        small = mg.nn.DeepNet(1, [5] * depth, activation="tanh", output_activation=out)
        th = small.init(depth)
        u = rng.standard_normal(small.num_params)
        pairs = [
            (small.output(th, x0, backend="numba"), small.output(th, x0, backend="engine")),
            (small.output_grad(th, x0, backend="numba"), small.output_grad(th, x0, backend="engine")),
            (small.output_hvp(th, x0, u, backend="numba"), small.output_hvp(th, x0, u, backend="engine")),
            (small.jacobian(th, X3, backend="numba"), small.jacobian(th, X3, backend="engine")),
        ]
        worst = max(worst, max(mg.check.relative_error(a, b) for a, b in pairs))
lesson.check_below("numba closed forms = engine (output, gradient, HVP, Jacobian; depth 2, 3; "
                   "linear/softplus/tanh output)", worst, 1e-10)

probe = mg.nn.DeepNet(1, [64, 64], activation="tanh")
th = probe.init(1)
loose, tight = top_eigen(probe, th).value, top_eigen(probe, th, tol=1e-10, max_iter=400).value
lesson.check_below("Lanczos at tol 1e-4 vs tol 1e-10 (relative difference of the top eigenvalue)",
                   abs(loose - tight) / abs(tight), 1e-6)

# %% [markdown]
# ## 2. ||H_f(theta0)|| against the width, for 2 and 3 hidden layers (linear output)
# For each depth, width and initialization: Lanczos gives ||H_f(theta0)|| and its top
# eigenvector u1, the most curved direction, which section 4 uses for a Taylor probe.

# %%
def remainder_along(net, theta0, u):
    """max over +-u of |f(theta0 + R u) - f_lin(theta0 + R u)| at x0 (mg.spectral.Linearization)."""
    lin = mg.spectral.Linearization(net.apply, theta0, X0, J0=net.jacobian(theta0, X0, backend="numba"))
    return max(abs(lin.remainder(theta0 + t * R * u)[0]) for t in (1.0, -1.0))


def init(depth, m, s):
    """Initialization number s of a net with `depth` hidden layers of width m (seed (depth, m, s))."""
    return mg.nn.DeepNet(1, [m] * depth).init(np.random.default_rng((depth, m, s)))


def per_width(rows, key):
    """Geometric mean of r[key] over the rows (initializations) at each width: exp(mean log)."""
    return np.array([np.exp(np.mean([np.log(r[key]) for r in rows if r["m"] == m])) for m in widths])


records = {depth: [] for depth in DEPTHS}
for depth in DEPTHS:
    for m in widths:
        net = mg.nn.DeepNet(1, [m] * depth, activation="tanh")
        for s in range(n_seeds(m)):
            theta0 = init(depth, m, s)
            eig = top_eigen(net, theta0)
            records[depth].append(dict(m=m, seed=s, H=abs(eig.value), converged=eig.converged,
                                       remainder=remainder_along(net, theta0, eig.vector)))
m_arr = np.array(widths, dtype=float)

# %% [markdown]
# ### The slope
# The theorem: ||H_f|| = O~(1/sqrt(m)). The "~" hides log factors; one factor sqrt(log m)
# (the size of a maximum over m Gaussian quantities) has slope delta = 1/(2 log m) on our
# range, about 0.1. So we expect a slope in [-1/2 - 0.1, -1/2 + delta + 0.1]; the 0.1
# margins cover what is left of the initialization randomness after averaging.

# %%
delta = fit_slope(m_arr, np.sqrt(2 * np.log(m_arr)))
lesson.say(f"  slope of sqrt(2 log m) over the widths: delta = {delta:.3f}")
H_mean = {}
for depth in DEPTHS:
    H_mean[depth] = per_width(records[depth], "H")
    lesson.say(f"  depth {depth}: m             = " + "  ".join(f"{int(m):7d}" for m in m_arr))
    lesson.say(f"  depth {depth}: ||H||         = " + "  ".join(f"{h:7.4f}" for h in H_mean[depth]))
    lesson.say(f"  depth {depth}: sqrt(m) ||H|| = " + "  ".join(f"{h:7.3f}" for h in H_mean[depth] * np.sqrt(m_arr)))
    lesson.check_between(f"depth {depth}, linear output: slope of log ||H_f(theta0)|| vs log m",
                         fit_slope(m_arr, H_mean[depth]), -0.6, -0.5 + delta + 0.1)

# %% [markdown]
# ## 3. The counter-example: a non-linear output layer
# Take the 2-hidden-layer network above as g = f~(x0) and put phi = softplus on top:
# f = phi(f~), with the same parameters theta. By the chain rule, for every direction u,
#
#     H_f u = phi''(g) (grad g . u) grad g + phi'(g) H_g u.
#
# First check this identity on a small net, HVP against HVP (rounding only: 1e-10).

# %%
small_g = mg.nn.DeepNet(1, [6, 6], activation="tanh")
small_f = mg.nn.DeepNet(1, [6, 6], activation="tanh", output_activation=OUTPUT)
th = small_g.init(5)
u = np.random.default_rng(6).standard_normal(small_g.num_params)
g = small_g.output(th, x0, backend="engine")
grad_g = small_g.output_grad(th, x0, backend="engine")
sig = 1 / (1 + np.exp(-g))  # softplus' = sigmoid, softplus'' = sigmoid (1 - sigmoid), by hand
predicted = sig * (1 - sig) * (grad_g @ u) * grad_g + sig * small_g.output_hvp(th, x0, u, backend="engine")
lesson.check_below("H_f u = phi''(g)(grad g . u) grad g + phi'(g) H_g u (engine, relative error)",
                   mg.check.relative_error(small_f.output_hvp(th, x0, u, backend="engine"), predicted), 1e-10)

# %% [markdown]
# So H_f is a rank-one matrix of norm c = phi''(g) K(x0, x0), where K = ||grad g||^2 is the
# tangent kernel, plus a perturbation of norm e = phi'(g) ||H_g|| = O~(1/sqrt(m)) (section 2).
# By Weyl's inequality | ||H_f|| - c | <= e. As m grows, K converges to a positive limit
# (the NTK) and g(x0) to a Gaussian variable of variance O(1), so c stays O(1): the Hessian
# does not vanish. We chose phi = softplus because phi'' = sigmoid (1 - sigmoid) > 0
# everywhere. (With tanh, tanh''(0) = 0: at an input where g happens to be near 0 the O(1)
# term hides at theta0, and reappears as soon as g moves, i.e. on the ball.)
#
# For each width we measure ||H_f|| on the same initializations as section 2 (there
# ||H_g|| is known, so we can check Weyl's sandwich), plus more initializations where
# those are few: g is random, and c = phi''(g) K with it. These Lanczos runs are cheap:
# the rank-one term stands out, so they converge in a few steps.
#
# Checks: Weyl's sandwich; ||H_f|| has slope 0 within +-0.25 (the perturbation e, as
# large as c at m = 32 and shrinking like m^{-1/2}, tilts the fitted slope down by about
# 0.15, plus 0.1 for the randomness of g); the tangent kernel K has slope 0 within +-0.1
# (it converges to the NTK, with relative fluctuations O(m^{-1/2})); at the largest width
# e < c / 2, so ||H_f|| >= c / 2 there; and ||H_f|| is then larger than the linear-output
# ||H_g||, which keeps falling.

# %%
counter = []
for m in widths:
    net_f = mg.nn.DeepNet(1, [m, m], activation="tanh", output_activation=OUTPUT)
    net_g = mg.nn.DeepNet(1, [m, m], activation="tanh")
    H_g = {r["seed"]: r["H"] for r in records[2] if r["m"] == m}  # same seeds (2, m, s), same theta
    for s in range(max(4, n_seeds(m))):
        theta0 = init(2, m, s)
        eig = top_eigen(net_f, theta0)
        g = net_g.output(theta0, x0, backend="numba")
        sig = 1 / (1 + np.exp(-g))
        K = float(np.sum(net_g.output_grad(theta0, x0, backend="numba") ** 2))
        counter.append(dict(m=m, seed=s, Hf=abs(eig.value), converged=eig.converged, K=K, c=sig * (1 - sig) * K,
                            e=sig * H_g[s] if s in H_g else None,
                            remainder=remainder_along(net_f, theta0, eig.vector)))
both = [r for r in counter if r["e"] is not None]

everything = [r for rows in records.values() for r in rows] + counter
lesson.check_true("Lanczos converged for every net", all(r["converged"] for r in everything),
                  f"{sum(r['converged'] for r in everything)}/{len(everything)}")
weyl = max(abs(r["Hf"] - r["c"]) - r["e"] for r in both)
lesson.check_below("Weyl: | ||H_f|| - phi''(g) K | - phi'(g) ||H_g|| <= 0 at every width and init (max)",
                   weyl, 1e-6)
Hf_mean, c_mean, K_mean = per_width(counter, "Hf"), per_width(counter, "c"), per_width(counter, "K")
e_mean = per_width(both, "e")
lesson.say(f"  {OUTPUT} output: ||H_f||     = " + "  ".join(f"{h:7.4f}" for h in Hf_mean))
lesson.say("  O(1) term c = phi''(g) K = " + "  ".join(f"{h:7.4f}" for h in c_mean))
lesson.say("  tangent kernel K(x0, x0) = " + "  ".join(f"{h:7.4f}" for h in K_mean))
lesson.say("  perturbation e = phi' ||H_g|| = " + "  ".join(f"{h:7.4f}" for h in e_mean))
lesson.check_between(f"{OUTPUT} output: slope of log ||H_f(theta0)|| vs log m (stays O(1))",
                     fit_slope(m_arr, Hf_mean), -0.25, 0.25)
lesson.check_between("tangent kernel K(x0, x0) = ||grad g||^2: slope vs log m (converges to the NTK)",
                     fit_slope(m_arr, K_mean), -0.1, 0.1)
lesson.check_below("at the largest width the vanishing part is small: e / c", float(e_mean[-1] / c_mean[-1]), 0.5)
lesson.check_above("at the largest width: ||H_f|| (softplus output) / ||H_g|| (linear output)",
                   float(Hf_mean[-1] / H_mean[2][-1]), 1.0)

# %% [markdown]
# ## 4. The Taylor remainder along the most curved direction
# f(theta0 + R u1) - f_lin(theta0 + R u1) with R = 1 and u1 the top eigenvector of H_f(theta0)
# (the worse of +u1 and -u1), from mg.spectral.Linearization. With a linear output layer
# it shrinks with m like the Hessian; with the softplus output it does not: moving theta
# by R along u1 ~ grad g / ||grad g|| moves g by about R sqrt(K) = O(1), and phi is
# curved on that scale.

# %%
for depth in DEPTHS:
    rem = per_width(records[depth], "remainder")
    lesson.say(f"  depth {depth}, linear output: remainder = " + "  ".join(f"{r:8.3g}" for r in rem))
    lesson.check_between(f"depth {depth}, linear output: slope of the remainder along u1",
                         fit_slope(m_arr, rem), -0.6, -0.5 + delta + 0.1)
rem_f = per_width(counter, "remainder")
lesson.say(f"  {OUTPUT} output: remainder = " + "  ".join(f"{r:8.3g}" for r in rem_f))
lesson.check_between(f"{OUTPUT} output: slope of the remainder along u1 (stays O(1))", fit_slope(m_arr, rem_f),
                     -0.25, 0.25)

# %% [markdown]
# ## 5. Pictures
# Left: ||H_f(theta0)|| against m. With a linear output layer, both depths follow the
# m^{-1/2} line (faint dots: single initializations; lines: their geometric mean). With
# a softplus output layer the norm levels off at the O(1) term phi''(g) K. Right: the
# Taylor remainder at distance R = 1 along the most curved direction, the same story.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6))
colors = {2: "C0", 3: "C1"}
for depth in DEPTHS:
    left.loglog([r["m"] for r in records[depth]], [r["H"] for r in records[depth]], ".", color=colors[depth],
                alpha=0.3)
    left.loglog(m_arr, H_mean[depth], "o-", color=colors[depth], label=f"{depth} hidden layers, linear output")
left.loglog([r["m"] for r in counter], [r["Hf"] for r in counter], ".", color="C3", alpha=0.3)
left.loglog(m_arr, Hf_mean, "s-", color="C3", label=f"2 hidden layers, {OUTPUT} output")
left.loglog(m_arr, c_mean, "--", color="C3", lw=1, label=r"O(1) term $\phi''(g)\,K(x,x)$")
left.loglog(m_arr, H_mean[2][0] * np.sqrt(m_arr[0] / m_arr), "k:", lw=1, label=r"$\propto m^{-1/2}$")
left.set_xlabel("width m (every hidden layer)")
left.set_ylabel(r"$\|H_f(\theta_0)\|$ (spectral norm)")
left.set_title("Hessian norm: shrinks with a linear output, not with a non-linear one")
left.legend(fontsize=8, loc="lower left")

for depth in DEPTHS:
    right.loglog(m_arr, per_width(records[depth], "remainder"), "o-", color=colors[depth],
                 label=f"{depth} hidden layers, linear output")
right.loglog(m_arr, rem_f, "s-", color="C3", label=f"2 hidden layers, {OUTPUT} output")
first = per_width(records[2], "remainder")[0]
right.loglog(m_arr, first * np.sqrt(m_arr[0] / m_arr), "k:", lw=1, label=r"$\propto m^{-1/2}$")
right.set_xlabel("width m (every hidden layer)")
right.set_ylabel(r"$|f - f_{lin}|$ at $\theta_0 + R u_1$, $R = 1$")
right.set_title("Taylor remainder along the most curved direction")
right.legend(fontsize=8, loc="lower left")
lesson.save_figure(fig, "deep")
