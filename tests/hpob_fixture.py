"""A tiny benchmark in HPO-B's exact layout, built by the tests themselves."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

SPACES = {"100": 3, "200": 2}                     # space id -> dimension
SPLITS = {"train": ["1", "2", "3"], "validation": ["4"], "test": ["5", "6"]}
N_POINTS = 60


def objective(X: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Accuracy-like score in about [0.5, 0.95], best near ``centre``."""
    return 0.5 + 0.45 * np.exp(-6.0 * ((X - centre) ** 2).sum(axis=1))


def build_tiny_hpob(root: Path, seed: int = 0) -> tuple[Path, Path]:
    """Write hpob-data/ and saved-surrogates/ under ``root``; returns both folders."""
    import xgboost as xgb

    rng = np.random.default_rng(seed)
    data_dir, surr_dir = root / "hpob-data", root / "saved-surrogates"
    data_dir.mkdir(parents=True)
    surr_dir.mkdir(parents=True)
    splits: dict[str, dict] = {s: {} for s in SPLITS}
    inits: dict = {}
    stats: dict = {}
    for space, d in SPACES.items():
        for split, datasets in SPLITS.items():
            splits[split][space] = {}
            for dataset in datasets:
                X = rng.random((N_POINTS, d))
                centre = rng.uniform(0.2, 0.8, d)
                y = np.round(objective(X, centre), 6)
                splits[split][space][dataset] = {"X": X.tolist(), "y": y.reshape(-1, 1).tolist()}
                if split != "test":
                    continue
                inits.setdefault(space, {})[dataset] = {
                    f"test{k}": rng.choice(N_POINTS, 5, replace=False).tolist() for k in range(5)}
                booster = xgb.train({"objective": "reg:squarederror", "max_depth": 6, "eta": 0.3,
                                     "seed": 0, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=30)
                name = f"surrogate-{space}-{dataset}"
                booster.save_model(str(surr_dir / f"{name}.json"))
                stats[name] = {"y_min": float(y.min()), "y_max": float(y.max())}
    files = {"train": "meta-train-dataset.json", "validation": "meta-validation-dataset.json",
             "test": "meta-test-dataset.json"}
    for split, name in files.items():
        (data_dir / name).write_bytes(orjson.dumps(splits[split]))
    (data_dir / "meta-train-dataset-augmented.json").write_bytes(orjson.dumps(splits["train"]))
    (data_dir / "bo-initializations.json").write_bytes(orjson.dumps(inits))
    (surr_dir / "summary-stats.json").write_bytes(orjson.dumps(stats))
    return data_dir, surr_dir
