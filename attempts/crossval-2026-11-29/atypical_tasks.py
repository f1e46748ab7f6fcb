"""Regret by how far a task's optimum lies from the meta-train tasks' optima (a diagnostic, no change to the rule).

A held-out task's distance is the mean L2 distance (in the unit cube) from its best evaluated configuration to the
5 nearest best configurations of the meta-train datasets the fold's models were meta-trained on. The runs of the
cross-validation sets are split into thirds by that distance and each method's mean regret is given per third.
With --test it also lists the distance of each of yahpo-rpart's 10 meta-test tasks from all 97 meta-train tasks,
beside the mean regret at 10 trials of the stored test results: an explanation after the fact, not a design input.

usage (from the repository root, after crossval.py built build/crossval/yahpo-rpart/):
    python attempts/crossval-2026-11-29/atypical_tasks.py more-seeds 5 10 25 [<tag> ...]
    python attempts/crossval-2026-11-29/atypical_tasks.py two-seeds 10 25 50 [<tag> ...]
    python attempts/crossval-2026-11-29/atypical_tasks.py --test
<tag>: attempt runs in build/var/yf<k>/<tag>/GEN-VAE.json, compared on the runs all methods have.
"""
import json
import sys

import numpy as np

NEAREST = 5


def best_configurations(path: str) -> dict[str, np.ndarray]:
    """{dataset: its best evaluated configuration (d,)} of an HPO-B-layout meta-dataset file with one space."""
    with open(path) as f:
        data = json.load(f)
    (datasets,) = data.values()
    return {name: np.asarray(t["X"])[int(np.argmax(np.ravel(t["y"])))] for name, t in datasets.items()}


def distance(optimum: np.ndarray, train_optima: np.ndarray) -> float:
    return float(np.sort(np.linalg.norm(train_optima - optimum, axis=1))[:NEAREST].mean())


def regrets(path: str) -> dict[tuple[str, str], np.ndarray]:
    with open(path) as f:
        (datasets,) = json.load(f).values()
    return {(d, s): 1.0 - np.asarray(c) for d, seeds in datasets.items() for s, c in seeds.items()}


def crossval(which: str, budgets: list[int], tags: list[str]) -> None:
    base = f"results/yahpo-rpart-crossval-{which}/yahpo-rpart-f{{k}}/"
    sources = {"GEN-VAE (rule on main)": base + "decoded-pool-stacked-EI-refinement-default/GEN-VAE.json",
               "GP-BO": base + "GP-BO/GP-BO.json", "GP-Optuna": base + "GP-Optuna/GP-Optuna.json"}
    if which == "more-seeds":
        sources["its GP's EI alone"] = base + "the-fitted-GP-s-EI-alone/GEN-VAE.json"
    sources.update({tag: f"build/var/yf{{k}}/{tag}/GEN-VAE.json" for tag in tags})
    runs = []
    for k in range(3):
        data = f"build/crossval/yahpo-rpart/yahpo-rpart-f{k}/hpob-data/"
        train = np.array(list(best_configurations(data + "meta-train-dataset.json").values()))
        held_out = best_configurations(data + "meta-test-dataset.json")
        by_method = {name: regrets(path.format(k=k)) for name, path in sources.items()}
        common = set.intersection(*(set(r) for r in by_method.values()))
        runs += [(distance(held_out[d], train), {name: r[(d, s)] for name, r in by_method.items()})
                 for d, s in sorted(common)]
    dist = np.array([r[0] for r in runs])
    cuts = np.quantile(dist, [1 / 3, 2 / 3])
    thirds = [("nearest third", -np.inf, cuts[0]), ("middle third", cuts[0], cuts[1]), ("farthest third", cuts[1], np.inf)]
    print(f"{len(runs)} runs; distance cut points {cuts[0]:.3f}, {cuts[1]:.3f}\n")
    print("| trial | runs | " + " | ".join(sources) + " |")
    print("| --- | --- |" + " --- |" * len(sources))
    for t in budgets:
        for label, lo, hi in thirds + [("all", -np.inf, np.inf)]:
            chosen = [r for d, r in runs if lo < d <= hi]
            cells = " | ".join(f"{np.mean([r[name][t] for r in chosen]):.4f}" for name in sources)
            print(f"| {t}, {label} | {len(chosen)} | {cells} |")


def test_split() -> None:
    data = "data/yahpo-rpart/hpob-data/"
    train = np.array(list(best_configurations(data + "meta-train-dataset.json").values()))
    held_out = best_configurations(data + "meta-test-dataset.json")
    methods = {m: regrets(f"results/yahpo-rpart/{m}.json") for m in ("GEN-VAE", "GP-BO", "GP-Optuna")}
    print("| test task | distance | " + " | ".join(f"{m} regret@10" for m in methods) + " |")
    print("| --- | --- |" + " --- |" * len(methods))
    for d in sorted(held_out, key=lambda d: -distance(held_out[d], train)):
        cells = " | ".join(f"{np.mean([r[10] for (task, _), r in by_run.items() if task == d]):.4f}"
                           for by_run in methods.values())
        print(f"| {d} | {distance(held_out[d], train):.3f} | {cells} |")


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv == ["--test"]:
        test_split()
    else:
        crossval(argv[0], [int(a) for a in argv[1:] if a.isdigit()], [a for a in argv[1:] if not a.isdigit()])
