"""Tools for lecture 07 (overfitting and regularisation): cross-validation folds, the bias-variance
decomposition of a Monte Carlo experiment, and the lasso (soft thresholding, coordinate descent, paths).

Everything is plain NumPy. The lasso objective here is the one the lecture writes down,

    0.5 * ||X w - t||^2 + alpha * ||w||_1,

without scikit-learn's factor 1 / n on the squared error (scikit-learn's ``alpha`` is ``alpha / n``).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "kfold_indices",
    "cross_validation_error",
    "bias_variance",
    "soft_threshold",
    "lasso_objective",
    "lasso_coordinate_descent",
    "lasso_proximal_gradient",
    "lasso_path",
    "lasso_alpha_max",
]


def kfold_indices(n: int, k: int, *, seed=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split ``range(n)`` into ``k`` folds: a list of ``k`` pairs ``(train_idx, val_idx)``.

    The validation parts are disjoint and cover every index once; fold sizes differ by at most one
    (the first ``n % k`` folds get the extra item, as in scikit-learn's ``KFold``). With ``seed=None``
    the folds are consecutive blocks of ``0..n-1``; with a seed (or ``np.random.Generator``) the
    indices are shuffled first. ``k = n`` is leave-one-out.
    """
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if int(k) != k or not 2 <= k <= n:
        raise ValueError(f"k must be an integer with 2 <= k <= n = {n}, got {k!r}")
    n, k = int(n), int(k)
    if seed is None:
        shuffled = np.arange(n)
    else:
        generator = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        shuffled = generator.permutation(np.arange(n))
    sizes = np.full(k, n // k) + (np.arange(k) < n % k)
    ends = np.cumsum(sizes)
    folds = []
    for start, end in zip(ends - sizes, ends):
        val = np.sort(shuffled[start:end])
        train = np.sort(np.concatenate([shuffled[:start], shuffled[end:]]))
        folds.append((train, val))
    return folds


def cross_validation_error(fit_predict, x, t, folds):
    """Mean squared error over all validation points of the folds ``[(train_idx, val_idx), ...]``.

    ``fit_predict(x_train, t_train, x_val)`` fits a model on the training part and returns its
    predictions on the validation part: ``(len(x_val),)``, or ``(len(x_val), m)`` for ``m`` models at
    once (a regularisation path), in which case the result is an array ``(m,)`` of errors.
    ``folds`` is what ``kfold_indices`` returns (every point validated once: the k-fold estimate) or a
    single ``(train, val)`` pair (a hold-out estimate). The result is the sum of ``(y - t)^2`` over the
    validation parts divided by their total size.
    """
    x, t = np.asarray(x), np.asarray(t, dtype=float)
    total, count = 0.0, 0
    for train, val in folds:
        y = np.asarray(fit_predict(x[train], t[train], x[val]), dtype=float)
        if y.shape[:1] != (len(val),) or y.ndim > 2:
            raise ValueError(f"fit_predict returned shape {y.shape} for {len(val)} validation points")
        residual = y - (t[val] if y.ndim == 1 else t[val][:, None])
        total = total + np.sum(residual ** 2, axis=0)
        count += len(val)
    if count == 0:
        raise ValueError("the folds hold no validation points")
    return float(total / count) if np.ndim(total) == 0 else total / count


def bias_variance(predictions, truth, targets) -> dict[str, float]:
    """Bias-variance decomposition of a Monte Carlo experiment over ``L`` training sets.

    ``predictions: (L, n)`` are the ``L`` fitted models evaluated at ``n`` test inputs, ``truth: (n,)``
    the noise-free function ``h(x)`` there, ``targets: (L, n)`` fresh noisy targets ``t = h(x) + noise``
    (an independent draw for each model). Returns floats, each averaged over the test inputs:

    - ``bias2``: mean of ``(ybar(x) - h(x))^2`` with ``ybar`` the average model;
    - ``variance``: mean of ``(y(x) - ybar(x))^2``;
    - ``noise``: mean of ``(t - h(x))^2``;
    - ``test_error``: mean of ``(y(x) - t)^2``, the expected test error measured directly;
    - ``se``: the standard error of ``test_error - (bias2 + variance + noise)``, whose expectation is 0.

    ``bias2 + variance`` equals the mean of ``(y - h)^2`` exactly (up to rounding).
    """
    y = np.asarray(predictions, dtype=float)
    h = np.asarray(truth, dtype=float)
    t = np.asarray(targets, dtype=float)
    if y.ndim != 2 or t.shape != y.shape or h.shape != y.shape[1:]:
        raise ValueError(f"expected predictions (L, n), truth (n,), targets (L, n); got {y.shape}, {h.shape}, {t.shape}")
    ybar = y.mean(axis=0)
    noise = t - h
    # test_error - (bias2 + variance + noise) = -2 mean(noise * (y - h)): its terms have mean 0 and are uncorrelated.
    cross = -2 * noise * (y - h)
    return {
        "bias2": float(np.mean((ybar - h) ** 2)),
        "variance": float(np.mean((y - ybar) ** 2)),
        "noise": float(np.mean(noise ** 2)),
        "test_error": float(np.mean((y - t) ** 2)),
        "se": float(cross.std(ddof=1) / np.sqrt(cross.size)),
    }


def soft_threshold(z, a):
    """The proximal map of ``a * |w|``: ``sign(z) * max(|z| - a, 0)``, elementwise (``a >= 0``)."""
    z = np.asarray(z, dtype=float)
    return np.sign(z) * np.maximum(np.abs(z) - a, 0.0)


def lasso_objective(w, X, t, alpha) -> float:
    """``0.5 * ||X w - t||^2 + alpha * ||w||_1`` for ``X: (n, d)``, ``w: (d,)``, ``t: (n,)``."""
    r = X @ w - t
    return float(0.5 * r @ r + alpha * np.abs(w).sum())


def lasso_alpha_max(X, t) -> float:
    """The smallest ``alpha`` for which ``w = 0`` minimises the lasso objective: ``max_j |x_j^T t|``."""
    return float(np.max(np.abs(np.asarray(X, dtype=float).T @ np.asarray(t, dtype=float))))


def lasso_coordinate_descent(X, t, alpha, *, w0=None, tol=1e-9, max_sweeps=100_000) -> np.ndarray:
    """Minimise ``0.5 ||X w - t||^2 + alpha ||w||_1`` by cyclic coordinate descent. Returns ``w: (d,)``.

    Each coordinate step is exact: with ``rho_j = x_j^T (t - X w) + ||x_j||^2 w_j`` (the correlation of
    column ``j`` with the residual that leaves ``w_j`` out), ``w_j = soft_threshold(rho_j, alpha) / ||x_j||^2``.
    It works on the Gram matrix ``X^T X``, so a sweep costs ``O(d^2)``. Sweeps stop when no coefficient
    moved by more than ``tol`` times the largest; a ``RuntimeError`` is raised after ``max_sweeps``.
    Columns of ``X`` must be nonzero. ``w0`` warm-starts (used by ``lasso_path``).
    """
    X = np.asarray(X, dtype=float)
    gram, corr = X.T @ X, X.T @ np.asarray(t, dtype=float)
    diag = [float(g) for g in np.diag(gram)]
    alpha = float(alpha)
    if min(diag) == 0:
        raise ValueError("every column of X must be nonzero")
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=float)
    for _ in range(max_sweeps):
        largest_step = 0.0
        for j in range(len(w)):
            rho = float(corr[j] - gram[j] @ w) + diag[j] * w[j]
            # soft_threshold(rho, alpha), written out for scalars (this loop is the hot spot)
            new = (rho - alpha if rho > alpha else rho + alpha if rho < -alpha else 0.0) / diag[j]
            largest_step = max(largest_step, abs(new - w[j]))
            w[j] = new
        if largest_step <= tol * max(1e-12, np.abs(w).max()):
            return w
    raise RuntimeError(f"coordinate descent did not converge in {max_sweeps} sweeps (alpha = {alpha})")


