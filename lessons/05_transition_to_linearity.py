"""Lesson 5 — transition to linearity of a wide two-layer network.

The slide (Liu, Zhu, Belkin 2020, "On the linearity of large non-linear models: when
and why the tangent kernel is constant", NeurIPS): take

    f(x; theta) = (1 / sqrt(m)) sum_{i=1..m} v_i sigma(w_i x),     theta = (w, v) in R^{2m},

with theta0 ~ N(0, I). Then the Hessian of the OUTPUT with respect to the parameters is
small on a whole ball around the initialization,

    sup_{theta in B(theta0, R)} ||H_f(theta)|| = O~(1 / sqrt(m))      (O~: up to log factors),

so by Taylor's theorem f(theta) - f_lin(theta) = O(R^2 / sqrt(m)): a wide network is a
linear model in theta on that ball ("transition to linearity"), and its tangent kernel
is nearly constant there. Why, in two observations:
  Observation 1 (assembly): f is a scaled sum of sub-models g_i(theta_i) = v_i sigma(w_i x),
    each with its own weights theta_i = (w_i, v_i), so H_f = (1/sqrt m) sum_i H_{g_i}.
  Observation 2 (no shared weights): the cross blocks between different neurons are
    exactly zero, so H_f is block-diagonal and ||H_f|| = (1/sqrt m) max_i ||H_{g_i}||.

Checked here, with numbers measured in this run (each claim beside controls, wrong
variants that must fail the same test):
  1. the compiled closed forms (backend="numba") agree with the engine on a small net;
  2. Observations 1 and 2, both sides computed with mg.hessian on a small net;
  3. ||H_f(theta0)|| by Lanczos equals (1/sqrt m) max_i ||H_{g_i}|| at every width;
  4. ||H_f(theta0)|| ~ m^{-1/2} once the log factor from max_i |v_i| is divided out;
     for ReLU ||H_f|| = |x| / sqrt(m) exactly;
  5. on the whole ball B(theta0, R): sampled points and the exact sup (by Observation 2);
  6. the Taylor remainder in Lagrange (and integral) form, its bound, and its size:
     ~ m^{-1/2} along the most curved direction, ~ m^{-1} along a random one;
  7. the whole spectrum of H_f(theta0) (stochastic Lanczos quadrature) shrinks like
     m^{-1/2}, and its trace matches the closed form.
Whether wider networks also approximate a target better is lesson 8's subject
(universal approximation).

Run it:  python -m lessons 5
"""

# %% [markdown]
# ## 0. Setup
# One input x0 = 1 (d = 1, as on the slide). Widths on a log grid, from 10^2 to 10^5
# (10^4 in quick mode). Every random draw has a seed.

# %%
from lessons.harness import Lesson, loglog_slope  # first: it fixes numpy's BLAS threads before numpy loads

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402

lesson = Lesson(5, "Transition to linearity: the two-layer network")

X0 = np.array([[1.0]])  # one input, shape (n, d) = (1, 1)
x0 = X0[0]  # the same input as a vector (d,)
R = 1.0  # radius of the ball B(theta0, R): a fixed O(1) distance, as in the theorem
widths = lesson.size([100, 316, 1000, 3162, 10000, 31623, 100000], [100, 316, 1000, 3162, 10000])
m_arr = np.array(widths, dtype=float)
LANCZOS = dict(tol=1e-10, max_iter=300)  # tight: the Lanczos value is compared with a closed form


def derivatives(act, z):
    """(sigma'(z), sigma''(z)) written out by hand, independently of the library."""
    if act == "tanh":
        t = np.tanh(z)
        return 1 - t**2, -2 * t * (1 - t**2)
    if act == "softplus":
        s = 1 / (1 + np.exp(-z))
        return s, s * (1 - s)
    if act == "relu":
        return (z > 0).astype(float), np.zeros_like(z)
    raise ValueError(f"no hand-written derivatives for {act!r}")


def submodel_blocks(w, v, act, x=x0[0]):
    """The 2 x 2 Hessians of the sub-models g_i(w_i, v_i) = v_i sigma(w_i x), as arrays:

        H_{g_i} = [[A_i, B_i], [B_i, 0]],  A_i = v_i sigma''(w_i x) x^2,  B_i = sigma'(w_i x) x.
    (d^2 g / dv^2 = 0: g is linear in v.) w, v: shape (m,) each; returns (A, B).
    """
    s1, s2 = derivatives(act, w * x)
    return v * s2 * x**2, s1 * x


def block_norms(A, B):
    """||[[A, B], [B, 0]]||_2 elementwise: the eigenvalues are A/2 +- sqrt(A^2/4 + B^2)."""
    return np.abs(A) / 2 + np.sqrt(A**2 / 4 + B**2)


def closed_norm(net, theta, act):
    """||H_f(theta)|| from Observation 2: (1/sqrt m) max_i ||H_{g_i}||, and the maximizing neuron."""
    W, v = net.unflatten(theta)
    norms = block_norms(*submodel_blocks(W[:, 0], v, act))
    i = int(np.argmax(norms))
    return float(norms[i]) / np.sqrt(net.m), i


