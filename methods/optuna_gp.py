"""GP-Optuna peer: Optuna's ``GPSampler`` behind HPO-B's protocol.

Set up as an Optuna user gets it with one argument (``GPSampler``, Optuna 5:
a Matern-5/2 ARD Gaussian process with Optuna's priors, log expected
improvement, optimised by Optuna's own multi-start L-BFGS-B), with two
settings chosen for HPO-B: ``n_startup_trials=5`` (HPO-B's initial design is
the startup phase, as for TPE) and ``deterministic_objective=True`` (HPO-B's
surrogates return the same y for the same x, so the noise variance is held at
Optuna's minimum).

Every call builds a fresh in-memory study (direction maximize), adds the whole
history as completed trials over ``FloatDistribution(0, 1)`` per dimension
(parameters ``"x0"`` .. ``"x{d-1}"``), exactly as the TPE peer does, and asks
one trial.

- Continuous protocol: the asked point, as (1, d).
- Discrete protocol: the X_pen row nearest (Euclidean) to the asked point;
  ties go to the lowest index. (Optuna has no public interface that scores a
  given set of points with the GP's acquisition.)

After each call ``last_source`` is ``"gp"``, or ``"random-startup"`` when the
history is shorter than ``n_startup_trials`` and Optuna samples at random.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_obs, y_obs = rng.random((6, 3)), rng.random((6, 1))
    >>> method = OptunaGP(seed=0)
    >>> method.observe_and_suggest(X_obs, y_obs).shape
    (1, 3)
    >>> isinstance(method.observe_and_suggest(X_obs, y_obs, rng.random((50, 3))), int)
    True
"""
from __future__ import annotations

import numpy as np
import optuna
import torch

from methods._optuna import ask_with_history, to_suggestion
from methods._seeding import call_rng


class OptunaGP:
    """Optuna's ``GPSampler`` for HPO-B.

    Reproducibility: the sampler's seed is drawn, per call, from a Generator
    seeded with ``seed`` and the call's inputs; the same seed and inputs give
    the same suggestion. The global torch RNG is left untouched.

    Args:
        seed: seed of the method's randomness; None for a non-reproducible run.
        n_startup_trials: histories shorter than this get random sampling.
    """

    def __init__(self, seed: int | None = None, n_startup_trials: int = 5):
        self.seed = seed
        self.n_startup_trials = n_startup_trials
        self.last_source: str | None = None

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
            Discrete: a Python int index into X_pen (nearest row to the GP's point).
        """
        X_obs = np.asarray(X_obs, dtype=np.float64)
        y_obs = np.asarray(y_obs, dtype=np.float64).reshape(-1)
        rng = call_rng(self.seed, X_obs, y_obs, X_pen)
        sampler_seed = int(rng.integers(2**32))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(sampler_seed)
            point = ask_with_history(lambda: optuna.samplers.GPSampler(
                seed=sampler_seed,
                n_startup_trials=self.n_startup_trials,
                deterministic_objective=True,
            ), X_obs, y_obs)  # (d,)
        suggestion, replaced = to_suggestion(point, rng, X_pen)
        if replaced:
            self.last_source = "random-nan"
        else:
            self.last_source = "gp" if len(X_obs) >= self.n_startup_trials else "random-startup"
        return suggestion
