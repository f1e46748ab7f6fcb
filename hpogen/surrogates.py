"""XGBoost surrogates for HPO-B-layout meta-test data, fitted as HPO-B fitted them.

For each meta-test dataset: a ``reg:squarederror`` booster with max_depth 6
on (X, y); the learning rate and the number of rounds are chosen by 5-fold
cross-validation over a small grid (rounds by early stopping on the CV error).
The files written are the ones HPO-B's continuous protocol reads:

    OUT/surrogate-{space}-{dataset}.json   Booster.save_model JSON
    OUT/summary-stats.json                 {"surrogate-{space}-{dataset}": {"y_min", "y_max"}}

plus ``OUT/fit-report.json``: each surrogate's chosen eta / rounds and its
held-out fit (R^2 and Spearman on a held-out 20 %, with the selection redone
on the other 80 %), which is how good the surrogate is as a stand-in for
training the real model. Works on hpob-mini and on HPO-B's own files.

Example:
    >>> from hpogen import surrogates
    >>> report = surrogates.train_all("data/hpob-mini/hpob-data", "/tmp/surr")  # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import orjson

from hpogen.errors import UserError
from hpogen.results import atomic_write_bytes

ETAS = (0.01, 0.03, 0.1, 0.3)  # learning rates tried by cross-validation
MAX_ROUNDS = 1000  # upper bound on rounds; early stopping picks the number
EARLY_STOP = 50  # rounds without CV improvement before stopping
MAX_DEPTH = 6
N_FOLDS = 5
HELDOUT_FRACTION = 0.2


@dataclass
class SurrogateFit:
    """Outcome of fitting one surrogate.

    Attributes:
        eta, rounds: the hyperparameters chosen by cross-validation.
        cv_rmse: the CV error at that choice.
        r2, spearman: fit on the held-out part (selection and fit on the rest).
        n: rows of the dataset.
    """

    eta: float
    rounds: int
    cv_rmse: float
    r2: float
    spearman: float
    n: int


def find_meta_test(data_dir: str | Path) -> Path:
    """Locate ``meta-test-dataset.json`` in ``data_dir`` or ``data_dir/hpob-data``."""
    data_dir = Path(data_dir)
    for path in (data_dir / "meta-test-dataset.json",
                 data_dir / "hpob-data" / "meta-test-dataset.json"):
        if path.is_file():
            return path
    raise UserError(f"no meta-test-dataset.json in {data_dir} or {data_dir / 'hpob-data'}; "
                    "pass --data-dir the folder holding HPO-B's hpob-data files")


def load_meta_test(data_dir: str | Path, search_spaces: Sequence[str] | None = None
                   ) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Read the meta-test split: {space: {dataset: (X (n, d), y (n,))}}.

    Args:
        data_dir: folder with ``meta-test-dataset.json`` (or its parent).
        search_spaces: keep only these spaces (default: all).

    Returns:
        The arrays, float64.
    """
    from hpogen.metadata import MetaDataset

    path = find_meta_test(data_dir)
    meta = MetaDataset(path, use_cache=False)      # validated: one-line errors for a malformed file
    available = meta.spaces()
    if search_spaces:
        missing = [s for s in search_spaces if s not in available]
        if missing:
            raise UserError(f"search space(s) {', '.join(missing)} not in {path}; "
                            f"available: {', '.join(available)}")
    return {s: {d: (X, y.ravel()) for d, (X, y) in meta.load_space(s).items()}
            for s in (search_spaces or available)}


