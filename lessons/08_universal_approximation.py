"""Lesson 8 — universal approximation: a wider network can approximate a continuous target better.

The slide (K. Hornik, M. Stinchcombe, H. White 1989, "Multilayer feedforward networks are
universal approximators", Neural Networks 2(5); for any non-polynomial activation: M. Leshno,
V. Lin, A. Pinkus, S. Schocken 1993, Neural Networks 6(6)). Look at the network as a
function of its INPUT x, with all weights fixed:

    f(x) = (1 / sqrt m) sum_{i=1..m} v_i sigma(w_i x + b_i).

Theorem (existence, no rate). Let sigma be a squashing function (non-decreasing, tending to
0 at -inf and to 1 at +inf, like the logistic function 1 / (1 + e^-z); tanh(z) =
2 logistic(2z) - 1 gives the same networks, the constant coming from a unit with w_i = 0),
or more generally any continuous function that is not a polynomial (Leshno et al.). For
every continuous g on a compact set K (of R^d; here d = 1) and every eps > 0 there are a
width m and weights (w_i, b_i, v_i) with

    sup_{x in K} |f(x) - g(x)| < eps.

(The factor 1 / sqrt m changes nothing here: it can be absorbed into the v_i.)

What it does NOT say: how large m must be for a given eps (no rate); how to find the
weights (no algorithm: nothing about gradient descent or any training); anything about
data (no sample size, no generalization from samples to the rest of K). And for a
polynomial sigma of degree k it is false: f is then a polynomial of degree <= k in x
whatever m is.

Checked here, on g(x) = |x| + 0.3 |sin 4x| on K = [-1, 1] (continuous, with kinks), with
numbers measured in this run:
  * trained networks (all weights fitted, best of a few initializations) have a sup error
    on a fine test grid, and an L2 error, that fall by a large factor from the narrowest
    to the widest width, at every doubling of the width, and the widest one is uniformly
    close to g;
  * the same tests FAIL for wrong variants: a linear activation (f affine in x), a
    quadratic activation (f a quadratic polynomial), a fixed width trained for longer,
    and a wide net fitted to a few points only (interpolation is not approximation);
  * exactly known values hold the measuring code: the linear- and quadratic-activation
    nets reach the best affine and best quadratic least-squares fits;
  * random features (only the output layer fitted on frozen random hidden units) also
    approximate better as m grows, by a different mechanism, and less well than training
    all weights at every width; plain gradient descent with a fixed budget of steps does
    not find such good weights (the theorem promises no algorithm), and the distance it
    travels from its initialization, relative to ||theta0||, shrinks with m (the lazy,
    kernel regime of lessons 5 and 7), unlike the weights that do approximate g.

Run it:  python -m lessons 8
"""

# %% [markdown]
# ## 0. Setup
# The target g(x) = |x| + 0.3 |sin 4x| on [-1, 1] is continuous but not smooth: kinks at
# x = 0 and x = +-pi/4. Its values are known on a training grid of 201 equally spaced points
# and the error is measured on a test grid 20 times finer, so that "sup over K" is not just
# "max over the points we fitted".
#
# mg.nn.TwoLayerNet has no biases, so every input is fed as the pair (x, 1): the second
# weight of hidden unit i multiplies the constant 1 and acts as its bias b_i (lessons 5
# and 7 do the same). The network is then exactly f(x) above, with all parameters in one
# vector theta = (w_1, b_1, ..., w_m, b_m, v_1, ..., v_m) of length 3m.

# %%
from lessons.harness import Lesson, loglog_slope  # noqa: I001  (the harness first: it sets the BLAS threads)

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

lesson = Lesson(8, "Universal approximation: wider networks approximate better")


def target(x):
    return np.abs(x) + 0.3 * np.abs(np.sin(4 * x))


def inputs(x):
    """Rows (x_j, 1): the constant input turns each unit's second weight into a bias."""
    return np.stack([x, np.ones_like(x)], axis=1)


x_train = np.linspace(-1, 1, 201)
x_test = np.linspace(-1, 1, 4001)
X_train, X_test = inputs(x_train), inputs(x_test)
y_train, y_test = target(x_train), target(x_test)

