"""Tests of the SMAC peer (methods/smac.py): the history reaches SMAC's model, SMAC leaves no trace."""
from __future__ import annotations

import logging
import tempfile

import numpy as np
import pytest
from smac import HyperparameterOptimizationFacade, Scenario

import methods.smac
from methods import make_method
from methods.smac import SMAC, random_forest


@pytest.fixture
def history() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A d=3 history of 12 points with distinct y and a pool of 30 pending points."""
    rng = np.random.default_rng(5)
    X_obs = rng.random((12, 3))
    y_obs = 1.0 - ((X_obs - 0.7) ** 2).sum(axis=1, keepdims=True)  # (12, 1)
    return X_obs, y_obs, rng.random((30, 3))


@pytest.fixture
def model_data(monkeypatch) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every (X, Y) SMAC trains its random forest on during the test."""
    trained: list[tuple[np.ndarray, np.ndarray]] = []
    train = methods.smac.RandomForest.train

    def spy(self, X, Y):
        trained.append((np.array(X), np.array(Y).reshape(-1)))
        return train(self, X, Y)

    monkeypatch.setattr(methods.smac.RandomForest, "train", spy)
    return trained


@pytest.mark.parametrize("protocol", ["continuous", "discrete"])
def test_the_whole_history_is_told_to_smacs_model(protocol, history, model_data):
    X_obs, y_obs, pool = history
    method = SMAC(seed=0)
    method.observe_and_suggest(X_obs, y_obs, pool if protocol == "discrete" else None)
    assert method.last_source in ("rf-ei", "random-interleaved")
    if method.last_source == "random-interleaved":  # SMAC's random design: no model this call
        method = SMAC(seed=1)
        method.observe_and_suggest(X_obs, y_obs, pool if protocol == "discrete" else None)
    assert method.last_source == "rf-ei"
    X, Y = model_data[-1]
    # every told configuration, none re-sampled, none dropped (SMAC keeps its own order)
    assert X.shape == X_obs.shape
    order = np.lexsort(X.T[::-1])
    np.testing.assert_allclose(X[order], X_obs[np.lexsort(X_obs.T[::-1])])
    # told as costs: SMAC's (log-scaled) cost falls as y rises
    y_sorted = y_obs.reshape(-1)[np.lexsort(X_obs.T[::-1])]
    assert np.all(np.diff(Y[order][np.argsort(y_sorted)]) < 0)


def test_the_discrete_choice_is_the_pool_row_with_the_highest_acquisition(history, monkeypatch):
    ranked = []
    maximize = methods.smac.PoolMaximizer._maximize

    def spy(self, previous_configs, n_points):
        result = maximize(self, previous_configs, n_points)
        ranked.append(result)
        return result

    monkeypatch.setattr(methods.smac.PoolMaximizer, "_maximize", spy)
    X_obs, y_obs, pool = history
    for seed in range(3):
        method = SMAC(seed=seed)
        index = method.observe_and_suggest(X_obs, y_obs, pool)
        if method.last_source != "rf-ei":
            continue
        values = np.array([value for value, _ in ranked[-1]])
        assert len(values) == len(pool) and np.all(np.diff(values) <= 0)  # the whole pool, best first
        np.testing.assert_allclose(ranked[-1][0][1].get_array(), pool[index])
        break
    else:
        pytest.fail("SMAC never used its model in 3 seeds")


def test_smac_learns_where_the_optimum_is(model_data):
    """With 25 points around an optimum at 0.8, SMAC's discrete choice is near it (5 seeds)."""
    rng = np.random.default_rng(0)
    X_obs = rng.random((25, 2))
    objective = lambda X: 1.0 - ((X - 0.8) ** 2).sum(axis=1, keepdims=True)  # noqa: E731
    pool = rng.random((200, 2))
    distances = []
    for seed in range(5):
        method = SMAC(seed=seed)
        index = method.observe_and_suggest(X_obs, objective(X_obs), pool)
        if method.last_source == "rf-ei":
            distances.append(np.linalg.norm(pool[index] - 0.8))
    pool_median = np.median(np.linalg.norm(pool - 0.8, axis=1))
    assert len(distances) >= 3 and np.median(distances) < 0.5 * pool_median, (distances, pool_median)


def test_smac_writes_nothing_outside_a_removed_temporary_folder(history, tmp_path, monkeypatch):
    workdir, tempdir = tmp_path / "cwd", tmp_path / "tmp"
    workdir.mkdir()
    tempdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(tempfile, "tempdir", str(tempdir))
    root_handlers, root_level = list(logging.getLogger().handlers), logging.getLogger().level
    X_obs, y_obs, pool = history
    SMAC(seed=0).observe_and_suggest(X_obs, y_obs)
    SMAC(seed=0).observe_and_suggest(X_obs, y_obs, pool)
    assert list(workdir.iterdir()) == [] and list(tempdir.iterdir()) == []
    # SMAC's own logging setup (which reconfigures the root logger) is not run
    assert logging.getLogger().handlers == root_handlers and logging.getLogger().level == root_level


def test_the_forest_is_the_facades_on_one_thread(tmp_path):
    from ConfigSpace import ConfigurationSpace, Float

    configspace = ConfigurationSpace(seed=3)
    configspace.add([Float("x0", (0.0, 1.0)), Float("x1", (0.0, 1.0))])
    scenario = Scenario(configspace, deterministic=True, seed=3, output_directory=tmp_path)
    ours = random_forest(scenario).meta
    facade = HyperparameterOptimizationFacade.get_model(scenario).meta
    assert ours.pop("n_jobs") == 1
    assert ours.pop("max_leaf_nodes") is None  # no bound that binds; skips a 2**20-leaf preallocation
    facade.pop("n_jobs"), facade.pop("max_leaf_nodes")
    assert ours == facade


def test_registered_under_its_results_name():
    method = make_method("SMAC", seed=4)
    assert isinstance(method, SMAC) and method.seed == 4


def test_the_same_seed_gives_the_same_suggestion_in_every_process():
    """SMAC's local search keeps its start points in a set; their order must not follow the process's hash seed."""
    import os
    import subprocess
    import sys

    code = ("import numpy as np; from methods.smac import SMAC; rng = np.random.default_rng(0); "
            "X, y = rng.random((8, 3)), rng.random((8, 1)); print(SMAC(seed=0).observe_and_suggest(X, y).tolist())")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outputs = {subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": root}).stdout
               for seed in (1, 2, 3)}
    assert len(outputs) == 1 and outputs.pop().startswith("[[")
