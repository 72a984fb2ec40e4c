"""Gradient checking: closed-form gradients pass, wrong ones are caught."""

import numpy as np
import pytest

from nncourse.gradcheck import check_gradient, numerical_gradient, relative_error


# ---- relative_error ----------------------------------------------------------------

def test_relative_error_values():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([3.0, 4.0], [-3.0, -4.0]) == pytest.approx(1.0)
    # ||(1, 0)|| / (||(1, 0)|| + ||(0, 0)||) = 1 ; (3,4) vs (3,5): 1 / (5 + sqrt 34)
    assert relative_error([1.0, 0.0], [0.0, 0.0]) == pytest.approx(1.0)
    assert relative_error([3.0, 4.0], [3.0, 5.0]) == pytest.approx(1 / (5 + np.sqrt(34)))
    assert relative_error(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert relative_error(2.0, 2.0 * (1 + 1e-8)) == pytest.approx(0.5e-8, rel=1e-6)


def test_relative_error_is_symmetric_and_scale_free():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    assert relative_error(a, b) == pytest.approx(relative_error(b, a))
    assert relative_error(1e6 * a, 1e6 * b) == pytest.approx(relative_error(a, b))


def test_relative_error_rejects_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        relative_error(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="non-finite"):
        relative_error([np.nan], [1.0])


# ---- numerical_gradient ------------------------------------------------------------

def test_numerical_gradient_of_a_quadratic_form():
    # f(x) = 1/2 x^T A x + c^T x has gradient (A + A^T)/2 x + c
    rng = np.random.default_rng(1)
    A, c, x = rng.normal(size=(5, 5)), rng.normal(size=5), rng.normal(size=5)
    g = numerical_gradient(lambda v: 0.5 * v @ A @ v + c @ v, x)
    np.testing.assert_allclose(g, 0.5 * (A + A.T) @ x + c, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_keeps_the_shape_of_a_matrix():
    # f(W) = sum(sin(W) * B) has gradient cos(W) * B, elementwise
    rng = np.random.default_rng(2)
    W, B = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    g = numerical_gradient(lambda M: np.sum(np.sin(M) * B), W)
    assert g.shape == (3, 4) and g.dtype == np.float64
    np.testing.assert_allclose(g, np.cos(W) * B, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_of_log_sum_exp_is_softmax():
    x = np.array([[0.5, -1.0, 2.0]])
    g = numerical_gradient(lambda v: np.log(np.sum(np.exp(v))), x)
    np.testing.assert_allclose(g, np.exp(x) / np.exp(x).sum(), rtol=1e-7)


def test_numerical_gradient_handles_scalars_and_integers_without_touching_x():
    assert numerical_gradient(lambda v: v ** 3, 2.0) == pytest.approx(12.0, rel=1e-8)
    x = np.array([1, 2, 3])  # integers: perturbed as a float copy
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v ** 2), x), [2, 4, 6], rtol=1e-8)
    y = np.array([0.3, -0.7])
    before = y.copy()
    numerical_gradient(lambda v: np.sum(np.exp(v)), y)
    assert np.array_equal(y, before)


def test_numerical_gradient_error_shrinks_like_eps_squared():
    # f = exp(x) at 0: central difference error is about eps^2 / 6
    errors = [abs(numerical_gradient(np.exp, 0.0, eps=h) - 1.0) for h in (1e-1, 1e-2)]
    assert errors[0] == pytest.approx(1e-2 / 6, rel=0.01)
    assert errors[1] == pytest.approx(1e-4 / 6, rel=0.01)


def test_numerical_gradient_rejects_bad_input():
    with pytest.raises(ValueError, match="scalar"):
        numerical_gradient(lambda v: v * 2, np.ones(3))
    with pytest.raises(ValueError, match="eps must be positive"):
        numerical_gradient(np.sum, np.ones(3), eps=0.0)


# ---- check_gradient ----------------------------------------------------------------

def _logistic_loss(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


def _logistic_grad(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ (p - y) / len(y)


def test_check_gradient_accepts_a_correct_gradient():
    rng = np.random.default_rng(3)
    X, y, w = rng.normal(size=(20, 4)), (rng.random(20) < 0.5).astype(float), rng.normal(size=4)
    err = check_gradient(lambda v: _logistic_loss(v, X, y), lambda v: _logistic_grad(v, X, y), w)
    assert err < 1e-8


@pytest.mark.parametrize("mistake", ["missing 1/n", "sign", "transpose", "one entry"])
def test_check_gradient_detects_a_wrong_gradient(mistake):
    rng = np.random.default_rng(4)
    X, y, w = rng.normal(size=(20, 4)), (rng.random(20) < 0.5).astype(float), rng.normal(size=4)
    A = rng.normal(size=(4, 4))

    def wrong(v):
        if mistake == "missing 1/n":
            return _logistic_grad(v, X, y) * len(y)
        if mistake == "sign":
            return -_logistic_grad(v, X, y)
        if mistake == "transpose":  # gradient of 1/2 v^T A v taken as A v instead of (A + A^T)/2 v
            return A @ v
        g = _logistic_grad(v, X, y)
        g[2] += 0.05
        return g

    if mistake == "transpose":
        err = check_gradient(lambda v: 0.5 * v @ A @ v, wrong, w)
    else:
        err = check_gradient(lambda v: _logistic_loss(v, X, y), wrong, w)
    assert err > 1e-2


def test_check_gradient_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        check_gradient(np.sum, lambda v: np.ones(2), np.ones(3))
