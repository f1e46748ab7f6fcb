"""Lazy, cached access to one HPO-B meta-dataset JSON file.

``{space_id: {dataset_id: {"X": [[...], ...], "y": [[...], ...]}}}`` files can
be gigabytes. The first load parses the JSON with orjson, validates it, and
writes a compact per-space binary cache beside it::

    meta-train-dataset.json
    meta-train-dataset.json.cache/index.json      # source size + mtime, spaces, datasets
    meta-train-dataset.json.cache/<k>.npz         # one file per search space

Later loads read ``index.json`` and only the ``.npz`` of the spaces asked for,
so time and memory are proportional to one space. The cache is rebuilt when
the source file's size or modification time changes. If the folder is not
writable the data is used from memory, uncached.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import orjson

from hpogen.checks import check_id
from hpogen.errors import UserError
from hpogen.results import current_umask

CACHE_FORMAT = 1
_X_TOLERANCE = 1e-6


class MetaDataset:
    """One meta-dataset file, loaded one search space at a time.

    Args:
        path: an HPO-B ``meta-*-dataset.json`` file.
        use_cache: read and write the ``.cache`` folder beside the file.
    """

    def __init__(self, path: str | os.PathLike, use_cache: bool = True):
        self.path = Path(path)
        self.cache_dir = self.path.with_name(self.path.name + ".cache")
        self.use_cache = use_cache
        self._index: dict | None = None          # space -> {"file", "datasets", "dim"}
        self._arrays: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}

    # ------------------------------------------------------------ public API
    def spaces(self) -> list[str]:
        return list(self._get_index())

    def datasets(self, space: str) -> list[str]:
        return list(self._get_index()[space]["datasets"])

    def dim(self, space: str) -> int:
        return int(self._get_index()[space]["dim"])

    def get(self, space: str, dataset: str) -> tuple[np.ndarray, np.ndarray]:
        """X (n, d) float64 and y (n, 1) float64 of one dataset."""
        return self.load_space(space)[dataset]

    def load_space(self, space: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        if space not in self._arrays:
            entry = self._get_index()[space]
            file = self.cache_dir / entry["file"]
            try:
                with np.load(file, allow_pickle=False) as npz:
                    self._arrays[space] = {ds: (npz[f"X{i}"], npz[f"y{i}"])
                                           for i, ds in enumerate(entry["datasets"])}
            except (OSError, KeyError, ValueError):
                # cache vanished or damaged under us: rebuild from the source once
                self._index = None
                self._build(write_cache=self.use_cache)
        return self._arrays[space]

    # -------------------------------------------------------------- internals
    def _source_stamp(self) -> dict:
        st = self.path.stat()
        return {"format": CACHE_FORMAT, "source": self.path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns}

    def _get_index(self) -> dict:
        if self._index is None:
            if self.use_cache and self._read_cache_index():
                return self._index
            self._build(write_cache=self.use_cache)
        return self._index

    def _read_cache_index(self) -> bool:
        index_file = self.cache_dir / "index.json"
        try:
            index = orjson.loads(index_file.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return False
        if index.get("stamp") != self._source_stamp():
            return False
        if not all((self.cache_dir / e["file"]).is_file() for e in index["spaces"].values()):
            return False
        self._index = index["spaces"]
        return True

    def _build(self, write_cache: bool) -> None:
        """Parse the JSON source, validate it, keep it in memory, write the cache."""
        try:
            source = self.path.read_bytes()
        except FileNotFoundError:
            raise UserError(f"missing HPO-B file {self.path}; see README section 'HPO-B data'") from None
        raw = _parse(self.path, source)
        del source
        if not isinstance(raw, dict):
            raise UserError(f"{self.path} is not an HPO-B meta-dataset ({{space: {{dataset: {{X, y}}}}}})")
        index: dict = {}
        arrays: dict = {}
        for k, (space, datasets) in enumerate(raw.items()):
            check_id("search space", space, str(self.path))
            if not isinstance(datasets, dict):
                raise UserError(f"{self.path}: search space {space} does not map to datasets "
                                "({dataset: {X, y}}); the file is malformed")
            for ds in datasets:
                check_id("dataset", ds, f"{self.path}, space {space}")
            converted = {ds: _to_arrays(self.path, space, ds, rec) for ds, rec in datasets.items()}
            if not converted:
                continue
            dims = {X.shape[1] for X, _ in converted.values()}
            if len(dims) != 1:
                raise UserError(f"{self.path}: datasets of space {space} have different numbers of "
                                f"columns {sorted(dims)}; the file is malformed")
            index[str(space)] = {"file": f"{k}.npz", "datasets": [str(d) for d in converted], "dim": dims.pop()}
            arrays[str(space)] = converted
        del raw
        self._index, self._arrays = index, arrays
        if write_cache:
            self._write_cache(index, arrays)

    def _write_cache(self, index: dict, arrays: dict) -> None:
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{self.cache_dir.name}.", dir=self.path.parent))
            os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it 0700: readable by all, as a normal folder
        except OSError:
            return  # read-only folder: stay uncached
        try:
            for space, entry in index.items():
                flat = {}
                for i, ds in enumerate(entry["datasets"]):
                    flat[f"X{i}"], flat[f"y{i}"] = arrays[space][ds]
                np.savez(tmp / entry["file"], **flat)
            (tmp / "index.json").write_bytes(orjson.dumps({"stamp": self._source_stamp(), "spaces": index}))
            if self.cache_dir.exists():
                shutil.rmtree(self.cache_dir, ignore_errors=True)
            os.replace(tmp, self.cache_dir)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)


_JSON_CONSTANTS = (b"NaN", b"Infinity", b"-Infinity")


def _parse(path: Path, source: bytes):
    """orjson's parse; NaN / Infinity (not JSON, but Python's json writes them) are read to be reported."""
    try:
        return orjson.loads(source)
    except orjson.JSONDecodeError as err:
        if not any(source[err.pos:err.pos + len(c)] == c for c in _JSON_CONSTANTS):
            raise UserError(f"{path} is corrupt or truncated ({err}); download it again "
                            "(see README section 'HPO-B data')") from None
    import json

    try:  # the standard library reads NaN and Infinity; _to_arrays then says which dataset holds them
        return json.loads(source)
    except ValueError as err:
        raise UserError(f"{path} is corrupt or truncated ({err}); download it again "
                        "(see README section 'HPO-B data')") from None


def _count(bad: np.ndarray) -> str:
    rows = int(bad.reshape(len(bad), -1).any(axis=1).sum())
    return f"{rows} row{'s' if rows != 1 else ''}"


def _to_arrays(path: Path, space: str, dataset: str, record) -> tuple[np.ndarray, np.ndarray]:
    where = f"{path}: {space}/{dataset}"
    try:
        X = np.asarray(record["X"], dtype=np.float64)
        y = np.asarray(record["y"], dtype=np.float64).reshape(-1, 1)
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{where} needs rectangular numeric 'X' and 'y' lists; the file is malformed") from None
    if X.ndim != 2 or len(X) != len(y) or len(X) == 0:
        raise UserError(f"{where} has X of shape {X.shape} and {len(y)} y values; they must be (n, d) and n")
    fix = "remove those rows from the meta-dataset"
    if np.isnan(y).any():   # null and NaN both arrive as NaN
        raise UserError(f"{where} has missing (null) or NaN y values in {_count(np.isnan(y))}; {fix}")
    if np.isinf(y).any():
        raise UserError(f"{where} has infinite y values in {_count(np.isinf(y))}; {fix}")
    if np.isnan(X).any():
        raise UserError(f"{where} has missing (null) or NaN X values in {_count(np.isnan(X))}; {fix}")
    if np.isinf(X).any():
        raise UserError(f"{where} has infinite X values in {_count(np.isinf(X))}; {fix}")
    if X.min() < -_X_TOLERANCE or X.max() > 1 + _X_TOLERANCE:
        raise UserError(f"{where} has X values outside [0, 1] (min {X.min():.4g}, max {X.max():.4g}); "
                        "HPO-B's X must be transformed to [0, 1] (log, then min-max)")
    return X, y
