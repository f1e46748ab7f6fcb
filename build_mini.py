"""Build hpob-mini: a small real meta-dataset in HPO-B's layout, from one seed.

Trains every sampled configuration on every dataset (see hpogen/minibench.py),
splits the datasets into meta-train / meta-validation / meta-test, writes
``OUT/hpob-data/`` and then fits the XGBoost surrogates into
``OUT/saved-surrogates/``. Needs the build-only packages:
``pip install -r requirements-build.txt``.

Example:
    nice -n 10 python build_mini.py --jobs 2            # the bundled data/hpob-mini
    python build_mini.py --tiny --out /tmp/mini         # a seconds-long smoke build
"""
from __future__ import annotations

import argparse
import time

from hpogen import minibench, surrogates
from hpogen.errors import UserError, cli_main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line of the build."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="data/hpob-mini",
                        help="benchmark root to write (default: data/hpob-mini)")
    parser.add_argument("--seed", type=int, default=0, help="seed of everything (default: 0)")
    parser.add_argument("--configs-per-dataset", type=int, default=500,
                        help="configurations evaluated per space and dataset (default: 500)")
    parser.add_argument("--max-rows", type=int, default=1500,
                        help="cap on rows per dataset, train + validation (default: 1500)")
    parser.add_argument("--spaces", nargs="+", default=list(minibench.SPACES),
                        help=f"space ids (default: {' '.join(minibench.SPACES)})")
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="dataset names (default: all in hpogen.minibench.DATASETS)")
    parser.add_argument("--n-test", type=int, default=6, help="meta-test datasets per space")
    parser.add_argument("--n-valid", type=int, default=4,
                        help="meta-validation datasets per space")
    parser.add_argument("--min-headroom", type=float, default=0.05,
                        help="min expected normalised regret of the best of 5 random "
                             "configurations for a meta-test/validation dataset (default: 0.05)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1)")
    parser.add_argument("--no-surrogates", action="store_true",
                        help="skip fitting the surrogates")
    parser.add_argument("--tiny", action="store_true",
                        help="smoke build: 6 small datasets, 20 configs, 2 test + 1 validation")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


TINY_DATASETS = ("glass", "wine", "pima", "womenlf", "modechoice", "twoclass")


@cli_main
def main(argv: list[str] | None = None) -> int:
    """Build the benchmark; returns the exit status."""
    args = parse_args(argv)
    for space_id in args.spaces:
        minibench.get_space(space_id)
    if args.configs_per_dataset < minibench.N_INIT:
        raise UserError(f"--configs-per-dataset must be at least {minibench.N_INIT} "
                        "(an initial design has 5 points)")
    cfg = minibench.BuildConfig(
        seed=args.seed, configs_per_dataset=args.configs_per_dataset, max_rows=args.max_rows,
        spaces=tuple(args.spaces), n_test=args.n_test, n_valid=args.n_valid,
        min_headroom=args.min_headroom, jobs=args.jobs)
    if args.datasets:
        cfg.datasets = tuple(args.datasets)
    if args.tiny:
        cfg.datasets = tuple(args.datasets or TINY_DATASETS)
        cfg.configs_per_dataset, cfg.n_test, cfg.n_valid = 20, 2, 1
        cfg.min_headroom, cfg.min_gap, cfg.max_rows = 0.0, 0.0, 300
    start = time.perf_counter()
    info = minibench.build(args.out, cfg, progress=not args.quiet)
    for space_id, space in info["spaces"].items():
        print(f"{space_id}: dim {space['dim']}, "
              + ", ".join(f"{k} {len(v)}" for k, v in space["splits"].items()))
    print(f"data written to {args.out}/hpob-data in {time.perf_counter() - start:.0f} s")
    if not args.no_surrogates:
        surrogates.train_all(f"{args.out}/hpob-data", f"{args.out}/saved-surrogates",
                             seed=args.seed, progress=not args.quiet,
                             quick=args.tiny)
    print(f"total {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
