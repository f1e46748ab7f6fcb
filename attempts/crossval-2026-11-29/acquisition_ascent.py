"""Projected finite-difference gradient ascent on one output of a fitted acquisition, for the attempt patches
(gradient_ascent.py: the mixture's log value; gp_ascent.py: the GP's term alone). Importing it patches nothing."""
import numpy as np

import methods.gen_pool as gp

H = 1e-3


def ascend(acquisition, X, starts, start_values, min_distance, which, steps, lr):
    """``steps`` steps from ``starts`` (k, d) along the central-difference gradient (width H per coordinate, one
    batched scoring per step) of output ``which`` of ``acquisition.score`` (0: the log value, 2: the GP's term),
    each step of length ``lr`` (halved whenever a point's value does not improve, the point then kept), projected
    onto [0, 1]^d; candidates within ``min_distance`` of an evaluated point score -inf. Returns the points."""
    k, d = starts.shape
    points, values = starts.copy(), start_values.copy()
    rates = np.full(k, lr)
    eye = np.eye(d)
    for _ in range(steps):
        plus = np.clip(points[:, None, :] + H * eye[None], 0, 1)           # (k, d, d)
        minus = np.clip(points[:, None, :] - H * eye[None], 0, 1)
        v = acquisition.score(np.concatenate([plus.reshape(-1, d), minus.reshape(-1, d)]))[which]
        v_plus, v_minus = v[: k * d].reshape(k, d), v[k * d:].reshape(k, d)
        width = (plus - minus)[:, np.arange(d), np.arange(d)]               # (k, d), < 2H at a bound
        grad = np.where(np.isfinite(v_plus) & np.isfinite(v_minus) & (width > 0),
                        (v_plus - v_minus) / np.maximum(width, 1e-12), 0.0)
        norm = np.linalg.norm(grad, axis=1, keepdims=True)
        step = np.where(norm > 0, grad / np.maximum(norm, 1e-12), 0.0)
        trial = np.clip(points + rates[:, None] * step, 0, 1)
        tv = gp.scored(acquisition, X, trial, min_distance)[which]
        better = tv > values
        points[better], values[better] = trial[better], tv[better]
        rates[~better] /= 2
    return points


def ascent_step(which, top, steps, lr):
    """A ``final_step`` for boundary_candidates.search_pool_with: the ascent of output ``which`` from the ``top``
    candidates of the pool that rank highest by it; the points reached keep their start's source, refined."""

    def final_step(method, X, acquisition, pool, sources, scores):
        min_distance = method.suggest_cfg.min_distance
        values = scores if which == 0 else gp.scored(acquisition, X, pool, min_distance)[which]
        starts = np.argsort(-values, kind="stable")[:top]
        starts = starts[np.isfinite(values[starts])]
        if not steps or not len(starts):
            return pool[:0], sources[:0]
        points = ascend(acquisition, X, pool[starts], values[starts], min_distance, which, steps, lr)
        return points, np.array([gp._REFINED[s] for s in sources[starts]], dtype=object)

    return final_step
