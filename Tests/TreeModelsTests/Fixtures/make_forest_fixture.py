#!/usr/bin/env python3
"""Reference accuracies of scikit-learn's RandomForestClassifier for RandomForestMulticlassTests.

Writes forest_multiclass_fixture.json next to this script:
  train_x, test_x   feature columns (list of columns), values rounded to 4 decimals
  train_y, test_y   class indices 0..3
  sklearn           per max_features setting ("all" = None, "sqrt"): test accuracy and log loss
                    of RandomForestClassifier(n_estimators=100, bootstrap=True), each the mean
                    over random_state 0..4 (one forest's figure moves with its seed)
Data: make_classification(1200 rows, 6 features, 4 informative, 4 classes, random_state=11),
first 900 rows for training, the last 300 for testing.
Run: /tmp/pv/bin/python make_forest_fixture.py   (scikit-learn 1.x)
"""
import json
import os

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, log_loss

x, y = make_classification(n_samples=1200, n_features=6, n_informative=4, n_redundant=1, n_classes=4,
                           n_clusters_per_class=1, class_sep=0.8, flip_y=0.02, random_state=11)
x = np.round(x, 4)
xtr, xte, ytr, yte = x[:900], x[900:], y[:900], y[900:]

reference = {}
for name, max_features in [("all", None), ("sqrt", "sqrt")]:
    acc, loss = [], []
    for seed in range(5):
        rf = RandomForestClassifier(n_estimators=100, max_features=max_features, random_state=seed, n_jobs=2)
        rf.fit(xtr, ytr)
        p = rf.predict_proba(xte)
        acc.append(accuracy_score(yte, rf.classes_[p.argmax(axis=1)]))
        loss.append(log_loss(yte, np.clip(p, 1e-15, 1), labels=rf.classes_))
    reference[name] = {"accuracy": float(np.mean(acc)), "log_loss": float(np.mean(loss)),
                       "accuracy_per_seed": [float(a) for a in acc]}

out = {
    "train_x": [xtr[:, j].tolist() for j in range(x.shape[1])],
    "test_x": [xte[:, j].tolist() for j in range(x.shape[1])],
    "train_y": ytr.tolist(),
    "test_y": yte.tolist(),
    "n_estimators": 100,
    "sklearn": reference,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "forest_multiclass_fixture.json")
with open(path, "w") as f:
    json.dump(out, f)
print(json.dumps(reference, indent=1))
