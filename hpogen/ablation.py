"""GEN-VAE ablations: what meta-training, the generator and each part of the acquisition buy.

Every variant runs the same (space, dataset, seed) runs; results go to
``<out>/<variant>/GEN-VAE.json`` and the comparison table (regret and rank at
10, 25, 50 trials, seconds per suggestion) to ``<out>/ablation.md``. With
other method seeds (the seed of GEN-VAE's own randomness; 0 by default) each
variant's runs for seed k go to ``<out>/<variant>/method-seed-<k>/``, and a
second table, each run's curve averaged over the method seeds, to
``<out>/ablation-method-seeds-<k1>-<k2>-....md``: on a few dozen runs one
seed's table moves with every change of the method's random path.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hpogen.compare import align_results, load_timings, summary_table, timings_path
from hpogen.results import Results, load_results, runs_of, set_run
from hpogen.runner import SweepConfig, plan_runs, results_dir_for, run_sweep

# name -> (uses the meta-trained checkpoint, suggest options)
VARIANTS: dict[str, tuple[bool, dict]] = {
    "scratch, one decoded sample (the prototype's rule)": (False, {"online_steps": 50, "acquisition": "none"}),
    "meta, generator alone: one decoded sample (no surrogate)": (True, {"acquisition": "none"}),
    "meta, no generator: uniform + local pool, stacked EI": (True, {"n_decoded": 0, "n_uniform": 576}),
    "meta, no generator, its candidates dropped (the issue's n_generated=0)": (True, {"n_decoded": 0}),
    "meta, no learned surrogate: the fitted GP's EI alone": (True, {"acquisition": "gp-ei"}),
    "meta, default with the GP by marginal likelihood alone (no priors)": (True, {"gp_prior": "none"}),
    "meta, default with the GP at its MAP hyperparameters alone (no samples)": (True, {"gp_samples": 0}),
    "meta, the learned head's EI alone (no GP)": (True, {"acquisition": "learned-ei"}),
    "meta, BoTorch GP log EI on the same pool": (True, {"acquisition": "botorch-gp-ei"}),
    "meta, default without uniform candidates": (True, {"n_uniform": 0, "n_decoded": 576}),
    "meta, default without refinement rounds": (True, {"refine_rounds": 0}),
    "meta, default with the head and GP mixed linearly (the rule before)": (True, {"pooling": "linear"}),
    "meta, default (decoded pool, stacked EI of head and GP, refinement)": (True, {}),
}
DEFAULT_VARIANT = "meta, default (decoded pool, stacked EI of head and GP, refinement)"


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-").replace("--", "-")


def variant_dir(out_dir: Path, name: str, method_seed: int = 0) -> Path:
    """Where one variant's results for one method seed go (seed 0: the variant's folder itself)."""
    return out_dir / slug(name) / (f"method-seed-{method_seed}" if method_seed else "")


def run_ablation(handler, data_dir: str, surrogates_dir: str, checkpoint_dir: str, out_dir: str | Path,
                 spaces: list[str] | None = None, protocol: str = "continuous", trials: int = 50,
                 variants: list[str] | None = None, jobs: int = 1, progress: bool = True,
                 seeds: list[str] | None = None, method_seeds: list[int] | None = None) -> str:
    """Run the variants and return the markdown table (also written to ``out_dir/ablation.md``).

    The table has every variant whose results are in ``out_dir`` (those run before as well as
    ``variants``), on the runs asked for, at 10, 25 and 50 trials (those within ``trials``).
    With ``method_seeds`` other than [0], every variant runs with each of them and the table
    returned (written to ``ablation-method-seeds-....md``) averages each run's curve over them; the
    variants with results for every one of those seeds are in it.
    """
    out_dir = results_dir_for(out_dir, protocol)
    method_seeds = list(dict.fromkeys(method_seeds or [0]))
    runs = plan_runs(handler, ["GEN-VAE"], spaces, seeds=seeds)
    for name in variants or list(VARIANTS):
        use_checkpoint, suggest = VARIANTS[name]
        for method_seed in method_seeds:
            cfg = SweepConfig(data_dir=data_dir, surrogates_dir=surrogates_dir, protocol=protocol, trials=trials,
                              checkpoint_dir=checkpoint_dir if use_checkpoint else None, method_seed=method_seed,
                              method_options={"GEN-VAE": {"suggest": suggest}})
            run_sweep(cfg, runs, variant_dir(out_dir, name, method_seed), jobs=jobs, progress=progress)
    only_runs = {(r.space, r.dataset, r.seed) for r in runs}
    budgets = [t for t in (10, 25, 50) if t <= trials] or [trials]
    text = _table(out_dir, [0], only_runs, budgets, protocol)
    (out_dir / "ablation.md").write_text(text)
    if method_seeds != [0]:
        text = _table(out_dir, method_seeds, only_runs, budgets, protocol)
        (out_dir / f"ablation-method-seeds-{'-'.join(map(str, method_seeds))}.md").write_text(text)
    return text


def _table(out_dir: Path, method_seeds: list[int], only_runs: set, budgets: list[int], protocol: str) -> str:
    """The markdown table of every variant with results for all ``method_seeds``, each run's incumbent
    curve averaged over them (one seed: its own results)."""
    results, timings = {}, {}
    for name in VARIANTS:
        paths = [variant_dir(out_dir, name, k) / "GEN-VAE.json" for k in method_seeds]
        if not all(path.is_file() for path in paths):
            continue
        per_seed = [load_results(path) for path in paths]
        results[name] = _mean_curves(per_seed)
        timings[name] = _concatenated([t for t in (load_timings(timings_path(path)) for path in paths) if t])
    comparison = align_results(results, timings=timings, only_runs=only_runs)
    table = summary_table(comparison, trials=budgets)
    over = ("" if method_seeds == [0] else
            f", each run's curve the mean over method seeds {', '.join(map(str, method_seeds))}")
    return (f"GEN-VAE ablation, {protocol} protocol, {len(comparison.runs)} runs "
            f"({', '.join(comparison.spaces)}){over}, ranks among the variants.\n\n{table}\n")


def _mean_curves(per_seed: list[Results]) -> Results:
    """{space: {dataset: {seed: curve}}}: the mean curve of the runs every method seed has."""
    flat = [runs_of(r) for r in per_seed]
    out: Results = {}
    for run in flat[0]:
        curves = [f.get(run) for f in flat]
        if all(c is not None for c in curves) and len({len(c) for c in curves}) == 1:
            set_run(out, *run, np.mean(curves, axis=0))
    return out


def _concatenated(per_seed: list[Results]) -> Results | None:
    """Timings of several method seeds as one: each run's per-suggestion seconds, all seeds together
    (None without any)."""
    if not per_seed:
        return None
    seconds: dict[tuple[str, str, str], list] = {}
    for timing in per_seed:
        for run, values in runs_of(timing).items():
            seconds.setdefault(run, []).extend(values)
    out: Results = {}
    for run, values in seconds.items():
        set_run(out, *run, values)
    return out
