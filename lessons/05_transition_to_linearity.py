"""Lesson 5 — transition to linearity of a wide two-layer network.

The slide (Liu, Zhu, Belkin 2020, "On the linearity of large non-linear models: when
and why the tangent kernel is constant", NeurIPS): take

    f(x; theta) = (1 / sqrt(m)) sum_{i=1..m} v_i sigma(w_i x),     theta = (w, v) in R^{2m},

with theta0 ~ N(0, I). Then the Hessian of the OUTPUT with respect to the parameters is
small on a whole ball around the initialization,

    sup_{theta in B(theta0, R)} ||H_f(theta)|| = O~(1 / sqrt(m))      (O~: up to log factors),

so by Taylor's theorem f(theta) - f_lin(theta) = O(R^2 / sqrt(m)): a wide network is a
linear model in theta on that ball ("transition to linearity"), and its tangent kernel
is nearly constant there. The reason (Observation 2): the Hessian is block-diagonal
across neurons, each 2 x 2 block is O(1 / sqrt(m)), so ||H|| = max_i ||H_i||.

Checked here, with numbers measured in this run:
  * the compiled closed forms (backend="numba") agree with the engine on a small net;
  * H_f is exactly block-diagonal across neurons (mg.hessian on a small net);
  * ||H_f(theta0)|| by Lanczos equals the closed form max_i ||H_i|| (2 x 2 blocks);
  * log-log slope of ||H_f(theta0)|| against m is -1/2 up to the log factor that
    max_i |v_i| ~ sqrt(2 log m) brings, and -1/2 once that factor is divided out;
    for ReLU (sigma'' = 0) ||H_f|| = |x| / sqrt(m) exactly, with no log factor;
  * the bound holds on the ball: sampled ||H_f(theta)|| stay below the closed-form
    bound and scale like m^{-1/2};
  * the Taylor remainder at distance R shrinks like m^{-1/2} along the worst direction
    (the top eigenvector) and like m^{-1} along a random direction;
  * wider networks approximate a target function better (least squares on the
    output layer, i.e. on the random features sigma(w_i . x) / sqrt(m)).

Run it:  python -m lessons 5
"""

# %% [markdown]
# ## 0. Setup
# One input x0 = 1 (d = 1, as on the slide). Widths on a log grid, from 10^2 to 10^5
# (10^4 in quick mode). Every random draw has a seed.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from lessons.harness import Lesson

lesson = Lesson(5, "Transition to linearity: the two-layer network")

X0 = np.array([[1.0]])  # one input, shape (n, d) = (1, 1)
x0 = X0[0]  # the same input as a vector (d,)
R = 1.0  # radius of the ball B(theta0, R): a fixed O(1) distance, as in the theorem
widths = lesson.size([100, 316, 1000, 3162, 10000, 31623, 100000], [100, 316, 1000, 3162, 10000])
LANCZOS = dict(tol=1e-10, max_iter=300)  # tight: the Lanczos value is compared with a closed form


def fit_slope(m, y):
    """Least-squares slope of log y against log m."""
    return float(np.polyfit(np.log(m), np.log(y), 1)[0])


def top_eigen(net, theta, x, seed=0):
    """Largest-magnitude eigenpair of H_f(theta) at input x, by Lanczos on the compiled HVP."""
    return mg.spectral.lanczos(lambda u: net.output_hvp(theta, x, u, backend="numba"), net.num_params,
                               seed=seed, **LANCZOS)


# %% [markdown]
# ## 1. The compiled closed forms agree with the engine
# Large widths need the compiled closed forms (backend="numba"). Before trusting them,
# compare with the engine (a Tensor graph differentiated twice) on a small net, for
# each activation used below: the output, its gradient, its Hessian times a vector,
# and the Jacobian. Both compute the same formulas in float64, so only rounding
# separates them: 1e-10 relative leaves room for it and catches any real mistake.

