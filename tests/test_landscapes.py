"""The optimisation test functions: gradients against finite differences, minima, shapes."""

import numpy as np
import pytest

from nncourse import landscapes as ls

QUADRATIC_SETTINGS = [dict(), dict(curvatures=(2.0, 50.0)), dict(curvatures=(1.0, 10.0), angle=0.6)]
ROSENBROCK_SETTINGS = [dict(), dict(a=2.0, b=10.0)]


def central_difference(f, theta, h=1e-6):
    """Finite-difference gradient of the scalar ``f(x, y)`` at ``theta: (2,)``."""
    e = np.eye(2) * h
    return np.array([(f(*(theta + e[i])) - f(*(theta - e[i]))) / (2 * h) for i in range(2)])


POINTS = np.random.default_rng(0).uniform(-2, 2, size=(8, 2))


@pytest.mark.parametrize("kw", QUADRATIC_SETTINGS)
def test_quadratic_gradient_matches_finite_differences(kw):
    for theta in POINTS:
        numeric = central_difference(lambda x, y: ls.quadratic(x, y, **kw), theta)
        np.testing.assert_allclose(ls.quadratic_grad(theta, **kw), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kw", ROSENBROCK_SETTINGS)
def test_rosenbrock_gradient_matches_finite_differences(kw):
    for theta in POINTS:
        numeric = central_difference(lambda x, y: ls.rosenbrock(x, y, **kw), theta)
        np.testing.assert_allclose(ls.rosenbrock_grad(theta, **kw), numeric, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("kw", QUADRATIC_SETTINGS)
def test_quadratic_is_half_theta_h_theta(kw):
    H = ls.quadratic_hessian(**kw)
    for theta in POINTS:
        assert ls.quadratic(*theta, **kw) == pytest.approx(0.5 * theta @ H @ theta, rel=1e-12)
        np.testing.assert_allclose(ls.quadratic_grad(theta, **kw), H @ theta, rtol=1e-12, atol=1e-12)


def test_quadratic_hessian_has_the_requested_condition_number():
    H = ls.quadratic_hessian(curvatures=(1.0, 25.0), angle=0.3)
    np.testing.assert_allclose(np.linalg.eigvalsh(H), [1.0, 25.0], rtol=1e-12)
    assert abs(H[0, 1]) > 1  # a turned bowl couples the coordinates
    assert np.linalg.cond(ls.quadratic_hessian()) == pytest.approx(25.0)


def test_known_minima():
    assert ls.quadratic(*ls.QUADRATIC_MINIMUM) == 0.0
    np.testing.assert_array_equal(ls.quadratic_grad(ls.QUADRATIC_MINIMUM, angle=0.4), [0.0, 0.0])
    assert ls.rosenbrock(*ls.ROSENBROCK_MINIMUM) == 0.0
    np.testing.assert_array_equal(ls.rosenbrock_grad(ls.ROSENBROCK_MINIMUM), [0.0, 0.0])
    assert ls.rosenbrock(2.0, 4.0, a=2.0, b=10.0) == 0.0
    # Every grid point is above the minimum, and the classic start has the classic value.
    X, Y = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-1, 3, 41))
    assert ls.rosenbrock(X, Y).min() == 0.0 and ls.quadratic(X, Y).min() >= 0.0
    assert ls.rosenbrock(-1.2, 1.0) == pytest.approx(24.2)


def test_values_and_gradients_are_vectorised():
    X, Y = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 3))
    assert ls.quadratic(X, Y).shape == (3, 5) and ls.rosenbrock(X, Y).shape == (3, 5)
    thetas = np.stack([X, Y], axis=-1)
    for f, grad in [(ls.quadratic, ls.quadratic_grad), (ls.rosenbrock, ls.rosenbrock_grad)]:
        g = grad(thetas)
        assert g.shape == (3, 5, 2)
        np.testing.assert_allclose(g[2, 1], grad(thetas[2, 1]))
    assert ls.quadratic(3.0, 0.0, curvatures=(2.0, 8.0)) == pytest.approx(9.0)
    assert ls.quadratic(0.0, 1.0, curvatures=(2.0, 8.0)) == pytest.approx(4.0)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        ls.rosenbrock_grad(np.zeros(3))
    with pytest.raises(ValueError, match="positive"):
        ls.quadratic(1.0, 1.0, curvatures=(0.0, 1.0))
