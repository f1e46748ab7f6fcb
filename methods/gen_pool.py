"""GEN-VAE's suggestion rule: the decoder proposes, an acquisition scores, the pool searches.

Models predict (``methods/generative_hpo.py``: the CVAE decodes configurations,
the predictive head gives p(y | x, history)); acquisitions score candidates
(the learned expected improvement by default; a fitted BoTorch GP's log EI as
an ablation); this module builds and searches the candidate pool.

Continuous protocol, one suggestion:

1. Pool: ``n_decoded`` configurations decoded under improved = 1 with
   z ~ N(0, I) ("decoded"), ``n_uniform`` uniform points ("uniform") and
   ``n_local`` Gaussian perturbations of the history's 3 best points
   ("refined-incumbent").
2. Score the pool with the acquisition.
3. ``refine_rounds`` times: perturb the ``refine_top`` best-scored candidates
   (``n_refine`` children, std ``local_scale`` halved each round), score the
   children; a child of a decoded point is "refined-decoded", of an incumbent
   perturbation "refined-incumbent", of a uniform point "refined-uniform".
4. Return the best-scored candidate and its source. Candidates within
   ``min_distance`` of an evaluated configuration are never chosen.

Discrete protocol: the acquisition scores every pending row and the best is
returned (source "pending"); with ``discrete="pool"`` only the pending rows
nearest to the pool's candidates are scored (source: the candidate's).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from methods.generative_hpo import GenerativeHPO

ACQUISITIONS = ("learned-ei", "botorch-gp-ei", "none")
DISCRETE_RULES = ("all", "pool")
# where a suggestion came from; the runner records it per suggestion
SOURCES = ("decoded", "refined-decoded", "refined-incumbent", "uniform", "refined-uniform", "pending")
_REFINED = {"decoded": "refined-decoded", "refined-decoded": "refined-decoded",
            "refined-incumbent": "refined-incumbent", "uniform": "refined-uniform",
            "refined-uniform": "refined-uniform"}


@dataclass
class SuggestConfig:
    """Knobs of ``GenerativeHPO.observe_and_suggest`` (defaults chosen on meta-validation, see README)."""

    online_steps: int = 50          # training steps on the history per call (no checkpoint: from scratch)
    fine_tune_steps: int = 5        # training steps on the history per call (meta-trained model): the head
    #                                 learns this run's local evidence (0 left meta-validation runs stuck)
    batch_size: int = 32            # episodes per training step on the history
    n_targets: int = 4              # targets per episode on the history
    n_decoded: int = 512            # candidates decoded under improved = 1, z ~ N(0, temperature^2 I)
    n_uniform: int = 64             # uniform random candidates
    n_local: int = 64               # Gaussian perturbations of the history's 3 best points
    refine_rounds: int = 2          # rounds of perturbing the best-scored candidates
    refine_top: int = 8             # candidates perturbed per round
    n_refine: int = 128             # children per round
    local_scale: float = 0.05       # std of the perturbations (halved each refinement round)
    temperature: float = 1.0        # prior std multiplier for z
    acquisition: str = "learned-ei"  # "learned-ei" (the predictive head), "botorch-gp-ei" (ablation: a fitted
    #                                 BoTorch GP's log EI on the same pool), "none" (one decoded sample, no pool)
    discrete: str = "all"           # discrete protocol: score "all" pending rows, or the "pool"'s nearest rows
    min_distance: float = 0.01      # candidates closer than this (L2) to an evaluated configuration are dropped:
    #                                 a deterministic objective gains nothing from re-evaluating a point

    def check(self) -> None:
        if self.acquisition not in ACQUISITIONS:
            raise ValueError(f"acquisition must be one of {', '.join(ACQUISITIONS)}, got {self.acquisition!r}")
        if self.discrete not in DISCRETE_RULES:
            raise ValueError(f"discrete must be one of {', '.join(DISCRETE_RULES)}, got {self.discrete!r}")
        for name in ("n_decoded", "n_uniform", "n_local", "refine_rounds", "refine_top", "n_refine",
                     "online_steps", "fine_tune_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.n_decoded + self.n_uniform + self.n_local == 0:
            raise ValueError("the candidate pool is empty: n_decoded + n_uniform + n_local must be >= 1")


# ---------------------------------------------------------------- acquisitions
def botorch_log_ei(X: np.ndarray, y: np.ndarray, candidates: np.ndarray, seed: int) -> np.ndarray:
    """Log EI of candidates under BoTorch's SingleTaskGP fitted to the history (amplitude, noise,
    lengthscales by marginal likelihood), as GP-BO uses it: (m,). Zeros when y is constant or
    the fit fails."""
    import warnings

    import torch
    from botorch.acquisition import LogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    if len(y) < 2 or np.ptp(y) <= 0:
        return np.zeros(len(candidates))
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.simplefilter("ignore")
        train_X = torch.as_tensor(X, dtype=torch.float64)
        train_Y = torch.as_tensor(y.reshape(-1, 1), dtype=torch.float64)
        try:
            model = SingleTaskGP(train_X, train_Y)
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            acquisition = LogExpectedImprovement(model, best_f=train_Y.max())
            with torch.no_grad():
                pool = torch.as_tensor(candidates, dtype=torch.float64).unsqueeze(1)   # (m, 1, d)
                values = torch.cat([acquisition(part) for part in pool.split(2048)])
        except Exception:  # a failed fit ranks nothing; the pool order decides
            return np.zeros(len(candidates))
    values = values.numpy()
    return np.where(np.isfinite(values), values, -np.inf)


def acquisition_values(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Score candidates (m, d) by the configured acquisition, higher is better: (m,)."""
    if method.suggest_cfg.acquisition == "botorch-gp-ei":
        return botorch_log_ei(X, y, candidates, seed=int(method.rng.integers(2**62)))
    return method.expected_improvement(X, y, candidates)


