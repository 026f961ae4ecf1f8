"""Closed-form kernels for the networks and for SGD: numpy twins, and numba kernels where
they pay for their compile time. One module per network:

    activations.py   sigma, sigma', sigma'' and a fast tanh (the scalar code the kernels inline)
    two_layer.py     the two-layer net: numpy twins, a chunked numpy reference, numba kernels
    deep.py          the deep net: numpy only (its numba twin measured no faster; removed)
    sgd.py           SGD for least squares: the whole loop compiled, and its numpy twin

Every numba kernel comes with a plain numpy twin of the same signature and the same result:

    NAME_numpy   a few array expressions that state the math: the reference;
    NAME_numba   the same numbers from @njit(cache=True) loops that touch memory less:
                 no n x m temporaries, one transcendental per element per pass, and
                 both cores (one for small problems). Some are short Python functions
                 that allocate with numpy and call a few compiled loops.

tests/test_kernels.py holds each pair together to ~1e-12 relative, and tests/test_nn.py
holds both against the engine (``backend="engine"``). Everything is re-exported here, so
``minigrad.kernels.two_layer_loss_hvp_numba`` works as before the split.

Compiling. Importing this package imports numba but compiles nothing: a kernel compiles
at its first call and the machine code is cached on disk (``cache=True``), so later runs
load it. Each compiled function has one signature (float64 C-contiguous arrays, int64
codes), so it compiles once. ``python -m benchmarks.cold_start`` measures the first-ever
compile of every kernel (fresh cache folder) against the project's 8 s budget.

Debugging a kernel: start Python with ``NUMBA_DISABLE_JIT=1`` and every @njit function
runs as plain Python (slowly), so ``print`` and ``pdb`` work inside it.

Conventions. The callers (``minigrad.nn``, ``minigrad.optim``) validate shapes and pass
C-contiguous float64 arrays; the kernels themselves do not check:

    theta (p,)   all parameters in one vector, as in ``minigrad.nn``
    X (n, d)     the inputs, one row per example;  x (d,) a single input;  y (n,) targets
    vec (p,)     the direction of a Hessian-vector product
    code         an activation code, ``ACTIVATION_CODES[name]``
    widths       int64 array (L,) of hidden widths m_1..m_L (deep nets)

The loss is L(theta) = (1/(2n)) sum_j (f(x_j) - y_j)^2. Second derivatives (every HVP):
with residuals r_j = f(x_j) - y_j,

    H v = (1/n) sum_j [ (grad f_j . v) grad f_j  +  r_j (Hess f_j) v ]
          (Gauss-Newton part)                       (residual-weighted output Hessians)
"""

from .activations import (  # noqa: F401
    ACTIVATION_CODES, LINEAR, RELU, SIGMOID, SOFTPLUS, TANH,
    act_derivatives_numba, act_derivatives_numpy, tanh_numba, tanh_numpy,
)
from .deep import (  # noqa: F401
    deep_jacobian_numpy, deep_loss_grad_numpy, deep_loss_hvp_numpy, deep_loss_numpy,
    deep_output_grad_numpy, deep_output_hvp_numpy, deep_outputs_numpy,
)
from .sgd import sgd_least_squares_numba, sgd_least_squares_numpy  # noqa: F401
from .two_layer import (  # noqa: F401
    CHUNK_NEURONS, CHUNKS, FLOPS_PER_PAIR, PARALLEL_MIN_WORK, TANH_FLOPS,
    two_layer_jacobian_numba, two_layer_jacobian_numpy,
    two_layer_loss_chunked_numpy, two_layer_loss_grad_chunked_numpy, two_layer_loss_grad_numba,
    two_layer_loss_grad_numpy, two_layer_loss_hvp_chunked_numpy, two_layer_loss_hvp_numba,
    two_layer_loss_hvp_numpy, two_layer_loss_numba, two_layer_loss_numpy,
    two_layer_output_grad_numba, two_layer_output_grad_numpy, two_layer_output_hvp_numba,
    two_layer_output_hvp_numpy, two_layer_outputs_chunked_numpy, two_layer_outputs_numba,
    two_layer_outputs_numpy,
)
