"""Attempt. boundary_incumbents.py with the copies restricted to the coordinates each incumbent itself sets to a
value strictly inside (0.01, 0.99): each of the history's 3 best configurations gets one copy per such coordinate
and bound, with that coordinate at the bound. HPO-B encodes an inactive conditional hyperparameter (an SVM's gamma
under a linear kernel, a booster's parameter of another booster) as 0 beside a missing-value flag, and one-hot
columns as 0/1; moving such a coordinate of a configuration to 1 makes a configuration that no run ever trained
(on hpob-mini's SVM space the ungated copies cost most on such datasets), while a hyperparameter the configuration
uses with an interior value is the one whose far end may hold the optimum (yahpo-rpart's large-cp tasks)."""
import numpy as np

import methods.gen_pool as gp
from boundary_candidates import copies_where, search_pool_with


def active_coordinate_copies(method, X, y, pool, sources, scores):
    return copies_where(X[np.argsort(-y, kind="stable")[:3]], lambda centre, j, bound: 0.01 < centre[j] < 0.99)


gp.search_pool = search_pool_with(active_coordinate_copies)
print("patched search_pool: boundary copies of the incumbents in their interior coordinates", flush=True)
