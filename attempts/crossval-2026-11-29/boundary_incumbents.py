"""Attempt. Import this to add, after the pool's first scoring, copies of the history's 3 best configurations with
one coordinate set to a bound of [0, 1] (each coordinate, each bound: 2 d copies each, source "refined-incumbent"),
scored before the refinement rounds (boundary_candidates.py does it for the pool's best-scored candidates).
With BOUNDARY_COORDS=continuous only the coordinates where the history has a value strictly inside (0.01, 0.99) are
moved: one-hot and missing-value flags already sit on their bounds. The decoder's sigmoid output rarely reaches a bound, and on yahpo-rpart the
tasks where GEN-VAE trails have their optimum at cp = 0.86 to 1.0 (see cp_high_tasks.py)."""
import numpy as np

import methods.gen_pool as gp


def search_pool(method, X, y):
    cfg = method.suggest_cfg
    acquisition = gp.build_acquisition(method, X, y)
    pool, sources = gp.initial_pool(method, X, y)
    scores, by_head, without_head = gp.scored(acquisition, X, pool, cfg.min_distance)

    def add(children, child_sources):
        nonlocal pool, sources, scores, by_head, without_head
        child_scores, child_by_head, child_without = gp.scored(acquisition, X, children, cfg.min_distance)
        pool = np.concatenate([pool, children])
        sources = np.concatenate([sources, child_sources])
        scores = np.concatenate([scores, child_scores])
        by_head = np.concatenate([by_head, child_by_head])
        without_head = np.concatenate([without_head, child_without])

    best = np.argsort(-y, kind="stable")[:3]
    d = X.shape[1]
    copies = []
    import os
    coords = range(d)
    if os.environ.get("BOUNDARY_COORDS") == "continuous":
        coords = [j for j in range(d) if np.any((X[:, j] > 0.01) & (X[:, j] < 0.99))]
    for i in best:
        for j in coords:
            for bound in (0.0, 1.0):
                c = X[i].copy()
                c[j] = bound
                copies.append(c)
    if copies:
        add(np.array(copies), np.array(["refined-incumbent"] * len(copies), dtype=object))
    scale = cfg.local_scale
    for _ in range(cfg.refine_rounds):
        if not cfg.n_refine or not cfg.refine_top:
            break
        top = np.argsort(-scores, kind="stable")[: cfg.refine_top]
        children, picks = gp.perturb(method, pool[top], cfg.n_refine, scale)
        add(children, np.array([gp._REFINED[s] for s in sources[top][picks]], dtype=object))
        scale /= 2
    if not np.isfinite(scores).any():
        return method.rng.random((1, X.shape[1])), "uniform/gp"
    best = int(np.argmax(scores))
    return pool[[best]], gp.attribution(str(sources[best]), best, by_head, without_head)


gp.search_pool = search_pool
