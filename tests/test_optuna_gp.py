"""Tests of the Optuna peers' use of the history (methods/optuna_gp.py, methods/tpe.py)."""
from __future__ import annotations

import numpy as np
import optuna
import pytest

from methods import make_method
from methods.optuna_gp import OptunaGP
from methods.tpe import TPE


@pytest.fixture
def history() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(9)
    X_obs = rng.random((10, 3))
    return X_obs, 1.0 - ((X_obs - 0.4) ** 2).sum(axis=1, keepdims=True), rng.random((25, 3))


def spy_on(monkeypatch, sampler_class) -> list[dict]:
    """Record, at each ``sample_relative``, the completed trials the sampler sees and its answer."""
    calls: list[dict] = []
    sample_relative = sampler_class.sample_relative

    def spy(self, study, trial, search_space):
        params = sample_relative(self, study, trial, search_space)
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        calls.append({"X": np.array([[t.params[f"x{j}"] for j in range(len(t.params))] for t in done]),
                      "y": np.array([t.value for t in done]), "params": params,
                      "direction": study.direction})
        return params

    monkeypatch.setattr(sampler_class, "sample_relative", spy)
    return calls


@pytest.mark.parametrize("protocol", ["continuous", "discrete"])
@pytest.mark.parametrize("method_class, sampler_class", [(OptunaGP, optuna.samplers.GPSampler),
                                                         (TPE, optuna.samplers.TPESampler)])
def test_the_whole_history_is_told_and_used_jointly(method_class, sampler_class, protocol, history, monkeypatch):
    calls = spy_on(monkeypatch, sampler_class)
    X_obs, y_obs, pool = history
    method_class(seed=0).observe_and_suggest(X_obs, y_obs, pool if protocol == "discrete" else None)
    (call,) = calls
    np.testing.assert_allclose(call["X"], X_obs)
    np.testing.assert_allclose(call["y"], y_obs.reshape(-1))
    assert call["direction"] == optuna.study.StudyDirection.MAXIMIZE
    # sampled jointly by the model (TPE: multivariate), not one independent draw per dimension
    assert sorted(call["params"]) == ["x0", "x1", "x2"]


def test_gp_optuna_moves_towards_the_optimum():
    """d=2, optimum at (0.25, 0.75): 12 GP suggestions end nearer to it than 12 more random points."""
    rng = np.random.default_rng(1)
    objective = lambda X: 1.0 - ((X - [0.25, 0.75]) ** 2).sum(axis=1, keepdims=True)  # noqa: E731
    X_obs = rng.random((5, 2))
    method = OptunaGP(seed=0)
    for _ in range(12):
        X_obs = np.vstack([X_obs, method.observe_and_suggest(X_obs, objective(X_obs))])
        assert method.last_source == "gp"
    random_best = objective(np.vstack([X_obs[:5], rng.random((12, 2))])).max()
    assert objective(X_obs).max() > max(random_best, 0.99)


def test_short_histories_are_sampled_at_random_and_said_so(history):
    X_obs, y_obs, _ = history
    method = OptunaGP(seed=0)
    method.observe_and_suggest(X_obs[:3], y_obs[:3])
    assert method.last_source == "random-startup"


def test_registered_under_its_results_name():
    method = make_method("GP-Optuna", seed=2)
    assert isinstance(method, OptunaGP) and method.seed == 2
