import random

import numpy as np
import orjson
import pytest

from hpob_handler import HPOBHandler, InvalidSuggestionError
from hpogen.errors import UserError


class HPOBReadmeRandomSearch:
    """A method written the way HPO-B's README writes one (module `random`, no seed API)."""

    def observe_and_suggest(self, X_obs, y_obs, X_pen=None):
        if X_pen is not None:
            return random.randint(0, len(X_pen) - 1)
        dim = len(X_obs[0])
        bounds = tuple([(0, 1) for _ in range(dim)])
        return np.array([random.uniform(lower, upper) for upper, lower in bounds]).reshape(-1, dim)


class Scripted:
    """Returns the given suggestions in order; records what it observed."""

    def __init__(self, suggestions):
        self.suggestions = list(suggestions)
        self.seen = []

    def observe_and_suggest(self, X_obs, y_obs, X_pen=None):
        self.seen.append((np.array(X_obs), np.array(y_obs), None if X_pen is None else np.array(X_pen)))
        return self.suggestions.pop(0)


def test_ids_dims_and_seeds(tiny_hpob):
    handler = HPOBHandler(*tiny_hpob[:1], mode="v3-test", surrogates_dir=tiny_hpob[1])
    assert handler.get_search_spaces() == ["100", "200"]
    assert handler.get_datasets("100") == ["5", "6"]
    assert handler.get_search_space_dim("100") == 3 and handler.get_search_space_dim("200") == 2
    assert handler.get_seeds() == ["test0", "test1", "test2", "test3", "test4"]
    assert handler.available_splits() == ["test"]


@pytest.mark.parametrize("protocol", ["evaluate", "evaluate_continuous"])
def test_hpob_style_method_runs_unchanged(tiny_hpob, protocol):
    random.seed(0)
    handler = HPOBHandler(tiny_hpob[0], "v3-test", tiny_hpob[1])
    curve = getattr(handler, protocol)(HPOBReadmeRandomSearch(), search_space_id="100", dataset_id="5",
                                       seed="test1", n_trials=20)
    assert len(curve) == 21
    assert all(0.0 <= v <= 1.0 for v in curve)
    assert all(b >= a for a, b in zip(curve, curve[1:]))


def test_discrete_normalisation_and_first_incumbent(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    handler = HPOBHandler(data_dir, "v3-test", surr_dir)
    raw = orjson.loads((data_dir / "meta-test-dataset.json").read_bytes())["100"]["6"]
    X, y = np.array(raw["X"]), np.array(raw["y"])
    y_norm = (y - y.min()) / (y.max() - y.min())
    init = orjson.loads((data_dir / "bo-initializations.json").read_bytes())["100"]["6"]["test2"]
    method = Scripted([0, 0, 0])
    curve = handler.evaluate(method, "100", "6", "test2", 3)
    assert curve[0] == pytest.approx(y_norm[init].max())
    X_obs, y_obs, X_pen = method.seen[0]
    np.testing.assert_allclose(X_obs, X[init])
    np.testing.assert_allclose(y_obs, y_norm[init])
    assert len(X_pen) == len(X) - 5
    # the pending rows keep their order, so index 0 is the first unevaluated row
    chosen = [i for i in range(len(X)) if i not in init][0]
    assert curve[1] == pytest.approx(max(y_norm[init].max(), y_norm[chosen, 0]))
    assert len(method.seen[1][0]) == 6 and len(method.seen[1][2]) == len(X) - 6


def test_discrete_early_stop_is_padded(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    handler = HPOBHandler(data_dir, "v3-test", surr_dir)
    raw = orjson.loads((data_dir / "meta-test-dataset.json").read_bytes())["100"]["5"]
    y = np.array(raw["y"]).ravel()

    class Oracle:
        calls = 0

        def observe_and_suggest(self, X_obs, y_obs, X_pen=None):
            Oracle.calls += 1
            # the pending row whose y is the dataset's best
            best_x = np.array(raw["X"])[int(np.argmax(y))]
            return int(np.argmin(((X_pen - best_x) ** 2).sum(1)))

    curve = handler.evaluate(Oracle(), "100", "5", "test0", 10)
    assert Oracle.calls == 1
    assert curve[1:] == [1.0] * 10 and len(curve) == 11


def _reference_continuous_loop(handler, method, space, dataset, seed, n_trials):
    """HPO-B's reference continuous loop, defect included (FORMAT.md): stale incumbents."""
    import xgboost as xgb

    booster, y_min, y_max = handler.load_surrogate(space, dataset)
    X, y = handler.get_meta_split("test", space)[dataset]
    init = handler.bo_initializations[space][dataset][seed]
    x_obs, y_obs = X[init], np.clip((y[init] - y_min) / (y_max - y_min), 0, 1)
    history = [float(np.max(y_obs))]
    for _ in range(n_trials):
        x_new = method.observe_and_suggest(x_obs, y_obs).reshape(-1, X.shape[1])
        y_new = booster.predict(xgb.DMatrix(x_new)).reshape(-1, 1)
        history.append(float(np.max(y_obs)))          # recorded before the new point counts
        y_obs = np.append(y_obs, np.clip((y_new - y_min) / (y_max - y_min), 0, 1), axis=0)
        x_obs = np.append(x_obs, x_new, axis=0)
    return history


def test_continuous_counts_every_suggestion_unlike_reference(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    handler = HPOBHandler(data_dir, "v3", surr_dir)
    X, y = handler.get_meta_split("test", "100")["6"]
    worst, best = X[np.argmin(y)][None], X[np.argmax(y)][None]
    script = [worst] * 6 + [best]        # only the last suggestion improves
    ours = handler.evaluate_continuous(Scripted(script), "100", "6", "test3", 7)
    ref = _reference_continuous_loop(handler, Scripted(script), "100", "6", "test3", 7)
    assert len(ours) == len(ref) == 8
    assert ours[0] == ref[0]
    assert ours[:-1] == ref[1:]              # the same values, shifted by one suggestion
    assert ours[-1] > ref[-1]                # the last suggestion counts only in ours


def test_continuous_early_stop_padding(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    stats = orjson.loads((surr_dir / "summary-stats.json").read_bytes())
    stats["surrogate-100-5"]["y_max"] = 0.6  # so a good point normalises (and clips) to 1.0
    (surr_dir / "summary-stats.json").write_bytes(orjson.dumps(stats))
    handler = HPOBHandler(data_dir, "v3", surr_dir)
    X, y = handler.get_meta_split("test", "100")["5"]
    method = Scripted([X[np.argmax(y)][None]] * 10)
    curve = handler.evaluate_continuous(method, "100", "5", "test0", 10)
    assert len(curve) == 11 and curve[-1] == 1.0
    assert len(method.seen) == curve.index(1.0)    # no suggestion asked after reaching the optimum
    assert all(v == 1.0 for v in curve[curve.index(1.0):])


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 3)), "shape (2, 3)"),
    (np.zeros((1, 4)), "shape (1, 4)"),
    (np.full((1, 3), np.nan), "NaN"),
    (np.array([[0.5, 1.2, 0.5]]), "outside [0, 1]^3"),
    (np.array([[-0.1, 0.5, 0.5]]), "outside [0, 1]^3"),
    ("abc", "not a numeric array"),
])
def test_invalid_continuous_suggestions_are_refused(tiny_hpob, bad, message):
    handler = HPOBHandler(tiny_hpob[0], "v3-test", tiny_hpob[1])
    with pytest.raises(InvalidSuggestionError) as err:
        handler.evaluate_continuous(Scripted([bad]), "100", "5", "test0", 3)
    assert "Scripted" in str(err.value) and message in str(err.value)


