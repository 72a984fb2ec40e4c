"""Lecture 07's helpers: folds against scikit-learn, the bias-variance identity, the lasso against its closed form,
its optimality conditions and scikit-learn."""

import numpy as np
import pytest
from sklearn.linear_model import Lasso
from sklearn.model_selection import KFold

from nncourse import regularisation as reg


@pytest.mark.parametrize("n, k", [(10, 2), (30, 7), (11, 11), (101, 5)])
def test_unshuffled_folds_are_sklearns(n, k):
    for (tr, va), (sk_tr, sk_va) in zip(reg.kfold_indices(n, k), KFold(n_splits=k).split(np.zeros(n)), strict=True):
        assert np.array_equal(tr, sk_tr) and np.array_equal(va, sk_va)


def test_shuffled_folds_partition_and_repeat_with_the_seed():
    folds = reg.kfold_indices(23, 4, seed=3)
    assert sorted(len(va) for _, va in folds) == [5, 6, 6, 6]
    assert np.array_equal(np.sort(np.concatenate([va for _, va in folds])), np.arange(23))
    for tr, va in folds:
        assert np.intersect1d(tr, va).size == 0 and len(tr) + len(va) == 23
    again = reg.kfold_indices(23, 4, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    assert not np.array_equal(folds[0][1], reg.kfold_indices(23, 4)[0][1])


@pytest.mark.parametrize("n, k", [(1, 2), (5, 1), (5, 6), (5, 2.5)])
def test_bad_fold_arguments_are_refused(n, k):
    with pytest.raises(ValueError):
        reg.kfold_indices(n, k)


def test_leave_one_out_matches_the_hat_matrix_formula():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    t = X @ [1.0, -2.0, 0.5] + 0.3 * rng.normal(size=20)

    def fit_predict(A, b, A_new):
        return A_new @ np.linalg.lstsq(A, b, rcond=None)[0]

    hat = X @ np.linalg.pinv(X)
    formula = np.mean(((t - hat @ t) / (1 - np.diag(hat))) ** 2)
    assert reg.cross_validation_error(fit_predict, X, t, reg.kfold_indices(20, 20)) == pytest.approx(formula, rel=1e-10)


def test_cross_validation_error_scores_several_models_at_once():
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=12), rng.normal(size=12)
    folds = reg.kfold_indices(12, 3, seed=0)
    one = [reg.cross_validation_error(lambda a, b, c, s=s: np.full(len(c), s * b.mean()), x, t, folds) for s in (0.0, 1.0)]
    both = reg.cross_validation_error(lambda a, b, c: np.column_stack([0 * c, np.full(len(c), b.mean())]), x, t, folds)
    np.testing.assert_allclose(both, one, rtol=1e-12)
    hold_out = reg.cross_validation_error(lambda a, b, c: np.zeros(len(c)), x, t, [folds[0]])
    assert hold_out == pytest.approx(np.mean(t[folds[0][1]] ** 2))


def test_bias_variance_terms_add_up():
    rng = np.random.default_rng(2)
    h = np.sin(np.linspace(0, 3, 50))
    Y = h + 0.2 + 0.5 * rng.normal(size=(4000, 50))          # bias 0.2, variance 0.25
    T = h + 0.3 * rng.normal(size=(4000, 50))                 # noise 0.09
    parts = reg.bias_variance(Y, h, T)
    assert parts["bias2"] == pytest.approx(0.04, abs=0.005)
    assert parts["variance"] == pytest.approx(0.25, rel=0.02)
    assert parts["noise"] == pytest.approx(0.09, rel=0.02)
    assert abs(parts["bias2"] + parts["variance"] + parts["noise"] - parts["test_error"]) < 4 * parts["se"]
    assert parts["bias2"] + parts["variance"] == pytest.approx(np.mean((Y - h) ** 2), rel=1e-12)
    with pytest.raises(ValueError):
        reg.bias_variance(Y, h[:-1], T)


def test_soft_threshold():
    np.testing.assert_array_equal(reg.soft_threshold([-3.0, -0.5, 0.0, 0.5, 3.0], 1.0), [-2.0, 0.0, 0.0, 0.0, 2.0])


def design(seed=4, n=60, d=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 1] = X[:, 0] + 0.1 * rng.normal(size=n)             # a correlated pair
    return X, X @ np.array([2.0, 0.0, -1.0, 0.0, 0.5, 0.0]) + 0.5 * rng.normal(size=n)


def test_lasso_orthonormal_design_is_soft_thresholding():
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.normal(size=(40, 5)))
    t = rng.normal(size=40)
    np.testing.assert_allclose(reg.lasso_coordinate_descent(Q, t, 0.4), reg.soft_threshold(Q.T @ t, 0.4), atol=1e-12)


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.01])
def test_lasso_solvers_meet_the_kkt_conditions_and_sklearn(fraction):
    X, t = design()
    alpha = fraction * reg.lasso_alpha_max(X, t)
    w = reg.lasso_coordinate_descent(X, t, alpha)
    corr = X.T @ (t - X @ w)
    on = w != 0
    np.testing.assert_allclose(corr[on], alpha * np.sign(w[on]), atol=1e-6 * alpha)
    assert np.all(np.abs(corr[~on]) <= alpha * (1 + 1e-9))
    sk = Lasso(alpha=alpha / len(t), fit_intercept=False, tol=1e-12, max_iter=100_000).fit(X, t).coef_
    np.testing.assert_allclose(w, sk, atol=1e-6)
    fista = reg.lasso_proximal_gradient(X, t, [alpha], steps=3000)[0]
    assert reg.lasso_objective(fista, X, t, alpha) == pytest.approx(reg.lasso_objective(w, X, t, alpha), rel=1e-9)


def test_lasso_path_starts_empty_and_ista_is_slower_than_fista():
    X, t = design()
    alpha_max = reg.lasso_alpha_max(X, t)
    alphas = alpha_max * np.array([1.0001, 0.3, 0.01])
    path = reg.lasso_path(X, t, alphas)
    assert np.all(path[0] == 0) and np.all(path[1:, 0] != 0)
    for a, w in zip(alphas, path):
        np.testing.assert_allclose(w, reg.lasso_coordinate_descent(X, t, a), atol=1e-5)   # warm and cold starts
    best = reg.lasso_objective(path[-1], X, t, alphas[-1])
    excess = {acc: reg.lasso_objective(reg.lasso_proximal_gradient(X, t, alphas[-1:], steps=50, accelerated=acc)[0],
                                       X, t, alphas[-1]) - best for acc in (True, False)}
    assert 0 <= excess[True] < excess[False]


def test_coordinate_descent_reports_non_convergence_and_zero_columns():
    X, t = design()
    with pytest.raises(RuntimeError, match="did not converge"):
        reg.lasso_coordinate_descent(X, t, 1e-3, max_sweeps=1)
    with pytest.raises(ValueError, match="nonzero"):
        reg.lasso_coordinate_descent(np.column_stack([X, np.zeros(len(t))]), t, 1.0)
