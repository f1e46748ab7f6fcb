"""Time the default ``python example_gen.py`` run from start to finish, as a user would.

    python bench_default_run.py                     # runs it once in a temporary results folder
    python bench_default_run.py --trials 5          # other options go to example_gen.py

Uses the bundled hpob-mini (or real HPO-B data in ./hpob-data, if present) and
the bundled checkpoints, exactly like the default command; only the output
folders differ, so existing results are not touched.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hpogen.errors import cli_main

REPO = Path(__file__).resolve().parent


@cli_main
def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.epilog = "Any other option is passed to example_gen.py unchanged."
    _, extra = p.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(REPO / "example_gen.py"), "--out", f"{tmp}/results", "--plot-dir",
               f"{tmp}/plots", "--quiet", *extra]
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        seconds = time.perf_counter() - start
    print(f"default example_gen.py run: {seconds:.0f} s wall (exit {done.returncode}) on {os.cpu_count()} cores "
          "(its results folder above was temporary and is removed)")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
