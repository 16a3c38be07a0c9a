#!/usr/bin/env python3
"""Reference values for Plumb's classification metrics and logistic regression.

Writes two committed fixtures (seeded, so re-running reproduces them byte for byte with the
same library versions):

  Tests/MLCoreTests/Fixtures/classification_metrics.json
      binary (K = 2) and 5-class cases: true classes, row-major probabilities, threshold, and
      scikit-learn's accuracy, balanced accuracy, precision / recall / F1 (binary: positive
      class; multiclass: macro and weighted), ROC AUC (multiclass: one-vs-rest macro), average
      precision (multiclass: macro over one-vs-rest), log loss, Brier score, confusion matrix,
      plus numpy references for the expected calibration error and the F1-maximising threshold
      (no scikit-learn function exists for either; both are computed from the definitions below).
  Tests/LinearModelsTests/Fixtures/logistic_fixture.json
      LogisticRegression fits (binary and multinomial, penalised and not), coefficients,
      intercepts and predicted probabilities on the training rows.

Conventions (the Swift side documents the same ones, in ClassificationMetrics.swift and
LogisticRegression.swift):
  * binary predicted label = 1 when p1 >= threshold; multiclass = argmax (first maximum).
  * ECE: 15 equal-width bins, bin = min(floor(15 * s), 14) for a score s in [0, 1];
    ECE = sum over non-empty bins of (n_b / n) * |mean(target_b) - mean(s_b)|, where
    binary: s = p1, target = y; multiclass: s = max_k p_k (top-label confidence),
    target = 1 when argmax == y.
  * best F1 threshold: over the distinct values t of p1, F1 of (p1 >= t); the smallest t among
    those with the maximal F1.
  * A multiclass case where some class never occurs in y: scikit-learn's ROC AUC / average
    precision refuse it (the number of classes in y differs from P's columns). Plumb averages
    over the classes present in y; the reference is scikit-learn's multilabel form restricted to
    those columns. Binary AP with no positive row: scikit-learn returns 0 with a warning, Plumb
    returns NaN (undefined), stored as null here; so is the ROC AUC when y has one class.
  * Logistic regression: Plumb minimises  mean(log loss) + alpha/2 * ||W||^2  (intercepts not
    penalised), which is scikit-learn's  C * sum(log loss) + 1/2 ||W||^2  with C = 1/(alpha * n);
    alpha = 0 is C = inf.

How to run (from the repository root):
    python3 -m venv .venv-fixtures            # .venv-fixtures/ is git-ignored
    .venv-fixtures/bin/pip install scikit-learn==1.9.1 numpy==2.4.6
    .venv-fixtures/bin/python scripts/classification-fixtures.py
(the committed files were made with scikit-learn 1.9.1, numpy 2.4.6, Python 3.11).
"""
import json
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.preprocessing import label_binarize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINS = 15


def ece(scores, targets):
    b = np.minimum(np.floor(scores * BINS).astype(int), BINS - 1)
    total = 0.0
    for k in range(BINS):
        m = b == k
        if m.any():
            total += m.sum() / len(scores) * abs(targets[m].mean() - scores[m].mean())
    return total


def best_f1_threshold(y, p1):
    best_t, best_f = None, -1.0
    for t in np.unique(p1):  # ascending, so '>' keeps the smallest threshold on ties
        f = f1_score(y, (p1 >= t).astype(int), zero_division=0)
        if f > best_f:
            best_t, best_f = float(t), f
    return best_t, best_f


def none_if_nan(v):
    return None if v is None or np.isnan(v) else float(v)


