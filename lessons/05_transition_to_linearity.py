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
# One input x0 = 1.5 (d = 1, as on the slide; not 1, so that a wrong power of x in a
# formula below would show). Widths on a log grid, from 10^2 to 10^5 (10^4 in quick
# mode). Every random draw has a seed.

# %%
from lessons.harness import Lesson, loglog_slope  # first: it fixes numpy's BLAS threads before numpy loads

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import minigrad as mg  # noqa: E402

lesson = Lesson(5, "Transition to linearity: the two-layer network")

X0 = np.array([[1.5]])  # one input, shape (n, d) = (1, 1)
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
    hvp_first_order = np.concatenate([B * u[m7:], B * u[:m7]]) / np.sqrt(m7)  # [B u_v, B u_w] / sqrt(m)
    worst_first_order = max(worst_first_order, mg.check.relative_error(hvp_first_order, engine_hvp))
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
# Controls, one per claim: the assembly without the 1/sqrt(m) (a wrong scale); the hand
# formula for H_(g_i) (below) without its sigma'' entry; a network whose neurons are summed
# inside a tanh output layer (then they interact, lesson 6's counter-example); and the sum
# of the block norms in place of their maximum (the triangle inequality, all one could say
# without Observation 2).

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
# eigenvalues of T_k (the "Ritz values") converge to the extreme eigenvalues of H after
# far fewer steps than p (the run prints how many), much faster than power iteration,
# because the Krylov space holds the best polynomial filters in H of each degree.
# mg.spectral.lanczos stops when the residual ||H u - lambda u|| of its estimate is below
# 1e-10 |lambda|, which puts an eigenvalue of H within that distance.
#
# Independently, Observation 2 gives ||H_f|| = (1/sqrt m) max_i ||H_(g_i)|| in closed form.
# They must agree (1e-8 relative leaves room for the Lanczos tolerance). Control: the
# closed form without the sigma'' entry (first-order only), for tanh and softplus. And
# Lanczos must report convergence; control: the same run cut off after 3 steps must not.
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
                         converged=eig.converged, steps=eig.iterations, closed=closed, neuron=neuron,
                         first_order=float(np.abs(B).max()) / np.sqrt(m),
                         vmax=float(np.abs(v).max()), fraction=top_block_fraction(eig.vector, m),
                         u1_neuron=int(np.argmax(eig.vector[:m] ** 2 + eig.vector[m:] ** 2)),
                         short=top_eigen(net, theta0, max_iter=3).converged))
    sweep[act] = rows
    lesson.say(f"  {act:8s} m:            " + "  ".join(f"{r['m']:9d}" for r in rows))
    lesson.say(f"  {act:8s} ||H_f||:      " + "  ".join(f"{r['lanczos']:9.3g}" for r in rows))
    lesson.say(f"  {act:8s} sqrt(m)||H_f||: " + "  ".join(f"{r['lanczos'] * np.sqrt(r['m']):7.3f}" for r in rows))
    lesson.say(f"  {act:8s} u1 on 1 neuron: " + "  ".join(f"{r['fraction']:7.3f}" for r in rows))
    lesson.say(f"  {act:8s} Lanczos steps:  " + "  ".join(f"{r['steps']:7d}" for r in rows)
               + f"   (p = 2m = {2 * widths[0]} .. {2 * widths[-1]})")

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
same = sum(r["u1_neuron"] == r["neuron"] for r in curved)
lesson.say(f"  tanh, softplus: u1's largest block is the neuron with the largest ||H_(g_i)||: {same}/{len(curved)}")
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
SP = "no 1/sqrt(m) (standard parametrization)"
# Wrong output scalings m^(-1/2 + shift): such a net is m^shift times ours, and so is its Hessian.
WRONG_SCALES = {SP: 0.5, "output scaled by m^(-1/3)": 1 / 6, "output scaled by 1/m (mean field)": -0.5}


