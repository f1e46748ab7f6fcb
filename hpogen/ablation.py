"""GEN-VAE ablations: what meta-training, fine-tuning and candidate scoring each buy.

Every variant runs the same (space, dataset, seed) runs; results go to
``<out>/<variant>/GEN-VAE.json`` and the comparison table (regret and rank at
10, 25, 50 trials, seconds per suggestion) to ``<out>/ablation.md``.
"""
from __future__ import annotations

from pathlib import Path

from hpogen.compare import align_results, load_timings, summary_table, timings_path
from hpogen.results import load_results
from hpogen.runner import SweepConfig, plan_runs, results_dir_for, run_sweep

# name -> (uses the meta-trained checkpoint, suggest options)
VARIANTS: dict[str, tuple[bool, dict]] = {
    "scratch, one sample": (False, {"online_steps": 50, "scoring": "none"}),
    "scratch, GP-EI pool": (False, {"online_steps": 50, "scoring": "gp-ei"}),
    "meta, one sample": (True, {"scoring": "none"}),
    "meta, fine-tune 10, one sample": (True, {"fine_tune_steps": 10, "scoring": "none"}),
    "meta, fine-tune 10, default pool and ranking": (True, {"fine_tune_steps": 10}),
    "meta, learned-scorer pool": (True, {"scoring": "scorer"}),
    "meta, ELBO-ratio pool": (True, {"scoring": "elbo-ratio"}),
    "meta, GP-EI pool": (True, {"scoring": "gp-ei"}),
    "meta, default but meta-learned ARD GP kernel": (True, {"gp_kernel": "meta-ard"}),
    "meta, default but no local candidates": (True, {"n_local": 0}),
    "meta, scorer then GP-EI pool (default)": (True, {}),
    "no generator: uniform + local pool, GP-EI": (True, {"n_generated": 0, "n_uniform": 512, "scoring": "gp-ei"}),
}


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name).strip("-").replace("--", "-")


def run_ablation(handler, data_dir: str, surrogates_dir: str, checkpoint_dir: str, out_dir: str | Path,
                 spaces: list[str] | None = None, protocol: str = "continuous", trials: int = 50,
                 variants: list[str] | None = None, jobs: int = 1, progress: bool = True,
                 seeds: list[str] | None = None) -> str:
    """Run the variants and return the markdown table (also written to ``out_dir/ablation.md``)."""
    out_dir = results_dir_for(out_dir, protocol)
    runs = plan_runs(handler, ["GEN-VAE"], spaces, seeds=seeds)
    results, timings = {}, {}
    for name in variants or list(VARIANTS):
        use_checkpoint, suggest = VARIANTS[name]
        cfg = SweepConfig(data_dir=data_dir, surrogates_dir=surrogates_dir, protocol=protocol, trials=trials,
                          checkpoint_dir=checkpoint_dir if use_checkpoint else None,
                          method_options={"GEN-VAE": {"suggest": suggest}})
        variant_dir = out_dir / slug(name)
        run_sweep(cfg, runs, variant_dir, jobs=jobs, progress=progress)
        results[name] = load_results(variant_dir / "GEN-VAE.json")
        timings[name] = load_timings(timings_path(variant_dir / "GEN-VAE.json"))
    comparison = align_results(results, spaces=spaces, timings=timings)
    table = summary_table(comparison, trials=(10, 25, 50))
    text = (f"GEN-VAE ablation, {protocol} protocol, {len(comparison.runs)} runs "
            f"({', '.join(comparison.spaces)}), ranks among the variants.\n\n{table}\n")
    (out_dir / "ablation.md").write_text(text)
    return text
