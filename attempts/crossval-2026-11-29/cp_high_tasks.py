"""yahpo-rpart's tasks whose best configuration has a large cp, and each method's regret on them (a diagnostic).

The meta-train tasks' best configurations almost all have a small complexity parameter (coordinate 0, cp, log-scaled
then min-max: median 0.07; 6 of 97 above 0.5). The script lists, per split, the tasks whose best evaluated
configuration has cp above 0.5, and the mean regret of every method stored in a cross-validation results folder on
the held-out runs of those tasks and of the others.

usage (from the repository root):
    python attempts/crossval-2026-11-29/cp_high_tasks.py results/yahpo-rpart-crossval-two-seeds results/yahpo-rpart-crossval-stacking
"""
import glob
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hpogen.results import runs_of  # noqa: E402

DATA = "data/yahpo-rpart/hpob-data"
SPLITS = {"meta-train": "meta-train-dataset.json", "meta-validation": "meta-validation-dataset.json",
          "meta-test": "meta-test-dataset.json"}


def best_cp(path: str) -> dict[str, float]:
    """{task: cp of its best evaluated configuration} of an HPO-B-layout meta-dataset file with one space."""
    with open(path) as f:
        (tasks,) = json.load(f).values()
    return {name: float(np.asarray(t["X"])[int(np.argmax(np.ravel(t["y"])))][0]) for name, t in tasks.items()}


def main(folders: list[str]) -> None:
    cps = {split: best_cp(f"{DATA}/{name}") for split, name in SPLITS.items()}
    for split, cp in cps.items():
        high = sorted(k for k, v in cp.items() if v > 0.5)
        print(f"{split}: {len(high)} of {len(cp)} tasks with best cp > 0.5 ({', '.join(high)}); "
              f"median best cp {np.median(list(cp.values())):.3f}")
    far = {k for k, v in cps["meta-train"].items() if v > 0.5}
    print("\n| results | method | tasks | runs | regret@10 | regret@25 | regret@50 |\n| --- | --- | --- | --- | --- | --- | --- |")
    for folder in folders:
        methods = sorted({Path(p).parent.name for p in glob.glob(f"{folder}/*-f*/*/*.json")})
        for method in methods:
            runs = {}
            for path in glob.glob(f"{folder}/*-f*/{method}/*.json"):
                runs.update(runs_of(json.loads(Path(path).read_text())))
            for group, keep in (("best cp > 0.5", lambda k: k[1] in far), ("the others", lambda k: k[1] not in far)):
                keys = [k for k in runs if keep(k)]
                values = " | ".join(f"{np.mean([1 - runs[k][t] for k in keys]):.4f}"
                                    if all(len(runs[k]) > t for k in keys) else "–" for t in (10, 25, 50))
                print(f"| {Path(folder).name} | {method} | {group} | {len(keys)} | {values} |")


if __name__ == "__main__":
    main(sys.argv[1:])
