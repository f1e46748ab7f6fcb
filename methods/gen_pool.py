"""GEN-VAE's suggestion rule: the decoder proposes, an acquisition scores, the pool searches.

Models predict (``methods/generative_hpo.py``: the CVAE decodes configurations,
the predictive head gives p(y | x, history)); acquisitions score candidates
(``methods/gen_acquisition.py``: by default EI under the head and a fitted GP,
pooled with a weight fitted by stacking); this module builds and searches the
candidate pool.

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
returned (origin "pending"); with ``discrete="pool"`` only the pending rows
nearest to the pool's candidates are scored (origin: the candidate's).

The source recorded for each suggestion is ``"<origin>/<decider>"`` (see
:func:`attribution`): ``head`` when the learned head's term of the acquisition
is the larger at the chosen candidate, ``head-changed`` when the GP's term is
the larger but the GP alone would have chosen another candidate, ``gp``
otherwise (``none``: one decoded sample, unscored).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from methods.gen_acquisition import ACQUISITIONS, GP_PRIORS, GP_STARTS, POOLINGS, Acquisition, build_acquisition

if TYPE_CHECKING:  # pragma: no cover
    from methods.generative_hpo import GenerativeHPO

DISCRETE_RULES = ("all", "pool")
# where a suggestion came from; the runner records it per suggestion
SOURCES = ("decoded", "refined-decoded", "refined-incumbent", "uniform", "refined-uniform", "pending")
# which model's term decides the chosen candidate's acquisition value ("none": one decoded sample, unscored)
DECIDERS = ("head", "head-changed", "gp", "none")
_REFINED = {"decoded": "refined-decoded", "refined-decoded": "refined-decoded",
            "refined-incumbent": "refined-incumbent", "uniform": "refined-uniform",
            "refined-uniform": "refined-uniform"}


@dataclass
class SuggestConfig:
    """Knobs of ``GenerativeHPO.observe_and_suggest`` (defaults chosen on meta-validation, see README)."""

    online_steps: int = 50          # training steps on the history per call (no checkpoint: from scratch)
    fine_tune_steps: int = 0        # training steps on the history per call (meta-trained model); the fitted GP
    #                                 and the stacking weight carry this run's local evidence instead
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
    acquisition: str = "stacked-ei"  # EI under the head and a fitted GP, weighted by stacking on this run's history
    #                                 (methods/gen_acquisition.py); ablations: "learned-ei" (the head alone),
    #                                 "gp-ei" (the same GP alone), "botorch-gp-ei" (BoTorch's GP, as GP-BO fits it),
    #                                 "none" (one decoded sample, no pool)
    pooling: str = "log-linear"     # "stacked-ei" combines the head and the GP, with the head's weight w, by
    #                                 pooling their predictive densities, p_head^w p_gp^(1-w) ("log-linear"), or
    #                                 mixing them, w p_head + (1-w) p_gp ("linear", the rule before; ablation)
    pool_cells: int = 4             # log-linear pooling: cells per bin of the head's bar distribution
    pool_shortlist: int = 32        # log-linear pooling scores the union of the this-many best candidates by
    #                                 the head's EI and by the GP's (0: every candidate)
    stacking_prior: float = 2.0     # Beta(a, a) prior on the head's mixture weight (a = 1: flat)
    stacking_points: int = 16       # the weight is fitted on the leave-one-out densities of the last this many
    #                                 evaluations (0: all); the head's leave-one-out pass costs one history each
    gp_prior: str = "dim-scaled"    # the GP's hyperparameters: MAP under BoTorch's default priors ("dim-scaled";
    #                                 methods/gen_acquisition.py) or marginal likelihood alone ("none", ablation)
    gp_starts: str = "prior"        # the MAP fit's L-BFGS-B starts at the prior's median ("prior"), at the last
    #                                 suggestion's fit ("warm"), or at both ("both", the rule before; FittedGP)
    gp_samples: int = 16            # the GP's EI and leave-one-out densities average over this many draws of its
    #                                 hyperparameters from their Laplace posterior around the MAP fit
    #                                 (importance-weighted; gen_acquisition.laplace_samples); 0: the MAP fit alone
    discrete: str = "all"           # discrete protocol: score "all" pending rows, or the "pool"'s nearest rows
    min_distance: float = 0.01      # candidates closer than this (L2) to an evaluated configuration are dropped:
    #                                 a deterministic objective gains nothing from re-evaluating a point

    def check(self) -> None:
        if self.acquisition not in ACQUISITIONS:
            raise ValueError(f"acquisition must be one of {', '.join(ACQUISITIONS)}, got {self.acquisition!r}")
        if self.gp_prior not in GP_PRIORS:
            raise ValueError(f"gp_prior must be one of {', '.join(GP_PRIORS)}, got {self.gp_prior!r}")
        if self.gp_starts not in GP_STARTS:
            raise ValueError(f"gp_starts must be one of {', '.join(GP_STARTS)}, got {self.gp_starts!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {self.pooling!r}")
        if self.pool_cells < 1:
            raise ValueError(f"pool_cells must be >= 1, got {self.pool_cells}")
        if self.discrete not in DISCRETE_RULES:
            raise ValueError(f"discrete must be one of {', '.join(DISCRETE_RULES)}, got {self.discrete!r}")
        for name in ("n_decoded", "n_uniform", "n_local", "refine_rounds", "refine_top", "n_refine",
                     "online_steps", "fine_tune_steps", "gp_samples", "stacking_points", "pool_shortlist"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.n_decoded + self.n_uniform + self.n_local == 0:
            raise ValueError("the candidate pool is empty: n_decoded + n_uniform + n_local must be >= 1")


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


def scored(acquisition: Acquisition, X: np.ndarray, candidates: np.ndarray,
           min_distance: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Acquisition values (m,), whether the head's term is the larger (m,), and the values under
    the GP's term alone (m,); -inf values for candidates that repeat an evaluated configuration."""
    keep = far_from(X, candidates, min_distance)
    values, without_head = np.full(len(candidates), -np.inf), np.full(len(candidates), -np.inf)
    by_head = np.zeros(len(candidates), dtype=bool)
    if keep.any():
        values[keep], by_head[keep], without_head[keep] = acquisition.score(candidates[keep])
    return values, by_head, without_head


