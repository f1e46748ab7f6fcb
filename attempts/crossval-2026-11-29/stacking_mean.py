"""Attempt. Import this to make the stacking weight the posterior mean of w instead of its mode.

The stacking objective sum_i log(w p_head,i + (1 - w) p_gp,i) + log Beta(w; a, a) is read as a log posterior over
the head's share w. The mixture's EI is linear in w, so its expectation over that posterior is the EI of the mixture
at the posterior mean of w: the rule averages over w instead of trusting its mode, which with 5 to 10 observations
can sit near 0 or 1 on weak evidence.
"""
import numpy as np
from methods import gen_acquisition as ga


def stacking_weight(log_p_head, log_p_gp, prior=2.0):
    """E[w] under the posterior proportional to prod_i (w p_head,i + (1 - w) p_gp,i) Beta(w; prior, prior)."""
    grid, log_post = ga.stacking_objective(log_p_head, log_p_gp, prior)
    post = np.exp(log_post - log_post.max())
    return float((post * grid).sum() / post.sum())


ga.stacking_weight = stacking_weight
