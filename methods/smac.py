"""SMAC peer: SMAC3's hyperparameter-optimisation facade (random forest + EI) behind HPO-B.

The method is set up as a SMAC user would (smac 2.4): ``HyperparameterOptimizationFacade``
with its defaults (a random forest of 10 trees on log-scaled costs, log expected
improvement, local and sorted random search over 10,000 challengers, 20 % of the
suggestions interleaved at random, the intensifier of a deterministic scenario),
driven through SMAC's ask/tell interface. HPO-B's search space is ``d`` uniform
floats ``"x0"`` .. ``"x{d-1}"`` in [0, 1]; SMAC minimises, so it is told cost = -y.

Every call builds a fresh SMAC whose initial design is empty, tells it the
whole history (HPO-B's initial design included, so nothing is re-sampled) and
asks one trial:

- Continuous protocol: the asked configuration, as (1, d).
- Discrete protocol: SMAC's own acquisition maximiser is replaced by one that
  ranks the rows of ``X_pen`` by SMAC's acquisition function (same model, same
  EI), so the suggestion is the pool row SMAC's EI prefers. When SMAC's random
  design interleaves a random configuration instead, the discrete analogue is
  used: a uniform random row of the pool.

Departures from a plain facade, none of which changes the algorithm: the
local search's start points, which SMAC keeps in a set whose order follows
Python's per-process string hashing, are sorted, so that a seed gives the
same suggestion in every process (:func:`ordered_start_points`); the
forest is built with the facade's settings but ``n_jobs=1`` (SMAC's default
spreads the 10 trees over all cores with threads, which on a shared 2-core
machine only adds waiting); SMAC's output directory is a temporary folder
removed after each call; SMAC's logging setup, which reconfigures the root
logger, is skipped, and its logger is set to ERROR during the call.

After each call ``last_source`` says where the suggestion came from:
``"rf-ei"`` (SMAC's model and acquisition), ``"random-interleaved"`` (SMAC's
random design), or ``"random-sampled"`` (SMAC found no new candidate and
sampled at random itself).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X_obs, y_obs = rng.random((6, 3)), rng.random((6, 1))
    >>> method = SMAC(seed=0)
    >>> method.observe_and_suggest(X_obs, y_obs).shape
    (1, 3)
    >>> isinstance(method.observe_and_suggest(X_obs, y_obs, rng.random((50, 3))), int)
    True
"""
from __future__ import annotations

import logging
import tempfile

import numpy as np
from ConfigSpace import Configuration, ConfigurationSpace, Float
from smac import HyperparameterOptimizationFacade, Scenario
from smac.acquisition.maximizer import LocalAndSortedRandomSearch
from smac.acquisition.maximizer.abstract_acquisition_maximizer import AbstractAcquisitionMaximizer
from smac.model.random_forest import RandomForest
from smac.runhistory import TrialInfo, TrialValue

from methods._seeding import call_rng

# Where a suggestion came from, by SMAC's ``Configuration.origin``.
MODEL_ORIGINS = ("Acquisition Function Maximizer", "Pool ranked by acquisition")


class PoolMaximizer(AbstractAcquisitionMaximizer):
    """An acquisition maximiser over a fixed pool: every pool configuration, best first.

    Args:
        configspace: the search space.
        pool: the candidate configurations (HPO-B's ``X_pen`` rows).
        seed: seed of SMAC's random tie-breaking between equal acquisition values.
    """

    def __init__(self, configspace: ConfigurationSpace, pool: list[Configuration], seed: int):
        super().__init__(configspace, challengers=len(pool), seed=seed)
        self.pool = pool

    def _maximize(self, previous_configs: list[Configuration], n_points: int) -> list[tuple[float, Configuration]]:
        """(acquisition value, configuration) of the pool, highest value first."""
        return self._sort_by_acquisition_value(self.pool)[:n_points]


