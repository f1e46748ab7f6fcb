"""Patch (imported before the runs): a Gaussian copula process whose marginals are the learned head's.

Each evaluated y_i is mapped through the head's leave-one-out predictive CDF (the
history without i) and the standard normal quantile: z_i = Phi^-1(F_head,i(y_i)). If the
head were right, the z_i would be independent N(0, 1); a GP fitted to them (FittedGP, with
its Laplace draws, as on main) learns where and how the head is wrong on this run. At a
candidate, the GP's prediction N(mu, s^2) of z is mapped back through the head's CDF from
the whole history: the predictive distribution of y keeps the head's bins, with bin j's
mass P(Phi^-1(c_j-1) < Z <= Phi^-1(c_j)) for the head's cumulative masses c. Far from the
data (mu = 0, s = 1 in a calibrated head) this is the head's own distribution and the EI is
the head's; near evaluated points the GP pins z and the head's tail no longer matters.
(Copula processes: Wilson & Ghahramani, 2010; a Gaussian copula for transfer in HPO:
Salinas, Shen & Perrone, 2020.)

EI uses the bar distribution's uniform-within-bin rule, with the bin that straddles the
incumbent split at the incumbent: its mass above it is the transformed distribution's.
"""
import numpy as np
from scipy.special import logsumexp, ndtr, ndtri, log_ndtr

import methods.gen_acquisition as ga
import methods.gen_pool as gen_pool
from head_moments import bar_edges, bar_probs
from methods.generative_hpo import history_scale, normalize_query_y

_main_build = ga.build_acquisition
_EPS = 1e-6


def bar_cdf(probs: np.ndarray, edges: np.ndarray, u: np.ndarray) -> np.ndarray:
    """CDF of bar distributions (m, K) with shared edges (K+1,) at u (m,): (m,)."""
    cum = np.concatenate([np.zeros((len(probs), 1)), np.cumsum(probs, axis=1)], axis=1)
    j = np.clip(np.searchsorted(edges, u, side="right") - 1, 0, len(edges) - 2)
    rows = np.arange(len(probs))
    inside = np.clip((u - edges[j]) / (edges[j + 1] - edges[j]), 0.0, 1.0)
    return np.clip(cum[rows, j] + probs[rows, j] * inside, 0.0, 1.0)


def build_acquisition(method, X, y):
    cfg = method.suggest_cfg
    if cfg.acquisition != "stacked-ei" or len(X) < 3 or cfg.gp_samples <= 0 or np.ptp(y) <= 0:
        return _main_build(method, X, y)
    predictor = method.model.predictor
    edges = bar_edges(predictor)
    logits, u, _ = ga.head_leave_one_out(method, X, y)
    z = ndtri(np.clip(bar_cdf(bar_probs(logits), edges, u.astype(np.float64)), _EPS, 1 - _EPS))
    gp = ga.FittedGP(X, z, seed=int(method.rng.integers(2**31)), start=method.gp_state,
                     prior=cfg.gp_prior, starts=cfg.gp_starts, samples=cfg.gp_samples)
    method.gp_state = gp.gp.kernel_
    mixture = gp.mixture
    w = mixture.weights[:, None, None]
    tokens, _ = method.read_history(X, y)
    best = float(normalize_query_y(np.max(y), y))                 # 1.0: the incumbent in history units
    log_spread = np.log(history_scale(y)[1])
    lower = np.maximum(edges[:-1], best)                          # each bin's part above the incumbent
    gain = (lower + edges[1:]) / 2 - best                         # (K,)
    above = edges[1:] > best

    def score(candidates):
        probs = bar_probs(method.predict_logits(X, y, candidates, tokens=tokens))                # (m, K)
        cum = np.clip(np.concatenate([np.zeros((len(probs), 1)), np.cumsum(probs, axis=1)], axis=1), 0, 1)
        z_edges = ndtri(cum)                                                                  # (m, K+1), +-inf at the ends
        z_best = ndtri(np.clip(bar_cdf(probs, edges, np.full(len(probs), best)), 0, 1))      # (m,)
        means, stds = mixture.predict_members(candidates)                                     # (k, m)
        mu, sd = means[:, :, None], stds[:, :, None]
        new_cum = np.sum(w * ndtr((z_edges[None] - mu) / sd), axis=0)                         # (m, K+1)
        at_best = np.sum(w[:, :, 0] * ndtr((z_best[None] - means) / stds), axis=0)           # (m,)
        start = np.where(edges[:-1][None] >= best, new_cum[:, :-1], at_best[:, None])         # (m, K)
        mass = np.clip(new_cum[:, 1:] - start, 0.0, None) * above[None]
        ei = mass @ gain
        # a candidate with no mass left above the incumbent ranks by the log of its tail mass, below all others
        tail = logsumexp(np.log(mixture.weights)[:, None] + log_ndtr((means - z_best[None]) / stds), axis=0)
        with np.errstate(divide="ignore"):
            values = np.where(ei > 1e-300, np.log(np.maximum(ei, 1e-300)) + log_spread, -1e3 + tail)
        return values, np.ones(len(values), dtype=bool), values

    return ga.Acquisition(score, 1.0)


ga.build_acquisition = build_acquisition
gen_pool.build_acquisition = build_acquisition      # gen_pool imports it by name
