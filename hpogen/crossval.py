"""Design selection by cross-validation over a space's meta-train datasets.

Four meta-validation datasets per space are too few to choose GEN-VAE's
suggestion rule on, and the meta-test datasets must not be used for it. So the
meta-train datasets are split into ``n_folds`` folds; fold k is an HPO-B-layout
folder whose meta-test datasets are the k-th fold, whose meta-train datasets
are the others and whose meta-validation datasets are the source's. Each fold
gets its own initial designs and surrogates (as in :mod:`hpogen.splitview`)
and its own meta-trained checkpoint; every design variant and the peers then
run on every held-out dataset, and the runs of all folds are compared at once.

    fold dir:   <folds>/<space>-f<k>/{hpob-data, saved-surrogates, checkpoints}
    results:    <out>/<space>-f<k>/<variant>/<METHOD>.json
    table:      <out>/crossval.md
"""
from __future__ import annotations

from pathlib import Path

import orjson

from hpogen.ablation import slug
from hpogen.compare import align_results, curve_stats, paired_table, summary_table
from hpogen.errors import UserError
from hpogen.results import atomic_write_bytes
from hpogen.splitview import initial_designs

DEFAULT_VARIANT = "decoded pool, stacked EI, refinement (default)"
# name -> GEN-VAE suggest options; the design candidates compared (the ablation's pool and acquisition variants)
DESIGN_VARIANTS: dict[str, dict] = {
    "generator alone: one decoded sample": {"acquisition": "none"},
    "no generator: uniform + local pool, stacked EI": {"n_decoded": 0, "n_uniform": 576},
    "no generator, its candidates dropped: 64 uniform + local pool": {"n_decoded": 0},
    "no uniform candidates: decoded + local pool, stacked EI": {"n_decoded": 576, "n_uniform": 0},
    "the fitted GP's EI alone": {"acquisition": "gp-ei"},
    "the learned head's EI alone": {"acquisition": "learned-ei"},
    "no refinement rounds": {"refine_rounds": 0},
    "GP by marginal likelihood alone (no hyperparameter priors)": {"gp_prior": "none"},
    "GP at its MAP hyperparameters alone (no hyperparameter samples; the rule before)": {"gp_samples": 0},
    # measured against the rule before, the GP at its MAP hyperparameters (gp_samples 0)
    "MAP GP, fit from two starts, the last fit and the prior's median": {"gp_starts": "both", "gp_samples": 0},
    "MAP GP, fit from the last fit alone": {"gp_starts": "warm", "gp_samples": 0},
    "MAP GP, stacking prior Beta(1, 1) (flat)": {"stacking_prior": 1.0, "gp_samples": 0},
    "MAP GP, stacking prior Beta(4, 4)": {"stacking_prior": 4.0, "gp_samples": 0},
    "MAP GP, 128 uniform candidates (twice the default)": {"n_uniform": 128, "gp_samples": 0},
    "MAP GP, decoder temperature 1.5": {"temperature": 1.5, "gp_samples": 0},
    "stacking weight on every evaluation (the rule before)": {"stacking_points": 0},
    "head and GP mixed linearly, w p_head + (1 - w) p_gp (the rule before)": {"pooling": "linear"},
    DEFAULT_VARIANT: {},
}
PEERS = ("RS", "TPE")


def fold_datasets(names: list[str], n_folds: int, k: int) -> list[str]:
    """The held-out datasets of fold k: every n_folds-th of the sorted names, from the k-th."""
    return [n for i, n in enumerate(sorted(names)) if i % n_folds == k]


def build_fold(data_dir: str | Path, space: str, k: int, n_folds: int, out_root: str | Path,
               seed: int = 0, quick_surrogates: bool = False, progress: bool = False) -> tuple[Path, Path]:
    """Write (once) fold k of ``space``; returns its ``(hpob-data, saved-surrogates)``."""
    from hpogen.runner import get_handler
    from hpogen.surrogates import train_all

    root = Path(out_root) / f"{space}-f{k}"
    data, surr = root / "hpob-data", root / "saved-surrogates"
    if (root / "DONE").is_file():
        return data, surr
    data_dir = Path(data_dir)
    # the handler loads one space at a time (from its .npz cache), not the whole JSON files
    handler = get_handler(str(data_dir), "v3", str(data_dir.parent / "saved-surrogates"))
    train = handler.get_meta_split("train", space)
    if len(train) < n_folds + 1:
        raise UserError(f"space {space} has {len(train)} meta-train datasets, too few for {n_folds} folds; "
                        "use fewer --folds")
    validation = handler.get_meta_split("validation", space)
    held = fold_datasets(list(train), n_folds, k)

    def records(split, names):
        return orjson.dumps({space: {n: {"X": split[n][0].tolist(), "y": split[n][1].tolist()} for n in names}})

    data.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(data / "meta-train-dataset.json", records(train, [n for n in sorted(train) if n not in held]))
    atomic_write_bytes(data / "meta-test-dataset.json", records(train, held))
    atomic_write_bytes(data / "meta-validation-dataset.json", records(validation, list(validation)))
    inits = initial_designs({name: len(train[name][1]) for name in held}, space, seed)
    atomic_write_bytes(data / "bo-initializations.json", orjson.dumps({space: inits}))
    train_all(data, surr, seed=seed, progress=progress, quick=quick_surrogates)
    (root / "DONE").write_text(f"fold {k} of {n_folds} of space {space} of {data_dir}\n")
    return data, surr


