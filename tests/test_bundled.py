"""The bundled hpob-mini benchmark loads through the handler and meets its spec."""
import numpy as np
import pytest

from hpob_handler import HPOBHandler
from hpogen.runner import MINI_CHECKPOINT_DIR, MINI_DATA_DIR, MINI_SURROGATES_DIR, REPO_ROOT

pytestmark = pytest.mark.skipif(not MINI_DATA_DIR.is_dir(), reason="data/hpob-mini is not in this checkout")


@pytest.fixture(scope="module")
def handler():
    return HPOBHandler(MINI_DATA_DIR, mode="v3", surrogates_dir=MINI_SURROGATES_DIR)


def test_spaces_dimensions_and_splits(handler):
    assert handler.get_search_spaces() == ["mini-xgboost", "mini-svm"]
    assert handler.get_search_space_dim("mini-xgboost") == 16
    assert handler.get_search_space_dim("mini-svm") < 16
    for space in handler.get_search_spaces():
        train = handler.get_meta_split("train", space)
        validation = handler.get_meta_split("validation", space)
        test = handler.get_meta_split("test", space)
        assert len(train) >= 16 and len(validation) >= 4 and len(test) >= 6
        assert not (set(train) & set(validation)) and not (set(train) & set(test)) \
            and not (set(validation) & set(test))
        for X, y in [*train.values(), *validation.values(), *test.values()]:
            assert len(X) >= 300 and X.shape[1] == handler.get_search_space_dim(space)
            assert X.min() >= 0 and X.max() <= 1 and np.isfinite(y).all()


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


def test_bundled_files_fit_the_size_budget():
    root = MINI_DATA_DIR.parent
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and ".cache" not in str(p))
    assert total <= 25 * 2**20


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
    assert "bundled hpob-mini" in bench.note and "download_hpob.py" in bench.note
    assert bench.results_dir == REPO_ROOT / "results" / "mini"