# %% [markdown]
# ## 1. The compiled closed forms agree with the engine
# Large widths need the compiled closed forms (backend="numba"). Before trusting them,
# compare with the engine (a Tensor graph differentiated twice) on a small net, for each
# activation used below: the output, its gradient, its Hessian times a vector, and the
# Jacobian. Both compute the same formulas in float64, so only rounding separates them:
# 1e-10 relative leaves room for it and catches any real mistake.
#
# Control: an HVP that drops the sigma'' term (the "first-order only" Hessian, keeping
# only the mixed w-v entries). That it fails shows the comparison sees the term that
# makes tanh and softplus curved.

# %%
rng = np.random.default_rng(0)
worst, worst_first_order = 0.0, 0.0
for act in ("tanh", "softplus", "relu"):
    small = mg.nn.TwoLayerNet(1, 7, activation=act)
    th = small.init(1)
    u = rng.standard_normal(small.num_params)
    X3 = np.array([[0.7], [-1.3], [2.0]])
    engine_hvp = small.output_hvp(th, x0, u, backend="engine")
    pairs = [
        (small.output(th, x0, backend="numba"), small.output(th, x0, backend="engine")),
        (small.output_grad(th, x0, backend="numba"), small.output_grad(th, x0, backend="engine")),
        (small.output_hvp(th, x0, u, backend="numba"), engine_hvp),
        (small.jacobian(th, X3, backend="numba"), small.jacobian(th, X3, backend="engine")),
    ]
    worst = max(worst, max(mg.check.relative_error(a, b) for a, b in pairs))
    W, v = small.unflatten(th)
    _, B = submodel_blocks(W[:, 0], v, act)
    m7 = small.m
    first_order = np.concatenate([B * u[m7:], B * u[:m7]]) / np.sqrt(m7)  # [B u_v, B u_w] / sqrt(m)
    worst_first_order = max(worst_first_order, mg.check.relative_error(first_order, engine_hvp))
lesson.check_below("numba closed forms = engine (output, gradient, HVP, Jacobian; tanh, softplus, relu)",
                   worst, 1e-10, controls={"HVP without the sigma'' term (first-order only)": worst_first_order})

# %% [markdown]
# ## 2. Observations 1 and 2, on a small net with the engine's full Hessian
# f is a sum of one sub-model per neuron, f = (1/sqrt m) sum_i g_i(theta_i) with
# g_i(w_i, v_i) = v_i sigma(w_i x): each g_i is a tiny model with its own two weights.
#
# **Observation 1 (assembly).** Differentiating a sum term by term,
# H_f = (1/sqrt m) sum_i H_{g_i}, where H_{g_i} (2 x 2) sits at neuron i's coordinates of
# a p x p matrix of zeros. Below, mg.hessian computes H_f (p x p, one HVP per column) and
# each H_{g_i} separately (a function of two numbers), and we compare.
#
# **Observation 2 (no shared weights).** Since g_i depends only on theta_i, the cross
# entries d^2 f / d theta_a d theta_b between different neurons are exactly zero (not
# merely small): in the order (w_1, v_1, w_2, v_2, ...) H_f is block-diagonal. The
# eigenvalues of a block-diagonal matrix are those of its blocks, so
# ||H_f|| = (1/sqrt m) max_i ||H_{g_i}||: the norm of ONE sub-model, divided by sqrt(m).
#
# Controls, one per claim: the assembly without the 1/sqrt(m) (a wrong scale); a network
# whose neurons are summed inside a tanh output layer (then they interact, lesson 6's
# counter-example); and the sum of the block norms in place of their maximum (the
# triangle inequality, all one could say without Observation 2).

# %%
m_small = 5
small = mg.nn.TwoLayerNet(1, m_small, activation="tanh")
th_small = small.init(3)
H_full = mg.hessian(lambda t: small.apply(t, X0).sum(), th_small)  # (p, p), p = 2m, order (w, v)
W_small, v_small = small.unflatten(th_small)
H_g = []  # the sub-models' Hessians, each (2, 2), by the engine
for i in range(m_small):
    H_g.append(mg.hessian(lambda t: t[1] * mg.tanh(t[0] * x0[0]), np.array([W_small[i, 0], v_small[i]])))
assembled = np.zeros_like(H_full)
for i in range(m_small):
    coords = [i, m_small + i]  # neuron i's coordinates in theta: w_i, then v_i
    assembled[np.ix_(coords, coords)] += H_g[i]
lesson.say(f"  H_(g_1) by the engine: {np.array2string(H_g[0], precision=4)}")
lesson.check_below("Observation 1: H_f = (1/sqrt m) sum_i H_(g_i) (mg.hessian both sides, m = 5; max rel. error)",
                   mg.check.relative_error(H_full, assembled / np.sqrt(m_small)), 1e-12,
                   controls={"the sum without the 1/sqrt(m)": mg.check.relative_error(H_full, assembled)})
