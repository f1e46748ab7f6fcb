"""What ``example_gen.py`` does: resolve the benchmark, sweep, save, plot."""
from __future__ import annotations

from argparse import Namespace
from pathlib import Path

import numpy as np

from hpogen.checks import check_at_least, check_device, check_output_dir
from hpogen.curves import plot_regret_per_dataset
from hpogen.errors import UserError
from hpogen.runner import (Benchmark, SweepConfig, default_spaces, get_handler, plan_runs, resolve_benchmark,
                           results_dir_for, run_sweep)


def gen_vae_options(args: Namespace) -> dict:
    suggest = {}
    if getattr(args, "fine_tune_steps", None) is not None:
        if args.fine_tune_steps < 0:
            raise UserError(f"--fine-tune-steps must be >= 0, got {args.fine_tune_steps}")
        suggest["fine_tune_steps"] = args.fine_tune_steps
    return {"suggest": suggest} if suggest else {}


def gen_vae_checkpoint_dir(args: Namespace, bench: Benchmark, methods: list[str]) -> tuple[Path | None, str]:
    """GEN-VAE's checkpoints: ``--checkpoint-dir``, else the benchmark's bundled ones (None: from scratch).

    Also returns the line to print before the sweep when there are none and ``--from-scratch`` was not
    asked for: that GEN-VAE is trained from scratch on each run, and how to meta-train it instead ('' else).
    """
    if "GEN-VAE" not in methods or getattr(args, "from_scratch", False):
        return None, ""
    chosen = getattr(args, "checkpoint_dir", None) or bench.checkpoint_dir
    if chosen is not None:
        return Path(chosen), ""
    return None, (f"note: no meta-trained GEN-VAE checkpoints for {bench.data_dir}, so GEN-VAE is trained from "
                  f"scratch on each run's history; for the meta-learned method run `python meta_train.py --data-dir "
                  f"{bench.data_dir} --search-space <space> --out <folder>` for each space and pass --checkpoint-dir "
                  "<folder> (--from-scratch hides this)")


def run_experiment(args: Namespace) -> dict:
    """Sweep one method over the chosen runs; returns the results of those runs.

    ``args`` carries the options of ``example_gen.py`` (see its --help).
    Results go to ``--out`` (default ``runs/<benchmark>/``, git-ignored) and
    the regret plot beside them, or to ``--plot-dir``. Every argument, the
    data, the surrogates, the checkpoints and the output folders are checked
    before the first run.
    """
    check_at_least("--trials", args.trials, 1)
    check_at_least("--jobs", args.jobs, 1)
    check_device(args.device)
    bench = resolve_benchmark(args.data_dir, args.surrogates_dir)
    out_root = Path(args.out) if args.out else bench.runs_dir
    check_output_dir(out_root, "--out")
    plot_dir = Path(args.plot_dir) if args.plot_dir else out_root
    check_output_dir(plot_dir, "--plot-dir")
    handler = get_handler(str(bench.data_dir), args.mode, str(bench.surrogates_dir))
    spaces = args.search_spaces or default_spaces(handler, bench)
    runs = plan_runs(handler, [args.method], spaces, args.datasets, args.seeds)
    checkpoint_dir, scratch_note = gen_vae_checkpoint_dir(args, bench, [args.method])
    cfg = SweepConfig(data_dir=str(bench.data_dir), surrogates_dir=str(bench.surrogates_dir), mode=args.mode,
                      protocol=args.protocol, trials=args.trials, method_seed=args.method_seed,
                      device=args.device, checkpoint_dir=str(checkpoint_dir) if checkpoint_dir else None,
                      method_options={"GEN-VAE": gen_vae_options(args)})
    if args.protocol == "continuous":
        for space in {r.space for r in runs}:  # fail before any run if a surrogate is missing
            for dataset in {r.dataset for r in runs if r.space == space}:
                handler.load_surrogate(space, dataset)
    out_dir = results_dir_for(out_root, args.protocol)
    announce = "\n".join(filter(None, [bench.announcement(r.space for r in runs), scratch_note]))
    all_results = run_sweep(cfg, runs, out_dir, jobs=args.jobs, use_ray=args.ray is not None,
                            ray_address=args.ray or None, progress=not args.quiet, announce=announce)
    results = all_results[args.method]
    chosen: dict = {}
    for run in runs:
        chosen.setdefault(run.space, {}).setdefault(run.dataset, {})[run.seed] = results[run.space][run.dataset][run.seed]
    suffix = "" if args.protocol == "continuous" else "-discrete"
    plot = plot_regret_per_dataset(chosen, plot_dir / f"{args.method}{suffix}-regret.png",
                                   f"{args.method}, {args.protocol} protocol, {bench.name} benchmark")
    final = np.mean([1 - c[-1] for ds in chosen.values() for seeds in ds.values() for c in seeds.values()])
    print(f"{len(runs)} run{'s' if len(runs) != 1 else ''} of {args.method}: mean regret after {args.trials} "
          f"trials {final:.4f}; "
          f"results {out_dir / (args.method + '.json')}; plot {plot}")
    return chosen
