"""Lesson 7 — why over-parameterization helps optimization: PL* and a tangent kernel that barely moves.

The slide (Liu, Zhu, Belkin, "Loss landscapes and optimization in over-parameterized
non-linear systems and neural networks", ACHA 2022; Jacot, Gabriel, Hongler, "Neural
tangent kernel", NeurIPS 2018): a wide network's tangent kernel is nearly constant, and
this makes gradient descent, and SGD, converge fast, to a global minimum.

The PL* condition, as Liu, Zhu and Belkin state it: a non-negative loss L is mu-PL* on a
set S (mu > 0) if

    (1/2) ||grad L(theta)||^2 >= mu L(theta)    for every theta in S.

Their theorem (local PL* gives a solution and fast convergence): if L is beta-smooth
(||Hess L|| <= beta) and mu-PL* on the ball B(theta0, R) of radius

    R = 2 sqrt(2 beta L(theta0)) / mu,

then the ball holds a global minimizer (f(theta*) = y), and gradient descent with a step
eta <= 1/beta stays in the ball and converges to one geometrically,
L(theta_t) <= (1 - eta mu)^t L(theta0).

Our loss and its tangent kernel. For the square loss on n points,

    L(theta) = (1/(2n)) sum_j (f(x_j; theta) - y_j)^2,   r = f - y (n,),   J = df/dtheta (n, p),
    grad L = J^T r / n,    K(theta) = J J^T (n, n), the tangent kernel,
    (1/2) ||grad L||^2 = r^T K r / (2 n^2) >= (lambda_min(K) / n) ||r||^2 / (2n) = (lambda_min(K) / n) L,

so our loss is mu-PL* wherever lambda_min(K) / n >= mu. (Some texts write the PL
inequality without the 1/2, ||grad L||^2 >= mu' L; their mu' is twice this mu.)

Checked here, for f(x) = (1/sqrt m) sum_i v_i tanh(w_i . x) (mg.nn.TwoLayerNet) trained by
mg.optim.gd on 10 points of a 1-d target, at widths from 10^2 up, three initializations
each, with every number measured in this run and a wrong variant (a control) beside each
claim that must fail the same test:
  * the closed forms agree with the engine, and the exact Hessian of L is the
    Gauss-Newton part plus the residual term (control: Gauss-Newton alone);
  * the sharpness beta = ||Hess L(theta0)|| is lambda_max(K0)/n for a wide net, so
    eta = n / lambda_max(K0) is the theorem's 1/beta (control: a narrow net);
  * the relative kernel change shrinks with m, between the m^{-1/2} of the bound and
    the m^{-1} of the GD path, and is small at the widest net (controls: a tanh output
    layer, whose kernel moves O(1); a narrow net);
  * ||theta0|| grows exactly like m^{1/2} (control: a slope helper that mixes log bases),
    while ||theta_T - theta0|| stays O(1) (control: ||theta_T||, theta0 not subtracted);
  * PL* holds along every GD path with half the constant read off K at initialization,
    and the path stays inside the theorem's ball (controls: lambda_max in place of
    lambda_min; the tanh output layer);
  * the late loss decay of the widest nets is the linearized model's (control: a narrow net);
  * the network's outputs approach those of its linearization (controls as for the kernel);
  * constant-step mini-batch SGD drives a wide net to interpolation, and the gradient
    noise vanishes with the loss (control: a narrow net that cannot interpolate).

Run it:  python -m lessons 7
"""

# %% [markdown]
# ## 0. Setup
# Ten points x_j evenly spaced on [-3, 5], target y = sin(x). TwoLayerNet has no biases,
# so each input is fed as (x_j, 2): the weight on the constant acts as a bias, of standard
# deviation 2. Why these choices: without a bias, f would be odd in x and the kernel of so
# smooth a function class on ten 1-d points is numerically singular (no PL* constant at
# all); the bias and the spread of the points keep the condition number
# lambda_max / lambda_min of K moderate (printed below), so that the slowest mode shows
# within a few thousand steps; and an interval that is not symmetric about 0 separates
# the two smallest eigenvalues of K (on a symmetric grid an even and an odd mode share
# almost the same one, and the late loss would mix two rates).
#
# The kernel change varies by a factor of a few from one initialization to the next, so
# every width is trained from three initializations and the scaling laws are fitted to
# geometric means over them.

# %%
from lessons.harness import Lesson, loglog_slope  # first: it sets up numpy's threads before numpy loads

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

lesson = Lesson(7, "Why it helps: PL* and a tangent kernel that barely moves")

n = 10
x_train = np.linspace(-3.0, 5.0, n)
BIAS_INPUT = 2.0
X = np.column_stack([x_train, np.full(n, BIAS_INPUT)])  # (n, d) = (10, 2): rows (x_j, 2)
y = np.sin(x_train)  # (n,)
widths = lesson.size([100, 316, 1000, 3162, 10000], [100, 316, 1000])
SEEDS = (0, 1, 2)
steps = 2000  # T: the same number of GD steps at every width, in both modes
RECORD = 10  # record the loss, the distance and the outputs every 10 steps
CHECKPOINTS = steps // 10  # the tangent kernel is recomputed every T/10 steps along the path
SNAPSHOTS = (0, 50, 500, steps)  # steps at which the fitted functions are drawn (seed 0)
M_SHARP = 10000  # width at which the sharpness is checked (Lanczos only: cheap in both modes)
# The numpy closed forms of mg.nn: on this 2-core machine they ran faster than the
# compiled ("numba") ones at these small n; section 1 checks them against the engine.
BACKEND = "numpy"


