"""How low can regret go? Each task's floor: 1 - the best normalised score its surrogate reaches, searched
over the task's own configurations, the 2^d corners of [0, 1]^d and 200,000 uniform points, then refined
around the 64 best by Gaussian steps (std 0.02, 0.005, 0.001; 20,000 each). A lower bound on the
surrogate's maximum, so the floor is an upper bound on the lowest reachable regret.

usage (from the repository root):
    python attempts/generator-2026-11-30/surrogate_floor.py <view root> <floors.json> [results.json ...]
<view root> holds hpob-data/ and saved-surrogates/ (benchmark.py --split validation builds them under
build/views/, crossval.py under build/crossval/); the floors are computed once and kept in <floors.json>.
For each results file: mean regret and mean regret above the floor at 10 / 25 / 50 trials.
"""
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, ".")
from hpob_handler import _minmax  # noqa: E402
from hpogen.results import runs_of  # noqa: E402
from hpogen.runner import get_handler  # noqa: E402

POINTS = 200_000


def surrogate_scorer(handler, space: str, dataset: str):
    """The task's normalised score, as the continuous protocol computes it: configurations (m, d) -> (m,)."""
    import xgboost as xgb
    surrogate, lo, hi = handler.load_surrogate(space, dataset)
    return lambda x: np.clip(_minmax(surrogate.predict(xgb.DMatrix(x)), lo, hi), 0.0, 1.0)


def floors(root: Path) -> dict:
    handler = get_handler(str(root / "hpob-data"), "v3-test", str(root / "saved-surrogates"))
    out, rng = {}, np.random.default_rng(0)
    for space in handler.get_search_spaces():
        d = handler.get_search_space_dim(space)
        corners = np.array(list(itertools.product([0.0, 1.0], repeat=d))) if d <= 16 else np.zeros((0, d))
        for dataset, (X, _) in handler.get_meta_split("test", space).items():
            score = surrogate_scorer(handler, space, dataset)
            pool = np.concatenate([X, corners, rng.random((POINTS, d))])
            values = score(pool)
            for step in (0.02, 0.005, 0.001):
                best = np.argsort(-values)[:64]
                top = pool[best]
                children = np.clip(top[rng.integers(64, size=20_000)] + step * rng.standard_normal((20_000, d)), 0, 1)
                pool, values = np.concatenate([top, children]), np.concatenate([values[best], score(children)])
            out[f"{space}/{dataset}"] = 1.0 - float(values.max())
    return out


def main() -> None:
    root, path = Path(sys.argv[1]), Path(sys.argv[2])
    if not path.exists():
        path.write_text(json.dumps(floors(root), indent=1))
    floor = json.loads(path.read_text())
    print(f"{len(floor)} tasks, mean floor {np.mean(list(floor.values())):.4f}")
    for name in sys.argv[3:]:
        runs = runs_of(json.loads(Path(name).read_text()))
        keys = [k for k in runs if f"{k[0]}/{k[1]}" in floor]
        regret = np.array([1.0 - np.asarray(runs[k], float) for k in keys])            # (runs, trials + 1)
        above = regret - np.array([floor[f"{k[0]}/{k[1]}"] for k in keys])[:, None]
        print(f"{name}: {len(keys)} runs; regret " + " / ".join(f"{regret[:, t].mean():.4f}" for t in (10, 25, 50))
              + "; above the floor " + " / ".join(f"{above[:, t].mean():.4f}" for t in (10, 25, 50)))


if __name__ == "__main__":
    main()
