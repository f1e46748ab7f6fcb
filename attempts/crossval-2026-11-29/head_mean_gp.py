"""Patch (imported before the runs): the learned head as the GP's prior mean.

The rule on main mixes two predictive distributions, the head's bar distribution and a
GP fitted to the run's history, with one stacking weight. Where the history piles up
around a local optimum, the head's upper tail there gives the mixture an EI floor that
the GP's EI elsewhere cannot beat, even at weights of 0.07 to 0.2.

Here the head enters the GP instead: the GP models the residual of y about the head's
predictive mean (a meta-learned prior mean, as in transfer-learning BO with a stack of
residual GPs, Golovin et al. 2017). At an evaluated point the mean is the head's
leave-one-out prediction (the history without that point), so that the residuals
measure how wrong the head is on this run; at a candidate it is the head's prediction
from the whole history. The GP's hyperparameters and their Laplace draws are fitted to
the residuals as on main. Where the residual GP is sure (dense evaluations around an
incumbent) the head's mean is corrected and its tail no longer matters; far from the
data the prediction reverts to the head's mean with the residuals' spread.

``HEAD_MEAN_MODE``: ``"gp"`` (default): EI of the residual GP alone. ``"scaled"``: the same
with the residual divided by the head's predictive std (leave-one-out at the evaluated
points, from the whole history at a candidate), so that the head's mean and spread are
the GP's prior (kernel s(x) s(x') k(x, x')).
"""
import os

import numpy as np
from scipy.special import logsumexp

import methods.gen_acquisition as ga
import methods.gen_pool as gen_pool
from methods.generative_hpo import history_scale

MODE = os.environ.get("HEAD_MEAN_MODE", "gp")
_main_build = ga.build_acquisition


def _raw(u: np.ndarray, history_y: np.ndarray) -> np.ndarray:
    """History-normalised y back to raw units (the inverse of normalize_query_y)."""
    low, spread = history_scale(history_y)
    if np.ptp(history_y) < 1e-12:
        return low + (u - 0.5)
    return low + spread * u


def _moments(predictor, logits):
    """Mean and std of the bar distribution (uniform within each bin), history-normalised units."""
    import torch
    p = torch.softmax(logits, -1).detach().cpu().numpy().astype(np.float64)
    edges = predictor.edges.detach().cpu().numpy().astype(np.float64)
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


def build_acquisition(method, X, y):
    cfg = method.suggest_cfg
    if cfg.acquisition != "stacked-ei" or len(X) < 3 or cfg.gp_samples <= 0:
        return _main_build(method, X, y)
    loo, loo_std, moments_at = head_means(method, X, y)
    scale = loo_std if MODE == "scaled" else np.ones_like(loo)
    gp = ga.FittedGP(X, (y - loo) / scale, seed=int(method.rng.integers(2**31)), start=method.gp_state,
                     prior=cfg.gp_prior, starts=cfg.gp_starts, samples=cfg.gp_samples)
    method.gp_state = gp.gp.kernel_
    score = head_prior_log_ei(gp.mixture, moments_at, float(np.max(y)), MODE == "scaled")
    return ga.Acquisition(lambda c: ga._alone(score(c), by_head=True), 1.0)


ga.build_acquisition = build_acquisition
gen_pool.build_acquisition = build_acquisition      # gen_pool imports it by name