widths = lesson.size([2, 4, 8, 16, 32, 64], [2, 4, 8, 16, 32])
SEEDS = lesson.size((0, 1, 2), (0, 1))  # initializations per width; the best one is the witness
FIT_STEPS = lesson.size(300, 150)  # damped Gauss-Newton steps (section 2)
GD_STEPS = lesson.size(2000, 500)  # plain gradient descent steps (section 6)
# The numpy closed forms, not numba: at these sizes (n = 201 points, m <= 64) each call is a
# few small array operations, and numpy skips both numba's start-up and its thread pool.
BACKEND = "numpy"
EPS = 0.02  # "uniformly close": the sup error asked of the widest net (the range of g is printed below)
FACTOR = 10.0  # "falls by a large factor": narrowest error / widest error must exceed this
RF_FACTOR = 5.0  # random features only have to fall clearly (section 6), not as far
lesson.say(f"  widths m = {widths}; {len(SEEDS)} initializations each; {len(x_train)} training points, "
           f"{len(x_test)} test points; g on the test grid ranges over [{y_test.min():.3f}, {y_test.max():.3f}]")


def sup_error(prediction):
    """The sup norm of f - g on [-1, 1], measured on the fine test grid."""
    return float(np.max(np.abs(prediction - y_test)))


def l2_error(prediction):
    """The root mean square of f - g on the test grid: the L2 norm on [-1, 1] / sqrt(2)."""
    return float(np.sqrt(np.mean((prediction - y_test) ** 2)))


# %% [markdown]
# ## 1. The statement, precisely
# The theorem is an existence result: for each eps some finite width works. It does not
# give the width as a function of eps, so no slope or rate is checked below; we only check
# what the numbers show: that the error of the best network we can find falls as the width
# grows, and that the widest one is uniformly close to g. Nor does it say how to find the
# weights (section 6 shows plain gradient descent falling short), or anything about data:
# here g is known on a dense grid, and fitting a few samples is a different question
# (section 4, "interpolation is not approximation").
#
# The condition on sigma matters. If sigma is a polynomial of degree k, then every
# sigma(w x + b) is a polynomial of degree <= k in x, and so is any sum of them: however
# wide the network, f stays in that finite-dimensional space and cannot approach |x|. With
# sigma(z) = z (a "linear" activation) f is affine in x. Both appear below as controls.

# %% [markdown]
# ## 2. How we find the weights: damped Gauss-Newton on all of them
# The theorem says weights exist; to exhibit them we need the best network of each width,
# so we use a strong optimizer rather than the plain gradient descent of lessons 1 and 7
# (section 6 shows what plain GD finds with a fixed budget). The loss is
# L(theta) = sum_j (f(x_j; theta) - g(x_j))^2 over the training grid; with residuals r and
# Jacobian J = d f / d theta (n, 3m), the damped Gauss-Newton (Levenberg-Marquardt) step is
#
#     theta <- theta - (J^T J + mu I)^{-1} J^T r,
#
# the minimizer of the linearized loss plus mu ||step||^2. A step that lowers L is kept and
# mu shrinks (towards Gauss-Newton, fast near a minimum); one that does not is retried with
# a larger mu (towards a short gradient step, safe far from it). Every weight moves: w, b
# and v. The network is non-convex in its weights, so each width starts from a few random
# initializations theta0 ~ N(0, I) and the best fit on the training grid is kept: an
# existence result asks for the best weights, not for typical ones.

# %%
def fit(residuals, jacobian, theta0, steps, record=None):
    """Levenberg-Marquardt on L(theta) = ||r(theta)||^2 from theta0; returns theta (and a history).

    residuals(theta) -> r = f - y on the training inputs (n,); jacobian(theta) -> d f / d theta
    (n, p). record: optional function theta -> number, evaluated after every step (history).
    """
    theta, mu = theta0.copy(), 1e-3
    r = residuals(theta)
    loss = float(r @ r)
    eye = np.eye(theta.size)
    history = []
    for _ in range(steps):
        J = jacobian(theta)
        A, g = J.T @ J, J.T @ r
        # A larger mu shortens the step until the loss goes down. If even mu = 1e12 does
        # not lower it, theta is a minimum to round-off, and the remaining steps leave it.
        while mu < 1e12:
            candidate = theta - np.linalg.solve(A + mu * eye, g)
            r_new = residuals(candidate)
            if float(r_new @ r_new) < loss:
                theta, r, loss, mu = candidate, r_new, float(r_new @ r_new), mu / 3
                break
            mu *= 4
        if record is not None:
            history.append(record(theta))
    return (theta, history) if record is not None else theta


