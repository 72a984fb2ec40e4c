"""Two Hamiltonian test systems with state ``x = (q1, q2, p1, p2)`` and a batched flow map.

Every function accepts ``x: (..., 4)`` and works on any leading shape. The vector fields take
``(t, x)`` so they plug into ``scipy.integrate.solve_ivp`` directly; both systems are autonomous.

* Quartic oscillator with a coupled kinetic energy:
  ``H = 1/2 p^T M p + (q1^4 + q2^4)/4 + (q1^2 + q2^2)/2`` with ``M = [[5, -1], [-1, 5]]``.
* Henon-Heiles: ``H = (p1^2 + p2^2)/2 + (q1^2 + q2^2)/2 + q1^2 q2 - q2^3/3``.

Hamilton's equations: ``dq/dt = dH/dp``, ``dp/dt = -dH/dq``.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

MASS_MATRIX = np.array([[5.0, -1.0], [-1.0, 5.0]])


def _split(x):
    x = np.asarray(x, dtype=float)
    if x.shape[-1] != 4:
        raise ValueError(f"expected a state of shape (..., 4) = (q1, q2, p1, p2), got {x.shape}")
    return x[..., :2], x[..., 2:]


def quartic_hamiltonian(x) -> np.ndarray:
    """Energy of the quartic system: ``x: (..., 4)`` -> ``(...)``."""
    q, p = _split(x)
    kinetic = 0.5 * np.einsum("...i,ij,...j->...", p, MASS_MATRIX, p)
    return kinetic + np.sum(q**4, axis=-1) / 4 + np.sum(q**2, axis=-1) / 2


def quartic_grad(x) -> np.ndarray:
    """``(dH/dq, dH/dp) = (q^3 + q, M p)``: ``(..., 4)``."""
    q, p = _split(x)
    return np.concatenate([q**3 + q, p @ MASS_MATRIX.T], axis=-1)


def henon_heiles_hamiltonian(x) -> np.ndarray:
    """Energy of Henon-Heiles: ``x: (..., 4)`` -> ``(...)``; bounded orbits need ``H < 1/6``."""
    q, p = _split(x)
    q1, q2 = q[..., 0], q[..., 1]
    return 0.5 * np.sum(p**2, axis=-1) + 0.5 * (q1**2 + q2**2) + q1**2 * q2 - q2**3 / 3


def henon_heiles_grad(x) -> np.ndarray:
    """``(dH/dq1, dH/dq2, dH/dp1, dH/dp2) = (q1 + 2 q1 q2, q2 + q1^2 - q2^2, p1, p2)``."""
    q, p = _split(x)
    q1, q2 = q[..., 0], q[..., 1]
    return np.concatenate([np.stack([q1 + 2 * q1 * q2, q2 + q1**2 - q2**2], axis=-1), p], axis=-1)


def symplectic_field(grad) -> np.ndarray:
    """Hamilton's equations from a gradient: ``(dH/dq, dH/dp)`` -> ``(dH/dp, -dH/dq)``, shape ``(..., 4)``."""
    grad = np.asarray(grad, dtype=float)
    return np.concatenate([grad[..., 2:], -grad[..., :2]], axis=-1)


def quartic_vector_field(t, x) -> np.ndarray:
    """Right-hand side of the quartic system, ``(t, x: (..., 4))`` -> ``(..., 4)``."""
    return symplectic_field(quartic_grad(x))


def henon_heiles_vector_field(t, x) -> np.ndarray:
    """Right-hand side of Henon-Heiles: ``q' = p``, ``p1' = -q1 - 2 q1 q2``, ``p2' = -q2 - q1^2 + q2^2``."""
    return symplectic_field(henon_heiles_grad(x))


def flow(vector_field, x0, times, *, rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    """Solve many initial value problems at once with ``solve_ivp`` (RK45, tight tolerances).

    ``x0: (n, 4)`` and ``times: (m,)`` increasing from 0 -> states ``(m, n, 4)`` at those times.
    All ``n`` systems are stacked into one ODE of size ``4 n``, so they share the step sizes.
    """
    x0 = np.atleast_2d(np.asarray(x0, dtype=float))
    times = np.asarray(times, dtype=float)
    n = x0.shape[0]

    def rhs(t, flat):
        return vector_field(t, flat.reshape(n, 4)).ravel()

    sol = solve_ivp(rhs, (0.0, float(times[-1])), x0.ravel(), t_eval=times, rtol=rtol, atol=atol, method="RK45")
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y.T.reshape(len(times), n, 4)