# %%
rng = np.random.default_rng(0)
worst = 0.0
for act in ("tanh", "softplus", "relu"):
    small = mg.nn.TwoLayerNet(1, 7, activation=act)
    th = small.init(1)
    u = rng.standard_normal(small.num_params)
    X3 = np.array([[0.7], [-1.3], [2.0]])
    pairs = [
        (small.output(th, x0, backend="numba"), small.output(th, x0, backend="engine")),
        (small.output_grad(th, x0, backend="numba"), small.output_grad(th, x0, backend="engine")),
        (small.output_hvp(th, x0, u, backend="numba"), small.output_hvp(th, x0, u, backend="engine")),
        (small.jacobian(th, X3, backend="numba"), small.jacobian(th, X3, backend="engine")),
    ]
    worst = max(worst, max(mg.check.relative_error(a, b) for a, b in pairs))
lesson.check_below("numba closed forms = engine (output, gradient, HVP, Jacobian; tanh, softplus, relu)",
                   worst, 1e-10)

# %% [markdown]
# ## 2. Observation 2: the Hessian is block-diagonal across neurons
# f is a sum of one term per neuron, v_i sigma(w_i x) / sqrt(m), and neuron i's term
# depends only on (w_i, v_i). So d^2 f / d theta_a d theta_b = 0 whenever a and b belong
# to different neurons: in the order (w_1, v_1, w_2, v_2, ...) H_f is block-diagonal,
# with the 2 x 2 blocks
#
#     H_i = (1 / sqrt(m)) [[v_i sigma''(w_i x) x^2,  sigma'(w_i x) x],
#                          [sigma'(w_i x) x,         0             ]].
#
# mg.hessian builds the full p x p matrix from one HVP per column on a small net; the
# entries outside the blocks must be exactly zero (not merely small), and the blocks
# must equal the formula above. The derivatives sigma', sigma'' are written out here by
# hand, independently of the library.

# %%
def derivatives(act, z):
    """(sigma'(z), sigma''(z)) written out by hand for the activations of this lesson."""
    if act == "tanh":
        t = np.tanh(z)
        return 1 - t**2, -2 * t * (1 - t**2)
    if act == "softplus":
        s = 1 / (1 + np.exp(-z))
        return s, s * (1 - s)
    if act == "relu":
        return (z > 0).astype(float), np.zeros_like(z)
    raise ValueError(f"no hand-written derivatives for {act!r}")


def blocks(net, theta, x, act):
    """The 2 x 2 blocks H_i as arrays (a_i, b_i): H_i = [[a_i, b_i], [b_i, 0]], shape (m,) each."""
    W, v = net.unflatten(theta)
    z = W[:, 0] * x[0]
    s1, s2 = derivatives(act, z)
    return v * s2 * x[0] ** 2 / np.sqrt(net.m), s1 * x[0] / np.sqrt(net.m)


def block_norms(a, b):
    """||H_i|| for H_i = [[a, b], [b, 0]]: eigenvalues a/2 +- sqrt(a^2/4 + b^2)."""
    return np.abs(a) / 2 + np.sqrt(a**2 / 4 + b**2)


m_small = 5
small = mg.nn.TwoLayerNet(1, m_small, activation="tanh")
th_small = small.init(3)
H_full = mg.hessian(lambda t: small.apply(t, X0).sum(), th_small)
order = np.ravel([[i, m_small + i] for i in range(m_small)])  # (w_1, v_1, w_2, v_2, ...)
H_perm = H_full[np.ix_(order, order)]
in_block = np.kron(np.eye(m_small), np.ones((2, 2))).astype(bool)
off_block = float(np.max(np.abs(H_perm[~in_block])))
a, b = blocks(small, th_small, x0, "tanh")
H_blocks = np.zeros((2 * m_small, 2 * m_small))
for i in range(m_small):
    H_blocks[2 * i: 2 * i + 2, 2 * i: 2 * i + 2] = [[a[i], b[i]], [b[i], 0.0]]
lesson.say(f"  Hessian of f(x0) for m = {m_small}, in the order (w_1, v_1, w_2, v_2, ...):")
lesson.say(np.array2string(H_perm, precision=3, suppress_small=True, max_line_width=120))
lesson.check_true("Hessian entries between different neurons are exactly 0 (mg.hessian, m = 5)",
                  off_block == 0.0, f"max |off-block entry| = {off_block:.3g}")
