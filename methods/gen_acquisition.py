"""GEN-VAE's acquisitions: they score candidates, given one run's history.

The default, ``"stacked-ei"``, is expected improvement under two predictive
distributions of y combined:

* the meta-learned predictive head of ``methods/generative_hpo.py`` (each
  candidate attends to the history's tokens; a bar distribution of y), and
* a Gaussian process fitted to this run's history (scikit-learn: Matern-5/2
  kernel with one lengthscale per dimension, amplitude and noise; by default
  the maximum a posteriori under the priors of BoTorch's default GP, the
  dimension-scaled lengthscale prior of Hvarfner et al., 2024). Its EI and
  leave-one-out densities are averaged over draws of the hyperparameters from
  their posterior (a Laplace approximation around that fit, importance-weighted
  towards the posterior itself), as in Snoek et al. (2012): a lengthscale that
  the history leaves uncertain then widens the GP's predictions instead of
  being fixed at one value.

The head's weight w is chosen on this run's own evidence, by stacking (Yao et
al., 2018): it maximises the leave-one-out log density of the observed y under
``w p_head + (1 - w) p_gp`` with a Beta(2, 2) prior on w, over the last
``stacking_points`` (16) evaluations, where the search now is (each held-out
point costs the head one pass over a history). The head's leave-one-out
predictions condition it on the history without the held-out point; the GP's
come in closed form (Rasmussen & Williams, 2006, eq. 5.12). A head that
transfers well to this task gets the weight early; where it is wrong on this
run's evaluations (for instance on a flat plateau around the incumbent) the GP
takes over.

With that weight the two are pooled log-linearly (``pooling="log-linear"``, the
default): the predictive density is ``p_head^w p_gp^(1-w)``, normalised (a
generalised product of experts, Cao & Fleet, 2014), and its EI is computed on a
grid of cells per bin of the head (:func:`pooled_ei`). Where the GP is sure of
y, because this run has evaluations nearby, it pins the pooled density whatever
the head expects; where it is unsure, the head's shape decides. The linear
mixture ``w p_head + (1 - w) p_gp`` (``pooling="linear"``, the rule before) has
EI ``w EI_head + (1 - w) EI_gp`` and is optimistic wherever either model is: on
search spaces far from the meta-training data a head that expects improvement
in a region the run has already shown poor kept drawing the search there. The
pooled EI is computed for a shortlist of each call's candidates, the best by
each model's own EI (``pool_shortlist``); the others are not chosen.

Every acquisition returns, per candidate, its log value (higher is better),
whether the learned head's term is the larger part of that value (pooled: the
pooled EI exceeds the GP's alone), and the log value under the GP's term alone
(what the choice would have been without the head).
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import torch
from scipy.linalg import cho_solve
from scipy.linalg.lapack import dpotrf, dpotri, dpotrs, dtrtri
from scipy.special import erfcx, logsumexp, ndtr

if TYPE_CHECKING:  # pragma: no cover
    from methods.generative_hpo import GenerativeHPO

ACQUISITIONS = ("stacked-ei", "learned-ei", "gp-ei", "botorch-gp-ei", "none")
POOLINGS = ("log-linear", "linear")        # how "stacked-ei" combines the head and the GP
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT5 = math.sqrt(5.0)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)


# ------------------------------------------------------------------ closed forms
def log_gaussian_ei(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """log E[max(Y - best, 0)] for Y ~ N(mean, std^2), stable far in the tail: (m,)."""
    std = np.maximum(np.asarray(std, np.float64), 1e-12)
    z = (np.asarray(mean, np.float64) - best) / std
    log_phi = -0.5 * z ** 2 - _LOG_SQRT_2PI
    out = np.empty_like(z)
    pos = z >= 0
    # z >= 0: h(z) = z Phi(z) + phi(z), no cancellation
    zp = z[pos]
    out[pos] = np.log(zp * ndtr(zp) + np.exp(log_phi[pos]))
    # z < 0: h(z) = phi(z) (1 - |z| R(|z|)), R the Mills ratio = sqrt(pi/2) erfcx(|z| / sqrt(2))
    a = -z[~pos]
    tail = 1.0 - a * math.sqrt(math.pi / 2) * erfcx(a / math.sqrt(2))
    out[~pos] = log_phi[~pos] + np.log(np.maximum(tail, 1e-300))
    return out + np.log(std)


def mixture_log_ei(means: np.ndarray, stds: np.ndarray, weights: np.ndarray, best: float) -> np.ndarray:
    """log EI over ``best`` of a mixture of Gaussians, members' means and stds (k, m), weights (k,): (m,)
    (EI is linear in the predictive distribution)."""
    parts = log_gaussian_ei(means.ravel(), stds.ravel(), best).reshape(means.shape)
    return logsumexp(np.log(weights)[:, None] + parts, axis=0)


def log_normal_pdf(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    std = np.maximum(std, 1e-12)
    return -0.5 * ((y - mean) / std) ** 2 - np.log(std) - _LOG_SQRT_2PI


# ------------------------------------------------------------------------ GP
GP_PRIORS = ("none", "dim-scaled")
GP_STARTS = ("both", "warm", "prior")      # where the MAP fit's L-BFGS-B starts (FittedGP)
_LS_LOC, _LS_SCALE = math.sqrt(2.0), math.sqrt(3.0)     # BoTorch's dimension-scaled lengthscale prior
_NOISE_LOC, _NOISE_SCALE = -4.0, 1.0                    # and its noise-variance prior


def log_prior_terms(theta: np.ndarray, d: int) -> tuple[float | np.ndarray, np.ndarray]:
    """Negative log prior density of sklearn's log-hyperparameters [log amplitude, log lengthscales (d),
    log noise] and its gradient: LogNormal densities of the lengthscales and of the noise variance.
    theta (p,) gives a float and (p,); k settings (k, p) give (k,) and (k, p)."""
    grad = np.zeros_like(theta)
    ls, noise = theta[..., 1:1 + d], theta[..., 1 + d]
    loc = _LS_LOC + 0.5 * math.log(d)
    # -log LogNormal(l; mu, s) = log l + (log l - mu)^2 / (2 s^2) + const, in theta = log l
    value = np.sum(ls + (ls - loc) ** 2 / (2 * _LS_SCALE ** 2), axis=-1) \
        + noise + (noise - _NOISE_LOC) ** 2 / (2 * _NOISE_SCALE ** 2)
    grad[..., 1:1 + d] = 1.0 + (ls - loc) / _LS_SCALE ** 2
    grad[..., 1 + d] = 1.0 + (noise - _NOISE_LOC) / _NOISE_SCALE ** 2
    return (float(value) if theta.ndim == 1 else value), grad


def _kernel_matrices(thetas: np.ndarray, sq_diff: np.ndarray, jitter: float = 1e-10):
    """``FittedGP``'s kernel, constant * Matern-5/2 (ARD) + white noise + jitter, at k log-hyperparameter
    settings (k, p) [log amplitude, log lengthscales (d), log noise] on squared coordinate differences
    (n, n, d): K (k, n, n), and what its gradient needs: the scaled distances r and exp(-sqrt(5) r)
    (k, n, n), the amplitudes and noises (k,) and the inverse squared lengthscales (k, d)."""
    amplitude, noise = np.exp(thetas[:, 0]), np.exp(thetas[:, -1])
    inv_sq_lengthscales = np.exp(-2.0 * thetas[:, 1:-1])                                   # (k, d)
    n = sq_diff.shape[0]
    r = np.sqrt(np.maximum(inv_sq_lengthscales @ sq_diff.reshape(n * n, -1).T, 0.0)).reshape(-1, n, n)
    decay = np.exp(-_SQRT5 * r)
    K = amplitude[:, None, None] * ((1.0 + _SQRT5 * r + 5.0 / 3.0 * r * r) * decay)
    K.reshape(len(thetas), n * n)[:, ::n + 1] += (noise + jitter)[:, None]                 # the diagonals
    return K, r, decay, amplitude, noise, inv_sq_lengthscales


@functools.lru_cache(maxsize=64)
def _upper_indices(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the strict upper triangle of an (n, n) matrix (cached: one history size per suggestion)."""
    return np.triu_indices(n, 1)