def _folds(n: int, seed: int, n_folds: int = N_FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    """Deterministic shuffled K-fold index pairs."""
    order = np.random.default_rng(seed).permutation(n)
    parts = np.array_split(order, n_folds)
    return [(np.concatenate(parts[:k] + parts[k + 1:]), parts[k]) for k in range(n_folds)]


def _params(eta: float, seed: int, threads: int) -> dict[str, Any]:
    return {"objective": "reg:squarederror", "max_depth": MAX_DEPTH, "eta": eta,
            "seed": seed, "nthread": threads, "verbosity": 0}


def select_hyperparameters(X: np.ndarray, y: np.ndarray, seed: int = 0, threads: int = 1,
                           etas: Sequence[float] = ETAS, max_rounds: int = MAX_ROUNDS
                           ) -> tuple[float, int, float]:
    """Choose (eta, rounds) by 5-fold CV RMSE; rounds by early stopping per eta.

    Args:
        X: (n, d) inputs; y: (n,) targets.
        seed: seeds the folds and xgboost.
        threads: xgboost threads.
        etas: learning rates to try.
        max_rounds: cap on rounds.

    Returns:
        (eta, rounds, cv_rmse) of the best setting.
    """
    import xgboost as xgb

    dtrain = xgb.DMatrix(X, label=y, nthread=threads)
    folds = _folds(len(y), seed, min(N_FOLDS, len(y)))
    best = (etas[0], 1, math.inf)
    for eta in etas:
        history = xgb.cv(_params(eta, seed, threads), dtrain, num_boost_round=max_rounds,
                         folds=folds, early_stopping_rounds=EARLY_STOP, seed=seed)
        rmse = np.asarray(history["test-rmse-mean"], dtype=np.float64)
        rounds = int(np.argmin(rmse)) + 1
        if rmse[rounds - 1] < best[2]:
            best = (eta, rounds, float(rmse[rounds - 1]))
    return best


def fit_booster(X: np.ndarray, y: np.ndarray, eta: float, rounds: int, seed: int = 0,
                threads: int = 1):
    """Train the surrogate booster on all of (X, y) with the chosen eta / rounds."""
    import xgboost as xgb

    return xgb.train(_params(eta, seed, threads), xgb.DMatrix(X, label=y, nthread=threads),
                     num_boost_round=rounds)


def heldout_fit(X: np.ndarray, y: np.ndarray, seed: int = 0, threads: int = 1,
                etas: Sequence[float] = ETAS, max_rounds: int = MAX_ROUNDS
                ) -> tuple[float, float]:
    """R^2 and Spearman of a surrogate fitted (with selection) on 80 %, tested on 20 %.

    Returns:
        (r2, spearman); Spearman is 0 when predictions or targets are constant.
    """
    import xgboost as xgb
    from scipy.stats import spearmanr

    order = np.random.default_rng([seed, 1]).permutation(len(y))
    n_test = max(2, int(round(HELDOUT_FRACTION * len(y))))
    test, train = order[:n_test], order[n_test:]
    eta, rounds, _ = select_hyperparameters(X[train], y[train], seed, threads, etas, max_rounds)
    booster = fit_booster(X[train], y[train], eta, rounds, seed, threads)
    pred = booster.predict(xgb.DMatrix(X[test], nthread=threads))
    residual = float(np.sum((y[test] - pred) ** 2))
    total = float(np.sum((y[test] - y[test].mean()) ** 2))
    r2 = 1.0 - residual / total if total > 0 else 0.0
    rho = spearmanr(pred, y[test]).statistic
    return r2, float(rho) if np.isfinite(rho) else 0.0


def train_all(data_dir: str | Path, out_dir: str | Path,
              search_spaces: Sequence[str] | None = None, seed: int = 0, threads: int = 1,
              progress: bool = True, quick: bool = False, refit: bool = False) -> dict[str, SurrogateFit]:
    """Fit, save and report one surrogate per meta-test dataset; an interrupted call resumes.

    ``summary-stats.json`` and ``fit-report.json`` are written after each surrogate, and each
    entry of the report records the settings and the sha256 of the data it was fitted with. A
    surrogate whose file and entries are there, fitted with the same settings on the same data,
    is kept as it is (``refit=True`` fits it again).

    Args:
        data_dir: folder with ``meta-test-dataset.json`` (or its parent).
        out_dir: surrogates folder to write (``saved-surrogates``).
        search_spaces: only these spaces (default: all in the file).
        seed: seeds folds, the held-out split and xgboost.
        threads: xgboost threads.
        progress: print each surrogate's fit as it is done, and the medians.
        quick: a tiny grid (2 etas, <= 100 rounds), for tests.
        refit: fit every surrogate again, even one already fitted this way.

    Returns:
        {"surrogate-{space}-{dataset}": SurrogateFit}, the kept ones included.
    """
    from tqdm import tqdm

    etas, max_rounds = ((0.1, 0.3), 100) if quick else (ETAS, MAX_ROUNDS)
    settings = {"max_depth": MAX_DEPTH, "etas": list(etas), "max_rounds": max_rounds,
                "folds": N_FOLDS, "heldout_fraction": HELDOUT_FRACTION, "seed": seed}
    data = load_meta_test(data_dir, search_spaces)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # the folder's other surrogates (other spaces, fitted by an earlier call) keep their entries
    stats = _read_entries(out_dir / "summary-stats.json", None)
    entries = _read_entries(out_dir / "fit-report.json", "surrogates")
    fits: dict[str, SurrogateFit] = {}
    jobs = [(s, d) for s in data for d in data[s]]
    kept = 0
    report = None
    for space, dataset in tqdm(jobs, desc="surrogates", disable=not progress):
        X, y = data[space][dataset]
        name = f"surrogate-{space}-{dataset}"
        digest = data_sha256(X, y)
        old = entries.get(name)
        if (not refit and isinstance(old, dict) and old.get("settings") == settings
                and old.get("data_sha256") == digest and name in stats and (out_dir / f"{name}.json").is_file()):
            fits[name] = SurrogateFit(**{k: old[k] for k in SurrogateFit.__dataclass_fields__})
            kept += 1
            continue
        r2, rho = heldout_fit(X, y, seed, threads, etas, max_rounds)
        eta, rounds, cv_rmse = select_hyperparameters(X, y, seed, threads, etas, max_rounds)
        booster = fit_booster(X, y, eta, rounds, seed, threads)
        booster.save_model(str(out_dir / f"{name}.json"))
        stats[name] = {"y_min": float(y.min()), "y_max": float(y.max())}
        fits[name] = SurrogateFit(eta, rounds, cv_rmse, r2, rho, len(y))
        entries[name] = {**vars(fits[name]), "settings": settings, "data_sha256": digest}
        report = _write_reports(out_dir, stats, entries, settings)   # after each fit: an interruption loses one
        if progress:
            tqdm.write(f"{name}: n={len(y)} eta={eta} rounds={rounds} "
                       f"held-out R^2={r2:.3f} Spearman={rho:.3f}")
    if report is None:                  # nothing fitted: the folder's files already hold every entry
        report = _report(entries, settings)
    if progress:
        again = f" ({kept} already fitted this way, kept; --refit fits them again)" if kept else ""
        print(f"{len(fits) - kept} surrogates fitted{again}, {len(entries)} in {out_dir}; over all of them, "
              f"median held-out R^2 {report['median_r2']:.3f}, Spearman {report['median_spearman']:.3f}")
    return fits


def data_sha256(X: np.ndarray, y: np.ndarray) -> str:
    """sha256 of one dataset's (X, y) as float64, to tell whether a surrogate was fitted on these data."""
    digest = hashlib.sha256(np.ascontiguousarray(X, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    return digest.hexdigest()


def _report(entries: dict, settings: dict) -> dict:
    """fit-report.json's content: the settings, the medians over every entry that records them, the entries."""
    return {"settings": settings,
            "median_r2": median([f["r2"] for f in entries.values() if "r2" in f]),
            "median_spearman": median([f["spearman"] for f in entries.values() if "spearman" in f]),
            "surrogates": entries}


def _write_reports(out_dir: Path, stats: dict, entries: dict, settings: dict) -> dict:
    """Write summary-stats.json and fit-report.json (atomically) from every entry; returns the report."""
    atomic_write_bytes(out_dir / "summary-stats.json", orjson.dumps(stats, option=orjson.OPT_INDENT_2))
    report = _report(entries, settings)
    atomic_write_bytes(out_dir / "fit-report.json", orjson.dumps(report, option=orjson.OPT_INDENT_2))
    return report


def _read_entries(path: Path, key: str | None) -> dict:
    """The per-surrogate entries of an existing summary-stats.json (key None) or fit-report.json ({} if none)."""
    if not path.is_file():
        return {}
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        raise UserError(f"{path} is corrupt; delete it and fit every space of that folder again") from None
    entries = data.get(key) if key and isinstance(data, dict) else data
    if not isinstance(entries, dict):
        raise UserError(f"{path} is not a surrogates file of this project; choose another --out")
    return entries


def median(values: Sequence[float]) -> float:
    """Median of a list (nan for an empty one)."""
    return float(np.median(values)) if len(values) else math.nan
