"""Random search, the baseline every HPO-B method is compared with."""
from __future__ import annotations

import numpy as np


class RandomSearch:
    """Uniform random configurations (continuous) or pending indices (discrete).

    Args:
        seed: seed of the numpy Generator; the same seed gives the same run.

    Example:
        >>> rs = RandomSearch(seed=0)
        >>> rs.observe_and_suggest(np.zeros((5, 3)), np.zeros((5, 1))).shape
        (1, 3)
        >>> rs.observe_and_suggest(np.zeros((5, 3)), np.zeros((5, 1)), np.zeros((7, 3))) in range(7)
        True
    """

    name = "RS"

    def __init__(self, seed: int | None = 0):
        self.rng = np.random.default_rng(seed)

    def observe_and_suggest(self, X_obs, y_obs, X_pen=None):
        if X_pen is not None:
            return int(self.rng.integers(len(X_pen)))
        return self.rng.random((1, np.shape(X_obs)[1]))