def attribution(origin: str, best: int, by_head: np.ndarray, without_head: np.ndarray) -> str:
    """The recorded source of the chosen candidate ``best``: ``"<origin>/<decider>"``.

    The decider is ``head`` when the head's term of the acquisition is the larger there;
    ``head-changed`` when the GP's term is the larger but the GP's term alone would have
    chosen another candidate (the head changed the choice); ``gp`` otherwise.
    """
    if by_head[best]:
        return f"{origin}/head"
    return f"{origin}/{'head-changed' if without_head[best] < np.max(without_head) else 'gp'}"


def search_pool(method: "GenerativeHPO", X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, str]:
    """Steps 1-4 of the module docstring: the best candidate (1, d) and its source."""
    cfg = method.suggest_cfg
    acquisition = build_acquisition(method, X, y)
    pool, sources = initial_pool(method, X, y)
    scores, by_head, without_head = scored(acquisition, X, pool, cfg.min_distance)
    scale = cfg.local_scale
    for _ in range(cfg.refine_rounds):
        if not cfg.n_refine or not cfg.refine_top:
            break
        top = np.argsort(-scores, kind="stable")[: cfg.refine_top]
        children, picks = perturb(method, pool[top], cfg.n_refine, scale)
        child_sources = np.array([_REFINED[s] for s in sources[top][picks]], dtype=object)
        child_scores, child_by_head, child_without = scored(acquisition, X, children, cfg.min_distance)
        pool = np.concatenate([pool, children])
        sources = np.concatenate([sources, child_sources])
        scores = np.concatenate([scores, child_scores])
        by_head = np.concatenate([by_head, child_by_head])
        without_head = np.concatenate([without_head, child_without])
        scale /= 2
    if not np.isfinite(scores).any():           # every candidate repeats the history: a uniform point
        return method.rng.random((1, X.shape[1])), "uniform/gp"
    best = int(np.argmax(scores))
    return pool[[best]], attribution(str(sources[best]), best, by_head, without_head)


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
            return sample, "decoded/none"
        return int(nearest_rows(X_pen, sample)[0]), "decoded/none"
    if X_pen is None:
        return search_pool(method, X, y)
    acquisition = build_acquisition(method, X, y)
    if cfg.discrete == "all":
        values, by_head, without_head = acquisition.score(X_pen)
        best = int(np.argmax(values))
        return best, attribution("pending", best, by_head, without_head)
    pool, sources = initial_pool(method, X, y)
    rows = nearest_rows(X_pen, pool)
    unique, first = np.unique(rows, return_index=True)
    values, by_head, without_head = acquisition.score(X_pen[unique])
    best = int(np.argmax(values))
    return int(unique[best]), attribution(str(sources[first[best]]), best, by_head, without_head)