lesson.check_below("the 2 x 2 blocks equal the closed form (max relative error)",
                   mg.check.relative_error(H_perm, H_blocks), 1e-12)

# %% [markdown]
# ## 3. ||H_f(theta0)|| against the width m
# For each width: Lanczos on the compiled HVP gives the largest-magnitude eigenvalue of
# H_f(theta0); independently, the closed form gives max_i ||H_i||. They must agree
# (Lanczos stops when its residual is 1e-10 of the estimate; 1e-8 is a safe margin).
#
# What sets the size? Each block is (1 / sqrt(m)) times a 2 x 2 matrix whose entries are
# bounded by |v_i| sup|sigma''| x^2 and sup|sigma'| |x|. So ||H_f|| <= beta(max_i |v_i|) / sqrt(m)
# with beta(V) = V S2 x^2 / 2 + sqrt((V S2 x^2 / 2)^2 + (S1 x)^2), S1 = sup|sigma'|,
# S2 = sup|sigma''|. The 1/sqrt(m) is the slide's claim; the max over m Gaussian v_i
# grows like sqrt(2 log m): that is the "up to log factors".
#
# ReLU is special: sigma'' = 0 away from the kink, so the w-w entries vanish, but the
# mixed entries d^2 f / dw_i dv_i = sigma'(w_i x) x / sqrt(m) do not: each block of an
# active neuron is [[0, x], [x, 0]] / sqrt(m), with eigenvalues +-|x| / sqrt(m). So
# ||H_f|| = |x| / sqrt(m) exactly (w_i x = 0, the kink, has probability zero), with
# no log factor at all.

# %%
SUP = {"tanh": (1.0, 4 / (3 * np.sqrt(3))), "softplus": (1.0, 0.25)}  # (sup|sigma'|, sup|sigma''|)


def beta(V, act):
    """Bound on sqrt(m) ||H_i|| for a neuron with |v_i| <= V (see the text)."""
    s1, s2 = SUP[act]
    half = V * s2 * x0[0] ** 2 / 2
    return half + np.sqrt(half**2 + (s1 * x0[0]) ** 2)


sweep = {}
for act in ("tanh", "softplus", "relu"):
    rows = []
    for k, m in enumerate(widths):
        net = mg.nn.TwoLayerNet(1, m, activation=act)
        theta0 = net.init(1000 + k)
        eig = top_eigen(net, theta0, x0)
        a, b = blocks(net, theta0, x0, act)
        norms = block_norms(a, b)
        rows.append(dict(m=m, lanczos=abs(eig.value), closed=float(norms.max()), converged=eig.converged,
                         vmax=float(np.abs(net.unflatten(theta0)[1]).max()), vector=eig.vector,
                         theta0=theta0, net=net))
    sweep[act] = rows
    lesson.say(f"  {act:8s} m:        " + "  ".join(f"{r['m']:9d}" for r in rows))
    lesson.say(f"  {act:8s} ||H||:    " + "  ".join(f"{r['lanczos']:9.3g}" for r in rows))
    lesson.say(f"  {act:8s} sqrt(m)||H||: " + "  ".join(f"{r['lanczos'] * np.sqrt(r['m']):7.3f}" for r in rows))

all_rows = [r for rows in sweep.values() for r in rows]
lesson.check_true("Lanczos converged at every width and activation",
                  all(r["converged"] for r in all_rows), f"{sum(r['converged'] for r in all_rows)}/{len(all_rows)}")
lesson.check_below("Lanczos ||H_f(theta0)|| = closed form max_i ||H_i|| (max relative error over widths)",
                   max(abs(r["lanczos"] - r["closed"]) / r["closed"] for r in all_rows), 1e-8)

