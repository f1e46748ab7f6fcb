"""usage: far_runs.py tag1 tag2 ...: the 30 large-cp cross-validation runs (6 datasets x test0..test4) of build/var/yf<k>/far-<tag>-m<k>/, each run's curve averaged over the method seeds every tag has; paired Wilcoxon tests against the first tag"""
import sys, json, glob, numpy as np, re
sys.path.insert(0, ".")
from hpogen.results import runs_of
from scipy.stats import wilcoxon
tags = sys.argv[1:]
def load(tag):
    by_seed = {}
    for f in glob.glob(f"build/var/yf*/far-{tag}-m*/GEN-VAE.json"):
        m = int(re.search(r"-m(\d+)/", f).group(1))
        by_seed.setdefault(m, {}).update({k: 1 - np.asarray(v, float) for k, v in runs_of(json.load(open(f))).items()})
    return by_seed
D = {t: load(t) for t in tags}
mseeds = sorted(set.intersection(*[set(d) for d in D.values()]))
keys = sorted(set.intersection(*[set(D[t][m]) for t in tags for m in mseeds]))
print("method seeds", mseeds, "runs", len(keys))
avg = {t: {k: np.mean([D[t][m][k] for m in mseeds], axis=0) for k in keys} for t in tags}
for t in tags:
    print(f"{t:10s} " + " / ".join(f"{np.mean([avg[t][k][i] for k in keys]):.4f}" for i in (5, 10, 25, 50))
          + "   per seed @10: " + " ".join(f"{np.mean([D[t][m][k][10] for k in keys]):.4f}" for m in mseeds))
a = tags[0]
for b in tags[1:]:
    for i in (10, 25, 50):
        x = np.array([avg[b][k][i] - avg[a][k][i] for k in keys])
        print(f"  {b} vs {a} @{i}: lower in {(x < 0).sum()}, higher in {(x > 0).sum()}, p={wilcoxon(x[x != 0]).pvalue:.3f}")