def lasso_proximal_gradient(X, t, alphas, *, steps=5000, accelerated=True) -> np.ndarray:
    """Lasso solutions for every ``alpha`` at once by proximal gradient descent: ``(len(alphas), d)``.

    One step is a gradient step on the squared error followed by the proximal map of the penalty,
    ``w <- soft_threshold(w - eta X^T (X w - t), eta * alpha)`` with ``eta = 1 / ||X||_2^2`` (ISTA);
    ``accelerated=True`` adds Nesterov's momentum (FISTA, Beck and Teboulle 2009). The objective's
    excess after ``k`` steps is below ``||X||_2^2 ||w*||^2 / (2k)`` (ISTA) or ``2 ||X||_2^2 ||w*||^2 / (k+1)^2`` (FISTA).
    """
    X = np.asarray(X, dtype=float)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=float))
    gram, corr = X.T @ X, X.T @ np.asarray(t, dtype=float)
    eta = 1.0 / np.linalg.eigvalsh(gram)[-1]
    w = np.zeros((len(alphas), X.shape[1]))
    z, momentum = w.copy(), 1.0
    for _ in range(steps):
        w_next = soft_threshold(z - eta * (z @ gram - corr), eta * alphas[:, None])
        if accelerated:
            momentum_next = (1 + np.sqrt(1 + 4 * momentum ** 2)) / 2
            z = w_next + (momentum - 1) / momentum_next * (w_next - w)
            momentum = momentum_next
        else:
            z = w_next
        w = w_next
    return w


def lasso_path(X, t, alphas, **kwargs) -> np.ndarray:
    """Lasso solutions for each ``alpha`` (computed from the largest down, warm-started): ``(len(alphas), d)``.

    Rows are returned in the order of ``alphas``; keyword arguments go to ``lasso_coordinate_descent``.
    """
    alphas = np.asarray(alphas, dtype=float)
    coefs = np.zeros((len(alphas), np.shape(X)[1]))
    w = None
    for i in np.argsort(-alphas, kind="stable"):
        w = lasso_coordinate_descent(X, t, alphas[i], w0=w, **kwargs)
        coefs[i] = w
    return coefs
