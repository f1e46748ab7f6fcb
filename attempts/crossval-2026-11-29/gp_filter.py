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
from boundary_candidates import search_pool_with

FACTOR = float(os.environ.get("GP_FILTER", 10.0))


def eligible_scores(scores, without_head):
    """The acquisition's values, -inf where the GP's term is below 1/FACTOR of its largest in the pool so far."""
    return np.where(without_head >= np.max(without_head) - math.log(FACTOR), scores, -np.inf)


gp.search_pool = search_pool_with(ranking=eligible_scores)
print(f"patched search_pool: only candidates within a factor {FACTOR} of the pool's best GP EI", flush=True)