def wrong_scale_slopes(m, y, names=tuple(WRONG_SCALES)):
    """Controls for a slope test: the slope of y measured on nets with the wrong output scalings."""
    return {name: loglog_slope(m, y * np.asarray(m) ** WRONG_SCALES[name]) for name in names}


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
    lesson.say(f"  {act}: sqrt(m) ||H_f|| / beta(max|v_i|) = "
               + "  ".join(f"{r:5.3f}" for r in corrected * np.sqrt(m_arr)))
    lesson.check_between(f"{act}: slope of log (||H_f|| / beta(max_i |v_i|)) vs log m (log factor removed)",
                         loglog_slope(m_arr, corrected), *BAND, controls=wrong_scale_slopes(m_arr, corrected))
    lesson.check_below(f"{act}: sqrt(m) ||H_f|| <= beta(max_i |v_i|) at every width (max ratio)",
                       float(np.max(corrected * np.sqrt(m_arr))), 1.0 + 1e-12,
                       controls={SP: float(np.max(corrected * m_arr))})

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
# Controls: the standard parametrization, and tanh's norms in place of ReLU's (sigma'' and
# the log factor make them differ from |x| / sqrt(m)).
relu_H = np.array([r["lanczos"] for r in sweep["relu"]])
tanh_H = np.array([r["lanczos"] for r in sweep["tanh"]])
exact = abs(x0[0]) / np.sqrt(m_arr)
lesson.check_below("relu: ||H_f|| = |x| / sqrt(m) exactly (max relative error over widths)",
                   float(np.max(np.abs(relu_H / exact - 1))), 1e-8,
                   controls={SP: float(np.max(np.abs(relu_H * np.sqrt(m_arr) / exact - 1))),
                             "tanh in place of relu": float(np.max(np.abs(tanh_H / exact - 1)))})
lesson.check_below("relu: |slope + 1/2| (exactly -1/2, no log factor)", abs(loglog_slope(m_arr, relu_H) + 0.5), 1e-6,
                   controls={SP: abs(loglog_slope(m_arr, relu_H * np.sqrt(m_arr)) + 0.5),
                             "tanh in place of relu": abs(loglog_slope(m_arr, tanh_H) + 0.5)})

# %% [markdown]
# ## 5. The Hessian on the whole ball B(theta0, R), not only at theta0
# The theorem bounds sup over the ball. Two ways to look at it:
# * **Sampled points**, ||H_f|| by Lanczos at each: theta0 +- R u1 and theta0 +- (R/2) u1
#   along the most curved direction, and theta0 + R u for random unit directions u.
#   Samples can only show the sup from below.
# * **The sup itself, by Observation 2.** ||H_f(theta)|| = (1/sqrt m) max_i ||H_(g_i)(theta_i)||
#   and block i depends only on theta_i = (w_i, v_i). So the sup over the ball puts the
#   whole budget R on one neuron:
#   sup = (1/sqrt m) max_i max_{|delta_i| <= R} ||H_(g_i)(theta_i + delta_i)||,
#   a 2-D search per neuron: a fine polar grid on the disc of radius R (so, strictly, a
#   lower estimate of the sup, short of it by at most the grid's resolution); only neurons
#   whose bound beta(|v_i| + R) can beat ||H_f(theta0)|| need searching. Lanczos at the best
#   grid point checks the closed form there (control: the closed form at theta0, as if the
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
                   controls={"closed form at theta0 (not moved)":
                             max(abs(e["at_star"] - e["H0"]) / e["sup"] for e in checked)})
lesson.check_below("tanh: sup over B(theta0, R) <= beta(max|v|+R)/sqrt(m) (max ratio over widths)",
                   float(np.max(sup_arr / bound_arr)), 1.0,
                   controls={SP: float(np.max(sup_arr * np.sqrt(m_arr) / bound_arr))})
ball_corrected = sup_arr / beta(np.array([r["vmax"] for r in sweep["tanh"]]) + R, "tanh")
lesson.check_between("tanh: slope of log (sup_ball ||H_f|| / beta(max|v|+R)) vs log m",
                     loglog_slope(m_arr, ball_corrected), *BAND, controls=wrong_scale_slopes(m_arr, ball_corrected))

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
# 1/sqrt(m), and the bound of a Hessian without its sigma'' entries (first-order only:
# its blocks have norm |B_i| <= S1 |x|, so the bound would be (1/2) R^2 S1 |x| / sqrt(m)):
# the remainder comes from exactly the curvature that sigma'' adds.
#
# How big is r? Along the top eigenvector u1 (worst case) it is about (1/2) R^2 ||H_f||:
# it shrinks like m^{-1/2} with the same log factor. Along a random unit direction u the
# quadratic term is (1/2) R^2 u^T H u = (1/2) R^2 sum_i u_(i)^T H_i u_(i) (block-diagonal):
# m terms of size m^{-1/2} * (1/m) (each u_(i) has squared norm ~ 2/p = 1/m) with random
# signs, so the sum is ~ sqrt(m) * m^{-3/2} = m^{-1}. A random direction sees the average
# curvature, which cancels; only u1 sees the worst neuron. We take the root mean square
# over random directions (single values have random sign and size), and the worse of +u1
# and -u1. The u1 remainder, over the log factor beta(max|v| + R), must have slope -1/2
# (controls: the wrong scalings of section 4); the random-direction one slope -1 (controls:
# the u1 remainder, and the standard parametrization).

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
        zeroth = net.output(theta0 + d, x0, backend="numba") - f0  # the remainder if f_lin were just f(theta0)
        entry["lagrange"].append(dict(direction=name, r=r, q=q, zeroth=zeroth))
        entry["integral"].append(dict(r=r, weighted=float(gauss_w @ (2 * (1 - gauss_t) * q_gauss)),
                                      unweighted=float(gauss_w @ (2 * q_gauss)), frozen=q[0]))
    taylor.append(entry)

