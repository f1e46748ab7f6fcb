"""One GEN-VAE variant on one crossval fold (or validation view), with an optional patch module imported first.

usage (from the repository root, after `python crossval.py --data-dir data/yahpo-rpart/hpob-data ...` built the folds):
    PATCH=<module> PYTHONPATH=.:attempts/crossval-2026-11-29 python attempts/crossval-2026-11-29/run_variant.py yf<k> <tag> '{}' continuous test0
The runs are the same as crossval.py's (same seeds, surrogates and initial designs); results go to build/var/yf<k>/<tag>/.
MSEED=<k> sets GEN-VAE's method seed (0 by default); DATASETS=<id,id,...> keeps only those datasets (none in
this fold or view: nothing is run).
The validation-view paths below are the ones of the machine the attempts ran on (benchmark.py --split validation builds them).
"""
import json, sys
from pathlib import Path
import os
if os.environ.get("PATCH"): __import__(os.environ["PATCH"])
from hpogen.runner import SweepConfig, get_handler, plan_runs, run_sweep, results_dir_for
bench, tag, opts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
protocol = sys.argv[4] if len(sys.argv) > 4 else "continuous"
seeds = sys.argv[5:] or None
if bench == "yahpo":
    root, ck = Path("build/views/yahpo-rpart-validation-a7065ee82b48aa9d"), "checkpoints/yahpo-rpart"
elif bench == "mini":
    root, ck = Path("build/views/hpob-mini-validation-f62eb444e537508c"), "checkpoints/mini"
else:  # a crossval fold of yahpo-rpart: held-out meta-train datasets
    root = Path(f"build/crossval/yahpo-rpart/yahpo-rpart-f{bench[-1]}"); ck = os.environ.get("CKDIR", str(root / "checkpoints")).replace("{k}", bench[-1])
if bench in ("yahpo", "mini"):
    ck = os.environ.get("VALCK", ck).replace("{bench}", bench)   # other models for the validation splits
data, surr = str(root / "hpob-data"), str(root / "saved-surrogates")
handler = get_handler(data, "v3-test", surr)
method = tag[5:].split("@")[0] if tag.startswith("peer-") else "GEN-VAE"
cfg = SweepConfig(data, surr, protocol=protocol, trials=int(os.environ.get("TRIALS", 50)), method_seed=int(os.environ.get("MSEED", 0)), checkpoint_dir=ck, method_options={"GEN-VAE": {"suggest": opts}})
out = results_dir_for(Path("build/var") / bench / tag, protocol)
datasets = None
if os.environ.get("DATASETS"):
    held = {d for space in handler.get_search_spaces() for d in handler.get_datasets(space)}
    datasets = [d for d in os.environ["DATASETS"].split(",") if d in held]
    if not datasets:
        print("no chosen dataset in", bench, flush=True)
        sys.exit(0)
run_sweep(cfg, plan_runs(handler, [method], None, datasets=datasets, seeds=seeds), out, progress=False)
print("done", bench, tag, protocol, flush=True)
