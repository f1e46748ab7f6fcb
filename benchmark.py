"""Run several optimizers side by side on the same runs, then plot and tabulate.

Every method sees the same search spaces, datasets, seeds (initial designs)
and surrogates. Results go to ``results/<benchmark>/<METHOD>.json`` (discrete
protocol: ``.../discrete/``), the wall time of every suggestion to
``.../timings/<METHOD>.json``, and the comparison (regret and rank curves,
critical-difference diagram, ``summary.md``) to ``plots/<benchmark>/``.
Interrupted? Run the same command again: finished runs are kept.

    python benchmark.py                                   # bundled hpob-mini, all methods, all test datasets
    python benchmark.py --protocol discrete --jobs 2
    python benchmark.py --split validation --methods GEN-VAE RS   # design choices: meta-validation only
"""
from __future__ import annotations

import argparse

from hpogen.benchmark import run_benchmark
from hpogen.errors import cli_main
from hpogen.runner import PROTOCOLS
from methods import METHOD_NAMES


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="HPO-B-layout data folder (default: ./hpob-data if present, else the "
                                      "bundled hpob-mini)")
    p.add_argument("--surrogates-dir", help="saved-surrogates folder (default: beside the data folder)")
    p.add_argument("--split", default="test", choices=("test", "validation"),
                   help="evaluate on the meta-test datasets (default) or on a meta-validation view")
    p.add_argument("--methods", nargs="+", default=list(METHOD_NAMES),
                   help=f"methods to run, among {', '.join(METHOD_NAMES)} (default: all)")
    p.add_argument("--search-spaces", nargs="+", help="space ids (default: all spaces of the benchmark)")
    p.add_argument("--datasets", nargs="+", help="dataset ids (default: all test datasets)")
    p.add_argument("--seeds", nargs="+", help="seeds among test0..test4 (default: all five)")
    p.add_argument("--trials", type=int, default=50, help="suggestions per run (default: 50)")
    p.add_argument("--protocol", default="continuous", choices=PROTOCOLS)
    p.add_argument("--method-seed", type=int, default=0)
    p.add_argument("--checkpoint-dir", help="GEN-VAE checkpoints (default: checkpoints/<benchmark> on the bundled "
                                             "benchmarks; none on other data = from scratch)")
    p.add_argument("--from-scratch", action="store_true", help="GEN-VAE without checkpoints")
    p.add_argument("--fine-tune-steps", type=int, help="GEN-VAE fine-tuning steps per suggestion")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS", help="run on Ray")
    p.add_argument("--out", help="results folder (default: results/<benchmark>)")
    p.add_argument("--plot-dir",
                   help="comparison folder (default: plots/<benchmark>; discrete protocol: its discrete/ subfolder)")
    p.add_argument("--cd-trial", type=int, help="trial of the critical-difference test and diagram (default: 50; "
                                                 "25 in the discrete protocol, which saturates by trial 50)")
    p.add_argument("--quiet", action="store_true")
    return p


@cli_main
def main(argv: list[str] | None = None) -> None:
    run_benchmark(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