class SMAC:
    """SMAC3 (``HyperparameterOptimizationFacade``: random forest + log EI) for HPO-B.

    Cost per suggestion (one core): dominated by SMAC's local search over the
    acquisition in the continuous protocol, by scoring the pool in the discrete
    one; see the README's peers section for measured medians.

    Reproducibility: SMAC's seed (scenario, forest, maximiser, random design)
    and the random choices made here are drawn, per call, from a Generator
    seeded with ``seed`` and the call's inputs; the same seed and inputs give
    the same suggestion.

    Args:
        seed: seed of the method's randomness; None for a non-reproducible run.
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed
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
            Discrete: a Python int index into X_pen.
        """
        X_obs = np.clip(np.asarray(X_obs, dtype=np.float64), 0.0, 1.0)
        y_obs = np.asarray(y_obs, dtype=np.float64).reshape(-1)
        d = X_obs.shape[1]
        rng = call_rng(self.seed, X_obs, y_obs, X_pen)
        smac_seed = int(rng.integers(2**31 - 1))
        configspace = ConfigurationSpace(seed=smac_seed)
        configspace.add([Float(f"x{j}", (0.0, 1.0)) for j in range(d)])

        pool_index: dict[bytes, int] = {}
        maximizer = None
        if X_pen is not None:
            X_pen = np.asarray(X_pen, dtype=np.float64)
            pool = []
            for index, row in enumerate(np.clip(X_pen, 0.0, 1.0)):
                config = Configuration(configspace, vector=row)
                config.origin = MODEL_ORIGINS[1]
                pool.append(config)
                pool_index.setdefault(config.get_array().tobytes(), index)
            maximizer = PoolMaximizer(configspace, pool, seed=smac_seed)

        config = self._ask(configspace, X_obs, y_obs, smac_seed, maximizer)
        origin = config.origin or ""
        if origin.startswith(MODEL_ORIGINS):
            self.last_source = "rf-ei"
        elif origin == "Random Search":  # ChallengerList's interleaved random configuration
            self.last_source = "random-interleaved"
        else:
            self.last_source = "random-sampled"

        if X_pen is None:
            return np.clip(config.get_array().astype(np.float64), 0.0, 1.0).reshape(1, d)
        index = pool_index.get(config.get_array().tobytes())
        if index is None:  # a random configuration outside the pool: a random pool row instead
            index = int(rng.integers(len(X_pen)))
        return int(index)

    def _ask(
        self,
        configspace: ConfigurationSpace,
        X_obs: np.ndarray,
        y_obs: np.ndarray,
        smac_seed: int,
        maximizer: AbstractAcquisitionMaximizer | None,
    ) -> Configuration:
        """Tell a fresh SMAC the history and ask it one configuration.

        Args:
            configspace: the search space (d floats in [0, 1]).
            X_obs: (n, d) observed configurations.
            y_obs: (n,) observed scores (told as cost -y).
            smac_seed: the scenario's seed.
            maximizer: the acquisition maximiser, or None for the facade's default.

        Returns:
            The configuration SMAC asks for.
        """
        smac_logger = logging.getLogger("smac")
        level = smac_logger.level
        smac_logger.setLevel(logging.ERROR)
        try:
            with tempfile.TemporaryDirectory(prefix="smac-") as output_directory:
                scenario = Scenario(configspace, deterministic=True, n_trials=len(X_obs) + 1,
                                    seed=smac_seed, output_directory=output_directory)
                facade = HyperparameterOptimizationFacade
                if maximizer is None:
                    maximizer = ordered_start_points(facade.get_acquisition_maximizer(scenario))
                smac = facade(
                    scenario,
                    target_function=None,  # ask/tell only
                    model=random_forest(scenario),
                    acquisition_maximizer=maximizer,
                    initial_design=facade.get_initial_design(scenario, n_configs=0),
                    logging_level=False,
                    overwrite=True,
                )
                for row, value in zip(X_obs, y_obs):
                    trial = TrialInfo(Configuration(configspace, vector=row), seed=smac_seed)
                    smac.tell(trial, TrialValue(cost=-float(value)), save=False)
                return smac.ask().config
        finally:
            smac_logger.setLevel(level)


def ordered_start_points(maximizer: LocalAndSortedRandomSearch) -> LocalAndSortedRandomSearch:
    """The facade's maximiser with its local search's start points in a fixed order.

    SMAC's local search collects its start points in a ``set`` of configurations, whose iteration
    order follows Python's string hashing (randomised per process unless PYTHONHASHSEED is set);
    the order decides which random numbers each local search draws, so the same seed gave another
    suggestion in every new process. Sorting the start points by their vectors fixes the order and
    leaves the set, and the search, as they are.

    Args:
        maximizer: the facade's ``LocalAndSortedRandomSearch``.

    Returns:
        The same maximiser.
    """
    local_search = maximizer._local_search
    unordered = local_search._get_initial_points

    def initial_points(*args, **kwargs):
        return sorted(unordered(*args, **kwargs), key=lambda config: tuple(config.get_array()))

    local_search._get_initial_points = initial_points
    return maximizer


def random_forest(scenario: Scenario) -> RandomForest:
    """The facade's random forest (``HyperparameterOptimizationFacade.get_model``) on one thread.

    Args:
        scenario: the SMAC scenario (search space and seed).

    Returns:
        A ``RandomForest`` with the facade's settings and ``n_jobs=1``.
    """
    return RandomForest(
        configspace=scenario.configspace,
        log_y=True,
        n_trees=10,
        bootstrapping=True,
        ratio_features=1.0,
        min_samples_split=2,
        min_samples_leaf=1,
        max_depth=2**20,
        max_leaf_nodes=None,
        instance_features=scenario.instance_features,
        seed=scenario.seed,
        n_jobs=1,
    )
