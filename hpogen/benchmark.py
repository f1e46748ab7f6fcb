"""What ``benchmark.py`` does: the side-by-side sweep and its comparison report."""
from __future__ import annotations

import sys
from argparse import Namespace
from pathlib import Path

from hpogen.checks import check_at_least, check_device, check_output_dir
from hpogen.errors import UserError
from hpogen.experiment import gen_vae_checkpoint_dir, gen_vae_options
from hpogen.runner import (REPO_ROOT, SweepConfig, check_checkpoints, get_handler, plan_runs, resolve_benchmark,
                           results_dir_for, run_sweep)


DISCRETE_CD_TRIAL = 25  # default trial of the critical-difference test in the discrete protocol


def run_benchmark(args: Namespace):
    """Run ``args.methods`` on the same runs, save results and timings, write the report.

    Every argument, id and output folder is checked before any work (the
    meta-validation view, which fits surrogates, is built only after that).
    """
    from hpogen.compare import load_comparison, write_report

    check_at_least("--trials", args.trials, 1)
    check_at_least("--jobs", args.jobs, 1)
    if args.cd_trial is not None:
        check_at_least("--cd-trial", args.cd_trial, 0)
        if args.cd_trial > args.trials:
            raise UserError(f"--cd-trial {args.cd_trial} is beyond --trials {args.trials}; choose a trial in "
                            f"0..{args.trials}")
    check_device(args.device)
    bench = resolve_benchmark(args.data_dir, args.surrogates_dir)
    split_name = bench.name + ("-validation" if args.split == "validation" else "")
    suffix = "" if args.protocol == "continuous" else "/discrete"
    out_dir = results_dir_for(args.out or REPO_ROOT / "results" / split_name, args.protocol)
    check_output_dir(out_dir, "--out")
    plot_dir = Path(f"{args.plot_dir}{suffix}") if args.plot_dir else REPO_ROOT / "plots" / f"{split_name}{suffix}"
    check_output_dir(plot_dir, "--plot-dir")
    data_dir, surr_dir = bench.data_dir, bench.surrogates_dir
    handler = get_handler(str(data_dir), "v3-test", str(surr_dir))
    # methods, spaces and seeds (and test datasets) are checked here; meta-validation datasets below
    runs = plan_runs(handler, args.methods, args.search_spaces,
                     args.datasets if args.split == "test" else None, args.seeds)
    gen_vae = gen_vae_options(args)
    checkpoint_dir, scratch_note = gen_vae_checkpoint_dir(args, bench, args.methods)
    # the validation view has the spaces (and dimensions) of the data: check its checkpoints before building it
    ckpt = str(checkpoint_dir) if checkpoint_dir else None
    check_checkpoints(SweepConfig(str(data_dir), str(surr_dir), checkpoint_dir=ckpt), runs)
    note = bench.announcement(r.space for r in runs)
    if args.split == "validation":
        from hpogen.splitview import build_validation_view

        print(f"building the meta-validation view of {data_dir} (once)", file=sys.stderr)
        data_dir, surr_dir = build_validation_view(data_dir, progress=not args.quiet)
        handler = get_handler(str(data_dir), "v3-test", str(surr_dir))
        runs = plan_runs(handler, args.methods, args.search_spaces, args.datasets, args.seeds)
        note = ""
    cfg = SweepConfig(data_dir=str(data_dir), surrogates_dir=str(surr_dir), protocol=args.protocol,
                      trials=args.trials, method_seed=args.method_seed, device=args.device,
                      checkpoint_dir=ckpt, method_options={"GEN-VAE": gen_vae})
    run_sweep(cfg, runs, out_dir, jobs=args.jobs, use_ray=args.ray is not None, ray_address=args.ray or None,
              progress=not args.quiet, announce="\n".join(filter(None, [note, scratch_note])))
    # the report covers the runs asked for, not every run the results files hold
    comparison = load_comparison([out_dir / f"{m}.json" for m in args.methods],
                                 only_runs={(r.space, r.dataset, r.seed) for r in runs})
    title = f"{split_name} benchmark, {args.protocol} protocol"
    cd_trial = args.cd_trial
    if cd_trial is None and args.protocol == "discrete":
        # the discrete protocol saturates: by trial 50 most runs of the better methods sit at the
        # dataset's best configuration (summary.md's "at optimum" table), so the test goes at trial 25
        cd_trial = min(DISCRETE_CD_TRIAL, comparison.n_trials)
    report = write_report(comparison, plot_dir, cd_trial=cd_trial, title=title)
    print(Path(plot_dir / "summary.md").read_text())
    return report
