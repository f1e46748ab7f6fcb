import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from methods.gen_acquisition import (FittedGP, build_acquisition, head_leave_one_out_log_density,
                                     log_gaussian_ei, log_prior_terms, neg_log_marginal_likelihood,
                                     stacking_weight)
from methods.generative_hpo import GenerativeHPO, history_tensor

FAST = {"online_steps": 3, "batch_size": 8, "n_decoded": 32, "n_uniform": 16, "n_local": 16, "n_refine": 16}


def test_log_gaussian_ei_matches_the_closed_form_and_stays_finite_in_the_tail():
    mean = np.array([0.0, 1.0, -2.0, 0.3])
    std = np.array([1.0, 0.5, 0.7, 2.0])
    best = 0.2
    z = (mean - best) / std
    direct = std * (z * norm.cdf(z) + norm.pdf(z))
    np.testing.assert_allclose(np.exp(log_gaussian_ei(mean, std, best)), direct, rtol=1e-10)
    far = log_gaussian_ei(np.array([-40.0, -400.0]), np.array([1.0, 1.0]), 0.0)
    assert np.all(np.isfinite(far)) and far[0] > far[1]          # still ranks where EI underflows
    # asymptotically EI ~ phi(z) / z^2
    assert far[0] == pytest.approx(-0.5 * 40 ** 2 - 0.5 * math.log(2 * math.pi) - 2 * math.log(40), abs=1e-2)


def test_gp_leave_one_out_equals_refitting_without_each_point():
    rng = np.random.default_rng(0)
    X = rng.random((12, 3))
    y = np.sin(4 * X[:, 0]) + X[:, 1] ** 2
    gp = FittedGP(X, y, seed=0)
    loo_mean, loo_std = gp.leave_one_out()
    kernel = gp.gp.kernel_
    from sklearn.gaussian_process import GaussianProcessRegressor
    for i in (0, 5, 11):
        keep = np.arange(12) != i
        # same hyperparameters and the same y standardisation, no refit
        fixed = GaussianProcessRegressor(kernel, optimizer=None, normalize_y=False)
        shift, scale = gp.gp._y_train_mean, gp.gp._y_train_std
        fixed.fit(X[keep], (y[keep] - shift) / scale)
        mean, std = fixed.predict(X[[i]], return_std=True)
        assert loo_mean[i] == pytest.approx(mean[0] * scale + shift, rel=1e-6, abs=1e-8)
        assert loo_std[i] == pytest.approx(std[0] * scale, rel=1e-5)


def test_gp_prior_is_botorchs_lognormal_density_and_its_gradient():
    from scipy.optimize import approx_fprime
    from scipy.stats import lognorm

    d = 4
    theta = np.array([0.3, -1.0, 0.2, 1.5, 3.0, -5.0])       # [log amplitude, log lengthscales, log noise]
    value, grad = log_prior_terms(theta, d)
    loc = math.sqrt(2) + 0.5 * math.log(d)
    expected = -lognorm.logpdf(np.exp(theta[1:5]), s=math.sqrt(3), scale=math.exp(loc)).sum() \
        - lognorm.logpdf(math.exp(theta[5]), s=1.0, scale=math.exp(-4.0))
    # the same density up to the constant log(s sqrt(2 pi)) per term
    constant = 4 * math.log(math.sqrt(3) * math.sqrt(2 * math.pi)) + math.log(math.sqrt(2 * math.pi))
    assert value == pytest.approx(expected - constant, rel=1e-9)
    np.testing.assert_allclose(grad, approx_fprime(theta, lambda t: log_prior_terms(t, d)[0], 1e-7), atol=1e-5)
    assert grad[0] == 0.0                                       # the amplitude has no prior


def test_hand_written_marginal_likelihood_is_scikit_learns():
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    rng = np.random.default_rng(1)
    X = rng.random((25, 5))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    kernel = ConstantKernel(1.0) * Matern(np.full(5, 0.5), nu=2.5) + WhiteKernel(1e-3)
    gp = GaussianProcessRegressor(kernel, normalize_y=True, optimizer=None).fit(X, y)
    y_n = (y - y.mean()) / y.std()
    sq_diff = (X[:, None, :] - X[None, :, :]) ** 2
    for _ in range(3):
        theta = kernel.theta + rng.normal(0, 0.7, kernel.theta.shape)
        reference, reference_grad = gp.log_marginal_likelihood(theta, eval_gradient=True)
        value, grad = neg_log_marginal_likelihood(theta, sq_diff, y_n)
        assert value == pytest.approx(-reference, rel=1e-10)
        np.testing.assert_allclose(grad, -reference_grad, rtol=1e-8, atol=1e-10)
        assert neg_log_marginal_likelihood(theta, sq_diff, y_n, gradient=False) == (value, None)


