"""Regret curves of one results file: mean and 95% Student-t band per dataset, log scale."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hpogen.compare import mean_and_band
from hpogen.results import Results

REGRET_FLOOR = 1e-4  # regrets of exactly 0 are drawn at this floor on the log axis


def plot_regret_per_dataset(results: Results, path: str | Path, title: str) -> Path:
    """One panel per search space, one line per dataset (mean over seeds, 95% band cut to [REGRET_FLOOR, 1])."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spaces = sorted(results)
    cols = min(3, len(spaces))
    rows = int(np.ceil(len(spaces) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.0 * cols, 3.6 * rows), squeeze=False)
    for ax, space in zip(axes.flat, spaces):
        for dataset in sorted(results[space]):
            curves = list(results[space][dataset].values())
            length = min(len(c) for c in curves)
            regret = 1.0 - np.array([c[:length] for c in curves])
            mean, half = mean_and_band(regret, axis=0)
            trials = np.arange(length)
            line, = ax.plot(trials, np.maximum(mean, REGRET_FLOOR), label=f"{dataset} (n={len(curves)})")
            ax.fill_between(trials, np.maximum(mean - half, REGRET_FLOOR), np.clip(mean + half, REGRET_FLOOR, 1.0),
                            color=line.get_color(), alpha=0.15, linewidth=0)
        ax.set_yscale("log")
        ax.set_title(f"search space {space}")
        ax.set_xlabel("trials")
        ax.set_ylabel(f"normalised regret (0 drawn at {REGRET_FLOOR:g})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, title="dataset", title_fontsize=7)
    for ax in list(axes.flat)[len(spaces):]:
        ax.set_visible(False)
    fig.suptitle(title)
    return save_figure(fig, path)


def save_figure(fig, path: str | Path, dpi: int = 150) -> Path:
    """Lay out, write (creating the folder) and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
