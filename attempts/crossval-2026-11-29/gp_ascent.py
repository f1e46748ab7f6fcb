"""Attempt. Import this to give the GP's own acquisition a search of its own in the pool: after the refinement
rounds, the GP_TOP (8) candidates with the largest GP term (not the mixture) take GP_STEPS (8) projected steps along
the finite-difference gradient of the log of the GP's term alone (as gradient_ascent.py does for the mixture), and
the points reached join the pool, scored by the mixture like every other candidate. The peers' GPs reach the
bounds of the cube by gradient (L-BFGS-B within the bounds); the mixture's maximum sits where the head puts it, so
ascending the mixture (gradient_ascent.py) never reached the GP's corners. Here the mixture still decides: a GP
maximiser wins only where the mixture's value there is the largest of the pool."""
import os

import numpy as np

import methods.gen_pool as gp
from boundary_candidates import search_pool_with

TOP = int(os.environ.get("GP_TOP", 8))
STEPS = int(os.environ.get("GP_STEPS", 8))
LR = float(os.environ.get("GP_LR", 0.1))
H = 1e-3


def gp_term(acquisition, points):
    return acquisition.score(points)[2]


def ascend(acquisition, X, starts, start_values, min_distance):
    """Projected ascent of the GP's log EI term from ``starts`` (k, d); returns the points reached."""
    k, d = starts.shape
    points, values = starts.copy(), start_values.copy()
    lr = np.full(k, LR)
    eye = np.eye(d)
    for _ in range(STEPS):
        plus = np.clip(points[:, None, :] + H * eye[None], 0, 1)
        minus = np.clip(points[:, None, :] - H * eye[None], 0, 1)
        v = gp_term(acquisition, np.concatenate([plus.reshape(-1, d), minus.reshape(-1, d)]))
        v_plus, v_minus = v[: k * d].reshape(k, d), v[k * d:].reshape(k, d)
        width = (plus - minus)[:, np.arange(d), np.arange(d)]
        grad = np.where(np.isfinite(v_plus) & np.isfinite(v_minus) & (width > 0),
                        (v_plus - v_minus) / np.maximum(width, 1e-12), 0.0)
        norm = np.linalg.norm(grad, axis=1, keepdims=True)
        step = np.where(norm > 0, grad / np.maximum(norm, 1e-12), 0.0)
        trial = np.clip(points + lr[:, None] * step, 0, 1)
        keep = gp.far_from(X, trial, min_distance)
        tv = np.full(k, -np.inf)
        if keep.any():
            tv[keep] = gp_term(acquisition, trial[keep])
        better = tv > values
        points[better], values[better] = trial[better], tv[better]
        lr[~better] /= 2
    return points


def ascend_gp_top(method, X, acquisition, pool, sources, scores):
    keep = gp.far_from(X, pool, method.suggest_cfg.min_distance)
    gp_values = np.full(len(pool), -np.inf)
    gp_values[keep] = gp_term(acquisition, pool[keep])
    top = np.argsort(-gp_values, kind="stable")[:TOP]
    top = top[np.isfinite(gp_values[top])]
    if not STEPS or not len(top):
        return pool[:0], sources[:0]
    points = ascend(acquisition, X, pool[top], gp_values[top], method.suggest_cfg.min_distance)
    return points, np.array([gp._REFINED[s] for s in sources[top]], dtype=object)


gp.search_pool = search_pool_with(final_step=ascend_gp_top)
print(f"patched search_pool: GP-term gradient ascent top {TOP}, {STEPS} steps, lr {LR}", flush=True)
