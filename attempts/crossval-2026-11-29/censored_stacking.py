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
from methods.generative_hpo import history_scale, history_tensor, normalize_query_y

_density_loo = ga.FittedGP.leave_one_out_log_density


def head_censored_loo(method, X, y):
    """The head's censored leave-one-out log score of each y_i, (n,)."""
    n, threshold = len(X), float(np.median(y))
    keep = ~np.eye(n, dtype=bool)
    contexts = torch.cat([history_tensor(X[keep[i]], y[keep[i]]) for i in range(n)]).to(method.device)
    method.model.eval()
    with torch.no_grad():
        tokens, _ = method.model.history(contexts)
        queries = torch.as_tensor(X[:, None, :], dtype=torch.float32, device=method.device)
        logits = method.model.predictor(queries, tokens)[:, 0]                                   # (n, K)
        u = torch.as_tensor(np.array([normalize_query_y(y[i], y[keep[i]]) for i in range(n)], dtype=np.float32),
                            device=method.device)
        density = -method.model.predictor.nll(logits, u).cpu().numpy().astype(np.float64)
        probs = torch.softmax(logits, -1).cpu().numpy().astype(np.float64)                       # (n, K)
    edges = method.model.predictor.edges.cpu().numpy().astype(np.float64)
    spreads = np.array([history_scale(y[keep[i]])[1] for i in range(n)])
    scores = density - np.log(spreads)
    for i in np.flatnonzero(y <= threshold):
        u_t = float(normalize_query_y(threshold, y[keep[i]]))
        below = np.clip((u_t - edges[:-1]) / (edges[1:] - edges[:-1]), 0.0, 1.0)               # bin share below
        scores[i] = np.log(max(float(probs[i] @ below), 1e-300))
    return scores


def gp_censored_loo(self):
    """The GP mixture's censored leave-one-out log score of each y_i, (n,)."""
    m = self.mixture
    threshold = float(np.median(m.y))
    diag = np.maximum(m.k_inv_diag, 1e-12)                                                      # (k, n)
    means = ((m.y - m.shift) / m.scale - m.alpha / diag) * m.scale + m.shift
    stds = np.sqrt(1.0 / diag) * m.scale
    below = logsumexp(np.log(m.weights)[:, None] + norm.logcdf((threshold - means) / stds), axis=0)
    return np.where(m.y <= threshold, below, _density_loo(self))


ga.head_leave_one_out_log_density = head_censored_loo
ga.FittedGP.leave_one_out_log_density = gp_censored_loo
