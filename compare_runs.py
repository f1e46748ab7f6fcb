"""Do two results files of one method hold the same runs? (A check that a change reproduces stored results.)

    python benchmark.py --methods GEN-VAE --out /tmp/check --plot-dir /tmp/check-plots
    python compare_runs.py results/mini/GEN-VAE.json /tmp/check/GEN-VAE.json

Prints how many runs both files hold, how many have the same incumbent curve value for value, the
first trial at which each other run parts, and the mean regret of each file at 10, 25, 50 (and 100)
trials over the common runs. Exits 0 when every common run is identical, 1 otherwise (for scripts).
A refactor meant to change no suggestion should leave every run identical: on a few dozen runs a
change of floating-point rounding alone moves mean regret by as much as a design choice.
"""
from __future__ import annotations

import argparse

from hpogen.compare import SUMMARY_TRIALS, reproduction
from hpogen.errors import cli_main
from hpogen.results import load_results


@cli_main
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("first", help="a results file (e.g. the stored one)")
    p.add_argument("second", help="another results file of the same method (e.g. a rerun with --out)")
    args = p.parse_args(argv)
    report = reproduction(load_results(args.first), load_results(args.second))
    print(report.markdown((args.first, args.second), SUMMARY_TRIALS), end="")
    return 0 if report.identical == report.common else 1


if __name__ == "__main__":
    raise SystemExit(main())
