"""The Optuna peers' shared step: a fresh in-memory study that holds the history, asked once."""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import optuna
from optuna.distributions import FloatDistribution
from optuna.exceptions import ExperimentalWarning


def ask_with_history(
    make_sampler: Callable[[], optuna.samplers.BaseSampler],
    X_obs: np.ndarray,
    y_obs: np.ndarray,
) -> np.ndarray:
    """Add the history to a fresh study as completed trials and ask a fresh sampler for one point.

    The study maximises; each dimension is a parameter ``"x{j}"`` with
    ``FloatDistribution(0, 1)``. Optuna's logging is set to WARNING and its
    ExperimentalWarning is silenced during the call (the sampler is built
    inside it, since some samplers' arguments are experimental).

    Args:
        make_sampler: builds the seeded Optuna sampler.
        X_obs: (n, d) observed configurations in [0, 1]^d.
        y_obs: (n,) observed scores, higher is better.

    Returns:
        (d,) the point the sampler asks for.
    """
    d = X_obs.shape[1]
    names = [f"x{j}" for j in range(d)]
    distributions = {name: FloatDistribution(0.0, 1.0) for name in names}
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            study = optuna.create_study(direction="maximize", sampler=make_sampler())
            study.add_trials([
                optuna.trial.create_trial(
                    params={name: float(np.clip(x, 0.0, 1.0)) for name, x in zip(names, row)},
                    distributions=distributions,
                    value=float(value),
                )
                for row, value in zip(X_obs, y_obs)
            ])
            trial = study.ask(distributions)
            return np.array([trial.params[name] for name in names], dtype=np.float64)
    finally:
        optuna.logging.set_verbosity(verbosity)


def nearest_row(X_pen: np.ndarray, point: np.ndarray) -> int:
    """Index of the ``X_pen`` row nearest (Euclidean) to ``point``; ties go to the lowest index.

    Args:
        X_pen: (m, d) pending configurations.
        point: (d,) the point to snap.

    Returns:
        A Python int in [0, m).
    """
    distances = np.linalg.norm(np.asarray(X_pen, dtype=np.float64) - point, axis=1)  # (m,)
    return int(np.argmin(distances))


def to_suggestion(point: np.ndarray, rng: np.random.Generator,
                  X_pen: np.ndarray | None) -> tuple[np.ndarray | int, bool]:
    """The protocol's answer for an asked point, and whether a non-finite point was replaced.

    A point with NaN or inf (defensive: never handed back) is replaced by a uniform one
    from ``rng``; the point is clipped to [0, 1]. Continuous protocol: (1, d); discrete:
    the nearest ``X_pen`` row (:func:`nearest_row`).
    """
    replaced = not np.all(np.isfinite(point))
    if replaced:
        point = rng.random(len(point))
    point = np.clip(point, 0.0, 1.0)
    if X_pen is None:
        return point.reshape(1, -1), replaced
    return nearest_row(X_pen, point), replaced
