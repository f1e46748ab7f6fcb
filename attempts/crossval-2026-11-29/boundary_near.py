"""Attempt. boundary_incumbents.py with fewer, directed copies: each of the history's 3 best configurations is copied
with one continuous coordinate (a history value strictly inside (0.01, 0.99)) moved to its NEARER bound, and only
where the configuration is already within NEAR (0.25) of that bound, so a copy continues a direction the best points
already lean in (the peers' first moves on the traced far run) instead of trying both ends of every coordinate."""
import os

import numpy as np

import methods.gen_pool as gp
from boundary_candidates import copies_where, search_pool_with

NEAR = float(os.environ.get("NEAR", 0.25))


def near_bound_copies(method, X, y, pool, sources, scores):
    coords = set(j for j in range(X.shape[1]) if np.any((X[:, j] > 0.01) & (X[:, j] < 0.99)))
    return copies_where(X[np.argsort(-y, kind="stable")[:3]],
                        lambda centre, j, bound: j in coords and 0 < abs(centre[j] - bound) <= NEAR)


gp.search_pool = search_pool_with(near_bound_copies)
print(f"patched search_pool: incumbent copies at the nearer bound within {NEAR}", flush=True)
