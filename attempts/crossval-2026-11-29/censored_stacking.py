"""Patch (imported before the runs): the stacking weight scored by the censored likelihood.

The rule on main weighs the learned head against the GP by each model's leave-one-out
log density of every evaluated y. EI only cares about the upper tail, and the head's
leave-one-out density can be good on the many poor points while its upper tail holds a
run near a local optimum. Here each held-out y_i above the history's median y is scored by
its density, as before, and each y_i at or below the median by the model's probability of
Y <= median only (the censored likelihood score of Diks, Panchenko and van Dijk, 2011,
for the region above the median). Everything else is the rule on main.
"""
import numpy as np
import torch
from scipy.special import logsumexp
from scipy.stats import norm

import methods.gen_acquisition as ga
from head_moments import bar_edges, bar_probs
from methods.generative_hpo import normalize_query_y

_density_loo = ga.FittedGP.leave_one_out_log_density


def head_censored_loo(method, X, y):
    """The head's censored leave-one-out log score of each y_i, (n,)."""
    threshold = float(np.median(y))
    logits, u, spreads = ga.head_leave_one_out(method, X, y)
    density = -method.model.predictor.nll(logits, torch.as_tensor(u, device=method.device))
    scores = density.detach().cpu().numpy().astype(np.float64) - np.log(spreads)                # as on main
    probs, edges = bar_probs(logits), bar_edges(method.model.predictor)                          # (n, K), (K+1,)
    keep = ~np.eye(len(X), dtype=bool)
    for i in np.flatnonzero(y <= threshold):
        u_t = float(normalize_query_y(threshold, y[keep[i]]))
        below = np.clip((u_t - edges[:-1]) / (edges[1:] - edges[:-1]), 0.0, 1.0)               # bin share below
        scores[i] = np.log(max(float(probs[i] @ below), 1e-300))
    return scores


def gp_censored_loo(self):
    """The GP mixture's censored leave-one-out log score of each y_i, (n,)."""
    m = self.mixture
    threshold = float(np.median(m.y))
    means, stds = m.leave_one_out_members()                                                     # (k, n)
    below = logsumexp(np.log(m.weights)[:, None] + norm.logcdf((threshold - means) / stds), axis=0)
    return np.where(m.y <= threshold, below, _density_loo(self))


ga.head_leave_one_out_log_density = head_censored_loo
ga.FittedGP.leave_one_out_log_density = gp_censored_loo
