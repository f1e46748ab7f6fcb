"""Fit HPO-B-style XGBoost surrogates for every meta-test dataset of a benchmark.

Works on any HPO-B-layout data (hpob-mini or HPO-B itself): reads
``meta-test-dataset.json`` and writes ``surrogate-{space}-{dataset}.json``,
``summary-stats.json`` and ``fit-report.json`` to --out (adding to the entries of
surrogates already there, e.g. another space's). Prints each
surrogate's held-out R^2 / Spearman and the medians. Rerun after an
interruption, it keeps the surrogates already fitted with the same settings on
the same data and fits the rest (--refit fits every one again).

Example:
    python train_surrogates.py --data-dir data/hpob-mini/hpob-data \\
        --out data/hpob-mini/saved-surrogates
"""
from __future__ import annotations

import argparse
import time

from hpogen import surrogates
from hpogen.checks import check_at_least, check_output_dir
from hpogen.errors import cli_main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command line of the surrogate trainer."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="data/hpob-mini/hpob-data",
                        help="folder with meta-test-dataset.json (default: data/hpob-mini/hpob-data)")
    parser.add_argument("--out", default="data/hpob-mini/saved-surrogates",
                        help="surrogates folder to write (default: data/hpob-mini/saved-surrogates)")
    parser.add_argument("--search-spaces", nargs="+", default=None,
                        help="space ids to fit (default: all in the file)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--threads", type=int, default=1, help="xgboost threads (default: 1)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: tiny grid (eta 0.1/0.3, <= 100 rounds)")
    parser.add_argument("--refit", action="store_true",
                        help="fit every surrogate again, also those already in --out fitted with these "
                             "settings on these data (default: keep them, so a rerun resumes)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    return parser.parse_args(argv)


@cli_main
def main(argv: list[str] | None = None) -> int:
    """Fit and save the surrogates; returns the exit status."""
    args = parse_args(argv)
    check_at_least("--seed", args.seed, 0)
    check_at_least("--threads", args.threads, 1)
    check_output_dir(args.out, "--out")
    start = time.perf_counter()
    surrogates.train_all(args.data_dir, args.out, args.search_spaces, seed=args.seed,
                         threads=args.threads, progress=not args.quiet, quick=args.quick,
                         refit=args.refit)
    if not args.quiet:
        print(f"done in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
