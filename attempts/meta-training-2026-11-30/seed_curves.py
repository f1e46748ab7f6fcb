"""Per-run regret curves of one variant, averaged over GEN-VAE's method seeds 0, 1, 2.

run_variant.py writes method seed 0 to build/var/<bench>/<tag>/GEN-VAE.json and seed k to <tag>-m<k>/.
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, ".")
from hpogen.results import load_results, runs_of  # noqa: E402

POINTS = (10, 25, 50)


def regret_runs(path: Path) -> dict:
    """{run: regret curve (trials + 1,)} of one GEN-VAE.json: 1 - the incumbent's normalised score."""
    return {k: 1 - np.asarray(v, float) for k, v in runs_of(load_results(path)).items()}


def seed_mean_curves(bench: str, tag: str) -> tuple[dict, int]:
    """{run: regret curve (trials + 1,)} averaged over the method seeds present (runs common to all of
    them), and how many seeds there were."""
    files = [Path(f"build/var/{bench}/{t}/GEN-VAE.json") for t in (tag, f"{tag}-m1", f"{tag}-m2")]
    per = [regret_runs(f) for f in files if f.is_file()]
    if not per:
        raise SystemExit(f"no results for {bench} {tag}: run run_variant.py first")
    keys = set.intersection(*(set(p) for p in per))
    return {k: np.mean([p[k] for p in per], axis=0) for k in keys}, len(per)


def mean_curve(curves: dict, keys=None) -> np.ndarray:
    """The mean regret curve over runs (``keys``, default all)."""
    return np.mean([curves[k] for k in (sorted(curves) if keys is None else keys)], axis=0)


def at_points(curve: np.ndarray, sign: str = "", sep: str = " / ") -> str:
    """'a / b / c': the curve at 10, 25 and 50 trials."""
    return sep.join(f"{curve[t]:{sign}.4f}" for t in POINTS)