def test_gp_prior_keeps_lengthscales_away_from_degenerate_fits():
    rng = np.random.default_rng(3)
    X = rng.random((6, 4))
    y = X[:, 0] + 0.01 * rng.standard_normal(6)                 # one relevant dimension, few points
    plain = FittedGP(X, y, seed=0, prior="none").gp.kernel_.k1.k2.length_scale
    prior = FittedGP(X, y, seed=0, prior="dim-scaled").gp.kernel_.k1.k2.length_scale
    # marginal likelihood alone sends an irrelevant lengthscale to its bound (100); the prior
    # (median exp(sqrt(2) + log(4) / 2) = 8.2) keeps every lengthscale inside
    assert np.max(plain) >= 99.0
    assert np.all(prior < 99.0) and np.all(prior > 0.05)
    with pytest.raises(ValueError, match="gp prior must be one of none, dim-scaled"):
        FittedGP(X, y, seed=0, prior="gamma")


def test_map_fit_starts_where_its_switch_says(monkeypatch):
    import scipy.optimize

    starts = []
    minimize = scipy.optimize.minimize

    def counting(fun, x0, **kwargs):
        starts.append(np.array(x0))
        return minimize(fun, x0, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", counting)
    rng = np.random.default_rng(4)
    X = rng.random((10, 3))
    y = np.sin(3 * X[:, 0]) + X[:, 1]
    first = FittedGP(X, y, seed=0)
    assert len(starts) == 1                                     # no warm start: the median alone, once
    median = starts[0]
    starts.clear()
    warm = first.gp.kernel_
    FittedGP(X, y, seed=0, start=warm)                          # default: the median alone, warm start ignored
    assert len(starts) == 1 and np.array_equal(starts[0], median)
    starts.clear()
    FittedGP(X, y, seed=0, start=warm, starts="both")
    assert len(starts) == 2 and np.array_equal(starts[0], warm.theta) and np.array_equal(starts[1], median)
    starts.clear()
    FittedGP(X, y, seed=0, start=warm, starts="warm")
    assert len(starts) == 1 and np.array_equal(starts[0], warm.theta)
    with pytest.raises(ValueError, match="gp starts must be one of both, warm, prior"):
        FittedGP(X, y, seed=0, starts="random")


def test_stacking_weight_follows_the_better_predictor():
    good = np.full(10, -0.5)
    bad = np.full(10, -4.0)
    assert stacking_weight(good, bad) > 0.9
    assert stacking_weight(bad, good) < 0.1
    assert stacking_weight(good, good) == pytest.approx(0.5)      # a tie: the Beta(2, 2) prior's mode
    assert stacking_weight(good, bad, prior=50.0) < stacking_weight(good, bad)   # a stronger prior shrinks


@pytest.mark.parametrize("y", [np.random.default_rng(1).random(6),
                               np.array([0.3, 0.3, 0.3, 0.3, 0.3, 0.9])])     # without the last: constant
def test_head_leave_one_out_uses_the_history_without_the_point(monkeypatch, y):
    from methods.gen_acquisition import head_leave_one_out
    from methods.generative_hpo import history_scale, normalize_query_y

    X = np.random.default_rng(1).random((6, 4))
    method = GenerativeHPO(seed=0, suggest=FAST)
    method._ensure_model(4)
    seen = []
    original = method.model.history.forward

    def spy(context):
        seen.append(context.clone())
        return original(context)

    monkeypatch.setattr(method.model.history, "forward", spy)
    out = head_leave_one_out_log_density(method, X, y)
    assert out.shape == (6,) and np.all(np.isfinite(out))
    contexts = seen[0]                                             # (6, 5, d+1)
    assert contexts.shape == (6, 5, 5)
    _, u, spreads = head_leave_one_out(method, X, y)
    for i in range(6):                 # each history built at once is exactly the one built on its own
        X_i, y_i = np.delete(X, i, 0), np.delete(y, i)
        assert np.array_equal(contexts[i].numpy(), history_tensor(X_i, y_i)[0].numpy())
        assert u[i] == np.float32(normalize_query_y(y[i], y_i)) and spreads[i] == history_scale(y_i)[1]


def test_acquisition_switches_say_which_model_decides(monkeypatch):
    rng = np.random.default_rng(2)
    X, y = rng.random((10, 4)), rng.random(10)
    candidates = rng.random((50, 4))
    method = GenerativeHPO(seed=0, suggest={**FAST, "acquisition": "gp-ei"})
    method._ensure_model(4)
    called = []
    monkeypatch.setattr(method, "expected_improvement", lambda *a, **k: called.append(1) or np.ones(50))
    acquisition = build_acquisition(method, X, y)
    values, by_head, without_head = acquisition.score(candidates)
    assert acquisition.head_weight == 0.0 and not by_head.any() and not called     # the head is never asked
    np.testing.assert_array_equal(values, without_head)
    method.suggest_cfg.acquisition = "learned-ei"
    values, by_head, _ = build_acquisition(method, X, y).score(candidates)
    assert by_head.all() and called and np.allclose(values, values[0])
    # stacked (the linear mixture): a head whose leave-one-out densities are far better than the GP's takes the weight
    method.suggest_cfg.acquisition, method.suggest_cfg.pooling = "stacked-ei", "linear"
    monkeypatch.setattr("methods.gen_acquisition.head_leave_one_out_log_density", lambda m, X, y, held: np.full(len(held), 5.0))
    acquisition = build_acquisition(method, X, y)
    assert acquisition.head_weight > 0.9
    monkeypatch.setattr("methods.gen_acquisition.head_leave_one_out_log_density", lambda m, X, y, held: np.full(len(held), -50.0))
    acquisition = build_acquisition(method, X, y)
    assert acquisition.head_weight < 0.1
    monkeypatch.setattr(method, "expected_improvement", lambda *a, **k: np.zeros(50))
    assert not build_acquisition(method, X, y).score(candidates)[1].any()   # a head expecting nothing decides nothing


@pytest.mark.parametrize("points, expected", [(3, [9, 10, 11]), (0, list(range(12))), (40, list(range(12)))])
def test_stacking_weight_is_fitted_on_the_last_evaluations(monkeypatch, points, expected):
    import methods.gen_acquisition as ga

    rng = np.random.default_rng(8)
    X, y = rng.random((12, 3)), rng.random(12)
    method = GenerativeHPO(seed=0, suggest={**FAST, "stacking_points": points})
    method._ensure_model(3)
    seen = {}
    head = ga.head_leave_one_out_log_density

    def spy_head(m, X_, y_, held):
        seen["held"] = list(held)
        out = head(m, X_, y_, held)
        whole = head(m, X_, y_)                  # each held-out point's density is its own in the full pass
        np.testing.assert_allclose(out, whole[held], rtol=1e-5, atol=1e-5)
        return out

    monkeypatch.setattr(ga, "head_leave_one_out_log_density", spy_head)
    monkeypatch.setattr(ga, "stacking_weight", lambda head_p, gp_p, prior: seen.update(sizes=(len(head_p), len(gp_p))) or 0.5)
    build_acquisition(method, X, y)
    assert seen["held"] == expected and seen["sizes"] == (len(expected), len(expected))
    with pytest.raises(ValueError, match="stacking_points must be >= 0"):
        GenerativeHPO(seed=0, suggest={"stacking_points": -1})


def record_gp_fits(monkeypatch) -> list:
    """Every FittedGP that build_acquisition fits from now on, in order."""
    import methods.gen_acquisition as ga

    fits, real = [], ga.FittedGP
    monkeypatch.setattr(ga, "FittedGP", lambda *args, **kwargs: fits.append(real(*args, **kwargs)) or fits[-1])
    return fits


def test_gp_samples_switch_changes_the_gp_term_and_zero_is_the_map_fit(monkeypatch):
    rng = np.random.default_rng(3)
    X, y = rng.random((12, 4)), rng.random(12)
    candidates = rng.random((60, 4))
    fits = record_gp_fits(monkeypatch)
    scores = {}
    for samples in (0, 16):
        method = GenerativeHPO(seed=0, suggest={**FAST, "acquisition": "gp-ei", "gp_samples": samples})
        method._ensure_model(4)
        scores[samples] = build_acquisition(method, X, y).score(candidates)[0]
    assert fits[0].mixture is None and len(fits[1].mixture.thetas) > 1
    np.testing.assert_allclose(scores[0], log_gaussian_ei(*fits[0].predict(candidates), float(y.max())))
    np.testing.assert_allclose(scores[16], fits[1].log_ei(candidates, float(y.max())))
    assert not np.allclose(scores[0], scores[16])


def test_attribution_names_the_model_that_decided():
    from methods.gen_pool import attribution

    by_head = np.array([False, True, False])
    without_head = np.array([0.0, 1.0, 2.0])            # the GP alone prefers candidate 2
    assert attribution("decoded", 1, by_head, without_head) == "decoded/head"
    assert attribution("uniform", 0, by_head, without_head) == "uniform/head-changed"
    assert attribution("uniform", 2, by_head, without_head) == "uniform/gp"


def test_stacked_scores_split_into_the_head_and_gp_terms(monkeypatch):
    rng = np.random.default_rng(4)
    X, y = rng.random((10, 4)), rng.random(10)
    candidates = rng.random((40, 4))
    method = GenerativeHPO(seed=0, suggest={**FAST, "pooling": "linear"})
    method._ensure_model(4)
    acquisition = build_acquisition(method, X, y)
    w = acquisition.head_weight
    assert 0.0 < w < 1.0
    values, by_head, without_head = acquisition.score(candidates)
    head_ei = method.expected_improvement(X, y, candidates) * np.ptp(y)
    gp_ei = np.exp(without_head - np.log1p(-w))
    np.testing.assert_allclose(np.exp(values), w * head_ei + (1 - w) * gp_ei, rtol=1e-6)
    np.testing.assert_array_equal(by_head, w * head_ei >= (1 - w) * gp_ei)


def test_decider_table_counts_what_the_learned_parts_decided():
    from hpogen.compare import decider_table

    class FakeComparison:
        methods = ["GEN-VAE", "GP-BO"]
        sources = {"GEN-VAE": {"decoded/gp": 2, "uniform/head": 3, "refined-incumbent/head-changed": 1,
                               "refined-uniform/gp": 4},
                   "GP-BO": {"gp": 10}}

    table = decider_table(FakeComparison())
    rows = [line for line in table.splitlines() if line.startswith("| GEN-VAE")]
    assert rows == ["| GEN-VAE | 10 | 30.0% | 10.0% | 60.0% | 20.0% | 60.0% |"]
    assert "GP-BO" not in table                          # its sources have no decider


def test_laplace_samples_recover_a_gaussian_posterior_and_floor_flat_directions():
    from methods.gen_acquisition import laplace_samples

    precision = np.array([[4.0, 1.0], [1.0, 2.0]])
    mode = np.array([0.5, -1.0])

    def gaussian(thetas, gradient=True):
        delta = thetas - mode
        return 0.5 * np.einsum("ki,ij,kj->k", delta, precision, delta), delta @ precision

    bounds = np.array([[-50.0, 50.0]] * 2)
    thetas, weights = laplace_samples(gaussian, mode, bounds, 20000, seed=0, max_std=2.0)
    assert thetas.shape == (20000, 2)
    # the approximation is exact for a Gaussian posterior: equal importance weights
    np.testing.assert_allclose(weights, 1.0 / 20000, rtol=1e-6)
    np.testing.assert_allclose(np.cov(thetas.T), np.linalg.inv(precision), atol=0.01)
    np.testing.assert_allclose(thetas.mean(0), mode, atol=0.01)
    again, _ = laplace_samples(gaussian, mode, bounds, 50, seed=0)
    np.testing.assert_array_equal(again, thetas[:50])                 # seeded

    def flat_in_the_second(thetas, gradient=True):                  # the data say nothing about theta[1]
        slope = 4.0 * (thetas[:, 0] - 1.0)
        return 0.5 * slope * (thetas[:, 0] - 1.0), np.stack([slope, np.zeros(len(thetas))], axis=1)

    thetas, weights = laplace_samples(flat_in_the_second, np.array([1.0, 0.0]), bounds, 20000, seed=1,
                                      max_std=2.0)
    assert thetas[:, 1].std() == pytest.approx(2.0, rel=0.03)         # no direction wider than max_std
    assert thetas[:, 0].std() == pytest.approx(0.5, rel=0.03)
    clipped, _ = laplace_samples(gaussian, mode, np.array([[0.0, 1.0]] * 2), 50, seed=0)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0


def test_map_fit_is_scikit_learns_fit_with_the_same_optimizer():
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    from methods.gen_acquisition import _map_optimizer

    rng = np.random.default_rng(6)
    X = rng.random((12, 3))
    y = np.cos(4 * X[:, 0]) + X[:, 2]
    gp = FittedGP(X, y, seed=0, samples=4)
    assert gp._gp is None                                   # scikit-learn's GP is built only when asked for
    start = (ConstantKernel(1.0, (1e-2, 1e2)) * Matern(np.full(3, math.exp(math.sqrt(2) + 0.5 * math.log(3))),
                                                        (1e-2, 1e2), nu=2.5) + WhiteKernel(1e-3, (1e-6, 1e-1)))
    reference = GaussianProcessRegressor(start, normalize_y=True, optimizer=_map_optimizer(None, X, y)).fit(X, y)
    assert np.array_equal(gp.kernel_.theta, reference.kernel_.theta)
    assert np.array_equal(gp.gp.kernel_.theta, reference.kernel_.theta)
    candidates = rng.random((20, 3))
    for ours, theirs in zip(gp.gp.predict(candidates, return_std=True), reference.predict(candidates, return_std=True)):
        assert np.array_equal(ours, theirs)


def test_mixture_predictions_in_chunks_are_one_pass():
    rng = np.random.default_rng(7)
    X = rng.random((14, 2))
    y = np.sin(4 * X[:, 0]) * X[:, 1]
    mixture = FittedGP(X, y, seed=0, samples=6).mixture
    candidates = rng.random((150, 2))
    whole = mixture.predict_members(candidates, chunk=len(candidates))
    for chunked, one_pass in zip(mixture.predict_members(candidates, chunk=16), whole):
        assert chunked.shape == (len(mixture.thetas), 150) and np.array_equal(chunked, one_pass)


def test_gp_hyperparameter_samples_mix_gps_and_zero_samples_is_the_map_fit():
    from sklearn.gaussian_process import GaussianProcessRegressor

    from methods.gen_acquisition import _leave_one_out, log_normal_pdf

    rng = np.random.default_rng(5)
    X = rng.random((15, 2))
    y = np.sin(5 * X[:, 0]) + 0.3 * X[:, 1]
    candidates = rng.random((40, 2))
    best = float(y.max())
    single = FittedGP(X, y, seed=0)
    assert single.mixture is None
    np.testing.assert_allclose(single.log_ei(candidates, best), log_gaussian_ei(*single.predict(candidates), best))
    np.testing.assert_allclose(single.leave_one_out_log_density(), log_normal_pdf(y, *single.leave_one_out()))
    mixed = FittedGP(X, y, seed=0, samples=8)
    mixture = mixed.mixture
    assert 1 <= len(mixture.thetas) <= 8 and mixture.weights.sum() == pytest.approx(1.0)
    assert np.ptp(mixture.thetas[:, 1]) > 0                           # the members' lengthscales differ
    # each member predicts what scikit-learn's GP at its hyperparameters predicts, leave-one-out included
    means, stds = mixture.predict_members(candidates)
    log_loo = []
    for k, theta in enumerate(mixture.thetas):
        reference = GaussianProcessRegressor(mixed.gp.kernel_.clone_with_theta(theta), normalize_y=True,
                                             optimizer=None).fit(X, y)
        mean, std = reference.predict(candidates, return_std=True)
        np.testing.assert_allclose(means[k], mean, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(stds[k], std, rtol=1e-6, atol=1e-9)
        log_loo.append(log_normal_pdf(y, *_leave_one_out(reference, X, y)))
    # the mixture's EI is the weighted mean of its members' EIs; its LOO density the weighted mean of theirs
    members = np.array([log_gaussian_ei(m, sd, best) for m, sd in zip(means, stds)])
    np.testing.assert_allclose(np.exp(mixed.log_ei(candidates, best)), mixture.weights @ np.exp(members), rtol=1e-8)
    np.testing.assert_allclose(np.exp(mixed.leave_one_out_log_density()),
                               mixture.weights @ np.exp(np.array(log_loo)), rtol=1e-6)
    # no prior, no posterior to sample: the marginal-likelihood fit stays one GP
    assert FittedGP(X, y, seed=0, prior="none", samples=8).mixture is None


EDGES = np.linspace(-2.0, 3.0, 65)


def _head(rng, m, peak=None):
    """Bar-distribution log masses (m, 64): random, or nearly all in the bin of ``peak``."""
    if peak is None:
        return np.log(rng.dirichlet(np.ones(64), size=m))
    p = np.full((m, 64), 1e-6)
    p[:, int((peak + 2.0) / (5.0 / 64))] = 1.0
    return np.log(p / p.sum(1, keepdims=True))


def test_pooled_ei_is_the_gps_at_weight_zero_and_the_heads_at_weight_one():
    from methods.gen_acquisition import pooled_ei
    from methods.generative_hpo import GenerativeHPOConfig, PredictiveHead

    rng = np.random.default_rng(5)
    m, k = 6, 3
    log_p = _head(rng, m)
    means, stds = rng.uniform(0.2, 1.5, (k, m)), rng.uniform(0.05, 0.3, (k, m))      # well inside the support
    weights = rng.dirichlet(np.ones(k))
    gp_ei = sum(weights[i] * np.exp(log_gaussian_ei(means[i], stds[i], 1.0)) for i in range(k))
    np.testing.assert_allclose(pooled_ei(log_p, means, stds, weights, 1e-12, 1.0, EDGES, cells=32), gp_ei,
                               rtol=2e-3, atol=1e-6)
    head = PredictiveHead(2, GenerativeHPOConfig(n_bins=64))
    head_ei = head.expected_improvement(torch.as_tensor(log_p, dtype=torch.float32), 1.0).numpy()
    np.testing.assert_allclose(pooled_ei(log_p, means, stds, weights, 1.0 - 1e-12, 1.0, EDGES, cells=32), head_ei,
                               rtol=1e-3, atol=1e-6)


def test_a_sure_gp_pins_the_pooled_ei_where_the_mixture_follows_the_head():
    from methods.gen_acquisition import pooled_ei

    log_p = _head(np.random.default_rng(0), 1, peak=2.5)           # the head expects y near 2.5
    sure = pooled_ei(log_p, np.array([[1.2]]), np.array([[1e-3]]), np.ones(1), 0.9, 1.0, EDGES)
    assert sure[0] == pytest.approx(0.2, abs=0.01)                  # the GP's y, not the head's
    unsure = pooled_ei(log_p, np.array([[1.2]]), np.array([[2.0]]), np.ones(1), 0.9, 1.0, EDGES)
    assert unsure[0] > 1.0                                          # an unsure GP leaves the head's shape


def test_pooled_ei_keeps_the_gps_upper_tail():
    """Cells far above the GP's mean keep masses below float64's 1 - 1 resolution (log-space reference)."""
    from scipy.special import log_ndtr

    from methods.gen_acquisition import pooled_ei

    log_p = _head(np.random.default_rng(1), 1, peak=2.5)
    mean, std, w = 0.0, 0.12, 0.995
    cuts = np.concatenate([np.linspace(EDGES[j], EDGES[j + 1], 5)[:-1] for j in range(64)] + [EDGES[-1:]])
    z = (cuts - mean) / std
    log_sf = log_ndtr(-z)                                           # log P(Y > cut), exact in the upper tail
    log_cdf = log_ndtr(z)
    upper = z[:-1] > 0
    with np.errstate(divide="ignore"):                              # each branch where it is not used
        log_cell = np.where(upper, log_sf[:-1] + np.log1p(-np.exp(log_sf[1:] - log_sf[:-1])),
                            log_cdf[1:] + np.log1p(-np.exp(log_cdf[:-1] - log_cdf[1:])))
    log_q = w * np.repeat(log_p[0], 4) + (1 - w) * np.maximum(log_cell, math.log(1e-300))
    q = np.exp(log_q - log_q.max())
    expected = (q / q.sum()) @ np.maximum((cuts[:-1] + cuts[1:]) / 2 - 1.0, 0.0)
    assert np.exp(log_cell[upper]).min() < 1e-30                     # the cells that 1 - Phi would lose
    got = pooled_ei(log_p, np.array([[mean]]), np.array([[std]]), np.ones(1), w, 1.0, EDGES)
    np.testing.assert_allclose(got, [expected], rtol=1e-8)


def test_shortlist_is_the_union_of_each_models_best():
    from methods.gen_acquisition import shortlist

    head, gp = np.arange(10.0), -np.arange(10.0)
    np.testing.assert_array_equal(shortlist(head, gp, 2), [0, 1, 8, 9])
    np.testing.assert_array_equal(shortlist(head, head, 2), [8, 9])
    np.testing.assert_array_equal(shortlist(head, gp, 5), np.arange(10))       # at most 2 x 5: every candidate
    np.testing.assert_array_equal(shortlist(head, gp, 0), np.arange(10))


def test_pooled_acquisition_scores_its_shortlist_by_the_pooled_ei(monkeypatch):
    import methods.gen_acquisition as ga
    from methods.generative_hpo import history_scale

    rng = np.random.default_rng(6)
    X, y = rng.random((12, 4)), rng.random(12)
    candidates = rng.random((80, 4))
    fits = record_gp_fits(monkeypatch)
    method = GenerativeHPO(seed=0, suggest={**FAST, "pool_shortlist": 10})
    method._ensure_model(4)
    acquisition = build_acquisition(method, X, y)
    values, by_head, without_head = acquisition.score(candidates)
    gp, w = fits[-1], acquisition.head_weight
    np.testing.assert_allclose(without_head, gp.log_ei(candidates, float(y.max())))
    head = method.expected_improvement(X, y, candidates)
    chosen = ga.shortlist(head, without_head, 10)
    assert 10 <= len(chosen) <= 20 and np.isfinite(values[chosen]).all()
    assert np.isneginf(np.delete(values, chosen)).all()           # the others are never chosen
    logits = method.predict_logits(X, y, candidates[chosen])
    log_p = torch.log_softmax(logits.double(), dim=-1).numpy()
    means, stds, w_k = gp.members(candidates[chosen])
    low, spread = history_scale(y)
    big = w_k >= 1e-3 * w_k.max()
    expected = ga.pooled_ei(log_p, (means[big] - low) / spread, stds[big] / spread, w_k[big] / w_k[big].sum(), w,
                            1.0, method.model.predictor.edges.numpy().astype(np.float64)) * spread
    np.testing.assert_allclose(np.exp(values[chosen]), expected, rtol=1e-6)
    np.testing.assert_array_equal(by_head, values > without_head)
    # the linear mixture (the rule before) scores every candidate with the same weight
    method.suggest_cfg.pooling = "linear"
    linear = build_acquisition(method, X, y)
    assert 0.0 < linear.head_weight < 1.0 and np.isfinite(linear.score(candidates)[0]).all()
    with pytest.raises(ValueError, match="pooling must be one of log-linear, linear"):
        GenerativeHPO(suggest={"pooling": "geometric"})
    with pytest.raises(ValueError, match="pool_cells must be >= 1"):
        GenerativeHPO(suggest={"pool_cells": 0})


def test_gp_members_are_the_mixture_or_the_map_fit():
    rng = np.random.default_rng(7)
    X, y = rng.random((10, 3)), rng.random(10)
    candidates = rng.random((20, 3))
    map_fit = FittedGP(X, y, seed=0)
    means, stds, weights = map_fit.members(candidates)
    mean, std = map_fit.predict(candidates)
    np.testing.assert_allclose(means[0], mean)
    np.testing.assert_allclose(stds[0], std)
    assert weights.tolist() == [1.0]
    mixed = FittedGP(X, y, seed=0, samples=8)
    means, stds, weights = mixed.members(candidates)
    assert means.shape == stds.shape == (len(weights), 20) and weights.sum() == pytest.approx(1.0)
    ei = np.log(np.exp(np.log(weights)[:, None] + log_gaussian_ei(means.ravel(), stds.ravel(), y.max())
                       .reshape(means.shape)).sum(0))
    np.testing.assert_allclose(ei, mixed.log_ei(candidates, float(y.max())))
