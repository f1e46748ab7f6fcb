"""Tests of hpogen/tuner.py: ask/tell over a typed space, failures, study file, resume."""
from __future__ import annotations

import importlib.util
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson
import pytest
import torch

from hpogen.errors import UserError
from hpogen.search_space import Float, Int, SearchSpace, mini_xgboost
from hpogen.tuner import Tuner, evaluate
from methods import METHOD_NAMES

REPO = Path(__file__).resolve().parents[1]
CHECKPOINT = REPO / "checkpoints" / "mini" / "mini-xgboost.pt"

# A deterministic objective over mini-xgboost, with failures: NaN for huge alpha.
STUDY_SCRIPT = '''
import math, sys, time
sys.path.insert(0, {repo!r})
from hpogen.search_space import mini_xgboost
from hpogen.tuner import Tuner

def objective(config, delay=0.0):
    time.sleep(delay)
    if config["alpha"] > 300:
        return float("nan")
    return -(math.log(config["eta"]) + 3) ** 2 - (config["subsample"] - 0.6) ** 2 + config["nrounds"] / 200

def run(path, n_evals, delay=0.0):
    tuner = Tuner(mini_xgboost(), method="RS", seed=3, study_path=path)
    return tuner.optimize(lambda c: objective(c, delay), n_evals)

if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
'''


