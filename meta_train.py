"""Meta-train GenerativeHPO on every meta-train dataset of one search space.

Selects the model on the meta-validation split (lowest validation loss) and
writes ``<out>/<space>.pt`` (weights, config and input dimension; load with
``torch.load(..., weights_only=True)``) and ``<out>/<space>-loss.png``. The
default ``<out>`` is ``runs/<benchmark>/checkpoints`` (git-ignored); the
bundled checkpoints are replaced only when asked with ``--out checkpoints/mini``.

    python meta_train.py --search-space mini-xgboost                # bundled hpob-mini -> runs/mini/checkpoints
    python meta_train.py --data-dir hpob-data --search-space 5971 --out checkpoints/hpob
"""
from __future__ import annotations

import argparse

from hpogen.checks import check_at_least, check_device, check_id, check_output_dir
from hpogen.errors import UserError, cli_main
from hpogen.meta_training import LR_SCHEDULES, MetaTrainConfig, meta_train_space
from hpogen.runner import limit_threads, resolve_benchmark


def build_parser() -> argparse.ArgumentParser:
    defaults = MetaTrainConfig()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="HPO-B-layout data folder (default: ./hpob-data if present, else the "
                                      "bundled data/hpob-mini/hpob-data)")
    p.add_argument("--search-space", required=True, help="search space id, e.g. 5971 or mini-xgboost")
    p.add_argument("--steps", type=int, default=defaults.steps, help=f"gradient steps (default {defaults.steps})")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size,
                   help=f"histories per step (default {defaults.batch_size})")
    p.add_argument("--max-history", type=int, default=defaults.max_history,
                   help=f"largest history size: initial design + trial budget (default {defaults.max_history})")
    p.add_argument("--val-every", type=int, default=defaults.val_every,
                   help=f"steps between validations (default {defaults.val_every})")
    p.add_argument("--patience", type=int, default=defaults.patience,
                   help="early stopping: validations without improvement (default 0 = run all steps)")
    p.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=defaults.lr_schedule,
                   help=f"learning rate over the steps: cosine decays it to 0, constant keeps it (default "
                        f"{defaults.lr_schedule})")
    p.add_argument("--seed", type=int, default=defaults.seed, help="seed (default 0)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    p.add_argument("--threads", type=int, default=2, help="torch threads on CPU (default 2)")
    p.add_argument("--out", help="checkpoint folder (default: runs/<benchmark>/checkpoints, git-ignored; "
                                 "--out checkpoints/mini replaces the bundled checkpoints)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


@cli_main
def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    check_at_least("--steps", args.steps, 1)
    check_at_least("--batch-size", args.batch_size, 1)
    check_at_least("--max-history", args.max_history, 6)
    check_at_least("--val-every", args.val_every, 1)
    check_at_least("--patience", args.patience, 0)
    check_at_least("--threads", args.threads, 1)
    check_at_least("--seed", args.seed, 0)
    check_device(args.device)
    space = check_id("search space", args.search_space)
    bench = resolve_benchmark(args.data_dir)
    out = check_output_dir(args.out or bench.runs_dir / "checkpoints", "--out")
    limit_threads(args.threads)
    from methods.generative_hpo import resolve_device

    try:
        device = resolve_device(args.device)
    except ValueError as err:
        raise UserError(str(err)) from None
    cfg = MetaTrainConfig(steps=args.steps, batch_size=args.batch_size, max_history=args.max_history,
                          val_every=args.val_every, patience=args.patience, seed=args.seed,
                          lr_schedule=args.lr_schedule)
    summary = meta_train_space(bench.data_dir, space, out, cfg, device=device, progress=not args.quiet)
    print(f"space {space}: {len(summary['train_datasets'])} meta-train / "
          f"{len(summary['validation_datasets'])} meta-validation datasets, {summary['seconds']:.0f} s; "
          f"best validation loss {summary['best_val_loss']:.4f} at step {summary['best_step']}; "
          f"checkpoint {summary['checkpoint']}; loss curve {summary['plot']}; "
          f"use it with: python example_gen.py --data-dir {bench.data_dir} --search-spaces {space} "
          f"--checkpoint-dir {out}")


if __name__ == "__main__":
    raise SystemExit(main())