def relative(a, b):
    """||a - b|| / ||b||: how far a is from the reference b."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


def over_seeds(values):
    """Geometric mean over the seeds: (len(widths), len(SEEDS)) -> (len(widths),)."""
    return np.exp(np.log(values).mean(axis=1))


# %% [markdown]
# Thousands of steps at up to p = 3 10^4 parameters need one forward pass per step, so
# the training loops use `loss_and_grad` below, which returns L and grad L together
# (mg.nn's `loss` and `loss_grad` each run the forward pass). With `tanh_output=True` it
# is the net tanh(f): a *non-linear output layer*, the counter-example of Liu, Zhu and
# Belkin (2020), used below as a control: its kernel moves O(1) however wide the net.

# %%
def split(theta, d):
    """W (m, d), v (m,) from theta = [W.ravel(), v] (TwoLayerNet's layout)."""
    m = theta.size // (d + 1)
    return theta[: m * d].reshape(m, d), theta[m * d:]


def outputs(theta, X, tanh_output=False):
    """f(x_j) = tanh(X W^T) v / sqrt m for the rows of X; tanh of it with a tanh output layer."""
    W, v = split(theta, X.shape[1])
    f = np.tanh(X @ W.T) @ v / np.sqrt(v.size)
    return np.tanh(f) if tanh_output else f


def loss_and_grad(theta, X, y, tanh_output=False):
    """(L, grad L) for L = (1/(2n)) ||outputs - y||^2, in one forward pass.

    dL/dv_i = sum_j w_j h_ji,  dL/dW_i = v_i sum_j w_j (1 - h_ji^2) x_j, with h = tanh(X W^T)
    and w_j = r_j s_j / (n sqrt m), s_j the output layer's slope (1, or 1 - tanh^2).
    """
    W, v = split(theta, X.shape[1])
    H = np.tanh(X @ W.T)  # (n, m)
    f = H @ v / np.sqrt(v.size)
    slope = np.ones_like(f)
    if tanh_output:
        f = np.tanh(f)
        slope = 1.0 - f * f
    r = f - y
    w = r * slope / (y.size * np.sqrt(v.size))
    grad_W = v[:, None] * (((1.0 - H * H) * w[:, None]).T @ X)
    return 0.5 * float(r @ r) / y.size, np.concatenate([grad_W.ravel(), H.T @ w])


def jacobian(theta, tanh_output=False):
    """J (n, p) on the training inputs (mg.nn closed form; times the output slope for tanh(f))."""
    J = mg.nn.TwoLayerNet(2, theta.size // 3).jacobian(theta, X, backend=BACKEND)
    if tanh_output:
        J = J * (1.0 - outputs(theta, X, True) ** 2)[:, None]
    return J


def kernel(theta, tanh_output=False):
    """The tangent kernel K(theta) = J J^T (n, n) on the training inputs."""
    return mg.spectral.tangent_kernel(jacobian(theta, tanh_output))


# %% [markdown]
# ## 1. The closed forms agree with the engine
# Compare, on a small net and the same data, the closed forms (mg.nn's numpy backend and
# the lesson's `loss_and_grad`, `jacobian`) with the engine (a Tensor graph
# differentiated by reverse mode): loss, gradient, exact Hessian-vector product (HVP),
# Jacobian, outputs. The tanh-output variant is compared with mg.nn.DeepNet, whose
# output layer can be tanh (DeepNet also divides the first layer by sqrt(d), so it gets
# the inputs times sqrt(2) to compute the same function). Both sides compute the same
# formulas in float64, so only rounding separates them; 1e-10 relative leaves room for
# rounding and catches any real mistake.
#
# Control: the *Gauss-Newton* product J^T J v / n, a common stand-in for the HVP (it
# drops the residual term, section 2), in place of the exact one. It must fail.

# %%
rng = np.random.default_rng(0)
small = mg.nn.TwoLayerNet(2, 7, activation="tanh")
th_small = small.init(1)
direction = rng.standard_normal(small.num_params)
deep_small = mg.nn.DeepNet(2, [7], activation="tanh", output_activation="tanh")
X_deep = X * np.sqrt(2.0)  # DeepNet divides the first layer by sqrt(d) = sqrt(2)
engine_hvp = small.loss_hvp(th_small, X, y, direction, backend="engine")
pairs = [
    (small.loss(th_small, X, y, backend=BACKEND), small.loss(th_small, X, y, backend="engine")),
    (small.loss_grad(th_small, X, y, backend=BACKEND), small.loss_grad(th_small, X, y, backend="engine")),
    (small.loss_hvp(th_small, X, y, direction, backend=BACKEND), engine_hvp),
    (small.jacobian(th_small, X, backend=BACKEND), small.jacobian(th_small, X, backend="engine")),
    (small.apply(th_small, X), small.apply(mg.Tensor(th_small), X).data),
    (loss_and_grad(th_small, X, y)[0], small.loss(th_small, X, y, backend="engine")),
    (loss_and_grad(th_small, X, y)[1], small.loss_grad(th_small, X, y, backend="engine")),
    (loss_and_grad(th_small, X, y, True)[0], deep_small.loss(th_small, X_deep, y, backend="engine")),
    (loss_and_grad(th_small, X, y, True)[1], deep_small.loss_grad(th_small, X_deep, y, backend="engine")),
    (jacobian(th_small, True), deep_small.jacobian(th_small, X_deep, backend="engine")),
]
worst = max(relative(a, b) for a, b in pairs)
J_small = small.jacobian(th_small, X, backend=BACKEND)
gauss_newton_small = J_small.T @ (J_small @ direction) / n
lesson.check_below("closed forms = engine (loss, gradient, HVP, Jacobian, outputs, tanh output; max relative error)",
                   worst, 1e-10,
                   controls={"Gauss-Newton J^T J v / n in place of the exact HVP": relative(gauss_newton_small,
                                                                                             engine_hvp)})

# %% [markdown]
# ## 2. The exact Hessian, and the step size
# The Hessian of L is
#
#     Hess L = J^T J / n  +  (1/n) sum_j r_j Hess f_j,
#
# a Gauss-Newton part plus a residual term. First we check this identity with numbers:
# at theta0 of a wide net, the exact HVP (mg.nn's closed form) minus the Gauss-Newton
# product equals the residual term computed on its own, point by point, from the
# Hessians of the outputs f_j (mg.nn's `output_hvp`). A Gauss-Newton "HVP" leaves no
# difference at all and fails. This matters because the next check cannot tell the two
# apart on its own.
#
# The Gauss-Newton part's top eigenvalue is lambda_max(K)/n (J^T J and J J^T share their
# non-zero eigenvalues); the residual part is O(1/sqrt m) (Hess f_j is: lesson 5). So for
# a wide net the smoothness is beta ~ lambda_max(K0)/n, and we take
#
#     eta = n / lambda_max(K0)    (= 1/beta, the step of the PL* theorem),
#
# computed for each net from its own kernel. Every width then runs at the same point of
# its own stability range (eta lambda_max / n = 1, half way to the divergence threshold 2),
# which makes the comparison across widths fair. We check beta * eta ~ 1 at m = M_SHARP,
# with beta from Lanczos (an iterative eigenvalue method that needs only HVPs) on the
# exact HVP of L; the 5% allowance is for the O(1/sqrt m) residual part.
# Control: the same ratio for a narrow net (m = 100), whose residual part is not small.

# %%
def setup(m, seed, tanh_output=False):
    """theta0 (from the seed pair (seed, m)), K0 and eta = n / lambda_max(K0) for a width-m net."""
    theta0 = mg.nn.TwoLayerNet(2, m).init(np.random.default_rng([seed, m]))
    K0 = kernel(theta0, tanh_output)
    return theta0, K0, n / np.linalg.eigvalsh(K0)[-1]


def sharpness(m, seed):
    """beta = ||Hess L(theta0)|| by Lanczos on the exact HVP."""
    net, (theta0, _, _) = mg.nn.TwoLayerNet(2, m), setup(m, seed)
    return mg.spectral.hessian_spectral_norm(lambda v: net.loss_hvp(theta0, X, y, v, backend=BACKEND),
                                             net.num_params, seed=seed)


wide = mg.nn.TwoLayerNet(2, M_SHARP)
theta_w, _, _ = setup(M_SHARP, SEEDS[0])
vec = np.random.default_rng(1).standard_normal(wide.num_params)
J_w = wide.jacobian(theta_w, X, backend=BACKEND)
exact_hv = wide.loss_hvp(theta_w, X, y, vec, backend=BACKEND)
gauss_newton_hv = J_w.T @ (J_w @ vec) / n
r_w = wide.apply(theta_w, X) - y
residual_hv = sum(r_w[j] * wide.output_hvp(theta_w, X[j], vec, backend=BACKEND) for j in range(n)) / n
# For a random v the Gauss-Newton part is tiny (v is nearly orthogonal to the n-dimensional
# row space of J), and the residual part is of order ||v|| / sqrt(m): both show below.
lesson.say(f"  m = {M_SHARP}, one random v: ||Gauss-Newton part|| / ||v|| = "
           f"{np.linalg.norm(gauss_newton_hv) / np.linalg.norm(vec):.3g}, ||residual part|| / ||v|| = "
           f"{np.linalg.norm(residual_hv) / np.linalg.norm(vec):.3g}  (1/sqrt(m) = {M_SHARP ** -0.5:.3g})")
lesson.check_below(f"exact HVP - Gauss-Newton = residual term (1/n) sum_j r_j Hess f_j v, m = {M_SHARP} "
                   "(relative error)", relative(exact_hv - gauss_newton_hv, residual_hv), 1e-10,
                   controls={"Gauss-Newton J^T J v / n used as the HVP": relative(gauss_newton_hv - gauss_newton_hv,
                                                                                  residual_hv)})


def worst_sharpness_ratio(m):
    """beta * eta for each seed, and the one farthest from 1."""
    ratios = [sharpness(m, s) * setup(m, s)[2] for s in SEEDS]
    return ratios, max(ratios, key=lambda b: abs(b - 1))


beta_eta, beta_eta_worst = worst_sharpness_ratio(M_SHARP)
beta_eta_narrow, beta_eta_narrow_worst = worst_sharpness_ratio(100)
lesson.say(f"  beta * eta = {np.round(beta_eta, 4)} at m = {M_SHARP}, {np.round(beta_eta_narrow, 3)} at m = 100 "
           f"(seeds {SEEDS})")
lesson.check_between(f"sharpness ||Hess L(theta0)|| / (lambda_max(K0)/n) at m = {M_SHARP}, worst seed",
                     beta_eta_worst, 0.95, 1.05,
                     controls={"narrow net, m = 100": beta_eta_narrow_worst})

# %% [markdown]
# ## 3. Train every net, and its linearization
# GD on the network: theta_{t+1} = theta_t - eta grad L(theta_t), T steps (mg.optim.gd).
# GD on the linearized model f_lin(theta) = f(theta0) + J0 (theta - theta0)
# (mg.spectral.Linearization), with the same eta and T, from the same theta0: its loss is
# a quadratic, its gradient J0^T (f_lin - y) / n.
#
# Recorded along the way: ||grad L||^2 / L at every step (for PL*, section 6); every 10
# steps ||theta_t - theta0|| (section 6) and the outputs on the training points (section 8); the
# smallest eigenvalue of K(theta_t) every T/10 steps (section 7); a few whole parameter
# vectors (for the figures).
#
# The controls are trained the same way: the same widths with a tanh output layer, from
# one initialization each (seed 0) to save time.

# %%
def train(m, seed, tanh_output=False):
    """GD on the width-m net and on its linearization; everything the claims need, as a dict."""
    theta0, K0, eta = setup(m, seed, tanh_output)
    lin = mg.spectral.Linearization(lambda th, X_: outputs(th, X_, tanh_output), theta0, X,
                                    J0=jacobian(theta0, tanh_output))
    pl_ratio = []  # ||grad L(theta_t)||^2 / L(theta_t), every step

    def value_and_grad(theta):
        loss, g = loss_and_grad(theta, X, y, tanh_output)
        pl_ratio.append(float(g @ g) / loss)
        return loss, g

    def watch(t, theta):
        lam = float(np.linalg.eigvalsh(kernel(theta, tanh_output))[0]) if t % CHECKPOINTS == 0 else None
        return outputs(theta, X, tanh_output), lam, (theta if t in SNAPSHOTS else None)

    def lin_value_and_grad(theta):
        r = lin(theta) - y
        return 0.5 * float(r @ r) / n, lin.J0.T @ r / n

    def lin_watch(t, theta):
        return lin(theta), (theta if t in SNAPSHOTS else None)

    theta_T, hist = mg.optim.gd(value_and_grad, theta0, eta, steps, callback=watch, record_every=RECORD)
    _, hist_lin = mg.optim.gd(lin_value_and_grad, theta0, eta, steps, callback=lin_watch, record_every=RECORD)
    return dict(
        theta0=theta0, eta=eta, K0=K0, theta_T=theta_T, K_T=kernel(theta_T, tanh_output),
        step=hist.step, loss=hist.loss, distance=hist.distance, pl_ratio=np.array(pl_ratio),
        outputs=np.array([e[0] for e in hist.extra]), outputs_lin=np.array([e[0] for e in hist_lin.extra]),
        lam_steps=np.array([t for t, e in zip(hist.step, hist.extra) if e[1] is not None]),
        lam_path=np.array([e[1] for e in hist.extra if e[1] is not None]),
        snaps={int(t): e[2] for t, e in zip(hist.step, hist.extra) if e[2] is not None},
        snaps_lin={int(t): e[1] for t, e in zip(hist_lin.step, hist_lin.extra) if e[1] is not None},
    )


runs, tanh_runs = {}, {}
for m in widths:
    for seed in SEEDS:
        runs[m, seed] = train(m, seed)
        lesson.progress(f"m = {m}, seed {seed}")
    tanh_runs[m] = train(m, SEEDS[0], tanh_output=True)
    cond = np.linalg.eigvalsh(runs[m, SEEDS[0]]["K0"])
    lesson.say(f"  m = {m:6d}: L_0 -> L_T = " + ",  ".join(
        f"{runs[m, s]['loss'][0]:.3g} -> {runs[m, s]['loss'][-1]:.2g}" for s in SEEDS)
        + f"   (T = {steps});  lambda_max/lambda_min of K0 = {cond[-1] / cond[0]:.3g} (seed {SEEDS[0]});"
        f"  tanh output: {tanh_runs[m]['loss'][0]:.3g} -> {tanh_runs[m]['loss'][-1]:.2g}")
m_wide, m_narrow = widths[-1], widths[0]

# %% [markdown]
# ## 4. The tangent kernel barely moves
# A net whose kernel barely moves trains like its linearization: this is called the
# *lazy* regime (sections 7 and 8 test that consequence). The theorem's bound:
# ||K(theta) - K(theta0)|| <= 2 ||J|| sup ||Hess f|| ||theta - theta0||,
# with sup ||Hess f|| = O(1/sqrt m) on the ball (lesson 5) and ||theta - theta0|| = O(1)
# (section 5): the relative change is O(m^{-1/2}).
#
# Along the GD path it is smaller still, O(1/m) for large m. The first-order change of K is
# a sum over the m neurons of terms of size m^{-3/2} (each weight moves by ~ m^{-1/2}, and
# K averages over neurons), and each term is odd in that neuron's output weight v_i, whose
# sign is random: they cancel like a random walk, sqrt(m) m^{-3/2} = 1/m. Second-order terms
# are (m^{-1/2})^2 = 1/m too. (The m^{-1/2} bound is attained only along the top
# eigenvector of Hess f, lesson 5, which GD does not follow; a finer analysis of wide
# networks, e.g. Dyer and Gur-Ari, ICLR 2020, likewise finds changes of order 1/m.) At
# these widths the 1/m regime has not fully set in, so the fitted slope lies between
# the two laws.
#
# So we check that the slope lies in [-0.95, -0.55]: strictly between the bound's -1/2
# (a kernel change as large as the bound allows would fail) and the path's -1 (the
# asymptotic law, not yet reached), 0.05 inside each; and that at the widest net the
# change is below 10% ("barely moves"). Controls: the tanh output layer, whose kernel is rescaled by
# tanh'(f)^2 as the outputs move to fit y (an O(1) change at every width); and, for the
# second check, the narrowest net.

# %%
def per_width(quantity, table=None):
    """quantity(run) for every width and seed: array (len(widths), len(SEEDS))."""
    table = runs if table is None else table
    return np.array([[quantity(table[m, s]) for s in SEEDS] for m in widths])


def relative_kernel_change(run):
    return np.linalg.norm(run["K_T"] - run["K0"]) / np.linalg.norm(run["K0"])


kernel_change_all = per_width(relative_kernel_change)
kernel_change = over_seeds(kernel_change_all)
kernel_change_tanh = np.array([relative_kernel_change(tanh_runs[m]) for m in widths])
for m, row, mean, tanh_change in zip(widths, kernel_change_all, kernel_change, kernel_change_tanh):
    lesson.say(f"  m = {m:6d}: ||K_T - K_0||_F / ||K_0||_F = {np.round(row, 4)}, geometric mean {mean:.3g};"
               f"  tanh output {tanh_change:.3g}")
slope_kernel = loglog_slope(widths, kernel_change)
lesson.check_between("log-log slope of the relative kernel change against m (path: -1, bound: -1/2)",
                     slope_kernel, -0.95, -0.55,
                     controls={"tanh output layer": loglog_slope(widths, kernel_change_tanh)})
lesson.check_below(f"relative kernel change at the widest net, m = {m_wide} (geometric mean)",
                   kernel_change[-1], 0.10,
                   controls={f"narrow net, m = {m_narrow}": kernel_change[0],
                             f"tanh output layer, m = {m_wide}": kernel_change_tanh[-1]})

# %% [markdown]
# ## 5. The parameters move O(1) in total, each weight by ~ m^{-1/2}
# First a claim with an exactly known answer, to hold the measuring machinery (the slope
# helper, the geometric means) to a number: theta0 has p = 3m independent N(0, 1) entries,
# so ||theta0||^2 ~ chi^2 with 3m degrees of freedom and ||theta0|| = sqrt(3m) up to
# O(1/sqrt m) relative fluctuations: its log-log slope is 1/2, within 0.02. Control: a
# slope helper that mixes log bases (log_2 of m against the natural log of the values),
# a bug that once multiplied every slope of this lesson by ln 2 while every band still
# passed.
#
# In the lazy regime theta_T - theta0 ~ J0^T alpha for an n-vector alpha fixed by the data
# and the kernel (GD on f_lin moves only in the row space of J0), so ||theta_T - theta0||^2 ~
# alpha^T K0 alpha = O(1): flat in m, while ||theta0|| grows like m^{1/2}. We check the
# slope of ||theta_T - theta0|| is within +-0.2 of 0; control: ||theta_T|| (theta0 not
# subtracted), which grows like ||theta0||. Each coordinate of J0^T alpha carries one
# factor 1/sqrt m, so each weight moves by ~ m^{-1/2}; the largest of the m moves is a
# maximum of m random draws, which grows slowly with m, so its slope is printed, not
# checked.

# %%
distance = over_seeds(per_width(lambda r: np.linalg.norm(r["theta_T"] - r["theta0"])))
largest_move = over_seeds(per_width(lambda r: np.max(np.abs(r["theta_T"] - r["theta0"]))))
init_norm = over_seeds(per_width(lambda r: np.linalg.norm(r["theta0"])))
final_norm = over_seeds(per_width(lambda r: np.linalg.norm(r["theta_T"])))
for m, dist, big, norm0 in zip(widths, distance, largest_move, init_norm):
    lesson.say(f"  m = {m:6d}: ||theta_T - theta0|| = {dist:.3f}  (||theta0|| = {norm0:6.1f}),  "
               f"max_i |theta_T - theta0|_i = {big:.4f}   (geometric means)")
slope_move = loglog_slope(widths, largest_move)
lesson.say(f"  log-log slope of max_i |theta_T - theta0|_i against m: {slope_move:.3f} (printed, not checked)")
mixed_bases = float(np.polyfit(np.log2(widths), np.log(init_norm), 1)[0])  # the bug, on purpose
lesson.check_between("log-log slope of ||theta0|| against m (exactly 1/2)", loglog_slope(widths, init_norm),
                     0.48, 0.52, controls={"slope helper mixing log_2 m and ln": mixed_bases})
lesson.check_between("log-log slope of ||theta_T - theta0|| against m (flat: O(1))",
                     loglog_slope(widths, distance), -0.2, 0.2,
                     controls={"||theta_T||, theta0 not subtracted": loglog_slope(widths, final_norm)})

# %% [markdown]
# ## 6. PL* along the path, inside the theorem's ball
# At every step of every GD run we recorded ||grad L(theta_t)||^2 / L(theta_t). If the
# kernel stayed exactly K(theta0), half this ratio would be >= mu0 = lambda_min(K(theta0)) / n
# everywhere (the inequality at the top of the lesson). The kernel moves a little, and lambda_min is the most
# sensitive part of it (it is the smallest eigenvalue, so a small change of K is a large
# relative change of it); wide-network theorems therefore keep a margin, e.g. Du, Zhai,
# Poczos, Singh (ICLR 2019) show lambda_min stays above half its initial value. So we check
# PL* with mu = mu0 / 2 along every path: min_t (1/2) ||grad L||^2 / (mu0 L) >= 1/2, worst net.
# Controls: the same ratio in units of lambda_max(K0) / n (mixing up the two ends of the
# spectrum); and the tanh-output nets, whose kernel shrinks as tanh saturates.
#
# Then the ball: with beta = ||Hess L(theta0)|| (Lanczos) and mu = mu0 / 2, the theorem's
# radius is R = 2 sqrt(2 beta L(theta0)) / mu, and the theorem says GD stays inside
# B(theta0, R). We check max_t ||theta_t - theta0|| / R < 1 for the widest nets (every
# seed), jointly with the hypothesis it rests on, PL* with that mu along the same path.
# The ball is generous: in the lazy regime GD travels about sqrt(r0^T K0^{-1} r0)
# <= ||r0|| / sqrt(lambda_min), while R >= 2 ||r0|| sqrt(lambda_max) / lambda_min (as
# beta >= lambda_max / n), so the ratio is at most about (1/2) sqrt(lambda_min / lambda_max)
# (printed below): on its own this part could not fail for a lazy net with a true PL* constant.
# What can fail is the pair, when mu is not a PL* constant of the path. Control: the
# pair with lambda_max(K0) in place of lambda_min(K0).

# %%
def pl_margin(run):
    """min over the path of (1/2) ||grad L||^2 / L, in units of mu0 = lambda_min(K0) / n."""
    return 0.5 * run["pl_ratio"].min() / (np.linalg.eigvalsh(run["K0"])[0] / n)


pl_all = per_width(pl_margin)
pl_top = per_width(lambda r: 0.5 * r["pl_ratio"].min() / (np.linalg.eigvalsh(r["K0"])[-1] / n))
pl_tanh = np.array([pl_margin(tanh_runs[m]) for m in widths])
for m, row, tanh_margin in zip(widths, pl_all, pl_tanh):
    lesson.say(f"  m = {m:6d}: min_t (1/2)||grad L||^2 / (mu0 L) = {np.round(row, 3)};  tanh output {tanh_margin:.3g}")
lesson.check_above("PL* along every GD path: min_t (1/2)||grad L||^2 / (mu0 L), mu0 = lambda_min(K0)/n, worst net",
                   pl_all.min(), 0.5,
                   controls={"lambda_max(K0) in place of lambda_min(K0)": pl_top.min(),
                             "tanh output layer (seed 0 at every width), worst": pl_tanh.min()})


beta_wide = {s: sharpness(m_wide, s) for s in SEEDS}  # ||Hess L(theta0)||, Lanczos


def ball_ratio(seed, eigenvalue=0):
    """max_t ||theta_t - theta0|| / R at the widest width, R = 2 sqrt(2 beta L(theta0)) / mu.

    mu = mu0 / 2 = lambda_min(K0) / (2n), the PL* constant checked along the path above;
    eigenvalue=-1 puts lambda_max(K0) there instead (the control).
    """
    run = runs[m_wide, seed]
    mu = np.linalg.eigvalsh(run["K0"])[eigenvalue] / (2 * n)
    return run["distance"].max() / (2 * np.sqrt(2 * beta_wide[seed] * run["loss"][0]) / mu)


in_ball = [ball_ratio(s) for s in SEEDS]
in_ball_top = [ball_ratio(s, eigenvalue=-1) for s in SEEDS]
lazy_bound = [0.5 * np.sqrt(np.divide(*np.linalg.eigvalsh(runs[m_wide, s]["K0"])[[0, -1]])) for s in SEEDS]
lesson.say(f"  m = {m_wide}: max_t ||theta_t - theta0|| / R = {np.round(in_ball, 5)}  (lazy-regime bound "
           f"(1/2) sqrt(lambda_min/lambda_max) = {np.round(lazy_bound, 4)});  "
           f"with lambda_max: {np.round(in_ball_top, 3)}")
pl_wide, pl_wide_top = pl_all[-1].min(), pl_top[-1].min()
lesson.check_true(f"GD stays in B(theta0, R), R = 2 sqrt(2 beta L0) / mu, with PL* for mu = mu0/2 on the path, "
                  f"m = {m_wide}, every seed",
                  max(in_ball) < 1 and pl_wide >= 0.5,
                  f"max_t ||theta_t - theta0|| / R = {max(in_ball):.3g}, min_t (1/2)||grad L||^2 / (mu0 L) = "
                  f"{pl_wide:.3g}, mu0 = lambda_min(K0)/n",
                  controls={"lambda_max(K0) in place of lambda_min(K0)": (
                      max(in_ball_top) < 1 and pl_wide_top >= 0.5,
                      f"max_t ||theta_t - theta0|| / R = {max(in_ball_top):.3g}, "
                      f"min_t (1/2)||grad L||^2 / (mu0 L) = {pl_wide_top:.3g}, mu0 = lambda_max(K0)/n")})

# %% [markdown]
# ## 7. The loss falls at the rate lambda_min(K) predicts
# Two predictions, in the notation above:
#
# * PL* (any model, eta <= 1/beta): the descent lemma gives L_{t+1} <= L_t - (eta/2) ||grad L_t||^2,
#   and PL* gives (1/2) ||grad L_t||^2 >= mu L_t, so L_{t+1} <= (1 - eta mu) L_t (the theorem's
#   rate); with mu = lambda_min(K)/n that is the per-step factor 1 - eta lambda_min / n.
# * Linearized model (K constant): r_{t+1} = r_t - eta J0 J0^T r_t / n = (I - eta K0/n) r_t.
#   With eta <= n/lambda_max every eigen-mode of r shrinks by 1 - eta lambda_i / n in [0, 1),
#   the slowest by 1 - eta lambda_min / n; L is quadratic in r, so the late-time per-step
#   factor of L is (1 - eta lambda_min / n)^2. The PL* guarantee is the square root of
#   this: it is a bound, off by a factor 2 in the exponent.
#
# We fit log L_t on the second half of the run (where the slowest mode dominates) and
# compare the decay with the linearized model's 2 log(1 - eta lambda_min / n), using
# lambda_min of the kernel GD actually sees in the fit window (mean over the checkpoints
# in it): lambda_min is a small fraction of lambda_max, so even a small change of K moves
# it noticeably. At the widest nets the ratio must be within 10% of 1. Control: the
# narrowest nets, whose kernel moves too much for the linear model to set their rate.

# %%
def rates(run):
    """(measured late decay / PL* exponent, measured late decay / linearized exponent)."""
    late = run["step"] >= steps // 2
    # A semi-log fit (log L against t, not log t): its slope is log of the per-step factor.
    log_factor = float(np.polyfit(run["step"][late], np.log(run["loss"][late]), 1)[0])
    run["log_factor"] = log_factor
    run["lam_min_path"] = run["lam_path"].min()
    run["lam_window"] = run["lam_path"][run["lam_steps"] >= steps // 2].mean()
    pl_exponent = log_factor / np.log(1 - run["eta"] * run["lam_min_path"] / n)
    lin_ratio = log_factor / (2 * np.log(1 - run["eta"] * run["lam_window"] / n))
    return pl_exponent, lin_ratio


both = per_width(rates)  # (widths, seeds, 2)
pl_exponent, lin_ratio = both[..., 0], both[..., 1]
for m, pl_row, lin_row in zip(widths, pl_exponent, lin_ratio):
    run = runs[m, SEEDS[0]]
    lesson.say(f"  m = {m:6d}: seed {SEEDS[0]}: factor {np.exp(run['log_factor']):.6f} per step, PL* bound "
               f"{1 - run['eta'] * run['lam_min_path'] / n:.6f}, linearized "
               f"{(1 - run['eta'] * run['lam_window'] / n) ** 2:.6f};  decay / PL* exponent = "
               f"{np.round(pl_row, 2)}, / linearized = {np.round(lin_row, 3)}")
lesson.check_between(f"late decay / the linearized model's 2 log(1 - eta lambda_min/n), m = {m_wide}, worst seed",
                     max(lin_ratio[-1], key=lambda v: abs(v - 1)), 0.9, 1.1,
                     controls={f"narrow net, m = {m_narrow}, worst seed": max(lin_ratio[0], key=lambda v: abs(v - 1))})

# %% [markdown]
# ## 8. The network follows its linearization
# Both runs start at f(theta0) and take the same steps. By Taylor's theorem the network's
# outputs differ from the linear model's by at most O(sup ||Hess f|| R^2) = O(m^{-1/2});
# along the GD path, for the reason of section 4, the difference is O(1/m) for large m.
# We take the largest difference over the whole run, max_t ||f(theta_t) - f_lin(theta^lin_t)||
# (on the training points, every 10 steps), and check its slope against m lies in the band
# of section 4, [-0.95, -0.55], and that at the widest net it is below 3% of ||y||.
# Controls: the tanh output layer (its Hessian does not shrink with m: lesson 6) and the
# narrowest net.

# %%
def deviation_of(run):
    return np.max(np.linalg.norm(run["outputs"] - run["outputs_lin"], axis=1))


deviation_all = per_width(deviation_of)
deviation = over_seeds(deviation_all)
deviation_tanh = np.array([deviation_of(tanh_runs[m]) for m in widths])
for m, row, mean, tanh_dev in zip(widths, deviation_all, deviation, deviation_tanh):
    lesson.say(f"  m = {m:6d}: max_t ||f(theta_t) - f_lin(theta_lin_t)|| = {np.round(row, 4)}, "
               f"geometric mean {mean:.3g};  tanh output {tanh_dev:.3g}")
slope_deviation = loglog_slope(widths, deviation)
lesson.check_between("log-log slope of max_t ||f - f_lin|| against m (path: -1, bound: -1/2)",
                     slope_deviation, -0.95, -0.55,
                     controls={"tanh output layer": loglog_slope(widths, deviation_tanh)})
lesson.check_below(f"max_t ||f - f_lin|| / ||y|| at the widest net, m = {m_wide} (geometric mean)",
                   deviation[-1] / np.linalg.norm(y), 0.03,
                   controls={f"narrow net, m = {m_narrow}": deviation[0] / np.linalg.norm(y),
                             f"tanh output layer, m = {m_wide}": deviation_tanh[-1] / np.linalg.norm(y)})

# %% [markdown]
# ## 9. SGD: a constant step reaches interpolation
# The slide's claim covers SGD too. Take mini-batches of b = 4 samples (mg.optim.sgd, epochs
# of random permutations) and a constant step. For a model that interpolates, every
# per-sample loss l_j vanishes at the solution, and so does every per-sample gradient
# grad l_j = r_j grad f_j: the noise of the stochastic gradient vanishes with the loss
# (lesson 4, "automatic variance reduction"), and a constant step converges, geometrically,
# as under PL* (Liu, Zhu and Belkin extend their theorem to SGD in this setting).
# Without interpolation the per-sample gradients do not vanish at the
# minimum, the noise stays, and a constant step stalls at a floor.
#
# A fresh problem, better conditioned so that the loss goes far down in a few thousand
# steps: n = 20 points on the sphere of radius 2 in d = 4, target sin(x . u). The wide net
# (m = 2000) has p = 5 m parameters; the control, m = 2, has p = 10 < n: it cannot
# interpolate 20 generic labels. Both take eta = n / lambda_max(K0) of their own kernel.
# Checks: the wide net's final loss is below 1e-10, and the variance of the per-sample
# gradients, (1/n) sum_j ||grad l_j - grad L||^2, has fallen below 1e-8 of its initial value.

# %%
n_s, d_s = 20, 4
rng_s = np.random.default_rng(7)
X_s = rng_s.standard_normal((n_s, d_s))
X_s *= 2.0 / np.linalg.norm(X_s, axis=1, keepdims=True)  # (20, 4) rows on the sphere of radius 2
y_s = np.sin(X_s @ np.array([1.0, -0.5, 0.3, 0.8]))
SGD_STEPS, BATCH, SGD_RECORD = 3000, 4, 50


def gradient_noise(theta):
    """(1/n) sum_j ||grad l_j - grad L||^2 with l_j = (1/2) r_j^2: the variance of a 1-sample gradient."""
    per_sample = np.array([loss_and_grad(theta, X_s[j:j + 1], y_s[j:j + 1])[1] for j in range(n_s)])
    return float(np.mean(np.sum((per_sample - per_sample.mean(axis=0)) ** 2, axis=1)))


def run_sgd(m):
    net = mg.nn.TwoLayerNet(d_s, m)
    theta0 = net.init(np.random.default_rng([3, m]))
    lam_max = np.linalg.eigvalsh(mg.spectral.tangent_kernel(net.jacobian(theta0, X_s, backend=BACKEND)))[-1]
    _, hist = mg.optim.sgd(lambda th, idx: loss_and_grad(th, X_s[idx], y_s[idx]), n_s, theta0, n_s / lam_max,
                           SGD_STEPS, batch_size=BATCH, seed=11, record_every=SGD_RECORD,
                           callback=lambda t, th: gradient_noise(th))
    return dict(m=m, p=net.num_params, step=hist.step, loss=hist.loss, noise=np.array(hist.extra))


sgd_wide, sgd_narrow = run_sgd(2000), run_sgd(2)
for run in (sgd_wide, sgd_narrow):
    lesson.say(f"  SGD, m = {run['m']} (p = {run['p']}): L {run['loss'][0]:.3g} -> {run['loss'][-1]:.3g} in "
               f"{SGD_STEPS} steps;  gradient noise {run['noise'][0]:.3g} -> {run['noise'][-1]:.3g}")
lesson.check_below(f"constant-step SGD (b = {BATCH}), wide net m = {sgd_wide['m']}: final training loss",
                   sgd_wide["loss"][-1], 1e-10,
                   controls={f"narrow net, m = {sgd_narrow['m']} (p < n)": sgd_narrow["loss"][-1]})
lesson.check_below("gradient noise at the end / at the start, wide net (it vanishes with the loss)",
                   sgd_wide["noise"][-1] / sgd_wide["noise"][0], 1e-8,
                   controls={f"narrow net, m = {sgd_narrow['m']} (p < n)":
                             sgd_narrow["noise"][-1] / sgd_narrow["noise"][0]})

# %% [markdown]
# ## 10. Figures
# Loss curves (seed 0): every width falls fast at first (the large-eigenvalue modes), then
# along a straight line in log scale whose slope is set by lambda_min. Dashed: the
# linearized model's slope (1 - eta lambda_min/n)^2 per step; dotted: the PL* guarantee
# (1 - eta lambda_min/n), half as steep. The measured curves run parallel to the dashed lines.

# %%
colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(widths)))
fig, ax = plt.subplots(figsize=(7.5, 4.8))
for color, m in zip(colors, widths):
    run = runs[m, SEEDS[0]]
    t = run["step"]
    ax.semilogy(t, run["loss"], color=color, lw=1.8, label=f"m = {m}")
    t_anchor = steps // 2
    anchor = run["loss"][np.searchsorted(t, t_anchor)]
    ax.semilogy(t, anchor * (1 - run["eta"] * run["lam_window"] / n) ** (2 * (t - t_anchor)), "--", color=color, lw=1)
    ax.semilogy(t, anchor * (1 - run["eta"] * run["lam_min_path"] / n) ** (t - t_anchor), ":", color=color, lw=1)
ax.plot([], [], "k--", lw=1, label="linearized: (1 - eta lambda_min/n)^(2t)")
ax.plot([], [], "k:", lw=1, label="PL* guarantee: (1 - eta lambda_min/n)^t")
low = min(runs[m, SEEDS[0]]["loss"].min() for m in widths)
high = max(runs[m, SEEDS[0]]["loss"][0] for m in widths)
ax.set_ylim(low / 10, 2 * high)
ax.set_xlabel("GD step t  (eta = n / lambda_max(K0) for each net)")
ax.set_ylabel("training loss L(theta_t)")
ax.set_title("GD on wide tanh nets: geometric decay at the rate lambda_min(K) sets")
ax.legend(fontsize=8, loc="upper right")
lesson.save_figure(fig, "loss_curves")

# %% [markdown]
# Scaling with the width, on log-log axes (small dots: each initialization; line: their
# geometric mean; red: the tanh-output control, seed 0), with the m^{-1/2} of the bounds
# and the m^{-1} of the GD path drawn through the widest point: (a) the kernel's relative
# change (section 4), (b) the parameter moves (section 5), (c) the distance to the
# linearized model (section 8).

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), layout="constrained")
m_arr = np.array(widths, dtype=float)


