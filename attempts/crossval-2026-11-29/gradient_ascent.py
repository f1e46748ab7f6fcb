"""Attempt. Import this to follow the pool search by projected gradient ascent on the acquisition: from the
GRAD_TOP (8) best-scored candidates, GRAD_STEPS (8) steps along the finite-difference gradient of the log
acquisition (central differences of width 1e-3 per coordinate, one batched scoring per step), each step of
length GRAD_LR (0.1, halved whenever a point's value does not improve, the point then kept), projected onto
[0, 1]^d. BoTorch's optimize_acqf and Optuna's GPSampler maximise their acquisitions by gradient (L-BFGS-B,
bounded), which lands on the bounds where the acquisition increases towards them; the pool's Gaussian
perturbations reach a bound only from within a few of their std. A child keeps its parent's source
(decoded -> refined-decoded, as in the refinement rounds)."""
import os

import methods.gen_pool as gp
from acquisition_ascent import ascent_step
from boundary_candidates import search_pool_with

TOP = int(os.environ.get("GRAD_TOP", 8))
STEPS = int(os.environ.get("GRAD_STEPS", 8))
LR = float(os.environ.get("GRAD_LR", 0.1))


gp.search_pool = search_pool_with(final_step=ascent_step(0, TOP, STEPS, LR))
print(f"patched search_pool: gradient ascent top {TOP}, {STEPS} steps, lr {LR}", flush=True)
