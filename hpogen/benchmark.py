"""What ``benchmark.py`` does: the side-by-side sweep and its comparison report."""
from __future__ import annotations

import sys
from argparse import Namespace
from pathlib import Path

from hpogen.errors import UserError
from hpogen.experiment import gen_vae_options
from hpogen.runner import (REPO_ROOT, SweepConfig, get_handler, plan_runs, resolve_benchmark, results_dir_for,
                           run_sweep)


def run_benchmark(args: Namespace):
    """Run ``args.methods`` on the same runs, save results and timings, write the report."""
    from hpogen.compare import load_comparison, write_report

    if args.trials < 1:
        raise UserError(f"--trials must be >= 1, got {args.trials}")
    bench = resolve_benchmark(args.data_dir, args.surrogates_dir)
    name = {"mini": "mini", "hpob": "hpob"}.get(bench.name, bench.data_dir.resolve().parent.name)
    data_dir, surr_dir = bench.data_dir, bench.surrogates_dir
    if args.split == "validation":
        from hpogen.splitview import build_validation_view

        print(f"building the meta-validation view of {data_dir} (once)", file=sys.stderr)
        data_dir, surr_dir = build_validation_view(data_dir, progress=not args.quiet)
        name += "-validation"
    elif bench.note:
        print(bench.note, file=sys.stderr)
    handler = get_handler(str(data_dir), "v3-test", str(surr_dir))
    runs = plan_runs(handler, args.methods, args.search_spaces, args.datasets, args.seeds)
    checkpoint_dir = None
    if "GEN-VAE" in args.methods and not args.from_scratch:
        checkpoint_dir = args.checkpoint_dir or bench.checkpoint_dir
    cfg = SweepConfig(data_dir=str(data_dir), surrogates_dir=str(surr_dir), protocol=args.protocol,
                      trials=args.trials, method_seed=args.method_seed, device=args.device,
                      checkpoint_dir=str(checkpoint_dir) if checkpoint_dir else None,
                      method_options={"GEN-VAE": gen_vae_options(args)})
    out_dir = results_dir_for(args.out or REPO_ROOT / "results" / name, args.protocol)
    run_sweep(cfg, runs, out_dir, jobs=args.jobs, use_ray=args.ray is not None, ray_address=args.ray or None,
              progress=not args.quiet)
    spaces = sorted({r.space for r in runs})
    comparison = load_comparison([out_dir / f"{m}.json" for m in args.methods], spaces=spaces)
    suffix = "" if args.protocol == "continuous" else "/discrete"
    plot_dir = Path(f"{args.plot_dir}{suffix}") if args.plot_dir else REPO_ROOT / "plots" / f"{name}{suffix}"
    title = f"{name} benchmark, {args.protocol} protocol"
    report = write_report(comparison, plot_dir, cd_trial=args.cd_trial, title=title)
    print(Path(plot_dir / "summary.md").read_text())
    return report
