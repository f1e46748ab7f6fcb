"""Tests of hpogen/tuning_example.py and tune_xgboost.py (tiny budgets)."""
from __future__ import annotations

import orjson
import pytest

import tune_xgboost
from hpogen.search_space import mini_xgboost
from hpogen.tuning_example import XGBoostCV, best_so_far_table

LINEAR = {"booster": "gblinear", "eta": 0.3, "subsample": 1.0, "lambda": 1.0, "alpha": 0.001, "nrounds": 50}
USELESS = {**LINEAR, "alpha": 1024.0, "lambda": 1024.0}  # weights shrunk to 0: one class


def test_objective_is_deterministic_and_metrics_point_the_right_way():
    accuracy, logloss = XGBoostCV("wine"), XGBoostCV("wine", metric="logloss")
    assert accuracy(LINEAR) == XGBoostCV("wine")(LINEAR) > 0.9
    assert accuracy(USELESS) < 0.5
    assert 0 < logloss(LINEAR) < logloss(USELESS)
    tree = mini_xgboost().sample(1, rng=0)[0]
    tree.update(booster="gbtree", max_depth=3, min_child_weight=1.0, colsample_bytree=0.0, nrounds=20,
                colsample_bylevel=1.0)
    assert 0.0 <= XGBoostCV("breast_cancer")(tree) <= 1.0


def test_table_reports_mean_and_standard_error_at_the_requested_evaluations():
    curves = {"A": {"0": [0.1, 0.5, 0.5], "1": [0.3, 0.3, 0.7]}, "B": {"0": [0.2, 0.2, 0.2], "1": [0.2, 0.2, 0.2]}}
    table = best_so_far_table(curves, at=(1, 3, 10), label="score")
    lines = table.splitlines()
    assert lines[0] == "| method | after 1 | after 3 |"
    assert lines[2] == "| A | 0.2000 ± 0.1000 | 0.6000 ± 0.1000 |"
    assert lines[3] == "| B | 0.2000 ± 0.0000 | 0.2000 ± 0.0000 |"
    assert "score" in lines[-1] and "2 seeds" in lines[-1]


def test_script_writes_table_plot_curves_and_resumes(tmp_path, capsys):
    argv = ["--methods", "GEN-VAE", "RS", "--seeds", "0", "1", "--evals", "6", "--out", str(tmp_path), "--quiet"]
    assert tune_xgboost.main(argv) == 0
    table = (tmp_path / "table.md").read_text()
    assert table.splitlines()[0] == "| method | after 5 |"
    assert [line.split(" |")[0] for line in table.splitlines()[2:4]] == ["| GEN-VAE", "| RS"]
    assert (tmp_path / "incumbents.png").stat().st_size > 1000
    curves = orjson.loads((tmp_path / "curves.json").read_bytes())
    assert set(curves) == {"GEN-VAE", "RS"} and all(len(c) == 6 for r in curves.values() for c in r.values())
    study = orjson.loads((tmp_path / "studies" / "GEN-VAE-seed1.json").read_bytes())
    assert [t["source"] for t in study["trials"]] == ["initial"] * 5 + ["method"]
    # the same seed's initial design for both methods
    rs = orjson.loads((tmp_path / "studies" / "RS-seed1.json").read_bytes())
    assert [t["config"] for t in rs["trials"][:5]] == [t["config"] for t in study["trials"][:5]]
    assert table in capsys.readouterr().out
    # rerunning resumes the finished studies: nothing changes
    assert tune_xgboost.main(argv) == 0
    assert orjson.loads((tmp_path / "curves.json").read_bytes()) == curves
    # the same folder for another dataset: its studies are not reused
    assert tune_xgboost.main([*argv, "--dataset", "breast_cancer"]) == 2
    assert "was made with objective='XGBoost 3-fold CV accuracy on wine'" in capsys.readouterr().err


SVM_CHECKPOINT = str(tune_xgboost.DEFAULT_CHECKPOINT.with_name("mini-svm.pt"))


@pytest.mark.parametrize("argv, words", [(["--methods", "BOHB"], "unknown method 'BOHB'"),
                                         (["--evals", "0"], "--evals"),
                                         (["--seeds", "-1"], "--seeds must be >= 0, got -1"),
                                         (["--checkpoint", SVM_CHECKPOINT], "'mini-svm'")])
def test_script_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, words):
    assert tune_xgboost.main(["--evals", "1", *argv, "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1
