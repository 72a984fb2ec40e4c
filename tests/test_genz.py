"""The Genz families: parameter normalisation, known values and exact integrals."""

import numpy as np
import pytest
from scipy import integrate

from nncourse import genz

B = {"oscillatory": 1.5, "corner_peak": 1.85, "gaussian": 7.03, "continuous": 20.4, "discontinuous": 4.3}


@pytest.mark.parametrize("family", genz.FAMILIES)
@pytest.mark.parametrize("d", [1, 2, 5, 10])
def test_parameters_are_normalised(family, d):
    c, w = genz.genz_parameters(family, d, np.random.default_rng(d))
    assert c.shape == w.shape == (d,)
    assert c.sum() == pytest.approx(B.get(family, d), rel=1e-12)
    assert w.sum() == pytest.approx(1.0, rel=1e-12)
    assert np.all(c > 0) and np.all(w > 0)


def test_parameters_are_seeded_and_reject_bad_input():
    a = genz.genz_parameters("gaussian", 3, np.random.default_rng(7))
    b = genz.genz_parameters("gaussian", 3, np.random.default_rng(7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    with pytest.raises(ValueError, match="family"):
        genz.genz_parameters("banana", 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="positive integer"):
        genz.genz_parameters("gaussian", 0, np.random.default_rng(0))


def test_known_values():
    c = np.array([0.5, 1.5])
    w = np.array([0.25, 0.75])
    origin = np.zeros((1, 2))
    assert genz.oscillatory(origin, c, w)[0] == pytest.approx(np.cos(2 * np.pi * 0.25), abs=1e-15)
    assert genz.oscillatory(np.array([[1.0, 1.0]]), c, w)[0] == pytest.approx(np.cos(np.pi / 2 + 2.0))
    assert genz.product_peak(w[None], c, w)[0] == pytest.approx(0.5**2 * 1.5**2)
    assert genz.product_peak(origin, c, w)[0] == pytest.approx(1 / (4 + 0.0625) / (1 / 2.25 + 0.5625))
    assert genz.corner_peak(origin, c, w)[0] == 1.0
    assert genz.corner_peak(np.array([[1.0, 1.0]]), c, w)[0] == pytest.approx(3.0**-3)
    assert genz.gaussian(w[None], c, w)[0] == 1.0
    assert genz.gaussian(origin, c, w)[0] == pytest.approx(np.exp(-(0.25 * 0.0625 + 2.25 * 0.5625)))
    assert genz.continuous(w[None], c, w)[0] == 1.0
    assert genz.continuous(origin, c, w)[0] == pytest.approx(np.exp(-(0.125 + 1.125)))
    inside, outside = np.array([[0.2, 0.7]]), np.array([[0.3, 0.7]])
    assert genz.discontinuous(inside, c, w)[0] == pytest.approx(np.exp(0.1 + 1.05))
    assert genz.discontinuous(outside, c, w)[0] == 0.0
    assert genz.genz("gaussian", origin, c, w)[0] == genz.gaussian(origin, c, w)[0]


def test_shape_mismatch_is_reported():
    with pytest.raises(ValueError, match="expected x"):
        genz.gaussian(np.zeros((3, 2)), np.ones(3), np.ones(3))


@pytest.mark.parametrize("family", genz.FAMILIES)
def test_integrals_match_scipy_in_two_dimensions(family):
    c, w = genz.genz_parameters(family, 2, np.random.default_rng(3))
    f = lambda x2, x1: genz.genz(family, np.array([[x1, x2]]), c, w)[0]  # noqa: E731
    points = [w[0], w[1]]  # kinks and jumps sit at w
    value, _ = integrate.nquad(f, [[0, 1], [0, 1]], opts=[{"points": points[1:]}, {"points": points[:1]}])
    assert genz.genz_integral(family, c, w) == pytest.approx(value, rel=1e-6, abs=1e-10)


@pytest.mark.parametrize("family", genz.FAMILIES)
@pytest.mark.parametrize("d", [1, 5])
def test_integrals_match_monte_carlo(family, d):
    rng = np.random.default_rng(11)
    c, w = genz.genz_parameters(family, d, rng)
    values = genz.genz(family, rng.uniform(size=(200_000, d)), c, w)
    estimate, stderr = values.mean(), values.std() / np.sqrt(values.size)
    assert abs(genz.genz_integral(family, c, w) - estimate) < 5 * stderr + 1e-12


def test_corner_peak_integral_in_one_dimension():
    # int_0^1 (1 + c x)^-2 dx = 1 / (1 + c)
    assert genz.genz_integral("corner_peak", np.array([1.85]), np.array([1.0])) == pytest.approx(1 / 2.85)