top_rem = np.array([e["top"] for e in taylor])
rand_rem = np.array([e["rand"] for e in taylor])
lesson.say("  |remainder| along u1:       " + "  ".join(f"{r:9.3g}" for r in top_rem))
lesson.say(f"  rms remainder, {N_DIRECTIONS} random u: " + "  ".join(f"{r:9.3g}" for r in rand_rem))

cases = [c for e in taylor for c in e["lagrange"]]


def all_between(pairs):
    """(every value lies in [min q, max q], "how many of how many") over (value, q) pairs."""
    inside = [bool(q.min() <= value <= q.max()) for value, q in pairs]
    return all(inside), f"{sum(inside)}/{len(inside)}"


lesson.check_true("Lagrange form: r lies between min_t and max_t of (1/2) d^T H_f(theta0 + t d) d "
                  "(every width, d = R u1 and a random d)",
                  *all_between((c["r"], c["q"]) for c in cases),
                  controls={"zeroth-order remainder f(theta) - f(theta0)":
                            all_between((c["zeroth"], c["q"]) for c in cases),
                            "without the 1/2": all_between((c["r"], 2 * c["q"]) for c in cases)})
integrals = [c for e in taylor for c in e["integral"]]
lesson.check_below("integral form: r = int_0^1 (1-t) d^T H_f(theta0 + t d) d dt (max relative error)",
                   max(abs(c["r"] - c["weighted"]) / abs(c["r"]) for c in integrals), 1e-8,
                   controls={what: max(abs(c["r"] - c[key]) / abs(c["r"]) for c in integrals)
                             for what, key in (("weight (1 - t) dropped", "unweighted"),
                                               ("Hessian frozen at theta0", "frozen"))})
worst_r = np.array([max(abs(c["r"]) for c in e["lagrange"]) for e in taylor])
half_R2 = 0.5 * R**2
first_order_bound = half_R2 * SUP["tanh"][0] * abs(x0[0]) / np.sqrt(m_arr)  # (1/2) R^2 S1 |x| / sqrt(m)
lesson.check_below("|r| <= (1/2) R^2 beta(max|v|+R)/sqrt(m) (Taylor bound over the ball; max ratio)",
                   float(np.max(worst_r / (half_R2 * bound_arr))), 1.0,
                   controls={"1/m in place of 1/sqrt(m)":
                             float(np.max(worst_r * np.sqrt(m_arr) / (half_R2 * bound_arr))),
                             "first-order-only Hessian (no sigma'')": float(np.max(worst_r / first_order_bound))})
top_corrected = top_rem / beta(np.array([r["vmax"] for r in sweep["tanh"]]) + R, "tanh")
lesson.check_between("slope of log (remainder along u1 / beta(max|v|+R)) vs log m (~ -1/2)",
                     loglog_slope(m_arr, top_corrected), *BAND,
                     controls=wrong_scale_slopes(m_arr, top_corrected))
# -1 +- 0.2: the log of an rms of N_DIRECTIONS random values scatters by about
# 1/sqrt(2 N_DIRECTIONS) at each width, so the fitted slope scatters by that divided by
# sqrt(sum_k (log m_k - mean)^2) (least squares): printed here, well inside 0.2.
log_m = np.log(m_arr)
lesson.say(f"  expected scatter of the random-direction slope: "
           f"{1 / np.sqrt(2 * N_DIRECTIONS) / np.sqrt(np.sum((log_m - log_m.mean()) ** 2)):.3f}")
