"""Attempt. Import this to make the learned head a deep ensemble of two meta-trainings.

Each GEN-VAE also loads a second checkpoint of the same space, meta-trained with another seed (the same settings
otherwise). The head's predictive distribution becomes the equal mixture of the two models' bar distributions: its
leave-one-out density of each y_i is the mean of the two densities, its EI the mean of the two EIs (EI is linear in
the distribution). Where the two meta-trainings agree the head is as sharp as either; where they disagree it is wider.
The rest of the rule (the pool, decoded by the first model, the GP, the stacking of head and GP) is the rule on main.
With the same checkpoint twice it gives the rule on main's suggestions exactly.

Where the second checkpoints are: SECOND_CKDIR (a folder; '{k}' is replaced by the crossval fold of the first
checkpoint, read from its '-f<k>' folder), e.g. build/crossval-seed1/f{k}; for the validation splits SECOND_VALCK, e.g.
build/seed1/{bench} ('{bench}': yahpo or mini).
"""
import copy
import math
import os
import re

import numpy as np

from methods import gen_acquisition as ga
from methods import generative_hpo as gh

_LOG_HALF = math.log(0.5)
_first_loo, _first_ei = ga.head_leave_one_out_log_density, ga.head_log_ei
_init = gh.GenerativeHPO.__init__


def _second_path(checkpoint) -> str:
    fold = re.search(r"-f(\d+)/", str(checkpoint))
    if fold:
        folder = os.environ["SECOND_CKDIR"].replace("{k}", fold.group(1))
    else:
        folder = os.environ["SECOND_VALCK"].replace("{bench}", "yahpo" if "yahpo" in str(checkpoint) else "mini")
    return os.path.join(folder, os.path.basename(str(checkpoint)))


def __init__(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self._second = None
    if self.checkpoint is not None:
        model, _ = gh.load_checkpoint(_second_path(self.checkpoint), self.search_space_id)
        self._second = copy.copy(self)          # shares the rng and the device; its own model
        self._second.model = model.to(self.device)


def head_leave_one_out_log_density(method, X, y):
    first = _first_loo(method, X, y)
    if method._second is None:
        return first
    return np.logaddexp(first, _first_loo(method._second, X, y)) + _LOG_HALF


def head_log_ei(method, X, y):
    first = _first_ei(method, X, y)
    if method._second is None:
        return first
    second = _first_ei(method._second, X, y)
    return lambda candidates: np.logaddexp(first(candidates), second(candidates)) + _LOG_HALF


gh.GenerativeHPO.__init__ = __init__
ga.head_leave_one_out_log_density = head_leave_one_out_log_density
ga.head_log_ei = head_log_ei
