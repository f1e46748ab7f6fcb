"""Attempt. Import this to replace the mixture's EI by probability matching over the two models: the stacking
weight w is fitted as on main, then the head is drawn with probability w (its EI alone ranks the pool) and the
GP otherwise (its EI alone). Under the mixture's EI, w EI_head + (1 - w) EI_GP, a head whose EI is 20 times the
GP's still decides at w = 0.05 (the traced far-task run of attempts/README.md: the weight fell to 0.07 and the
suggestions stayed where the head expected improvements); drawn, it decides in about 5 % of the suggestions."""
import math

import numpy as np

import methods.gen_acquisition as ga
import methods.gen_pool as gp

_build = ga.build_acquisition


def build_acquisition(method, X, y):
    acquisition = _build(method, X, y)
    w = acquisition.head_weight
    if method.suggest_cfg.acquisition != "stacked-ei" or w in (0.0, 1.0):
        return acquisition
    use_head = method.rng.random() < w

    if use_head:
        head_score = ga.head_log_ei(method, X, y)

        def score(candidates):
            head = head_score(candidates)
            return head, np.ones(len(head), dtype=bool), np.full(len(head), -np.inf)
    else:
        def score(candidates):   # the mixture's GP term, less its log(1 - w) (the head's term is computed too)
            _, _, from_gp = acquisition.score(candidates)
            return from_gp - math.log1p(-w), np.zeros(len(from_gp), dtype=bool), from_gp

    return ga.Acquisition(score, w)


gp.build_acquisition = build_acquisition
print("patched build_acquisition: probability matching over head and GP", flush=True)