lesson.check_between("slope of the rms remainder along random directions (~ -1: curvature averages out)",
                     loglog_slope(m_arr, rand_rem), -1.2, -0.8,
                     controls={"along u1 instead": loglog_slope(m_arr, top_rem),
                               **wrong_scale_slopes(m_arr, rand_rem, (SP,))})

# %% [markdown]
# ### Pictures of sections 3 to 6
# (a) ||H_f(theta0)|| against m: tanh and softplus bend slightly above a slope of -1/2
# (the log factor), ReLU sits exactly on |x| / sqrt(m); the crosses are the closed form of
# Observation 2. (b) The whole ball, for tanh: the Hessian norm at theta0, the largest at
# the sampled points, the sup found by Observation 2, and the bound. (c) The Lagrange
# form at one width: q(t) = (1/2) d^T H_f(theta0 + t d) d along the segment (d = R u1), the
# remainder r as a horizontal line, and the point xi where q(xi) = r. (d) The remainder
# at distance R against m, with least-squares lines and their fitted slopes.

# %%
def crossing(ts, q, r):
    """The first t where the sampled q(t) crosses the level r (linear interpolation), or None."""
    gaps = q - r
    for j in range(len(ts) - 1):
        if gaps[j] == 0 or gaps[j] * gaps[j + 1] < 0:
            return ts[j] + (ts[j + 1] - ts[j]) * gaps[j] / (gaps[j] - gaps[j + 1])
    return None


def fitted_line(x, y):
    """The least-squares line of log y against log x, evaluated at x, and its slope."""
    slope = loglog_slope(x, y)
    return np.exp(np.mean(np.log(y)) + slope * (np.log(x) - np.mean(np.log(x)))), slope


shown = min(2, len(taylor) - 1)  # the width shown in panel (c)
case = taylor[shown]["lagrange"][0]  # direction u1 at that width
t_xi = crossing(T_GRID, case["q"], case["r"])
lesson.say(f"  Lagrange form at m = {taylor[shown]['m']}, d = R u1: r = {case['r']:.4g}, q(t) ranges over "
           f"[{case['q'].min():.4g}, {case['q'].max():.4g}], q(xi) = r at xi = theta0 + {t_xi:.3f} d")

fig, axes = plt.subplots(2, 2, figsize=(12.5, 9.5))
ax = axes[0, 0]
for act, marker in (("tanh", "o"), ("softplus", "s"), ("relu", "^")):
    ax.loglog(m_arr, [r["lanczos"] for r in sweep[act]], marker + "-", label=f"{act} (Lanczos)")
ax.loglog(m_arr, [r["closed"] for r in sweep["tanh"]], "k+", ms=12, label="tanh, closed form (Observation 2)")
ax.loglog(m_arr, abs(x0[0]) / np.sqrt(m_arr), "k--", lw=1, label=r"$|x|/\sqrt{m}$ (exact for relu)")
ax.set_xlabel("width m")
ax.set_ylabel(r"$\|H_f(\theta_0)\|$ (spectral norm)")
ax.set_title(r"(a) Hessian norm at $\theta_0$")
ax.legend(fontsize=8)

ax = axes[0, 1]
ax.loglog(m_arr, [e["H0"] for e in ball], "o-", label=r"at $\theta_0$")
ax.loglog([e["m"] for e in checked], [e["sampled"] for e in checked], "x", ms=9,
          label="max over sampled points (Lanczos)")
ax.loglog(m_arr, sup_arr, "s-", mfc="none", label="sup over the ball (Observation 2)")
ax.loglog(m_arr, bound_arr, ":", color="gray", label=r"bound $\beta(\max|v|+R)/\sqrt{m}$")
ax.set_xlabel("width m")
ax.set_ylabel(r"$\|H_f(\theta)\|$, tanh")
ax.set_title(rf"(b) on the ball $B(\theta_0, R)$, R = {R:g}")
ax.legend(fontsize=8)

ax = axes[1, 0]
ax.plot(T_GRID, case["q"], "o-", ms=4, label=r"$q(t) = \frac{1}{2} d^T H_f(\theta_0 + t d)\, d$")
ax.axhline(case["r"], color="C3", lw=1.5, label=r"remainder $r = f - f_{lin}$")
if t_xi is not None:
    ax.plot([t_xi], [case["r"]], "*", color="k", ms=14, label=rf"$\xi = \theta_0 + {t_xi:.2f}\, d$")