# ------------------------------------------------------------------------ pool
def perturb(method: "GenerativeHPO", centres: np.ndarray, n: int, scale: float) -> np.ndarray:
    """n Gaussian perturbations (std ``scale``) of rows drawn from ``centres`` (k, d), clipped to [0, 1]."""
    picks = method.rng.integers(len(centres), size=n)
    children = centres[picks] + scale * method.rng.standard_normal((n, centres.shape[1]))
    return np.clip(children, 0.0, 1.0), picks


def initial_pool(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decoded, uniform and incumbent-perturbation candidates (m, d) and their sources (m,)."""
    cfg, d = method.suggest_cfg, X.shape[1]
    parts, sources = [], []
    if cfg.n_decoded:
        parts.append(method.generate(X, y, cfg.n_decoded))
        sources += ["decoded"] * cfg.n_decoded
    if cfg.n_uniform:
        parts.append(method.rng.random((cfg.n_uniform, d)))
        sources += ["uniform"] * cfg.n_uniform
    if cfg.n_local:
        top = np.argsort(-y, kind="stable")[: min(3, len(y))]
        children, _ = perturb(method, X[top], cfg.n_local, cfg.local_scale)
        parts.append(children)
        sources += ["refined-incumbent"] * cfg.n_local
    return np.concatenate(parts, axis=0), np.array(sources, dtype=object)


def far_from(X: np.ndarray, candidates: np.ndarray, min_distance: float) -> np.ndarray:
    """(m,) mask of the candidates at least ``min_distance`` (L2) from every row of X."""
    if min_distance <= 0:
        return np.ones(len(candidates), dtype=bool)
    sq = (candidates ** 2).sum(1)[:, None] - 2.0 * candidates @ X.T + (X ** 2).sum(1)[None, :]   # (m, n)
    return sq.min(1) >= min_distance ** 2


def scored(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Acquisition values (m,), -inf for candidates that repeat an evaluated configuration."""
    keep = far_from(X, candidates, method.suggest_cfg.min_distance)
    values = np.full(len(candidates), -np.inf)
    if keep.any():
        values[keep] = acquisition_values(method, X, y, candidates[keep])
    return values


def search_pool(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, str]:
    """Steps 1-4 of the module docstring: the best candidate (1, d) and its source."""
    cfg = method.suggest_cfg
    pool, sources = initial_pool(method, X, y)
    scores = scored(method, X, y, pool)
    scale = cfg.local_scale
    for _ in range(cfg.refine_rounds):
        if not cfg.n_refine or not cfg.refine_top:
            break
        top = np.argsort(-scores, kind="stable")[: cfg.refine_top]
        children, picks = perturb(method, pool[top], cfg.n_refine, scale)
        child_sources = np.array([_REFINED[s] for s in sources[top][picks]], dtype=object)
        pool = np.concatenate([pool, children])
        sources = np.concatenate([sources, child_sources])
        scores = np.concatenate([scores, scored(method, X, y, children)])
        scale /= 2
    if not np.isfinite(scores).any():           # every candidate repeats the history: a uniform point
        return method.rng.random((1, X.shape[1])), "uniform"
    best = int(np.argmax(scores))
    return pool[[best]], str(sources[best])


def nearest_rows(rows: np.ndarray, points: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Index of the nearest row of ``rows`` (m, d) for each of ``points`` (k, d): (k,)."""
    out = []
    sq_rows = (rows ** 2).sum(1)
    for start in range(0, len(points), chunk):
        part = points[start:start + chunk]
        dist = sq_rows[None, :] - 2.0 * part @ rows.T          # (k, m), up to a per-point constant
        out.append(np.argmin(dist, axis=1))
    return np.concatenate(out)


def suggest(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray,
            X_pen: np.ndarray | None) -> tuple[np.ndarray | int, str]:
    """The suggestion (continuous (1, d) or discrete index into X_pen) and its source."""
    cfg = method.suggest_cfg
    if cfg.acquisition == "none":                      # the generator alone: one decoded sample
        sample = method.generate(X, y, 1)
        if X_pen is None:
            return sample, "decoded"
        return int(nearest_rows(X_pen, sample)[0]), "decoded"
    if X_pen is None:
        return search_pool(method, X, y)
    if cfg.discrete == "all":
        return int(np.argmax(acquisition_values(method, X, y, X_pen))), "pending"
    pool, sources = initial_pool(method, X, y)
    rows = nearest_rows(X_pen, pool)
    unique, first = np.unique(rows, return_index=True)
    best = int(np.argmax(acquisition_values(method, X, y, X_pen[unique])))
    return int(unique[best]), str(sources[first[best]])
