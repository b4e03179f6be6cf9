"""Special functions in a form that neither overflows nor cancels for heavy buyers.

The Gauss hypergeometric function ``2F1(a, b; c; z)`` of these models has
parameters that grow with a customer's number of purchases; evaluated as
written it overflows (or loses every digit) for customers with hundreds of
purchases. Euler's transformation ``2F1(a, b; c; z) = (1 - z)^(c - a - b)
2F1(c - a, c - b; c; z)`` moves the growth into a power that is handled in
log space, and leaves a series whose terms are bounded by ``z^k``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["log_hyp2f1_a_plus_one", "logsubexp"]

FloatArray = npt.NDArray[np.float64]


def log_hyp2f1_a_plus_one(a: FloatArray, b: FloatArray, z: FloatArray) -> FloatArray:
    """Return ``log 2F1(a, b; a + 1; z)`` for ``a > 0``, ``0 < b < a + 1``, ``0 <= z < 1``.

    Euler's transformation gives ``(1 - z)^(1 - b) 2F1(1, a + 1 - b; a + 1; z)``;
    the series of the latter has positive terms each at most ``z^k``, so it
    lies between 1 and ``1 / (1 - z)`` and is evaluated without overflow
    whatever the size of ``a`` (the number of purchases enters there).
    """
    tail = special.hyp2f1(1.0, a + 1.0 - b, a + 1.0, z)
    result: FloatArray = (1.0 - b) * np.log1p(-z) + np.log(tail)
    return result


def logsubexp(high: FloatArray, low: FloatArray) -> FloatArray:
    """Return ``log(exp(high) - exp(low))`` for ``high >= low``, ``-inf`` when equal."""
    with np.errstate(divide="ignore"):
        diff = np.minimum(low - high, 0.0)
        result: FloatArray = high + np.log(-np.expm1(diff))
    return result
