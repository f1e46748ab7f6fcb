"""Attempt (a diagnostic, no change to the rule): how far below the acquisition's maximum does the default pool search stop?

On 51 histories (5, 8 and 12 random configurations of every 6th yahpo-rpart meta-train task), one acquisition is fitted
and searched twice: with the default pool and refinement, and with a pool 8 to 16 times larger and five refinement
rounds. Prints the log-acquisition values found and, as a proxy for what the choice is worth, the y of the evaluated
configuration nearest to each choice.

usage: PYTHONPATH=. python attempts/crossval-2026-11-29/acquisition_gap.py
"""
import numpy as np, torch
torch.set_num_threads(1)
from hpogen.runner import get_handler
from methods.generative_hpo import GenerativeHPO
from methods import gen_pool
from methods.gen_pool import SuggestConfig

h = get_handler("data/yahpo-rpart/hpob-data", "v3", "data/yahpo-rpart/saved-surrogates")
tasks = h.get_meta_split("train", "yahpo-rpart")
names = sorted(tasks)[::6]
rng = np.random.default_rng(0)
big = dict(n_decoded=4096, n_uniform=1024, n_local=512, refine_rounds=5, n_refine=1024, refine_top=32)
gaps, bests = [], []
real_build = gen_pool.build_acquisition
for name in names:
    X, y = tasks[name]; y = y.ravel()
    for n in (5, 8, 12):
        idx = rng.choice(len(X), n, replace=False)
        Xh, yh = X[idx], y[idx]
        m = GenerativeHPO(seed=1, checkpoint="checkpoints/yahpo-rpart/yahpo-rpart.pt")
        acq = real_build(m, Xh, yh)
        gen_pool.build_acquisition = lambda *a, **k: acq
        vals = {}
        for label, cfg in (("default", {}), ("big", big)):
            m.suggest_cfg = SuggestConfig(**cfg)
            pt, src = gen_pool.search_pool(m, Xh, yh)
            vals[label] = float(acq.score(pt)[0][0])
            # the true y of the nearest evaluated configuration, as a proxy for the suggestion's quality
            vals[label + "_y"] = float(y[np.argmin(((X - pt) ** 2).sum(1))])
        gen_pool.build_acquisition = real_build
        gaps.append(vals["big"] - vals["default"])
        bests.append((vals["default_y"], vals["big_y"], (y.max() - y.min())))
        print(name, n, round(vals["default"], 3), round(vals["big"], 3), round(gaps[-1], 3), flush=True)
gaps = np.array(gaps)
print("log-acq gap: median", np.median(gaps), "p90", np.quantile(gaps, 0.9), "max", gaps.max(), "frac>0.1", (gaps > 0.1).mean())
b = np.array(bests); print("y of the nearest evaluated configuration, mean: default", b[:, 0].mean(), "big", b[:, 1].mean())
print("histories where the larger search's choice is nearer a better / worse / the same configuration:",
      int((b[:, 1] > b[:, 0]).sum()), int((b[:, 1] < b[:, 0]).sum()), int((b[:, 1] == b[:, 0]).sum()))
