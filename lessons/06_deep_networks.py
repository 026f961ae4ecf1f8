"""Lesson 6 — transition to linearity of deep networks, and when it fails.

The slide (Liu, Zhu, Belkin 2020, "On the linearity of large non-linear models: when
and why the tangent kernel is constant", NeurIPS): for a deep network with L hidden
layers of width m in which EVERY layer is scaled by 1/sqrt(its fan-in m_{l-1}),

    alpha^0 = x,  alpha^l = sigma(h^l),  h^l = W^l alpha^{l-1} / sqrt(m_{l-1}),  f = v . alpha^L / sqrt(m),

the Hessian of the output in the parameters is small, ||H_f|| = O~(1 / sqrt(m)) (up to
log factors), on a ball around the random initialization: the network becomes linear
in its parameters as m grows. The slide gives three reasons: (i) the i.i.d. N(0, 1)
initialization, (ii) every layer is assembled as a scaled sum (1/sqrt(m)) sum_i of m
sub-models, (iii) the m sub-models of a layer are not independent (they share all the
layers below), but after a rotation they behave as if they were. The output layer must
be LINEAR: for f = phi(f~) with a non-linear phi on top ("a non-linear output layer"),

    H_f = phi''(f~) grad f~ grad f~^T + phi'(f~) H_f~,

and the first term has norm |phi''(f~)| K(x, x), K the tangent kernel, which is O(1) at
every width: the Hessian does not vanish and linearity never arrives.

Checked here, with numbers measured in this run (every band has controls: wrong
variants that must fail the same test):
  * the numpy closed forms agree with the engine; Lanczos is accurate enough;
  * reason (i): pre-activations stay O(1) in every layer, their variance follows the
    width-free recursion q_l = E[sigma(sqrt(q_{l-1}) z)^2];
  * reason (ii): H_f is exactly (1/sqrt(m)) times the sum of the sub-models' Hessians
    plus the output-weight cross terms;
  * reason (iii): after the rotation, a layer's m pre-activations are m independent
    N(0, 1) draws (Kolmogorov-Smirnov), and ||W^l|| / sqrt(m) -> 2 (nearly orthogonal rows);
  * exactly known values: the last-layer block of H_f has a closed form; for ReLU it is
    exactly sqrt(q) / sqrt(m) (slope exactly -1/2);
  * for 2 and 3 hidden layers the slope of ||H_f(theta0)|| against m is -1/2 (with the
    log factor; and within 0.1 of -1/2 once the log factor is divided out), while the
    standard parametrization, dependent neurons, a softplus output layer, narrow nets and
    an m^{-1/3} law all fail the same test;
  * the Taylor remainder along the most curved direction shrinks the same way;
  * the softplus-output counter-example: the chain-rule identity, Weyl's inequality,
    an O(1) Hessian because K(x, x) converges to the NTK.

Run it:  python -m lessons 6
"""

# %% [markdown]
# ## 0. Setup
# One input x0 = 1 (d = 1). Widths m on a doubling grid, every hidden layer of width m.
# The Hessian norm at one random initialization fluctuates, most at small m, so at each
# width we average log ||H|| over several initializations: more where they are cheap
# (m_max / m of them), one at the largest width, where fluctuations are smallest.
# All derivatives come from DeepNet's numpy closed forms (backend="numpy").

# %%
from lessons.harness import Lesson, loglog_slope  # first: it sets the BLAS threads before numpy loads

import math

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

lesson = Lesson(6, "Transition to linearity: deep networks, and a non-linear output layer")

X0 = np.array([[1.0]])  # one input, (n, d) = (1, 1)
x0 = X0[0]
R = 1.0  # distance of the Taylor-remainder probe, a fixed O(1) radius
widths = lesson.size([32, 64, 128, 256, 512, 1024], [32, 64, 128, 256, 512])
NARROW = [2, 3, 4, 6, 8]  # the control "narrow nets": the claim is about width
DEPTHS = (2, 3)
OUTPUT = "softplus"  # the non-linear output layer of the counter-example (phi'' > 0 everywhere)
LANCZOS = dict(tol=1e-4, max_iter=200)  # see section 1: enough for ~1e-8 relative accuracy
BACKEND = "numpy"


