"""Offline dataset generators: every data set in the course is made here or shipped small.

Each generator takes an explicit ``seed`` (or ``rng``) so notebooks and tests are
reproducible, and returns arrays with the shapes given in its docstring.
"""

from __future__ import annotations

import numpy as np

# The house-price table used throughout the seed lectures:
# living area in square feet -> price in thousands of dollars.
_HOUSE_PRICES = (
    (2104, 400),
    (1600, 330),
    (2400, 369),
    (1416, 232),
    (3000, 540),
)


def _rng(seed_or_rng) -> np.random.Generator:
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    return np.random.default_rng(seed_or_rng)


def house_prices() -> tuple[np.ndarray, np.ndarray]:
    """The five-house table. Returns ``area: (5,)`` in sq ft and ``price: (5,)`` in $1000s."""
    table = np.array(_HOUSE_PRICES, dtype=float)
    return table[:, 0].copy(), table[:, 1].copy()


def linear_data(
    n: int = 1000,
    *,
    slope: float = 4.0,
    intercept: float = 10.0,
    noise: float = 1.0,
    x_range: tuple[float, float] = (0.0, 2.0),
    seed=0,
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of ``y = slope * x + intercept + N(0, noise^2)``.

    Returns ``x: (n,)`` drawn uniformly from ``x_range`` and ``y: (n,)``.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = _rng(seed)
    x = rng.uniform(*x_range, size=int(n))
    y = slope * x + intercept + noise * rng.standard_normal(int(n))
    return x, y


def add_bias_column(x: np.ndarray) -> np.ndarray:
    """Design matrix ``[1, x]``: ``x: (n,)`` or ``(n, d)`` -> ``(n, d + 1)``."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    return np.hstack([np.ones((x.shape[0], 1)), x])


def standardize(x: np.ndarray, mean=None, std=None):
    """Scale columns to zero mean and unit variance.

    Returns ``(z, mean, std)``; pass the training ``mean`` and ``std`` to scale
    validation or test data the same way.
    """
    x = np.asarray(x, dtype=float)
    mean = x.mean(axis=0) if mean is None else mean
    std = x.std(axis=0) if std is None else std
    std = np.where(np.asarray(std) == 0, 1.0, std)
    return (x - mean) / std, mean, std


def noisy_sine(n: int = 10, *, noise: float = 0.3, seed=0, evenly_spaced: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Samples of ``sin(2 pi x) + N(0, noise^2)`` on [0, 1] (the curve-fitting example).

    Returns ``x: (n,)`` (evenly spaced, or uniform if ``evenly_spaced=False``) and ``t: (n,)``.
    """
    rng = _rng(seed)
    x = np.linspace(0.0, 1.0, n) if evenly_spaced else np.sort(rng.uniform(0.0, 1.0, n))
    t = np.sin(2 * np.pi * x) + noise * rng.standard_normal(n)
    return x, t


def xor_data(n_per_corner: int = 50, *, spread: float = 0.15, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered around the four corners of the unit square with XOR labels.

    Returns ``X: (4 * n_per_corner, 2)`` and ``y: (4 * n_per_corner,)`` in {0, 1};
    the label is 1 where exactly one coordinate is near 1.
    """
    rng = _rng(seed)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    labels = np.array([0, 1, 1, 0])
    X = np.repeat(corners, n_per_corner, axis=0) + spread * rng.standard_normal((4 * n_per_corner, 2))
    return X, np.repeat(labels, n_per_corner).astype(float)


def two_rings(n: int = 400, *, inner_radius: float = 1 / 3, annulus: tuple[float, float] = (2 / 3, 1.0),
              seed=0) -> tuple[np.ndarray, np.ndarray]:
    """The disk ``r < inner_radius`` (label 0) against the annulus ``annulus[0] < r < annulus[1]`` (label 1).

    Points are uniform in area in each region, half per class.
    Returns ``X: (n, 2)`` and ``y: (n,)`` in {0, 1}.
    """
    rng = _rng(seed)
    n0 = n // 2
    n1 = n - n0
    r0 = inner_radius * np.sqrt(rng.uniform(0, 1, n0))
    a, b = annulus
    r1 = np.sqrt(rng.uniform(a**2, b**2, n1))
    r = np.concatenate([r0, r1])
    phi = rng.uniform(0, 2 * np.pi, n)
    X = np.column_stack([r * np.cos(phi), r * np.sin(phi)])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    order = rng.permutation(n)
    return X[order], y[order]


def gaussian_blobs(centers, n_per_blob: int = 100, *, std: float = 0.5, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters. ``centers: (k, d)``.

    Returns ``X: (k * n_per_blob, d)`` and integer labels ``y: (k * n_per_blob,)``.
    """
    rng = _rng(seed)
    centers = np.atleast_2d(np.asarray(centers, dtype=float))
    k, d = centers.shape
    X = np.repeat(centers, n_per_blob, axis=0) + std * rng.standard_normal((k * n_per_blob, d))
    return X, np.repeat(np.arange(k), n_per_blob)


def split_sizes(n: int, fractions=(0.7, 0.2, 0.1)) -> np.ndarray:
    """Part sizes for ``n`` items split by ``fractions`` (largest-remainder rounding).

    Each part first gets the floor of its exact share ``f_k n``; the items left
    over go one each to the parts with the largest fractional remainders (ties to
    the earlier part). The sizes add up to ``n`` and each differs from its exact
    share by less than 1. Returns an integer array ``(len(fractions),)``.
    """
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    n = int(n)
    fractions = np.asarray(fractions, dtype=float)
    if fractions.ndim != 1 or np.any(fractions <= 0) or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(f"fractions must be positive and sum to 1, got {np.atleast_1d(fractions).tolist()}")
    exact = fractions / fractions.sum() * n
    sizes = np.floor(exact).astype(int)
    left = n - int(sizes.sum())
    # Stable sort on the negated remainders: largest first, ties to the earlier part.
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[:left]] += 1
    return sizes


def split_indices(n: int, fractions=(0.7, 0.2, 0.1), *, seed=0) -> tuple[np.ndarray, ...]:
    """Shuffle ``range(n)`` and cut it into parts of the given fractions (e.g. train/validation/test).

    Fractions must be positive and sum to 1. The sizes are ``split_sizes(n, fractions)``:
    the exact shares rounded by largest remainder, so 30 items split 0.7/0.2/0.1
    give 21/6/3. Returns one index array per fraction.
    """
    sizes = split_sizes(n, fractions)
    order = _rng(seed).permutation(int(n))
    return tuple(np.split(order, np.cumsum(sizes)[:-1]))


def stratified_split_indices(labels, fractions=(0.7, 0.2, 0.1), *, seed=0) -> tuple[np.ndarray, ...]:
    """Like ``split_indices``, but every class is cut by the same fractions.

    ``labels: (n,)``. Each class ``c`` with ``n_c`` items is split by ``split_sizes(n_c, fractions)``,
    so every part holds each class's exact share up to less than one item, and small or
    imbalanced data sets keep their class proportions in the validation and test sets.
    Returns one shuffled index array per fraction; together they are a permutation of ``range(n)``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {labels.shape}")
    rng = _rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in np.atleast_1d(fractions)]
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        for part, chunk in zip(parts, np.split(members, np.cumsum(split_sizes(len(members), fractions))[:-1])):
            part.append(chunk)
    return tuple(rng.permutation(np.concatenate(part)) for part in parts)


def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError as error:  # pragma: no cover - scikit-learn is pinned in requirements.txt
        raise ImportError("the real data sets ship with scikit-learn: pip install -r requirements.txt") from error
    return datasets


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The UCI handwritten digits as bundled with scikit-learn (read from the package, no download).

    The 1797 digits 0-9 of the test part (13 writers; Alpaydin and Kaynak, 1998): each 32 x 32 bitmap is cut into 4 x 4
    blocks and the black pixels of each block are counted, giving an 8 x 8 image of integers 0..16.
    Returns ``X: (1797, 64)`` float in [0, 1] (counts / 16, row-major pixels),
    ``y: (1797,)`` int digits and ``images: (1797, 8, 8)`` the raw counts.
    """
    bunch = _sklearn_datasets().load_digits()
    images = bunch.images.astype(float)
    return bunch.data.astype(float) / 16.0, bunch.target.astype(int), images


def breast_cancer() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The Wisconsin diagnostic breast-cancer data as bundled with scikit-learn (no download).

    569 fine-needle aspirates of breast masses (Street, Wolberg and Mangasarian, 1993): for the
    cell nuclei in a digitised image, ten features (radius, texture, perimeter, area, smoothness,
    compactness, concavity, concave points, symmetry, fractal dimension), each as mean, standard
    error and "worst" (mean of the three largest), 30 in all. Returns ``X: (569, 30)`` float,
    ``y: (569,)`` int with **1 = malignant** (212) and 0 = benign (357), and the 30 feature names.
    (scikit-learn codes benign as 1; here the diagnosis to detect is the positive class.)
    """
    bunch = _sklearn_datasets().load_breast_cancer()
    malignant = list(bunch.target_names).index("malignant")
    return bunch.data.astype(float), (bunch.target == malignant).astype(int), [str(n) for n in bunch.feature_names]