def batch_neg_log_marginal_likelihood(thetas: np.ndarray, sq_diff: np.ndarray, y_n: np.ndarray,
                                      gradient: bool = True, jitter: float = 1e-10):
    """-log p(y_n | theta) and its gradient at k settings (k, p) at once: values (k,) (inf where the
    kernel matrix is not positive definite) and gradients (k, p), or None with ``gradient=False``.

    The same function as scikit-learn's ``log_marginal_likelihood`` for ``FittedGP``'s kernel (its
    1e-10 jitter included), written for this one kernel: ``sq_diff`` (n, n, d) holds the squared
    coordinate differences of the history.
    """
    k, n = len(thetas), len(y_n)
    K, r, decay, amplitude, noise, inv_sq_lengthscales = _kernel_matrices(thetas, sq_diff, jitter)
    values = np.full(k, np.inf)
    W = np.zeros((k, n, n)) if gradient else None
    ok = np.zeros(k, dtype=bool)
    for b in range(k):
        # LAPACK's potrf, potrs and potri: the Cholesky factor, K^-1 y_n and K^-1 (its lower triangle)
        L, info = dpotrf(K[b], lower=1)
        if info != 0:
            continue
        ok[b] = True
        alpha = dpotrs(L, y_n, lower=1)[0]
        values[b] = 0.5 * (y_n @ alpha) + np.log(np.diagonal(L)).sum() + 0.5 * n * math.log(2 * math.pi)
        if gradient:
            k_inv = dpotri(L, lower=1)[0]
            upper = _upper_indices(n)
            k_inv[upper] = k_inv.T[upper]                                                    # the mirror image
            W[b] = np.outer(alpha, alpha) - k_inv                                            # d log p / dK
    if not gradient:
        return values, None
    grads = np.empty_like(thetas)
    trace_W = np.trace(W, axis1=1, axis2=2)
    grads[:, 0] = 0.5 * np.sum(W * K, axis=(1, 2)) - 0.5 * (noise + jitter) * trace_W    # dK/dlog a = a M
    # dK/dlog l_j = slope * (x_j - x'_j)^2 / l_j^2
    slope = W * (amplitude[:, None, None] * 5.0 / 3.0 * (1.0 + _SQRT5 * r) * decay)      # (k, n, n)
    grads[:, 1:-1] = 0.5 * (slope.reshape(k, n * n) @ sq_diff.reshape(n * n, -1)) * inv_sq_lengthscales
    grads[:, -1] = 0.5 * noise * trace_W
    if not ok.all():
        grads[~ok] = 0.0
    return values, -grads


