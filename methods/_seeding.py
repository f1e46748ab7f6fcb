"""Per-call seeding shared by the peer methods."""
from __future__ import annotations

import hashlib

import numpy as np


def call_rng(seed: int | None, *arrays: np.ndarray | None) -> np.random.Generator:
    """A numpy Generator seeded from ``seed`` and the bytes of this call's inputs.

    Makes every suggestion a deterministic function of (seed, inputs): a run is
    reproducible whether one object is reused across runs or not, and in any
    call order. With ``seed=None`` the Generator draws fresh OS entropy.

    Args:
        seed: the method's seed, or None for a non-reproducible run.
        *arrays: the call's inputs (None entries are skipped).

    Returns:
        A fresh ``np.random.Generator``.
    """
    if seed is None:
        return np.random.default_rng()
    digest = hashlib.blake2b(digest_size=8)
    for array in arrays:
        if array is not None:
            array = np.ascontiguousarray(array, dtype=np.float64)
            digest.update(repr(array.shape).encode())
            digest.update(array.tobytes())
    return np.random.default_rng([int(seed), int.from_bytes(digest.digest(), "little")])
