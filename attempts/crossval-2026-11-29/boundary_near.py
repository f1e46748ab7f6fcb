"""Attempt. boundary_incumbents.py with fewer, directed copies: each of the history's 3 best configurations is copied
with one continuous coordinate (a history value strictly inside (0.01, 0.99)) moved to its NEARER bound, and only
where the configuration is already within NEAR (0.25) of that bound, so a copy continues a direction the best points
already lean in (the peers' first moves on the traced far run) instead of trying both ends of every coordinate."""
import os

import numpy as np

import methods.gen_pool as gp
from boundary_candidates import search_pool_with

NEAR = float(os.environ.get("NEAR", 0.25))


def near_bound_copies(method, X, y, pool, sources, scores):
    coords = [j for j in range(X.shape[1]) if np.any((X[:, j] > 0.01) & (X[:, j] < 0.99))]
    copies = []
    for centre in X[np.argsort(-y, kind="stable")[:3]]:
        for j in coords:
            for bound in (0.0, 1.0):
                if 0 < abs(centre[j] - bound) <= NEAR:
                    c = centre.copy()
                    c[j] = bound
                    copies.append(c)
    copies = np.array(copies).reshape(-1, X.shape[1])
    return copies, np.array(["refined-incumbent"] * len(copies), dtype=object)


gp.search_pool = search_pool_with(near_bound_copies)
print(f"patched search_pool: incumbent copies at the nearer bound within {NEAR}", flush=True)
