"""Compare HPO-B results files: regret/rank curves, critical-difference diagram, summary table.

Usage:
    python benchmark_plot.py RESULTS... [--out-dir plots/] [--cd-trial 50]
                             [--spaces S ...] [--methods M ...] [--title TEXT]

RESULTS are results files (``GP-C.json``: the method is the file stem) or folders
of them. Methods are compared on the runs they all have; the summary table is
printed and written to ``<out-dir>/summary.md`` beside the figures.
"""
from __future__ import annotations

import argparse
import sys

from hpogen.checks import check_at_least, check_output_dir, check_output_file
from hpogen.compare import describe_missing, find_results_files, load_comparison, regret_distribution_table, write_report
from hpogen.errors import UserError, cli_main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results files (*.json) and/or folders holding them")
    parser.add_argument("--out-dir", default="plots", help="where figures and summary.md go (default: plots/)")
    parser.add_argument("--summary", default=None, help="path of the markdown summary (default: OUT_DIR/summary.md)")
    parser.add_argument("--cd-trial", type=int, default=None,
                        help="trial of the critical-difference diagram (default: 50, or the last trial)")
    parser.add_argument("--spaces", nargs="+", default=None, help="compare only these search spaces")
    parser.add_argument("--methods", nargs="+", default=None,
                        help="compare only these methods (file stems), in this order")
    parser.add_argument("--title", default=None, help="title of the figures and the summary")
    parser.add_argument("--distribution", metavar="METHOD", default=None,
                        help="also print METHOD's regret distribution per dataset (median [min, max] over seeds)")
    parser.add_argument("--distribution-trials", type=int, nargs="+", default=None,
                        help="trials of that distribution (default: those of 0 10 50 within the compared trials)")
    return parser.parse_args(argv)


@cli_main
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_output_dir(args.out_dir, "--out-dir")
    if args.summary:
        check_output_file(args.summary, "--summary")
    if args.cd_trial is not None:
        check_at_least("--cd-trial", args.cd_trial, 0)
    comparison = load_comparison(args.results, methods=args.methods, spaces=args.spaces)
    unfinished = {m: n for m, n in comparison.unfinished.items() if n}
    if unfinished:
        print("warning: shorter runs that stopped below the optimum (truncated, not an early stop) are padded "
              "with their last value: " + ", ".join(f"{m} {n}" for m, n in unfinished.items()), file=sys.stderr)
    files = find_results_files(args.results)
    discrete = sorted(m for m in comparison.methods if files[m].resolve().parent.name == "discrete")
    if discrete and len(discrete) < len(comparison.methods):
        print(f"warning: {', '.join(discrete)} come from a discrete/ folder (discrete protocol) and the others do "
              "not; the two protocols' regrets are not comparable", file=sys.stderr)
    if comparison.missing:
        print(f"warning: {len(comparison.missing)} run(s) not shared by all methods are left out:", file=sys.stderr)
        for line in describe_missing(comparison, limit=5):
            print(f"  {line}", file=sys.stderr)
    distribution = None     # checked before any figure is written
    if args.distribution:
        beyond = [t for t in args.distribution_trials or [] if not 0 <= t <= comparison.n_trials]
        if beyond:
            raise UserError(f"--distribution-trials {' '.join(map(str, beyond))} outside the compared trials "
                            f"0..{comparison.n_trials}; choose trials within them")
        distribution = regret_distribution_table(comparison, args.distribution, args.distribution_trials or (0, 10, 50))
    report = write_report(comparison, args.out_dir, cd_trial=args.cd_trial, title=args.title,
                          summary_path=args.summary)
    print(report.table)
    print(f"\n{len(comparison.runs)} runs compared over {len(comparison.spaces)} space(s), "
          f"trials 0..{comparison.n_trials}. {report.cd.describe()}")
    print(f"On task means: {report.cd_tasks.describe()}")
    print(f"wrote {report.summary_path} and {len(report.figures)} figures in {args.out_dir}")
    if args.distribution:
        print(f"\n{args.distribution}: regret distribution over seeds\n")
        print(distribution)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
