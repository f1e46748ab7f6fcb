"""HPO-B results files: ``{space: {dataset: {seed: [incumbent_0..n]}}}``.

Writes are atomic (temporary file in the same folder, fsync, rename), so a
file on disk is always either the old or the new complete version. Loading
validates the structure and refuses a corrupt or truncated file with an error
naming it; it never replaces such a file.
"""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from hpogen.errors import UserError

Results = dict[str, dict[str, dict[str, list[float]]]]


def sha256_of(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read ``chunk_size`` bytes at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file + fsync + rename.

    The file gets the permissions of a normally created one (0666 less the
    umask, e.g. 0644), not mkstemp's private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def validate_results(data: Any, name: str = "results", incumbents: bool = True) -> Results:
    """Check the nested results structure; raise UserError naming ``name``.

    ``incumbents``: the values are HPO-B's normalised incumbents, so they lie in [0, 1] (a timings file,
    with the same nesting, passes False).
    """
    if not isinstance(data, dict):
        raise UserError(f"{name} is not an HPO-B results file (expected a JSON object "
                        "{space: {dataset: {seed: [incumbents]}}}); move it aside or delete it")
    for space, datasets in data.items():
        if not isinstance(datasets, dict):
            raise UserError(f"{name}: space {space!r} does not map to datasets; the file is corrupt, "
                            "move it aside or delete it")
        for dataset, seeds in datasets.items():
            if not isinstance(seeds, dict):
                raise UserError(f"{name}: {space}/{dataset} does not map to seeds; the file is corrupt, "
                                "move it aside or delete it")
            for seed, curve in seeds.items():
                if (not isinstance(curve, list) or not curve
                        or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in curve)):
                    raise UserError(f"{name}: {space}/{dataset}/{seed} is not a list of finite numbers; "
                                    "the file is corrupt, move it aside or delete it")
                if incumbents and not all(-1e-9 <= v <= 1 + 1e-9 for v in curve):
                    raise UserError(f"{name}: {space}/{dataset}/{seed} has values outside [0, 1], so it does not "
                                    "hold normalised incumbents (a timings or initial-design file?); pass HPO-B "
                                    "results files")
    if incumbents:
        _check_mostly_non_decreasing(data, name)
    return data


def _check_mostly_non_decreasing(data: Results, name: str) -> None:
    """An incumbent (the best so far) never decreases. HPO-B's own published files have a few runs
    that do (13 of 430 in GP.json), a timings file has nearly all; refuse a file where most runs do."""
    curves = [c for c in runs_of(data).values() if len(c) >= 3]
    falling = sum(any(b < a - 1e-9 for a, b in zip(c, c[1:])) for c in curves)
    if curves and falling > len(curves) / 2:
        raise UserError(f"{name}: {falling} of its {len(curves)} runs decrease, so it does not hold incumbents "
                        "(best so far, which never decrease; a timings file?); pass HPO-B results files")


def load_results(path: str | os.PathLike, missing_ok: bool = False, incumbents: bool = True) -> Results:
    """Load and validate a results file.

    Args:
        path: the JSON file.
        missing_ok: return ``{}`` when the file does not exist.
        incumbents: the values are normalised incumbents in [0, 1] (False: timings, same nesting).

    Returns:
        The nested dict ``{space: {dataset: {seed: [float, ...]}}}``.

    Raises:
        UserError: the file is missing (unless ``missing_ok``), unreadable,
            truncated or not in HPO-B's results format.
    """
    path = Path(path)
    if not path.exists():
        if missing_ok:
            return {}
        raise UserError(f"results file {path} does not exist; check the path or run the sweep first")
    if path.is_dir():
        raise UserError(f"results file {path} is a folder; move it aside or choose another output folder")
    raw = path.read_bytes()
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise UserError(f"results file {path} is corrupt or truncated ({err}); it was left untouched: "
                        "move it aside or delete it, then rerun") from None
    return validate_results(data, name=f"results file {path}", incumbents=incumbents)


def save_results(path: str | os.PathLike, results: Results) -> None:
    """Atomically write ``results`` as indented JSON with sorted keys."""
    atomic_write_bytes(path, orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def set_run(results: Results, space: str, dataset: str, seed: str, curve: list[float]) -> None:
    """Insert one run's incumbent curve into ``results`` in place."""
    results.setdefault(str(space), {}).setdefault(str(dataset), {})[str(seed)] = [float(v) for v in curve]


def has_run(results: Results, space: str, dataset: str, seed: str) -> bool:
    return str(seed) in results.get(str(space), {}).get(str(dataset), {})


def runs_of(results: Results) -> dict[tuple[str, str, str], list]:
    """The runs of a results (or timings) file as one flat mapping: (space, dataset, seed) -> values."""
    return {(space, dataset, seed): values for space, datasets in results.items()
            for dataset, seeds in datasets.items() for seed, values in seeds.items()}


# Where each suggestion came from (``<out>/sources/<METHOD>.json``), for methods
# that say so: ``{space: {dataset: {seed: ["decoded", "uniform", ...]}}}``.
SOURCES_DIR = "sources"


def load_per_suggestion(path: str | os.PathLike, kind: str, item_ok, items: str) -> dict | None:
    """Load a file of one value per suggestion, nested like a results file, or None when there is none.

    Args:
        kind: what the file holds, for messages ("timings", "sources").
        item_ok: predicate every value must satisfy. items: their name in messages ("seconds").

    Raises:
        UserError: the file exists but is corrupt or not nested as ``{space: {dataset: {seed: [items]}}}``.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as err:
        raise UserError(f"{kind} file {path} is corrupt or truncated ({err}); move it aside or delete it") from None
    ok = isinstance(data, dict) and all(
        isinstance(datasets, dict) and all(
            isinstance(seeds, dict) and all(
                isinstance(values, list) and all(item_ok(v) for v in values) for values in seeds.values())
            for seeds in datasets.values())
        for datasets in data.values())
    if not ok:
        raise UserError(f"{kind} file {path} is not nested as {{space: {{dataset: {{seed: [{items}]}}}}}}; "
                        "move it aside or delete it")
    return data


def load_sources(path: str | os.PathLike) -> dict | None:
    """Load a sources file (a source name per suggestion), or None when there is none."""
    return load_per_suggestion(path, "sources", lambda v: isinstance(v, str), "source names")