def neg_log_marginal_likelihood(theta: np.ndarray, sq_diff: np.ndarray, y_n: np.ndarray,
                                jitter: float = 1e-10, gradient: bool = True) -> tuple[float, np.ndarray | None]:
    """:func:`batch_neg_log_marginal_likelihood` at one setting theta (p,): value and gradient (p,)."""
    values, grads = batch_neg_log_marginal_likelihood(theta[None], sq_diff, y_n, gradient, jitter)
    return float(values[0]), (grads[0] if gradient else None)


def map_objective(X: np.ndarray, y: np.ndarray) -> Callable[..., tuple[np.ndarray, np.ndarray | None]]:
    """thetas (k, p) -> (-log marginal likelihood - log prior (k,), its gradients (k, p) or None with
    ``gradient=False``), the likelihood on y standardised as ``normalize_y`` does."""
    spread = float(np.std(y))
    y_n = (y - np.mean(y)) / (spread if spread > 0 else 1.0)
    sq_diff = (X[:, None, :] - X[None, :, :]) ** 2

    def objective(thetas, gradient: bool = True):
        nll, grad = batch_neg_log_marginal_likelihood(thetas, sq_diff, y_n, gradient)
        prior, prior_grad = log_prior_terms(thetas, X.shape[1])
        return nll + prior, (grad + prior_grad if gradient else None)

    return objective


def _map_optimizer(second_start: np.ndarray | None, X: np.ndarray, y: np.ndarray):
    """sklearn ``optimizer`` callable: minimise :func:`map_objective` by L-BFGS-B from sklearn's start
    and, if given, from ``second_start``; keep the better."""
    from scipy.optimize import minimize

    batch = map_objective(X, y)

    def objective(theta):
        values, grads = batch(theta[None])
        return values[0], grads[0]

    def optimize(obj_func, initial_theta, bounds):
        starts = [initial_theta]
        if second_start is not None:
            starts.append(np.clip(second_start, bounds[:, 0], bounds[:, 1]))
        best = None
        for theta0 in starts:
            result = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds)
            if best is None or result.fun < best.fun:
                best = result
        return best.x, best.fun

    return optimize


def _start_kernel(d: int, first: float):
    """``FittedGP``'s kernel before its fit: constant * Matern-5/2 (ARD, lengthscales ``first``) + white noise."""
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    return (ConstantKernel(1.0, (1e-2, 1e2)) * Matern(np.full(d, first), (1e-2, 1e2), nu=2.5)
            + WhiteKernel(1e-3, (1e-6, 1e-1)))


@functools.lru_cache(maxsize=64)
def _cached_theta_and_bounds(d: int, first: float) -> tuple[np.ndarray, np.ndarray]:
    kernel = _start_kernel(d, first)
    return kernel.theta, kernel.bounds


def _theta_and_bounds(d: int, first: float) -> tuple[np.ndarray, np.ndarray]:
    """``FittedGP``'s starting kernel's theta and bounds (scikit-learn computes them by introspection, a
    tenth of a millisecond each; they depend on d and the first lengthscale alone): fresh copies."""
    theta, bounds = _cached_theta_and_bounds(d, first)
    return theta.copy(), bounds.copy()