# meta-training settings that checkpoints made before the setting existed were trained with
RECORDED_BEFORE = {"lr_schedule": "constant"}


def check_fold_checkpoint(path: Path, meta_cfg=None) -> None:
    """A fold's checkpoint is reused only if it was meta-trained with the settings asked for now."""
    from dataclasses import asdict

    from hpogen.meta_training import MetaTrainConfig
    from methods.generative_hpo import CheckpointError, load_checkpoint

    wanted = asdict(meta_cfg or MetaTrainConfig())
    try:
        recorded = load_checkpoint(path)[1].get("extra", {}).get("meta_train_config", {})
    except CheckpointError as err:
        raise UserError(str(err)) from None
    recorded = {**RECORDED_BEFORE, **recorded}
    for key, value in wanted.items():
        if key in recorded and recorded[key] != value:
            raise UserError(f"{path} was meta-trained with {key} {recorded[key]!r}, this command asks for {value!r}; "
                            f"delete {path.parent} to meta-train the fold again, or ask for {key} {recorded[key]!r}")


def paired_lines(merged: dict[str, dict], names: list[str], peers: tuple[str, ...], points: list[int]) -> list[str]:
    """Markdown: the default against each peer, and each other variant against the default, run by run."""
    if DEFAULT_VARIANT not in names:
        return []
    pairs = [(DEFAULT_VARIANT, peer) for peer in peers]
    pairs += [(label, DEFAULT_VARIANT) for label in names if label != DEFAULT_VARIANT]
    lines = []
    for first, second in pairs:
        comparison = align_results({"A": merged[first], "B": merged[second]})
        if not comparison.runs:
            continue
        lines += ["", f"Run by run, A = {first} against B = {second}:", "", paired_table(comparison, points)]
    return lines


def run_crossval(data_dir: str | Path, spaces: list[str], out_dir: str | Path, n_folds: int = 3,
                 variants: list[str] | None = None, trials: int = 50, jobs: int = 1, meta_cfg=None,
                 quick_surrogates: bool = False, progress: bool = True, folds_dir: str | Path | None = None,
                 seeds: list[str] | None = None, peers: tuple[str, ...] = PEERS) -> str:
    """Build the folds, meta-train each, run every variant and the peers; return the markdown table.

    Folds (data, surrogates, checkpoints) go to ``folds_dir`` (default ``out_dir/folds``);
    ``seeds`` (default: all five) are the initial designs run on every held-out dataset.
    Everything is cached on disk: an interrupted call resumes where it stopped.
    """
    from hpogen.meta_training import meta_train_space
    from hpogen.runner import SweepConfig, get_handler, plan_runs, run_sweep

    out_dir = Path(out_dir)
    folds_dir = Path(folds_dir) if folds_dir is not None else out_dir / "folds"
    names = variants or list(DESIGN_VARIANTS)
    merged: dict[str, dict] = {m: {} for m in (*peers, *names)}
    for space in spaces:
        for k in range(n_folds):
            data, surr = build_fold(data_dir, space, k, n_folds, folds_dir, quick_surrogates=quick_surrogates,
                                    progress=False)
            ckpt_dir = data.parent / "checkpoints"
            if (ckpt_dir / f"{space}.pt").is_file():
                check_fold_checkpoint(ckpt_dir / f"{space}.pt", meta_cfg)
            else:
                meta_train_space(data, space, ckpt_dir, cfg=meta_cfg, progress=progress)
            handler = get_handler(str(data), "v3-test", str(surr))
            fold_out = out_dir / f"{space}-f{k}"
            jobs_list = [(m, m, {}) for m in peers] + [(n, "GEN-VAE", {"suggest": DESIGN_VARIANTS[n]}) for n in names]
            for label, method, options in jobs_list:
                cfg = SweepConfig(str(data), str(surr), trials=trials, checkpoint_dir=str(ckpt_dir),
                                  method_options={method: options})
                target = fold_out / slug(label)
                done = run_sweep(cfg, plan_runs(handler, [method], [space], seeds=seeds), target, jobs=jobs,
                                 progress=progress)
                for sp, datasets in done[method].items():
                    merged[label].setdefault(sp, {}).update(datasets)
    comparisons = {label: align_results({**{m: merged[m] for m in peers}, "GEN-VAE": merged[label]})
                   for label in names}
    points = [t for t in (10, 25, 50) if t <= trials] or [trials]
    lines = [f"Design selection by {n_folds}-fold cross-validation over the meta-train datasets of "
             f"{', '.join(spaces)}: each variant of GEN-VAE against {' and '.join(peers)} on the held-out "
             f"datasets ({len(next(iter(comparisons.values())).runs)} runs; ranks among the {len(peers) + 1} "
             "methods).", "",
             "| GEN-VAE variant | " + " | ".join([f"regret@{t}" for t in points] + [f"rank@{t}" for t in points])
             + " |", "| --- " * (2 * len(points) + 1) + "|"]
    for label, comparison in comparisons.items():
        i = comparison.methods.index("GEN-VAE")
        stats = curve_stats(comparison)
        regret, rank = stats.regret_mean[i], stats.rank_mean[i]
        cells = [f"{regret[t]:.4f}" for t in points] + [f"{rank[t]:.2f}" for t in points]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", f"The peers on the same runs (their ranks here are among the {len(peers)} of them):", "",
              summary_table(align_results({m: merged[m] for m in peers}), trials=points)]
    lines += paired_lines(merged, names, peers, points)
    text = "\n".join(lines) + "\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out_dir / "crossval.md", text.encode())
    return text