def train_net(net, seed, X=X_train, y=y_train, steps=FIT_STEPS, record=None):
    """Fit all weights of a TwoLayerNet to (X, y), starting from net.init(seed)."""
    return fit(lambda th: net.apply(th, X) - y, lambda th: net.jacobian(th, X, backend=BACKEND),
               net.init(seed), steps, record)


# %% [markdown]
# ## 3. Trained tanh networks at growing width
# For each width: fit from each initialization, keep the one with the smallest training
# loss, and measure its sup and L2 errors on the test grid. Look at how fast the sup error
# falls: the kinks of g need steep units placed at the right x, which a narrow net cannot
# afford.

# %%
trained = []  # one dict per width: the best fit and its errors
for m in widths:
    net = mg.nn.TwoLayerNet(2, m, activation="tanh")
    fits = []
    for seed in SEEDS:
        theta = train_net(net, 1000 * m + seed)
        fits.append((float(np.sum((net.apply(theta, X_train) - y_train) ** 2)), seed, theta))
        lesson.progress(f"trained width {m}, initialization {seed}")
    _, seed, theta = min(fits, key=lambda item: item[0])
    prediction = net.apply(theta, X_test)
    theta0 = net.init(1000 * m + seed)
    trained.append(dict(m=m, net=net, theta=theta, theta0=theta0, prediction=prediction,
                        sup=sup_error(prediction), l2=l2_error(prediction),
                        moved=float(np.linalg.norm(theta - theta0) / np.linalg.norm(theta0))))
trained_sup = np.array([t["sup"] for t in trained])
trained_l2 = np.array([t["l2"] for t in trained])
lesson.say("  m:                  " + "  ".join(f"{m:8d}" for m in widths))
lesson.say("  trained, sup error: " + "  ".join(f"{e:8.4f}" for e in trained_sup))
lesson.say("  trained, L2 error:  " + "  ".join(f"{e:8.4f}" for e in trained_l2))

# %% [markdown]
# ## 4. Wrong variants, measured the same way
# Each control below is a plausible mistake that must FAIL the tests of section 5.
#
# **Linear activation**, sigma(z) = z: f(x) = (sum_i v_i (w_i x + b_i)) / sqrt m is affine in x,
# so a wider net adds nothing: this is why the theorem needs a non-linear sigma. Trained by
# the same Gauss-Newton fit, it must reach exactly the best affine fit of g (least squares
# on the columns x and 1), whatever m: an exactly known value that holds the fitting and
# error code.

# %%
linear_fits = []
for m in widths:
    net = mg.nn.TwoLayerNet(2, m, activation="linear")
    theta = train_net(net, 2000 + m, steps=50)
    linear_fits.append(dict(train=float(np.sqrt(np.mean((net.apply(theta, X_train) - y_train) ** 2))),
                            prediction=net.apply(theta, X_test)))
linear_sup = np.array([sup_error(f["prediction"]) for f in linear_fits])
linear_l2 = np.array([l2_error(f["prediction"]) for f in linear_fits])
best_affine = np.polyval(np.polyfit(x_train, y_train, 1), x_train)
affine_rms = float(np.sqrt(np.mean((best_affine - y_train) ** 2)))
lesson.say("  linear activation, sup error: " + "  ".join(f"{e:8.4f}" for e in linear_sup))


# %% [markdown]
# **Quadratic activation**, sigma(z) = z^2, a polynomial of degree 2: f is a quadratic
# polynomial in x at every width, and for m >= 2 every quadratic is such an f (a sum of
# +-(w x + b)^2 terms can give any quadratic form in (x, 1)). So its best error is that of
# the best quadratic fit, at every width. TwoLayerNet does not offer z^2, so here is the
# same network in a few lines, with its Jacobian written out:
#
#     z_ji = w_i x_j + b_i,   f_j = sum_i v_i z_ji^2 / sqrt m,
#     d f_j / d v_i = z_ji^2 / sqrt m,   d f_j / d (w_i, b_i) = 2 v_i z_ji (x_j, 1) / sqrt m.
#
# The hand-written Jacobian is checked against the engine's reverse mode (mg.jacobian) on a
# small case; the control there is the classic slip of dropping the factor 2.

