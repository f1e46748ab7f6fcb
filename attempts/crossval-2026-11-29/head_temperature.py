"""Attempt. Import this to recalibrate the learned head on each run's own evidence with one temperature.

The head's bar-distribution logits are divided by a temperature tau chosen, at each suggestion, to maximise the
leave-one-out log density of the history's y (the same densities the stacking weight uses) plus a
LogNormal(0, HEAD_TAU_SD) log prior on tau (default sd 0.5). tau > 1 widens a head that is too sure of itself on
this task; tau < 1 sharpens one that is too vague. The tempered head's leave-one-out densities go into the
stacking weight and its EI into the mixture; everything else is the rule on main.
"""
import math
import os

import numpy as np
import torch

from methods import gen_acquisition as ga

_LOG_TAUS = np.linspace(-1.5, 1.5, 31)
_SD = float(os.environ.get("HEAD_TAU_SD", 0.5))


@torch.no_grad()
def head_leave_one_out_log_density(method, X, y):
    logits, u, spreads = ga.head_leave_one_out(method, X, y)
    taus = torch.as_tensor(np.exp(_LOG_TAUS), dtype=logits.dtype, device=logits.device)           # (T,)
    u_t = torch.as_tensor(u, device=logits.device).expand(len(taus), -1)                          # (T, n)
    nll = method.model.predictor.nll(logits[None] / taus[:, None, None], u_t)                     # (T, n)
    density = -nll.double().cpu().numpy() - np.log(spreads)[None]
    best = int(np.argmax(density.sum(1) - 0.5 * (_LOG_TAUS / _SD) ** 2))
    method._head_tau = float(np.exp(_LOG_TAUS[best]))
    return density[best]


def head_log_ei(method, X, y):
    from methods.generative_hpo import history_scale, normalize_query_y

    tau = method.__dict__.pop("_head_tau", 1.0)       # set by this suggestion's leave-one-out pass, else 1
    tokens, _ = method.read_history(X, y)
    log_spread = math.log(history_scale(y)[1])
    best = float(normalize_query_y(np.max(y), y))

    def score(candidates):
        logits = method.predict_logits(X, y, candidates, tokens=tokens) / tau
        ei = method.model.predictor.expected_improvement(logits, best).cpu().numpy().astype(np.float64)
        with np.errstate(divide="ignore"):
            return np.log(ei) + log_spread

    return score


ga.head_leave_one_out_log_density = head_leave_one_out_log_density
ga.head_log_ei = head_log_ei
