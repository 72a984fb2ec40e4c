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
    assert [len(p) for p in parts] == [71, 20, 10]  # exact shares 70.7, 20.2, 10.1
    assert sorted(np.concatenate(parts).tolist()) == list(range(101))
    with pytest.raises(ValueError, match="sum to 1"):
        data.split_indices(10, (0.5, 0.2))


@pytest.mark.parametrize(("n", "sizes"), [(30, [21, 6, 3]), (2000, [1400, 400, 200]), (10, [7, 2, 1])])
def test_split_sizes_where_flooring_cumulative_fractions_failed(n, sizes):
    # 0.7 + 0.2 == 0.8999999999999999 in floating point, so cutting at floor(0.9 n) lost one item.
    assert data.split_sizes(n, (0.7, 0.2, 0.1)).tolist() == sizes
    assert [len(p) for p in data.split_indices(n, (0.7, 0.2, 0.1))] == sizes


def _fraction_cases(count=300, seed=12):
    rng = np.random.default_rng(seed)
    cases = [(0.7, 0.2, 0.1), (0.8, 0.1, 0.1), (0.6, 0.2, 0.2), (1 / 3, 1 / 3, 1 / 3), (0.5, 0.25, 0.25)]
    for _ in range(count):
        w = rng.uniform(0.01, 1.0, 3)
        cases.append(tuple(w / w.sum()))
        cases.append(tuple(np.round(w / w.sum(), 2)[:2].tolist() + [1 - float(np.round(w / w.sum(), 2)[:2].sum())]))
    return [c for c in cases if min(c) > 0]


def test_split_sizes_property_over_many_n_and_fractions():
    checked = 0
    for fractions in _fraction_cases():
        f = np.asarray(fractions)
        for n in list(range(0, 60)) + [99, 100, 101, 997, 1000, 2000, 12345]:
            sizes = data.split_sizes(n, fractions)
            exact = f / f.sum() * n
            assert sizes.sum() == n, (n, fractions, sizes)
            assert np.all(sizes >= 0), (n, fractions, sizes)
            assert np.all(np.abs(sizes - exact) < 1), (n, fractions, sizes, exact)
            checked += 1
    assert checked > 10_000


def test_split_indices_is_a_seeded_partition_of_the_sizes():
    for n, fractions in [(0, (0.5, 0.5)), (1, (0.7, 0.2, 0.1)), (57, (0.15, 0.35, 0.5)), (400, (0.25, 0.75))]:
        parts = data.split_indices(n, fractions, seed=4)
        assert [len(p) for p in parts] == data.split_sizes(n, fractions).tolist()
        assert sorted(np.concatenate(parts).tolist()) == list(range(n))
        again = data.split_indices(n, fractions, seed=4)
        assert all(np.array_equal(a, b) for a, b in zip(parts, again))
    with pytest.raises(ValueError, match="positive"):
        data.split_sizes(10, (1.2, -0.2))
    with pytest.raises(ValueError, match="non-negative integer"):
        data.split_sizes(2.5)


def test_noisy_sine_and_blobs_shapes():
    x, t = data.noisy_sine(10, seed=0)
    assert x.shape == t.shape == (10,) and x[0] == 0 and x[-1] == 1
    X, y = data.gaussian_blobs([[0, 0], [3, 3], [0, 3]], 50)
    assert X.shape == (150, 2) and set(y.tolist()) == {0, 1, 2}


@pytest.mark.parametrize("fractions", [(0.7, 0.2, 0.1), (0.6, 0.2, 0.2), (0.5, 0.5)])
@pytest.mark.parametrize("seed", [0, 3])
def test_stratified_split_keeps_every_class_share(fractions, seed):
    labels = np.repeat([0, 1, 2], [7, 212, 357])
    parts = data.stratified_split_indices(labels, fractions, seed=seed)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(labels)))   # a partition
    for c in (0, 1, 2):
        n_c = np.sum(labels == c)
        for part, f in zip(parts, fractions):
            assert abs(np.sum(labels[part] == c) - f * n_c) < 1
    again = data.stratified_split_indices(labels, fractions, seed=seed)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))
    assert not np.array_equal(parts[0], np.sort(parts[0]))                            # shuffled


def test_stratified_split_rejects_bad_input():
    with pytest.raises(ValueError, match="one-dimensional"):
        data.stratified_split_indices(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="sum to 1"):
        data.stratified_split_indices(np.zeros(10), (0.5, 0.4))


def test_digits_ship_with_scikit_learn():
    X, y, images = data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and images.shape == (1797, 8, 8)
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.array_equal(X * 16, images.reshape(1797, 64))
    assert set(y.tolist()) == set(range(10)) and np.bincount(y).min() >= 170


def test_breast_cancer_codes_malignant_as_one():
    X, y, names = data.breast_cancer()
    assert X.shape == (569, 30) and len(names) == 30 and names[0] == "mean radius"
    assert y.sum() == 212 and set(y.tolist()) == {0, 1}
    # Malignant masses have larger nuclei on average.
    assert X[y == 1, 0].mean() > X[y == 0, 0].mean()
