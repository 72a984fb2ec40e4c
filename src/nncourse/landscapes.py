"""Two-dimensional test functions for comparing optimisers: value, gradient and known minimum.

Each landscape has a *value* function vectorised over grids, ``f(x, y)`` with ``x`` and ``y``
of any (equal or broadcastable) shape, which is what ``nncourse.plotting.plot_contour_paths``
expects, and a *gradient* function on stacked parameters, ``grad(theta)`` with ``theta`` of
shape ``(..., 2)`` returning the same shape, which is what an optimiser loop needs.

Only the test problems live here. The optimisers that minimise them are an exercise and
stay in the lecture notebook.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "quadratic",
    "quadratic_grad",
    "quadratic_hessian",
    "rosenbrock",
    "rosenbrock_grad",
    "ROSENBROCK_MINIMUM",
    "QUADRATIC_MINIMUM",
]

QUADRATIC_MINIMUM = np.array([0.0, 0.0])
ROSENBROCK_MINIMUM = np.array([1.0, 1.0])  # for the default a = 1: the minimum is (a, a**2)


def _split(theta) -> tuple[np.ndarray, np.ndarray]:
    """``theta: (..., 2)`` -> its two coordinates, each of shape ``(...)``."""
    theta = np.asarray(theta, dtype=float)
    if theta.ndim == 0 or theta.shape[-1] != 2:
        raise ValueError(f"theta must have shape (..., 2), got shape {theta.shape}")
    return theta[..., 0], theta[..., 1]


def _rotated(x, y, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates ``(u, v)`` of the point ``(x, y)`` in axes turned by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return c * x + s * y, -s * x + c * y


def quadratic(x, y, *, curvatures=(1.0, 25.0), angle: float = 0.0) -> np.ndarray:
    """Ill-conditioned bowl ``f = (lam1 * u**2 + lam2 * v**2) / 2``, with ``(u, v)`` the point in axes turned by ``angle``.

    ``x, y``: arrays of one broadcast shape ``S``; returns shape ``S``.
    The Hessian has eigenvalues ``curvatures = (lam1, lam2)``, so its condition number is
    ``lam2 / lam1``; the minimum is ``f(0, 0) = 0``.
    """
    lam1, lam2 = curvatures
    if lam1 <= 0 or lam2 <= 0:
        raise ValueError(f"curvatures must be positive, got {curvatures}")
    u, v = _rotated(np.asarray(x, dtype=float), np.asarray(y, dtype=float), angle)
    return 0.5 * (lam1 * u**2 + lam2 * v**2)


def quadratic_hessian(*, curvatures=(1.0, 25.0), angle: float = 0.0) -> np.ndarray:
    """The constant Hessian ``R.T @ diag(curvatures) @ R`` of :func:`quadratic`, shape ``(2, 2)``."""
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, s], [-s, c]])
    return rotation.T @ np.diag(np.asarray(curvatures, dtype=float)) @ rotation


def quadratic_grad(theta, *, curvatures=(1.0, 25.0), angle: float = 0.0) -> np.ndarray:
    """Gradient of :func:`quadratic`: ``theta: (..., 2)`` -> ``(..., 2)``, equal to ``H @ theta``."""
    x, y = _split(theta)
    lam1, lam2 = curvatures
    u, v = _rotated(x, y, angle)
    c, s = np.cos(angle), np.sin(angle)
    # d/dx and d/dy of (lam1 u^2 + lam2 v^2) / 2 with du = (c, s), dv = (-s, c).
    return np.stack([lam1 * u * c - lam2 * v * s, lam1 * u * s + lam2 * v * c], axis=-1)


def rosenbrock(x, y, *, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """Rosenbrock's banana valley ``f = (a - x)**2 + b * (y - x**2)**2``.

    ``x, y``: arrays of one broadcast shape ``S``; returns shape ``S``.
    The only minimum is ``f(a, a**2) = 0``, at the end of a long, flat, curved valley.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return (a - x) ** 2 + b * (y - x**2) ** 2


def rosenbrock_grad(theta, *, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """Gradient of :func:`rosenbrock`: ``theta: (..., 2)`` -> ``(..., 2)``."""
    x, y = _split(theta)
    valley = y - x**2
    return np.stack([-2.0 * (a - x) - 4.0 * b * x * valley, 2.0 * b * valley], axis=-1)