@pytest.mark.parametrize("bad, message", [
    (-1, "outside X_pen"), (55, "outside X_pen"), (2.0, "int index"), (True, "int index"),
    (None, "int index"), (np.array([1, 2]), "int index"),
])
def test_invalid_discrete_suggestions_are_refused(tiny_hpob, bad, message):
    handler = HPOBHandler(tiny_hpob[0], "v3-test", tiny_hpob[1])
    with pytest.raises(InvalidSuggestionError) as err:
        handler.evaluate(Scripted([bad]), "100", "5", "test0", 3)
    assert "Scripted" in str(err.value) and message in str(err.value)


def test_numpy_integer_index_accepted(tiny_hpob):
    handler = HPOBHandler(tiny_hpob[0], "v3-test", tiny_hpob[1])
    curve = handler.evaluate(Scripted([np.int64(3), np.array([2])]), "100", "5", "test0", 2)
    assert len(curve) == 3


def test_unknown_ids_list_valid_ones(tiny_hpob):
    handler = HPOBHandler(tiny_hpob[0], "v3-test", tiny_hpob[1])
    with pytest.raises(UserError, match=r"unknown search space '999'; valid: 100, 200"):
        handler.evaluate(Scripted([]), "999", "5", "test0", 3)
    with pytest.raises(UserError, match=r"unknown dataset '7' in search space 100; valid: 5, 6"):
        handler.evaluate(Scripted([]), "100", "7", "test0", 3)
    with pytest.raises(UserError, match=r"unknown seed 'test9'; valid: test0, test1, test2, test3, test4"):
        handler.evaluate(Scripted([]), "100", "5", "test9", 3)
    with pytest.raises(UserError, match=r"n_trials must be an integer >= 1"):
        handler.evaluate(Scripted([]), "100", "5", "test0", 0)
    with pytest.raises(UserError, match=r"unknown mode 'v4'"):
        HPOBHandler(tiny_hpob[0], "v4", tiny_hpob[1])