ax.set_xlabel(r"t along the segment $\theta_0 + t d$,  $d = R u_1$")
ax.set_ylabel("second-order term")
ax.set_title(f"(c) Lagrange form, tanh, m = {taylor[shown]['m']}")
ax.legend(fontsize=8)

ax = axes[1, 1]
line_top, slope_top = fitted_line(m_arr, top_rem)
line_rand, slope_rand = fitted_line(m_arr, rand_rem)
ax.loglog(m_arr, top_rem, "o", color="C0", label=r"along the top eigenvector $u_1$")
ax.loglog(m_arr, line_top, "-", color="C0", lw=1, label=f"fit: slope {slope_top:.2f}")
ax.loglog(m_arr, rand_rem, "s", color="C1", label=f"along random directions (rms of {N_DIRECTIONS})")
ax.loglog(m_arr, line_rand, "-", color="C1", lw=1, label=f"fit: slope {slope_rand:.2f}")
ax.loglog(m_arr, half_R2 * bound_arr, ":", color="gray",
          label=r"Taylor bound $\frac{1}{2}R^2\beta(\max|v|+R)/\sqrt{m}$")
ax.set_xlabel("width m")
ax.set_ylabel(r"$|f(\theta_0+d) - f_{lin}(\theta_0+d)|$,  $\|d\| = R$")
ax.set_title("(d) Taylor remainder at distance R, tanh")
ax.legend(fontsize=8)
fig.tight_layout()
lesson.save_figure(fig, "linearity")

# %% [markdown]
# ## 7. The whole spectrum of H_f(theta0) shrinks with the width
# The top eigenvalue is one number; does the rest of the spectrum shrink too? The
# eigenvalue density comes from HVPs by **stochastic Lanczos quadrature**
# (mg.spectral.spectral_density): a few Lanczos runs of k steps from random +-1 probes;
# each gives k Ritz values (nodes) with weights, whose moments match those of the
# eigenvalues; smoothing the nodes by narrow Gaussians draws the density.
#
# Here the exact spectrum is also known: by Observation 2 the eigenvalues of H_f are those
# of the m blocks, (1/sqrt m) (A_i/2 +- sqrt(A_i^2/4 + B_i^2)). So sqrt(m) lambda has a
# distribution that does not depend on m: the bulk shrinks exactly like m^{-1/2}; only
# its edges (the outliers, set by the largest |v_i|) carry the log factor. Checked:
# * the extreme nodes equal the extreme eigenvalues (closed form); control: k = 4 steps;
# * the width of the spectrum, max |node|, over the log factor, has slope -1/2 (controls:
#   the wrong scalings of section 4);
# * the bulk: the root mean square eigenvalue sqrt(sum_k weight_k node_k^2) has slope -1/2
#   with no log factor at all (a tighter band; controls: the wrong scalings);
# * the trace. tr H_f = sum_i tr H_i = (1/sqrt m) sum_i A_i = (x^2 / sqrt m) sum_i v_i sigma''(w_i x)
#   (the v-v entry of each block is 0). Hutchinson's estimate mg.spectral.hutchinson_trace
#   (the mean of z^T H z over random +-1 vectors z) must agree with it within 4 standard
#   errors. The trace does not shrink: 2m eigenvalues of size m^{-1/2} with random signs
#   add up to O(1). Controls: the trace without the 1/sqrt(m), and the trace of the
#   first-order-only Hessian, which is 0.
# * tr(H_f^2) = ||H_f||_F^2 = (1/m) sum_i (A_i^2 + 2 B_i^2), estimated the same way with the
#   matvec u -> H (H u); controls: the same two wrong variants.

