"""Score GEN-VAE's meta-learned predictive head as a surrogate, beside a fitted GP (BoTorch SingleTaskGP).

On the meta-validation datasets of a space (by default), random histories of
5, 10, 25 and 50 points; held-out configurations of the same dataset; mean NLL
of their y (history-normalised units) and Spearman correlation of the
predictive mean with the true y. Writes the table to ``--out`` (markdown).

    python surrogate_quality.py --search-space mini-xgboost
    python surrogate_quality.py --data-dir data/yahpo-rpart/hpob-data --search-space yahpo-rpart \\
        --checkpoint-dir checkpoints/yahpo-rpart
"""
from __future__ import annotations

import argparse
from pathlib import Path

from hpogen.checks import check_at_least, check_output_file
from hpogen.errors import UserError, cli_main
from hpogen.results import atomic_write_bytes
from hpogen.runner import limit_threads, resolve_benchmark


@cli_main
def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="HPO-B-layout data folder (default: the bundled hpob-mini)")
    p.add_argument("--search-space", required=True)
    p.add_argument("--split", default="validation", choices=("validation", "train", "test"))
    p.add_argument("--checkpoint-dir", help="folder of <space>.pt (default: the benchmark's bundled checkpoints)")
    p.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 25, 50], help="history sizes")
    p.add_argument("--histories", type=int, default=3, help="random histories per dataset and size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="markdown file for the table (default: print only)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if min(args.sizes) < 2 or args.histories < 1:
        raise UserError("--sizes must be >= 2 and --histories >= 1")
    check_at_least("--seed", args.seed, 0)
    if args.out:
        check_output_file(args.out, "--out")
    limit_threads(2)
    bench = resolve_benchmark(args.data_dir)
    from hpob_handler import HPOBHandler
    from hpogen.surrogate_quality import evaluate_quality, quality_table
    from methods.generative_hpo import CheckpointError, load_checkpoint

    handler = HPOBHandler(str(bench.data_dir), mode="v3", surrogates_dir=str(bench.surrogates_dir))
    tasks = handler.get_meta_split(args.split, args.search_space)
    checkpoint_dir = Path(args.checkpoint_dir) if args.checkpoint_dir else bench.checkpoint_dir
    if checkpoint_dir is None:
        raise UserError(f"no meta-trained checkpoints for {bench.data_dir}: pass --checkpoint-dir (a folder made "
                        "by meta_train.py)")
    smallest = min(len(y) for _, y in tasks.values())
    if max(args.sizes) >= smallest:
        raise UserError(f"--sizes {max(args.sizes)} leaves no held-out point: the smallest {args.split} dataset of "
                        f"{args.search_space} has {smallest} configurations; choose sizes below {smallest}")
    try:
        model, _ = load_checkpoint(checkpoint_dir / f"{args.search_space}.pt", args.search_space)
    except CheckpointError as err:
        raise UserError(str(err)) from None
    rows = evaluate_quality(model, tasks, tuple(args.sizes), args.histories, seed=args.seed,
                            progress=not args.quiet)
    text = (f"Predictive head vs fitted GP, space {args.search_space}, {args.split} split "
            f"({len(tasks)} datasets, {args.histories} histories each), 200 held-out points per history.\n\n"
            f"{quality_table(rows)}\n")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(Path(args.out), text.encode())
    print(text)


if __name__ == "__main__":
    raise SystemExit(main())
