"""The learned head's bar distribution as numbers, for the attempt patches (no patching on import).

``bar_probs`` gives the bin masses; ``head_means`` the head's predictive mean and std (leave-one-out at
the evaluated points, from the whole history at candidates); ``head_prior_log_ei`` the EI of a GP fitted
to the residuals about that mean (the head-prior GP of ``head_mean_gp.py`` and ``stack_three.py``).
"""
import numpy as np
import torch
from scipy.special import logsumexp

import methods.gen_acquisition as ga
from methods.generative_hpo import history_scale


def bar_probs(logits: torch.Tensor) -> np.ndarray:
    """Bin masses of bar distributions, float64 (m, K)."""
    return torch.softmax(logits, -1).detach().cpu().numpy().astype(np.float64)


def bar_edges(predictor) -> np.ndarray:
    """The bar distribution's bin edges in history-normalised units, float64 (K+1,)."""
    return predictor.edges.detach().cpu().numpy().astype(np.float64)


def _raw(u: np.ndarray, history_y: np.ndarray) -> np.ndarray:
    """History-normalised y back to raw units (the inverse of normalize_query_y)."""
    low, spread = history_scale(history_y)
    if np.ptp(history_y) < 1e-12:
        return low + (u - 0.5)
    return low + spread * u


def _moments(predictor, logits):
    """Mean and std of the bar distribution (uniform within each bin), history-normalised units."""
    p, edges = bar_probs(logits), bar_edges(predictor)
    centres, widths = (edges[:-1] + edges[1:]) / 2, edges[1:] - edges[:-1]
    mean = p @ centres
    var = p @ (centres ** 2 + widths ** 2 / 12) - mean ** 2
    return mean, np.sqrt(np.maximum(var, 1e-12))


def head_means(method, X, y):
    """The head's leave-one-out mean and std of each y_i (n,) each, in raw units, and a function
    candidates -> its mean and std from the whole history (m,) each."""
    logits, _, spreads = ga.head_leave_one_out(method, X, y)
    predictor = method.model.predictor
    loo_u, loo_s = _moments(predictor, logits)
    keep = ~np.eye(len(X), dtype=bool)
    loo = np.array([_raw(loo_u[i], y[keep[i]]) for i in range(len(X))])
    tokens, _ = method.read_history(X, y)
    spread = history_scale(y)[1]

    def at(candidates):
        mean_u, std_u = _moments(predictor, method.predict_logits(X, y, candidates, tokens=tokens))
        return _raw(mean_u, y), std_u * spread

    return loo, loo_s * spreads, at


def head_prior_log_ei(mixture, moments_at, best, scaled):
    """candidates -> log EI over ``best`` of the GP ``mixture`` (fitted to the residuals) around the
    head's mean, its predictions multiplied by the head's std if ``scaled``: (m,)."""
    log_w = np.log(mixture.weights)[:, None]

    def log_ei(candidates):
        means, stds = mixture.predict_members(candidates)                     # residuals, (k, m)
        mean_c, std_c = moments_at(candidates)
        if scaled:
            means, stds = means * std_c[None], stds * std_c[None]
        means = means + mean_c[None]
        parts = ga.log_gaussian_ei(means.ravel(), stds.ravel(), best).reshape(means.shape)
        return logsumexp(log_w + parts, axis=0)

    return log_ei