def reference(ax, values, power, style, label):
    ax.loglog(m_arr, values[-1] * (m_arr / m_arr[-1]) ** power, style, color="gray", lw=1, label=label)


def scatter(ax, values_all, color="C0"):
    for k in range(values_all.shape[1]):
        ax.loglog(m_arr, values_all[:, k], ".", color=color, ms=4, alpha=0.6)


scatter(axes[0], kernel_change_all)
axes[0].loglog(m_arr, kernel_change, "o-", color="C0", label=f"geometric mean (slope {slope_kernel:.2f})")
axes[0].loglog(m_arr, kernel_change_tanh, "x-", color="C3", label="tanh output layer (control)")
reference(axes[0], kernel_change, -0.5, "--", "m^(-1/2) (bound)")
reference(axes[0], kernel_change, -1.0, ":", "m^(-1) (GD path, large m)")
axes[0].set_title("(a) relative change of the tangent kernel")
axes[0].set_ylabel("||K_T - K_0||_F / ||K_0||_F")
axes[1].loglog(m_arr, distance, "o-", color="C0", label="||theta_T - theta0||")
axes[1].loglog(m_arr, largest_move, "s-", color="C1", label=f"max_i |theta_T - theta0|_i (slope {slope_move:.2f})")
axes[1].loglog(m_arr, init_norm, "^-", color="C2", label="||theta0|| (for scale)")
reference(axes[1], largest_move, -0.5, "--", "m^(-1/2)")
axes[1].set_ylim(top=8 * init_norm.max())  # room for the legend above the lines
axes[1].set_title("(b) how far the parameters move")
axes[1].set_ylabel("distance in parameter space")
scatter(axes[2], deviation_all)
axes[2].loglog(m_arr, deviation, "o-", color="C0", label=f"geometric mean (slope {slope_deviation:.2f})")
axes[2].loglog(m_arr, deviation_tanh, "x-", color="C3", label="tanh output layer (control)")
reference(axes[2], deviation, -0.5, "--", "m^(-1/2) (bound)")
reference(axes[2], deviation, -1.0, ":", "m^(-1) (GD path, large m)")
axes[2].set_title("(c) network vs its linearization")
axes[2].set_ylabel("max_t ||f(theta_t) - f_lin(theta_lin_t)||")
for ax, values in ((axes[0], kernel_change_all), (axes[2], deviation_all)):
    ax.set_ylim(bottom=values.min() / 8)  # room for the legend below the lines
    ax.legend(fontsize=8, loc="lower left")
