"""The generator's effect over several meta-trained models: for each model, regret at 10 / 25 / 50 trials of the
default rule and of the variant without decoded candidates (n_decoded 0, n_uniform 576), each run's curve the
mean over method seeds 0, 1, 2 (build/var/<bench>/<tag>{,-m1,-m2}/GEN-VAE.json), and the difference.

usage: python attempts/meta-training-2026-11-30/generator_over_models.py <bench> <label>=<default tag>,<no-generator tag> ...
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, ".")
from hpogen.results import load_results, runs_of  # noqa: E402

POINTS = (10, 25, 50)


def curves(bench: str, tag: str) -> dict:
    files = [Path(f"build/var/{bench}/{t}/GEN-VAE.json") for t in (tag, f"{tag}-m1", f"{tag}-m2")]
    per = [{k: 1 - np.asarray(v, float) for k, v in runs_of(load_results(f)).items()} for f in files]
    return {k: np.mean([p[k] for p in per], axis=0) for k in set.intersection(*(set(p) for p in per))}


bench, rows = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
print("| model | default | no generator | default minus no generator |\n| --- | --- | --- | --- |")
diffs = []
for label, tags in rows:
    a, b = (curves(bench, t) for t in tags.split(","))
    keys = sorted(set(a) & set(b))
    ma = np.mean([a[k] for k in keys], axis=0)
    mb = np.mean([b[k] for k in keys], axis=0)
    diffs.append(ma - mb)
    fmt = lambda c: " / ".join(f"{c[t]:.4f}" for t in POINTS)  # noqa: E731
    print(f"| {label} | {fmt(ma)} | {fmt(mb)} | " + " / ".join(f"{(ma - mb)[t]:+.4f}" for t in POINTS) + " |")
d = np.array(diffs)
print(f"| mean over {len(d)} models | | | " + " / ".join(f"{d[:, t].mean():+.4f}" for t in POINTS) + " |")
print(f"| models where the generator lowers regret | | | " + " / ".join(f"{(d[:, t] < 0).sum()} of {len(d)}" for t in POINTS) + " |")
