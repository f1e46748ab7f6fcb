"""Attempt. pooled_ei.py's log-linear pooling of the head and the GP, in closed form and per GP member.

For one GP hyperparameter draw k (a Gaussian N(mu_k, s_k^2) of y), the pooled density
p_head(y)^w N(y; mu_k, s_k^2)^(1-w) is, up to a constant, the head's bar density to the power w times a Gaussian
of the same mean and std s_k / sqrt(1 - w). The head is uniform within each bin, so the pooled mass of bin j is
p_j^w [Phi(b) - Phi(a)] and its EI over best is p_j^w times the truncated Gaussian's partial expectation, both
in closed form: no sub-cells and no floor on the GP's tail masses (pooled_ei.py's 1e-300, which decided the
pooled density wherever w is near 1). The pooled EI is the average of the members' pooled EIs under the draws'
weights (the hyperparameters' posterior), as the GP's own EI is. A member whose Gaussian has no mass on the head's
support (numerically) contributes its own EI. The attribution's decider is "head" when the pooled EI exceeds the
GP's alone.

Measured (2026-11-30, tenth session) and not kept: hpob-mini continuous validation, method seeds 0 and 1,
regret at 10 / 25 / 50 0.0518 / 0.0357 / 0.0265 against the rule on main then (the linear mixture) 0.0423 /
0.0292 / 0.0238 (p = 0.08 / 0.07 / 0.25); yahpo-rpart validation 0.0069 / 0.0057 / 0.0052 (main 0.0079 / 0.0062 /
0.0054). Pooling the GP's mixture (its members' CDFs mixed first, the rule now on main) keeps hpob-mini level:
the mixture's tails, those of its widest members, veto less than each member's Gaussian."""
import math
import os

import numpy as np
import torch
from scipy.special import logsumexp

import methods.gen_acquisition as ga
from pooled_ei import pooling_inputs          # (importing it patches gen_pool; this module re-patches below)
import methods.gen_pool as gpool

DTYPE = np.float32 if os.environ.get("CLOSED_F32") == "1" else np.float64
_INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)


def pooled_member_ei(log_p, mu, sd, weight, best, edges):
    """EI over ``best`` of the pooled densities p_head^w N(mu_k, sd_k^2)^(1-w), for each member k.

    log_p (m, K): the head's log bin masses; mu, sd (k, m): the members' Gaussians, all in history units;
    edges (K+1,) the bins' edges. Returns each member's pooled EI (k, m) and whether that member had mass on
    the head's support (bool (k, m)). torch, in DTYPE."""
    K = len(edges) - 1
    inside = (edges[:-1] < best) & (best < edges[1:])
    cuts = np.sort(np.concatenate([edges, [best]])) if inside.any() else edges.copy()
    bins = np.minimum(np.searchsorted(edges, cuts[:-1], side="right") - 1, K - 1)     # (C-1,) bin of each interval
    above = cuts[:-1] >= best                                                          # intervals with gain
    n_below = int((~above).sum())
    dt = torch.float32 if DTYPE == np.float32 else torch.float64
    t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=dt)
    s = t(sd / math.sqrt(1.0 - weight))                                                # (k, m)
    mu_t = t(mu)
    z = (t(cuts)[None, None, :] - mu_t[..., None]) / s[..., None]                      # (k, m, C)
    tail = 0.5 * torch.special.erfc(z.abs() * _INV_SQRT_2)                             # the smaller tail
    lower = torch.where(z < 0, tail, 1 - tail)                                         # Phi(z)
    # Phi(zb) - Phi(za), from the upper tails where both are above the mean (no 1 - 1 cancellation)
    mass = torch.where(z[..., :-1] >= 0, tail[..., :-1] - tail[..., 1:], lower[..., 1:] - lower[..., :-1])
    mass = mass.clamp_min(0)                                                           # (k, m, C-1)
    # the partial expectation E[(Y - best) 1{a < Y < b}] of the intervals above best, in closed form
    z_up = z[..., n_below:]
    phi = torch.exp(-0.5 * z_up ** 2) * _INV_SQRT_2PI                                 # (k, m, A+1)
    mass_up = mass[..., n_below:]
    gain = (mu_t[..., None] - best) * mass_up + s[..., None] * (phi[..., :-1] - phi[..., 1:])
    gain = torch.minimum(gain.clamp_min(0), t(cuts[1:][above] - best) * mass_up)
    p_w = torch.exp(weight * (t(log_p) - t(log_p.max(axis=1, keepdims=True))))       # (m, K), the head^w
    p_int = p_w[:, torch.as_tensor(bins)]                                              # (m, C-1)
    norm = torch.einsum("kmc,mc->km", mass, p_int).double()                            # (k, m)
    top = torch.einsum("kma,ma->km", gain, p_int[:, n_below:]).double()
    ok = norm > (1e-280 if dt == torch.float64 else 1e-36)
    ei_k = torch.where(ok, top / torch.where(ok, norm, torch.ones_like(norm)), torch.zeros_like(norm))
    return ei_k.numpy(), ok.numpy()


def build_acquisition(method, X, y):
    acquisition, inputs = pooling_inputs(method, X, y)
    if inputs is None:
        return acquisition
    gp, best, weight, tokens, low, spread, best_u, edges = inputs
    mix = gp.mixture
    keep = mix.weights >= 1e-3 * mix.weights.max()
    w_k = mix.weights[keep] / mix.weights[keep].sum()

    log_w_all = np.log(mix.weights)[:, None]

    def score(candidates):
        with torch.no_grad():
            logits = method.predict_logits(X, y, candidates, tokens=tokens)
            log_p = torch.log_softmax(logits.double(), dim=-1).cpu().numpy()                # (m, K)
        means, stds = mix.predict_members(candidates)                                      # (k, m) raw units
        own = ga.log_gaussian_ei(means.ravel(), stds.ravel(), best).reshape(means.shape)    # each member's log EI
        from_gp = logsumexp(log_w_all + own, axis=0)                                       # = gp.log_ei
        mu, sd = (means[keep] - low) / spread, stds[keep] / spread
        ei_k, ok = pooled_member_ei(log_p, mu, sd, weight, best_u, edges)
        if not ok.all():
            ei_k = np.where(ok, ei_k, np.exp(own[keep]) / spread)
        with np.errstate(divide="ignore"):
            values = np.log(w_k @ ei_k) + math.log(spread)
        values = np.where(np.isfinite(values), values, from_gp)
        return values, values > from_gp, from_gp

    return ga.Acquisition(score, weight)


gpool.build_acquisition = build_acquisition
print(f"patched build_acquisition: head and GP pooled in closed form per member ({DTYPE.__name__})", flush=True)