# %%
class QuadraticNet:
    """f(x) = sum_i v_i (w_i . x)^2 / sqrt m: TwoLayerNet's layout, with sigma(z) = z^2."""

    def __init__(self, m):
        self.m = m

    def init(self, seed):
        return np.random.default_rng(seed).standard_normal(3 * self.m)

    def apply(self, theta, X):
        W, v = theta[: 2 * self.m].reshape(self.m, 2), theta[2 * self.m:]
        return (X @ W.T) ** 2 @ v / np.sqrt(self.m)

    def jacobian(self, theta, X, factor=2.0):
        """(n, 3m), columns in theta's order; factor=1 is the wrong derivative z instead of 2 z."""
        W, v = theta[: 2 * self.m].reshape(self.m, 2), theta[2 * self.m:]
        Z = X @ W.T  # (n, m)
        dW = (factor * Z * v)[:, :, None] * X[:, None, :]  # (n, m, 2): d f_j / d W_ik
        return np.concatenate([dW.reshape(len(X), -1), Z**2], axis=1) / np.sqrt(self.m)

    def engine_output(self, theta):
        """The same outputs on 5 fixed inputs as a Tensor graph, for mg.jacobian."""
        W, v = theta[: 2 * self.m].reshape(self.m, 2), theta[2 * self.m:]
        return ((mg.Tensor(X_small) @ W.T) ** 2 @ v) * (1 / np.sqrt(self.m))


X_small = inputs(np.linspace(-1, 1, 5))
small = QuadraticNet(3)
theta_small = small.init(7)
J_engine = mg.jacobian(small.engine_output, theta_small)
lesson.check_below("quadratic net: hand-written Jacobian = engine's mg.jacobian (relative error)",
                   mg.check.relative_error(small.jacobian(theta_small, X_small), J_engine), 1e-12,
                   controls={"factor 2 of d(z^2)/dz dropped": mg.check.relative_error(
                       small.jacobian(theta_small, X_small, factor=1.0), J_engine)})

quadratic_fits = []
for m in widths:
    net = QuadraticNet(m)
    theta = fit(lambda th: net.apply(th, X_train) - y_train, lambda th: net.jacobian(th, X_train),
                net.init(3000 + m), 50)
    quadratic_fits.append(dict(train=float(np.sqrt(np.mean((net.apply(theta, X_train) - y_train) ** 2))),
                               prediction=net.apply(theta, X_test)))
quadratic_sup = np.array([sup_error(f["prediction"]) for f in quadratic_fits])
quadratic_l2 = np.array([l2_error(f["prediction"]) for f in quadratic_fits])
best_quadratic = np.polyval(np.polyfit(x_train, y_train, 2), x_train)
quadratic_rms = float(np.sqrt(np.mean((best_quadratic - y_train) ** 2)))
best_quartic = np.polyval(np.polyfit(x_train, y_train, 4), x_train)
quartic_rms = float(np.sqrt(np.mean((best_quartic - y_train) ** 2)))
lesson.say("  quadratic activation, sup error: " + "  ".join(f"{e:8.4f}" for e in quadratic_sup))
lesson.say(f"  best affine fit: rms {affine_rms:.6f}; best quadratic: rms {quadratic_rms:.6f}; "
           f"best quartic: rms {quartic_rms:.6f} (on the training grid)")

# %% [markdown]
# The exactly known values. The relative gap between a net's training rms error and the
# best polynomial fit of its degree must be at round-off or optimizer-tolerance level
# (1e-6) at every width. The controls compare with the wrong degree (quartic, not cubic:
# g is even, so the best cubic is the best quadratic and would not tell them apart).

# %%
linear_gap = max(abs(f["train"] - affine_rms) / affine_rms for f in linear_fits)
quadratic_gap = max(abs(f["train"] - quadratic_rms) / quadratic_rms for f in quadratic_fits)
lesson.check_below("linear activation: training rms = the best affine fit's, every width (max relative gap)",
                   linear_gap, 1e-6,
                   controls={"quadratic activation compared with the best affine fit":
                             max(abs(f["train"] - affine_rms) / affine_rms for f in quadratic_fits)})
