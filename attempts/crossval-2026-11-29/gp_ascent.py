"""Attempt. Import this to give the GP's own acquisition a search of its own in the pool: after the refinement
rounds, the GP_TOP (8) candidates with the largest GP term (not the mixture) take GP_STEPS (8) projected steps along
the finite-difference gradient of the log of the GP's term alone (acquisition_ascent.py, as gradient_ascent.py does for the mixture), and
the points reached join the pool, scored by the mixture like every other candidate. The peers' GPs reach the
bounds of the cube by gradient (L-BFGS-B within the bounds); the mixture's maximum sits where the head puts it, so
ascending the mixture (gradient_ascent.py) never reached the GP's corners. Here the mixture still decides: a GP
maximiser wins only where the mixture's value there is the largest of the pool."""
import os

import methods.gen_pool as gp
from acquisition_ascent import ascent_step
from boundary_candidates import search_pool_with

TOP = int(os.environ.get("GP_TOP", 8))
STEPS = int(os.environ.get("GP_STEPS", 8))
LR = float(os.environ.get("GP_LR", 0.1))


gp.search_pool = search_pool_with(final_step=ascent_step(2, TOP, STEPS, LR))
print(f"patched search_pool: GP-term gradient ascent top {TOP}, {STEPS} steps, lr {LR}", flush=True)
