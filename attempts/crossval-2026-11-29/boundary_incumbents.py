"""Attempt. Import this to add, after the pool's first scoring, copies of the history's 3 best configurations with
one coordinate set to a bound of [0, 1] (each coordinate, each bound: 2 d copies each, source "refined-incumbent"),
scored before the refinement rounds (boundary_candidates.py does it for the pool's best-scored candidates).
With BOUNDARY_COORDS=continuous only the coordinates where the history has a value strictly inside (0.01, 0.99) are
moved: one-hot and missing-value flags already sit on their bounds."""
import os

import numpy as np

import methods.gen_pool as gp
from boundary_candidates import copies_where, search_pool_with


def incumbents_at_bounds(method, X, y, pool, sources, scores):
    coords = set(range(X.shape[1]))
    if os.environ.get("BOUNDARY_COORDS") == "continuous":
        coords = set(j for j in coords if np.any((X[:, j] > 0.01) & (X[:, j] < 0.99)))
    return copies_where(X[np.argsort(-y, kind="stable")[:3]], lambda centre, j, bound: j in coords)


gp.search_pool = search_pool_with(incumbents_at_bounds)