class FittedGP:
    """scikit-learn GP on one history: constant * Matern-5/2 (ARD) + white noise, y standardised.

    ``prior="none"``: amplitude, lengthscales and noise by marginal likelihood
    (L-BFGS-B, one start: ``start``, the previous suggestion's fitted kernel, else
    lengthscale 0.5). ``prior="dim-scaled"``: by maximum a posteriori, with the
    priors of BoTorch's default GP (Hvarfner et al., 2024): lengthscales
    LogNormal(sqrt(2) + log(d) / 2, sqrt(3)), noise variance LogNormal(-4, 1).
    Where that fit's L-BFGS-B starts: ``starts="prior"``, at the prior's median
    (``start`` is ignored: the fit depends on this history alone); ``"warm"``, at
    ``start``; ``"both"``, at each, the better optimum kept. Without ``start`` every
    choice is one run from the median.

    ``samples > 0`` (with the prior): the predictive distribution is a
    :class:`GPMixture`, one GP per draw of :func:`laplace_samples` around the MAP
    fit, weighted by its importance weight; ``log_ei`` and
    ``leave_one_out_log_density`` use the mixture. ``predict`` and
    ``leave_one_out`` stay the MAP fit's.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, seed: int, start=None, prior: str = "dim-scaled",
                 starts: str = "prior", samples: int = 0):
        if prior not in GP_PRIORS:
            raise ValueError(f"gp prior must be one of {', '.join(GP_PRIORS)}, got {prior!r}")
        if starts not in GP_STARTS:
            raise ValueError(f"gp starts must be one of {', '.join(GP_STARTS)}, got {starts!r}")
        d = X.shape[1]
        first = 0.5 if prior == "none" else math.exp(_LS_LOC + 0.5 * math.log(d))
        kernel = _start_kernel(d, first)
        median, bounds = _theta_and_bounds(d, first)    # the prior's median (log-hyperparameters), bounds
        warm = start is not None and (prior == "none" or starts != "prior") and start.n_dims == len(median)
        if warm:
            kernel, bounds = start, start.bounds
        self.X, self.y, self.seed = X, y, seed
        self._gp = None
        if prior == "none":             # scikit-learn's own marginal-likelihood fit
            self._gp = self._regressor(kernel, "fmin_l_bfgs_b")
            self.kernel_ = self._gp.kernel_
        else:
            # the two-start fit adds a run from the median; without a warm start the first run is there already
            second = median if warm and starts == "both" else None
            # what scikit-learn's fit does with this optimizer, without its bookkeeping: one L-BFGS-B run (or
            # two) from the kernel's theta within its bounds; the kernel at the optimum
            theta, _ = _map_optimizer(second, X, y)(None, kernel.theta if warm else median, bounds)
            self.kernel_ = kernel.clone_with_theta(theta)
        # the predictive distribution: the MAP fit alone, or a mixture of GPs over hyperparameter draws
        self.mixture = None
        if samples and prior != "none":
            # around the fitted kernel's theta as scikit-learn returns it (it stores exp(theta))
            thetas, weights = laplace_samples(map_objective(X, y), self.kernel_.theta, bounds, samples, seed)
            self.mixture = GPMixture(X, y, thetas, weights)

    def _regressor(self, kernel, optimizer):
        from sklearn.gaussian_process import GaussianProcessRegressor

        gp = GaussianProcessRegressor(kernel, normalize_y=True, random_state=self.seed, optimizer=optimizer)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gp.fit(self.X, self.y)

    @property
    def gp(self):
        """scikit-learn's GP at the fitted kernel (built on first use: only ``predict`` and
        ``leave_one_out`` need it)."""
        if self._gp is None:
            self._gp = self._regressor(self.kernel_, None)
        return self._gp

    def log_ei(self, candidates: np.ndarray, best: float) -> np.ndarray:
        """log EI over ``best`` under the predictive distribution (the mixture's, if any), (m,)."""
        return mixture_log_ei(*self.members(candidates), best)

    def members(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The predictive distribution as a mixture of Gaussians: each member's mean and std of y in raw
        units (k, m) and the members' weights (k,); the MAP fit alone is one member."""
        if self.mixture is None:
            mean, std = self.predict(candidates)
            return mean[None], std[None], np.ones(1)
        means, stds = self.mixture.predict_members(candidates)
        return means, stds, self.mixture.weights

    def leave_one_out_log_density(self) -> np.ndarray:
        """log density of each y_i under the prediction from the others (the mixture's, if any), (n,)."""
        if self.mixture is None:
            return log_normal_pdf(self.y, *self.leave_one_out())
        return self.mixture.leave_one_out_log_density()

    def predict(self, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and std of y in raw units, (m,) each."""
        mean, std = self.gp.predict(candidates, return_std=True)
        return mean.reshape(-1), np.maximum(std.reshape(-1), 1e-12)

    def leave_one_out(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std of each y_i predicted from the others (the MAP hyperparameters), (n,) each."""
        return _leave_one_out(self.gp, self.X, self.y)


def _loo_moments(y: np.ndarray, alpha: np.ndarray, k_inv_diag: np.ndarray, shift: float,
                 scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form leave-one-out mean and std (Rasmussen & Williams, 2006, eq. 5.12) in raw units of
    y, from K^-1 y_n (alpha) and diag(K^-1) of a GP on y standardised by (shift, scale): (..., n) each."""
    diag = np.maximum(k_inv_diag, 1e-12)
    return ((y - shift) / scale - alpha / diag) * scale + shift, np.sqrt(1.0 / diag) * scale


def _leave_one_out(gp, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out mean and std of a fitted scikit-learn GP with ``normalize_y``, (n,) each."""
    k_inv = cho_solve((gp.L_, True), np.eye(len(X)))
    return _loo_moments(y, gp.alpha_.reshape(-1), np.diag(k_inv), float(np.atleast_1d(gp._y_train_mean)[0]),
                        float(np.atleast_1d(gp._y_train_std)[0]))


class GPMixture:
    """GPs of ``FittedGP``'s kernel at several log-hyperparameter settings (k, p) on one history, mixed
    with ``weights`` (k,): the same predictions as scikit-learn's GP at each setting (y standardised,
    1e-10 jitter, the white noise in the predictive std), written with numpy for speed. A setting
    whose kernel matrix is not positive definite is dropped."""

    def __init__(self, X: np.ndarray, y: np.ndarray, thetas: np.ndarray, weights: np.ndarray):
        spread = float(np.std(y))
        self.shift, self.scale = float(np.mean(y)), (spread if spread > 0 else 1.0)
        self.X, self.y = X, y
        y_n = (y - self.shift) / self.scale
        K = _kernel_matrices(thetas, (X[:, None, :] - X[None, :, :]) ** 2)[0]           # (k, n, n)
        keep, L_inv_T = [], []
        for i in range(len(thetas)):
            try:
                L = np.linalg.cholesky(K[i])
            except np.linalg.LinAlgError:
                continue
            keep.append(i)
            L_inv_T.append(dtrtri(L, lower=1)[0].T)
        if not keep:
            raise np.linalg.LinAlgError("no hyperparameter draw gave a positive definite kernel matrix")
        self.thetas = thetas[keep]
        self.weights = weights[keep] / weights[keep].sum()
        self.amplitude, self.noise = np.exp(self.thetas[:, 0]), np.exp(self.thetas[:, -1])          # (k,)
        self.inv_sq_lengthscales = np.exp(-2.0 * self.thetas[:, 1:-1])                              # (k, d)
        self.L_inv_T = np.array(L_inv_T)                                                            # (k, n, n)
        k_inv = self.L_inv_T @ self.L_inv_T.transpose(0, 2, 1)                                      # (k, n, n)
        self.alpha = k_inv @ y_n                                                                    # (k, n)
        self.k_inv_diag = np.diagonal(k_inv, axis1=1, axis2=2)                                      # (k, n)

    def predict_members(self, candidates: np.ndarray, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Each member's predictive mean and std of y in raw units, (k, m) each; ``chunk`` candidates at a
        time keep the (k, chunk, n) intermediates in cache (the same numbers as one pass)."""
        if len(candidates) > chunk:
            parts = [self.predict_members(candidates[start:start + chunk], chunk)
                     for start in range(0, len(candidates), chunk)]
            return np.concatenate([p[0] for p in parts], axis=1), np.concatenate([p[1] for p in parts], axis=1)
        m, n = len(candidates), len(self.X)
        sq_diff = ((candidates[:, None, :] - self.X[None, :, :]) ** 2).reshape(m * n, -1)   # (m n, d)
        r = np.sqrt(np.maximum(self.inv_sq_lengthscales @ sq_diff.T, 0.0)).reshape(-1, m, n)    # (k, m, n)
        K_star = self.amplitude[:, None, None] * (1.0 + _SQRT5 * r + 5.0 / 3.0 * r ** 2) * np.exp(-_SQRT5 * r)
        means = (K_star @ self.alpha[:, :, None])[:, :, 0] * self.scale + self.shift
        v = K_star @ self.L_inv_T                                                               # (k, m, n)
        var = np.maximum((self.amplitude + self.noise)[:, None] - np.sum(v ** 2, axis=2), 0.0)
        return means, np.maximum(np.sqrt(var) * self.scale, 1e-12)

    def leave_one_out_members(self) -> tuple[np.ndarray, np.ndarray]:
        """Each member's leave-one-out mean and std of each y_i in raw units, (k, n) each."""
        return _loo_moments(self.y[None], self.alpha, self.k_inv_diag, self.shift, self.scale)

    def leave_one_out_log_density(self) -> np.ndarray:
        """log of the mixture's leave-one-out density of each y_i, (n,)."""
        parts = log_normal_pdf(self.y[None], *self.leave_one_out_members())
        return logsumexp(np.log(self.weights)[:, None] + parts, axis=0)


def laplace_samples(objective: Callable[..., tuple[np.ndarray, np.ndarray | None]], mode: np.ndarray,
                    bounds: np.ndarray, k: int, seed: int, max_std: float = _LS_SCALE,
                    step: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """k draws of the GP's log-hyperparameters from the Laplace approximation of their posterior
    around the MAP ``mode``, and self-normalised importance weights that correct them towards the
    posterior itself (exp(-objective)): (k, p) and (k,). ``objective(thetas, gradient=True)`` returns
    the negative log posterior at each row of thetas and its gradients (None with
    ``gradient=False``), as :func:`map_objective`'s does.

    The Hessian comes from forward differences of the analytic gradient; its eigenvalues are kept at
    or above 1 / max_std^2, so no direction is wider than the lengthscale prior (std sqrt(3) in log
    space). Draws are clipped to ``bounds``.
    """
    p = len(mode)
    gradients = objective(np.concatenate([mode[None], mode + step * np.eye(p)]))[1]   # (p + 1, p), one pass
    hessian = (gradients[1:] - gradients[0]) / step
    hessian = 0.5 * (hessian + hessian.T)
    if not np.all(np.isfinite(hessian)):
        return mode[None], np.ones(1)
    values, vectors = np.linalg.eigh(hessian)
    values = np.maximum(values, 1.0 / max_std ** 2)
    root = vectors / np.sqrt(values)                    # covariance = root @ root.T
    z = np.random.default_rng(seed).standard_normal((k, p))
    thetas = np.clip(mode + z @ root.T, bounds[:, 0], bounds[:, 1])
    log_q = -0.5 * np.sum(z ** 2, axis=1)                           # up to a constant
    log_post = -objective(thetas, gradient=False)[0]
    log_w = np.where(np.isfinite(log_post), log_post - log_q, -np.inf)
    if not np.isfinite(log_w).any():
        return mode[None], np.ones(1)
    w = np.exp(log_w - np.max(log_w))
    keep = w > 0
    return thetas[keep], w[keep] / w[keep].sum()


# --------------------------------------------------------------- learned head
@torch.no_grad()
def head_leave_one_out(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray, held: np.ndarray | None = None):
    """The head's prediction of each y_i (i in ``held``, default all n) from the history without i: logits
    (h, K), y_i in the units of that history (h,) and that history's spread (h,); needs n >= 2.

    The h histories are built at once and normalised by the rule that normalises one history
    (``generative_hpo.history_scales``)."""
    from methods.generative_hpo import history_scales, in_history_units, normalize_histories

    n, d = X.shape
    held = np.arange(n) if held is None else np.asarray(held)
    h = len(held)
    keep = np.ones((h, n), dtype=bool)
    keep[np.arange(h), held] = False
    X_loo = np.broadcast_to(X, (h, n, d))[keep].reshape(h, n - 1, d)                 # row i: X without x_held[i]
    y_loo = np.broadcast_to(y, (h, n))[keep].reshape(h, n - 1)
    u = in_history_units(y[held], y_loo).astype(np.float32)
    contexts = torch.from_numpy(np.concatenate([X_loo, normalize_histories(y_loo)[..., None]], axis=2)
                                .astype(np.float32))
    method.eval_mode()
    tokens, _ = method.model.history(contexts.to(method.device))                                      # (h, n-1, E)
    queries = torch.as_tensor(X[held, None, :], dtype=torch.float32, device=method.device)             # (h, 1, d)
    logits = method.model.predictor(queries, tokens)[:, 0]                                             # (h, K)
    return logits, u, history_scales(y_loo)[1]


def head_leave_one_out_log_density(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray,
                                   held: np.ndarray | None = None) -> np.ndarray:
    """log p_head(y_i | x_i, history without i) in raw units of y, for i in ``held`` (default all), (h,);
    needs n >= 2."""
    logits, u, spreads = head_leave_one_out(method, X, y, held)
    log_density = -method.model.predictor.nll(logits, torch.as_tensor(u, device=method.device))
    return log_density.detach().cpu().numpy().astype(np.float64) - np.log(spreads)


def head_log_ei(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """log EI of the head's bar distribution over the history's best, in raw units of y: candidates -> (m,)."""
    from methods.generative_hpo import history_scale

    tokens, _ = method.read_history(X, y)              # the history is read once per suggestion
    log_spread = math.log(history_scale(y)[1])

    def score(candidates: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(method.expected_improvement(X, y, candidates, tokens=tokens)) + log_spread

    return score


def stacking_objective(log_p_head: np.ndarray, log_p_gp: np.ndarray,
                       prior: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """A grid of w in (0, 1) (G,) and sum_i log(w p_head,i + (1 - w) p_gp,i) + log Beta(w; prior, prior) on it (G,)."""
    grid = np.linspace(0.0, 1.0, 201)[1:-1]                                          # (G,)
    with np.errstate(divide="ignore"):
        mix = np.logaddexp(np.log(grid)[:, None] + log_p_head[None], np.log1p(-grid)[:, None] + log_p_gp[None])
    return grid, mix.sum(1) + (prior - 1.0) * (np.log(grid) + np.log1p(-grid))


def stacking_weight(log_p_head: np.ndarray, log_p_gp: np.ndarray, prior: float = 2.0) -> float:
    """argmax over w in [0, 1] of the stacking objective (leave-one-out log density of the mixture + log prior)."""
    grid, objective = stacking_objective(log_p_head, log_p_gp, prior)
    return float(grid[int(np.argmax(objective))])


# ------------------------------------------------------------------ pooling
@functools.lru_cache(maxsize=8)
def cell_cuts(edges: tuple, cells: int) -> np.ndarray:
    """The cells' boundaries: ``cells`` equal cells per bin of ``edges`` (K + 1,), (K cells + 1,)."""
    return np.concatenate([np.linspace(edges[j], edges[j + 1], cells + 1)[:-1] for j in range(len(edges) - 1)]
                          + [np.array(edges[-1:])])


@torch.no_grad()
def pooled_ei(log_p: np.ndarray, means: np.ndarray, stds: np.ndarray, member_weights: np.ndarray, weight: float,
              best: float, edges: np.ndarray, cells: int = 4, floor: float = 1e-300) -> np.ndarray:
    """EI over ``best`` of the head's and the GP's predictive distributions pooled log-linearly, (m,).

    q(y) is proportional to p_head(y)^w p_gp(y)^(1 - w) (a generalised product of experts, Cao & Fleet,
    2014): where the GP is sure of y (it has evaluations nearby) it pins q whatever the head says, and
    where it is not, the head's shape decides. Computed on ``cells`` equal cells per bin of the head's bar
    distribution (its mass spread uniformly within a bin) with the GP's mass per cell from its mixture's
    CDF and survival function (whichever side is the smaller, so that both tails keep their masses down
    to ``floor``, float64's range); q's support is the head's, [edges[0], edges[-1]].

    log_p (m, K): the head's log bin masses; means, stds (k, m) and member_weights (k,): the GP's mixture
    of Gaussians; y, ``best`` and ``edges`` (K + 1,) all in the head's units (history-normalised).
    """
    cuts = cell_cuts(tuple(edges), cells)                                                     # (C + 1,)
    gain = torch.as_tensor(np.maximum((cuts[:-1] + cuts[1:]) / 2 - best, 0.0))                   # (C,)
    z = (torch.as_tensor(cuts)[None, None, :] - torch.as_tensor(means)[..., None]) \
        / torch.as_tensor(stds)[..., None]                                                     # (k, m, C + 1)
    tail = 0.5 * torch.special.erfc(z.abs() * _INV_SQRT2)                 # each member's smaller tail
    below, rest = z < 0, 1 - tail
    w_k = torch.as_tensor(member_weights, dtype=torch.float64)
    cdf = torch.einsum("k,kmc->mc", w_k, torch.where(below, tail, rest))                      # (m, C + 1)
    survival = torch.einsum("k,kmc->mc", w_k, torch.where(below, rest, tail))
    cell = torch.where(cdf[:, :-1] > 0.5, survival[:, :-1] - survival[:, 1:], cdf[:, 1:] - cdf[:, :-1])
    log_head = torch.as_tensor(log_p, dtype=torch.float64).repeat_interleave(cells, dim=1)    # (m, C), + const
    log_q = weight * log_head + (1.0 - weight) * torch.log(cell.clamp_min(floor))
    return (torch.softmax(log_q, dim=1) @ gain).numpy()


def shortlist(head_values: np.ndarray, gp_values: np.ndarray, top: int) -> np.ndarray:
    """Indices of the union of the ``top`` best candidates by each model's own EI (all, if that is most)."""
    if top <= 0 or len(head_values) <= 2 * top:
        return np.arange(len(head_values))
    return np.union1d(np.argsort(-head_values, kind="stable")[:top], np.argsort(-gp_values, kind="stable")[:top])


# ---------------------------------------------------------------- assembly
@dataclass
class Acquisition:
    """A fitted acquisition: ``score(candidates)`` -> (log value (m,), the head's term is the larger (m,) bool,
    log value of the GP's term alone (m,))."""

    score: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
    head_weight: float     # the learned head's share of the predictive mixture (1 = head alone, 0 = GP alone)


def _alone(values: np.ndarray, by_head: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One model's acquisition: every value is its own, and the same without the head."""
    return values, np.full(len(values), by_head), values


def botorch_log_ei(X: np.ndarray, y: np.ndarray, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Log EI under BoTorch's SingleTaskGP fitted to the history, as GP-BO uses it (ablation)."""
    from botorch.acquisition import LogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    if len(y) < 2 or np.ptp(y) <= 0:
        return lambda candidates: np.zeros(len(candidates))
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.simplefilter("ignore")
        train_X = torch.as_tensor(X, dtype=torch.float64)
        train_Y = torch.as_tensor(y.reshape(-1, 1), dtype=torch.float64)
        try:
            model = SingleTaskGP(train_X, train_Y)
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            acquisition = LogExpectedImprovement(model, best_f=train_Y.max())
        except Exception:  # a failed fit ranks nothing; the pool order decides
            return lambda candidates: np.zeros(len(candidates))

    def score(candidates: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            pool = torch.as_tensor(candidates, dtype=torch.float64).unsqueeze(1)          # (m, 1, d)
            values = torch.cat([acquisition(part) for part in pool.split(2048)]).numpy()
        return np.where(np.isfinite(values), values, -np.inf)

    return score


def build_acquisition(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray) -> Acquisition:
    """Fit the configured acquisition to the history once; the pool search then scores with it."""
    kind = method.suggest_cfg.acquisition
    best = float(np.max(y))
    if kind == "learned-ei":
        head_score = head_log_ei(method, X, y)
        return Acquisition(lambda c: _alone(head_score(c), by_head=True), 1.0)
    if kind == "botorch-gp-ei":
        gp_score = botorch_log_ei(X, y, seed=int(method.rng.integers(2**62)))
        return Acquisition(lambda c: _alone(gp_score(c), by_head=False), 0.0)
    gp = FittedGP(X, y, seed=int(method.rng.integers(2**31)), start=method.gp_state,
                   prior=method.suggest_cfg.gp_prior, starts=method.suggest_cfg.gp_starts,
                   samples=method.suggest_cfg.gp_samples)
    method.gp_state = gp.kernel_         # the next fit's warm start (gp_starts "warm"/"both", gp_prior "none")

    def gp_log_ei(candidates):
        return gp.log_ei(candidates, best)

    if kind == "gp-ei" or len(X) < 2:
        weight = 0.0 if kind == "gp-ei" else 0.5
    else:
        last = method.suggest_cfg.stacking_points or len(X)      # the last evaluations, where the search now is
        held = np.arange(max(0, len(X) - last), len(X))
        weight = stacking_weight(head_leave_one_out_log_density(method, X, y, held),
                                 gp.leave_one_out_log_density()[held], method.suggest_cfg.stacking_prior)
    if weight == 0.0:
        return Acquisition(lambda c: _alone(gp_log_ei(c), by_head=False), 0.0)

    if method.suggest_cfg.pooling == "log-linear":
        return pooled_acquisition(method, X, y, gp, weight)
    head_score = head_log_ei(method, X, y)

    def score(candidates):
        from_head = math.log(weight) + head_score(candidates)
        from_gp = math.log1p(-weight) + gp_log_ei(candidates)
        return np.logaddexp(from_head, from_gp), from_head >= from_gp, from_gp

    return Acquisition(score, weight)


def pooled_acquisition(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray, gp: FittedGP,
                       weight: float) -> Acquisition:
    """EI of the head and the GP pooled log-linearly with the head's stacking weight (:func:`pooled_ei`),
    on a shortlist of each call's candidates: the ``pool_shortlist`` best by the head's own EI and by the
    GP's (the others are not chosen: -inf). The head's term is the larger where the pooled EI exceeds
    the GP's alone."""
    from methods.generative_hpo import history_scale, normalize_query_y

    cfg, predictor = method.suggest_cfg, method.model.predictor
    best = float(np.max(y))
    tokens, _ = method.read_history(X, y)              # the history is read once per suggestion
    low, spread = history_scale(y)
    best_u = float(normalize_query_y(best, y))
    edges = predictor.edges.detach().cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def score(candidates):
        logits = method.predict_logits(X, y, candidates, tokens=tokens)                       # (m, K)
        head = predictor.expected_improvement(logits, best_u).cpu().numpy()
        means, stds, w_k = gp.members(candidates)                                             # (k, m) raw units
        from_gp = mixture_log_ei(means, stds, w_k, best)                                      # the GP's log EI
        chosen = shortlist(head, from_gp, cfg.pool_shortlist)
        log_p = torch.log_softmax(logits[torch.as_tensor(chosen)].double(), dim=-1).cpu().numpy()
        big = w_k >= 1e-3 * w_k.max()                    # members of negligible weight left out
        values = np.full(len(candidates), -np.inf)
        pooled = pooled_ei(log_p, (means[big][:, chosen] - low) / spread, stds[big][:, chosen] / spread,
                           w_k[big] / w_k[big].sum(), weight, best_u, edges, cfg.pool_cells)
        with np.errstate(divide="ignore"):
            pooled = np.log(pooled) + math.log(spread)
        values[chosen] = np.where(np.isfinite(pooled), pooled, from_gp[chosen])   # no common support: the GP's
        return values, values > from_gp, from_gp

    return Acquisition(score, weight)
