"""The offline data generators: shapes, seeds and the geometry they promise."""

import numpy as np
import pytest

from nncourse import data


def test_house_prices_table():
    area, price = data.house_prices()
    assert area.tolist() == [2104, 1600, 2400, 1416, 3000]
    assert price.tolist() == [400, 330, 369, 232, 540]


def test_linear_data_recovers_its_line():
    x, y = data.linear_data(5000, slope=4, intercept=10, noise=1.0, seed=1)
    slope, intercept = np.polyfit(x, y, 1)
    assert slope == pytest.approx(4, abs=0.1) and intercept == pytest.approx(10, abs=0.1)
    assert np.allclose(data.linear_data(10, seed=3)[1], data.linear_data(10, seed=3)[1])


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_linear_data_rejects_bad_sizes(n):
    with pytest.raises(ValueError, match="positive integer"):
        data.linear_data(n)


def test_standardize_uses_training_statistics():
    x = np.array([[1.0, 10.0], [3.0, 10.0]])
    z, mean, std = data.standardize(x)
    assert np.allclose(z[:, 0], [-1, 1]) and np.allclose(z[:, 1], 0)
    z2, _, _ = data.standardize(np.array([[5.0, 10.0]]), mean, std)
    assert np.allclose(z2, [[3.0, 0.0]])


def test_two_rings_geometry():
    X, y = data.two_rings(1000, seed=2)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r[y == 0] < 1 / 3) and np.all((r[y == 1] > 2 / 3) & (r[y == 1] < 1))
    assert (y == 0).sum() == 500


def test_xor_labels():
    X, y = data.xor_data(20, spread=0.0)
    assert np.array_equal(y, np.logical_xor(X[:, 0] > 0.5, X[:, 1] > 0.5).astype(float))


def test_split_indices_partition():
    parts = data.split_indices(101, (0.7, 0.2, 0.1), seed=0)
    assert [len(p) for p in parts] == [70, 20, 11]
    assert sorted(np.concatenate(parts).tolist()) == list(range(101))
    with pytest.raises(ValueError, match="sum to 1"):
        data.split_indices(10, (0.5, 0.2))


def test_noisy_sine_and_blobs_shapes():
    x, t = data.noisy_sine(10, seed=0)
    assert x.shape == t.shape == (10,) and x[0] == 0 and x[-1] == 1
    X, y = data.gaussian_blobs([[0, 0], [3, 3], [0, 3]], 50)
    assert X.shape == (150, 2) and set(y.tolist()) == {0, 1, 2}