axes[1].legend(fontsize=8, loc="upper center")
for ax in axes:
    ax.set_xlabel("width m")
lesson.save_figure(fig, "kernel_change")

# %% [markdown]
# Trajectories (seed 0): (a), (b) the function the network computes (solid) and the one
# its linearization computes (dashed) at a few steps of GD, on a fine grid of inputs, for
# the narrowest and the widest net; (c) the distance between their outputs on the
# training points along the run, for every width (one initialization; section 8 has the
# means). For the narrowest net the two part visibly; for the widest they coincide to the eye.

# %%
grid = np.linspace(-3.5, 5.5, 200)
X_grid = np.column_stack([grid, np.full_like(grid, BIAS_INPUT)])
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), layout="constrained")
for ax, letter, m in zip(axes[:2], "ab", (m_narrow, m_wide)):
    run = runs[m, SEEDS[0]]
    net = mg.nn.TwoLayerNet(2, m)
    lin_grid = mg.spectral.Linearization(net.apply, run["theta0"], X_grid,
                                         J0=net.jacobian(run["theta0"], X_grid, backend=BACKEND))
    for color, t in zip(plt.cm.plasma(np.linspace(0.0, 0.8, len(SNAPSHOTS))), SNAPSHOTS):
        ax.plot(grid, net.apply(run["snaps"][t], X_grid), "-", color=color, lw=1.6, label=f"t = {t}")
        ax.plot(grid, lin_grid(run["snaps_lin"][t]), "--", color=color, lw=1.2)
    ax.plot(x_train, y, "ko", ms=5, label="data (x_j, sin x_j)")
    ax.plot([], [], "k--", lw=1.2, label="linearized model")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title(f"({letter}) m = {m}: network vs linearized")
    ax.legend(fontsize=7, loc="best")