# %% [markdown]
# ### The slope, and the log factor
# The fitted log-log slope of ||H_f(theta0)|| is -1/2 plus the slope of the log factor.
# sqrt(2 log m) has slope delta = 1 / (2 log m) ~ 0.05-0.1 on our range (computed
# below), so we expect the raw slope in [-1/2 - 0.1, -1/2 + delta + 0.1]. The margin
# 0.1 covers the randomness of a maximum of Gaussians: log max|v_i| fluctuates by about
# 0.1 at each width, and a slope fitted over >= 2 decades of m moves by a few hundredths.
# Dividing by the worst-neuron bound beta(max_i |v_i|) removes the log factor: that
# slope must be -1/2 within the same 0.1.

# %%
m_arr = np.array(widths, dtype=float)
delta = fit_slope(m_arr, np.sqrt(2 * np.log(m_arr)))
lesson.say(f"  slope of sqrt(2 log m) over the widths: delta = {delta:.3f}")
for act in ("tanh", "softplus"):
    H0 = np.array([r["lanczos"] for r in sweep[act]])
    vmax = np.array([r["vmax"] for r in sweep[act]])
    lesson.check_between(f"{act}: slope of log ||H_f(theta0)|| vs log m (-1/2 with the log factor)",
                         fit_slope(m_arr, H0), -0.6, -0.5 + delta + 0.1)
    lesson.check_between(f"{act}: slope of log (||H_f|| / beta(max|v_i|)) vs log m (log factor removed)",
                         fit_slope(m_arr, H0 / beta(vmax, act)), -0.6, -0.4)
    lesson.say(f"  {act}: sqrt(m) ||H_f|| / beta(max|v_i|) = "
               + "  ".join(f"{r:5.3f}" for r in H0 * np.sqrt(m_arr) / beta(vmax, act)))
    lesson.check_below(f"{act}: sqrt(m) ||H_f|| <= beta(max|v_i|) at every width (max ratio)",
                       float(np.max(H0 * np.sqrt(m_arr) / beta(vmax, act))), 1.0 + 1e-12)

# Extreme-value theory: the max of m |N(0,1)| is sqrt(2 log(2m)) minus a correction of
# order log log m / sqrt(log m), with fluctuations of order 1 / sqrt(log m) (~0.35 here).
vmax = np.array([r["vmax"] for r in sweep["tanh"]])
ratio = vmax / np.sqrt(2 * np.log(m_arr))
lesson.check_between("max_i |v_i| / sqrt(2 log m) stays O(1): the log factor (min over widths)",
                     float(ratio.min()), 0.6, 1.4)
lesson.check_between("max_i |v_i| / sqrt(2 log m) stays O(1): the log factor (max over widths)",
                     float(ratio.max()), 0.6, 1.4)

relu_H = np.array([r["lanczos"] for r in sweep["relu"]])
lesson.check_below("relu: ||H_f|| = |x| / sqrt(m) exactly (max relative error over widths)",
                   float(np.max(np.abs(relu_H * np.sqrt(m_arr) / abs(x0[0]) - 1))), 1e-8)
lesson.check_below("relu: |slope + 1/2| (no log factor)", abs(fit_slope(m_arr, relu_H) + 0.5), 1e-6)

# %% [markdown]
# ## 4. The bound holds on the whole ball B(theta0, R)
# The theorem is about sup over the ball, not only theta0. Sample points at distance R:
# along random unit directions, and along the top eigenvector u1 (the most curved
# direction: it lives on a single neuron, so it moves that neuron's v_i by up to R).
# Inside the ball every |v_i| is at most |v_i(theta0)| + R, so the block argument gives
# the explicit bound sup_ball ||H_f|| <= beta(max_i |v_i| + R) / sqrt(m): check it, and
# check that the sampled sup stays within a small factor of ||H_f(theta0)|| (the
# constant does not grow with m) and scales like m^{-1/2}.

