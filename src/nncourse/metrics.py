"""Evaluation metrics for a binary classifier, in plain NumPy (lecture 02, usable by any later lecture).

Labels are 0 (negative) and 1 (positive). The confusion matrix has scikit-learn's layout: rows are the true
class, columns the predicted class, so ``[[TN, FP], [FN, TP]]``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix", "binary_metrics", "roc_curve", "roc_auc"]


def _binary(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} must hold only the labels 0 and 1, found {np.unique(array)[:5]}")
    return array.astype(int)


def _paired(y_true, other, other_name: str) -> tuple[np.ndarray, np.ndarray]:
    y_true = _binary(y_true, "y_true")
    other = np.asarray(other)
    if other.shape != y_true.shape:
        raise ValueError(f"y_true and {other_name} must have one shape, got {y_true.shape} and {other.shape}")
    return y_true, other


def confusion_matrix(y_true, y_pred) -> np.ndarray:
    """Counts ``[[TN, FP], [FN, TP]]`` (int, shape (2, 2)) of predictions ``y_pred: (n,)`` against ``y_true: (n,)``."""
    y_true, y_pred = _paired(y_true, y_pred, "y_pred")
    y_pred = _binary(y_pred, "y_pred")
    counts = np.zeros((2, 2), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def binary_metrics(y_true, y_pred) -> dict[str, float]:
    """Accuracy, precision, recall (sensitivity), specificity and F1 of ``y_pred: (n,)`` against ``y_true: (n,)``.

    precision = TP / (TP + FP), recall = TP / (TP + FN), specificity = TN / (TN + FP),
    F1 = 2 precision recall / (precision + recall). A ratio whose denominator is 0 is reported as 0.0
    (scikit-learn's ``zero_division=0``).
    """
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred)

    def ratio(a, b):
        return float(a / b) if b else 0.0

    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    return {
        "accuracy": ratio(tp + tn, tp + tn + fp + fn),
        "precision": precision,
        "recall": recall,
        "specificity": ratio(tn, tn + fp),
        "f1": ratio(2 * precision * recall, precision + recall),
    }


def roc_curve(y_true, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve of the rule "positive if score >= t" over every threshold t.

    ``y_true: (n,)`` labels with both classes present, ``scores: (n,)`` real numbers (larger = more positive).
    Returns ``fpr, tpr, thresholds``, each of shape (u + 1,) for u distinct scores: the thresholds are the
    distinct scores in decreasing order after a first threshold of +inf (nothing positive), so the curve runs
    from (0, 0) to (1, 1). Tied scores move the curve diagonally, in one step.
    """
    y_true, scores = _paired(y_true, scores, "scores")
    positives, negatives = y_true.sum(), (1 - y_true).sum()
    if positives == 0 or negatives == 0:
        raise ValueError(f"both classes must be present, found {positives} positive and {negatives} negative labels")
    order = np.argsort(-scores.astype(float), kind="stable")
    sorted_scores, sorted_labels = scores[order].astype(float), y_true[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(sorted_scores) - 1]   # end of every tie group
    tp = np.cumsum(sorted_labels)[last_of_each]
    fp = (last_of_each + 1) - tp
    return (np.r_[0.0, fp / negatives], np.r_[0.0, tp / positives], np.r_[np.inf, sorted_scores[last_of_each]])


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve, computed as the Mann-Whitney probability P(score+ > score-) + P(tie) / 2.

    ``y_true: (n,)`` labels with both classes present, ``scores: (n,)``. Equal to the trapezoidal area under
    :func:`roc_curve`.
    """
    y_true, scores = _paired(y_true, scores, "scores")
    pos, neg = scores[y_true == 1].astype(float), scores[y_true == 0].astype(float)
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError(f"both classes must be present, found {len(pos)} positive and {len(neg)} negative labels")
    neg_sorted = np.sort(neg)
    below = np.searchsorted(neg_sorted, pos, side="left")          # negatives strictly below each positive
    ties = np.searchsorted(neg_sorted, pos, side="right") - below
    return float((below.sum() + 0.5 * ties.sum()) / (len(pos) * len(neg)))
