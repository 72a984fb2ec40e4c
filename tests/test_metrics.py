"""The binary-classification metrics of nncourse.metrics against scikit-learn's, including ties and edge cases."""

import numpy as np
import pytest
from sklearn import metrics as skm

from nncourse import metrics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confusion_matrix_and_scores_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=200)
    y_pred = np.where(rng.random(200) < 0.8, y_true, 1 - y_true)
    assert np.array_equal(metrics.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred))
    ours = metrics.binary_metrics(y_true, y_pred)
    assert ours["accuracy"] == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert ours["precision"] == pytest.approx(skm.precision_score(y_true, y_pred))
    assert ours["recall"] == pytest.approx(skm.recall_score(y_true, y_pred))
    assert ours["specificity"] == pytest.approx(skm.recall_score(y_true, y_pred, pos_label=0))
    assert ours["f1"] == pytest.approx(skm.f1_score(y_true, y_pred))


def test_no_predicted_positive_gives_zero_precision():
    scores = metrics.binary_metrics([1, 0, 1, 0], [0, 0, 0, 0])
    assert scores["precision"] == 0.0 and scores["recall"] == 0.0 and scores["f1"] == 0.0
    assert scores["specificity"] == 1.0 and scores["accuracy"] == 0.5


@pytest.mark.parametrize("seed, levels", [(3, None), (4, 5)])
def test_roc_curve_and_auc_match_sklearn(seed, levels):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=300)
    scores = y_true + rng.normal(size=300)
    if levels:                                                   # many ties
        scores = np.round(scores * levels) / levels
    fpr, tpr, thresholds = metrics.roc_curve(y_true, scores)
    sk_fpr, sk_tpr, sk_thr = skm.roc_curve(y_true, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thresholds[1:], sk_thr[1:])
    auc = metrics.roc_auc(y_true, scores)
    assert auc == pytest.approx(skm.roc_auc_score(y_true, scores), abs=1e-12)
    assert auc == pytest.approx(np.trapezoid(tpr, fpr), abs=1e-12)


def test_perfect_and_reversed_scores():
    y = np.array([0, 0, 1, 1])
    assert metrics.roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert metrics.roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert metrics.roc_auc(y, [0.5, 0.5, 0.5, 0.5]) == 0.5


@pytest.mark.parametrize("call", [
    lambda: metrics.confusion_matrix([0, 1, 2], [0, 1, 1]),
    lambda: metrics.confusion_matrix([0, 1], [0, 1, 1]),
    lambda: metrics.roc_curve([1, 1, 1], [0.1, 0.2, 0.3]),
    lambda: metrics.roc_auc([0, 0], [0.1, 0.2]),
    lambda: metrics.binary_metrics([[0, 1]], [[0, 1]]),
])
def test_bad_inputs_are_refused_with_a_message(call):
    with pytest.raises(ValueError, match="must|both classes"):
        call()
