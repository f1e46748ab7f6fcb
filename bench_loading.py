"""Benchmark HPO-B data loading (first load vs cached) on a generated HPO-B-sized file.

    python bench_loading.py --rows 5000000 --workdir /tmp/loadbench

Prints a markdown table: seconds and peak memory of the first load (JSON parse
and cache write), of cached loads of one space (median of --repeat), and of
plain json.load of the whole file, each in a fresh process.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
from pathlib import Path

from hpogen.errors import cli_main
from hpogen.loadbench import baseline_mb, generate_in_subprocess, measure


@cli_main
def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=5_000_000, help="rows over all spaces (HPO-B v3 meta-train: ~5M)")
    p.add_argument("--workdir", default="/tmp/hpob-loadbench", help="where the generated file goes")
    p.add_argument("--repeat", type=int, default=5, help="cached loads to time")
    p.add_argument("--skip-plain-json", action="store_true", help="do not time json.load (slow, memory-hungry)")
    args = p.parse_args(argv)
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    path = work / "meta-train-dataset.json"
    size = generate_in_subprocess(path, args.rows)  # keeps this process small: children inherit its peak
    print(f"generated {path}: {size / 1e9:.2f} GB, {args.rows:,} rows, 16 spaces")
    base = baseline_mb()
    first = measure(path, "first")
    cached = [measure(path, "cached") for _ in range(args.repeat)]
    rows = [("first load: orjson parse + write cache", first["seconds"], first["peak_mb"]),
            (f"cached load of space 5971 (median of {args.repeat})", statistics.median(c["seconds"] for c in cached),
             statistics.median(c["peak_mb"] for c in cached))]
    if not args.skip_plain_json:
        plain = measure(path, "plain-json")
        rows.append(("plain json.load of the whole file (reference handler)", plain["seconds"], plain["peak_mb"]))
    print(f"\n| load | seconds | peak memory (MB; an idle process: {base:.0f}) |\n| --- | --- | --- |")
    for name, seconds, mb in rows:
        print(f"| {name} | {seconds:.2f} | {mb:.0f} |")


if __name__ == "__main__":
    raise SystemExit(main())
