"""Run an optimizer over HPO-B search spaces, datasets and seeds.

Writes HPO-B's results JSON ``<out>/<METHOD>.json`` (the discrete protocol
under ``<out>/discrete/``) and a regret-curve plot beside it. The default
``<out>`` is ``runs/<benchmark>/`` (``runs/mini/`` on the bundled hpob-mini),
which git ignores: the reported results in ``results/`` are never touched.
Rerunning the same command resumes: finished runs are kept.

    python example_gen.py                      # real HPO-B if present, else bundled hpob-mini
    python example_gen.py --data-dir hpob-data --surrogates-dir saved-surrogates --search-spaces 5971 --trials 5
"""
from __future__ import annotations

import argparse

from hpogen.errors import cli_main
from hpogen.experiment import run_experiment
from hpogen.runner import PROTOCOLS
from methods import METHOD_NAMES


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="HPO-B data folder (default: ./hpob-data if present, else the bundled "
                                      "data/hpob-mini/hpob-data)")
    p.add_argument("--surrogates-dir", help="HPO-B saved-surrogates folder (default: beside the data folder)")
    p.add_argument("--mode", default="v3-test", help="handler mode: v1, v2, v3, v3-test, v3-train-augmented")
    p.add_argument("--search-spaces", nargs="+", help="space ids (default: 5971 on HPO-B, mini-xgboost on hpob-mini)")
    p.add_argument("--datasets", nargs="+", help="dataset ids (default: every test dataset of the spaces)")
    p.add_argument("--seeds", nargs="+", help="seeds among test0..test4 (default: all five)")
    p.add_argument("--trials", type=int, default=50, help="suggestions per run (default: 50)")
    p.add_argument("--method", default="GEN-VAE", help=f"optimizer: {', '.join(METHOD_NAMES)} (default: GEN-VAE)")
    p.add_argument("--protocol", default="continuous", choices=PROTOCOLS, help="HPO-B protocol")
    p.add_argument("--method-seed", type=int, default=0, help="seed of the method's randomness (default: 0)")
    p.add_argument("--checkpoint-dir", help="folder of meta-trained GEN-VAE checkpoints <space>.pt (default: "
                                            "checkpoints/<benchmark> on the bundled benchmarks; none on other "
                                            "data = from scratch)")
    p.add_argument("--from-scratch", action="store_true", help="GEN-VAE: ignore checkpoints, train on the history")
    p.add_argument("--fine-tune-steps", type=int, help="GEN-VAE: training steps on the history per suggestion "
                                                       "with a checkpoint")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    p.add_argument("--jobs", type=int, default=1, help="local worker processes (default: 1)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run on Ray: a new local cluster, or the cluster at ADDRESS")
    p.add_argument("--out", help="results folder (default: runs/<benchmark>/, e.g. runs/mini/ on hpob-mini)")
    p.add_argument("--plot-dir", help="folder of the regret plot (default: the --out folder)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


@cli_main
def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    run_experiment(args)


if __name__ == "__main__":
    raise SystemExit(main())
