"""The time-iteration reference of the Brock–Mirman model: the closed form, small Euler errors between grid points
for CRRA utility with partial depreciation, the irreversible-investment case, and its data and tensor interfaces."""

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss

from nncourse.brock_mirman import reference_policy, solve_time_iteration

NODES, WEIGHTS = hermegauss(10)
WEIGHTS = WEIGHTS / np.sqrt(2 * np.pi)
SMALL = dict(n_k=60, n_z=15)  # a coarse grid keeps the tests fast; its errors are still far below 1e-5


def k_bar(p):
    return (p["alpha"] * p["beta"] / (1 - p["beta"] * (1 - p["delta"]))) ** (1 / (1 - p["alpha"]))


def euler_errors(policy, k, z, p, nu=None):
    """Relative Euler errors 1 - u'^{-1}(beta E[(R' - (1 - delta) nu') u'(c')] / (1 - nu)) / c, in NumPy."""
    alpha, beta, delta, rho, sigma, gamma = (p[key] for key in ("alpha", "beta", "delta", "rho", "sigma", "gamma"))
    split = (lambda k_, z_: policy(k_, z_)) if nu else (lambda k_, z_: (policy(k_, z_), np.zeros_like(k_)))
    s, nu_today = split(k, z)
    y = z * k**alpha + (1 - delta) * k
    c, k1 = (1 - s) * y, s * y
    z1 = np.exp(rho * np.log(z)[:, None] + sigma * NODES[None, :])
    k1 = np.broadcast_to(k1[:, None], z1.shape)
    s1, nu1 = (a.reshape(z1.shape) for a in split(k1.ravel(), z1.ravel()))
    c1 = (1 - s1) * (z1 * k1**alpha + (1 - delta) * k1)
    R1 = alpha * z1 * k1 ** (alpha - 1) + 1 - delta
    expectation = ((R1 - (1 - delta) * nu1) * c1**-gamma) @ WEIGHTS
    return 1 - (beta * expectation / (1 - nu_today)) ** (-1 / gamma) / c


def interior_states(p, n, seed):
    rng = np.random.default_rng(seed)
    return k_bar(p) * rng.uniform(0.6, 1.8, n), np.exp(rng.uniform(-0.2, 0.2, n))


def test_full_depreciation_with_log_utility_gives_the_closed_form():
    p = dict(alpha=0.36, beta=0.96, delta=1.0, rho=0.9, sigma=0.04)
    solution = solve_time_iteration(p, NODES, WEIGHTS, **SMALL)
    k, z = interior_states(p, 300, 0)
    np.testing.assert_allclose(reference_policy(solution)(k, z), 0.36 * 0.96, rtol=1e-9)


@pytest.mark.parametrize("p", [dict(alpha=0.36, beta=0.96, delta=0.1, rho=0.9, sigma=0.04, gamma=2.0),
                               dict(alpha=0.3, beta=0.95, delta=0.3, rho=0.8, sigma=0.05, gamma=0.5),
                               dict(alpha=0.33, beta=0.97, delta=0.05, rho=0.9, sigma=0.03, gamma=4.0)])
def test_crra_with_partial_depreciation_has_small_euler_errors_between_the_grid_points(p):
    policy = reference_policy(solve_time_iteration(p, NODES, WEIGHTS, **SMALL))
    k, z = interior_states(p, 500, 1)
    s = policy(k, z)
    assert s.shape == (500,) and np.all((s > 0) & (s < 1))
    assert np.abs(euler_errors(policy, k, z, p)).max() < 1e-5
    # more risk aversion (for the same delta) or a different gamma changes the policy: gamma is not ignored
    other = reference_policy(solve_time_iteration({**p, "gamma": 1.0}, NODES, WEIGHTS, **SMALL))
    assert np.abs(other(k, z) / s - 1).max() > 1e-3


def test_the_default_grid_is_far_more_accurate():
    p = dict(alpha=0.36, beta=0.96, delta=0.1, rho=0.9, sigma=0.04, gamma=2.0)
    k, z = interior_states(p, 300, 2)
    assert np.abs(euler_errors(reference_policy(solve_time_iteration(p, NODES, WEIGHTS)), k, z, p)).max() < 1e-8


def test_irreversible_investment_binds_after_bad_shocks_and_satisfies_complementarity():
    p = dict(alpha=0.36, beta=0.96, delta=0.1, rho=0.9, sigma=0.04, gamma=1.0)
    solution = solve_time_iteration(p, NODES, WEIGHTS, irreversible=True, **SMALL)
    policy = reference_policy(solution)
    rng = np.random.default_rng(3)
    k, z = k_bar(p) * rng.uniform(0.6, 2.0, 2000), np.exp(rng.uniform(-0.4, 0.4, 2000))
    s, nu = policy(k, z)
    investment = s - (1 - p["delta"]) * k / (z * k ** p["alpha"] + (1 - p["delta"]) * k)
    assert np.all(investment >= -1e-15) and np.all(nu >= 0) and np.all(nu * investment <= 1e-15)
    assert 0.01 < np.mean(nu > 0) < 0.5  # it binds somewhere, not everywhere
    free = nu == 0
    inside = free & (np.abs(np.log(z)) < 0.25) & (k < 1.8 * k_bar(p))
    assert np.abs(euler_errors(policy, k[inside], z[inside], p, nu=True)).max() < 1e-4


def test_the_solution_is_plain_data_and_the_policy_takes_tensors():
    tf = pytest.importorskip("tensorflow")
    p = dict(alpha=0.3, beta=0.95, delta=0.3, rho=0.8, sigma=0.05, gamma=0.5)
    solution = solve_time_iteration(p, NODES, WEIGHTS, **SMALL)
    plain = (float, int, bool, str, np.ndarray)
    assert all(isinstance(v, plain) or (isinstance(v, dict) and all(isinstance(x, float) for x in v.values()))
               for v in solution.values())
    policy = reference_policy(solution)
    k, z = interior_states(p, 7, 4)
    s = policy(tf.constant(k), tf.constant(z))
    assert isinstance(s, tf.Tensor) and s.dtype == tf.float64 and s.shape == (7,)
    np.testing.assert_array_equal(s.numpy(), policy(k, z))
    grid = policy(k.reshape(7, 1) * np.ones((1, 3)), z.reshape(7, 1) * np.ones((1, 3)))
    assert grid.shape == (7, 3)


def test_bad_parameters_and_no_convergence_are_reported():
    with pytest.raises(KeyError, match="sigma"):
        solve_time_iteration(dict(alpha=0.3, beta=0.95, delta=0.1, rho=0.9), NODES, WEIGHTS)
    with pytest.raises(ValueError, match="delta"):
        solve_time_iteration(dict(alpha=0.3, beta=0.95, delta=0.0, rho=0.9, sigma=0.1), NODES, WEIGHTS)
    with pytest.raises(RuntimeError, match="did not converge"):
        solve_time_iteration(dict(alpha=0.3, beta=0.95, delta=0.1, rho=0.9, sigma=0.04), NODES, WEIGHTS,
                             max_iter=3, **SMALL)