A_small, B_small = submodel_blocks(W_small[:, 0], v_small, "tanh")
hand = np.array([[[a, b], [b, 0.0]] for a, b in zip(A_small, B_small)])
lesson.check_below("the sub-model Hessians H_(g_i) equal the hand formula [[v s''(wx) x^2, s'(wx) x], [s'(wx) x, 0]]",
                   mg.check.relative_error(np.array(H_g), hand), 1e-12,
                   controls={"the formula without the sigma'' entry": mg.check.relative_error(
                       np.array(H_g), hand * np.array([[0.0, 1.0], [1.0, 1.0]]))})

order = np.ravel([[i, m_small + i] for i in range(m_small)])  # (w_1, v_1, w_2, v_2, ...)
in_block = np.kron(np.eye(m_small), np.ones((2, 2))).astype(bool)


def off_block_max(H):
    """The largest |entry| of H (in the order (w, v)) between two different neurons."""
    return float(np.max(np.abs(H[np.ix_(order, order)][~in_block])))


coupled = mg.nn.DeepNet(1, [m_small], activation="tanh", output_activation="tanh")  # same theta layout (W, v)
H_coupled = mg.hessian(lambda t: coupled.apply(t, X0).sum(), th_small)
lesson.say(f"  H_f for m = {m_small}, in the order (w_1, v_1, w_2, v_2, ...):")
lesson.say(np.array2string(H_full[np.ix_(order, order)], precision=3, suppress_small=True, max_line_width=120))
off, off_coupled = off_block_max(H_full), off_block_max(H_coupled)
lesson.check_true("Observation 2: entries between different neurons are exactly 0 (mg.hessian, m = 5)",
                  off == 0.0, f"max |cross entry| = {off:.3g}",
                  controls={"neurons summed inside a tanh output layer": (off_coupled == 0.0,
                                                                         f"max |cross entry| = {off_coupled:.3g}")})
norm_f = float(np.max(np.abs(np.linalg.eigvalsh(H_full))))
norm_g = np.array([np.max(np.abs(np.linalg.eigvalsh(h))) for h in H_g])
lesson.say(f"  ||H_f|| = {norm_f:.6f};  ||H_(g_i)|| / sqrt(m) = "
           + ", ".join(f"{n / np.sqrt(m_small):.6f}" for n in norm_g))
lesson.check_below("Observation 2: ||H_f|| = (1/sqrt m) max_i ||H_(g_i)|| (m = 5, eigvalsh; relative error)",
                   abs(norm_f - norm_g.max() / np.sqrt(m_small)) / norm_f, 1e-12,
                   controls={"(1/sqrt m) sum_i ||H_(g_i)|| (triangle inequality)":
                             abs(norm_f - norm_g.sum() / np.sqrt(m_small)) / norm_f})

# %% [markdown]
# ## 3. ||H_f(theta0)|| at every width: Lanczos against Observation 2
# At large m the p x p Hessian (p = 2m) is never formed. **Lanczos** needs only
# Hessian-vector products: from a random unit vector q_1 it builds an orthonormal basis
# q_1, ..., q_k of the Krylov space span{q_1, H q_1, ..., H^(k-1) q_1}, one HVP per step.
# In that basis H is a small k x k tridiagonal matrix T_k = Q^T H Q, and the extreme
# eigenvalues of T_k (the "Ritz values") converge to the extreme eigenvalues of H in a
# few dozen steps, far faster than power iteration. mg.spectral.lanczos stops when the
# residual ||H u - lambda u|| of its estimate is below 1e-10 |lambda|, which puts an
# eigenvalue of H within that distance.
#
# Independently, Observation 2 gives ||H_f|| = (1/sqrt m) max_i ||H_(g_i)|| in closed form.
# They must agree (1e-8 relative leaves room for the Lanczos tolerance). Control: the
# closed form without the sigma'' entry (first-order only), for tanh and softplus.
#
# By Observation 2 the top eigenvector u1 should live on ONE neuron, the one with the
# largest block: we measure the fraction of ||u1||^2 on its largest neuron block
# (w_i, v_i). Controls: a random unit vector (its mass spreads over all m neurons), and
# ReLU, whose active neurons all have the same block [[0, x], [x, 0]] / sqrt(m), so its
# top eigenvalue is shared by all of them and u1 is spread out.

# %%
def top_eigen(net, theta, x=x0, **options):
    """Largest-magnitude eigenpair of H_f(theta) at input x, by Lanczos on the compiled HVP."""
    return mg.spectral.lanczos(lambda u: net.output_hvp(theta, x, u, backend="numba"), net.num_params,
                               **{"seed": 0, **LANCZOS, **options})


def top_block_fraction(vector, m):
    """The fraction of ||vector||^2 on the neuron block (w_i, v_i) that holds the most of it."""
    return float(np.max(vector[:m] ** 2 + vector[m:] ** 2) / np.sum(vector**2))


