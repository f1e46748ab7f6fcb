"""Tests of hpogen.surrogates and train_surrogates.py on tiny HPO-B-layout data."""
from __future__ import annotations

import json

import numpy as np
import pytest
import xgboost as xgb

import train_surrogates
from hpogen import surrogates
from hpogen.errors import UserError


def _smooth(X: np.ndarray) -> np.ndarray:
    return 0.6 + 0.3 * np.sin(3 * X[:, 0]) * X[:, 1] - 0.2 * (X[:, 2] - 0.5) ** 2


@pytest.fixture()
def data_root(tmp_path):
    """HPO-B layout with one numeric (like HPO-B) and one mini space id."""
    rng = np.random.default_rng(0)
    content = {}
    for space, d in (("5971", 4), ("mini-svm", 3)):
        content[space] = {}
        for dataset in ("a", "b"):
            X = rng.uniform(size=(60, d))
            content[space][dataset] = {"X": X.tolist(), "y": _smooth(X)[:, None].tolist()}
    (tmp_path / "hpob-data").mkdir()
    (tmp_path / "hpob-data" / "meta-test-dataset.json").write_text(json.dumps(content))
    return tmp_path, content


def test_train_all_writes_loadable_boosters(data_root, tmp_path):
    root, content = data_root
    out = tmp_path / "surr"
    fits = surrogates.train_all(root / "hpob-data", out, seed=0, progress=False, quick=True)
    assert set(fits) == {f"surrogate-{s}-{d}" for s in content for d in ("a", "b")}
    stats = json.loads((out / "summary-stats.json").read_text())
    assert set(stats) == set(fits)
    for space, datasets in content.items():
        for dataset, entry in datasets.items():
            name = f"surrogate-{space}-{dataset}"
            y = np.ravel(entry["y"])
            assert stats[name] == {"y_min": pytest.approx(y.min()), "y_max": pytest.approx(y.max())}
            booster = xgb.Booster(model_file=str(out / f"{name}.json"))
            X = np.asarray(entry["X"])
            pred = booster.predict(xgb.DMatrix(X))
            assert pred.shape == (60,)
            assert np.corrcoef(pred, y)[0, 1] > 0.8  # fits its training data
            assert fits[name].eta in (0.1, 0.3) and 1 <= fits[name].rounds <= 100
    report = json.loads((out / "fit-report.json").read_text())
    assert report["median_spearman"] > 0.5  # a smooth function is learnable from 48 points
    assert set(report["surrogates"]) == set(fits)


def test_search_spaces_filter_and_errors(data_root, tmp_path):
    root, _ = data_root
    fits = surrogates.train_all(root, tmp_path / "s", ["mini-svm"], progress=False, quick=True)
    assert set(fits) == {"surrogate-mini-svm-a", "surrogate-mini-svm-b"}
    with pytest.raises(UserError, match="available: 5971, mini-svm"):
        surrogates.load_meta_test(root, ["7607"])
    with pytest.raises(UserError, match="no meta-test-dataset.json"):
        surrogates.find_meta_test(tmp_path / "nowhere")


def test_select_hyperparameters_prefers_signal():
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(80, 3))
    eta, rounds, rmse = surrogates.select_hyperparameters(X, _smooth(X), etas=(0.1, 0.3),
                                                          max_rounds=200)
    assert eta in (0.1, 0.3) and rounds > 5 and rmse < np.std(_smooth(X))


