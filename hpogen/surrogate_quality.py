"""How good is GEN-VAE's predictive head as a surrogate? NLL and Spearman beside a fitted GP.

For each dataset of a split and each history size k, random histories of k
points are drawn; the predictive head (given the history's tokens) and a
BoTorch ``SingleTaskGP`` fitted to the same history (marginal likelihood,
default priors, as GP-BO fits it) predict the y of held-out configurations of
the same dataset. Both are scored in the history's units (0 = its worst y,
1 = its best):

- NLL: mean negative log predictive density of the held-out y (the head's bar
  density; the GP's Gaussian with observation noise). Only held-out points
  inside the bar support count for both (the share left out is reported).
- Spearman: rank correlation of the predictive mean with the true y.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import spearmanr

from methods.generative_hpo import GenerativeHPOModel, history_tensor, normalize_query_y

Tasks = dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass
class QualityRow:
    """Means over datasets and histories for one history size."""

    history: int
    nll_head: float
    nll_gp: float
    spearman_head: float
    spearman_gp: float
    histories: int
    outside_support: float   # share of held-out points outside the bar support (left out of both NLLs)


def _gp_predict(X: np.ndarray, y: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (with observation noise) of a fitted SingleTaskGP at the queries, raw y units."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SingleTaskGP(torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y[:, None], dtype=torch.float64))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        with torch.no_grad():
            posterior = model.posterior(torch.as_tensor(queries, dtype=torch.float64), observation_noise=True)
            return posterior.mean[:, 0].numpy(), posterior.variance[:, 0].clamp_min(1e-12).sqrt().numpy()


def evaluate_quality(model: GenerativeHPOModel, tasks: Tasks, sizes: tuple[int, ...] = (5, 10, 25, 50),
                     histories_per_task: int = 3, n_queries: int = 200, seed: int = 0,
                     progress: bool = False) -> list[QualityRow]:
    """Score the head and a fitted GP on random histories of each size (see the module docstring)."""
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    model = model.eval()
    head = model.predictor
    low, high = float(head.edges[0]), float(head.edges[-1])
    rows = []
    total = len(sizes) * len(tasks) * histories_per_task
    bar = tqdm(total=total, disable=not progress, unit="history", desc="surrogate quality")
    for k in sizes:
        stats = {"nll_head": [], "nll_gp": [], "rho_head": [], "rho_gp": [], "outside": []}
        for name in sorted(tasks):
            X, y = tasks[name]
            y = np.asarray(y, np.float64).reshape(-1)
            for _ in range(histories_per_task):
                bar.update(1)
                if len(X) < k + 10:
                    continue
                perm = rng.permutation(len(X))
                hist, held = perm[:k], perm[k:k + n_queries]
                if np.ptp(y[hist]) <= 0:
                    continue
                target = normalize_query_y(y[held], y[hist])
                with torch.no_grad():
                    tokens, _ = model.history(history_tensor(X[hist], y[hist]))
                    logits = head(torch.as_tensor(X[held], dtype=torch.float32)[None], tokens)[0]
                    nll_head = head.nll(logits, torch.as_tensor(target, dtype=torch.float32)).numpy()
                    mean_head = head.mean(logits).numpy()
                try:
                    mean_gp, std_gp = _gp_predict(X[hist], y[hist], X[held])
                except Exception:
                    continue
                spread = np.ptp(y[hist])
                mu, sd = (mean_gp - y[hist].min()) / spread, std_gp / spread
                nll_gp = 0.5 * ((target - mu) / sd) ** 2 + np.log(sd) + 0.5 * math.log(2 * math.pi)
                inside = (target >= low) & (target <= high)
                stats["outside"].append(1.0 - inside.mean())
                if inside.any():
                    stats["nll_head"].append(float(nll_head[inside].mean()))
                    stats["nll_gp"].append(float(nll_gp[inside].mean()))
                if np.ptp(y[held]) > 0:
                    stats["rho_head"].append(spearmanr(mean_head, y[held]).statistic)
                    stats["rho_gp"].append(spearmanr(mu, y[held]).statistic)
        rows.append(QualityRow(k, float(np.mean(stats["nll_head"])), float(np.mean(stats["nll_gp"])),
                               float(np.nanmean(stats["rho_head"])), float(np.nanmean(stats["rho_gp"])),
                               len(stats["nll_head"]), float(np.mean(stats["outside"]))))
    bar.close()
    return rows


def quality_table(rows: list[QualityRow]) -> str:
    """Markdown table of :func:`evaluate_quality`'s rows."""
    lines = ["| history size | NLL head | NLL GP | Spearman head | Spearman GP | histories | outside support |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r.history} | {r.nll_head:.3f} | {r.nll_gp:.3f} | {r.spearman_head:.3f} | "
                     f"{r.spearman_gp:.3f} | {r.histories} | {100 * r.outside_support:.1f}% |")
    return "\n".join(lines)
