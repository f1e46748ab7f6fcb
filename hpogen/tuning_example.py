"""Library code of tune_xgboost.py: tune a real XGBoost classifier with several methods.

The objective is the 3-fold stratified cross-validated accuracy of an XGBoost
classifier on a dataset that ships with scikit-learn (no network), over the
``mini-xgboost`` typed space (:func:`hpogen.search_space.mini_xgboost`), so
GEN-VAE can start from the bundled checkpoint meta-trained on hpob-mini.
Each (method, seed) is one :class:`~hpogen.tuner.Tuner` study with its own
study file, so an interrupted comparison resumes where it stopped. All methods
share each seed's initial design and the evaluation budget.

Example:
    >>> objective = XGBoostCV("wine")
    >>> round(objective({"booster": "gblinear", "eta": 0.3, "subsample": 1.0, "lambda": 1.0,
    ...                  "alpha": 0.001, "nrounds": 50}), 3)
    0.978
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import orjson

from hpogen.errors import UserError
from hpogen.results import atomic_write_bytes
from hpogen.search_space import Config, mini_xgboost
from hpogen.tuner import N_INITIAL, Tuner

DATASETS = ("wine", "breast_cancer", "digits")
METRICS = {"accuracy": "maximize", "logloss": "minimize"}  # metric -> the tuner's direction
REPORT_AT = (5, 10, 20, 30)  # evaluations at which the table reports the mean best-so-far


class XGBoostCV:
    """Deterministic k-fold cross-validated accuracy (or log loss) of XGBoost with a mini-xgboost configuration.

    Features are standardised with each training fold's mean and std (as in
    hpob-mini); xgboost runs single-threaded with seed 0, ``tree_method="hist"``
    and ``base_score=0.5``, as hpob-mini's models were trained.

    Args:
        dataset: one of ``DATASETS`` (scikit-learn's bundled ``load_<name>``).
        folds: number of stratified folds (shuffled with seed 0).
        metric: "accuracy" (higher is better) or "logloss" (mean log loss of
            the predicted probabilities, lower is better).
    """

    def __init__(self, dataset: str = "wine", folds: int = 3, metric: str = "accuracy"):
        import sklearn.datasets
        from sklearn.model_selection import StratifiedKFold

        if dataset not in DATASETS:
            raise UserError(f"unknown dataset '{dataset}'; use one of: {', '.join(DATASETS)}")
        if metric not in METRICS:
            raise UserError(f"unknown metric '{metric}'; use one of: {', '.join(METRICS)}")
        self.metric = metric
        X, y = getattr(sklearn.datasets, f"load_{dataset}")(return_X_y=True)
        self.X, self.y = np.asarray(X, dtype=np.float64), np.asarray(y)
        self.n_classes = int(self.y.max()) + 1
        self.folds = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(self.X, self.y))
        self._cache: dict[bytes, float] = {}  # the same configuration is trained once

    def params(self, config: Config) -> dict[str, Any]:
        """xgboost's training parameters for a configuration (without nrounds)."""
        params: dict[str, Any] = {
            "booster": config["booster"], "eta": config["eta"], "lambda": config["lambda"],
            "alpha": config["alpha"], "subsample": config["subsample"], "nthread": 1, "seed": 0,
            "verbosity": 0, "base_score": 0.5}
        if config["booster"] == "gbtree":
            params.update(max_depth=config["max_depth"], min_child_weight=config["min_child_weight"],
                          colsample_bytree=max(config["colsample_bytree"], 0.01),
                          colsample_bylevel=max(config["colsample_bylevel"], 0.01), tree_method="hist")
        if self.n_classes == 2:
            params["objective"] = "binary:logistic"
        else:
            params.update(objective="multi:softprob", num_class=self.n_classes)
        return params

    def __call__(self, config: Config) -> float:
        import xgboost as xgb

        key = orjson.dumps(config, option=orjson.OPT_SORT_KEYS)
        if key in self._cache:
            return self._cache[key]
        scores = []
        for train, valid in self.folds:
            mean, std = self.X[train].mean(axis=0), self.X[train].std(axis=0)
            std[std == 0] = 1.0
            dtrain = xgb.DMatrix((self.X[train] - mean) / std, label=self.y[train], nthread=1)
            booster = xgb.train(self.params(config), dtrain, num_boost_round=int(config["nrounds"]))
            prob = booster.predict(xgb.DMatrix((self.X[valid] - mean) / std, nthread=1))
            if self.n_classes == 2:
                prob = np.stack([1.0 - prob, prob], axis=1)                # (n, 2)
            if self.metric == "accuracy":
                scores.append(float(np.mean(prob.argmax(axis=1) == self.y[valid])))
            else:
                truth = np.clip(prob[np.arange(len(valid)), self.y[valid]], 1e-15, 1.0)
                scores.append(float(-np.mean(np.log(truth))))
        self._cache[key] = value = float(np.mean(scores))
        return value


def run_comparison(methods: Sequence[str], seeds: Sequence[int], n_evals: int, out_dir: str | Path,
                   dataset: str = "wine", metric: str = "accuracy", checkpoint: str | Path | None = None,
                   timeout: float | None = None, progress: bool = True) -> dict[str, dict[str, list[float]]]:
    """Tune with every method and seed; each study resumes from ``out_dir/studies/``.

    Args:
        methods: method names (``methods.METHOD_NAMES``).
        seeds: tuner seeds (initial design and method).
        n_evals: evaluations per study, the initial design included.
        out_dir: gets ``studies/<method>-seed<seed>.json``.
        dataset: the scikit-learn dataset.
        metric: "accuracy" (maximised) or "logloss" (minimised).
        checkpoint: GEN-VAE's checkpoint (other methods take none); None = from scratch.
        timeout: seconds per evaluation, beyond which it counts as failed.
        progress: show progress bars.

    Returns:
        ``{method: {seed: best-so-far value after each evaluation}}``.
    """
    from tqdm import tqdm

    objective = XGBoostCV(dataset, metric=metric)
    space = mini_xgboost()
    curves: dict[str, dict[str, list[float]]] = {}
    with tqdm(total=len(methods) * len(seeds), desc="studies", disable=not progress) as bar:
        for method in methods:
            curves[method] = {}
            for seed in seeds:
                tuner = Tuner(space, method=method, seed=seed, direction=METRICS[metric],
                              checkpoint=checkpoint if method == "GEN-VAE" else None,
                              study_path=Path(out_dir) / "studies" / f"{method}-seed{seed}.json",
                              objective=f"XGBoost {len(objective.folds)}-fold CV {metric} on {dataset}")
                tuner.optimize(objective, n_evals, timeout=timeout, progress=progress,
                               desc=f"{method} seed {seed}")
                curves[method][str(seed)] = tuner.best_so_far()[:n_evals]
                bar.update(1)
    return curves


def best_so_far_table(curves: dict[str, dict[str, list[float]]], at: Sequence[int] = REPORT_AT,
                      label: str = "cross-validated accuracy") -> str:
    """Markdown table: mean (standard error over seeds) best-so-far value after each of ``at`` evaluations."""
    n_evals = min(len(c) for runs in curves.values() for c in runs.values())
    at = [k for k in at if k <= n_evals]
    n_seeds = {len(runs) for runs in curves.values()}
    lines = ["| method | " + " | ".join(f"after {k}" for k in at) + " |",
             "| --- |" + " --- |" * len(at)]
    for method, runs in curves.items():
        best = np.array([curve[:n_evals] for curve in runs.values()], dtype=np.float64)  # (seeds, n_evals)
        cells = []
        for k in at:
            column = best[:, k - 1]
            se = column.std(ddof=1) / math.sqrt(len(column)) if len(column) > 1 else 0.0
            cells.append(f"{column.mean():.4f} ± {se:.4f}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"Mean best-so-far {label} ± standard error over "
                 f"{'/'.join(map(str, sorted(n_seeds)))} seeds.")
    return "\n".join(lines) + "\n"


def plot_incumbents(curves: dict[str, dict[str, list[float]]], path: str | Path, title: str = "",
                    label: str = "cross-validated accuracy", start: int = N_INITIAL) -> None:
    """Mean best-so-far against evaluations, one line per method, shaded ± one standard error.

    The plot starts at evaluation ``start`` (the end of the initial design
    the methods share), where they begin to differ.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, runs in curves.items():
        best = np.array(list(runs.values()), dtype=np.float64)[:, start - 1:]  # (seeds, n_evals - start + 1)
        mean = best.mean(axis=0)
        se = best.std(axis=0, ddof=1) / math.sqrt(len(best)) if len(best) > 1 else np.zeros_like(mean)
        steps = np.arange(start, start + best.shape[1])
        ax.plot(steps, mean, label=method)
        ax.fill_between(steps, mean - se, mean + se, alpha=0.2)
    ax.set_xlabel(f"evaluations (the first {start} are the random initial design all methods share)")
    ax.set_ylabel(f"best {label} so far")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(curves: dict[str, dict[str, list[float]]], out_dir: str | Path, title: str = "",
                 label: str = "cross-validated accuracy") -> dict[str, Path]:
    """Write ``curves.json``, ``table.md`` and ``incumbents.png`` into ``out_dir``."""
    out_dir = Path(out_dir)
    paths = {"curves": out_dir / "curves.json", "table": out_dir / "table.md", "plot": out_dir / "incumbents.png"}
    atomic_write_bytes(paths["curves"], orjson.dumps(curves, option=orjson.OPT_INDENT_2))
    atomic_write_bytes(paths["table"], best_so_far_table(curves, label=label).encode())
    plot_incumbents(curves, paths["plot"], title, label)
    return paths