lesson.check_below("quadratic activation: training rms = the best quadratic fit's, every width (max relative gap)",
                   quadratic_gap, 1e-6,
                   controls={"compared with the best quartic fit instead":
                             max(abs(f["train"] - quartic_rms) / quartic_rms for f in quadratic_fits)})

# %% [markdown]
# **A fixed width trained longer.** Width, not training time, is what the theorem varies:
# at a fixed narrow width, more steps of the same fit lower the error only until the fit
# has converged to what that width can do, far above what the wide nets reach. We record
# the sup error of a width-4 net along one long fit, at as many step counts as there are
# widths (doubling each time, like the widths).

# %%
m_fixed = widths[1]
net_fixed = mg.nn.TwoLayerNet(2, m_fixed, activation="tanh")
step_counts = FIT_STEPS // 2 ** np.arange(len(widths) - 1, -1, -1)
_, fixed_history = train_net(net_fixed, 4000, steps=FIT_STEPS,
                             record=lambda th: sup_error(net_fixed.apply(th, X_test)))
fixed_sup = np.array([fixed_history[k - 1] for k in step_counts])
lesson.say(f"  width {m_fixed} after " + ", ".join(f"{k}" for k in step_counts) + " steps, sup error: "
           + "  ".join(f"{e:.4f}" for e in fixed_sup))

# %% [markdown]
# **Interpolation is not approximation.** The widest net fitted to only 8 equally spaced
# points of g passes through all of them (training error at round-off), yet between them,
# on the test grid, it is far from g: the theorem is about the whole interval, and a check
# that looked only at the fitted points would be fooled.

# %%
x_few = np.linspace(-1, 1, 8)
net_few = mg.nn.TwoLayerNet(2, widths[-1], activation="tanh")
theta_few = train_net(net_few, 5000, X=inputs(x_few), y=target(x_few), steps=100)
few_train_sup = float(np.max(np.abs(net_few.apply(theta_few, inputs(x_few)) - target(x_few))))
few_prediction = net_few.apply(theta_few, X_test)
few_sup = sup_error(few_prediction)
lesson.say(f"  width {widths[-1]} on {len(x_few)} points: sup error on those points {few_train_sup:.2e}, "
           f"on the test grid {few_sup:.4f}")

# %% [markdown]
# ## 5. The verdicts: wider approximates better
# Three tests, each applied to the trained tanh nets and to the controls:
# * the error of the narrowest net divided by that of the widest exceeds FACTOR (for the
#   fixed-width control: fewest steps / most steps);
# * the error falls at every doubling of the width, by at least 5% each time (the largest
#   ratio err(2m) / err(m) is below 0.95): "falls", not "stays level";
# * the widest net is uniformly close to g: sup error below EPS on the test grid.
#
# The narrowest trained net is one more control for the last test: the claim is about
# width, so a narrow net, trained the same way, must not be uniformly close to g.

# %%
def drop(errors):
    return float(errors[0] / errors[-1])


def worst_step(errors):
    return float(np.max(errors[1:] / errors[:-1]))


lesson.say(f"  FACTOR = {FACTOR:g}, EPS = {EPS:g}, RF_FACTOR = {RF_FACTOR:g}")
lesson.check_above(f"trained tanh: sup error at m = {widths[0]} / sup error at m = {widths[-1]}",
                   drop(trained_sup), FACTOR,
                   controls={"linear activation": drop(linear_sup), "quadratic activation": drop(quadratic_sup),
                             f"width {m_fixed} trained {step_counts[0]} -> {step_counts[-1]} steps": drop(fixed_sup)})
lesson.check_above(f"trained tanh: L2 error at m = {widths[0]} / L2 error at m = {widths[-1]}",
                   drop(trained_l2), FACTOR,
                   controls={"linear activation": drop(linear_l2), "quadratic activation": drop(quadratic_l2)})
lesson.check_below("trained tanh: largest ratio sup error(2m) / sup error(m) over the doublings",
                   worst_step(trained_sup), 0.95,
                   controls={"linear activation": worst_step(linear_sup),
                             "quadratic activation": worst_step(quadratic_sup),
                             f"width {m_fixed}, doubling the steps instead": worst_step(fixed_sup)})
