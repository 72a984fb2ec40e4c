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


# Slicing a network's loss: filter normalisation and the loss along directions.

def _relu_mlp_loss(X, y):
    """Mean squared error of a two-layer ReLU network on (X, y), as a function of its weight list."""
    def loss(params):
        W1, b1, W2, b2 = params
        return float(np.mean((np.maximum(X @ W1 + b1, 0.0) @ W2 + b2 - y) ** 2))
    return loss


def _mlp_params(seed=0):
    gen = np.random.default_rng(seed)
    return [gen.normal(size=(3, 5)), gen.normal(size=5), gen.normal(size=(5, 2)), gen.normal(size=2)]


def test_normalise_filters_matches_each_filter_norm_and_zeroes_biases():
    params = _mlp_params()
    direction = ls.filter_normalised_direction(params, np.random.default_rng(1))
    assert [d.shape for d in direction] == [p.shape for p in params]
    for d, p in zip(direction, params):
        if p.ndim == 1:
            assert np.all(d == 0)
        else:
            np.testing.assert_allclose(np.linalg.norm(d, axis=0), np.linalg.norm(p, axis=0), rtol=1e-12)
    kept = ls.filter_normalised_direction(params, np.random.default_rng(1), ignore_biases=False)
    for d, p in zip(kept, params):
        assert np.linalg.norm(d) == pytest.approx(np.linalg.norm(p), rel=1e-12)


def test_normalise_filters_handles_conv_kernels_and_zero_filters():
    kernel = np.random.default_rng(2).normal(size=(3, 3, 4, 6))
    direction = np.random.default_rng(3).normal(size=kernel.shape)
    direction[..., 0] = 0.0
    (out,) = ls.normalise_filters([direction], [kernel])
    norms = np.sqrt((out**2).sum(axis=(0, 1, 2)))
    assert norms[0] == 0.0
    np.testing.assert_allclose(norms[1:], np.sqrt((kernel**2).sum(axis=(0, 1, 2)))[1:], rtol=1e-12)


def test_filter_normalised_slices_do_not_see_a_relu_rescaling():
    """Scaling layer 1 by c and layer 2 by 1/c leaves a ReLU network's function unchanged; so must the slice."""
    gen = np.random.default_rng(4)
    X, y = gen.normal(size=(40, 3)), gen.normal(size=(40, 2))
    loss = _relu_mlp_loss(X, y)
    params = _mlp_params()
    c = 5.0
    rescaled = [c * params[0], c * params[1], params[2] / c, params[3]]
    assert loss(rescaled) == pytest.approx(loss(params), rel=1e-12)
    raw = [gen.normal(size=p.shape) for p in params]
    alphas = np.linspace(-1, 1, 9)
    a = ls.loss_along(loss, params, ls.normalise_filters(raw, params), alphas)
    b = ls.loss_along(loss, rescaled, ls.normalise_filters(raw, rescaled), alphas)
    np.testing.assert_allclose(a, b, rtol=1e-10)
    plain_a, plain_b = ls.loss_along(loss, params, raw, alphas), ls.loss_along(loss, rescaled, raw, alphas)
    assert np.abs(plain_a - plain_b).max() > 0.1  # an unnormalised direction does see it


def test_loss_surface_of_a_quadratic_is_exact():
    H = np.diag([1.0, 4.0])
    loss = lambda params: 0.5 * params[0] @ H @ params[0]
    centre = [np.array([0.5, -1.0])]
    d1, d2 = [np.array([1.0, 0.0])], [np.array([0.0, 1.0])]
    alphas, betas = np.linspace(-1, 1, 5), np.linspace(-2, 2, 3)
    Z = ls.loss_surface(loss, centre, d1, d2, alphas, betas)
    assert Z.shape == (3, 5)
    A, B = np.meshgrid(alphas, betas)
    np.testing.assert_allclose(Z, 0.5 * (0.5 + A) ** 2 + 2.0 * (-1.0 + B) ** 2, rtol=1e-12)
    np.testing.assert_allclose(ls.loss_along(loss, centre, d1, alphas), Z[1], rtol=1e-12)
    assert centre[0].tolist() == [0.5, -1.0]  # the centre is not modified


def test_slicing_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="same shapes"):
        ls.normalise_filters([np.zeros((2, 3))], [np.zeros((3, 2))])
    with pytest.raises(ValueError, match="one coefficient per direction"):
        ls.shifted([np.zeros(2)], [[np.ones(2)]], [1.0, 2.0])


def test_lessard_function_is_smooth_and_strongly_convex():
    x = np.linspace(-3, 5, 801)
    h = 1e-6
    np.testing.assert_allclose(ls.lessard_grad(x), (ls.lessard(x + h) - ls.lessard(x - h)) / (2 * h), atol=1e-4)
    for edge in (1.0, 2.0):  # value and slope continuous at the joints
        assert ls.lessard(edge - 1e-12) == pytest.approx(ls.lessard(edge), abs=1e-9)
        assert ls.lessard_grad(edge - 1e-12) == pytest.approx(ls.lessard_grad(edge), abs=1e-9)
    slopes = np.diff(ls.lessard_grad(x)) / np.diff(x)
    assert slopes.min() >= 1 - 1e-9 and slopes.max() <= 25 + 1e-9  # mu = 1, L = 25
    assert ls.lessard(0.0) == 0.0 and np.all(ls.lessard(x) >= 0)
