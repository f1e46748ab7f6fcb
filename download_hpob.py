"""Download the HPO-B benchmark files and HPO-B's published results.

    python download_hpob.py                       # data + surrogates into ./
    python download_hpob.py --baselines           # the 7 published result files
    python download_hpob.py --baselines GP-C FSBO --dest /data/hpob

Downloads resume after a network error (rerun the same command), zips are
checked against their published size and sha256, and a target folder is
either complete or absent. The work is done by ``hpogen.download``.
"""
from __future__ import annotations

import argparse

from hpogen import download
from hpogen.checks import check_output_dir
from hpogen.errors import cli_main


@cli_main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Download HPO-B's data (-> DEST/hpob-data/), surrogates "
                    "(-> DEST/saved-surrogates/) and published results "
                    "(-> DEST/results/published/NAME.json). With no selection: data and surrogates.")
    parser.add_argument("--data", action="store_true", help="the meta-datasets zip (261 MB)")
    parser.add_argument("--surrogates", action="store_true", help="the XGBoost surrogates zip (149 MB)")
    parser.add_argument("--baselines", nargs="*", metavar="NAME",
                        help="published results files; no NAME = all of "
                             + " ".join(download.PUBLISHED_BASELINES))
    parser.add_argument("--dest", default=".", help="root folder to download into (default: .)")
    parser.add_argument("--force", action="store_true", help="download and extract again even if complete")
    args = parser.parse_args(argv)

    check_output_dir(args.dest, "--dest")
    names: list[str] = []
    if args.baselines is not None:  # check every name before downloading anything
        names = [download.check_baseline_name(n) for n in args.baselines or download.PUBLISHED_BASELINES]
    archives = [key for key in ("data", "surrogates") if getattr(args, key)]
    if not archives and args.baselines is None:
        archives = ["data", "surrogates"]

    for key in archives:
        print(download.download_archive(download.ARTEFACTS[key], args.dest, force=args.force))
    for name in names:
        print(download.download_baseline(name, args.dest, url_template=download.RESULTS_URL,
                                         force=args.force))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
