"""Gradient checking: compare an analytic gradient with central finite differences.

The functions here are generic tools (a relative error and a numerical gradient);
they contain no model's backward pass.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

# Below this size the denominator of the relative error is treated as zero.
_TINY = 1e-300


def relative_error(a, b) -> float:
    """Relative distance between two arrays of the same shape.

    ``||a - b||_2 / (||a||_2 + ||b||_2)``, computed on the flattened arrays, so it lies
    in [0, 1]: 0 means equal, 1 means e.g. ``b = -a``. Two all-zero arrays give 0.
    The norm-based form does not blow up on single components that are (nearly) zero,
    where finite differences leave only round-off.

    a, b: array-likes of one shape (scalars allowed). Returns a Python float.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs arrays of one shape, got {a.shape} and {b.shape}")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("relative_error got non-finite values (nan or inf)")
    denominator = np.linalg.norm(a.ravel()) + np.linalg.norm(b.ravel())
    if denominator < _TINY:
        return 0.0
    return float(np.linalg.norm((a - b).ravel()) / denominator)


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function, for an input of any shape.

    ``g[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element i of x.
    The error is O(eps^2) from truncation plus O(machine eps / eps) from round-off, so
    use float64; eps = 1e-6 gives about 1e-9 relative accuracy for smooth f.

    f: maps an array of x's shape to a scalar (float, 0-d or size-1 array).
    x: array-like of shape S (a float64 copy is perturbed; x itself is never changed).
    Returns an array of shape S and dtype float64.
    """
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")
    x = np.array(x, dtype=np.float64)  # a copy we may perturb
    grad = np.empty_like(x)
    flat = x.reshape(-1)  # a view into the copy
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        f_plus = _scalar(f(x))
        flat[i] = original - eps
        f_minus = _scalar(f(x))
        flat[i] = original
        grad.reshape(-1)[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def check_gradient(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray], x,
                   eps: float = 1e-6) -> float:
    """Relative error between an analytic gradient and central differences at x.

    f: scalar function of an array of shape S; grad: returns df/dx with shape S.
    Returns ``relative_error(grad(x), numerical_gradient(f, x, eps))``; for correct
    float64 code on a smooth function this is around 1e-9, a wrong gradient gives
    something of order 1e-2 to 1.
    """
    x = np.array(x, dtype=np.float64)
    analytic = np.asarray(grad(x.copy()), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"grad(x) has shape {analytic.shape}, expected x's shape {x.shape}")
    return relative_error(analytic, numerical_gradient(f, x, eps))


def _scalar(value) -> float:
    """The single number in ``value``; an error naming the shape if there are several."""
    array = np.asarray(value, dtype=np.float64)
    if array.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {array.shape}")
    return float(array.reshape(()))
