"""Tune a real XGBoost classifier with GEN-VAE (meta-trained prior), TPE and random search.

The objective is the 3-fold cross-validated accuracy (or log loss) of the
classifier on a dataset that ships with scikit-learn (no network), over hpob-mini's mini-xgboost search space, so that
GEN-VAE starts from the bundled checkpoint. Every method gets the same budget,
seeds and initial designs. Writes, under --out: studies/<method>-seed<k>.json
(resumed when rerun), curves.json, table.md (mean best-so-far) and
incumbents.png.

    python tune_xgboost.py                                   # wine, accuracy, 5 seeds, 30 evaluations
    python tune_xgboost.py --metric logloss --out results/tune-xgboost-logloss
    python tune_xgboost.py --methods GEN-VAE RS --seeds 0 1 --evals 10 --out /tmp/tune
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from hpogen.checks import check_output_dir
from hpogen.errors import UserError, cli_main
from hpogen.tuning_example import DATASETS, METRICS, run_comparison, write_report
from methods import METHOD_NAMES

DEFAULT_CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "mini" / "mini-xgboost.pt"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="wine", choices=DATASETS, help="scikit-learn dataset (default: wine)")
    p.add_argument("--metric", default="accuracy", choices=list(METRICS),
                   help="3-fold CV accuracy (maximised) or log loss (minimised) (default: accuracy)")
    p.add_argument("--methods", nargs="+", default=["GEN-VAE", "TPE", "RS"],
                   help=f"methods among {', '.join(METHOD_NAMES)} (default: GEN-VAE TPE RS)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4], help="tuner seeds (default: 0 1 2 3 4)")
    p.add_argument("--evals", type=int, default=30, help="evaluations per study, initial design included (default: 30)")
    p.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT),
                   help="GEN-VAE's meta-trained checkpoint, or 'none' to train from scratch "
                        "(default: checkpoints/mini/mini-xgboost.pt)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds per evaluation before it counts as failed (default: 60)")
    p.add_argument("--out", default="results/tune-xgboost", help="output folder (default: results/tune-xgboost)")
    p.add_argument("--fresh", action="store_true", help="delete this folder's studies first instead of resuming them")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


@cli_main
def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.evals < 1:
        raise UserError(f"--evals must be at least 1, got {args.evals}")
    negative = [seed for seed in args.seeds if seed < 0]
    if negative:
        raise UserError(f"--seeds must be >= 0, got {negative[0]}")
    unknown = [m for m in args.methods if m not in METHOD_NAMES]
    if unknown:
        raise UserError(f"unknown method '{unknown[0]}'; use some of: {', '.join(METHOD_NAMES)}")
    checkpoint = None if args.checkpoint.lower() == "none" else args.checkpoint
    check_output_dir(args.out, "--out")  # before any study: a file in the way fails now, not after the runs
    if args.fresh:
        shutil.rmtree(Path(args.out) / "studies", ignore_errors=True)
    curves = run_comparison(args.methods, args.seeds, args.evals, args.out, dataset=args.dataset,
                            metric=args.metric, checkpoint=checkpoint, timeout=args.timeout,
                            progress=not args.quiet)
    label = f"3-fold CV {args.metric} ({'higher' if METRICS[args.metric] == 'maximize' else 'lower'} is better)"
    paths = write_report(curves, args.out, title=f"XGBoost on {args.dataset}", label=label)
    print(paths["table"].read_text(), end="")
    print(f"wrote {paths['table']}, {paths['plot']} and {paths['curves']}")


if __name__ == "__main__":
    raise SystemExit(main())