@pytest.fixture
def study_module(tmp_path):
    path = tmp_path / "study_script.py"
    path.write_text(STUDY_SCRIPT.format(repo=str(REPO)))
    spec = importlib.util.spec_from_file_location("study_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.path = path
    return module


def toy_space() -> SearchSpace:
    return SearchSpace([Float("x", -2.0, 2.0), Int("n", 1, 64, log=True)], space_id="toy")


def test_ask_gives_the_seeded_initial_design_then_method_suggestions():
    tuner = Tuner(mini_xgboost(), method="RS", seed=0)
    other = Tuner(mini_xgboost(), method="TPE", seed=0)
    for i in range(7):
        config = tuner.ask()
        mini_xgboost().validate(config)
        tuner.tell(config, float(i))
        if i < 5:  # every method starts from the same initial design for a seed
            assert config == other.ask()
            other.tell(config, float(i))
    assert [t["source"] for t in tuner.trials] == ["initial"] * 5 + ["method"] * 2
    assert [t["history"] for t in tuner.trials] == list(range(7))
    assert Tuner(mini_xgboost(), method="RS", seed=1).ask() != tuner.trials[0]["config"]


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_every_method_works_behind_the_tuner(method):
    options = {"num_restarts": 2, "raw_samples": 32} if method == "GP-BO" else None
    checkpoint = CHECKPOINT if method == "GEN-VAE" else None
    space = mini_xgboost()
    tuner = Tuner(space, method=method, checkpoint=checkpoint, seed=0, method_options=options)
    trials = tuner.optimize(lambda c: -abs(math.log2(c["eta"]) + 4) + c["subsample"], 7)
    assert len(trials) == 7 and all(t["state"] == "complete" for t in trials)
    assert [t["source"] for t in trials[5:]] == ["method", "method"]
    for trial in trials:
        assert space.validate(trial["config"]) == trial["config"]
    assert tuner.best()["value"] == max(t["value"] for t in trials)


def test_minimize_hands_the_method_negated_values():
    tuner = Tuner(toy_space(), method="RS", seed=0, direction="minimize")
    tuner.optimize(lambda c: c["x"] ** 2 + c["n"], 8)
    X, y = tuner.history()
    values = np.array([t["value"] for t in tuner.trials])
    np.testing.assert_array_equal(y[:, 0], -values)
    assert X.shape == (8, 2)
    assert tuner.best()["value"] == values.min()
    curve = tuner.best_so_far()
    assert curve == list(np.minimum.accumulate(values))


def test_failed_evaluations_are_recorded_and_the_study_continues(tmp_path):
    def objective(config):
        if config["n"] > 40:
            raise RuntimeError("out of memory\nsecond line")
        if config["n"] > 20:
            return float("nan")
        if config["x"] > 1.5:
            try:
                time.sleep(5)  # cut short by the timeout, even through a broad except
            except Exception:
                return 0.0
        return config["x"]

    tuner = Tuner(toy_space(), method="RS", seed=2, study_path=tmp_path / "study.json")
    start = time.perf_counter()
    trials = tuner.optimize(objective, 40, timeout=0.2)
    assert time.perf_counter() - start < 10
    assert len(trials) == 40
    errors = {t["error"].split(":")[0] for t in trials if t["state"] == "failed"}
    assert errors == {"RuntimeError", "objective returned nan", "timeout after 0.2 s"}
    assert all(t["value"] is None and "\n" not in t["error"] for t in trials if t["state"] == "failed")
    # the method sees failures at the worst successful value
    X, y = tuner.history()
    worst = min(t["value"] for t in trials if t["state"] == "complete")
    failed = np.array([t["state"] == "failed" for t in trials])
    assert np.all(y[failed, 0] == worst)
    saved = orjson.loads((tmp_path / "study.json").read_bytes())
    assert saved["trials"] == trials


@pytest.mark.parametrize("result, expected", [
    (0.5, (0.5, None)), (float("inf"), (None, "objective returned inf")),
    ("high", (None, "objective returned str, not a number")),
    (None, (None, "objective returned NoneType, not a number")),
])
def test_evaluate_turns_bad_results_into_errors(result, expected):
    assert evaluate(lambda config: result, {}) == expected


def test_tell_of_none_or_nan_records_a_failure_and_of_a_users_config_a_user_trial():
    tuner = Tuner(toy_space(), method="RS", seed=0)
    assert tuner.tell(tuner.ask(), None)["state"] == "failed"
    assert tuner.tell(tuner.ask(), float("nan"))["error"] == "objective returned nan"
    trial = tuner.tell({"x": 0.0, "n": 4}, 1.0)
    assert (trial["state"], trial["source"], trial["ask"]) == ("complete", "user", None)
    assert tuner.best() is trial


@pytest.mark.parametrize("config, name", [({"x": 0.0, "n": 4, "m": 1}, "m"), ({"x": 3.0, "n": 4}, "x"),
                                          ({"x": 0.0, "n": 65}, "n")])
def test_tell_refuses_unknown_or_out_of_range_values_naming_the_hyperparameter(config, name):
    tuner = Tuner(toy_space(), method="RS", seed=0)
    with pytest.raises(UserError, match=f"'{name}'") as err:
        tuner.tell(config, 1.0)
    assert "\n" not in str(err.value)
    assert tuner.trials == []
    with pytest.raises(UserError, match="number"):
        tuner.tell({"x": 0.0, "n": 4}, "0.5")


def test_checkpoint_is_used_only_when_its_space_matches(tmp_path):
    space = mini_xgboost()
    with pytest.raises(UserError, match="'mini-svm'.*'mini-xgboost'"):
        Tuner(space, checkpoint=REPO / "checkpoints" / "mini" / "mini-svm.pt")
    fake = tmp_path / "fake.pt"
    torch.save({"search_space_id": "mini-xgboost", "d": 15}, fake)
    with pytest.raises(UserError, match="15 columns.*16"):
        Tuner(space, checkpoint=fake)
    with pytest.raises(UserError, match="but this space is 'None'"):
        Tuner(SearchSpace(space.hyperparameters), checkpoint=CHECKPOINT)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="unreadable"):
        Tuner(space, checkpoint=tmp_path / "junk.pt")
    with pytest.raises(UserError, match="does not exist"):
        Tuner(space, checkpoint=tmp_path / "missing.pt")
    with pytest.raises(UserError, match="GEN-VAE only"):
        Tuner(space, method="TPE", checkpoint=CHECKPOINT)
    with pytest.raises(UserError, match="unknown method 'BOHB'"):
        Tuner(space, method="BOHB")
    with pytest.raises(UserError, match="direction"):
        Tuner(space, method="RS", direction="max")