# %%
ball_widths = lesson.size([100, 316, 1000, 3162, 10000], [100, 316, 1000, 3162])
ball = []
for k, row in enumerate(sweep["tanh"][: len(ball_widths)]):
    net, theta0, m = row["net"], row["theta0"], row["m"]
    draw = np.random.default_rng(2000 + k)
    points = [theta0 + t * R * row["vector"] for t in (-1.0, -0.5, 0.5, 1.0)]
    for _ in range(4):
        u = draw.standard_normal(net.num_params)
        points.append(theta0 + R * u / np.linalg.norm(u))
    sampled = [abs(top_eigen(net, point, x0).value) for point in points]
    ball.append(dict(m=m, H0=row["lanczos"], sup=max(sampled), bound=beta(row["vmax"] + R, "tanh") / np.sqrt(m)))
ball_m = np.array([entry["m"] for entry in ball], dtype=float)
ball_sup = np.array([entry["sup"] for entry in ball])
ball_ratio = np.array([entry["sup"] / entry["H0"] for entry in ball])
lesson.say("  m:                   " + "  ".join(f"{int(m):8d}" for m in ball_m))
lesson.say("  sup_ball ||H|| / ||H(theta0)||: " + "  ".join(f"{r:6.3f}" for r in ball_ratio))
lesson.check_below("tanh: sampled sup over B(theta0, R) <= beta(max|v|+R)/sqrt(m) (max ratio over widths)",
                   float(max(entry["sup"] / entry["bound"] for entry in ball)), 1.0)
# Why 2: beta grows with slope at most 2 * S2 x^2 / 2 <= beta(V) / V, so the bound moves
# from beta(V) to beta(V + R) <= (1 + R / V) beta(V), about 1.25-1.4 for V ~ 2.5-4.5 and
# R = 1; and ||H_f(theta0)|| is itself close to beta(V) / sqrt(m) at these widths (some
# neuron has both a large |v_i| and a near-maximal |sigma''|: section 3 prints the ratios).
lesson.check_below("tanh: sup over the ball / ||H_f(theta0)|| stays a constant (max over widths)",
                   float(ball_ratio.max()), 2.0)
lesson.check_between("tanh: slope of log sup_ball ||H_f|| vs log m",
                     fit_slope(ball_m, ball_sup), -0.6, -0.5 + delta + 0.1)

# %% [markdown]
# ## 5. The Taylor remainder f(theta0 + delta) - f_lin(theta0 + delta) at ||delta|| = R
# mg.spectral.Linearization gives f_lin(theta) = f(theta0) + J0 (theta - theta0).
# * Along the top eigenvector u1 (worst case) the remainder is about (1/2) R^2 lambda_max:
#   it shrinks like ||H_f|| ~ m^{-1/2} (with the same log factor), and Taylor's theorem
#   bounds it by (1/2) R^2 sup_ball ||H_f|| <= (1/2) R^2 beta(max|v| + R) / sqrt(m).
# * Along a random unit direction u the quadratic term is (1/2) R^2 u^T H u. Since H is
#   block-diagonal, u^T H u = sum_i u_(i)^T H_i u_(i): m terms of size m^{-1/2} * (1/m)
#   (each u_(i) has squared norm ~ 2/p = 1/m) with random signs (u and v are symmetric), so
#   the sum is ~ sqrt(m) * m^{-3/2} = m^{-1}. A random direction sees the average
#   curvature, which cancels; only the top eigenvector sees the worst neuron.
# We take the root mean square over 8 random directions (the single values have random
# sign and size), and the worse of +u1 and -u1.

# %%
N_DIRECTIONS = 8
top_rem, rand_rem, taylor_bound = [], [], []
for k, row in enumerate(sweep["tanh"]):
    net, theta0, m = row["net"], row["theta0"], row["m"]
    lin = mg.spectral.Linearization(net.apply, theta0, X0, J0=net.jacobian(theta0, X0, backend="numba"))
    top_rem.append(max(abs(lin.remainder(theta0 + s * R * row["vector"])[0]) for s in (1.0, -1.0)))
    draw = np.random.default_rng(3000 + k)
    values = []
    for _ in range(N_DIRECTIONS):
        u = draw.standard_normal(net.num_params)
        values.append(lin.remainder(theta0 + R * u / np.linalg.norm(u))[0])
    rand_rem.append(float(np.sqrt(np.mean(np.square(values)))))
    taylor_bound.append(0.5 * R**2 * beta(row["vmax"] + R, "tanh") / np.sqrt(m))