sweep = {}
for act in ("tanh", "softplus", "relu"):
    rows = []
    for k, m in enumerate(widths):
        lesson.progress(f"{act}, width {m}")
        net = mg.nn.TwoLayerNet(1, m, activation=act)
        theta0 = net.init(1000 + k)
        eig = top_eigen(net, theta0)
        W, v = net.unflatten(theta0)
        closed, neuron = closed_norm(net, theta0, act)
        _, B = submodel_blocks(W[:, 0], v, act)
        rows.append(dict(m=m, net=net, theta0=theta0, lanczos=abs(eig.value), vector=eig.vector,
                         converged=eig.converged, closed=closed, neuron=neuron,
                         first_order=float(np.abs(B).max()) / np.sqrt(m),
                         vmax=float(np.abs(v).max()), fraction=top_block_fraction(eig.vector, m),
                         short=top_eigen(net, theta0, max_iter=3).converged))
    sweep[act] = rows
    lesson.say(f"  {act:8s} m:            " + "  ".join(f"{r['m']:9d}" for r in rows))
    lesson.say(f"  {act:8s} ||H_f||:      " + "  ".join(f"{r['lanczos']:9.3g}" for r in rows))
    lesson.say(f"  {act:8s} sqrt(m)||H_f||: " + "  ".join(f"{r['lanczos'] * np.sqrt(r['m']):7.3f}" for r in rows))
    lesson.say(f"  {act:8s} u1 on 1 neuron: " + "  ".join(f"{r['fraction']:7.3f}" for r in rows))

all_rows = [r for rows in sweep.values() for r in rows]
curved = sweep["tanh"] + sweep["softplus"]
lesson.check_true("Lanczos converged at every width and activation",
                  all(r["converged"] for r in all_rows), f"{sum(r['converged'] for r in all_rows)}/{len(all_rows)}",
                  controls={"Lanczos stopped after 3 steps": (all(r["short"] for r in all_rows),
                                                              f"{sum(r['short'] for r in all_rows)}/{len(all_rows)}")})
lesson.check_below("Lanczos ||H_f(theta0)|| = (1/sqrt m) max_i ||H_(g_i)|| (max rel. error over widths, activations)",
                   max(abs(r["lanczos"] - r["closed"]) / r["closed"] for r in all_rows), 1e-8,
                   controls={"closed form without the sigma'' entry (tanh, softplus)":
                             max(abs(r["lanczos"] - r["first_order"]) / r["lanczos"] for r in curved)})
random_fraction = top_block_fraction(np.random.default_rng(5).standard_normal(2 * widths[0]), widths[0])
lesson.check_above("u1 lives on one neuron: fraction of ||u1||^2 on its largest block (tanh, softplus; min over m)",
                   min(r["fraction"] for r in curved), 0.99,
                   controls={f"a random unit vector, m = {widths[0]}": random_fraction,
                             "relu (all active blocks equal; max over m)": max(r["fraction"] for r in sweep["relu"])})

# %% [markdown]
# ## 4. The slope, and the log factor
# What sets the size? sqrt(m) ||H_f|| = max_i ||H_(g_i)||, and ||H_(g_i)|| is at most
# beta(|v_i|) with beta(V) = V S2 x^2 / 2 + sqrt((V S2 x^2 / 2)^2 + (S1 x)^2), S1 = sup|sigma'|,
# S2 = sup|sigma''| (the norm formula of section 2 with |A_i| <= V S2 x^2, |B_i| <= S1 |x|).
# So ||H_f|| <= beta(max_i |v_i|) / sqrt(m): the 1/sqrt(m) is the slide's claim, and the
# largest of m Gaussian |v_i| grows like sqrt(2 log(2m)) (extreme-value theory: m
# samples of |N(0, 1)| have the tail of 2m samples of N(0, 1)): that is the "up to log
# factors". So the raw log-log slope of ||H_f|| against m sits a little above -1/2, and
# dividing by beta(max_i |v_i|) removes the log factor: that slope must be -1/2.
#
# The band [-0.6, -0.4] rejects the wrong exponents -1/3 and -2/3. It must hold the
# scatter of a fitted slope from one random draw per width: the run measures that
# scatter over fresh draws with the closed form (cheap) and prints it. Controls, measured
# on the same draws: the standard parametrization without the 1/sqrt(m) (f_SP = sqrt(m) f,
# so H_SP = sqrt(m) H_f: the Hessian does not shrink), an output scaled by m^(-1/3), and
# the mean-field scaling 1/m.

# %%
SUP = {"tanh": (1.0, 4 / (3 * np.sqrt(3))), "softplus": (1.0, 0.25)}  # (sup|sigma'|, sup|sigma''|)
BAND = (-0.6, -0.4)
N_DRAWS = 40  # fresh draws for the scatter of the slope


