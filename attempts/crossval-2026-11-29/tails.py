"""Mean, median and upper tail of regret at a few budgets: the rule on main, GP-Optuna and GP-BO (from the
cross-validation results in results/) and attempt runs (build/var/yf<k>/<tag>/), on the runs all of them have.

usage (from the repository root):
    python attempts/crossval-2026-11-29/tails.py more-seeds 5 10 25 <tag> ...    # the 291 runs (test2 to test4)
    python attempts/crossval-2026-11-29/tails.py two-seeds 5 10 25 50 <tag> ...  # the 194 runs (test0, test1)
Regret at trial t is 1 - the normalised incumbent at index t of the curve (index 0: the initial design).
"""
import json
import sys

import numpy as np


def curves(path_of_fold: str) -> dict:
    runs = {}
    for fold in range(3):
        with open(path_of_fold.format(fold=fold)) as f:
            results = json.load(f)
        for space, datasets in results.items():
            for dataset, seeds in datasets.items():
                for seed, curve in seeds.items():
                    runs[(fold, space, dataset, seed)] = 1.0 - np.asarray(curve)
    return runs


def main(argv: list[str]) -> None:
    which, rest = argv[0], argv[1:]
    budgets = [int(a) for a in rest if a.isdigit()]
    tags = [a for a in rest if not a.isdigit()]
    base = f"results/yahpo-rpart-crossval-{which}/yahpo-rpart-f{{fold}}/"
    sources = {"rule on main": base + "decoded-pool-stacked-EI-refinement-default/GEN-VAE.json",
               "GP-Optuna": base + "GP-Optuna/GP-Optuna.json", "GP-BO": base + "GP-BO/GP-BO.json"}
    sources.update({tag: f"build/var/yf{{fold}}/{tag}/GEN-VAE.json" for tag in tags})
    runs = {name: curves(path) for name, path in sources.items()}
    common = sorted(set.intersection(*(set(r) for r in runs.values())))
    print(f"{len(common)} runs common to all")
    print("| method | trial | mean | median | runs above 0.1 | runs above 0.2 | mean without the 5 worst |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for t in budgets:
        for name, by_run in runs.items():
            x = np.array([by_run[key][t] for key in common])
            print(f"| {name} | {t} | {x.mean():.4f} | {np.median(x):.4f} | {np.sum(x > 0.1)} | {np.sum(x > 0.2)} "
                  f"| {np.sort(x)[:-5].mean():.4f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
