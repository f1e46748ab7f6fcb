"""95% bootstrap interval of the generator's effect in the bundled model's ablation: per run, the default's regret
minus a no-generator variant's (each the mean over method seeds 0, 1, 2), averaged over runs, at 10 / 25 / 50
trials, for both ways of leaving the generator out: its 512 candidates replaced by uniform ones (576 uniform in
all, the same pool size) and its candidates dropped (64 uniform, the issue's n_generated=0); beside them, the same
mean difference between pairs of the default's own method seeds; at 10 trials also the runs where the default is
lower / higher, the Wilcoxon signed-rank p, and the two runs that differ most with the mean without them.

usage: python attempts/generator-2026-11-30/generator_ci.py results/yahpo-rpart-validation/ablation
"""
import sys
from pathlib import Path

import numpy as np
from scipy.stats import wilcoxon

sys.path.insert(0, "attempts/meta-training-2026-11-30")    # seed_curves puts the repository root on the path
from seed_curves import regret_runs  # noqa: E402

DEFAULT = "meta-default-decoded-pool-stacked-EI-of-head-and-GP-refinement"
NO_GENERATOR = {"replaced by uniform candidates": "meta-no-generator-uniform--local-pool-stacked-EI",
                "dropped": "meta-no-generator-its-candidates-dropped-the-issue-s-n-generated-0"}


def seeds(folder: Path) -> list[dict]:
    return [regret_runs(folder / sub / "GEN-VAE.json") for sub in ("", "method-seed-1", "method-seed-2")]


root = Path(sys.argv[1])
default = seeds(root / DEFAULT)
keys = sorted(default[0])
own = {t: [np.mean([default[i][k][t] - default[j][k][t] for k in keys]) for i in range(3) for j in range(i + 1, 3)]
       for t in (10, 25, 50)}
for control, folder in NO_GENERATOR.items():
    without = seeds(root / folder)
    rng = np.random.default_rng(0)
    print(f"the generator's candidates {control}:")
    for t in (10, 25, 50):
        diff = np.array([np.mean([d[k][t] for d in default]) - np.mean([w[k][t] for w in without]) for k in keys])
        boot = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(20000)]
        print(f"  trial {t}: default minus no generator {diff.mean():+.5f}, 95% interval "
              f"[{np.percentile(boot, 2.5):+.5f}, {np.percentile(boot, 97.5):+.5f}]; the default's method seeds "
              "pairwise: " + " ".join(f"{x:+.5f}" for x in own[t]))
        if t == 10:
            top = set(np.argsort(-np.abs(diff))[:2])
            rest = np.array([x for i, x in enumerate(diff) if i not in top])
            print(f"    lower in {(diff < 0).sum()}, higher in {(diff > 0).sum()}, Wilcoxon p = "
                  f"{wilcoxon(diff[diff != 0]).pvalue:.2f}; largest: "
                  + ", ".join(f"{' '.join(keys[i][1:])} {diff[i]:+.4f}" for i in sorted(top, key=lambda i: diff[i]))
                  + f"; the mean without them {rest.mean():+.5f}")