def test_missing_files_name_the_path_and_readme(tmp_path, tiny_hpob):
    with pytest.raises(UserError) as err:
        HPOBHandler(tmp_path / "nowhere", "v3-test")
    assert "nowhere" in str(err.value) and "README section 'HPO-B data'" in str(err.value)
    data_dir, surr_dir = tiny_hpob
    (data_dir / "meta-validation-dataset.json").unlink()
    HPOBHandler(data_dir, "v3-test", surr_dir)  # v3-test does not need it
    with pytest.raises(UserError, match="meta-validation-dataset.json"):
        HPOBHandler(data_dir, "v3", surr_dir)
    handler = HPOBHandler(data_dir, "v3-test", tmp_path / "no-surrogates")
    with pytest.raises(UserError, match="no-surrogates.*saved-surrogates"):
        handler.evaluate_continuous(Scripted([]), "100", "5", "test0", 3)


def test_only_the_files_of_the_mode_are_needed(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    for name in ("meta-train-dataset.json", "meta-train-dataset-augmented.json", "meta-validation-dataset.json"):
        (data_dir / name).unlink()
    handler = HPOBHandler(data_dir, "v3-test", surr_dir)
    assert len(handler.evaluate(Scripted([0]), "200", "6", "test4", 1)) == 2
    with pytest.raises(UserError, match="does not load the 'train' split"):
        handler.get_meta_split("train", "100")


def test_meta_split_accessor(tiny_hpob):
    handler = HPOBHandler(tiny_hpob[0], "v3-train-augmented", tiny_hpob[1])
    train = handler.get_meta_split("train", "100")
    assert sorted(train) == ["1", "2", "3"]
    X, y = train["1"]
    assert X.shape == (60, 3) and y.shape == (60, 1) and X.dtype == np.float64
    assert sorted(handler.get_meta_split("validation", "200")) == ["4"]
    with pytest.raises(UserError, match="unknown search space '5'"):
        handler.get_meta_split("train", "5")


def test_corrupt_json_is_one_line_error(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    path = data_dir / "meta-test-dataset.json"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(UserError) as err:
        HPOBHandler(data_dir, "v3-test", surr_dir).get_search_spaces()
    assert "corrupt or truncated" in str(err.value) and "\n" not in str(err.value)


def test_bad_values_in_data_are_refused(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    path = data_dir / "meta-test-dataset.json"
    data = orjson.loads(path.read_bytes())
    data["100"]["5"]["X"][0][0] = 1.5
    path.write_bytes(orjson.dumps(data))
    with pytest.raises(UserError, match=r"100/5 has X values outside \[0, 1\]"):
        HPOBHandler(data_dir, "v3-test", surr_dir).get_search_spaces()
    data["100"]["5"]["X"][0][0] = 0.5
    data["100"]["5"]["y"][3][0] = float("nan") if False else None
    path.write_bytes(orjson.dumps(data))
    with pytest.raises(UserError, match=r"100/5"):
        HPOBHandler(data_dir, "v3-test", surr_dir).get_search_spaces()


def test_binary_cache_is_used_and_invalidated(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    first = HPOBHandler(data_dir, "v3-test", surr_dir).get_meta_split("test", "100")["5"][1]
    cache = data_dir / "meta-test-dataset.json.cache"
    assert (cache / "index.json").is_file() and len(list(cache.glob("*.npz"))) == 2
    second = HPOBHandler(data_dir, "v3-test", surr_dir).get_meta_split("test", "100")["5"][1]
    np.testing.assert_array_equal(first, second)
    path = data_dir / "meta-test-dataset.json"
    data = orjson.loads(path.read_bytes())
    data["100"]["5"]["y"][0][0] = 0.123
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))  # new size and mtime
    third = HPOBHandler(data_dir, "v3-test", surr_dir).get_meta_split("test", "100")["5"][1]
    assert third[0, 0] == 0.123


def test_surrogate_dimension_mismatch_is_refused(tiny_hpob):
    data_dir, surr_dir = tiny_hpob
    (surr_dir / "surrogate-100-5.json").write_bytes((surr_dir / "surrogate-200-5.json").read_bytes())
    with pytest.raises(UserError, match="expects 2 features but space 100 has 3"):
        HPOBHandler(data_dir, "v3-test", surr_dir).load_surrogate("100", "5")


def test_nan_or_infinite_y_in_the_data_is_refused(tiny_hpob):
    import json

    data_dir, surr_dir = tiny_hpob
    path = data_dir / "meta-test-dataset.json"
    data = orjson.loads(path.read_bytes())
    for bad, says in ((float("nan"), "100/5 has missing (null) or NaN y values in 1 row"),
                      (float("-inf"), "100/5 has infinite y values in 1 row")):
        data["100"]["5"]["y"][3][0] = bad
        path.write_text(json.dumps(data))          # Python's json writes NaN / Infinity literals
        with pytest.raises(UserError) as err:
            HPOBHandler(data_dir, "v3-test", surr_dir).get_search_spaces()
        assert "meta-test-dataset.json" in str(err.value) and "\n" not in str(err.value)
        assert says in str(err.value) and "corrupt" not in str(err.value)
    from hpogen.metadata import _to_arrays  # a NaN that reached the arrays is named as such

    with pytest.raises(UserError, match="5 has missing \\(null\\) or NaN y values"):
        _to_arrays(path, "100", "5", {"X": [[0.1, 0.2]] * 3, "y": [[0.1], [np.nan], [0.2]]})
