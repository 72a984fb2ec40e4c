"""The Hamiltonian test systems: gradients, Hamilton's equations, energy conservation."""

import numpy as np
import pytest

from nncourse import hamiltonian as ham

SYSTEMS = [
    (ham.quartic_hamiltonian, ham.quartic_grad, ham.quartic_vector_field),
    (ham.henon_heiles_hamiltonian, ham.henon_heiles_grad, ham.henon_heiles_vector_field),
]


@pytest.mark.parametrize("energy, grad, field", SYSTEMS)
def test_gradient_matches_central_differences(energy, grad, field):
    x = np.random.default_rng(0).uniform(-0.8, 0.8, size=(6, 4))
    eps = 1e-6
    numeric = np.stack([(energy(x + eps * e) - energy(x - eps * e)) / (2 * eps) for e in np.eye(4)], axis=-1)
    np.testing.assert_allclose(grad(x), numeric, rtol=1e-7, atol=1e-8)


def test_known_values():
    x = np.array([1.0, 2.0, 3.0, -1.0])
    # 1/2 (5*9 - 2*3*(-1) + 5*1) = 28; (1 + 16)/4 = 4.25; (1 + 4)/2 = 2.5
    assert ham.quartic_hamiltonian(x) == pytest.approx(28 + 4.25 + 2.5)
    np.testing.assert_allclose(ham.quartic_vector_field(0.0, x), [16.0, -8.0, -2.0, -10.0])
    # 1/2 (9 + 1) + 1/2 (1 + 4) + 2 - 8/3
    assert ham.henon_heiles_hamiltonian(x) == pytest.approx(5 + 2.5 + 2 - 8 / 3)
    np.testing.assert_allclose(ham.henon_heiles_vector_field(0.0, x), [3.0, -1.0, -1 - 4.0, -2 - 1 + 4.0])


def test_batched_shapes_and_bad_input():
    x = np.zeros((2, 3, 4))
    assert ham.quartic_hamiltonian(x).shape == (2, 3)
    assert ham.henon_heiles_vector_field(0.0, x).shape == (2, 3, 4)
    with pytest.raises(ValueError, match=r"\(\.\.\., 4\)"):
        ham.quartic_hamiltonian(np.zeros(3))


@pytest.mark.parametrize("energy, grad, field", SYSTEMS)
def test_energy_is_conserved_along_solve_ivp(energy, grad, field):
    x0 = np.random.default_rng(1).uniform(-0.3, 0.3, size=(5, 4))
    states = ham.flow(field, x0, np.linspace(0.0, 10.0, 51))
    assert states.shape == (51, 5, 4)
    np.testing.assert_array_equal(states[0], x0)
    drift = np.abs(energy(states) - energy(x0)) / np.abs(energy(x0))
    assert drift.max() < 1e-8
    assert np.abs(states[-1] - x0).max() > 1e-2  # the systems did move


def test_flow_matches_fine_rk4():
    # A fine fixed-step RK4 run (h = 1e-3, error ~ 1e-12) as the independent reference.
    x0 = np.array([[0.5, -0.2, 0.1, 0.3]])
    h, steps = 1e-3, 2000
    x = x0.copy()
    for _ in range(steps):
        k1 = ham.quartic_vector_field(0, x)
        k2 = ham.quartic_vector_field(0, x + h / 2 * k1)
        k3 = ham.quartic_vector_field(0, x + h / 2 * k2)
        k4 = ham.quartic_vector_field(0, x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    np.testing.assert_allclose(ham.flow(ham.quartic_vector_field, x0, [0.0, 2.0])[-1], x, atol=1e-9)