lesson.check_below(f"trained tanh, widest (m = {widths[-1]}): sup error on the test grid",
                   trained_sup[-1], EPS,
                   controls={f"narrowest trained (m = {widths[0]})": trained_sup[0],
                             f"linear activation, m = {widths[-1]}": linear_sup[-1],
                             f"quadratic activation, m = {widths[-1]}": quadratic_sup[-1],
                             f"m = {widths[-1]} fitted to {len(x_few)} points only": few_sup})

# %% [markdown]
# ## 6. Contrast: random features, and plain gradient descent
# **Random features**: keep the hidden units at their random initialization and fit only
# the output layer v, by least squares (minimum norm) on the features
# sigma(w_i x + b_i) / sqrt m. It can also approximate better as m grows, but by a
# different mechanism: the units are a fixed random basis, nothing places a steep unit at
# a kink, so the only lever is having more of them. Same widths and initializations; the
# best initialization is kept, as for the trained nets.
#
# **Plain gradient descent** on all weights, from the same initializations, with the step
# eta = 1 / lambda_max(K0 / n) from the tangent kernel K0 = J0 J0^T (as in lesson 1) and a
# fixed budget of GD_STEPS steps on the mean loss (1/(2n)) sum_j r_j^2.

# %%
def random_features(net, seed):
    """Output layer by least squares on the frozen hidden layer of net.init(seed)."""
    theta0 = net.init(seed)
    features = net.jacobian(theta0, X_train, backend=BACKEND)[:, 2 * net.m:]  # d f / d v = sigma(...) / sqrt m
    W, _ = net.unflatten(theta0)
    return net.flatten(W, mg.linear.lstsq_min_norm(features, y_train))


def gradient_descent(net, seed):
    theta0 = net.init(seed)
    J0 = net.jacobian(theta0, X_train, backend=BACKEND)
    lr = 1.0 / np.linalg.eigvalsh(J0 @ J0.T / len(x_train))[-1]

    def value_and_grad(theta):
        return (net.loss(theta, X_train, y_train, backend=BACKEND),
                net.loss_grad(theta, X_train, y_train, backend=BACKEND))

    theta, _ = mg.optim.gd(value_and_grad, theta0, lr, GD_STEPS, record_every=GD_STEPS)
    return theta


def best_of_seeds(net, method):
    """(theta, seed): the fit by `method` with the smallest training loss over SEEDS."""
    fits = [(method(net, 1000 * net.m + seed), 1000 * net.m + seed) for seed in SEEDS]
    losses = [np.sum((net.apply(theta, X_train) - y_train) ** 2) for theta, _ in fits]
    return fits[int(np.argmin(losses))]


rf, gd = [], []
for m in widths:
    net = mg.nn.TwoLayerNet(2, m, activation="tanh")
    rf.append(net.apply(best_of_seeds(net, random_features)[0], X_test))
    theta_gd, seed = best_of_seeds(net, gradient_descent)
    theta0 = net.init(seed)
    gd.append(dict(prediction=net.apply(theta_gd, X_test),
                   moved=float(np.linalg.norm(theta_gd - theta0) / np.linalg.norm(theta0))))
    lesson.progress(f"random features and GD, width {m}")
rf_sup = np.array([sup_error(p) for p in rf])
rf_l2 = np.array([l2_error(p) for p in rf])
gd_sup = np.array([sup_error(g["prediction"]) for g in gd])
gd_l2 = np.array([l2_error(g["prediction"]) for g in gd])
lesson.say("  m:                              " + "  ".join(f"{m:8d}" for m in widths))
lesson.say("  random features, sup error:     " + "  ".join(f"{e:8.4f}" for e in rf_sup))
lesson.say(f"  plain GD, {GD_STEPS:5d} steps, sup error: " + "  ".join(f"{e:8.4f}" for e in gd_sup))
lesson.say("  trained / random features, sup: " + "  ".join(f"{e:8.3f}" for e in trained_sup / rf_sup))
lesson.say(f"  log-log slopes of the sup error vs m: trained {loglog_slope(widths, trained_sup):.2f}, "
           f"random features {loglog_slope(widths, rf_sup):.2f}, GD {loglog_slope(widths, gd_sup):.2f} "
           "(descriptive only: the theorem has no rate)")