# %%
spec_widths = widths[:5]  # 10^2 .. 10^4
SLQ = dict(k=40, samples=8)
N_TRACE = 400  # probes for tr(H); tr(H^2) needs fewer (its estimate has a much smaller variance)
N_TRACE2 = 20
spectra = []
for k, row in enumerate(sweep["tanh"][: len(spec_widths)]):
    net, theta0, m = row["net"], row["theta0"], row["m"]
    lesson.progress(f"spectrum, width {m}")
    W, v = net.unflatten(theta0)
    A, B = submodel_blocks(W[:, 0], v, "tanh")
    root = np.sqrt(A**2 / 4 + B**2)
    eigenvalues = np.concatenate([A / 2 + root, A / 2 - root]) / np.sqrt(m)  # the exact spectrum, (2m,)

    def hvp(u, net=net, theta0=theta0):
        return net.output_hvp(theta0, x0, u, backend="numba")

    density = mg.spectral.spectral_density(hvp, net.num_params, seed=50 + k, **SLQ)
    short = mg.spectral.spectral_density(hvp, net.num_params, k=4, samples=SLQ["samples"], seed=50 + k)
    trace = mg.spectral.hutchinson_trace(hvp, net.num_params, samples=N_TRACE, seed=60 + k)
    trace2 = mg.spectral.hutchinson_trace(lambda u, hvp=hvp: hvp(hvp(u)), net.num_params, samples=N_TRACE2, seed=70 + k)
    spectra.append(dict(
        m=m, density=density, eigenvalues=eigenvalues, vmax=row["vmax"],
        edges=(density.nodes.min(), density.nodes.max()), short_edges=(short.nodes.min(), short.nodes.max()),
        rms=float(np.sqrt(density.weights @ density.nodes**2)),
        trace=trace, exact_trace=float(A.sum() / np.sqrt(m)),
        trace2=trace2, exact_trace2=float(np.sum(A**2 + 2 * B**2) / m), first_order_trace2=float(np.sum(2 * B**2) / m)))

spec_m = np.array([s["m"] for s in spectra], dtype=float)
lesson.say("  m:                         " + "  ".join(f"{s['m']:9d}" for s in spectra))
lesson.say("  smallest, largest node:    " + "  ".join(f"{s['edges'][0]:.3g},{s['edges'][1]:.3g}" for s in spectra))
lesson.say("  rms eigenvalue (SLQ):      " + "  ".join(f"{s['rms']:9.3g}" for s in spectra))
lesson.say("  sqrt(m) * rms eigenvalue:  " + "  ".join(f"{s['rms'] * np.sqrt(s['m']):9.3f}" for s in spectra))
lesson.say("  tr H_f, Hutchinson (se):   "
           + "  ".join(f"{s['trace'].value:+.3f}({s['trace'].stderr:.3f})" for s in spectra))
lesson.say("  tr H_f, closed form:       " + "  ".join(f"{s['exact_trace']:+9.3f}" for s in spectra))
lesson.say("  tr H_f^2, Hutchinson:      " + "  ".join(f"{s['trace2'].value:9.4f}" for s in spectra))
lesson.say("  tr H_f^2, closed form:     " + "  ".join(f"{s['exact_trace2']:9.4f}" for s in spectra))


def edge_error(edges, s):
    """Relative error of (smallest, largest) nodes against the exact extreme eigenvalues."""
    exact = (s["eigenvalues"].min(), s["eigenvalues"].max())
    return max(abs(a - b) / abs(b) for a, b in zip(edges, exact))


lesson.check_below("SLQ's extreme nodes = the extreme eigenvalues (closed form; max rel. error over widths)",
                   max(edge_error(s["edges"], s) for s in spectra), 1e-6,
                   controls={"only k = 4 Lanczos steps per probe":
                             max(edge_error(s["short_edges"], s) for s in spectra)})
spread = np.array([max(-s["edges"][0], s["edges"][1]) for s in spectra])  # max |node|: the width of the spectrum
spread_corrected = spread / beta(np.array([s["vmax"] for s in spectra]), "tanh")
lesson.check_between("width of the spectrum: slope of log (max|node| / beta(max|v_i|)) vs log m",
                     loglog_slope(spec_m, spread_corrected), *BAND,
                     controls=wrong_scale_slopes(spec_m, spread_corrected))
rms = np.array([s["rms"] for s in spectra])
lesson.check_between("the bulk: slope of log (rms eigenvalue) vs log m (-1/2, no log factor)",
                     loglog_slope(spec_m, rms), -0.55, -0.45,
                     controls=wrong_scale_slopes(spec_m, rms))


def z_score(estimate, exact):
    return abs(estimate.value - exact) / estimate.stderr


lesson.check_below("Hutchinson tr H_f = (x^2/sqrt m) sum_i v_i sigma''(w_i x) (max over widths of |error| / stderr)",
                   max(z_score(s["trace"], s["exact_trace"]) for s in spectra), 4.0,
                   controls={"trace without the 1/sqrt(m)":
                             max(z_score(s["trace"], s["exact_trace"] * np.sqrt(s["m"])) for s in spectra),
                             "first-order-only Hessian (trace 0)": max(z_score(s["trace"], 0.0) for s in spectra)})