def test_study_file_is_written_after_every_tell_and_refuses_other_settings(tmp_path, study_module):
    path = tmp_path / "study.json"
    study_module.run(path, 3)
    saved = orjson.loads(path.read_bytes())
    assert (saved["method"], saved["seed"], saved["direction"], len(saved["trials"])) == ("RS", 3, "maximize", 3)
    assert saved["columns"] == list(mini_xgboost().columns)
    with pytest.raises(UserError, match="seed=3, not 4"):
        Tuner(mini_xgboost(), method="RS", seed=4, study_path=path)
    with pytest.raises(UserError, match="method='RS', not 'TPE'"):
        Tuner(mini_xgboost(), method="TPE", seed=3, study_path=path)
    path.write_bytes(path.read_bytes()[:50])  # truncated
    with pytest.raises(UserError, match="corrupt"):
        Tuner(mini_xgboost(), method="RS", seed=3, study_path=path)


def test_sigkilled_study_resumes_to_the_same_history(tmp_path, study_module):
    n_evals = 18
    uninterrupted = study_module.run(tmp_path / "full.json", n_evals)
    assert any(t["state"] == "failed" for t in uninterrupted)  # the replay must handle failures too

    path = tmp_path / "killed.json"
    proc = subprocess.Popen([sys.executable, str(study_module.path), str(path), str(n_evals), "0.15"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    done = 0
    while done < 8 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
        if path.exists():
            done = len(orjson.loads(path.read_bytes())["trials"])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    killed_at = len(orjson.loads(path.read_bytes())["trials"])
    assert 8 <= killed_at < n_evals  # killed mid-study, after the initial design

    resumed = study_module.run(path, n_evals)
    assert resumed == uninterrupted


def test_gen_vae_study_resumes_to_the_same_history(tmp_path):
    def objective(config):
        return -abs(math.log2(config["eta"]) + 4) + config["subsample"]

    full = Tuner(mini_xgboost(), checkpoint=CHECKPOINT, seed=1).optimize(objective, 8)
    path = tmp_path / "study.json"
    Tuner(mini_xgboost(), checkpoint=CHECKPOINT, seed=1, study_path=path).optimize(objective, 6)
    resumed = Tuner(mini_xgboost(), checkpoint=CHECKPOINT, seed=1, study_path=path).optimize(objective, 8)
    assert resumed == full


def test_a_study_resumes_only_with_the_same_checkpoint_content(tmp_path):
    path = tmp_path / "study.json"
    tuner = Tuner(mini_xgboost(), checkpoint=CHECKPOINT, seed=0, study_path=path)
    tuner.tell(tuner.ask(), 0.5)
    saved = orjson.loads(path.read_bytes())
    assert len(saved["checkpoint_sha256"]) == 64
    saved["checkpoint"] = "elsewhere/mini-xgboost.pt"  # a moved checkpoint is fine
    path.write_bytes(orjson.dumps(saved))
    assert len(Tuner(mini_xgboost(), checkpoint=CHECKPOINT, seed=0, study_path=path).trials) == 1
    saved["checkpoint_sha256"] = "0" * 64  # a retrained one is not
    path.write_bytes(orjson.dumps(saved))
    with pytest.raises(UserError, match="checkpoint_sha256"):
        Tuner(mini_xgboost(), checkpoint=CHECKPOINT, seed=0, study_path=path)


def test_a_study_resumes_only_on_the_same_search_space(tmp_path):
    """Same columns, another range or scale: refused, naming the hyperparameter; a study without the record resumes."""
    path = tmp_path / "study.json"
    tuner = Tuner(toy_space(), method="RS", seed=0, study_path=path)
    tuner.optimize(lambda c: c["x"] - c["n"] / 64, 3)
    for changed in (SearchSpace([Float("x", -3.0, 2.0), Int("n", 1, 64, log=True)], space_id="toy"),
                    SearchSpace([Float("x", -2.0, 2.0), Int("n", 1, 64)], space_id="toy")):
        with pytest.raises(UserError, match="was made with hyperparameter .*'name': '(x|n)'"):
            Tuner(changed, method="RS", seed=0, study_path=path)
    Tuner(toy_space(), method="RS", seed=0, study_path=path)      # the same space resumes
    saved = orjson.loads(path.read_bytes())
    del saved["hyperparameters"]                                  # a study file from before the record
    path.write_bytes(orjson.dumps(saved))
    assert len(Tuner(toy_space(), method="RS", seed=0, study_path=path).trials) == 3
