"""Benchmark views of other splits: evaluate on meta-validation datasets.

Design and hyperparameters of GEN-VAE are chosen on the meta-validation
split; the meta-test datasets are for the final report only. A *validation
view* is an HPO-B-layout folder whose ``meta-test-dataset.json`` holds the
meta-validation datasets of the source (and ``meta-train`` / ``meta-validation``
the source's meta-train split), with its own initial designs (five seeds,
five points each, fixed by a seed) and XGBoost surrogates fitted as HPO-B
fitted them. Any runner that takes an HPO-B folder can then run on it.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import orjson

from hpogen.results import atomic_write_bytes

VIEWS_ROOT = Path(__file__).resolve().parents[1] / "build" / "views"


def initial_designs(sizes: dict[str, int], space: str, seed: int = 0) -> dict[str, dict[str, list[int]]]:
    """HPO-B-style initial designs: per dataset, seeds test0..test4 of 5 row indices each.

    Args:
        sizes: ``{dataset: number of rows}``.

    Returns:
        ``{dataset: {"test0": [5 sorted indices], ...}}``, fixed by (seed, space, dataset).
    """
    out = {}
    for dataset, n in sizes.items():
        key = f"{seed}|{space}|{dataset}".encode()
        rng = np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "little"))
        out[dataset] = {f"test{k}": sorted(int(i) for i in rng.choice(n, 5, replace=False)) for k in range(5)}
    return out


def build_validation_view(data_dir: str | Path, out_root: str | Path | None = None, seed: int = 0,
                          progress: bool = True, quick_surrogates: bool = False) -> tuple[Path, Path]:
    """Write (once) and return ``(hpob-data, saved-surrogates)`` of the validation view of ``data_dir``.

    The view is rebuilt when the source's meta-validation file changes.
    """
    from hpogen.surrogates import train_all

    data_dir = Path(data_dir)
    source = data_dir / "meta-validation-dataset.json"
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    root = Path(out_root) if out_root else VIEWS_ROOT / f"{data_dir.resolve().parent.name}-validation-{digest}"
    view_data, view_surr = root / "hpob-data", root / "saved-surrogates"
    if (root / "DONE").is_file():
        return view_data, view_surr
    shutil.rmtree(root, ignore_errors=True)
    view_data.mkdir(parents=True)
    validation = orjson.loads(raw)
    atomic_write_bytes(view_data / "meta-test-dataset.json", raw)
    for name in ("meta-train-dataset.json", "meta-validation-dataset.json", "meta-train-dataset-augmented.json"):
        src = data_dir / ("meta-train-dataset.json" if name != "meta-train-dataset-augmented.json"
                          else "meta-train-dataset-augmented.json")
        if src.is_file():
            shutil.copyfile(src, view_data / name)
    inits = {space: initial_designs({name: len(record["y"]) for name, record in datasets.items()}, space, seed)
             for space, datasets in validation.items()}
    atomic_write_bytes(view_data / "bo-initializations.json", orjson.dumps(inits))
    train_all(view_data, view_surr, seed=seed, progress=progress, quick=quick_surrogates)
    (root / "DONE").write_text(f"validation view of {data_dir} (sha256 {digest})\n")
    return view_data, view_surr
