"""Attempt. boundary_incumbents.py (copies of the history's 3 best configurations with one coordinate at a bound,
BOUNDARY_COORDS=continuous: only coordinates with a history value strictly inside (0.01, 0.99)), added only when this
run's own evidence has turned against the meta-learned head: its stacking weight below GATE (0.5, where the GP
predicts the last evaluations better than the head). The copies cost hpob-mini's validation runs, where the head
transfers; on tasks unlike the meta-train tasks (yahpo-rpart's large-cp optima) the head's weight falls, and there the
copies gave most of the early gap back."""
import os

import numpy as np

import methods.gen_pool as gp
from boundary_candidates import copies_where, search_pool_with

GATE = float(os.environ.get("GATE", 0.5))
_build = gp.build_acquisition


def build_and_remember(method, X, y):
    acquisition = _build(method, X, y)
    method._head_weight = acquisition.head_weight
    return acquisition


def gated_incumbents_at_bounds(method, X, y, pool, sources, scores):
    if getattr(method, "_head_weight", 1.0) >= GATE:
        return pool[:0], sources[:0]
    coords = set(j for j in range(X.shape[1]) if np.any((X[:, j] > 0.01) & (X[:, j] < 0.99)))
    return copies_where(X[np.argsort(-y, kind="stable")[:3]], lambda centre, j, bound: j in coords)


gp.build_acquisition = build_and_remember
gp.search_pool = search_pool_with(gated_incumbents_at_bounds)
print(f"patched search_pool: boundary copies of the incumbents when the head's weight < {GATE}", flush=True)
