"""Two-dimensional test functions for comparing optimisers: value, gradient and known minimum.

Each landscape has a *value* function vectorised over grids, ``f(x, y)`` with ``x`` and ``y``
of any (equal or broadcastable) shape, which is what ``nncourse.plotting.plot_contour_paths``
expects, and a *gradient* function on stacked parameters, ``grad(theta)`` with ``theta`` of
shape ``(..., 2)`` returning the same shape, which is what an optimiser loop needs.

The second half slices the loss of a real network: a random direction in weight space scaled
filter by filter to the weights it perturbs (Li et al., 2018, *Visualizing the Loss Landscape of
Neural Nets*), and the loss along one or two such directions. Weights are a list of arrays as
``model.get_weights()`` returns them (kernels ``(n_in, n_out)``, biases ``(n_out,)``).

Only test problems and slicing tools live here. The optimisers that minimise them are an
exercise and stay in the lecture notebook.
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
    "lessard",
    "lessard_grad",
    "normalise_filters",
    "filter_normalised_direction",
    "shifted",
    "loss_along",
    "loss_surface",
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


def lessard(x) -> np.ndarray:
    """A one-dimensional, piecewise quadratic, strongly convex function with curvature 25, 1 and 25 again.

    ``f = 25 x**2 / 2`` for ``x < 1``, ``x**2 / 2 + 24 x - 12`` on ``[1, 2)`` and ``25 x**2 / 2 - 24 x + 36`` for
    ``x >= 2``: ``f'`` is continuous and its slope lies in [1, 25] (strongly convex with ``mu = 1``, smooth with
    ``L = 25``); the minimum is ``f(0) = 0``. Lessard, Recht and Packard (2016) use it to show that the heavy
    ball with Polyak's parameters for ``kappa = 25`` need not converge. ``x``: any shape, returns that shape.
    """
    x = np.asarray(x, dtype=float)
    return np.where(x < 1, 12.5 * x**2, np.where(x < 2, 0.5 * x**2 + 24 * x - 12, 12.5 * x**2 - 24 * x + 36))


def lessard_grad(x) -> np.ndarray:
    """Derivative of :func:`lessard`: ``25 x``, ``x + 24``, ``25 x - 24`` on the three pieces; same shape as ``x``."""
    x = np.asarray(x, dtype=float)
    return np.where(x < 1, 25 * x, np.where(x < 2, x + 24, 25 * x - 24))


def _as_arrays(params) -> list[np.ndarray]:
    arrays = [np.asarray(p, dtype=float) for p in params]
    if not arrays:
        raise ValueError("expected a non-empty list of weight arrays")
    return arrays


def normalise_filters(direction, params, *, ignore_biases: bool = True) -> list[np.ndarray]:
    """Scale ``direction`` filter by filter to the size of the weights ``params`` it will perturb.

    Both are lists of arrays of equal shapes. For an array with two or more axes a *filter* is one
    slice along the last axis (a Dense kernel's column: one unit's incoming weights; a convolution's
    output channel), and each filter of the direction is rescaled to the Frobenius norm of the same
    filter of ``params``. One-axis arrays (biases, normalisation parameters) get a zero direction if
    ``ignore_biases``, otherwise the whole vector is rescaled to the parameter's norm.
    Returns a new list; a filter of ``direction`` that is zero stays zero.
    """
    direction, params = _as_arrays(direction), _as_arrays(params)
    if len(direction) != len(params) or any(d.shape != p.shape for d, p in zip(direction, params)):
        raise ValueError(f"direction and params need the same shapes, got {[d.shape for d in direction]} "
                         f"and {[p.shape for p in params]}")
    out = []
    for d, p in zip(direction, params):
        if d.ndim <= 1:
            if ignore_biases:
                out.append(np.zeros_like(d))
                continue
            size, own = np.linalg.norm(p), np.linalg.norm(d)
        else:
            axes = tuple(range(d.ndim - 1))
            size = np.sqrt(np.sum(p**2, axis=axes, keepdims=True))
            own = np.sqrt(np.sum(d**2, axis=axes, keepdims=True))
        out.append(d * np.divide(size, own, out=np.zeros_like(own * size), where=own > 0))
    return out


def filter_normalised_direction(params, rng: np.random.Generator, *, ignore_biases: bool = True) -> list[np.ndarray]:
    """A standard-normal direction of the shapes of ``params``, passed through :func:`normalise_filters`."""
    params = _as_arrays(params)
    return normalise_filters([rng.normal(size=p.shape) for p in params], params, ignore_biases=ignore_biases)


def shifted(params, directions, coefficients) -> list[np.ndarray]:
    """The weights ``params + sum_k coefficients[k] * directions[k]``, as a new list of arrays.

    ``directions``: a list of directions, each a list of arrays shaped like ``params``;
    ``coefficients``: one number per direction.
    """
    params = _as_arrays(params)
    if len(directions) != len(coefficients):
        raise ValueError(f"expected one coefficient per direction, got {len(coefficients)} for {len(directions)}")
    out = [p.copy() for p in params]
    for direction, c in zip(directions, coefficients):
        direction = _as_arrays(direction)
        if len(direction) != len(out) or any(d.shape != p.shape for d, p in zip(direction, out)):
            raise ValueError("every direction needs the shapes of params")
        for p, d in zip(out, direction):
            p += c * d
    return out


def loss_along(loss, params, direction, alphas) -> np.ndarray:
    """``loss(params + a * direction)`` for each ``a`` in ``alphas``: shape ``(len(alphas),)``.

    ``loss`` maps a list of weight arrays to a number. With ``direction = end - params`` and
    ``alphas`` in [0, 1] this is the linear interpolation from ``params`` to ``end``.
    """
    return np.array([float(loss(shifted(params, [direction], [a]))) for a in np.asarray(alphas, dtype=float)])


def loss_surface(loss, params, direction_1, direction_2, alphas, betas) -> np.ndarray:
    """``loss(params + a * direction_1 + b * direction_2)`` on a grid: shape ``(len(betas), len(alphas))``.

    Row ``i`` holds ``b = betas[i]``, column ``j`` holds ``a = alphas[j]``, as ``plt.contour(alphas, betas, Z)`` expects.
    """
    alphas, betas = np.asarray(alphas, dtype=float), np.asarray(betas, dtype=float)
    return np.array([[float(loss(shifted(params, [direction_1, direction_2], [a, b]))) for a in alphas]
                     for b in betas])