# %% [markdown]
# Random features approximate too: their sup error also falls clearly (by more than
# RF_FACTOR), while the linear- and quadratic-activation nets of section 4 stay level.
# The comparison is then measured, not assumed: is training all weights better than
# fitting only the output layer at every width, and does plain GD with its budget get
# there? (GD is the control: it is a trained network too, but finding good hidden weights
# is exactly what the theorem does not promise.)

# %%
lesson.check_above(f"random features: sup error at m = {widths[0]} / at m = {widths[-1]}",
                   drop(rf_sup), RF_FACTOR,
                   controls={"linear activation": drop(linear_sup), "quadratic activation": drop(quadratic_sup)})
lesson.check_below("all weights trained vs output layer only: largest ratio of sup errors over widths",
                   float(np.max(trained_sup / rf_sup)), 1.0,
                   controls={f"plain GD, {GD_STEPS} steps, instead of the Gauss-Newton fit":
                             float(np.max(gd_sup / rf_sup))})

# %% [markdown]
# ## 7. And the infinite-width limit?
# "An infinitely wide network matches g exactly" is not what the theorem says. It says
# that for each eps some FINITE width and some weights get within eps. The infinite-width
# limit of this 1/sqrt(m) network at initialization is a different object: f(x; theta0)
# tends to a Gaussian process, a random function that has nothing to do with g, and plain
# GD from there stays in the kernel (lazy) regime of lessons 5 and 7, where the hidden
# units barely move and the trained net behaves like a kernel method with a fixed
# feature map. Our numbers show the two regimes side by side: the relative distance
# ||theta - theta0|| / ||theta0|| that GD travels should shrink as m grows (in the lazy
# regime ||theta - theta0|| stays O(1) while ||theta0|| ~ sqrt(3m), a log-log slope of
# -1/2), while the Gauss-Newton fits, which find much better weights, travel far from
# theta0 at every width. The test: GD's slope is within 0.3 of -1/2 (a wide band: few
# widths, and the narrowest nets are not lazy at all); the Gauss-Newton fits, the control,
# must not show it: approximating g needed weights far from the random start.

# %%
gd_moved = np.array([g["moved"] for g in gd])
fit_moved = np.array([t["moved"] for t in trained])
lesson.say("  ||theta - theta0|| / ||theta0|| at m =  " + "  ".join(f"{m:7d}" for m in widths))
lesson.say("    plain GD:                             " + "  ".join(f"{e:7.3f}" for e in gd_moved))
lesson.say("    Gauss-Newton fits:                    " + "  ".join(f"{e:7.3f}" for e in fit_moved))
lesson.check_between("plain GD: log-log slope of ||theta - theta0|| / ||theta0|| vs m (lazy regime: -1/2)",
                     loglog_slope(widths, gd_moved), -0.8, -0.2,
                     controls={"the Gauss-Newton fits": loglog_slope(widths, fit_moved)})

# %% [markdown]
# So the honest reading: the theorem guarantees good weights at some finite width; the
# wide-network limit at initialization is a kernel (Gaussian-process) regime, which by
# itself fits g only as well as that kernel and that training budget allow. What the
# numbers here show is narrower: at the widths tried, the best weights we found approach g
# uniformly, and width (not training time, not a polynomial activation) is what made the
# difference.

# %% [markdown]
# ## 8. Pictures
# Figure 1, the network as a function of x: (a) trained fits over the target at a few
# widths, (b) random-feature fits at the same widths, (c) the controls at the widest width:
# linear and quadratic activation, and the net fitted to 8 points (marked), (d) where the
# error sits at the widest width: |f(x) - g(x)| on a log scale, largest at the kinks of g
# (dotted lines), for the trained net and for random features. Figure 2, error
# against width on log-log axes: (a) sup error, (b) L2 error, for the trained nets, random
# features, plain GD and the two polynomial activations, with EPS as a dotted line; (c) the
# fixed-width control, error against the number of steps.

