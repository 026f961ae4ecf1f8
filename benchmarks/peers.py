"""The peers: the same losses written for HIPS autograd, JAX and torch (our own code).

Each network is written ONCE as a function of an array library's ``tanh`` and its
arrays (``theta[a:b].reshape``, ``@``, ``.T`` and ``.sum()`` mean the same thing in
numpy/autograd, jax.numpy and torch), so every peer differentiates the very same
formula minigrad's nets compute:

    two-layer:  f(X) = tanh(X W^T) v / sqrt(m),                theta = [W.ravel() (m*d), v (m)]
    deep:       a^0 = X, a^l = tanh(a^{l-1} W_l^T / sqrt(m_{l-1})), f = a^L v / sqrt(m_L),
                theta = [W_1.ravel(), ..., W_L.ravel(), v],  W_l of shape (m_l, m_{l-1}), m_0 = d
    loss:       L(theta) = (1/(2n)) sum_j (f(x_j) - y_j)^2,     X (n, d), y (n,)

and each peer's derivatives are its own idiom, all in float64:

=========  ===================================  ======================================
peer       gradient                             Hessian-vector product
=========  ===================================  ======================================
autograd   ``autograd.grad(L)``                 ``autograd.grad(theta -> <grad L, v>)``
jax        ``jit(grad(L))``                     ``jit(jvp(grad(L), theta, v))`` (forward over reverse)
torch      ``torch.autograd.grad``              double backward: ``create_graph=True``, then grad of <g, v>
=========  ===================================  ======================================

A peer that is not installed is reported as skipped, with the import error.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import timing

PEER_NAMES = ("autograd", "jax", "torch")


# ---------------------------------------------------------------------------
# The two networks, written once for any numpy-like array library.
# ---------------------------------------------------------------------------
def two_layer_output(tanh, theta, X, m: int, d: int):
    """f(X) = tanh(X W^T) v / sqrt(m), shape (n,); W = theta[:m*d] as (m, d), v = theta[m*d:]."""
    W = theta[: m * d].reshape(m, d)
    v = theta[m * d:]
    return tanh(X @ W.T) @ v / np.sqrt(m)


def deep_output(tanh, theta, X, d: int, widths: tuple[int, ...]):
    """f(X) for the deep 1/sqrt(fan-in) tanh net with linear output, shape (n,)."""
    a, fan_in, start = X, d, 0
    for m in widths:
        W = theta[start: start + m * fan_in].reshape(m, fan_in)
        start += m * fan_in
        a = tanh(a @ W.T / np.sqrt(fan_in))
        fan_in = m
    v = theta[start: start + fan_in]
    return a @ v / np.sqrt(fan_in)


def squared_loss(f, y):
    """(1/(2n)) sum_j (f_j - y_j)^2 for f, y of shape (n,)."""
    r = f - y
    return (r * r).sum() / (2 * y.shape[0])


Model = Callable  # model(tanh, theta, X) -> outputs (n,)


@dataclass
class PeerFunctions:
    """One peer's loss, gradient and HVP for one network and one data set.

    ``theta`` and ``v`` must first go through ``to_native`` (once, outside the clock);
    ``to_numpy`` brings a result back for the comparison with minigrad.
    """

    loss: Callable        # theta -> float
    grad: Callable        # theta -> native (p,)
    hvp: Callable         # theta, v -> native (p,)
    to_native: Callable   # ndarray -> native array
    to_numpy: Callable    # native array -> ndarray


# ---------------------------------------------------------------------------
# The peers.
# ---------------------------------------------------------------------------
class AutogradPeer:
    """HIPS autograd: reverse mode over numpy, the HVP as the gradient of <grad L, v>."""

    name = "autograd"

    def __init__(self):
        self.autograd = importlib.import_module("autograd")
        self.anp = importlib.import_module("autograd.numpy")

    def build(self, model: Model, X: np.ndarray, y: np.ndarray) -> PeerFunctions:
        autograd, anp = self.autograd, self.anp

        def loss(theta):
            return squared_loss(model(anp.tanh, theta, X), y)

        grad = autograd.grad(loss)
        hvp = autograd.grad(lambda theta, v: anp.dot(grad(theta), v))
        return PeerFunctions(lambda theta: float(loss(theta)), grad, hvp, np.asarray, np.asarray)


class JaxPeer:
    """JAX on the CPU in float64 (x64 enabled): jitted loss, grad, and jvp-of-grad HVP."""

    name = "jax"

    def __init__(self):
        self.jax = importlib.import_module("jax")
        self.jax.config.update("jax_enable_x64", True)
        self.jnp = importlib.import_module("jax.numpy")

    def build(self, model: Model, X: np.ndarray, y: np.ndarray) -> PeerFunctions:
        jax, jnp = self.jax, self.jnp
        X_j, y_j = jnp.asarray(X), jnp.asarray(y)

        def loss(theta, X, y):
            return squared_loss(model(jnp.tanh, theta, X), y)

        grad = jax.grad(loss)
        loss_jit = jax.jit(loss)
        grad_jit = jax.jit(grad)
        hvp_jit = jax.jit(lambda theta, v, X, y: jax.jvp(lambda t: grad(t, X, y), (theta,), (v,))[1])
        return PeerFunctions(
            loss=lambda theta: float(loss_jit(theta, X_j, y_j)),
            grad=lambda theta: grad_jit(theta, X_j, y_j).block_until_ready(),
            hvp=lambda theta, v: hvp_jit(theta, v, X_j, y_j).block_until_ready(),
            to_native=lambda a: jax.device_put(jnp.asarray(a, dtype=jnp.float64)),
            to_numpy=np.asarray,
        )


class TorchPeer:
    """torch on the CPU in float64: autograd.grad, and double backward for the HVP."""

    name = "torch"

    def __init__(self):
        self.torch = importlib.import_module("torch")
        if timing.THREADS is not None:
            self.torch.set_num_threads(timing.THREADS)

    def build(self, model: Model, X: np.ndarray, y: np.ndarray) -> PeerFunctions:
        torch = self.torch
        X_t, y_t = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(y))

        def loss(theta):
            return squared_loss(model(torch.tanh, theta, X_t), y_t)

        def loss_value(theta):
            with torch.no_grad():
                return float(loss(theta))

        def grad(theta):
            leaf = theta.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(loss(leaf), leaf)
            return g

        def hvp(theta, v):
            leaf = theta.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(loss(leaf), leaf, create_graph=True)
            (hv,) = torch.autograd.grad(g @ v, leaf)
            return hv

        return PeerFunctions(
            loss_value, grad, hvp,
            to_native=lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)),
            to_numpy=lambda t: t.detach().numpy(),
        )


PEER_CLASSES = {"autograd": AutogradPeer, "jax": JaxPeer, "torch": TorchPeer}


def peer_version(name: str) -> str | None:
    module = {"autograd": "autograd", "jax": "jax", "torch": "torch"}[name]
    return timing._version(module)


def load_peers(names=PEER_NAMES) -> tuple[dict, dict]:
    """Import the peers that are installed.

    Returns (loaded, skipped): loaded maps a name to its peer object; skipped maps
    a name to the reason (the import error), to be printed.
    """
    loaded, skipped = {}, {}
    for name in names:
        if name not in PEER_CLASSES:
            raise ValueError(f"unknown peer {name!r}; the peers are {PEER_NAMES}")
        try:
            loaded[name] = PEER_CLASSES[name]()
        except ImportError as error:
            skipped[name] = f"not importable ({error}); pip install -e \".[bench]\" brings it"
    return loaded, skipped