top_rem, rand_rem, taylor_bound = map(np.array, (top_rem, rand_rem, taylor_bound))
lesson.say("  |remainder| along u1:     " + "  ".join(f"{r:9.3g}" for r in top_rem))
lesson.say("  rms remainder, random u:  " + "  ".join(f"{r:9.3g}" for r in rand_rem))
lesson.check_below("remainder along u1 <= (1/2) R^2 beta(max|v|+R)/sqrt(m) (Taylor; max ratio over widths)",
                   float(np.max(top_rem / taylor_bound)), 1.0)
lesson.check_between("slope of the remainder along the top eigenvector (worst case, ~ -1/2)",
                     fit_slope(m_arr, top_rem), -0.6, -0.5 + delta + 0.1)
# -1 +- 0.25: the rms of 8 random signs fluctuates by ~25% (1/sqrt(2*8)) at each width,
# i.e. ~0.25 in log; over >= 2 decades of m that moves the fitted slope by < 0.1.
lesson.check_between("slope of the rms remainder along random directions (~ -1: curvature averages out)",
                     fit_slope(m_arr, rand_rem), -1.25, -0.75)

# %% [markdown]
# ## 6. Wider networks approximate a target better
# Linearity would be worthless if the wide network could not fit anything. Train only
# the output layer: f(x) = sum_i v_i sigma(w_i . x) / sqrt(m) is then linear in v, with
# features sigma(w_i . x) / sqrt(m) = d f / d v_i, the v-columns of the Jacobian. Least
# squares (minimum norm) gives v. Without a bias, tanh(w x) is odd in x and could only
# fit odd functions, so the input is (x, 1): the constant coordinate acts as a bias.
# Target: sin(1.5 x) + |x - 0.6| / 2 on [-2, 2] (a kink, so it is not fitted exactly).
# Many more samples than features (n = 2000 >= 4 m), so least squares is well posed and
# no interpolation peak interferes; the error is averaged over 3 random draws of W.
# Random-feature theory (Rahimi-Recht, Barron) gives an error ~ m^{-1/2} for targets it
# can represent; check that train and test errors fall at least that fast overall.

# %%
def target(x):
    return np.sin(1.5 * x) + 0.5 * np.abs(x - 0.6)


def with_bias(x):
    return np.stack([x, np.ones_like(x)], axis=1)  # (n, 2): input and the constant 1


data = np.random.default_rng(7)
x_train = data.uniform(-2, 2, 2000)
x_test = np.linspace(-2, 2, 801)
approx_widths = lesson.size([4, 8, 16, 32, 64, 128, 256, 512], [4, 8, 16, 32, 64, 128, 256])
train_err, test_err, curves = [], [], {}
for m in approx_widths:
    tr, te = [], []
    for seed in range(3):
        net = mg.nn.TwoLayerNet(2, m, activation="tanh")
        theta0 = net.init(100 * m + seed)
        W, _ = net.unflatten(theta0)
        features = net.jacobian(theta0, with_bias(x_train), backend="numba")[:, 2 * m:]  # d f / d v
        v = mg.linear.lstsq_min_norm(features, target(x_train))
        theta = net.flatten(W, v)
        tr.append(np.sqrt(np.mean((net.apply(theta, with_bias(x_train)) - target(x_train)) ** 2)))
        prediction = net.apply(theta, with_bias(x_test))
        te.append(np.sqrt(np.mean((prediction - target(x_test)) ** 2)))
        if seed == 0:
            curves[m] = prediction
    train_err.append(np.mean(tr))
    test_err.append(np.mean(te))
train_err, test_err = np.array(train_err), np.array(test_err)
lesson.say("  m:          " + "  ".join(f"{m:8d}" for m in approx_widths))
lesson.say("  train rmse: " + "  ".join(f"{e:8.2g}" for e in train_err))
lesson.say("  test rmse:  " + "  ".join(f"{e:8.2g}" for e in test_err))
lesson.check_below("train error falls with m (log-log slope)", fit_slope(approx_widths, train_err), -0.5)
lesson.check_below("test error falls with m (log-log slope)", fit_slope(approx_widths, test_err), -0.5)

