"""Diagnostic: the suggestions of each method on one cross-validation run, with the best y so far.

usage (after crossval.py built the folds; GEN-VAE uses fold k's model; PATCH as in run_variant.py):
    PYTHONPATH=.:attempts/crossval-2026-11-29 python attempts/crossval-2026-11-29/trace_run.py <k> <dataset> <seed> <trials> GEN-VAE GP-Optuna GP-BO
Prints the initial design, each method's regret curve, and per suggestion the point, its source and the best
y before it (the handler's normalised y)."""
import sys, os, numpy as np
if os.environ.get("PATCH"): __import__(os.environ["PATCH"])
from hpogen.runner import get_handler
from methods import make_method
k, ds, seed, trials = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
root = f"build/crossval/yahpo-rpart/yahpo-rpart-f{k}"
h = get_handler(root + "/hpob-data", "v3-test", root + "/saved-surrogates")
class Log:
    def __init__(s, m): s.m, s.rows = m, []
    def observe_and_suggest(s, X, y, X_pen=None):
        if not s.rows:
            s.init = (np.asarray(X), np.asarray(y).ravel())
        x = s.m.observe_and_suggest(X, y, X_pen)
        s.rows.append((np.asarray(x).ravel(), getattr(s.m, "last_source", ""), np.asarray(y).max()))
        return x
for name in sys.argv[5:]:
    m = make_method(name, seed=0, checkpoint=f"{root}/checkpoints/yahpo-rpart.pt" if name == "GEN-VAE" else None, search_space_id="yahpo-rpart")
    log = Log(m)
    curve = h.evaluate_continuous(log, "yahpo-rpart", ds, seed, trials)
    if name == sys.argv[5]:
        X0, y0 = log.init; print("init", np.round(X0, 2).tolist(), np.round(y0, 3).tolist())
    print(name, "regret", " ".join(f"{1-c:.3f}" for c in curve))
    for x, src, b in log.rows:
        print("   ", np.round(x, 2), src, f"best-so-far {b:.3f}")