lesson.check_below("Hutchinson tr H_f^2 = (1/m) sum_i (A_i^2 + 2 B_i^2) (max over widths of |error| / stderr)",
                   max(z_score(s["trace2"], s["exact_trace2"]) for s in spectra), 4.0,
                   controls={"without the 1/sqrt(m) (m times larger)":
                             max(z_score(s["trace2"], s["exact_trace2"] * s["m"]) for s in spectra),
                             "first-order-only Hessian (no A_i^2)":
                             max(z_score(s["trace2"], s["first_order_trace2"]) for s in spectra)})

# %% [markdown]
# ### Pictures of the spectrum
# (a) The eigenvalue density of H_f(theta0) (SLQ nodes smoothed by Gaussians whose width
# is a fixed fraction of m^{-1/2}), log scale: both the bulk and the tails shrink as m grows.
# (b) The same densities against sqrt(m) lambda: the bulk collapses onto one curve (the
# m-independent distribution of the block eigenvalues; the exact eigenvalues of the largest
# width as a grey histogram); the edges reach a little further at larger m (the log factor).
# (c) The width of the spectrum (max |node|) and the rms eigenvalue against m, with
# least-squares lines and their fitted slopes; crosses: ||H_f|| by Lanczos (section 3).

# %%
show = [s for s in spectra if s["m"] in (spec_widths[0], spec_widths[2], spec_widths[4])]
edge = max(np.sqrt(s["m"]) * np.abs(s["eigenvalues"]).max() for s in show)  # the widest rescaled spectrum
SMOOTH = edge / 25  # Gaussian smoothing in units of sqrt(m) lambda: about the spacing of k = 40 nodes
reach = edge + 3 * SMOOTH
fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
for j, s in enumerate(show):
    scale = np.sqrt(s["m"])
    grid = np.linspace(-reach, reach, 1201) / scale
    phi = s["density"].density(grid, SMOOTH / scale)
    axes[0].semilogy(grid, np.maximum(phi, 1e-4), color=f"C{j}", label=f"m = {s['m']}")
    axes[1].semilogy(grid * scale, np.maximum(phi / scale, 1e-4), color=f"C{j}", label=f"m = {s['m']}")
biggest = show[-1]
axes[1].hist(np.sqrt(biggest["m"]) * biggest["eigenvalues"], bins=np.arange(-reach, reach, SMOOTH), density=True,
             histtype="step", color="gray", label=f"exact eigenvalues, m = {biggest['m']}")
axes[0].set_xlabel(r"eigenvalue $\lambda$ of $H_f(\theta_0)$")
axes[0].set_ylabel("density (SLQ, smoothed)")
axes[0].set_title("(a) spectrum of the output Hessian, tanh")
axes[0].set_ylim(1e-3, None)
axes[0].legend(fontsize=8)
axes[1].set_xlabel(r"$\sqrt{m}\,\lambda$")
axes[1].set_ylabel(r"density of $\sqrt{m}\,\lambda$")
axes[1].set_title(r"(b) rescaled by $\sqrt{m}$: one bulk")
axes[1].set_ylim(1e-3, None)
axes[1].legend(fontsize=8, loc="lower center")
ax = axes[2]
line_spread, slope_spread = fitted_line(spec_m, spread)
line_rms, slope_rms = fitted_line(spec_m, rms)
ax.loglog(spec_m, spread, "o", color="C0", label="max |node| (width of the spectrum)")
ax.loglog(spec_m, line_spread, "-", color="C0", lw=1, label=f"fit: slope {slope_spread:.2f}")
ax.loglog(spec_m, [r["lanczos"] for r in sweep["tanh"][: len(spectra)]], "k+", ms=12, label=r"$\|H_f\|$ (Lanczos)")
ax.loglog(spec_m, rms, "s", color="C1", label="rms eigenvalue (bulk)")
ax.loglog(spec_m, line_rms, "-", color="C1", lw=1, label=f"fit: slope {slope_rms:.2f}")
ax.set_xlabel("width m")
ax.set_ylabel("eigenvalue scale")
ax.set_title("(c) edges and bulk shrink with m")
ax.legend(fontsize=8)
fig.tight_layout()
lesson.save_figure(fig, "spectrum")

# %% [markdown]
# ## What this lesson leaves out
# Whether wider networks also approximate a target function better (universal
# approximation, and at what rate) is the subject of lesson 8.
