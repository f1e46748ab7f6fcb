"""Regret at 10 / 25 / 50 trials of meta-trained models on a validation split, each run's curve the mean over
method seeds 0, 1, 2 (build/var/<bench>/<tag>{,-m1,-m2}/GEN-VAE.json, written by run_variant.py, those present),
and each model's best meta-validation loss (from its checkpoints).

usage: python attempts/meta-training-2026-11-30/models_table.py <bench> <label>=<tag>@<checkpoint dir> ...
Labels "<group>, seed <k>" also get a row with their group's mean.
"""
import sys
from pathlib import Path

import numpy as np
import torch
from seed_curves import at_points, mean_curve, seed_mean_curves

bench, pairs = sys.argv[1], [a.split("=", 1) for a in sys.argv[2:]]
print("| model | method seeds | regret@10 | regret@25 | regret@50 | meta-validation loss |\n"
      "| --- | --- | --- | --- | --- | --- |")
groups = {}
for label, spec in pairs:
    tag, ckdir = spec.split("@")
    curves, seeds = seed_mean_curves(bench, tag)
    curve = mean_curve(curves)
    losses = [torch.load(p, weights_only=True, map_location="cpu")["extra"]["best_val_loss"]
              for p in sorted(Path(ckdir).glob("*.pt"))]
    print(f"| {label} | {seeds} | {at_points(curve, sep=' | ')} | "
          + " / ".join(f"{v:.3f}" for v in losses) + " |")
    groups.setdefault(label.split(", seed")[0], []).append(curve)
for group, curves in groups.items():        # "<group>, seed <k>" rows: their mean
    if len(curves) > 1:
        print(f"| {group}, mean of {len(curves)} | | {at_points(np.mean(curves, axis=0), sep=' | ')} | |")
