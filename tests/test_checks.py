"""Feedback helpers: they catch wrong answers and never reveal the expected value."""

import numpy as np
import pytest

from nncourse.checks import CheckFailed, expect, expect_array, expect_close, expect_scalar, swapped


def test_expect_array_accepts_lists_and_reports_shape():
    assert expect_array([1, 2], (2,), "f").dtype == float
    with pytest.raises(CheckFailed, match=r"shape \(2,\), but returned shape \(2, 1\)"):
        expect_array(np.zeros((2, 1)), (2,), "f")


@pytest.mark.parametrize("bad, reason", [(None, "return"), ("abc", "numbers"), ([np.nan], "NaN")])
def test_expect_array_rejects_bad_types(bad, reason):
    with pytest.raises(CheckFailed, match=reason):
        expect_array(bad, (1,), "f")


def test_expect_close_hides_expected_value():
    with pytest.raises(CheckFailed) as info:
        expect_close([1.5], [123.456], "g", what="the gradient")
    assert "123.456" not in str(info.value) and "the gradient is wrong" in str(info.value)
    expect_close([1.0 + 1e-12], [1.0], "g")


def test_expect_scalar_and_expect():
    assert expect_scalar(np.float64(2.5), "h") == 2.5
    with pytest.raises(CheckFailed, match="single number"):
        expect_scalar([1.0, 2.0], "h")
    with pytest.raises(CheckFailed, match="custom"):
        expect(False, "custom")


def test_swapped_restores_names_even_after_errors():
    ns = {"f": 1}
    with pytest.raises(RuntimeError):
        with swapped(ns, f=2, g=3):
            assert ns == {"f": 2, "g": 3}
            raise RuntimeError
    assert ns == {"f": 1}