for color, m in zip(colors, widths):
    run = runs[m, SEEDS[0]]
    gap = np.linalg.norm(run["outputs"] - run["outputs_lin"], axis=1)
    axes[2].semilogy(run["step"][1:], gap[1:], color=color, label=f"m = {m}")
axes[2].set_xlabel("GD step t")
axes[2].set_ylabel("||f(theta_t) - f_lin(theta_lin_t)||, training points")
axes[2].set_title("(c) distance between the two trajectories")
axes[2].legend(fontsize=8)
lesson.save_figure(fig, "trajectories")

# %% [markdown]
# PL* and SGD: (a) (1/2) ||grad L||^2 / (mu0 L) along the GD path (seed 0 of every width, and
# the tanh-output control at the width where it falls lowest), with the level 1/2 that
# section 6 checks;
# (b) constant-step SGD on the wide and the narrow net (section 9): the wide one falls
# geometrically, the narrow one stalls; (c) the gradient noise along the same runs: it
# vanishes with the loss only where the model interpolates.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), layout="constrained")
for color, m in zip(colors, widths):
    run = runs[m, SEEDS[0]]
    mu0 = np.linalg.eigvalsh(run["K0"])[0] / n
    axes[0].semilogy(np.arange(run["pl_ratio"].size), 0.5 * run["pl_ratio"] / mu0, color=color, lw=1.4, label=f"m = {m}")
