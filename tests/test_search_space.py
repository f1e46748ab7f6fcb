"""Tests of hpogen/search_space.py: typed hyperparameters and HPO-B's [0, 1]^d encoding."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import orjson
import pytest

from hpogen import minibench
from hpogen.errors import UserError
from hpogen.search_space import Categorical, Float, Int, SearchSpace, mini_svm, mini_xgboost

REPO = Path(__file__).resolve().parents[1]
MINI_TEST = REPO / "data" / "hpob-mini" / "hpob-data" / "meta-test-dataset.json"


def every_type_space() -> SearchSpace:
    """One hyperparameter of each kind, a conditional of each kind and a nested condition."""
    return SearchSpace([
        Float("lr", 1e-5, 1.0, log=True),
        Float("momentum", 0.0, 0.99),
        Int("layers", 1, 6),
        Int("width", 8, 1024, log=True),
        Categorical("opt", ["sgd", "adam", "rmsprop"]),
        Float("beta1", 0.5, 0.999, condition=("opt", "adam")),
        Int("steps", 2, 500, log=True, condition=("opt", ("sgd", "rmsprop"))),
        Categorical("schedule", ["cosine", "step"], condition=("opt", "sgd")),
        Int("step_every", 1, 50, condition=("schedule", "step")),
    ], space_id="toy")


def assert_same_config(a: dict, b: dict) -> None:
    """Same keys, same types, ints and categoricals equal, floats equal to 1e-12 relative."""
    assert sorted(a) == sorted(b)
    for name in a:
        assert type(a[name]) is type(b[name]), name
        if isinstance(a[name], float):
            assert math.isclose(a[name], b[name], rel_tol=1e-12, abs_tol=1e-15), (name, a[name], b[name])
        else:
            assert a[name] == b[name], name


def test_columns_follow_hyperparameter_order_with_na_and_one_hot():
    space = every_type_space()
    assert space.columns == (
        "lr", "momentum", "layers", "width", "opt.ohe._sgd", "opt.ohe._adam", "opt.ohe._rmsprop",
        "beta1", "beta1.na", "steps", "steps.na", "schedule.ohe._cosine", "schedule.ohe._step",
        "schedule.na", "step_every", "step_every.na")
    assert space.dim == 16


def test_round_trip_every_type_including_conditionals():
    space = every_type_space()
    configs = space.sample(400, rng=0)
    X = space.encode(configs)
    assert X.shape == (400, space.dim)
    assert X.min() >= 0.0 and X.max() <= 1.0
    for config, decoded in zip(configs, space.decode(X)):
        assert_same_config(config, decoded)
    # every branch of the conditions occurred
    assert {c["opt"] for c in configs} == {"sgd", "adam", "rmsprop"}
    assert any("step_every" in c for c in configs) and any(c.get("schedule") == "cosine" for c in configs)


def test_every_integer_of_a_log_scaled_int_round_trips_exactly():
    space = SearchSpace([Int("n", 1, 1000, log=True), Int("k", -3, 3)])
    configs = [{"n": n, "k": n % 7 - 3} for n in range(1, 1001)]
    assert space.decode(space.encode(configs)) == configs


def test_encoding_values_hpo_b_way():
    space = every_type_space()
    config = {"lr": 1e-2, "momentum": 0.495, "layers": 6, "width": 8, "opt": "adam", "beta1": 0.999}
    row = dict(zip(space.columns, space.encode([config])[0]))
    lo, hi = math.log(1e-5 + 1e-4), math.log(1.0 + 1e-4)
    assert row["lr"] == pytest.approx((math.log(1e-2 + 1e-4) - lo) / (hi - lo))
    assert row["momentum"] == pytest.approx(0.5)
    assert row["layers"] == 1.0
    assert row["width"] == 0.0
    assert (row["opt.ohe._sgd"], row["opt.ohe._adam"], row["opt.ohe._rmsprop"]) == (0.0, 1.0, 0.0)
    assert (row["beta1"], row["beta1.na"]) == (1.0, 0.0)  # range 0..0.999 once 0 (inactive) is included
    # inactive: value 0 before the transform, na = 1; a log-scaled one sits at log(1e-4)
    assert (row["steps"], row["steps.na"]) == (0.0, 1.0)
    assert (row["schedule.ohe._cosine"], row["schedule.ohe._step"], row["schedule.na"]) == (0.0, 0.0, 1.0)
    assert (row["step_every"], row["step_every.na"]) == (0.0, 1.0)


def test_decode_argmaxes_rounds_clips_and_drops_inactive():
    space = every_type_space()
    row = np.full(space.dim, 0.5)
    cols = {c: i for i, c in enumerate(space.columns)}
    row[[cols["opt.ohe._sgd"], cols["opt.ohe._adam"], cols["opt.ohe._rmsprop"]]] = [0.2, 0.9, 0.4]
    row[cols["layers"]] = 1.7          # outside [0, 1]: clipped to the top of the range
    row[cols["steps.na"]] = 0.0        # .na columns are not read: steps stays inactive under adam
    config = space.decode(row)[0]
    assert config["opt"] == "adam"
    assert config["layers"] == 6 and isinstance(config["layers"], int)
    assert "steps" not in config and "schedule" not in config and "step_every" not in config
    assert 0.5 <= config["beta1"] <= 0.999
    assert space.validate(config) == config


@pytest.mark.parametrize("space_fn, reference", [(mini_xgboost, minibench.XGBOOST), (mini_svm, minibench.SVM)])
def test_mini_spaces_match_the_bundled_encoding_column_for_column(space_fn, reference):
    space = space_fn()
    assert space.space_id == reference.space_id
    assert space.columns == reference.columns
    configs = minibench.sample_configs(reference, 300, seed=3)
    np.testing.assert_array_equal(space.encode(configs), minibench.encode(reference, configs))
    for config, decoded in zip(configs, space.decode(space.encode(configs))):
        assert_same_config(config, decoded)


def test_bundled_mini_xgboost_rows_decode_to_configs_that_encode_back():
    data = orjson.loads(MINI_TEST.read_bytes())["mini-xgboost"]
    X = np.asarray(next(iter(data.values()))["X"], dtype=np.float64)  # (500, 16), 6 significant digits
    space = mini_xgboost()
    np.testing.assert_allclose(space.encode(space.decode(X)), X, atol=1e-5)


@pytest.mark.parametrize("config, name, words", [
    ({"eta": 0.1, "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "nrounds": 10, "booster": "gblinear",
      "learning_rate": 0.3}, "learning_rate", "unknown"),
    ({"eta": 2.0, "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "nrounds": 10, "booster": "gblinear"},
     "eta", "outside"),
    ({"eta": 0.1, "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "nrounds": 0, "booster": "gblinear"},
     "nrounds", "outside"),
    ({"eta": 0.1, "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "nrounds": 10.5, "booster": "gblinear"},
     "nrounds", "integer"),
    ({"eta": 0.1, "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "nrounds": 10, "booster": "dart"},
     "booster", "choices"),
    ({"eta": "0.1", "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "nrounds": 10, "booster": "gblinear"},
     "eta", "number"),
    ({"eta": float("nan"), "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "nrounds": 10, "booster": "gblinear"},
     "eta", "outside"),
    ({"eta": 0.1, "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "booster": "gblinear"}, "nrounds", "missing"),
    ({"eta": 0.1, "subsample": 0.5, "lambda": 1.0, "alpha": 1.0, "nrounds": 10, "booster": "gblinear",
      "max_depth": 3}, "max_depth", "inactive"),
])
def test_invalid_values_give_one_line_errors_naming_the_hyperparameter(config, name, words):
    with pytest.raises(UserError) as err:
        mini_xgboost().encode([config])
    message = str(err.value)
    assert f"'{name}'" in message and words in message and "\n" not in message


def test_ints_given_as_integral_floats_are_accepted_as_ints():
    space = SearchSpace([Int("n", 1, 10)])
    assert space.validate({"n": 3.0}) == {"n": 3} and isinstance(space.validate({"n": 3.0})["n"], int)


def test_sample_respects_ranges_and_conditions():
    space = mini_xgboost()
    for config in space.sample(200, rng=1):
        assert space.validate(config) == config
        assert ("max_depth" in config) == (config["booster"] == "gbtree")
        assert 1 <= config["nrounds"] <= 200


@pytest.mark.parametrize("hyperparameters, words", [
    ([Float("x", 0.0, 1.0), Float("x", 0.0, 2.0)], "unique"),
    ([Float("x", 0.0, 1.0, condition=("kind", "a"))], "parent 'kind'"),
    ([Float("k", 0.0, 1.0), Float("x", 0.0, 1.0, condition=("k", 1.0))], "categorical"),
    ([Categorical("kind", ["a", "b"]), Float("x", 0.0, 1.0, condition=("kind", "c"))], "no choice"),
    ([Categorical("a", ["x", "y"], condition=("b", "x")), Categorical("b", ["x", "y"], condition=("a", "x"))],
     "cycle"),
])
def test_malformed_spaces_are_refused(hyperparameters, words):
    with pytest.raises(ValueError, match=words):
        SearchSpace(hyperparameters)


@pytest.mark.parametrize("make", [lambda: Float("x", 1.0, 1.0), lambda: Float("x", 0.0, 1.0, log=True),
                                  lambda: Int("n", 1, 2.5), lambda: Categorical("c", ["a"])])
def test_malformed_hyperparameters_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_categorical_choices_match_by_value_but_never_bool_for_int():
    space = SearchSpace([Categorical("k", [1, 2, True])])
    assert space.validate({"k": np.int64(2)}) == {"k": 2}
    assert space.validate({"k": True}) == {"k": True}
    np.testing.assert_array_equal(space.encode([{"k": True}, {"k": 1}]), [[0, 0, 1], [1, 0, 0]])
    decoded = space.decode(space.encode([{"k": True}, {"k": 1}]))
    assert [type(c["k"]) for c in decoded] == [bool, int]
    with pytest.raises(UserError, match="'k'"):
        space.validate({"k": 3})


@pytest.mark.parametrize("build, message", [
    (lambda: Float("a", "x", 1), "hyperparameter 'a': low must be a number, got 'x'"),
    (lambda: Float("a", "0", "1"), "low must be a number, got '0'"),
    (lambda: Int("a", True, 4), "low must be an integer, got True"),
    (lambda: Float(3, 0, 1), "a hyperparameter name must be a non-empty string, got 3"),
    (lambda: Categorical("k", "abc"), "choices must be a list or tuple of values, got 'abc'"),
    (lambda: SearchSpace([]), "at least one hyperparameter"),
    (lambda: SearchSpace(Float("a", 0, 1)), "SearchSpace takes a list of hyperparameters"),
    (lambda: SearchSpace(["a"]), "SearchSpace takes Float, Int and Categorical hyperparameters, got 'a'"),
    (lambda: Float("a", 0, 1, condition="k"), "a condition must be (parent, value)"),
])
def test_a_malformed_definition_is_refused_with_its_name(build, message):
    with pytest.raises(ValueError) as err:
        build()
    assert message in str(err.value)
