"""An accurate reference policy for the Brock–Mirman growth model: time iteration with the endogenous grid method.

The model: a household with CRRA utility ``u(c) = c**(1 - gamma) / (1 - gamma)`` (``ln c`` for ``gamma = 1``)
splits the resources ``y = z k**alpha + (1 - delta) k`` between consumption and next period's capital, with
``ln z' = rho ln z + sigma eps``, ``eps ~ N(0, 1)``; optionally investment is irreversible, ``k' >= (1 - delta) k``.
Lecture 12 checks its deep equilibrium nets against this reference, and assignments use it as the accurate policy
that cruder ones are measured against.

The unknown is the marginal value ``V_k(k, z) = (R(k, z) - (1 - delta) nu) u'(c)`` on a grid (``R`` the gross return,
``nu = mu / u'(c)`` the unit-free multiplier of the constraint, zero without it). One sweep (Carroll 2006):

1. ``E[V_k(k', z') | z]`` at every grid point ``(k', z)`` with the Gauss–Hermite rule (bicubic spline in between);
2. the unconstrained Euler equation gives today's consumption ``c = u'^{-1}(beta E[...])`` and the resources
   ``c + k'`` at which ``k'`` is chosen, without solving anything; interpolating ``k'`` against them gives the policy
   on the regular grid of today's ``k``;
3. with the constraint: ``k' = max(k'_unc, (1 - delta) k)``, and where it binds ``nu = 1 - beta E[V_k] / u'(c)``;
4. update ``V_k`` and repeat until it stops changing.

:func:`solve_time_iteration` returns the converged grid as plain data (arrays and numbers, so it can be cached or
sent between processes); :func:`reference_policy` turns it into the policy ``(k, z) -> s`` (the savings rate
``k' / y``; ``(s, nu)`` with the constraint) for arrays or TensorFlow tensors of states.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.interpolate import CubicSpline, RectBivariateSpline

__all__ = ["solve_time_iteration", "reference_policy"]

_KEYS = ("alpha", "beta", "delta", "rho", "sigma")


def _parameters(p: dict) -> tuple[float, ...]:
    missing = [key for key in _KEYS if key not in p]
    if missing:
        raise KeyError(f"the parameters need {', '.join(missing)} (and optionally gamma)")
    alpha, beta, delta, rho, sigma = (float(p[key]) for key in _KEYS)
    gamma = float(p.get("gamma", 1.0))
    if not (0 < alpha < 1 and 0 < beta < 1 and 0 < delta <= 1 and gamma > 0 and sigma >= 0):
        raise ValueError(f"need 0 < alpha, beta < 1, 0 < delta <= 1, gamma > 0 and sigma >= 0, not {dict(p)}")
    return alpha, beta, delta, rho, sigma, gamma


def solve_time_iteration(p: dict, nodes, weights, *, irreversible: bool = False, n_k: int = 200, n_z: int = 41,
                         k_range: tuple[float, float] = (0.2, 3.0), log_z_max: float = 0.5, tol: float = 1e-10,
                         max_iter: int = 2000) -> dict:
    """Time iteration with the endogenous grid method; returns the converged solution as data.

    ``p``: alpha, beta, delta, rho, sigma and optionally gamma (default 1, log utility). ``nodes, weights``: the
    quadrature rule for ``eps ~ N(0, 1)`` (weights summing to 1). The grid has ``n_k`` log-spaced points over
    ``k_range`` times the deterministic steady state and ``n_z`` points in ``ln z`` over ``[-log_z_max, log_z_max]``
    (tomorrow's ``ln z`` is clipped to it: the tails beyond carry tiny weight). Raises RuntimeError when the
    relative change of ``V_k`` is still above ``tol`` after ``max_iter`` sweeps."""
    alpha, beta, delta, rho, sigma, gamma = _parameters(p)
    nodes, weights = np.asarray(nodes, dtype=float).ravel(), np.asarray(weights, dtype=float).ravel()
    k_bar = (alpha * beta / (1 - beta * (1 - delta))) ** (1 / (1 - alpha))
    log_k = np.linspace(np.log(k_range[0] * k_bar), np.log(k_range[1] * k_bar), n_k)
    log_z = np.linspace(-log_z_max, log_z_max, n_z)
    k, z = np.exp(log_k)[:, None], np.exp(log_z)[None, :]  # (n_k, 1), (1, n_z)
    y = z * k**alpha + (1 - delta) * k
    R = alpha * z * k ** (alpha - 1) + 1 - delta
    log_z_next = np.clip(rho * log_z[:, None] + sigma * nodes[None, :], -log_z_max, log_z_max)  # (n_z, Q)
    floor = (1 - delta) * k[:, 0] if irreversible else np.zeros(n_k)
    Vk = R * (0.3 * y) ** -gamma  # start: consume 30 % of the resources
    for iteration in range(max_iter):
        spline = RectBivariateSpline(log_k, log_z, np.log(Vk), kx=3, ky=3)
        # E[V_k(k', z')] for every k' on the grid (end-of-period capital) and every z today: (n_k, n_z)
        EV = np.exp(spline.ev(np.repeat(log_k, log_z_next.size), np.tile(log_z_next.ravel(), n_k)))
        EV = (EV.reshape(n_k, n_z, -1) * weights).sum(axis=2)
        y_endo = (beta * EV) ** (-1 / gamma) + k  # the resources at which k' is chosen, without the constraint
        s_new, nu_new, log_k_unc = np.empty_like(y), np.zeros_like(y), np.empty_like(y)
        for m in range(n_z):
            log_k_unc[:, m] = CubicSpline(np.log(y_endo[:, m]), log_k)(np.log(y[:, m]))
            k_next = np.maximum(np.exp(log_k_unc[:, m]), floor)
            if irreversible:
                c = y[:, m] - k_next
                EV_at = np.exp(CubicSpline(log_k, np.log(EV[:, m]))(np.log(k_next)))
                nu_new[:, m] = np.maximum(1 - beta * EV_at * c**gamma, 0.0) * (k_next == floor)
            s_new[:, m] = k_next / y[:, m]
        Vk_new = (R - (1 - delta) * nu_new) * ((1 - s_new) * y) ** -gamma
        change = np.abs(Vk_new / Vk - 1).max()
        Vk = Vk_new
        if change < tol:
            break
    else:
        raise RuntimeError(f"time iteration did not converge: change {change:.1e} after {max_iter} iterations")
    return {"params": {"alpha": alpha, "beta": beta, "delta": delta, "rho": rho, "sigma": sigma, "gamma": gamma},
            "irreversible": bool(irreversible), "log_k": log_k, "log_z": log_z, "log_z_max": float(log_z_max),
            "log_k_unconstrained": log_k_unc, "log_Vk": np.log(Vk), "nodes": nodes, "weights": weights,
            "iterations": iteration + 1}


def reference_policy(solution: dict):
    """The policy of a :func:`solve_time_iteration` solution anywhere: ``(k, z) -> s`` (``(s, nu)`` with the
    constraint) for arrays of states of one shape, or TensorFlow tensors (then it returns float64 tensors).

    The unconstrained choice (smooth in the state) and ``V_k`` are interpolated with bicubic splines; the kink
    where the constraint starts to bind is computed, not interpolated. Not differentiable by TensorFlow."""
    par = solution["params"]
    alpha, beta, delta, rho, sigma, gamma = (par[key] for key in (*_KEYS, "gamma"))
    log_k, log_z, log_z_max = solution["log_k"], solution["log_z"], solution["log_z_max"]
    nodes, weights = np.asarray(solution["nodes"]), np.asarray(solution["weights"])
    irreversible = solution["irreversible"]
    unconstrained = RectBivariateSpline(log_k, log_z, solution["log_k_unconstrained"])
    marginal_value = RectBivariateSpline(log_k, log_z, solution["log_Vk"]) if irreversible else None

    def policy(k, z):
        tf = sys.modules.get("tensorflow")
        tensors = tf is not None and isinstance(k, tf.Tensor)
        k, z = np.asarray(k, dtype=float), np.asarray(z, dtype=float)
        shape, k, z = k.shape, k.ravel(), z.ravel()
        y = z * k**alpha + (1 - delta) * k
        k_next = np.exp(unconstrained.ev(np.log(k), np.log(z)))
        if irreversible:
            k_next = np.maximum(k_next, (1 - delta) * k)
            log_z_next = np.clip(rho * np.log(z)[:, None] + sigma * nodes[None, :], -log_z_max, log_z_max)
            EV = np.exp(marginal_value.ev(np.repeat(np.log(k_next), len(nodes)), log_z_next.ravel()))
            EV = EV.reshape(log_z_next.shape) @ weights
            binding = k_next == (1 - delta) * k
            nu = np.where(binding, np.maximum(1 - beta * EV * (y - k_next) ** gamma, 0.0), 0.0)
            out = ((k_next / y).reshape(shape), nu.reshape(shape))
        else:
            out = ((k_next / y).reshape(shape),)
        if tensors:
            out = tuple(tf.constant(a, tf.float64) for a in out)
        return out if irreversible else out[0]

    return policy
