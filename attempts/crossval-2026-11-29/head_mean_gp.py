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

import methods.gen_acquisition as ga
import methods.gen_pool as gen_pool
from head_moments import head_means, head_prior_log_ei

MODE = os.environ.get("HEAD_MEAN_MODE", "gp")
_main_build = ga.build_acquisition


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
