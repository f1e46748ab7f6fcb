"""Attempt. Import this to add, after the pool's first scoring, copies of its best-scored candidates with one
coordinate set to a bound of [0, 1] (each of the refine_top best, each coordinate, each bound: 2 d copies each),
scored before the refinement rounds. The decoder's sigmoid output rarely reaches a bound, and on yahpo-rpart the
tasks where GEN-VAE trails have their optimum at cp = 0.86 to 1.0 (see cp_high_tasks.py).
``search_pool_with`` is the pool search with such a step; boundary_incumbents.py uses it too."""
import numpy as np

import methods.gen_pool as gp


def at_bounds(centres, eligible):
    """Copies of each centre (k, d) with one coordinate j set to a bound b in {0, 1}, for every (j, b) with
    ``eligible(centre, j, b)``: (c, d) and each copy's centre row (c,)."""
    copies, parents = [], []
    for i, centre in enumerate(centres):
        for j in range(centres.shape[1]):
            for bound in (0.0, 1.0):
                if eligible(centre, j, bound):
                    c = centre.copy()
                    c[j] = bound
                    copies.append(c)
                    parents.append(i)
    return np.array(copies).reshape(-1, centres.shape[1]), np.array(parents, dtype=int)


def copies_where(centres, eligible):
    """``at_bounds``'s copies of incumbents, with their source "refined-incumbent" (c,)."""
    copies, _ = at_bounds(centres, eligible)
    return copies, np.array(["refined-incumbent"] * len(copies), dtype=object)


def search_pool_with(boundary_step=None, final_step=None, ranking=None):
    """gen_pool.search_pool with ``boundary_step(method, X, y, pool, sources, scores)`` -> (copies, their sources)
    scored and added after the first scoring, ``final_step(method, X, acquisition, pool, sources, scores)``
    -> (points, their sources) scored and added after the refinement rounds (gradient_ascent.py), and
    ``ranking(scores, without_head)`` -> the values the refinement rounds and the choice rank by (gp_filter.py;
    the acquisition's values by default)."""

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

        if boundary_step is not None:
            copies, copy_sources = boundary_step(method, X, y, pool, sources, scores)
            if len(copies):
                add(copies, copy_sources)
        scale = cfg.local_scale
        for _ in range(cfg.refine_rounds):
            if not cfg.n_refine or not cfg.refine_top:
                break
            ranked = scores if ranking is None else ranking(scores, without_head)
            top = np.argsort(-ranked, kind="stable")[: cfg.refine_top]
            children, picks = gp.perturb(method, pool[top], cfg.n_refine, scale)
            add(children, np.array([gp._REFINED[s] for s in sources[top][picks]], dtype=object))
            scale /= 2
        if not np.isfinite(scores).any():
            return method.rng.random((1, X.shape[1])), "uniform/gp"
        if final_step is not None:
            points, point_sources = final_step(method, X, acquisition, pool, sources, scores)
            if len(points):
                add(points, point_sources)
        best = int(np.argmax(scores if ranking is None else ranking(scores, without_head)))
        return pool[[best]], gp.attribution(str(sources[best]), best, by_head, without_head)

    return search_pool


def best_candidates_at_bounds(method, X, y, pool, sources, scores):
    top = np.argsort(-scores, kind="stable")[: method.suggest_cfg.refine_top]
    copies, parents = at_bounds(pool[top], lambda centre, j, bound: True)
    return copies, np.array([gp._REFINED[s] for s in sources[top][parents]], dtype=object)


gp.search_pool = search_pool_with(best_candidates_at_bounds)