def beta(V, act):
    """The bound on ||H_(g_i)|| for a neuron with |v_i| <= V (see the text)."""
    s1, s2 = SUP[act]
    half = V * s2 * x0[0] ** 2 / 2
    return half + np.sqrt(half**2 + (s1 * x0[0]) ** 2)


def corrected_slope_scatter(act, draws):
    """Mean and standard deviation of the log-factor-corrected slope over fresh draws (closed form)."""
    slopes = []
    for s in range(draws):
        values = []
        for k, m in enumerate(widths):
            theta = np.random.default_rng(10_000 + 100 * s + k).standard_normal(2 * m)
            norms = block_norms(*submodel_blocks(theta[:m], theta[m:], act))
            values.append(norms.max() / np.sqrt(m) / beta(np.abs(theta[m:]).max(), act))
        slopes.append(loglog_slope(m_arr, values))
    return float(np.mean(slopes)), float(np.std(slopes))


for act in ("tanh", "softplus"):
    H0 = np.array([r["lanczos"] for r in sweep[act]])
    corrected = H0 / beta(np.array([r["vmax"] for r in sweep[act]]), act)
    mean, sd = corrected_slope_scatter(act, N_DRAWS)
    lesson.say(f"  {act}: raw slope of ||H_f(theta0)|| = {loglog_slope(m_arr, H0):.3f}; corrected slope over "
               f"{N_DRAWS} fresh draws: mean {mean:.3f}, standard deviation {sd:.3f}")
    lesson.say(f"  {act}: sqrt(m) ||H_f|| / beta(max|v_i|) = " + "  ".join(f"{r:5.3f}" for r in corrected * np.sqrt(m_arr)))
    lesson.check_between(f"{act}: slope of log (||H_f|| / beta(max_i |v_i|)) vs log m (log factor removed)",
                         loglog_slope(m_arr, corrected), *BAND,
                         controls={"no 1/sqrt(m) (standard parametrization)": loglog_slope(m_arr, corrected * np.sqrt(m_arr)),
                                   "output scaled by m^(-1/3)": loglog_slope(m_arr, corrected * m_arr ** (1 / 6)),
                                   "output scaled by 1/m (mean field)": loglog_slope(m_arr, corrected / np.sqrt(m_arr))})
    lesson.check_below(f"{act}: sqrt(m) ||H_f|| <= beta(max_i |v_i|) at every width (max ratio)",
                       float(np.max(corrected * np.sqrt(m_arr))), 1.0 + 1e-12,
                       controls={"no 1/sqrt(m) (standard parametrization)": float(np.max(corrected * m_arr))})

# The log factor: max_i |v_i| against sqrt(2 log(2m)). Below it by a correction of order
# log log m / sqrt(log m), and it fluctuates by order 1 / sqrt(log m): the band allows that.
# Control: output weights drawn uniform on [-sqrt 3, sqrt 3] (the same variance, but
# bounded): no log factor, so the ratio falls below the band.
vmax = np.array([r["vmax"] for r in sweep["tanh"]])
ratio = vmax / np.sqrt(2 * np.log(2 * m_arr))
uniform = np.array([np.abs(np.random.default_rng(4000 + k).uniform(-np.sqrt(3), np.sqrt(3), m)).max()
                    for k, m in enumerate(widths)]) / np.sqrt(2 * np.log(2 * m_arr))
lesson.say("  max_i |v_i| / sqrt(2 log(2m)): " + "  ".join(f"{r:5.3f}" for r in ratio))
for what, pick in (("min", np.min), ("max", np.max)):
    lesson.check_between(f"the log factor: max_i |v_i| / sqrt(2 log(2m)) stays O(1) ({what} over widths)",
                         float(pick(ratio)), 0.65, 1.25, controls={"bounded (uniform) v_i": float(pick(uniform))})

# ReLU: sigma'' = 0 away from the kink, so A_i = 0 and each active neuron's block is
# [[0, x], [x, 0]] with eigenvalues +-|x|; some neuron is active (all m inactive has
# probability 2^-m), so ||H_f|| = |x| / sqrt(m) exactly: no log factor, slope exactly -1/2.
relu_H = np.array([r["lanczos"] for r in sweep["relu"]])
tanh_H = np.array([r["lanczos"] for r in sweep["tanh"]])
exact = abs(x0[0]) / np.sqrt(m_arr)
lesson.check_below("relu: ||H_f|| = |x| / sqrt(m) exactly (max relative error over widths)",
                   float(np.max(np.abs(relu_H / exact - 1))), 1e-8,
                   controls={"no 1/sqrt(m) (standard parametrization)": float(np.max(np.abs(relu_H * np.sqrt(m_arr) / exact - 1))),
                             "tanh in place of relu": float(np.max(np.abs(tanh_H / exact - 1)))})
