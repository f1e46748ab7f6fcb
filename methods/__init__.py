"""Every optimizer behind HPO-B's ``observe_and_suggest(X_obs, y_obs, X_pen=None)``.

``make_method(name, seed=..., **options)`` builds one by its results name.
Peers are imported lazily so that a missing optional dependency only
matters when that method is used.
"""
from __future__ import annotations

from typing import Any

METHOD_NAMES = ("GEN-VAE", "RS", "GP-BO", "TPE", "GP-Optuna", "SMAC")


def make_method(name: str, seed: int, device: str = "cpu", checkpoint: str | None = None,
                search_space_id: str | None = None, options: dict[str, Any] | None = None):
    """Build the method called ``name`` (one of METHOD_NAMES) with a seed."""
    options = dict(options or {})
    if name == "GEN-VAE":
        from methods.generative_hpo import GenerativeHPO

        return GenerativeHPO(seed=seed, device=device, checkpoint=checkpoint,
                             search_space_id=search_space_id, **options)
    if name == "RS":
        from methods.random_search import RandomSearch

        return RandomSearch(seed=seed)
    if name == "GP-BO":
        from methods.gp_bo import GPBO

        return GPBO(seed=seed, **options)
    if name == "TPE":
        from methods.tpe import TPE

        return TPE(seed=seed, **options)
    if name == "GP-Optuna":
        from methods.optuna_gp import OptunaGP

        return OptunaGP(seed=seed, **options)
    if name == "SMAC":
        from methods.smac import SMAC

        return SMAC(seed=seed, **options)
    raise ValueError(f"unknown method {name!r}; valid: {', '.join(METHOD_NAMES)}")
