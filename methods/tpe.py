"""TPE peer: Optuna's ``TPESampler`` behind HPO-B's protocol.

Every call builds a fresh in-memory study (direction maximize), feeds it the
whole history as completed trials over ``FloatDistribution(0, 1)`` per
dimension (parameters ``"x0"`` .. ``"x{d-1}"``), and asks one trial.

- Continuous protocol: the asked point, as (1, d).
- Discrete protocol: the X_pen row nearest (Euclidean) to the asked point;
  ties go to the lowest index.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_obs, y_obs = rng.random((6, 3)), rng.random((6, 1))
    >>> method = TPE(seed=0)
    >>> method.observe_and_suggest(X_obs, y_obs).shape
    (1, 3)
    >>> isinstance(method.observe_and_suggest(X_obs, y_obs, rng.random((50, 3))), int)
    True
"""
from __future__ import annotations

import numpy as np
import optuna

from methods._optuna import ask_with_history, to_suggestion
from methods._seeding import call_rng


class TPE:
    """Optuna's multivariate TPE for HPO-B.

    ``multivariate=True`` is passed explicitly: Optuna's default for it has
    changed between versions (False in Optuna 4; None, meaning True for one
    objective, in Optuna 5), and requirements.txt allows both.

    ``n_startup_trials`` defaults to 5, the size of HPO-B's initial design: the
    history handed over already holds 5 points, so TPE proper runs from the
    first suggestion, while a shorter history (e.g. n=1) gets Optuna's seeded
    random sampler, as TPE would do itself. Optuna's logging is set to WARNING
    and its ExperimentalWarning is silenced during each call.

    Reproducibility: the sampler's seed is drawn, per call, from a Generator
    seeded with ``seed`` and the call's inputs; the same seed and inputs give
    the same suggestion.

    Args:
        seed: seed of the method's randomness; None for a non-reproducible run.
        n_startup_trials: histories shorter than this get random sampling.
        n_ei_candidates: candidates TPE draws from l(x) to score by l(x)/g(x).
    """

    def __init__(
        self,
        seed: int | None = None,
        n_startup_trials: int = 5,
        n_ei_candidates: int = 24,
    ):
        self.seed = seed
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates

    def observe_and_suggest(
        self,
        X_obs: np.ndarray,
        y_obs: np.ndarray,
        X_pen: np.ndarray | None = None,
    ) -> np.ndarray | int:
        """Suggest the next configuration to evaluate.

        Args:
            X_obs: (n, d) observed configurations in [0, 1]^d.
            y_obs: (n, 1) their normalised scores, higher is better.
            X_pen: (m, d) pending configurations (discrete protocol) or None
                (continuous protocol).

        Returns:
            Continuous: a (1, d) float64 array inside [0, 1]^d.
            Discrete: a Python int index into X_pen (nearest row to TPE's point).
        """
        X_obs = np.asarray(X_obs, dtype=np.float64)
        y_obs = np.asarray(y_obs, dtype=np.float64).reshape(-1)
        rng = call_rng(self.seed, X_obs, y_obs, X_pen)
        sampler_seed = int(rng.integers(2**32))
        point = ask_with_history(lambda: optuna.samplers.TPESampler(
            seed=sampler_seed,
            n_startup_trials=self.n_startup_trials,
            n_ei_candidates=self.n_ei_candidates,
            multivariate=True,
        ), X_obs, y_obs)  # (d,)
        return to_suggestion(point, rng, X_pen)[0]