lesson.check_below("relu: |slope + 1/2| (exactly -1/2, no log factor)", abs(loglog_slope(m_arr, relu_H) + 0.5), 1e-6,
                   controls={"no 1/sqrt(m) (standard parametrization)": abs(loglog_slope(m_arr, relu_H * np.sqrt(m_arr)) + 0.5),
                             "tanh in place of relu": abs(loglog_slope(m_arr, tanh_H) + 0.5)})

# %% [markdown]
# ## 5. The Hessian on the whole ball B(theta0, R), not only at theta0
# The theorem bounds sup over the ball. Two ways to look at it:
# * **Sampled points**, ||H_f|| by Lanczos at each: theta0 +- R u1 and theta0 +- (R/2) u1
#   along the most curved direction, and theta0 + R u for random unit directions u.
#   Samples can only show the sup from below.
# * **The sup itself, by Observation 2.** ||H_f(theta)|| = (1/sqrt m) max_i ||H_(g_i)(theta_i)||
#   and block i depends only on theta_i = (w_i, v_i). So the sup over the ball puts the
#   whole budget R on one neuron: sup = (1/sqrt m) max_i max_{|delta_i| <= R} ||H_(g_i)(theta_i + delta_i)||,
#   a 2-D search per neuron (a polar grid on the disc of radius R; only neurons whose
#   bound beta(|v_i| + R) can beat ||H_f(theta0)|| need searching). Lanczos at the best grid
#   point checks the closed form there (control: the closed form at theta0, as if the
#   point had not moved).
# Inside the ball every |v_i| is at most |v_i(theta0)| + R, so the block bound of section 4
# gives sup_ball ||H_f|| <= beta(max_i |v_i| + R) / sqrt(m): check it (control: the
# standard parametrization), and check that the sup, divided by that bound's log factor,
# still has slope -1/2 (controls: the wrong scalings of section 4).

# %%
ball_widths = lesson.size(widths[:5], widths[:4])  # Lanczos at many points: the smaller widths
N_RANDOM = 4  # random directions sampled per width
radii = np.linspace(0, R, 17)[1:, None]  # polar grid on the disc |delta_i| <= R, as (radius, angle)
angles = np.linspace(0, 2 * np.pi, 128, endpoint=False)[None, :]
grid_dw, grid_dv = (radii * np.cos(angles)).ravel(), (radii * np.sin(angles)).ravel()


def ball_sup(net, theta0, act="tanh"):
    """sup over B(theta0, R) of ||H_f|| by Observation 2 (grid search per neuron): (value, maximizer)."""
    W, v = net.unflatten(theta0)
    w = W[:, 0]
    at_theta0 = closed_norm(net, theta0, act)[0] * np.sqrt(net.m)
    candidates = np.flatnonzero(beta(np.abs(v) + R, act) >= at_theta0)
    best, where = at_theta0, (int(np.argmax(block_norms(*submodel_blocks(w, v, act)))), 0.0, 0.0)
    for i in candidates:
        norms = block_norms(*submodel_blocks(w[i] + grid_dw, v[i] + grid_dv, act))
        j = int(np.argmax(norms))
        if norms[j] > best:
            best, where = float(norms[j]), (int(i), grid_dw[j], grid_dv[j])
    i, dw, dv = where
    theta_star = theta0.copy()
    theta_star[i] += dw  # w_i (W is stored first, d = 1)
    theta_star[net.m + i] += dv  # v_i
    return best / np.sqrt(net.m), theta_star


ball = []
for k, row in enumerate(sweep["tanh"]):
    net, theta0, m = row["net"], row["theta0"], row["m"]
    lesson.progress(f"ball, width {m}")
    sup, theta_star = ball_sup(net, theta0)
    entry = dict(m=m, H0=row["lanczos"], sup=sup, bound=beta(row["vmax"] + R, "tanh") / np.sqrt(m))
    if m in ball_widths:
        draw = np.random.default_rng(2000 + k)
        points = [theta0 + t * R * row["vector"] for t in (-1.0, -0.5, 0.5, 1.0)]
        for _ in range(N_RANDOM):
            u = draw.standard_normal(net.num_params)
            points.append(theta0 + R * u / np.linalg.norm(u))
        entry["sampled"] = max(abs(top_eigen(net, point).value) for point in points)
        entry["at_star"] = abs(top_eigen(net, theta_star).value)
    ball.append(entry)
sup_arr = np.array([e["sup"] for e in ball])
bound_arr = np.array([e["bound"] for e in ball])
checked = [e for e in ball if "sampled" in e]
lesson.say("  m:                          " + "  ".join(f"{e['m']:8d}" for e in ball))
lesson.say("  ||H_f(theta0)||:            " + "  ".join(f"{e['H0']:8.3g}" for e in ball))
lesson.say("  max over sampled points:    " + "  ".join(f"{e['sampled']:8.3g}" for e in checked))
lesson.say("  sup over the ball (grid):   " + "  ".join(f"{e['sup']:8.3g}" for e in ball))
lesson.say("  bound beta(max|v|+R)/sqrt m: " + "  ".join(f"{e['bound']:8.3g}" for e in ball))
lesson.check_below("Lanczos at the grid maximizer = closed form there (max relative error)",
                   max(abs(e["at_star"] - e["sup"]) / e["sup"] for e in checked), 1e-8,
                   controls={"closed form at theta0 (not moved)": max(abs(e["at_star"] - e["H0"]) / e["sup"] for e in checked)})
