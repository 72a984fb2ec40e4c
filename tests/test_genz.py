"""The Genz families: parameter normalisation, known values and exact integrals."""

import math

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
@pytest.mark.parametrize("d", [1, 5, 10])
def test_integrals_match_monte_carlo(family, d):
    rng = np.random.default_rng(11)
    c, w = genz.genz_parameters(family, d, rng)
    values = genz.genz(family, rng.uniform(size=(200_000, d)), c, w)
    estimate, stderr = values.mean(), values.std() / np.sqrt(values.size)
    assert abs(genz.genz_integral(family, c, w) - estimate) < 5 * stderr + 1e-12


def test_corner_peak_integral_in_one_dimension():
    # int_0^1 (1 + c x)^-2 dx = 1 / (1 + c)
    assert genz.genz_integral("corner_peak", np.array([1.85]), np.array([1.0])) == pytest.approx(1 / 2.85)


# One-dimensional factors of the four product families, written from the formulas in the docstrings
# (not from the implementation), for an independent check by 1-D adaptive quadrature in any dimension.
FACTORS = {
    "product_peak": lambda x, ci, wi, i: 1.0 / (ci**-2.0 + (x - wi) ** 2),
    "gaussian": lambda x, ci, wi, i: np.exp(-(ci**2) * (x - wi) ** 2),
    "continuous": lambda x, ci, wi, i: np.exp(-ci * abs(x - wi)),
    # exp(c_i x_i), cut off beyond w_i in the first two coordinates only
    "discontinuous": lambda x, ci, wi, i: np.exp(ci * x) * (x <= wi if i < 2 else 1.0),
}


def quad01(f, *points):
    value, error = integrate.quad(f, 0.0, 1.0, points=points or None, epsabs=0.0, epsrel=1e-13, limit=200)
    return value


@pytest.mark.parametrize("family", sorted(FACTORS))
@pytest.mark.parametrize("d", [1, 3, 10])
def test_product_family_integrals_match_one_dimensional_quadrature(family, d):
    c, w = genz.genz_parameters(family, d, np.random.default_rng(100 + d))
    numeric = np.prod([quad01(lambda x: FACTORS[family](x, c[i], w[i], i), w[i]) for i in range(d)])
    assert genz.genz_integral(family, c, w) == pytest.approx(numeric, rel=1e-10)


@pytest.mark.parametrize("d", [1, 3, 10])
def test_oscillatory_integral_matches_one_dimensional_quadrature(d):
    # cos(2 pi w_1 + c.x) = Re(exp(2 pi i w_1) prod_j exp(i c_j x_j)): each factor integrated numerically.
    c, w = genz.genz_parameters("oscillatory", d, np.random.default_rng(200 + d))
    factors = [quad01(lambda x: np.cos(cj * x)) + 1j * quad01(lambda x: np.sin(cj * x)) for cj in c]
    numeric = (np.exp(2j * np.pi * w[0]) * np.prod(factors)).real
    assert genz.genz_integral("oscillatory", c, w) == pytest.approx(numeric, rel=1e-10, abs=1e-14)


def corner_peak_by_laplace_transform(c):
    """(1 + s)^-(d+1) = 1/d! int_0^inf t^d e^-t(1+s) dt, so the integral over the cube is the 1-D integral
    1/d! int_0^inf t^d e^-t prod_i (1 - e^-c_i t) / (c_i t) dt: no cancellation, any d."""
    d = len(c)

    def integrand(t):
        if t == 0.0:
            return 0.0
        return math.exp(d * math.log(t) - t - math.lgamma(d + 1)) * np.prod(-np.expm1(-c * t) / (c * t))

    value, _ = integrate.quad(integrand, 0.0, np.inf, epsabs=0.0, epsrel=1e-13, limit=200)
    return value


@pytest.mark.parametrize("d", [1, 2, 5, 10])
def test_corner_peak_integral_matches_laplace_transform_quadrature(d):
    rng = np.random.default_rng(300 + d)
    for _ in range(5):
        c, w = genz.genz_parameters("corner_peak", d, rng)
        # cancellation in the alternating sum: ~1e-13 at d = 5, up to a few 1e-8 at d = 10 (see the docstring)
        rel = 1e-10 if d <= 5 else 1e-6
        assert genz.genz_integral("corner_peak", c, w) == pytest.approx(corner_peak_by_laplace_transform(c), rel=rel)


def test_corner_peak_inclusion_exclusion_loses_digits_beyond_d_10():
    # The accuracy the docstring states: about 1e-6 at d = 12, no better than 1e-4 at d = 15 (cancellation).
    def worst(d):
        rng = np.random.default_rng(400 + d)
        draws = [genz.genz_parameters("corner_peak", d, rng)[0] for _ in range(3)]
        return max(abs(genz.genz_integral("corner_peak", c, c) / corner_peak_by_laplace_transform(c) - 1) for c in draws)
    assert worst(12) < 1e-4
    assert worst(15) > 1e-5
