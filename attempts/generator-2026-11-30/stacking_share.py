"""Patch (thirteenth session, not kept): the pool's proposals split between decoder and uniform by the
suggestion's stacking weight w: round((1 - w) * (n_decoded + n_uniform)) uniform points, the rest decoded
(the default: a fixed 64 uniform, 512 decoded). WSHARE_FLOOR sets a least uniform share; WLOG=<file> appends
"<history size> <w>" per suggestion.

usage (from the repository root; see attempts/README.md, "The proposal split by the stacking weight"):
    PATCH=stacking_share MSEED=<k> PYTHONPATH=.:attempts/crossval-2026-11-29:attempts/generator-2026-11-30 \
        python attempts/crossval-2026-11-29/run_variant.py yahpo wshare-m<k> '{}' continuous
"""
import os

import methods.gen_pool as gp

_build, _initial = gp.build_acquisition, gp.initial_pool
FLOOR = float(os.environ.get("WSHARE_FLOOR", "0"))
LOG = os.environ.get("WLOG")


def build(method, X, y):
    acq = _build(method, X, y)
    method._w = acq.head_weight
    if LOG:
        with open(LOG, "a") as f:
            f.write(f"{len(y)} {acq.head_weight:.4f}\n")
    return acq


def initial(method, X, y):
    cfg = method.suggest_cfg
    w = getattr(method, "_w", None)
    if w is None:
        return _initial(method, X, y)
    total = cfg.n_decoded + cfg.n_uniform
    n_uni = int(round(max(FLOOR, 1.0 - w) * total))
    saved = cfg.n_decoded, cfg.n_uniform
    cfg.n_decoded, cfg.n_uniform = total - n_uni, n_uni
    try:
        return _initial(method, X, y)
    finally:
        cfg.n_decoded, cfg.n_uniform = saved


gp.build_acquisition, gp.initial_pool = build, initial
