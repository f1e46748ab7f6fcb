"""Choose GEN-VAE's suggestion rule by cross-validation over the meta-train datasets.

Splits each space's meta-train datasets into folds, meta-trains one model per
fold on the others, and runs every design variant of GEN-VAE and the peers
(RS, TPE) on the held-out datasets; the meta-test datasets are never touched.

    python crossval.py                                   # bundled hpob-mini, both spaces, 3 folds
    python crossval.py --search-spaces mini-svm --variants "decoded pool, learned EI, refinement (default)"

Writes the folds (data, surrogates, checkpoints) to build/crossval/<benchmark>/ and the
results and crossval.md to results/<benchmark>-crossval/; reruns resume (a fold's checkpoint is reused
only if it was meta-trained with the --steps and --lr-schedule asked for).
"""
from __future__ import annotations

import argparse
import sys

from hpogen.crossval import DESIGN_VARIANTS, PEERS, run_crossval
from hpogen.checks import check_at_least, check_output_dir
from hpogen.errors import UserError, cli_main
from hpogen.meta_training import LR_SCHEDULES, MetaTrainConfig
from hpogen.runner import REPO_ROOT, get_handler, plan_runs, resolve_benchmark


@cli_main
def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="HPO-B-layout data (default: ./hpob-data if present, else hpob-mini)")
    p.add_argument("--search-spaces", nargs="+", help="space ids (default: all spaces of the benchmark)")
    p.add_argument("--folds", type=int, default=3, help="folds of the meta-train datasets (default 3)")
    p.add_argument("--variants", nargs="+", help=f"subset of: {'; '.join(DESIGN_VARIANTS)}")
    p.add_argument("--seeds", nargs="+", help="initial designs among test0..test4 (default: all five)")
    p.add_argument("--peers", nargs="+", default=list(PEERS), help="peers run beside the variants (default: RS TPE)")
    p.add_argument("--trials", type=int, default=50)
    p.add_argument("--steps", type=int, default=MetaTrainConfig.steps, help="meta-training steps per fold")
    p.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=MetaTrainConfig.lr_schedule,
                   help=f"meta-training's learning rate per fold (default {MetaTrainConfig.lr_schedule}; the "
                        "cross-validations in the README were made with constant)")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes for the runs")
    p.add_argument("--out", help="output folder (default: results/<benchmark>-crossval)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    for name in args.variants or []:
        if name not in DESIGN_VARIANTS:
            raise UserError(f"unknown variant {name!r}; valid: {'; '.join(DESIGN_VARIANTS)}")
    if args.folds < 2:
        raise UserError(f"--folds must be at least 2, got {args.folds}")
    if args.steps < 1:
        raise UserError(f"--steps must be positive, got {args.steps}")
    check_at_least("--trials", args.trials, 1)
    check_at_least("--jobs", args.jobs, 1)
    bench = resolve_benchmark(args.data_dir, None)
    handler = get_handler(str(bench.data_dir), "v3-test", str(bench.surrogates_dir))
    spaces = args.search_spaces or handler.get_search_spaces()
    plan_runs(handler, [*args.peers, "GEN-VAE"], spaces, seeds=args.seeds)  # bad ids fail here, before any fold
    out = check_output_dir(args.out or REPO_ROOT / "results" / f"{bench.name}-crossval", "--out")
    cfg = MetaTrainConfig(steps=args.steps, val_every=min(MetaTrainConfig.val_every, args.steps),
                          lr_schedule=args.lr_schedule)
    folds = REPO_ROOT / "build" / "crossval" / bench.name
    print(run_crossval(bench.data_dir, spaces, out, args.folds, args.variants, args.trials, args.jobs, cfg,
                       progress=not args.quiet, folds_dir=folds, seeds=args.seeds, peers=tuple(args.peers)))


if __name__ == "__main__":
    raise SystemExit(main())
