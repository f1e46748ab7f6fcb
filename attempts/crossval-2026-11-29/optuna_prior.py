"""Attempt. Import this to give GEN-VAE's GP the hyperparameter priors of Optuna's GPSampler (Optuna 5.0.0).

The rule on main uses BoTorch's dimension-scaled priors (lengthscales LogNormal(sqrt(2) + log(d) / 2, sqrt(3)),
median 8.2 at d = 4; noise variance LogNormal(-4, 1)) and no prior on the amplitude. GP-Optuna, the strongest GP
peer on the cross-validation's tasks far from the meta-train optima, puts on each inverse squared lengthscale
s = 1 / l^2 the log density -(0.1 / s + 0.1 s) (mode at l = 1), on the amplitude (kernel scale) a Gamma(2, 1) and
on the noise variance a Gamma(1.1, 30), all on standardised y as here. Written here as negative log densities in
the natural parameters, with their gradients in sklearn's log-hyperparameters theta (as the rule on main's are);
the MAP fit and the Laplace draws use them through ``map_objective``. (GP-Optuna itself runs with
``deterministic_objective=True``, which fixes the noise; that is not copied here.)
"""
import numpy as np
from methods import gen_acquisition as ga


def log_prior_terms(theta, d):
    """Negative log prior of [log amplitude, log lengthscales (d), log noise] and its gradient (Optuna's priors)."""
    grad = np.zeros_like(theta)
    log_a, log_l, log_v = theta[0], theta[1:1 + d], theta[1 + d]
    # lengthscales: 0.1 / s + 0.1 s with s = exp(-2 log l)
    value = float(np.sum(0.1 * np.exp(2 * log_l) + 0.1 * np.exp(-2 * log_l)))
    grad[1:1 + d] = 0.2 * np.exp(2 * log_l) - 0.2 * np.exp(-2 * log_l)
    # amplitude Gamma(2, 1): -(log a - a)
    value += float(-log_a + np.exp(log_a))
    grad[0] = -1.0 + np.exp(log_a)
    # noise variance Gamma(1.1, 30): -(0.1 log v - 30 v)
    value += float(-0.1 * log_v + 30.0 * np.exp(log_v))
    grad[1 + d] = -0.1 + 30.0 * np.exp(log_v)
    return value, grad


ga.log_prior_terms = log_prior_terms
