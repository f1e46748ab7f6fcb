"""Attempt, not kept. Import this to make the pool's Gaussian perturbations reflect at the bounds of [0, 1] instead of clipping
(a clipped perturbation of a boundary point lands exactly on the bound half of the time in that coordinate)."""
import numpy as np
import methods.gen_pool as gp


def perturb(method, centres, n, scale):
    picks = method.rng.integers(len(centres), size=n)
    children = centres[picks] + scale * method.rng.standard_normal((n, centres.shape[1]))
    children = np.abs(children)                      # reflect at 0
    children = 1.0 - np.abs(1.0 - children)          # reflect at 1
    return np.clip(children, 0.0, 1.0), picks


gp.perturb = perturb
print("patched perturb: reflect", flush=True)