m_tanh = widths[int(np.argmin(pl_tanh))]
tanh_run = tanh_runs[m_tanh]
axes[0].semilogy(np.arange(tanh_run["pl_ratio"].size),
                 0.5 * tanh_run["pl_ratio"] / (np.linalg.eigvalsh(tanh_run["K0"])[0] / n),
                 color="C3", lw=1.2, label=f"tanh output, m = {m_tanh} (control)")
axes[0].axhline(0.5, color="k", ls="--", lw=1, label="1/2: PL* with mu0 / 2")
axes[0].set_xlabel("GD step t")
axes[0].set_ylabel("(1/2) ||grad L||^2 / (mu0 L),  mu0 = lambda_min(K0) / n")
axes[0].set_title("(a) PL* along the GD path")
axes[0].legend(fontsize=7)
for run, color in ((sgd_wide, "C0"), (sgd_narrow, "C1")):
    label = f"m = {run['m']} (p = {run['p']}, n = {n_s})"
    axes[1].semilogy(run["step"], run["loss"], color=color, lw=1.6, label=label)
    axes[2].semilogy(run["step"], run["noise"], color=color, lw=1.6, label=label)
axes[1].set_xlabel("SGD step t")
axes[1].set_ylabel("training loss L(theta_t)")
axes[1].set_title(f"(b) constant-step SGD, batch {BATCH}")
axes[1].legend(fontsize=8)
axes[2].set_xlabel("SGD step t")
axes[2].set_ylabel("(1/n) sum_j ||grad l_j - grad L||^2")
axes[2].set_title("(c) gradient noise along the SGD path")
axes[2].legend(fontsize=8)
lesson.save_figure(fig, "pl_star_sgd")
