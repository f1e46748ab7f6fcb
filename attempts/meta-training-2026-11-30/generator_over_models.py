"""The generator's effect over several meta-trained models: for each model, regret at 10 / 25 / 50 trials of the
default rule and of the variant without decoded candidates (n_decoded 0, n_uniform 576), each run's curve the
mean over method seeds 0, 1, 2 (build/var/<bench>/<tag>{,-m1,-m2}/GEN-VAE.json), and the difference.

usage: python attempts/meta-training-2026-11-30/generator_over_models.py <bench> \
       <label>=<default tag>,<no-generator tag> ...
"""
import sys

import numpy as np
from seed_curves import POINTS, at_points, mean_curve, seed_mean_curves

bench, rows = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
print("| model | default | no generator | default minus no generator |\n| --- | --- | --- | --- |")
diffs = []
for label, tags in rows:
    a, b = (seed_mean_curves(bench, t)[0] for t in tags.split(","))
    keys = sorted(set(a) & set(b))
    ma, mb = mean_curve(a, keys), mean_curve(b, keys)
    diffs.append(ma - mb)
    print(f"| {label} | {at_points(ma)} | {at_points(mb)} | {at_points(ma - mb, '+')} |")
d = np.array(diffs)
print(f"| mean over {len(d)} models | | | {at_points(d.mean(0), '+')} |")
print("| models where the generator lowers regret | | | "
      + " / ".join(f"{(d[:, t] < 0).sum()} of {len(d)}" for t in POINTS) + " |")