def binary_case(name, y, p1, threshold=0.5):
    y = np.asarray(y, dtype=int)
    p1 = np.asarray(p1, dtype=np.float64)
    P = np.column_stack([1 - p1, p1])
    pred = (p1 >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    out = {
        "name": name, "classes": 2, "threshold": threshold,
        "y": y.tolist(), "p": P.ravel().tolist(),
        "accuracy": accuracy_score(y, pred),
        "balanced_accuracy": balanced_accuracy_score(y, pred),
        "precision": precision_score(y, pred, pos_label=1),
        "recall": recall_score(y, pred, pos_label=1),
        "f1": f1_score(y, pred, pos_label=1),
        "roc_auc": none_if_nan(roc_auc_score(y, p1)) if both else None,
        "average_precision": average_precision_score(y, p1) if y.any() else None,
        "log_loss": log_loss(y, P, labels=[0, 1]),
        "brier": brier_score_loss(y, p1, pos_label=1),
        "ece": ece(p1, y.astype(np.float64)),
        "confusion_matrix": confusion_matrix(y, pred, labels=[0, 1]).tolist(),
    }
    if y.any():
        out["best_f1_threshold"], out["best_f1"] = best_f1_threshold(y, p1)
    return out


def multiclass_case(name, y, P):
    y = np.asarray(y, dtype=int)
    P = np.asarray(P, dtype=np.float64)
    K = P.shape[1]
    pred = P.argmax(axis=1)
    present = np.unique(y)
    if len(present) == K:
        auc = roc_auc_score(y, P, multi_class="ovr", average="macro")
        ap = average_precision_score(y, P, average="macro")
    else:  # see the module docstring: scikit-learn's multilabel form on the present classes
        Y = label_binarize(y, classes=list(range(K)))[:, present]
        auc = roc_auc_score(Y, P[:, present], average="macro")
        ap = average_precision_score(Y, P[:, present], average="macro")
    conf = P.max(axis=1)
    return {
        "name": name, "classes": K, "threshold": 0.5,
        "y": y.tolist(), "p": P.ravel().tolist(),
        "accuracy": accuracy_score(y, pred),
        "balanced_accuracy": balanced_accuracy_score(y, pred),
        "precision": precision_score(y, pred, average="macro"),
        "recall": recall_score(y, pred, average="macro"),
        "f1": f1_score(y, pred, average="macro"),
        "precision_weighted": precision_score(y, pred, average="weighted"),
        "recall_weighted": recall_score(y, pred, average="weighted"),
        "f1_weighted": f1_score(y, pred, average="weighted"),
        "roc_auc": auc,
        "average_precision": ap,
        "log_loss": log_loss(y, P, labels=list(range(K))),
        "brier": brier_score_loss(y, P, labels=list(range(K))),
        "ece": ece(conf, (pred == y).astype(np.float64)),
        "confusion_matrix": confusion_matrix(y, pred, labels=list(range(K))).tolist(),
    }


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def metric_cases(rng):
    cases = []
    # Binary, scores rounded to 2 decimals: many ties, and some exactly at 0.5.
    n = 300
    y = rng.integers(0, 2, n)
    p1 = np.round(1 / (1 + np.exp(-(1.3 * (2 * y - 1) + rng.normal(0, 1.5, n)))), 2)
    cases.append(binary_case("binary_rounded_scores", y, p1))
    cases.append(binary_case("binary_rounded_threshold_0.3", y, p1, threshold=0.3))
    # Binary, only five distinct scores: every group of rows is a tie.
    y = rng.integers(0, 2, 250)
    p1 = np.where(y == 1, rng.choice([0.3, 0.5, 0.7, 0.9], 250), rng.choice([0.1, 0.3, 0.5, 0.7], 250))
    cases.append(binary_case("binary_five_scores", y, p1))
    # Perfectly separable: every positive scores above every negative.
    y = rng.integers(0, 2, 200)
    p1 = np.where(y == 1, rng.uniform(0.6, 1.0, 200), rng.uniform(0.0, 0.45, 200))
    cases.append(binary_case("binary_separable", y, p1))
    # Extreme probabilities 0 and 1, some confidently wrong: log loss clipping at eps.
    y = rng.integers(0, 2, 120)
    p1 = rng.choice([0.0, 1.0, 0.25, 0.75], 120, p=[0.35, 0.35, 0.15, 0.15])
    cases.append(binary_case("binary_extreme", y, p1))
    # The positive class is never predicted: precision 0/0 -> 0 (zero_division default).
    y = rng.integers(0, 2, 150)
    p1 = np.round(rng.uniform(0.0, 0.49, 150), 3)
    cases.append(binary_case("binary_never_positive", y, p1))
    # One class only in y: ROC AUC and AP undefined.
    y = np.zeros(80, dtype=int)
    p1 = np.round(rng.uniform(0, 1, 80), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases.append(binary_case("binary_single_class", y, p1))

    K = 5
    # 5 classes: 90 distinct probability rows, each used 1-7 times with random labels, so
    # every one-vs-rest score column has ties.
    base = softmax(rng.normal(0, 1.2, (90, K)) + 0.8 * np.eye(K)[rng.integers(0, K, 90)])
    reps = rng.integers(1, 8, 90)
    P = np.repeat(base, reps, axis=0)
    y = np.where(rng.uniform(size=len(P)) < 0.55, P.argmax(axis=1), rng.integers(0, K, len(P)))
    cases.append(multiclass_case("multi_ties", y, P))
    # Class 3 never predicted (its column is never the maximum).
    logits = rng.normal(0, 1, (350, K))
    logits[:, 3] -= 6
    y = rng.integers(0, K, 350)
    logits[np.arange(350), y] += 1.0
    cases.append(multiclass_case("multi_class_never_predicted", y, softmax(logits)))
    # Perfectly separable: the true class always has the largest probability by a margin.
    y = rng.integers(0, K, 300)
    logits = rng.normal(0, 0.5, (300, K))
    logits[np.arange(300), y] += 4
    cases.append(multiclass_case("multi_separable", y, softmax(logits)))
    # Extreme: one-hot rows (0 and 1 exactly), a third of them on a wrong class.
    y = rng.integers(0, K, 200)
    hot = np.where(rng.uniform(size=200) < 0.66, y, rng.integers(0, K, 200))
    cases.append(multiclass_case("multi_extreme", y, np.eye(K)[hot]))
    # Class 4 never occurs in y (but is sometimes predicted).
    y = rng.integers(0, 4, 260)
    logits = rng.normal(0, 1.0, (260, K))
    logits[np.arange(260), y] += 1.2
    logits[:, 4] += 0.3
    cases.append(multiclass_case("multi_absent_class", y, softmax(logits)))
    return cases


def logistic_gradient(X, y, K, alpha, W, b):
    """Gradient of mean(log loss) + alpha/2 ||W||^2 at (W, b) (binary: W is 1 x p)."""
    n = len(y)
    Z = X @ W.T + b
    if K == 2:
        r = 1 / (1 + np.exp(-Z[:, 0])) - y
        R = r[:, None]
    else:
        R = softmax(Z) - np.eye(K)[y]
    return np.concatenate([(R.T @ X / n + alpha * W).ravel(), R.mean(axis=0)])


def logistic_fit(name, X, y, K, alpha):
    n = len(y)
    C = np.inf if alpha == 0 else 1.0 / (alpha * n)
    m = LogisticRegression(C=C, l1_ratio=0.0, solver="newton-cholesky", tol=1e-14, max_iter=1000)
    m.fit(X, y)
    W, b = m.coef_, m.intercept_
    g = np.abs(logistic_gradient(X, y, K, alpha, W, b)).max()
    # Cross-check with L-BFGS, an independent solver: it stops on a relative decrease of
    # 64 eps in the objective, so it only agrees to ~1e-6; the gradient check above is the
    # real evidence that the Newton reference is converged.
    m2 = LogisticRegression(C=C, l1_ratio=0.0, solver="lbfgs", tol=1e-14, max_iter=100000).fit(X, y)
    dev = max(np.abs(m2.coef_ - W).max(), np.abs(m2.intercept_ - b).max())
    print(f"{name}: sklearn |grad|max {g:.2e}, newton-cholesky vs lbfgs {dev:.2e}, iterations {m.n_iter_}", file=sys.stderr)
    assert g < 1e-11 and dev < 1e-4, name
    return {
        "name": name, "classes": K, "alpha": alpha, "C": None if alpha == 0 else C,
        "x": X.T.tolist(), "y": y.tolist(),
        "coefficients": W.tolist(), "intercepts": b.tolist(),
        "probabilities": m.predict_proba(X).ravel().tolist(),
        "gradient_max": g,
    }


def logistic_cases(rng):
    fits = []
    # Binary: features on different scales and away from zero, overlapping classes.
    n, p = 300, 5
    X = np.round(rng.normal(0, 1, (n, p)) * np.array([1.0, 10.0, 0.1, 3.0, 1.0]) + np.array([0, 50, -2, 5, 0]), 4)
    z = 0.8 * (X[:, 0]) + 0.05 * (X[:, 1] - 50) + 6 * (X[:, 2] + 2) - 0.3 * (X[:, 3] - 5) + 0.3
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(int)
    fits.append(logistic_fit("binary_alpha_0.01", X, y, 2, 0.01))
    fits.append(logistic_fit("binary_alpha_0", X, y, 2, 0.0))
    # Binary with a constant column and strong penalty.
    Xc = np.column_stack([X[:, :3], np.full(n, 3.5)])
    fits.append(logistic_fit("binary_constant_column_alpha_0.5", Xc, y, 2, 0.5))
    # Multinomial, 4 classes.
    n, p, K = 400, 4, 4
    X = np.round(rng.normal(0, 1, (n, p)) * np.array([2.0, 0.5, 1.0, 4.0]) + np.array([1, -1, 0, 10]), 4)
    T = rng.normal(0, 1, (p, K))
    y = np.array([rng.choice(K, p=row) for row in softmax((X - [1, -1, 0, 10]) / [2.0, 0.5, 1.0, 4.0] @ T)])
    fits.append(logistic_fit("multinomial_alpha_0.02", X, y, K, 0.02))
    fits.append(logistic_fit("multinomial_alpha_0", X, y, K, 0.0))
    return fits


def main():
    print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}", file=sys.stderr)
    rng = np.random.default_rng(20)
    metrics = {"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": metric_cases(rng)}
    fits = {"sklearn": sklearn.__version__, "numpy": np.__version__, "fits": logistic_cases(rng)}
    for path, obj in [("Tests/MLCoreTests/Fixtures/classification_metrics.json", metrics),
                      ("Tests/LinearModelsTests/Fixtures/logistic_fixture.json", fits)]:
        full = os.path.join(ROOT, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            json.dump(obj, f, allow_nan=False, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(full)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
