"""Attempt. Import this to follow the pool search by projected gradient ascent on the acquisition: from the
GRAD_TOP (8) best-scored candidates, GRAD_STEPS (8) steps along the finite-difference gradient of the log
acquisition (central differences of width 1e-3 per coordinate, one batched scoring per step), each step of
length GRAD_LR (0.1, halved whenever a point's value does not improve, the point then kept), projected onto
[0, 1]^d. BoTorch's optimize_acqf and Optuna's GPSampler maximise their acquisitions by gradient (L-BFGS-B,
bounded), which lands on the bounds where the acquisition increases towards them; the pool's Gaussian
perturbations reach a bound only from within a few of their std. A child keeps its parent's source
(decoded -> refined-decoded, as in the refinement rounds)."""
import os

import numpy as np

import methods.gen_pool as gp
from boundary_candidates import search_pool_with

TOP = int(os.environ.get("GRAD_TOP", 8))
STEPS = int(os.environ.get("GRAD_STEPS", 8))
LR = float(os.environ.get("GRAD_LR", 0.1))
H = 1e-3


def ascend(acquisition, X, starts, start_values, min_distance):
    """Projected finite-difference gradient ascent from ``starts`` (k, d); returns the points and their values."""
    k, d = starts.shape
    points, values = starts.copy(), start_values.copy()
    lr = np.full(k, LR)
    eye = np.eye(d)
    for _ in range(STEPS):
        plus = np.clip(points[:, None, :] + H * eye[None], 0, 1)           # (k, d, d)
        minus = np.clip(points[:, None, :] - H * eye[None], 0, 1)
        probe = np.concatenate([plus.reshape(-1, d), minus.reshape(-1, d)])
        v, _, _ = acquisition.score(probe)
        v_plus, v_minus = v[: k * d].reshape(k, d), v[k * d:].reshape(k, d)
        width = (plus - minus)[:, np.arange(d), np.arange(d)]               # (k, d), < 2H at a bound
        grad = np.where(np.isfinite(v_plus) & np.isfinite(v_minus) & (width > 0),
                        (v_plus - v_minus) / np.maximum(width, 1e-12), 0.0)
        norm = np.linalg.norm(grad, axis=1, keepdims=True)
        step = np.where(norm > 0, grad / np.maximum(norm, 1e-12), 0.0)
        trial = np.clip(points + lr[:, None] * step, 0, 1)
        tv, _, _ = gp.scored(acquisition, X, trial, min_distance)
        better = tv > values
        points[better], values[better] = trial[better], tv[better]
        lr[~better] /= 2
    return points


def ascend_top(method, X, acquisition, pool, sources, scores):
    """The ascent from the TOP best-scored candidates: (points, their sources)."""
    top = np.argsort(-scores, kind="stable")[:TOP]
    top = top[np.isfinite(scores[top])]
    if not STEPS or not len(top):
        return pool[:0], sources[:0]
    points = ascend(acquisition, X, pool[top], scores[top], method.suggest_cfg.min_distance)
    return points, np.array([gp._REFINED[s] for s in sources[top]], dtype=object)


gp.search_pool = search_pool_with(final_step=ascend_top)
print(f"patched search_pool: gradient ascent top {TOP}, {STEPS} steps, lr {LR}", flush=True)
