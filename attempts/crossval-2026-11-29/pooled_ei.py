"""Attempt. The head and the GP pooled log-linearly instead of mixed: the predictive density of y at a candidate is
p_head(y)^w p_GP(y)^(1-w), normalised (a generalised product of experts, Cao & Fleet 2014), with w the stacking
weight fitted as on main. A mixture is optimistic wherever either model is: the head's upper tail in a region
this run has already shown poor keeps the mixture's EI up at any w > 0 (on the large-cp cross-validation runs the
head alone never improves on the initial design, and the mixture follows it). Under the pooled density a confident
GP (dense evaluations around a point) pins y whatever the head says, and where the GP is unsure (unexplored space)
the head's shape decides. EI of the pooled density on a grid of SUB (8) cells per bar-distribution bin (GP mass per
cell from its CDF, over its 16 Laplace members; the head's bin mass spread uniformly); where the two have no common
support the GP's EI is used. The attribution's decider is "head" when the pooled EI exceeds the GP's alone."""
import math
import os

import numpy as np
from scipy.special import logsumexp, ndtr

import methods.gen_acquisition as ga
import methods.gen_pool as gpool
from methods.generative_hpo import history_scale, normalize_query_y

SUB = int(os.environ.get("POOL_SUB", 8))
# POOL_GP=moments: the GP's 16 Laplace members collapsed to one Gaussian of the same mean and variance (16 times
# fewer CDFs; the rule's speed); "members" (default): each member's CDF, mixed
GP_MODE = os.environ.get("POOL_GP", "members")
FAST = os.environ.get("POOL_FAST") == "1"    # the members' CDFs mixed in float32, members of weight < 1e-3 x max dropped


_FittedGP = ga.FittedGP


def fitted_as_on_main(method, X, y):
    """The rule on main's acquisition (ga.build_acquisition: the GP fit, its Laplace draws, the stacking weight)
    and the GP it fitted."""
    fitted = []

    def keep(*args, **kwargs):
        fitted.append(_FittedGP(*args, **kwargs))
        return fitted[-1]

    ga.FittedGP = keep
    try:
        acquisition = ga.build_acquisition(method, X, y)
    finally:
        ga.FittedGP = _FittedGP
    return acquisition, (fitted[0] if fitted else None)


def pooling_inputs(method, X, y):
    """Main's acquisition, and what pooling it needs: (acquisition, None) where main's rule does not stack a
    head with a sampled GP, else (acquisition, (gp, best, weight, tokens, low, spread, best_u, edges))."""
    cfg = method.suggest_cfg
    acquisition, gp = fitted_as_on_main(method, X, y)
    if cfg.acquisition != "stacked-ei" or len(X) < 2 or not cfg.gp_samples:
        return acquisition, None
    best = float(np.max(y))
    tokens, _ = method.read_history(X, y)
    low, spread = history_scale(y)
    edges = method.model.predictor.edges.detach().cpu().numpy().astype(np.float64)        # (K+1,)
    return acquisition, (gp, best, acquisition.head_weight, tokens, low, spread,
                         float(normalize_query_y(best, y)), edges)


def build_acquisition(method, X, y):
    acquisition, inputs = pooling_inputs(method, X, y)
    if inputs is None:
        return acquisition
    gp, best, weight, tokens, low, spread, best_u, edges = inputs
    cuts = ga.cell_cuts(tuple(edges), SUB)                                                 # (K SUB + 1,)
    centres = (cuts[:-1] + cuts[1:]) / 2                                                   # (K SUB,)
    gain = np.maximum(centres - best_u, 0.0)
    mix = gp.mixture
    log_w_members = np.log(mix.weights)[:, None, None]

    def pooled_log_ei(candidates):
        out = np.empty(len(candidates))
        for start in range(0, len(candidates), 128):
            part = candidates[start:start + 128]
            p_head = ga_softmax(method.predict_logits(X, y, part, tokens=tokens).detach().cpu().numpy())   # (m, K)
            log_head = np.log(np.maximum(np.repeat(p_head / SUB, SUB, axis=1), 1e-300))                 # (m, K SUB)
            means, stds = mix.predict_members(part)                                        # (k, m) raw units
            mu, sd = (means - low) / spread, stds / spread
            if GP_MODE == "moments":
                w_k = mix.weights[:, None]
                mean = (w_k * mu).sum(0)
                sd = np.sqrt(np.maximum((w_k * (sd ** 2 + mu ** 2)).sum(0) - mean ** 2, 1e-24))[None]
                mu = mean[None]
                log_members = np.zeros((1, 1, 1))
            else:
                log_members = log_w_members
            if FAST and GP_MODE != "moments":
                # the members' CDFs mixed first (one weighted sum), then differenced: the same cell masses up to
                # the 1e-300 floor, without a log and a logsumexp over the members
                big = mix.weights >= 1e-3 * mix.weights.max()
                w_k = (mix.weights[big] / mix.weights[big].sum()).astype(np.float32)
                z = ((cuts[None, None, :] - mu[big][..., None]) / sd[big][..., None]).astype(np.float32)
                cdf = np.einsum("k,kmc->mc", w_k, ndtr(z)).astype(np.float64)
                log_gp = np.log(np.maximum(np.diff(cdf, axis=1), 1e-300))
            else:
                cdf = ndtr((cuts[None, None, :] - mu[..., None]) / sd[..., None])          # (k, m, K SUB + 1)
                cell = np.maximum(np.diff(cdf, axis=2), 1e-300)
                log_gp = logsumexp(log_members + np.log(cell), axis=0)                     # (m, K SUB)
            log_q = weight * log_head + (1 - weight) * log_gp
            log_q = log_q - logsumexp(log_q, axis=1, keepdims=True)
            with np.errstate(divide="ignore"):
                out[start:start + 128] = np.log(np.exp(log_q) @ gain) + math.log(spread)
        return out

    def score(candidates):
        pooled = pooled_log_ei(candidates)
        from_gp = gp.log_ei(candidates, best)
        values = np.where(np.isfinite(pooled), pooled, from_gp)
        return values, values > from_gp, from_gp

    return ga.Acquisition(score, weight)


def ga_softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z.astype(np.float64))
    return e / e.sum(axis=1, keepdims=True)


gpool.build_acquisition = build_acquisition
print(f"patched build_acquisition: head and GP pooled log-linearly ({SUB} cells per bin, GP {GP_MODE})", flush=True)