# %% [markdown]
# ## 7. Pictures
# Top left: ||H_f(theta0)|| against m, with the m^{-1/2} line: tanh and softplus bend
# slightly above it (the log factor), ReLU sits exactly on |x| / sqrt(m); the crosses are
# the closed form and the sampled sup over the ball. Top right: the Taylor remainder at
# distance R: along the top eigenvector it follows m^{-1/2}, along random directions
# m^{-1}. Bottom: the approximation error falls as the network widens (fast while the
# features are too few to follow the sine, then more slowly: the kink needs steep
# features, and the steepest of m Gaussian slopes grows only like sqrt(2 log m)).

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
ax = axes[0, 0]
for act, marker in (("tanh", "o"), ("softplus", "s"), ("relu", "^")):
    ax.loglog(m_arr, [r["lanczos"] for r in sweep[act]], marker + "-", label=f"{act} (Lanczos)")
tanh_closed = np.array([r["closed"] for r in sweep["tanh"]])
ax.loglog(m_arr, tanh_closed, "k+", ms=12, label="tanh, closed form max ||H_i||")
ax.loglog(ball_m, ball_sup, "x", ms=9, color="C3", label="tanh, sup over sampled ball")
ax.loglog(m_arr, tanh_closed[-1] * np.sqrt(m_arr[-1] / m_arr), "k--", lw=1, label=r"$\propto m^{-1/2}$")
ax.set_xlabel("width m")
ax.set_ylabel(r"$\|H_f(\theta_0)\|$ (spectral norm)")
ax.set_title("Hessian of the output shrinks like $m^{-1/2}$ (up to a log factor)")
ax.legend(fontsize=8)

ax = axes[0, 1]
ax.loglog(m_arr, top_rem, "o-", label="along the top eigenvector $u_1$")
ax.loglog(m_arr, rand_rem, "s-", label="along random directions (rms of 8)")
ax.loglog(m_arr, taylor_bound, ":", color="gray", label=r"Taylor bound $\frac{1}{2}R^2\beta(\max|v|+R)/\sqrt{m}$")
ax.loglog(m_arr, top_rem[-1] * np.sqrt(m_arr[-1] / m_arr), "k--", lw=1, label=r"$\propto m^{-1/2}$")
ax.loglog(m_arr, rand_rem[0] * m_arr[0] / m_arr, "k-.", lw=1, label=r"$\propto m^{-1}$")
ax.set_xlabel("width m")
ax.set_ylabel(r"$|f(\theta_0+\delta) - f_{lin}(\theta_0+\delta)|$,  $\|\delta\| = R = 1$")
ax.set_title("Taylor remainder at distance R from $\\theta_0$ (tanh)")
ax.legend(fontsize=8)

ax = axes[1, 0]
ax.loglog(approx_widths, train_err, "o-", label="train rmse")
ax.loglog(approx_widths, test_err, "s-", label="test rmse")
ax.loglog(approx_widths, test_err[-1] * np.sqrt(approx_widths[-1] / np.array(approx_widths)), "k--", lw=1,
          label=r"$\propto m^{-1/2}$")
ax.set_xlabel("width m")
ax.set_ylabel("root mean square error (mean of 3 draws)")
ax.set_title("wider is better: output layer fitted by least squares")
ax.legend(fontsize=8)

ax = axes[1, 1]
ax.plot(x_test, target(x_test), "k", lw=3, label="target")
for m in approx_widths[:3]:
    ax.plot(x_test, curves[m], lw=1.2, label=f"m = {m}")
ax.set_xlabel("x")
ax.set_ylabel("f(x)")
ax.set_title("fits of the tanh network (first draw)")
ax.legend(fontsize=8)
fig.tight_layout()
lesson.save_figure(fig, "linearity")
