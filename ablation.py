"""GEN-VAE ablation table: from scratch vs meta-trained, the generator, each part of the acquisition.

    python ablation.py --split validation                 # on hpob-mini's meta-validation view (design choices)
    python ablation.py --split test --search-spaces mini-xgboost

Writes each variant's results under ``results/<benchmark>-validation/ablation/<variant>/``
(``--split test``: ``results/<benchmark>/ablation/``) and the table of every variant run there so far
to ``ablation.md`` beside them; reruns resume. ``--method-seeds 0 1 2`` runs each variant with
three seeds of GEN-VAE's own randomness and writes ``ablation-method-seeds-0-1-2.md``, each run's
curve averaged over them.
"""
from __future__ import annotations

import argparse
import sys

from hpogen.ablation import VARIANTS, run_ablation
from hpogen.checks import check_at_least, check_output_dir
from hpogen.errors import UserError, cli_main
from hpogen.runner import (PROTOCOLS, REPO_ROOT, SweepConfig, check_checkpoints, get_handler, plan_runs,
                           resolve_benchmark)


@cli_main
def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="HPO-B-layout data (default: ./hpob-data if present, else hpob-mini)")
    p.add_argument("--surrogates-dir")
    p.add_argument("--split", default="validation", choices=("test", "validation"),
                   help="the meta-validation view (default; design choices) or the meta-test datasets")
    p.add_argument("--search-spaces", nargs="+", help="space ids (default: all)")
    p.add_argument("--seeds", nargs="+", help="seeds among test0..test4 (default: all five)")
    p.add_argument("--protocol", default="continuous", choices=PROTOCOLS, help="default: continuous")
    p.add_argument("--trials", type=int, default=50, help="suggestions per run (default: 50)")
    p.add_argument("--variants", nargs="+", help=f"subset of: {'; '.join(VARIANTS)}")
    p.add_argument("--checkpoint-dir", help="meta-trained checkpoints (default: checkpoints/mini on hpob-mini)")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (default: 1)")
    p.add_argument("--out", help="results folder (default: results/<benchmark>-validation/ablation, "
                                 "with --split test results/<benchmark>/ablation)")
    p.add_argument("--method-seeds", type=int, nargs="+", default=[0],
                   help="seeds of GEN-VAE's own randomness; with others than 0, each variant runs with each, and "
                        "ablation-method-seeds-....md averages each run over them (default: 0)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    for seed in args.method_seeds:
        check_at_least("--method-seeds", seed, 0)
    for name in args.variants or []:
        if name not in VARIANTS:
            raise UserError(f"unknown variant {name!r}; valid: {'; '.join(VARIANTS)}")
    check_at_least("--trials", args.trials, 1)
    check_at_least("--jobs", args.jobs, 1)
    bench = resolve_benchmark(args.data_dir, args.surrogates_dir)
    data_dir, surr_dir, name = bench.data_dir, bench.surrogates_dir, bench.name
    split_name = name + ("-validation" if args.split == "validation" else "")
    out = args.out or REPO_ROOT / "results" / split_name / "ablation"
    check_output_dir(out, "--out")
    # the data, spaces, seeds and checkpoints are checked before the validation view fits its surrogates
    runs = plan_runs(get_handler(str(data_dir), "v3-test", str(surr_dir)), ["GEN-VAE"], args.search_spaces,
                     seeds=args.seeds)
    checkpoint_dir = args.checkpoint_dir or bench.checkpoint_dir
    if checkpoint_dir is None:
        raise UserError(f"no meta-trained checkpoints for {data_dir}: run meta_train.py first or pass "
                        "--checkpoint-dir")
    check_checkpoints(SweepConfig(str(data_dir), str(surr_dir), checkpoint_dir=str(checkpoint_dir)), runs)
    if args.split == "validation":
        from hpogen.splitview import build_validation_view

        data_dir, surr_dir = build_validation_view(data_dir, progress=not args.quiet)
    handler = get_handler(str(data_dir), "v3-test", str(surr_dir))
    print(run_ablation(handler, str(data_dir), str(surr_dir), str(checkpoint_dir), out, args.search_spaces,
                       args.protocol, args.trials, args.variants, args.jobs, progress=not args.quiet,
                       seeds=args.seeds, method_seeds=args.method_seeds),
          file=sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
