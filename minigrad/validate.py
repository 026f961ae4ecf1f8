"""Argument checks shared by the machinery (nn, linear, optim, spectral).

Each returns the cleaned value or raises a TypeError/ValueError whose message names
the argument, what was expected and what was given. bool is refused where an int is
expected: ``True`` features or ``True`` steps is a bug, not a request.
"""

from __future__ import annotations

import numbers

import numpy as np


def whole_number(value, what: str, minimum: int = 1) -> int:
    """``value`` as an int >= minimum (numpy ints too; bools and floats are refused, not rounded)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int, but got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, but got {value}")
    return int(value)


def positive_number(value, what: str) -> float:
    """``value`` as a finite float > 0 (a step size, a tolerance, a scale)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a real number, but got {type(value).__name__} {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{what} must be a finite number > 0, but got {value}")
    return float(value)


def generator(seed, where: str) -> np.random.Generator:
    """A numpy Generator from an int seed, or the Generator itself (which is then advanced).

    None is refused: every random draw in minigrad is reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{where}: seed must be an int or a numpy.random.Generator, but got {type(seed).__name__} {seed!r}"
        )
    return np.random.default_rng(int(seed))
