"""Attempt. boundary_incumbents.py restricted by the search space's column types: a copy of one of the history's 3
best configurations moves coordinate j to a bound only if j takes more than two distinct values in the space's
meta-train data (a hyperparameter's value, not a one-hot or missing-value flag) and the incumbent sets it strictly
inside (0.01, 0.99) (the hyperparameter is active there: HPO-B writes an inactive one as 0). In the continuous
protocol GEN-VAE's own suggestions put fractional values on flag columns, so a test on the history's values
(boundary_incumbents.py's BOUNDARY_COORDS=continuous, boundary_active.py) let copies set a second kernel flag of an
SVM to 1; the column types come from the meta-data, which the method has at meta-training time."""
import json
from functools import lru_cache

import numpy as np

import methods.gen_pool as gp
from boundary_candidates import copies_where, search_pool_with

META_TRAIN = {"mini-svm": "data/hpob-mini/hpob-data/meta-train-dataset.json",
              "mini-xgboost": "data/hpob-mini/hpob-data/meta-train-dataset.json",
              "yahpo-rpart": "data/yahpo-rpart/hpob-data/meta-train-dataset.json"}


@lru_cache(maxsize=None)
def value_columns(space):
    """(d,) bool: the columns with more than two distinct values over the space's meta-train datasets."""
    data = json.load(open(META_TRAIN[space]))[space]
    X = np.concatenate([np.asarray(v["X"], float) for v in data.values()])
    return np.array([len(np.unique(X[:, j])) > 2 for j in range(X.shape[1])])


def typed_copies(method, X, y, pool, sources, scores):
    columns = value_columns(str(method.search_space_id))
    return copies_where(X[np.argsort(-y, kind="stable")[:3]],
                        lambda centre, j, bound: columns[j] and 0.01 < centre[j] < 0.99)


gp.search_pool = search_pool_with(typed_copies)
print("patched search_pool: boundary copies of the incumbents in their active value columns", flush=True)