# %%
shown = [m for m in (widths[0], widths[1], widths[2], widths[-1])]
colors = {m: f"C{k}" for k, m in enumerate(shown)}
fig, axes = plt.subplots(2, 2, figsize=(13, 9.5))
axes = axes.ravel()
for ax, curves, title in ((axes[0], {t["m"]: t["prediction"] for t in trained}, "(a) all weights trained"),
                          (axes[1], dict(zip(widths, rf)), "(b) random features: output layer only")):
    ax.plot(x_test, y_test, color="k", lw=3, alpha=0.35, label="target g")
    for m in shown:
        ax.plot(x_test, curves[m], color=colors[m], lw=1.3, label=f"m = {m}")
    ax.set_title(title)
ax = axes[2]
ax.plot(x_test, y_test, color="k", lw=3, alpha=0.35, label="target g")
ax.plot(x_test, linear_fits[-1]["prediction"], color="C4", lw=1.3, label=f"linear activation, m = {widths[-1]}")
ax.plot(x_test, quadratic_fits[-1]["prediction"], color="C5", lw=1.3, label=f"quadratic activation, m = {widths[-1]}")
ax.plot(x_test, few_prediction, color="C6", lw=1.3, label=f"m = {widths[-1]} fitted to {len(x_few)} points")
ax.plot(x_few, target(x_few), "o", color="C6", ms=6, label=f"the {len(x_few)} points")
ax.set_title("(c) controls at the widest width")
for ax in axes[:3]:
    ax.set_xlabel("input x")
    ax.set_ylabel("f(x)")
    ax.set_ylim(-0.35, 1.75)
    ax.legend(fontsize=8, loc="upper center")
ax = axes[3]
ax.semilogy(x_test, np.abs(rf[-1] - y_test), color="C1", lw=1, label=f"random features, m = {widths[-1]}")
ax.semilogy(x_test, np.abs(trained[-1]["prediction"] - y_test), color="C0", lw=1,
            label=f"all weights trained, m = {widths[-1]}")
for kink in (-np.pi / 4, 0.0, np.pi / 4):
    ax.axvline(kink, color="gray", ls=":", lw=1)
ax.set_ylim(1e-6, 10.0)  # room above the curves for the legend
ax.set_xlabel("input x  (dotted: the kinks of g, x = 0 and +-pi/4)")
ax.set_ylabel("|f(x) - g(x)|")
ax.set_title("(d) where the error sits, widest width")
ax.legend(fontsize=8, loc="upper center")
fig.tight_layout()
lesson.save_figure(fig, "fits")

fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
curves = (("all weights trained (Gauss-Newton)", "o-", "C0", trained_sup, trained_l2),
          ("random features", "s-", "C1", rf_sup, rf_l2),
          (f"plain GD, {GD_STEPS} steps", "^-", "C2", gd_sup, gd_l2),
          ("linear activation", "v--", "C4", linear_sup, linear_l2),
          ("quadratic activation", "d--", "C5", quadratic_sup, quadratic_l2))
for column, (ax, name) in enumerate(((axes[0], "sup error on the test grid"),
                                     (axes[1], "L2 (rms) error on the test grid"))):
    for label, style, color, *errors in curves:
        values = errors[column]
        ax.loglog(widths, values, style, color=color, label=label)
    ax.set_xlabel("width m")
    ax.set_ylabel(name)
    ax.set_xticks(widths)
    ax.set_xticklabels([str(m) for m in widths])
    ax.minorticks_off()
axes[0].axhline(EPS, color="gray", ls=":", lw=1, label=f"EPS = {EPS:g}")
axes[0].set_title("(a) sup error against width")
axes[1].set_title("(b) L2 error against width")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, fontsize=9, ncol=3, loc="upper center", bbox_to_anchor=(0.35, 0.0))
ax = axes[2]
ax.loglog(np.arange(1, FIT_STEPS + 1), fixed_history, color="C3", label=f"width {m_fixed}, one long fit")
ax.loglog(step_counts, fixed_sup, "o", color="C3", label="the step counts of the control")
ax.axhline(trained_sup[-1], color="C0", ls="--", lw=1, label=f"trained, widest (m = {widths[-1]})")
ax.set_xlabel("Gauss-Newton steps")
ax.set_ylabel("sup error on the test grid")
ax.set_title(f"(c) control: width {m_fixed}, more steps")
ax.set_ylim(trained_sup[-1] / 4, 3)
ax.legend(fontsize=8, loc="center left")
fig.tight_layout()
lesson.save_figure(fig, "error_vs_width")
