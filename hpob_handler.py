"""An HPO-B-compatible benchmark handler, written for this project.

It reads HPO-B's on-disk layout (see README, "HPO-B data")::

    hpob-data/
      meta-train-dataset.json, meta-train-dataset-augmented.json,
      meta-validation-dataset.json, meta-test-dataset.json, bo-initializations.json
    saved-surrogates/
      surrogate-{space}-{dataset}.json, summary-stats.json

and runs any object with ``observe_and_suggest(X_obs, y_obs, X_pen=None)``
through HPO-B's two protocols:

- ``evaluate`` (discrete): the method picks an index into the pending
  configurations; y is min-max normalised over the whole dataset.
- ``evaluate_continuous``: the method returns a point of [0, 1]^d that the
  dataset's XGBoost surrogate scores; y is normalised with the surrogate's
  ``y_min``/``y_max`` and clipped to [0, 1].

Both start from the five initial points of the seed and return the incumbent
after 0, 1, ..., n_trials suggestions (n_trials + 1 values). A run that reaches
the optimum (1.0) stops and is padded with 1.0. Unlike HPO-B's reference
continuous loop, every suggestion counts, the last one included.

A suggestion of the wrong shape, with NaN, outside [0, 1]^d, or an index
outside X_pen is refused with :class:`InvalidSuggestionError` naming the
method; it is never clipped or wrapped.

Example:
    >>> import numpy as np
    >>> class RandomSearch:
    ...     def observe_and_suggest(self, X_obs, y_obs, X_pen=None):
    ...         if X_pen is not None:
    ...             return int(np.random.randint(len(X_pen)))
    ...         return np.random.rand(1, X_obs.shape[1])
    >>> handler = HPOBHandler("hpob-data/", mode="v3-test")          # doctest: +SKIP
    >>> handler.evaluate(RandomSearch(), "5971", "10093", "test0", 50)  # doctest: +SKIP
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from hpogen.errors import UserError
from hpogen.metadata import MetaDataset

__all__ = ["HPOBHandler", "InvalidSuggestionError", "HPOBDataError", "MODES", "SEEDS", "N_INITIAL"]

MODES = ("v1", "v2", "v3", "v3-test", "v3-train-augmented")
SEEDS = ("test0", "test1", "test2", "test3", "test4")
N_INITIAL = 5
GET_DATA_HINT = "see README section 'HPO-B data' for how to get it (python download_hpob.py)"

# Which meta-dataset files each mode loads (split -> file name).
_FILES = {
    "train": "meta-train-dataset.json",
    "train-augmented": "meta-train-dataset-augmented.json",
    "validation": "meta-validation-dataset.json",
    "test": "meta-test-dataset.json",
}
_MODE_SPLITS = {
    "v3-test": {"test": "test"},
    "v3": {"train": "train", "validation": "validation", "test": "test"},
    "v2": {"train": "train", "validation": "validation", "test": "test"},
    "v3-train-augmented": {"train": "train-augmented", "validation": "validation", "test": "test"},
    "v1": {"train": "train-augmented", "validation": "validation", "test": "test"},
}


class HPOBDataError(UserError):
    """Missing or malformed benchmark files."""


class InvalidSuggestionError(UserError):
    """A method returned something the protocol does not allow."""


def _method_name(method: Any) -> str:
    return getattr(method, "name", None) or type(method).__name__


class HPOBHandler:
    """Load HPO-B-layout data and evaluate methods on it.

    Args:
        root_dir: folder holding the meta-dataset JSON files and
            ``bo-initializations.json``.
        mode: one of ``v1``, ``v2``, ``v3``, ``v3-test`` (meta-test only; the
            default), ``v3-train-augmented``. Only the files the mode needs
            are read, and each lazily, one search space at a time. Every
            mode evaluates on the meta-test datasets and keeps the splits
            apart; ``v1`` reads the augmented meta-train file, the others
            the plain one. This differs from HPO-B's reference handler,
            whose ``v1`` and ``v2`` (the non-transfer versions) pool the
            train, validation and test datasets of a space and evaluate on
            all of them; to do that here, use an HPO-B-layout folder whose
            ``meta-test-dataset.json`` holds every dataset.
        surrogates_dir: folder of ``surrogate-{space}-{dataset}.json`` and
            ``summary-stats.json``; only needed by ``evaluate_continuous``.
    """

    def __init__(self, root_dir: str | os.PathLike = "hpob-data/", mode: str = "v3-test",
                 surrogates_dir: str | os.PathLike = "saved-surrogates/"):
        if mode not in MODES:
            raise UserError(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")
        self.root_dir = Path(root_dir)
        self.surrogates_dir = Path(surrogates_dir)
        self.mode = mode
        if not self.root_dir.is_dir():
            raise HPOBDataError(f"HPO-B data folder {self.root_dir} does not exist; {GET_DATA_HINT}")
        self._splits = {split: MetaDataset(self._require(self.root_dir / _FILES[key]))
                        for split, key in _MODE_SPLITS[mode].items()}
        self._init_path = self._require(self.root_dir / "bo-initializations.json")
        self._bo_initializations: dict | None = None
        self._surrogate_stats: dict | None = None

    # ------------------------------------------------------------------ files
    @staticmethod
    def _require(path: Path) -> Path:
        if not path.is_file():
            raise HPOBDataError(f"missing HPO-B file {path}; {GET_DATA_HINT}")
        return path

    @property
    def bo_initializations(self) -> dict:
        if self._bo_initializations is None:
            self._bo_initializations = _load_json(self._init_path)
        return self._bo_initializations

    @property
    def surrogates_stats(self) -> dict:
        if self._surrogate_stats is None:
            path = self._require_surrogate_file(self.surrogates_dir / "summary-stats.json")
            self._surrogate_stats = _load_json(path)
        return self._surrogate_stats

    def _require_surrogate_file(self, path: Path) -> Path:
        if not path.is_file():
            raise HPOBDataError(f"missing surrogate file {path}; the continuous protocol needs HPO-B's "
                                f"saved-surrogates: {GET_DATA_HINT}, or pass the folder with --surrogates-dir")
        return path

    # ----------------------------------------------------------- ids & sizes
    def get_search_spaces(self) -> list[str]:
        """The search spaces of the meta-test split (those HPO-B evaluates on)."""
        spaces = self._splits["test"].spaces()
        if not spaces:
            raise HPOBDataError(f"{self._splits['test'].path} holds no search space with data; "
                                f"it is empty or not the right file, {GET_DATA_HINT}")
        return spaces

    def get_datasets(self, search_space_id: str) -> list[str]:
        """The meta-test datasets of ``search_space_id``."""
        space = self._check_space(search_space_id)
        return self._splits["test"].datasets(space)

    def get_seeds(self) -> list[str]:
        """HPO-B's five seeds: the names of the initial designs."""
        return list(SEEDS)

    def get_search_space_dim(self, search_space_id: str) -> int:
        """The number of columns of X in ``search_space_id``."""
        space = self._check_space(search_space_id)
        return self._splits["test"].dim(space)

    def available_splits(self) -> list[str]:
        """Names of the meta-dataset splits this mode loads (``train``, ``validation``, ``test``)."""
        return list(self._splits)

    def get_meta_split(self, split: str, search_space_id: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The raw data of one split of one search space, for meta-training.

        Args:
            split: ``"train"`` (the augmented file in modes v1 and
                v3-train-augmented), ``"validation"`` or ``"test"``.
            search_space_id: e.g. ``"5971"``.

        Returns:
            ``{dataset_id: (X, y)}`` with X float64 of shape (n, d) in [0, 1]
            and y float64 of shape (n, 1), raw (un-normalised) accuracy.
        """
        if split not in self._splits:
            raise UserError(f"mode {self.mode!r} does not load the {split!r} split (it loads "
                            f"{', '.join(self._splits)}); use mode='v3' for meta-training")
        data = self._splits[split]
        space = str(search_space_id)
        if space not in data.spaces():
            raise UserError(f"unknown search space {space!r} in the {split} split; valid: "
                            f"{', '.join(data.spaces())}")
        return {ds: data.get(space, ds) for ds in data.datasets(space)}

    def _check_space(self, search_space_id: Any) -> str:
        space = str(search_space_id)
        spaces = self.get_search_spaces()
        if space not in spaces:
            raise UserError(f"unknown search space {space!r}; valid: {', '.join(spaces)}")
        return space

    def _check_ids(self, search_space_id: Any, dataset_id: Any, seed: Any) -> tuple[str, str, str]:
        space = self._check_space(search_space_id)
        dataset = str(dataset_id)
        datasets = self._splits["test"].datasets(space)
        if dataset not in datasets:
            raise UserError(f"unknown dataset {dataset!r} in search space {space}; valid: {', '.join(datasets)}")
        if seed not in SEEDS:
            raise UserError(f"unknown seed {seed!r}; valid: {', '.join(SEEDS)}")
        return space, dataset, seed

    def _initial_ids(self, space: str, dataset: str, seed: str, n: int) -> list[int]:
        try:
            ids = self.bo_initializations[space][dataset][seed]
        except KeyError:
            raise HPOBDataError(f"{self._init_path} has no initial design for {space}/{dataset}/{seed}; "
                                f"the file is incomplete, {GET_DATA_HINT}") from None
        ids = [int(i) for i in ids]
        if not ids or min(ids) < 0 or max(ids) >= n:
            raise HPOBDataError(f"{self._init_path}: initial design {space}/{dataset}/{seed} indexes outside "
                                f"the dataset's {n} rows; the file does not match the data, {GET_DATA_HINT}")
        return ids

    @staticmethod
    def _check_trials(n_trials: Any) -> int:
        if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials < 1:
            raise UserError(f"n_trials must be an integer >= 1, got {n_trials!r}")
        return int(n_trials)

    # ------------------------------------------------------------- protocols
    def evaluate(self, bo_method=None, search_space_id=None, dataset_id=None, seed=None,
                 n_trials: int = 10) -> list[float]:
        """Discrete protocol: the method picks among the dataset's unevaluated rows.

        Returns:
            n_trials + 1 incumbents (best normalised y), the first being the
            best of the initial design; padded with 1.0 after the optimum.
        """
        if bo_method is None:
            raise UserError("evaluate needs bo_method, an object with observe_and_suggest")
        space, dataset, seed = self._check_ids(search_space_id, dataset_id, seed)
        n_trials = self._check_trials(n_trials)
        X, y_raw = self._splits["test"].get(space, dataset)
        y = _minmax(y_raw, float(y_raw.min()), float(y_raw.max()))
        X = X.astype(np.float64)
        observed = self._initial_ids(space, dataset, seed, len(X))
        pending_mask = np.ones(len(X), dtype=bool)
        pending_mask[observed] = False
        history = [float(y[observed].max())]
        name = _method_name(bo_method)
        for _ in range(n_trials):
            if history[-1] >= 1.0 or not pending_mask.any():
                break
            pending = np.flatnonzero(pending_mask)
            choice = bo_method.observe_and_suggest(X[observed], y[observed], X[pending])
            index = _check_index(choice, len(pending), name)
            observed.append(int(pending[index]))
            pending_mask[pending[index]] = False
            history.append(max(history[-1], float(y[observed[-1], 0])))
        return _pad(history, n_trials)

    def evaluate_continuous(self, bo_method=None, search_space_id=None, dataset_id=None, seed=None,
                            n_trials: int = 10) -> list[float]:
        """Continuous protocol: the method proposes points, the surrogate scores them.

        Returns:
            n_trials + 1 incumbents; entry t is the best normalised y after t
            suggestions (every suggestion counts). Padded with 1.0 after the
            optimum.
        """
        if bo_method is None:
            raise UserError("evaluate_continuous needs bo_method, an object with observe_and_suggest")
        space, dataset, seed = self._check_ids(search_space_id, dataset_id, seed)
        n_trials = self._check_trials(n_trials)
        surrogate, y_min, y_max = self.load_surrogate(space, dataset)
        X, y_raw = self._splits["test"].get(space, dataset)
        d = X.shape[1]
        observed = self._initial_ids(space, dataset, seed, len(X))
        X_obs = X[observed].astype(np.float64)
        y_obs = np.clip(_minmax(y_raw[observed], y_min, y_max), 0.0, 1.0)
        history = [float(y_obs.max())]
        name = _method_name(bo_method)
        import xgboost as xgb

        for _ in range(n_trials):
            if history[-1] >= 1.0:
                break
            x_new = _check_point(bo_method.observe_and_suggest(X_obs, y_obs), d, name)
            y_new = surrogate.predict(xgb.DMatrix(x_new)).reshape(1, 1).astype(np.float64)
            y_new = np.clip(_minmax(y_new, y_min, y_max), 0.0, 1.0)
            X_obs = np.concatenate([X_obs, x_new], axis=0)
            y_obs = np.concatenate([y_obs, y_new], axis=0)
            history.append(max(history[-1], float(y_new[0, 0])))
        return _pad(history, n_trials)

    def load_surrogate(self, search_space_id: str, dataset_id: str):
        """The XGBoost surrogate of one meta-test dataset and its y_min, y_max."""
        import xgboost as xgb

        name = f"surrogate-{search_space_id}-{dataset_id}"
        path = self._require_surrogate_file(self.surrogates_dir / f"{name}.json")
        if name not in self.surrogates_stats:
            raise HPOBDataError(f"{self.surrogates_dir / 'summary-stats.json'} has no entry {name!r}; "
                                f"the surrogates folder is incomplete, {GET_DATA_HINT}")
        stats = self.surrogates_stats[name]
        try:
            y_min, y_max = float(stats["y_min"]), float(stats["y_max"])
        except (TypeError, KeyError, ValueError):
            raise HPOBDataError(f"{self.surrogates_dir / 'summary-stats.json'}: entry {name!r} needs numeric "
                                f"y_min and y_max; the file is corrupt, {GET_DATA_HINT}") from None
        booster = xgb.Booster()
        try:
            booster.load_model(str(path))
        except (xgb.core.XGBoostError, UnicodeDecodeError, ValueError) as err:
            # xgboost reads a .json file as UTF-8 JSON: random bytes fail with UnicodeDecodeError
            raise HPOBDataError(f"surrogate file {path} is corrupt ({type(err).__name__}); {GET_DATA_HINT}") from None
        d = self.get_search_space_dim(search_space_id)
        if booster.num_features() != d:
            raise HPOBDataError(f"surrogate {path} expects {booster.num_features()} features but space "
                                f"{search_space_id} has {d}; the surrogates do not match the data")
        return booster, y_min, y_max


# ---------------------------------------------------------------- helpers
def _load_json(path: Path) -> Any:
    import orjson

    try:
        return orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as err:
        raise HPOBDataError(f"{path} is corrupt or truncated ({err}); {GET_DATA_HINT}") from None


def _minmax(y: np.ndarray, y_min: float, y_max: float) -> np.ndarray:
    """(y - y_min) / (y_max - y_min) as float64; a constant range maps to 1."""
    y = np.asarray(y, dtype=np.float64)
    if y_max <= y_min:
        return np.ones_like(y)
    return (y - y_min) / (y_max - y_min)


def _pad(history: list[float], n_trials: int) -> list[float]:
    return history + [history[-1]] * (n_trials + 1 - len(history))


def _check_index(choice: Any, n_pending: int, name: str) -> int:
    value = choice
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item() if np.issubdtype(value.dtype, np.integer) else value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidSuggestionError(f"method {name} returned {choice!r} in the discrete protocol; "
                                     "it must return an int index into X_pen")
    if not 0 <= int(value) < n_pending:
        raise InvalidSuggestionError(f"method {name} returned index {int(value)}, outside X_pen "
                                     f"(valid: 0..{n_pending - 1}); negative indices are not wrapped")
    return int(value)


def _check_point(point: Any, d: int, name: str) -> np.ndarray:
    try:
        x = np.asarray(point, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidSuggestionError(f"method {name} returned {type(point).__name__}, not a numeric "
                                     f"array of shape (1, {d})") from None
    if x.shape not in ((1, d), (d,)):
        raise InvalidSuggestionError(f"method {name} returned shape {x.shape}; the continuous protocol "
                                     f"needs one point of shape (1, {d})")
    x = x.reshape(1, d)
    if not np.isfinite(x).all():
        raise InvalidSuggestionError(f"method {name} returned a point with NaN or inf: {x.tolist()}")
    if (x < 0).any() or (x > 1).any():
        raise InvalidSuggestionError(f"method {name} returned a point outside [0, 1]^{d} "
                                     f"(min {x.min():.4g}, max {x.max():.4g}); points are never clipped")
    return x
