"""Patch (imported before the runs): stacking over three predictive distributions instead of two.

The rule on main stacks the head's bar distribution and a GP fitted to y. The head-prior GP
(a GP on the head's standardised leave-one-out residuals) wins more runs than that rule but
has a heavier tail of runs where it misses the head's early lead. Here all three are mixed,
with weights (w_head, w_gp, w_prior) that maximise the leave-one-out log density of the
observed y plus a Dirichlet(2, 2, 2) log prior (grid of step 0.01 on the simplex). EI is
linear in the predictive distribution, so the mixture's EI is the weighted sum of the three.

``STACK_MODE=three`` (default): each GP fitted on its own. ``STACK_MODE=shared``: the
head-prior GP uses the GP's hyperparameter draws and weights (fitted to y) on the residuals
instead of its own fit (one GP fit per suggestion instead of two).
``STACK_MODE=reverse``: the other way round, one fit too: the head-prior GP is fitted, and the GP
on y uses its hyperparameter draws and weights. ``STACK_MODE=two``: no GP on y; the head and the
head-prior GP (fitted) stacked by the two-model rule on main (``stacking_weight``).
``STACK_WARM=1``: each GP's L-BFGS-B starts from its own fit at the previous suggestion.
``STACK_PRIOR=head-half``: a Dirichlet(2, 1.5, 1.5) prior instead of Dirichlet(2, 2, 2). The weights are
a MAP estimate, so what matters is the log prior: with the two GPs' weights equal, (1.5 - 1)(log w_gp +
log w_prior) = log(1 - w_head) + const, and the log prior is the two-model rule's Beta(2, 2) (mode 1/2 for
the head, instead of 1/3). (Dirichlet(2, 1, 1) would give the head's weight the Beta(2, 2) marginal, but its
mode is the head's vertex.)
"""
import os

import numpy as np
from scipy.special import logsumexp

import methods.gen_acquisition as ga
import methods.gen_pool as gen_pool
from head_moments import head_means, head_prior_log_ei

_main_build = ga.build_acquisition
WARM = os.environ.get("STACK_WARM", "0") == "1"   # each fit's L-BFGS-B from its previous fit (gp_starts "warm")
MODE = os.environ.get("STACK_MODE", "three")       # "three", "shared", "reverse" or "two" (see the docstring)
HEAD_HALF = os.environ.get("STACK_PRIOR", "uniform") == "head-half"   # Dirichlet(a, (a+1)/2, (a+1)/2) (docstring)
_STEP = 0.01


def simplex_weights(log_p: np.ndarray, prior=2.0) -> np.ndarray:
    """argmax over the simplex grid of sum_i log(sum_k w_k p_k,i) + sum_k (prior_k - 1) log w_k; log_p (K=3, n),
    prior a number (the same for all three) or one per model (3,)."""
    a = np.arange(1, int(round(1 / _STEP))) * _STEP
    grid = np.array([(x, y, 1 - x - y) for x in a for y in a if 1 - x - y > _STEP / 2])          # (G, 3)
    mix = logsumexp(np.log(grid)[:, :, None] + log_p[None], axis=1)                            # (G, n)
    objective = mix.sum(1) + np.log(grid) @ (np.broadcast_to(np.asarray(prior, float), (3,)) - 1.0)
    return grid[int(np.argmax(objective))]


def build_acquisition(method, X, y):
    cfg = method.suggest_cfg
    if cfg.acquisition != "stacked-ei" or len(X) < 3 or cfg.gp_samples <= 0:
        return _main_build(method, X, y)
    best = float(np.max(y))
    seed = int(method.rng.integers(2**31))
    starts = "warm" if WARM else cfg.gp_starts
    if MODE in ("three", "shared"):
        gp = ga.FittedGP(X, y, seed=seed, start=method.gp_state, prior=cfg.gp_prior, starts=starts,
                         samples=cfg.gp_samples)
        method.gp_state = gp.gp.kernel_
    head_loo = ga.head_leave_one_out_log_density(method, X, y)
    loo_mean, loo_std, moments_at = head_means(method, X, y)
    z = (y - loo_mean) / loo_std
    if MODE == "shared":      # the GP's kernel draws and weights, on the residuals: no second fit
        members = ga.GPMixture(X, z, gp.mixture.thetas, gp.mixture.weights)
    else:
        fit = ga.FittedGP(X, z, seed=seed, start=getattr(method, "residual_state", None), prior=cfg.gp_prior,
                          starts=starts, samples=cfg.gp_samples)
        method.residual_state = fit.gp.kernel_
        members = fit.mixture
    if MODE == "reverse":       # the GP on y at the head-prior GP's draws
        gp = ga.GPMixture(X, y, members.thetas, members.weights)
    means, stds = members.leave_one_out_members()                                              # z units, (k, n)
    prior_loo = logsumexp(np.log(members.weights)[:, None] + ga.log_normal_pdf(z[None], means, stds),
                          axis=0) - np.log(loo_std)
    if MODE == "two":
        w_prior = ga.stacking_weight(prior_loo, head_loo, cfg.stacking_prior)
        w_head, w_gp = 1.0 - w_prior, 0.0
    else:
        a = cfg.stacking_prior
        w_head, w_gp, w_prior = simplex_weights(np.stack([head_loo, gp.leave_one_out_log_density(), prior_loo]),
                                                (a, (a + 1) / 2, (a + 1) / 2) if HEAD_HALF else a)
    head_score = ga.head_log_ei(method, X, y)
    prior_log_ei = head_prior_log_ei(members, moments_at, best, scaled=True)

    def score(candidates):
        from_head = np.log(w_head) + head_score(candidates)
        with np.errstate(divide="ignore"):
            from_gp = np.log(w_gp) + gp.log_ei(candidates, best) if w_gp > 0 else np.full(len(candidates), -np.inf)
        from_prior = np.log(w_prior) + prior_log_ei(candidates)
        total = logsumexp(np.stack([from_head, from_gp, from_prior]), axis=0)
        return total, from_head >= np.maximum(from_gp, from_prior), from_gp

    return ga.Acquisition(score, float(w_head))


ga.build_acquisition = build_acquisition
gen_pool.build_acquisition = build_acquisition      # gen_pool imports it by name