def n_seeds(m):
    """How many initializations to average at width m: m_max / m (cheap where m is small)."""
    return max(1, widths[-1] // m)


def top_eigen(matvec, p, **options):
    """Largest-magnitude eigenpair of a symmetric p x p operator given as u -> H u (Lanczos)."""
    return mg.spectral.lanczos(matvec, p, **dict(LANCZOS, **options))


def hvp(net, theta):
    """u -> H_f(theta) u at x0, from the numpy closed forms."""
    return lambda u: net.output_hvp(theta, x0, u, backend=BACKEND)


def relative(a, b):
    """||a - b|| / ||b||: how far a vector a is from the reference b."""
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


def init(depth, m, s):
    """Initialization number s of a net with `depth` hidden layers of width m (seed (depth, m, s))."""
    return mg.nn.DeepNet(1, [m] * depth).init(np.random.default_rng((depth, m, s)))


def sigma_derivatives(act, h):
    """(sigma'(h), sigma''(h)) written out by hand for tanh and relu."""
    if act == "tanh":
        t = np.tanh(h)
        return 1 - t**2, -2 * t * (1 - t**2)
    return (h > 0).astype(float), np.zeros_like(h)


def forward(net, theta, scaled=True):
    """Pre-activations [h^1, ..., h^L] and activations [alpha^0, ..., alpha^L] at x0, by hand.

    scaled=False drops the 1/sqrt(fan-in) of the hidden layers (a control in section 2).
    """
    *Ws, _ = net.unflatten(theta)
    alphas, hs = [x0], []
    for W in Ws:
        hs.append(W @ alphas[-1] / (math.sqrt(W.shape[1]) if scaled else 1.0))
        alphas.append(np.tanh(hs[-1]) if net.activation == "tanh" else np.maximum(hs[-1], 0.0))
    return hs, alphas


# %% [markdown]
# ## 1. The numpy closed forms agree with the engine; Lanczos is accurate enough
# The wide nets need DeepNet's hand-written forward-over-reverse HVP (backend="numpy").
# Compare it with the engine (the Tensor graph differentiated twice) on small nets of each
# depth, with a linear and with non-linear output layers: the output, its gradient, its
# Hessian times a vector and the Jacobian. Same formulas in float64: only rounding
# separates them, so 1e-10 relative is a tight and safe bound.
#
# Lanczos stops when the residual ||H u - lambda u|| <= tol |lambda| at both ends of the
# spectrum. The error of a Ritz value is of the order of the residual squared over the
# spectral gap, so tol = 1e-4 gives ~1e-8: check it against tol = 1e-10 on one net.
#
# Controls: a finite-difference HVP (central differences of the exact gradient, a common
# shortcut) must fail the 1e-10 bound, which shows the bound can tell an exact HVP from a
# good approximation; and Lanczos stopped far too early (tol 0.3) must fail its check.

# %%
rng = np.random.default_rng(0)
X3 = np.array([[0.7], [-1.3], [2.0]])
worst = worst_fd = 0.0
for depth in DEPTHS:
    for out in ("linear", "softplus", "tanh"):
        small = mg.nn.DeepNet(1, [5] * depth, activation="tanh", output_activation=out)
        th = small.init(depth)
        u = rng.standard_normal(small.num_params)
        pairs = [
            (small.output(th, x0, backend=BACKEND), small.output(th, x0, backend="engine")),
            (small.output_grad(th, x0, backend=BACKEND), small.output_grad(th, x0, backend="engine")),
            (small.output_hvp(th, x0, u, backend=BACKEND), small.output_hvp(th, x0, u, backend="engine")),
            (small.jacobian(th, X3, backend=BACKEND), small.jacobian(th, X3, backend="engine")),
        ]
        worst = max(worst, max(mg.check.relative_error(a, b) for a, b in pairs))
        # The control: a finite-difference HVP (central differences of the exact gradient),
        # a plausible shortcut that is accurate to ~1e-8 only.
        eps = 1e-5
        finite = (small.output_grad(th + eps * u, x0, backend=BACKEND)
                  - small.output_grad(th - eps * u, x0, backend=BACKEND)) / (2 * eps)
        worst_fd = max(worst_fd, mg.check.relative_error(finite, small.output_hvp(th, x0, u, backend="engine")))
lesson.check_below("numpy closed forms = engine (output, gradient, HVP, Jacobian; depth 2, 3; "
                   "linear/softplus/tanh output)", worst, 1e-10,
                   controls={"finite-difference HVP (central, eps = 1e-5) instead of the exact one": worst_fd})

probe = mg.nn.DeepNet(1, [64, 64], activation="tanh")
th = probe.init(1)
loose = top_eigen(hvp(probe, th), probe.num_params).value
tight = top_eigen(hvp(probe, th), probe.num_params, tol=1e-10, max_iter=400).value
sloppy = top_eigen(hvp(probe, th), probe.num_params, tol=0.3).value
lesson.check_below("Lanczos at tol 1e-4 vs tol 1e-10 (relative difference of the top eigenvalue)",
                   abs(loose - tight) / abs(tight), 1e-6,
                   controls={"Lanczos at tol 0.3 (stopped too early)": abs(sloppy - tight) / abs(tight)})

# %% [markdown]
# ## 2. Why deep networks also become linear: the three reasons of the slide
#
# ### (i) The i.i.d. N(0, 1) initialization keeps every pre-activation O(1)
# Given the layer below, h^l_i = W^l_i . alpha^{l-1} / sqrt(m) is a sum of m independent
# Gaussian terms W^l_ij alpha^{l-1}_j / sqrt(m): a Gaussian of variance
# q_l = ||alpha^{l-1}||^2 / m, an average, so O(1) whatever m is (layer 1 has fan-in d = 1:
# q_1 = x^2). As m grows, q_l follows the deterministic recursion
# q_1 = x^2, q_{l+1} = E[sigma(sqrt(q_l) z)^2] (z ~ N(0, 1); computed below by Gauss-Hermite
# quadrature). So sigma', sigma'' are evaluated at O(1) points and every neuron (a
# "sub-model") has O(1) derivatives. We compare the mean of (h^l_i)^2 over the neurons of
# 8 initializations at the largest width with the recursion. The bound 0.1 on the relative
# error is several times the sampling error: a mean of 8 m squared Gaussians is off by
# about sqrt(2 / (8 m)) relative, and q_l fluctuates around its limit by O(1/sqrt(m)).
# Controls: the same forward pass without the 1/sqrt(m) of the hidden layers (a wrong
# scale: the variance grows like m), and weights drawn N(1, 1) instead of N(0, 1) (not
# centred: the m terms no longer cancel).

# %%
nodes, weights = np.polynomial.hermite_e.hermegauss(80)  # E[g(z)] = sum weights g(nodes) / sqrt(2 pi)
weights = weights / weights.sum()
q_theory = [float(x0 @ x0)]
for _ in range(max(DEPTHS) - 1):
    q_theory.append(float(weights @ np.tanh(np.sqrt(q_theory[-1]) * nodes) ** 2))

m_top = widths[-1]
deepest = mg.nn.DeepNet(1, [m_top] * max(DEPTHS))
variance = {"right": [], "no 1/sqrt(m)": [], "N(1, 1) weights": []}
for s in range(8):
    theta = deepest.init(np.random.default_rng((99, s)))
    for key, th, scaled in (("right", theta, True), ("no 1/sqrt(m)", theta, False),
                            ("N(1, 1) weights", theta + 1.0, True)):
        variance[key].append([np.mean(h**2) for h in forward(deepest, th, scaled)[0]])
q_measured = {key: np.mean(rows, axis=0) for key, rows in variance.items()}
lesson.say("  layer l:                 " + "  ".join(f"{l + 1:8d}" for l in range(max(DEPTHS))))
lesson.say("  recursion q_l:           " + "  ".join(f"{q:8.4f}" for q in q_theory))
for key, q in q_measured.items():
    lesson.say(f"  mean (h^l)^2, {key:16s}" + "  ".join(f"{v:8.4g}" for v in q))


def worst_ratio_error(q):
    return float(np.max(np.abs(np.asarray(q) / q_theory - 1)))


lesson.check_below(f"(i) variance of the pre-activations = width-free recursion q_l (max relative error, "
                   f"layers 1-{max(DEPTHS)}, m = {m_top})", worst_ratio_error(q_measured["right"]), 0.1,
                   controls={key: worst_ratio_error(q) for key, q in q_measured.items() if key != "right"})

# %% [markdown]
# ### (ii) Every layer is a scaled sum of m sub-models
# The output is f = (1/sqrt(m)) sum_i v_i alpha^L_i: neuron i of the last hidden layer,
# alpha^L_i(W) (a whole deeper network ending in one neuron), is a sub-model, and f adds
# m of them with the factor 1/sqrt(m). Differentiating twice, for a direction u = (u_W, u_v):
#
#     H_f u = (1/sqrt(m)) sum_i [ v_i (H_{alpha_i} u_W, 0)  +  u_{v_i} (grad alpha_i, 0)
#                                 +  (grad alpha_i . u_W) e_{v_i} ]
#
# (the last two are the cross terms d^2 f / dv_i dW). The same holds one layer down: h^l_i
# is (1/sqrt(m)) sum_j W^l_ij alpha^{l-1}_j. We build each sub-model alpha_i as the same
# net with output weights v = sqrt(m) e_i (then f = alpha_i) and check the identity, HVP
# against HVP, on a small net (rounding only: 1e-10). Control: the identity without the
# cross terms (a dropped term).
#
# Each sub-model's Hessian is NOT small: H_{alpha_i} = sigma''(h_i) grad h_i grad h_i^T +
# sigma'(h_i) H_{h_i}, and the rank-one first term has norm r_i = |sigma''(h_i)| ||grad h_i||^2,
# where ||grad h_i||^2 = q (from the row W^2_i) + (1/m) sum_k (W^2_ik sigma'(h^1_k) x)^2 (from
# W^1) is O(1). Below, for 2 hidden layers at every width, the mean of r_i over the m neurons
# (and over the initializations of section 3) must stay level (slope 0 within 0.1). Control:
# the same in the standard parametrization (section 3), where the gradient along the row
# W^2_i is sqrt(m) times longer, so r_i grows like m. We also print the triangle-inequality
# bound (1/sqrt(m)) sum_i |v_i| r_i: the size of the sum if all m rank-one terms pointed the
# same way. It grows like sqrt(m); section 5 finds ||H_f|| falling instead: the terms point
# in nearly orthogonal directions, reason (iii).

# %%
m_sub = 12
sub_net = mg.nn.DeepNet(1, [m_sub, m_sub])
theta = sub_net.init(7)
u = np.random.default_rng(8).standard_normal(sub_net.num_params)
v, u_v = theta[-m_sub:], u[-m_sub:]
u_W = np.r_[u[:-m_sub], np.zeros(m_sub)]  # the direction with its v-part removed
W_part = np.r_[np.ones(u.size - m_sub), np.zeros(m_sub)]  # 1 on the hidden weights, 0 on v
curvature, cross = np.zeros_like(u), np.zeros_like(u)
for i in range(m_sub):
    theta_i = theta.copy()
    theta_i[-m_sub:] = np.sqrt(m_sub) * np.eye(m_sub)[i]  # output weights sqrt(m) e_i: f = alpha_i
    grad_i = sub_net.output_grad(theta_i, x0, backend=BACKEND)
    grad_i[-m_sub:] = 0.0  # grad alpha_i has no v-part
    curvature += v[i] * W_part * sub_net.output_hvp(theta_i, x0, u_W, backend=BACKEND)  # v_i (H_{alpha_i} u_W, 0)
    cross += u_v[i] * grad_i
    cross[u.size - m_sub + i] += grad_i @ u_W
exact = sub_net.output_hvp(theta, x0, u, backend=BACKEND)
lesson.check_below("(ii) H_f u = (1/sqrt m) sum_i [v_i H_{alpha_i} u + cross terms] (relative error, m = 12)",
                   relative((curvature + cross) / np.sqrt(m_sub), exact), 1e-10,
                   controls={"cross terms d^2 f / dv_i dW dropped": relative(curvature / np.sqrt(m_sub), exact)})


def submodel_sizes(m, theta, row_scale=1.0):
    """r_i = |sigma''(h_i)| ||grad h_i||^2 for the m neurons of layer 2 (2 hidden layers, x0 = 1).

    row_scale = sqrt(m) gives the standard parametrization, where d h_i / d W^2_i is sqrt(m) longer.
    """
    W1, W2, v = mg.nn.DeepNet(1, [m, m]).unflatten(theta)
    h1 = W1 @ x0
    a1, s1_first = np.tanh(h1), sigma_derivatives("tanh", h1)[0]
    s2 = sigma_derivatives("tanh", W2 @ a1 / math.sqrt(m))[1]
    grad_sq = row_scale**2 * (a1 @ a1) / m + (W2**2 @ (s1_first * x0[0]) ** 2) / m
    return np.abs(s2) * grad_sq, v


sizes = {"right": [], "SP": [], "triangle": []}
for m in widths:  # averaged over the initializations of section 3 (m_max / m of them)
    right, sp, triangle = [], [], []
    for s in range(n_seeds(m)):
        r, v = submodel_sizes(m, init(2, m, s))
        right.append(r.mean())
        sp.append(submodel_sizes(m, init(2, m, s), row_scale=math.sqrt(m))[0].mean())
        triangle.append(np.abs(v) @ r / math.sqrt(m))
    for key, values in (("right", right), ("SP", sp), ("triangle", triangle)):
        sizes[key].append(float(np.mean(values)))
lesson.say("  m:                                    " + "  ".join(f"{m:7d}" for m in widths))
lesson.say("  mean_i r_i (sub-model curvature):     " + "  ".join(f"{x:7.3f}" for x in sizes["right"]))
lesson.say("  (1/sqrt m) sum_i |v_i| r_i (aligned): " + "  ".join(f"{x:7.3f}" for x in sizes["triangle"]))
lesson.check_between("(ii) the sub-models are not flat: slope of mean_i |sigma''(h_i)| ||grad h_i||^2 vs log m",
                     loglog_slope(widths, sizes["right"]), -0.1, 0.1,
                     controls={"standard parametrization": loglog_slope(widths, sizes["SP"])})

# %% [markdown]
# ### (iii) Independence after a rotation
# All m neurons of layer L read the same input alpha^{L-1}, which depends on every layer
# below: they are not independent. But W^L is independent of alpha^{L-1} and its
# distribution does not change under a rotation of R^m. Rotate so that alpha^{L-1} points
# along the first axis (a Householder reflection Q with Q alpha^{L-1} = ||alpha^{L-1}|| e_1):
# W^L Q^T is again an i.i.d. N(0, 1) matrix, and h^L = (W^L Q^T) e_1 ||alpha^{L-1}|| / sqrt(m)
# is its first column times sqrt(q). So z = h^L / sqrt(q), q = ||alpha^{L-1}||^2 / m, is m
# INDEPENDENT N(0, 1) draws, exactly, given the layers below; the other columns of W^L Q^T
# (the directions in which neuron i acts on the layers below) are independent of z.
#
# Check 1: the Kolmogorov-Smirnov distance D between the m values z and N(0, 1). For m
# independent draws sqrt(m) D has the Kolmogorov distribution, whose mean is
# sqrt(pi/2) ln 2 = 0.8687; we average sqrt(m) D over every initialization of the depth-3
# sweep below (layer 3 reads a layer that depends on W^1 and W^2). The Kolmogorov
# distribution has standard deviation 0.26, so over the dozens of nets (their number is in
# the claim) the mean is within about 0.05 of 0.8687; the band [0.7, 1.05] leaves room for
# about three standard errors and the finite-m bias. Controls: dependent
# neurons (every row of W^L a copy of the first: all z equal), z without the division by
# sqrt(q) (a wrong scale), and N(1, 1) weights (not centred).
#
# Check 2 (a consequence): m independent Gaussian rows in R^m are nearly orthogonal, so
# ||W^l|| (spectral norm) is 2 sqrt(m) as m -> infinity (Bai-Yin), not m (the size it would
# have if the rows were aligned). This is what keeps the sum over sub-models in (ii) small:
# the rank-one pieces point in nearly orthogonal directions, as the blocks of a two-layer
# net do exactly. At finite m the top singular value sits slightly below 2 sqrt(m) (by a
# relative O(m^{-2/3}), Tracy-Widom), hence the band [1.9, 2.05]. Controls: rows that are
# copies of one row (aligned: ||W|| = m), and N(1, 1) weights (a common mean direction).

# %%
Z_SCALE = math.sqrt(math.pi / 2) * math.log(2)  # mean of the Kolmogorov distribution


def ks_distance(z):
    """sup_t |F_m(t) - Phi(t)|: Kolmogorov-Smirnov distance of the sample z from N(0, 1)."""
    z = np.sort(z)
    phi = 0.5 * (1 + np.array([math.erf(t / math.sqrt(2)) for t in z]))
    k = np.arange(1, z.size + 1)
    return float(max(np.max(k / z.size - phi), np.max(phi - (k - 1) / z.size)))


def rotated_z(net, theta, divide=True):
    """z = h^L / sqrt(q): the first column of W^L Q^T after the rotation (see the text)."""
    hs, alphas = forward(net, theta)
    q = alphas[-2] @ alphas[-2] / alphas[-2].size
    return hs[-1] / (math.sqrt(q) if divide else 1.0)


def copies(net, theta):
    """theta with every row of W^L replaced by its first row: m copies of one neuron."""
    *Ws, v = net.unflatten(theta)
    Ws[-1] = np.tile(Ws[-1][0], (Ws[-1].shape[0], 1))
    return net.flatten(Ws + [v])


# The rotation itself, once: Q = I - 2 w w^T / (w . w) with w = alpha^{L-1} - ||alpha^{L-1}|| e_1.
net3 = mg.nn.DeepNet(1, [m_top] * 3)
theta = init(3, m_top, 0)
hs, alphas = forward(net3, theta)
a = alphas[-2]
w = a.copy()
w[0] -= np.linalg.norm(a)
Q = np.eye(a.size) - 2 * np.outer(w, w) / (w @ w)
W3 = net3.unflatten(theta)[2]
first_column = (W3 @ Q.T)[:, 0]
lesson.say(f"  rotation check: max |first column of W^3 Q^T - z| = "
           f"{np.max(np.abs(first_column - rotated_z(net3, theta))):.2g} (rounding)")

# %% [markdown]
# ## 3. ||H_f(theta0)|| against the width, for 2 and 3 hidden layers (linear output)
# For each depth, width and initialization: Lanczos gives ||H_f(theta0)|| and its top
# eigenvector u1, the most curved direction, which section 6 uses for a Taylor probe.
#
# The last-layer block. Restrict H_f to the parameters of the last layer, (W^L, v). There
# the Hessian is block-diagonal across neurons (neuron i's weights meet only v_i), and
# neuron i's block acts on the direction alpha^{L-1} / ||alpha^{L-1}|| of its row W^L_i and on
# v_i as lesson 5's 2 x 2 block with x^2 replaced by q = ||alpha^{L-1}||^2 / m (and is zero on
# the rest of the row):
#
#     (1/sqrt(m)) [[v_i sigma''(h_i) q,  sigma'(h_i) sqrt(q)],
#                  [sigma'(h_i) sqrt(q), 0                  ]],
#
# of norm beta_i / sqrt(m), beta_i = |a_i|/2 + sqrt(a_i^2/4 + b_i^2), a_i = v_i sigma''(h_i) q,
# b_i = sigma'(h_i) sqrt(q). So the last-layer block has norm exactly max_i beta_i / sqrt(m):
# a value known in closed form, which Lanczos on the restricted HVP must reproduce. The
# max over m Gaussian v_i brings the sqrt(2 log m) factor, as in lesson 5; dividing
# ||H_f|| by max_i beta_i removes it. For ReLU, sigma'' = 0 and sigma' = 1 on active
# neurons: the block norm is exactly sqrt(q) / sqrt(m), slope exactly -1/2.

# %%
def last_block(net, theta, with_second=True):
    """(max_i beta_i, q): the closed form of the last-layer block (with_second=False drops sigma'')."""
    hs, alphas = forward(net, theta)
    v = net.unflatten(theta)[-1]
    q = alphas[-2] @ alphas[-2] / alphas[-2].size
    s1, s2 = sigma_derivatives(net.activation, hs[-1])
    a_i = v * s2 * q * (1.0 if with_second else 0.0)
    b_i = s1 * math.sqrt(q)
    return float(np.max(np.abs(a_i) / 2 + np.sqrt(a_i**2 / 4 + b_i**2))), float(q)


def last_block_lanczos(net, theta):
    """||P H_f P|| by Lanczos, P the projection on the last layer's parameters (W^L, v)."""
    P = np.zeros(net.num_params)
    P[-(net.widths[-1] * net.widths[-2] + net.widths[-1]):] = 1.0
    return abs(top_eigen(lambda u: P * net.output_hvp(theta, x0, P * u, backend=BACKEND), net.num_params,
                         tol=1e-5).value)


def remainder_along(net, theta0, u):
    """max over +-u of |f(theta0 + R u) - f_lin(theta0 + R u)| at x0 (mg.spectral.Linearization)."""
    lin = mg.spectral.Linearization(net.apply, theta0, X0, J0=net.jacobian(theta0, X0, backend=BACKEND))
    return max(abs(lin.remainder(theta0 + t * R * u)[0]) for t in (1.0, -1.0))


def per_width(rows, key, grid=None):
    """Geometric mean of r[key] over the rows (initializations) at each width: exp(mean log)."""
    return np.array([np.exp(np.mean([np.log(r[key]) for r in rows if r["m"] == m])) for m in (grid or widths)])


records = {depth: [] for depth in DEPTHS}
for depth in DEPTHS:
    for m in widths:
        net = mg.nn.DeepNet(1, [m] * depth, activation="tanh")
        for s in range(n_seeds(m)):
            lesson.progress(f"depth {depth}, width {m}, initialization {s + 1}")
            theta0 = init(depth, m, s)
            eig = top_eigen(hvp(net, theta0), net.num_params)
            beta, q = last_block(net, theta0)
            row = dict(m=m, seed=s, H=abs(eig.value), converged=eig.converged, beta=beta,
                       remainder=remainder_along(net, theta0, eig.vector),
                       ks=math.sqrt(m) * ks_distance(rotated_z(net, theta0)))
            if depth == 3:  # the controls of reason (iii), on the same initializations
                row.update(ks_copies=math.sqrt(m) * ks_distance(rotated_z(net, copies(net, theta0))),
                           ks_unscaled=math.sqrt(m) * ks_distance(rotated_z(net, theta0, divide=False)),
                           ks_shifted=math.sqrt(m) * ks_distance(rotated_z(net, theta0 + 1.0)))
            if depth == 2 and s == 0:  # the exactly known last-layer block, once per width
                row.update(block=last_block_lanczos(net, theta0), block_closed=beta,
                           block_no_second=last_block(net, theta0, with_second=False)[0], q=q)
            records[depth].append(row)
m_arr = np.array(widths, dtype=float)

# %% [markdown]
# Reason (iii), the numbers: the mean of sqrt(m) D over the initializations, and ||W^L|| / sqrt(m)
# at each width (depth 3, first initialization), with their controls.

# %%
deep3 = records[3]
lesson.check_between(f"(iii) rotated pre-activations z are m independent N(0, 1): mean sqrt(m) KS distance "
                     f"over {len(deep3)} nets (Kolmogorov mean {Z_SCALE:.4f})",
                     float(np.mean([r["ks"] for r in deep3])), 0.7, 1.05,
                     controls={"dependent neurons: rows of W^3 copies of one row":
                               float(np.mean([r["ks_copies"] for r in deep3])),
                               "z without the division by sqrt(q) (wrong scale)":
                               float(np.mean([r["ks_unscaled"] for r in deep3])),
                               "N(1, 1) weights (not centred)": float(np.mean([r["ks_shifted"] for r in deep3]))})

spectral = {"N(0, 1)": [], "copies of one row": [], "N(1, 1) weights": []}
for m in widths:
    W = mg.nn.DeepNet(1, [m] * 3).unflatten(init(3, m, 0))[2]
    for key, matrix in (("N(0, 1)", W), ("copies of one row", np.tile(W[0], (m, 1))), ("N(1, 1) weights", W + 1)):
        spectral[key].append(np.linalg.svd(matrix, compute_uv=False)[0] / math.sqrt(m))
for key, values in spectral.items():
    lesson.say(f"  ||W^3|| / sqrt(m), {key:18s}: " + "  ".join(f"{v:7.3f}" for v in values))
lesson.check_between(f"(iii) ||W^3|| / sqrt(m) -> 2 (nearly orthogonal rows), at m = {m_top}",
                     spectral["N(0, 1)"][-1], 1.9, 2.05,
                     controls={key: values[-1] for key, values in spectral.items() if key != "N(0, 1)"})

# %% [markdown]
# ### The exactly known values
# The last-layer block by Lanczos against its closed form max_i beta_i / sqrt(m), for 2
# hidden layers at every width (Lanczos at tol 1e-5, so ~1e-10 relative; 1e-8 is safe).
# Control: the closed form without the sigma'' term (a dropped term). Then ReLU:
# ||last block|| / sqrt(q) must have slope -1/2 to rounding; the same measurement on tanh
# (control) carries the log factor and misses.

# %%
relu = []
for m in widths:
    net = mg.nn.DeepNet(1, [m, m], activation="relu")
    theta0 = init(2, m, 0)
    beta, q = last_block(net, theta0)
    relu.append(dict(m=m, block=last_block_lanczos(net, theta0), block_closed=beta, q=q))
firsts = [r for rows in records.values() for r in rows if "block" in r]
lesson.check_below("last-layer block: Lanczos = closed form max_i beta_i / sqrt(m) (max relative error, "
                   "tanh and relu, 2 hidden layers, every width)",
                   max(abs(r["block"] * math.sqrt(r["m"]) / r["block_closed"] - 1) for r in firsts + relu), 1e-8,
                   controls={"closed form without the sigma'' term":
                             max(abs(r["block"] * math.sqrt(r["m"]) / r["block_no_second"] - 1) for r in firsts)})
relu_slope = loglog_slope(m_arr, [r["block"] / math.sqrt(r["q"]) for r in relu])
tanh_slope = loglog_slope(m_arr, [r["block"] / math.sqrt(r["q"]) for r in records[2] if "block" in r])
lesson.check_below("relu: ||last-layer block|| / sqrt(q) = m^{-1/2} exactly: |slope + 1/2|", abs(relu_slope + 0.5),
                   1e-6, controls={"tanh (sigma'' != 0: the log factor)": abs(tanh_slope + 0.5)})

# %% [markdown]
# ### The controls of the slope tests
# Each is measured exactly like the claim (Lanczos on the HVP, geometric mean over the
# same initializations, log-log slope):
# * standard parametrization: the same functions, but the hidden weights are W / sqrt(m)
#   with no 1/sqrt(m) at apply time (the first layer has fan-in d = 1: unchanged). With
#   D = sqrt(fan-in) on those weights, f_SP(theta') = f(D theta'), so H_SP = D H_f D: the
#   weight-weight blocks are multiplied by m;
# * dependent neurons: every row of W^L a copy of the first (reason (iii) switched off);
# * narrow nets, m = 2..8 (the claim is about large m);
# * the softplus output layer of section 4 (the same initializations);
# * the measured values tilted to m^{-1/3} (a wrong exponent the band must exclude).

# %%
controls = {"SP": [], "copies": []}
for m in widths:
    net = mg.nn.DeepNet(1, [m, m])
    shapes = [W.shape for W in net.unflatten(np.zeros(net.num_params))[:-1]]  # (rows, fan-in) per layer
    D = np.concatenate([np.full(rows * fan_in, math.sqrt(fan_in)) for rows, fan_in in shapes] + [np.ones(m)])
    for s in range(n_seeds(m)):
        lesson.progress(f"controls, width {m}, initialization {s + 1}")
        theta0 = init(2, m, s)
        beta = last_block(net, theta0)[0]
        sp = top_eigen(lambda u: D * net.output_hvp(theta0, x0, D * u, backend=BACKEND), net.num_params)
        controls["SP"].append(dict(m=m, H=abs(sp.value), beta=beta, converged=sp.converged))
        dependent = copies(net, theta0)
        eig = top_eigen(hvp(net, dependent), net.num_params)
        controls["copies"].append(dict(m=m, H=abs(eig.value), beta=last_block(net, dependent)[0],
                                       converged=eig.converged))
narrow = []
for m in NARROW:
    net = mg.nn.DeepNet(1, [m, m])
    for s in range(64 // m):
        theta0 = init(2, m, s)
        eig = top_eigen(hvp(net, theta0), net.num_params)
        narrow.append(dict(m=m, H=abs(eig.value), beta=last_block(net, theta0)[0], converged=eig.converged))

# %% [markdown]
# ## 4. The counter-example: a non-linear output layer
# Take the 2-hidden-layer network above as g = f~(x0) and put phi = softplus on top:
# f = phi(f~), with the same parameters theta. By the chain rule, for every direction u,
#
#     H_f u = phi''(g) (grad g . u) grad g + phi'(g) H_g u.
#
# First check this identity on a small net, HVP against HVP (rounding only: 1e-10).
# Control: the identity without the rank-one term (a dropped term).

# %%
small_g = mg.nn.DeepNet(1, [6, 6], activation="tanh")
small_f = mg.nn.DeepNet(1, [6, 6], activation="tanh", output_activation=OUTPUT)
th = small_g.init(5)
u = np.random.default_rng(6).standard_normal(small_g.num_params)
g = small_g.output(th, x0, backend="engine")
grad_g = small_g.output_grad(th, x0, backend="engine")
sig = 1 / (1 + np.exp(-g))  # softplus' = sigmoid, softplus'' = sigmoid (1 - sigmoid), by hand
rank_one = sig * (1 - sig) * (grad_g @ u) * grad_g
rest = sig * small_g.output_hvp(th, x0, u, backend="engine")
H_f_u = small_f.output_hvp(th, x0, u, backend="engine")
lesson.check_below("H_f u = phi''(g)(grad g . u) grad g + phi'(g) H_g u (engine, relative error)",
                   relative(rank_one + rest, H_f_u), 1e-10,
                   controls={"without the rank-one term phi'' grad g grad g^T": relative(rest, H_f_u)})

# %% [markdown]
# So H_f is a rank-one matrix of norm c = phi''(g) K(x0, x0), where K = ||grad g||^2 is the
# tangent kernel, plus a perturbation of norm e = phi'(g) ||H_g|| = O~(1/sqrt(m)) (section 3).
# By Weyl's inequality | ||H_f|| - c | <= e. As m grows, K converges to a positive limit
# (the NTK) and g(x0) to a Gaussian variable of variance O(1), so c stays O(1): the Hessian
# does not vanish. We chose phi = softplus because phi'' = sigmoid (1 - sigmoid) > 0
# everywhere. (With tanh, tanh''(0) = 0: at an input where g happens to be near 0 the O(1)
# term hides at theta0, and reappears as soon as g moves, i.e. on the ball.)
#
# For each width we measure ||H_f|| on the same initializations as section 3 (there
# ||H_g|| is known, so we can check Weyl's sandwich), plus more initializations where
# those are few: g is random, and c = phi''(g) K with it.
#
# Checks: Weyl's sandwich; ||H_f|| has slope 0 within +-0.25 (the perturbation e, nearly
# as large as c at the smallest width (the control of the e / c check prints it) and
# shrinking like m^{-1/2}, tilts the fitted slope down; g is random); the tangent kernel K
# has slope 0 within +-0.1
# (it converges to the NTK, with relative fluctuations O(m^{-1/2})); at the largest width
# e < c / 2, so ||H_f|| >= c / 2 there; and ||H_f|| is then larger than the linear-output
# ||H_g||, which keeps falling. Controls: the linear-output net measured the same way (its
# Hessian does shrink), and the two largest-width checks repeated at the smallest width
# (there the vanishing part has not vanished yet).

# %%
counter = []
for m in widths:
    net_f = mg.nn.DeepNet(1, [m, m], activation="tanh", output_activation=OUTPUT)
    net_g = mg.nn.DeepNet(1, [m, m], activation="tanh")
    H_g = {r["seed"]: r["H"] for r in records[2] if r["m"] == m}  # same seeds (2, m, s), same theta
    for s in range(max(4, n_seeds(m))):
        lesson.progress(f"{OUTPUT} output, width {m}, initialization {s + 1}")
        theta0 = init(2, m, s)
        eig = top_eigen(hvp(net_f, theta0), net_f.num_params)
        g = net_g.output(theta0, x0, backend=BACKEND)
        sig = 1 / (1 + np.exp(-g))
        K = float(np.sum(net_g.output_grad(theta0, x0, backend=BACKEND) ** 2))
        counter.append(dict(m=m, seed=s, H=abs(eig.value), converged=eig.converged, K=K, c=sig * (1 - sig) * K,
                            e=sig * H_g[s] if s in H_g else None, beta=last_block(net_g, theta0)[0],
                            remainder=remainder_along(net_f, theta0, eig.vector)))
both = [r for r in counter if r["e"] is not None]

everything = [r for rows in records.values() for r in rows] + counter + narrow + [
    r for rows in controls.values() for r in rows]
lesson.check_true("Lanczos converged for every net", all(r["converged"] for r in everything),
                  f"{sum(r['converged'] for r in everything)}/{len(everything)}")
weyl = max(abs(r["H"] - r["c"]) - r["e"] for r in both)
lesson.check_below("Weyl: | ||H_f|| - phi''(g) K | - phi'(g) ||H_g|| <= 0 at every width and init (max)",
                   weyl, 1e-6, controls={"the rank-one term alone, e dropped: | ||H_f|| - phi''(g) K | <= 0":
                                         max(abs(r["H"] - r["c"]) for r in both)})
Hf_mean, c_mean, K_mean = per_width(counter, "H"), per_width(counter, "c"), per_width(counter, "K")
e_mean = per_width(both, "e")
lesson.say(f"  {OUTPUT} output: ||H_f||     = " + "  ".join(f"{h:7.4f}" for h in Hf_mean))
lesson.say("  O(1) term c = phi''(g) K = " + "  ".join(f"{h:7.4f}" for h in c_mean))
lesson.say("  tangent kernel K(x0, x0) = " + "  ".join(f"{h:7.4f}" for h in K_mean))
lesson.say("  perturbation e = phi' ||H_g|| = " + "  ".join(f"{h:7.4f}" for h in e_mean))

# %% [markdown]
# ## 5. The slopes
# The theorem: ||H_f|| = O~(1/sqrt(m)). The "~" hides log factors; one factor sqrt(log m)
# (the size of a maximum over m Gaussian quantities) has slope delta = 1/(2 log m) on our
# range (computed below). So the raw slope should lie in [-1/2 - 0.1, -1/2 + delta + 0.1];
# the 0.1 margins cover what is left of the initialization randomness after averaging.
# That band is wide: it would also accept m^{-1/3}. So we divide out the log factor, as
# lesson 5 does: ||H_f|| / max_i beta_i (section 3) must have slope -1/2 within 0.1, a band
# that excludes -1/3. max_i beta_i is sqrt(m) times the exact norm of the last-layer block:
# it carries the max over m Gaussians and no power of m. If the rest of H_f is of the
# same order as that block, the ratio keeps the 1/sqrt(m) and loses the log factor; the
# printed sqrt(m) ||H_f|| / max_i beta_i indeed stays level. (It is larger at depth 3: there
# most of the curvature sits in the layers below, whose log factor is of the same kind but
# not the same draw; the 0.1 margin covers the difference.)

# %%
delta = loglog_slope(m_arr, np.sqrt(2 * np.log(m_arr)))
lesson.say(f"  slope of sqrt(2 log m) over the widths: delta = {delta:.3f}")
for r in [r for rows in records.values() for r in rows] + narrow + counter + controls["SP"] + controls["copies"]:
    r["H/beta"] = r["H"] / r["beta"]
H_mean, ratio_mean = {}, {}
for depth in DEPTHS:
    H_mean[depth] = per_width(records[depth], "H")
    ratio_mean[depth] = per_width(records[depth], "H/beta")
    lesson.say(f"  depth {depth}: m                    = " + "  ".join(f"{int(m):7d}" for m in m_arr))
    lesson.say(f"  depth {depth}: ||H||                = " + "  ".join(f"{h:7.4f}" for h in H_mean[depth]))
    lesson.say(f"  depth {depth}: sqrt(m) ||H|| / beta = "
               + "  ".join(f"{h:7.3f}" for h in ratio_mean[depth] * np.sqrt(m_arr)))
tilt = m_arr ** (1 / 6)  # turns an m^{-1/2} law into m^{-1/3}
wrong_variants = {  # name: (its rows, its width grid); all with 2 hidden layers
    "standard parametrization (no 1/sqrt(m) in the hidden layers)": (controls["SP"], widths),
    "dependent neurons (rows of W^2 copies of one row)": (controls["copies"], widths),
    f"{OUTPUT} output layer": (counter, widths),
    "narrow nets, m = 2..8": (narrow, NARROW),
}
raw_controls = {f"{name}, 2 hidden layers": loglog_slope(grid, per_width(rows, "H", grid))
                for name, (rows, grid) in wrong_variants.items()}
ratio_controls = {f"{name}, 2 hidden layers": loglog_slope(grid, per_width(rows, "H/beta", grid))
                  for name, (rows, grid) in wrong_variants.items()}
for depth in DEPTHS:
    lesson.check_between(f"depth {depth}, linear output: slope of log ||H_f(theta0)|| vs log m (log factor "
                         f"allowed)", loglog_slope(m_arr, H_mean[depth]), -0.6, -0.5 + delta + 0.1,
                         controls=raw_controls)
    lesson.check_between(f"depth {depth}, linear output: slope of log (||H_f|| / max_i beta_i) vs log m "
                         f"(log factor removed)", loglog_slope(m_arr, ratio_mean[depth]), -0.6, -0.4,
                         controls=dict(ratio_controls, **{"the same values tilted to m^{-1/3}":
                                                          loglog_slope(m_arr, ratio_mean[depth] * tilt)}))

# %% [markdown]
# The counter-example's slopes: ||H_f|| stays O(1) with a softplus output layer, because
# the tangent kernel K(x0, x0) does not shrink. Controls: the linear-output net.

# %%
lesson.check_between(f"{OUTPUT} output: slope of log ||H_f(theta0)|| vs log m (stays O(1))",
                     loglog_slope(m_arr, Hf_mean), -0.25, 0.25,
                     controls={"linear output, depth 2": loglog_slope(m_arr, H_mean[2])})
lesson.check_between("tangent kernel K(x0, x0) = ||grad g||^2: slope vs log m (converges to the NTK)",
                     loglog_slope(m_arr, K_mean), -0.1, 0.1,
                     controls={"||H_g|| of the linear-output net (it does shrink)": loglog_slope(m_arr, H_mean[2])})
lesson.check_below("at the largest width the vanishing part is small: e / c", float(e_mean[-1] / c_mean[-1]), 0.5,
                   controls={f"at the smallest width, m = {widths[0]}": float(e_mean[0] / c_mean[0])})
lesson.check_above("at the largest width: ||H_f|| (softplus output) / ||H_g|| (linear output)",
                   float(Hf_mean[-1] / H_mean[2][-1]), 1.0,
                   controls={f"at the smallest width, m = {widths[0]}": float(Hf_mean[0] / H_mean[2][0])})

# %% [markdown]
# ## 6. The Taylor remainder along the most curved direction
# f(theta0 + R u1) - f_lin(theta0 + R u1) with R = 1 and u1 the top eigenvector of H_f(theta0)
# (the worse of +u1 and -u1), from mg.spectral.Linearization. With a linear output layer
# it is about (1/2) R^2 ||H_f|| and shrinks the same way; with the softplus output it does
# not: moving theta by R along u1 ~ grad g / ||grad g|| moves g by about R sqrt(K) = O(1),
# and phi is curved on that scale. The remainder carries the Hessian's log factor, so, as in
# section 5, we divide it by max_i beta_i and ask for slope -1/2 within 0.1 (the raw slope
# is printed). Controls: the softplus output measured the same way, and m^{-1/3}.

# %%
for r in [r for rows in records.values() for r in rows] + counter:
    r["remainder/beta"] = r["remainder"] / r["beta"]
rem = {depth: per_width(records[depth], "remainder") for depth in DEPTHS}
rem_f = per_width(counter, "remainder")
for depth in DEPTHS:
    rem_ratio = per_width(records[depth], "remainder/beta")
    lesson.say(f"  depth {depth}, linear output: remainder = " + "  ".join(f"{r:8.3g}" for r in rem[depth])
               + f"   (slope {loglog_slope(m_arr, rem[depth]):.3f} with the log factor)")
    lesson.check_between(f"depth {depth}, linear output: slope of remainder along u1 / max_i beta_i (log factor "
                         f"removed)", loglog_slope(m_arr, rem_ratio), -0.6, -0.4,
                         controls={f"{OUTPUT} output (2 hidden layers)":
                                   loglog_slope(m_arr, per_width(counter, "remainder/beta")),
                                   "the same values tilted to m^{-1/3}": loglog_slope(m_arr, rem_ratio * tilt)})
lesson.say(f"  {OUTPUT} output: remainder = " + "  ".join(f"{r:8.3g}" for r in rem_f))
lesson.check_between(f"{OUTPUT} output: slope of the remainder along u1 (stays O(1))", loglog_slope(m_arr, rem_f),
                     -0.25, 0.25, controls={"linear output, depth 2": loglog_slope(m_arr, rem[2])})

# %% [markdown]
# ## 7. Pictures
# (a) ||H_f(theta0)|| against m (faint dots: single initializations; lines: their
# geometric mean). With a linear output layer both depths follow m^{-1/2}, bent slightly
# by the log factor; a softplus
# output levels off at the O(1) term phi''(g) K; the controls (standard parametrization,
# dependent neurons) do not fall. (b) The same divided by the log factor max_i beta_i, and
# ReLU's exactly known last-layer block, against m^{-1/2} and m^{-1/3}. (c) The Taylor
# remainder at distance R = 1 along the most curved direction. (d) Reason (iii): the
# rotated pre-activations z of layer 3 at the largest width follow N(0, 1).

# %%
def width_axis(ax):
    """Log x-axis labelled with the widths themselves (no crowded minor tick labels)."""
    ax.set_xticks(widths, [str(m) for m in widths])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.set_xlabel("width m (every hidden layer)")


fig, axes = plt.subplots(2, 2, figsize=(13, 9.6))
colors = {2: "C0", 3: "C1"}
ax = axes[0, 0]
for depth in DEPTHS:
    ax.loglog([r["m"] for r in records[depth]], [r["H"] for r in records[depth]], ".", color=colors[depth], alpha=0.3)
    ax.loglog(m_arr, H_mean[depth], "o-", color=colors[depth], label=f"{depth} hidden layers, linear output")
ax.loglog([r["m"] for r in counter], [r["H"] for r in counter], ".", color="C3", alpha=0.3)
ax.loglog(m_arr, Hf_mean, "s-", color="C3", label=f"2 hidden layers, {OUTPUT} output")
ax.loglog(m_arr, c_mean, "--", color="C3", lw=1, label=r"O(1) term $\phi''(g)\,K(x,x)$")
ax.loglog(m_arr, per_width(controls["SP"], "H"), "v-", color="C4", label="control: standard parametrization")
ax.loglog(m_arr, per_width(controls["copies"], "H"), "^-", color="C2", label="control: dependent neurons (copies)")
ax.loglog(m_arr, H_mean[2][0] * np.sqrt(m_arr[0] / m_arr), "k:", lw=1, label=r"$\propto m^{-1/2}$")
width_axis(ax)
ax.set_ylabel(r"$\|H_f(\theta_0)\|$ (spectral norm)")
ax.set_title("(a) Hessian norm of the output")
low, high = ax.get_ylim()
ax.set_ylim(low, high * (high / low) ** 0.4)  # room above the data for the legend
ax.legend(fontsize=8, loc="upper left", ncol=2)

ax = axes[0, 1]
for depth in DEPTHS:
    ax.loglog(m_arr, ratio_mean[depth], "o-", color=colors[depth],
              label=rf"{depth} hidden layers: $\|H_f\|\,/\,\beta_{{max}}$")
relu_norm = np.array([r["block"] / math.sqrt(r["q"]) for r in relu])
ax.loglog(m_arr, relu_norm, "D", color="C5", label=r"relu: last-layer block / $\sqrt{q}$ (exact)")
ax.loglog(m_arr, relu_norm[0] * np.sqrt(m_arr[0] / m_arr), "k:", lw=1, label=r"$\propto m^{-1/2}$")
ax.loglog(m_arr, ratio_mean[2][0] * (m_arr[0] / m_arr) ** (1 / 3), "k--", lw=1, label=r"$\propto m^{-1/3}$ (wrong)")
width_axis(ax)
ax.set_ylabel(r"Hessian norm / its log factor $\beta_{max}$ or $\sqrt{q}$")
ax.set_title("(b) log factor divided out: slope -1/2, not -1/3")
ax.legend(fontsize=8, loc="lower left")

ax = axes[1, 0]
for depth in DEPTHS:
    ax.loglog(m_arr, rem[depth], "o-", color=colors[depth], label=f"{depth} hidden layers, linear output")
ax.loglog(m_arr, rem_f, "s-", color="C3", label=f"2 hidden layers, {OUTPUT} output")
ax.loglog(m_arr, rem[2][0] * np.sqrt(m_arr[0] / m_arr), "k:", lw=1, label=r"$\propto m^{-1/2}$")
width_axis(ax)
ax.set_ylabel(r"$|f - f_{lin}|$ at $\theta_0 + R u_1$, $R = 1$")
ax.set_title("(c) Taylor remainder along the most curved direction")
ax.legend(fontsize=8, loc="lower left")

ax = axes[1, 1]
z = rotated_z(net3, init(3, m_top, 0))
grid = np.linspace(-4, 4, 201)
ax.hist(z, bins=40, range=(-4, 4), density=True, color="C1", alpha=0.5, label=f"z = $h^3/\\sqrt{{q}}$, m = {m_top}")
ax.hist(rotated_z(net3, init(3, m_top, 0), divide=False), bins=40, range=(-4, 4), density=True, histtype="step",
        color="C7", label=r"control: $h^3$ without $/\sqrt{q}$")
ax.plot(grid, np.exp(-grid**2 / 2) / np.sqrt(2 * np.pi), "k", lw=1.5, label="N(0, 1) density")
ax.set_xlabel("pre-activation of a layer-3 neuron (one initialization)")
ax.set_ylabel("density over the m neurons")
ax.set_title("(d) after the rotation: m independent N(0, 1) draws")
ax.legend(fontsize=8, loc="upper left")
fig.tight_layout()
lesson.save_figure(fig, "deep")