lesson.check_below("tanh: sup over B(theta0, R) <= beta(max|v|+R)/sqrt(m) (max ratio over widths)",
                   float(np.max(sup_arr / bound_arr)), 1.0,
                   controls={"no 1/sqrt(m) (standard parametrization)": float(np.max(sup_arr * np.sqrt(m_arr) / bound_arr))})
ball_corrected = sup_arr / beta(np.array([r["vmax"] for r in sweep["tanh"]]) + R, "tanh")
lesson.check_between("tanh: slope of log (sup_ball ||H_f|| / beta(max|v|+R)) vs log m", loglog_slope(m_arr, ball_corrected), *BAND,
                     controls={"no 1/sqrt(m) (standard parametrization)": loglog_slope(m_arr, ball_corrected * np.sqrt(m_arr)),
                               "output scaled by m^(-1/3)": loglog_slope(m_arr, ball_corrected * m_arr ** (1 / 6))})

# %% [markdown]
# ## 6. The Taylor remainder, in Lagrange form
# Write d = theta - theta0 and f_lin(theta) = f(theta0) + grad f(theta0) . d (the linear
# model, mg.spectral.Linearization). Taylor's theorem with the Lagrange remainder says
#
#     f(theta) = f(theta0) + grad f(theta0) . d + (1/2) d^T H_f(xi) d,   xi on the segment [theta0, theta].
#
# We do not know xi, but we can watch it exist: q(t) = (1/2) d^T H_f(theta0 + t d) d is
# continuous in t, and the remainder r = f(theta) - f_lin(theta) must lie between the
# smallest and largest q along the segment (sampled at many t by the HVP). The reason is
# the integral form r = int_0^1 (1 - t) d^T H_f(theta0 + t d) d dt: r is an average of
# q(t) with the weights 2 (1 - t), which integrate to 1. We check the integral form too
# (Gauss-Legendre quadrature in t, accurate to rounding for this smooth integrand).
# Controls: for the Lagrange form, the remainder of the zeroth-order model f(theta) -
# f(theta0) (the gradient term dropped) and the form without the 1/2; for the integral,
# the weight (1 - t) dropped and the Hessian frozen at theta0 (a quadratic model).
#
# Since every point of the segment is in the ball, |r| <= (1/2) R^2 sup_ball ||H_f|| <=
# (1/2) R^2 beta(max|v| + R) / sqrt(m). Controls: the same bound with 1/m in place of
# 1/sqrt(m), and the bound of a Hessian without its sigma'' entries (first-order only,
# (1/2) R^2 max_i |B_i| / sqrt(m)): the remainder comes from exactly that curvature.
#
# How big is r? Along the top eigenvector u1 (worst case) it is about (1/2) R^2 ||H_f||:
# it shrinks like m^{-1/2} with the same log factor. Along a random unit direction u the
# quadratic term is (1/2) R^2 u^T H u = (1/2) R^2 sum_i u_(i)^T H_i u_(i) (block-diagonal):
# m terms of size m^{-1/2} * (1/m) (each u_(i) has squared norm ~ 2/p = 1/m) with random
# signs, so the sum is ~ sqrt(m) * m^{-3/2} = m^{-1}. A random direction sees the average
# curvature, which cancels; only u1 sees the worst neuron. We take the root mean square
# over random directions (single values have random sign and size), and the worse of +u1
# and -u1. Controls for the slope of the random-direction remainder: the u1 remainder,
# and the standard parametrization.

# %%
N_DIRECTIONS = 8
T_GRID = np.linspace(0.0, 1.0, 17)  # where q(t) is sampled for the Lagrange form
gauss_t, gauss_w = np.polynomial.legendre.leggauss(12)
gauss_t, gauss_w = (gauss_t + 1) / 2, gauss_w / 2  # nodes and weights on [0, 1]


def quadratic_along(net, theta0, d, ts):
    """(1/2) d^T H_f(theta0 + t d) d for each t in ts, by the compiled HVP."""
    return np.array([0.5 * d @ net.output_hvp(theta0 + t * d, x0, d, backend="numba") for t in ts])


