"""Attempt. The run's own GP as a filter on what the mixture may choose: a candidate whose GP expected improvement
is below 1/GP_FILTER (1/10) of the largest GP EI in the pool so far is not eligible, neither for the refinement rounds
nor as the suggestion; among the rest, the stacked EI decides as on main. On tasks unlike the meta-train tasks the
head keeps expecting improvements where this run has already found poor values (its EI alone never improves on the
initial design of the large-cp cross-validation runs), and the mixture follows it at a small stacking weight; the
GP's EI there is small because the run's evaluations ruled the region out. Where the GP is uncertain (the first
trials of a task the head knows) its EI is broad and the filter leaves the head's choice alone."""
import math
import os

import numpy as np

import methods.gen_pool as gp

FACTOR = float(os.environ.get("GP_FILTER", 10.0))


def search_pool(method, X, y):
    cfg = method.suggest_cfg
    acquisition = gp.build_acquisition(method, X, y)
    pool, sources = gp.initial_pool(method, X, y)
    scores, by_head, without_head = gp.scored(acquisition, X, pool, cfg.min_distance)

    def eligible_scores():
        floor = np.max(without_head) - math.log(FACTOR)
        return np.where(without_head >= floor, scores, -np.inf)

    scale = cfg.local_scale
    for _ in range(cfg.refine_rounds):
        if not cfg.n_refine or not cfg.refine_top:
            break
        top = np.argsort(-eligible_scores(), kind="stable")[: cfg.refine_top]
        children, picks = gp.perturb(method, pool[top], cfg.n_refine, scale)
        child_sources = np.array([gp._REFINED[s] for s in sources[top][picks]], dtype=object)
        child_scores, child_by_head, child_without = gp.scored(acquisition, X, children, cfg.min_distance)
        pool = np.concatenate([pool, children])
        sources = np.concatenate([sources, child_sources])
        scores = np.concatenate([scores, child_scores])
        by_head = np.concatenate([by_head, child_by_head])
        without_head = np.concatenate([without_head, child_without])
        scale /= 2
    if not np.isfinite(scores).any():
        return method.rng.random((1, X.shape[1])), "uniform/gp"
    final = eligible_scores()
    best = int(np.argmax(final))
    return pool[[best]], gp.attribution(str(sources[best]), best, by_head, without_head)


gp.search_pool = search_pool
print(f"patched search_pool: only candidates within a factor {FACTOR} of the pool's best GP EI", flush=True)
