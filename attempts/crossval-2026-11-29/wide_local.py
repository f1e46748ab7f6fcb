"""Attempt. Import this to add to the initial pool WIDE_N (64) Gaussian perturbations of the history's 3 best
points with std WIDE_SCALE (0.2), clipped to [0, 1] (source "refined-incumbent"), beside the 64 of std 0.05.
A wide perturbation of an incumbent near a bound lands on it, often in several coordinates at once (std 0.2
from 0.86: on the bound with probability 0.24 per coordinate), where the GP peers' suggestions went on the
traced far-task run; unlike fixed boundary copies its mass follows the incumbent's distance to each bound."""
import os

import numpy as np

import methods.gen_pool as gp

N = int(os.environ.get("WIDE_N", 64))
SCALE = float(os.environ.get("WIDE_SCALE", 0.2))
_initial = gp.initial_pool


def initial_pool(method, X, y):
    pool, sources = _initial(method, X, y)
    top = np.argsort(-y, kind="stable")[: min(3, len(y))]
    wide, _ = gp.perturb(method, X[top], N, SCALE)
    return np.concatenate([pool, wide]), np.concatenate([sources, np.array(["refined-incumbent"] * N, dtype=object)])


gp.initial_pool = initial_pool
print(f"patched initial_pool: {N} perturbations of std {SCALE} added", flush=True)
