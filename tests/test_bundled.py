"""The bundled hpob-mini benchmark loads through the handler and meets its spec."""
import json

import numpy as np
import pytest

from hpob_handler import HPOBHandler
from hpogen.runner import MINI_CHECKPOINT_DIR, MINI_DATA_DIR, MINI_SURROGATES_DIR, REPO_ROOT

pytestmark = pytest.mark.skipif(not MINI_DATA_DIR.is_dir(), reason="data/hpob-mini is not in this checkout")


@pytest.fixture(scope="module")
def handler():
    return HPOBHandler(MINI_DATA_DIR, mode="v3", surrogates_dir=MINI_SURROGATES_DIR)


@pytest.fixture(scope="module")
def build_info():
    return json.loads((MINI_DATA_DIR.parent / "build-info.json").read_text())


def test_spaces_dimensions_and_splits_are_exactly_the_recorded_ones(handler, build_info):
    """The counts README and data/hpob-mini/README.md state, as build-info.json records them."""
    knobs = build_info["knobs"]
    assert handler.get_search_spaces() == knobs["spaces"] == ["mini-xgboost", "mini-svm"]
    assert len(knobs["datasets"]) == 34 and knobs["configs_per_dataset"] == 500
    assert (knobs["n_test"], knobs["n_valid"]) == (6, 4)
    assert {s: build_info["spaces"][s]["dim"] for s in knobs["spaces"]} == {"mini-xgboost": 16, "mini-svm": 8}
    for space in handler.get_search_spaces():
        recorded = build_info["spaces"][space]
        assert handler.get_search_space_dim(space) == recorded["dim"] == len(recorded["columns"])
        splits = {split: handler.get_meta_split(split, space) for split in ("train", "validation", "test")}
        for split, data in splits.items():
            assert sorted(data) == sorted(recorded["splits"][split])
        assert [len(splits[s]) for s in ("train", "validation", "test")] == [24, 4, 6]
        assert sorted(d for data in splits.values() for d in data) == sorted(knobs["datasets"])
        for split, data in splits.items():
            for dataset, (X, y) in data.items():
                assert X.shape == (knobs["configs_per_dataset"], recorded["dim"]), (space, dataset)
                assert X.min() >= 0 and X.max() <= 1 and np.isfinite(y).all()
                stats = recorded["datasets"][dataset]
                assert (y.min(), y.max()) == pytest.approx((stats["y_min"], stats["y_max"]), abs=1e-6)
    # the meta-train-augmented file is the meta-train file (data/hpob-mini/README.md)
    augmented = HPOBHandler(MINI_DATA_DIR, mode="v1", surrogates_dir=MINI_SURROGATES_DIR)
    for space in handler.get_search_spaces():
        assert sorted(augmented.get_meta_split("train", space)) == sorted(handler.get_meta_split("train", space))


def test_ids_cannot_pass_for_hpob_ones(handler):
    for space in handler.get_search_spaces():
        assert not space.isdigit()
        for split in ("train", "validation", "test"):
            assert not any(d.isdigit() for d in handler.get_meta_split(split, space))


def test_initial_designs_and_surrogates(handler):
    for space in handler.get_search_spaces():
        for dataset in handler.get_datasets(space):
            inits = handler.bo_initializations[space][dataset]
            assert sorted(inits) == handler.get_seeds()
            assert all(len(set(ids)) == 5 for ids in inits.values())
            booster, y_min, y_max = handler.load_surrogate(space, dataset)
            assert y_max > y_min


def test_tasks_are_worth_optimising(handler):
    """On every test dataset, random points are clearly below the best configuration in the data."""
    for space in handler.get_search_spaces():
        for dataset in handler.get_datasets(space):
            X, y = handler.get_meta_split("test", space)[dataset]
            y = y.ravel()
            best_of_initial = np.mean([y[ids].max() for ids in handler.bo_initializations[space][dataset].values()])
            assert (y.max() - best_of_initial) / (y.max() - y.min()) > 0.02, (space, dataset)


def test_bundled_size_is_the_stated_one():
    """data/hpob-mini/README.md: 15.9 MB (hpob-data 4.5 MB, surrogates 11.3 MB), MB = 10^6 bytes."""
    root = MINI_DATA_DIR.parent

    def megabytes(folder):
        return round(sum(p.stat().st_size for p in folder.rglob("*")
                         if p.is_file() and ".cache" not in str(p)) / 1e6, 1)

    assert (megabytes(root), megabytes(MINI_DATA_DIR), megabytes(MINI_SURROGATES_DIR)) == (15.9, 4.5, 11.3)


@pytest.mark.skipif(not MINI_CHECKPOINT_DIR.is_dir(), reason="no bundled checkpoints")
def test_bundled_checkpoints_load_for_their_spaces(handler):
    from methods.generative_hpo import load_checkpoint

    for space in handler.get_search_spaces():
        model, payload = load_checkpoint(MINI_CHECKPOINT_DIR / f"{space}.pt", space,
                                         handler.get_search_space_dim(space))
        assert payload["extra"]["validation_datasets"] == sorted(handler.get_meta_split("validation", space))


def test_default_run_is_the_bundled_benchmark(monkeypatch, tmp_path):
    from hpogen import runner

    monkeypatch.setattr(runner, "REAL_DATA_DIR", tmp_path / "no-hpob-data")
    bench = runner.resolve_benchmark()
    assert bench.name == "mini" and bench.default_spaces == ["mini-xgboost"]
    line = bench.announcement(["mini-xgboost"])
    assert "bundled hpob-mini" in line and "download_hpob.py" in line and "(search space mini-xgboost)" in line
    assert "(search spaces mini-svm, mini-xgboost)" in bench.announcement(["mini-xgboost", "mini-svm"])
    assert bench.results_dir == REPO_ROOT / "results" / "mini"


def test_the_same_data_gets_the_same_name_however_it_is_passed(monkeypatch, tmp_path):
    from hpogen import runner

    real = tmp_path / "repo" / "hpob-data"
    real.mkdir(parents=True)
    monkeypatch.setattr(runner, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.setattr(runner, "REAL_DATA_DIR", real)
    assert runner.resolve_benchmark().name == "hpob"
    assert runner.resolve_benchmark(str(real)).name == "hpob"
    assert runner.resolve_benchmark(str(real)).runs_dir == runner.RUNS_DIR / "hpob"
    (tmp_path / "repo" / "other-data").mkdir()
    assert runner.resolve_benchmark(str(tmp_path / "repo" / "other-data")).name == "other-data"
    (tmp_path / "elsewhere" / "hpob-data").mkdir(parents=True)
    assert runner.resolve_benchmark(str(tmp_path / "elsewhere" / "hpob-data")).name == "elsewhere"