taylor = []
for k, row in enumerate(sweep["tanh"]):
    net, theta0, m = row["net"], row["theta0"], row["m"]
    lesson.progress(f"Taylor remainder, width {m}")
    lin = mg.spectral.Linearization(net.apply, theta0, X0, J0=net.jacobian(theta0, X0, backend="numba"))
    f0 = net.output(theta0, x0, backend="numba")
    draw = np.random.default_rng(3000 + k)
    tops = [s * R * row["vector"] for s in (1.0, -1.0)]
    top = max(tops, key=lambda d: abs(lin.remainder(theta0 + d)[0]))
    randoms = [R * u / np.linalg.norm(u) for u in draw.standard_normal((N_DIRECTIONS, net.num_params))]
    entry = dict(m=m, top=abs(lin.remainder(theta0 + top)[0]),
                 rand=float(np.sqrt(np.mean([lin.remainder(theta0 + d)[0] ** 2 for d in randoms]))),
                 lagrange=[], integral=[])
    for name, d in (("u1", top), ("random", randoms[0])):
        r = lin.remainder(theta0 + d)[0]
        q = quadratic_along(net, theta0, d, T_GRID)
        q_gauss = quadratic_along(net, theta0, d, gauss_t)
        entry["lagrange"].append(dict(direction=name, r=r, q=q, zeroth=net.output(theta0 + d, x0, backend="numba") - f0))
        entry["integral"].append(dict(r=r, weighted=float(gauss_w @ (2 * (1 - gauss_t) * q_gauss)),
                                      unweighted=float(gauss_w @ (2 * q_gauss)), frozen=q[0]))
    taylor.append(entry)

top_rem = np.array([e["top"] for e in taylor])
rand_rem = np.array([e["rand"] for e in taylor])
lesson.say("  |remainder| along u1:       " + "  ".join(f"{r:9.3g}" for r in top_rem))
lesson.say(f"  rms remainder, {N_DIRECTIONS} random u: " + "  ".join(f"{r:9.3g}" for r in rand_rem))

cases = [c for e in taylor for c in e["lagrange"]]


def between(value, q):
    return bool(q.min() <= value <= q.max())


lesson.check_true("Lagrange form: r lies between min_t and max_t of (1/2) d^T H_f(theta0 + t d) d (every width, u1 and random d)",
                  all(between(c["r"], c["q"]) for c in cases), f"{sum(between(c['r'], c['q']) for c in cases)}/{len(cases)}",
                  controls={"zeroth-order remainder f(theta) - f(theta0)": (
                      all(between(c["zeroth"], c["q"]) for c in cases), f"{sum(between(c['zeroth'], c['q']) for c in cases)}/{len(cases)}"),
                            "without the 1/2": (all(between(c["r"], 2 * c["q"]) for c in cases),
                                                f"{sum(between(c['r'], 2 * c['q']) for c in cases)}/{len(cases)}")})
integrals = [c for e in taylor for c in e["integral"]]
lesson.check_below("integral form: r = int_0^1 (1-t) d^T H_f(theta0 + t d) d dt (max relative error)",
                   max(abs(c["r"] - c["weighted"]) / abs(c["r"]) for c in integrals), 1e-8,
                   controls={"weight (1 - t) dropped": max(abs(c["r"] - c["unweighted"]) / abs(c["r"]) for c in integrals),
                             "Hessian frozen at theta0": max(abs(c["r"] - c["frozen"]) / abs(c["r"]) for c in integrals)})
worst_r = np.array([max(abs(c["r"]) for c in e["lagrange"]) for e in taylor])
first_order = np.array([r["first_order"] for r in sweep["tanh"]])  # (1/sqrt m) max_i |B_i| at theta0
half_R2 = 0.5 * R**2
lesson.check_below("|r| <= (1/2) R^2 beta(max|v|+R)/sqrt(m) (Taylor bound over the ball; max ratio)",
                   float(np.max(worst_r / (half_R2 * bound_arr))), 1.0,
                   controls={"1/m in place of 1/sqrt(m)": float(np.max(worst_r / (half_R2 * bound_arr / np.sqrt(m_arr)))),
                             "first-order-only Hessian (no sigma'')": float(np.max(worst_r / (half_R2 * first_order)))})
top_corrected = top_rem / beta(np.array([r["vmax"] for r in sweep["tanh"]]) + R, "tanh")
lesson.check_between("slope of log (remainder along u1 / beta(max|v|+R)) vs log m (~ -1/2)",
                     loglog_slope(m_arr, top_corrected), *BAND,
                     controls={"no 1/sqrt(m) (standard parametrization)": loglog_slope(m_arr, top_corrected * np.sqrt(m_arr)),
                               "output scaled by m^(-1/3)": loglog_slope(m_arr, top_corrected * m_arr ** (1 / 6))})
# -1 +- 0.2: the rms of N_DIRECTIONS random values fluctuates by about 1/sqrt(2 N_DIRECTIONS)
# (a quarter for 8) in log at each width; fitted over >= 2 decades of m, that moves the slope by
# about a quarter / (the spread of log m), well inside 0.2.
lesson.check_between("slope of the rms remainder along random directions (~ -1: curvature averages out)",
                     loglog_slope(m_arr, rand_rem), -1.2, -0.8,
                     controls={"along u1 instead": loglog_slope(m_arr, top_rem),
                               "no 1/sqrt(m) (standard parametrization)": loglog_slope(m_arr, rand_rem * np.sqrt(m_arr))})
