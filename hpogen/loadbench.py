"""Measure HPO-B data loading: first load (JSON parse + cache write) vs cached per-space loads.

Generates a meta-dataset file of HPO-B's size (the 16 v3 search spaces with
their real dimensions, rows spread over datasets), then times, each in a fresh
process so the peak memory is that of the load alone:

- ``first``: parse the JSON with orjson and write the per-space ``.npz`` cache;
- ``cached``: open the cache and load one search space;
- ``plain-json``: the reference handler's way, ``json.load`` of the whole file.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson

# HPO-B v3's 16 search spaces and their dimensions (meta-dataset-descriptors.json)
V3_DIMS = {"4796": 3, "5527": 8, "5636": 6, "5859": 6, "5860": 2, "5891": 8, "5906": 16, "5965": 10,
           "5970": 2, "5971": 16, "6766": 2, "6767": 18, "6794": 10, "7607": 9, "7609": 9, "5889": 6}


def generate_file(path: Path, total_rows: int, datasets_per_space: int = 40, seed: int = 0) -> int:
    """Write a meta-dataset JSON with ``total_rows`` rows over the 16 v3 spaces; returns its size."""
    rng = np.random.default_rng(seed)
    rows = total_rows // (len(V3_DIMS) * datasets_per_space)
    data = {}
    for space, d in V3_DIMS.items():
        data[space] = {}
        for k in range(datasets_per_space):
            X = np.round(rng.random((rows, d)), 6)
            y = np.round(rng.random((rows, 1)), 6)
            data[space][str(1000 + k)] = {"X": X, "y": y}
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY))
    return path.stat().st_size


def generate_in_subprocess(path: Path, total_rows: int) -> int:
    """:func:`generate_file` in a child process, so the measuring parent stays small."""
    repo = Path(__file__).resolve().parents[1]
    code = f"import sys; sys.path.insert(0, {str(repo)!r}); from hpogen.loadbench import generate_file; " \
           f"from pathlib import Path; generate_file(Path({str(path)!r}), {int(total_rows)})"
    subprocess.run([sys.executable, "-c", code], check=True)
    return path.stat().st_size


def _child(kind: str, path: str, space: str) -> None:
    start = time.perf_counter()
    if kind == "plain-json":
        with open(path) as fh:
            json.load(fh)
    else:
        from hpogen.metadata import MetaDataset

        meta = MetaDataset(path)
        meta.load_space(space)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kind": kind, "seconds": seconds, "peak_mb": peak_mb}))


def measure(path: Path, kind: str, space: str = "5971") -> dict:
    repo = Path(__file__).resolve().parents[1]
    code = f"import sys; sys.path.insert(0, {str(repo)!r}); from hpogen.loadbench import _child; " \
           f"_child({kind!r}, {str(path)!r}, {space!r})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def baseline_mb() -> float:
    """Peak memory of a process that imports numpy and orjson and does nothing."""
    code = "import numpy, orjson, resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