def test_cli(data_root, tmp_path, capsys):
    root, _ = data_root
    out = tmp_path / "cli"
    assert train_surrogates.main(["--data-dir", str(root), "--out", str(out),
                                  "--search-spaces", "5971", "--quick"]) == 0
    printed = capsys.readouterr().out
    assert "surrogate-5971-a" in printed and "median held-out" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "fit-report.json", "summary-stats.json", "surrogate-5971-a.json", "surrogate-5971-b.json"]
    assert train_surrogates.main(["--data-dir", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "error: no meta-test-dataset.json" in capsys.readouterr().err


def test_a_second_space_adds_to_the_folder_instead_of_replacing_it(data_root, tmp_path):
    root, _ = data_root
    out = tmp_path / "shared"
    surrogates.train_all(root, out, ["5971"], progress=False, quick=True)
    surrogates.train_all(root, out, ["mini-svm"], progress=False, quick=True)
    names = {f"surrogate-{s}-{d}" for s in ("5971", "mini-svm") for d in ("a", "b")}
    assert set(json.loads((out / "summary-stats.json").read_text())) == names
    assert set(json.loads((out / "fit-report.json").read_text())["surrogates"]) == names


@pytest.mark.parametrize("argv, message", [
    (["--seed", "-1"], "--seed must be >= 0, got -1"),
    (["--threads", "0"], "--threads must be >= 1, got 0"),
])
def test_cli_bad_numbers_fail_before_fitting(data_root, tmp_path, capsys, argv, message):
    root, _ = data_root
    assert train_surrogates.main(["--data-dir", str(root), "--out", str(tmp_path / "o"), "--quick", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and not (tmp_path / "o").exists()


def test_cli_out_that_is_a_file_and_malformed_data(data_root, tmp_path, capsys):
    root, _ = data_root
    (tmp_path / "a-file").write_text("keep me")
    assert train_surrogates.main(["--data-dir", str(root), "--out", str(tmp_path / "a-file"), "--quick"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    (root / "hpob-data" / "meta-test-dataset.json").write_text("[1, 2, 3]")
    assert train_surrogates.main(["--data-dir", str(root), "--out", str(tmp_path / "o"), "--quick"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not an HPO-B meta-dataset" in err[0]
    (root / "hpob-data" / "meta-test-dataset.json").write_text(json.dumps({"1": {"a": {"X": [[0.1, 0.2], [0.3]],
                                                                                        "y": [[1], [2]]}}}))
    assert train_surrogates.main(["--data-dir", str(root), "--out", str(tmp_path / "o"), "--quick"]) == 2
    assert "needs rectangular numeric 'X' and 'y'" in capsys.readouterr().err


def test_a_rerun_keeps_what_was_fitted_and_fits_the_rest(data_root, tmp_path, monkeypatch):
    root, content = data_root
    out = tmp_path / "resume"
    calls = []
    real_fit = surrogates.heldout_fit

    def counted(X, y, *args, **kwargs):           # called once per surrogate fitted
        calls.append(len(y))
        if len(calls) == 3:                    # the third surrogate: the process is interrupted
            raise KeyboardInterrupt
        return real_fit(X, y, *args, **kwargs)

    monkeypatch.setattr(surrogates, "heldout_fit", counted)
    with pytest.raises(KeyboardInterrupt):
        surrogates.train_all(root, out, progress=False, quick=True)
    first_two = {"surrogate-5971-a", "surrogate-5971-b"}
    assert set(json.loads((out / "summary-stats.json").read_text())) == first_two
    report = json.loads((out / "fit-report.json").read_text())
    assert set(report["surrogates"]) == first_two
    assert report["surrogates"]["surrogate-5971-a"]["settings"]["etas"] == [0.1, 0.3]
    saved = (out / "surrogate-5971-a.json").read_bytes()

    calls.clear()
    fits = surrogates.train_all(root, out, progress=False, quick=True)
    assert len(calls) == 2                      # only the two mini-svm surrogates were fitted
    assert set(fits) == {f"surrogate-{s}-{d}" for s in content for d in ("a", "b")}
    assert fits["surrogate-5971-a"].eta == report["surrogates"]["surrogate-5971-a"]["eta"]
    assert (out / "surrogate-5971-a.json").read_bytes() == saved
    assert set(json.loads((out / "summary-stats.json").read_text())) == set(fits)

    calls.clear()
    surrogates.train_all(root, out, ["5971"], progress=False, quick=True, seed=1)     # other settings: fit again
    assert len(calls) == 2
    calls.clear()
    content["5971"]["a"]["y"][0] = [0.0]                                            # other data: fit again
    (root / "hpob-data" / "meta-test-dataset.json").write_text(json.dumps(content))
    surrogates.train_all(root, out, ["5971"], progress=False, quick=True, seed=1)
    assert len(calls) == 1
    calls.clear()
    assert train_surrogates.main(["--data-dir", str(root), "--out", str(out), "--search-spaces", "5971",
                                  "--quick", "--seed", "1", "--refit", "--quiet"]) == 0
    assert len(calls) == 2
