"""Compare HPO-B results files: regret and rank curves, critical differences, a summary.

The last step of the data flow: results JSON -> numbers and figures. Any set of
results files can be compared; the method name is the file stem (``GP-C.json``
-> ``GP-C``). A method's timings, when they exist, live beside its results in
``timings/<METHOD>.json`` with the same nesting, holding the seconds each
suggestion took.

The protocol follows HPO-B:

- regret = 1 - normalised incumbent, indexed by trial: trial 0 is the best of
  the initial design, trial t the incumbent after t suggestions;
- methods are compared on the (space, dataset, seed) runs they all have; runs
  some methods lack are listed, not fatal;
- a run that reached the optimum early is shorter than the others of its file
  and is padded with its last value; files of different lengths are cut to the
  shortest;
- rank = rank of the methods' regrets on the same run at the same trial
  (1 = best, ties share the average rank; regrets within 1e-12 are ties);
  regrets and ranks are averaged over all compared runs, every run weighing
  the same. This reproduces HPO-B's published means to the last digit shown.

Example:
    >>> comparison = load_comparison(["results/GP-C.json", "results/RS-C.json"])
    >>> curves = curve_stats(comparison)
    >>> curves.regret_mean[:, 50]  # (M,) mean regret of each method after 50 trials
"""
from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Collection, Iterable, Mapping, Sequence

import numpy as np
from scipy import stats

from hpogen.errors import UserError
from hpogen.results import SOURCES_DIR, Results, load_per_suggestion, load_results, load_sources, runs_of

Run = tuple[str, str, str]  # (space, dataset, seed)

SUMMARY_TRIALS = (10, 25, 50, 100)
# Regrets closer than this are the same value written by different code paths
# (HPO-B's published files differ by ~1e-16 where methods found the same
# configuration); treating them as ties reproduces the published ranks.
TIE_ATOL = 1e-12
TIMINGS_DIR = "timings"


# ----------------------------------------------------------------------------
# Loading and aligning


def find_results_files(paths: Iterable[str | os.PathLike]) -> dict[str, Path]:
    """Map method names to results files.

    Args:
        paths: results files and/or folders; a folder contributes the ``*.json``
            files directly inside it (not its subfolders, so its ``timings/``
            folder is never read as results).

    Returns:
        ``{method: path}`` with the method named after the file stem, sorted by name.

    Raises:
        UserError: a path does not exist, or two files share a method name.
    """
    found: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            if path.name in (TIMINGS_DIR, SOURCES_DIR):
                continue
            files = sorted(p for p in path.glob("*.json") if p.is_file() and not p.name.startswith("."))
        elif path.exists():
            files = [path]
        else:
            raise UserError(f"results path {path} does not exist; pass results files or folders of *.json")
        for file in files:
            method = file.stem
            if method in found and found[method].resolve() != file.resolve():
                raise UserError(f"two results files are both named {method!r} ({found[method]} and {file}); "
                                "rename one, the file stem is the method name")
            found[method] = file
    return dict(sorted(found.items()))


def timings_path(results_path: str | os.PathLike) -> Path:
    """Where the timings of a results file live: ``<dir>/timings/<METHOD>.json``."""
    results_path = Path(results_path)
    return results_path.parent / TIMINGS_DIR / results_path.name


def load_timings(path: str | os.PathLike) -> Results | None:
    """Load a timings file (seconds per suggestion), or None when there is none.

    Raises:
        UserError: the file exists but is corrupt or not nested like a results file.
    """
    return load_per_suggestion(path, "timings", lambda s: isinstance(s, (int, float)) and math.isfinite(s),
                               "seconds")


@dataclass
class Comparison:
    """Methods aligned on their common runs.

    Attributes:
        methods: method names, in plotting order.
        runs: the R runs all methods have, as (space, dataset, seed), sorted.
        incumbents: (M, R, T) normalised incumbents, padded and cut to T values.
        missing: runs some methods have and others lack, mapped to the methods
            that lack them; left out of the comparison.
        padded: per method, how many compared runs were padded with their last value.
        unfinished: per method, how many of those stopped below the optimum (not HPO-B's early stop,
            which ends a run at incumbent 1: a truncated run).
        lengths: per method, the values per run in its file before the cut (T = min).
        seconds: per method, the seconds per suggestion over the compared runs
            (first T - 1 suggestions), or None when it has no timings.
        sources: per method, how many of those suggestions came from each source
            (``{"decoded": 812, ...}``), or None when the method records none.
    """

    methods: list[str]
    runs: list[Run]
    incumbents: np.ndarray
    missing: dict[Run, list[str]] = field(default_factory=dict)
    padded: dict[str, int] = field(default_factory=dict)
    unfinished: dict[str, int] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, np.ndarray | None] = field(default_factory=dict)
    sources: dict[str, dict[str, int] | None] = field(default_factory=dict)

    @property
    def n_trials(self) -> int:
        """Number of suggestions after the cut; trials run 0..n_trials."""
        return self.incumbents.shape[2] - 1

    @property
    def regret(self) -> np.ndarray:
        """(M, R, T) normalised regret, 1 - incumbent."""
        return 1.0 - self.incumbents

    @cached_property
    def ranks(self) -> np.ndarray:
        """(M, R, T) rank of each method on each run and trial (1 = lowest regret)."""
        return rank_methods(self.regret)

    @cached_property
    def spaces(self) -> list[str]:
        """The search spaces of the compared runs, sorted numerically where possible."""
        return sorted({space for space, _, _ in self.runs}, key=_natural_key)

    def run_mask(self, space: str | None = None) -> np.ndarray:
        """(R,) boolean mask of the runs in ``space`` (all runs when None)."""
        return np.array([space is None or run[0] == space for run in self.runs], dtype=bool)


def _natural_key(name: str) -> tuple:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def align_results(results: Mapping[str, Results], spaces: Sequence[str] | None = None,
                  timings: Mapping[str, Results | None] | None = None,
                  sources: Mapping[str, dict | None] | None = None,
                  only_runs: Collection[Run] | None = None) -> Comparison:
    """Align methods on the runs they all have; pad early stops, cut to the shortest file.

    Args:
        results: ``{method: results}``, in the order the methods are to be shown.
        spaces: keep only these search spaces (all when None).
        only_runs: keep only these (space, dataset, seed) runs (all when None).
        timings: ``{method: timings or None}`` (seconds per suggestion), optional.
        sources: ``{method: sources or None}`` (source name per suggestion), optional.

    Returns:
        The Comparison; its ``missing`` lists the runs left out.

    Raises:
        UserError: no methods, a requested space no file has, or no run common to all methods.
    """
    if not results:
        raise UserError("no results to compare; pass results files or folders holding *.json")
    methods = list(results)
    if spaces is not None:
        known = {space for data in results.values() for space in data}
        unknown = [space for space in spaces if str(space) not in known]
        if unknown:
            raise UserError(f"no results for space(s) {', '.join(map(str, unknown))}; "
                            f"the files hold {', '.join(sorted(known, key=_natural_key))}")
        wanted = {str(space) for space in spaces}
    run_sets: dict[str, set[Run]] = {}
    for method, data in results.items():
        run_sets[method] = {(space, dataset, seed)
                            for space, datasets in data.items() if spaces is None or space in wanted
                            for dataset, seeds in datasets.items() for seed in seeds}
        if only_runs is not None:
            run_sets[method] &= set(only_runs)
    every = set().union(*run_sets.values())
    common = set.intersection(*run_sets.values())
    missing = {run: [m for m in methods if run not in run_sets[m]]
               for run in sorted(every - common, key=_run_key)}
    if not common:
        sizes = ", ".join(f"{m}: {len(run_sets[m])}" for m in methods)
        raise UserError(f"no (space, dataset, seed) run is common to all methods ({sizes} runs); "
                        "compare files from the same benchmark or choose --methods/--spaces that overlap")
    runs = sorted(common, key=_run_key)

    # A file's full length is its longest run; shorter runs stopped early at the optimum.
    lengths = {m: max(len(curve) for datasets in results[m].values()
                      for seeds in datasets.values() for curve in seeds.values()) for m in methods}
    n_values = min(lengths.values())
    incumbents = np.empty((len(methods), len(runs), n_values))  # (M, R, T)
    padded, unfinished = {}, {}
    for i, method in enumerate(methods):
        padded[method] = unfinished[method] = 0
        for j, (space, dataset, seed) in enumerate(runs):
            curve = results[method][space][dataset][seed]
            if len(curve) < lengths[method]:
                padded[method] += 1
                unfinished[method] += curve[-1] < 1.0 - 1e-9
                curve = curve + [curve[-1]] * (lengths[method] - len(curve))
            incumbents[i, j] = curve[:n_values]

    def per_suggestion(data) -> list:    # the values of the compared runs' first n_values - 1 suggestions
        return [] if data is None else [value for space, dataset, seed in runs
                                         for value in data.get(space, {}).get(dataset, {}).get(seed, [])[:n_values - 1]]

    seconds, counts = {}, {}
    for method in methods:
        values = per_suggestion((timings or {}).get(method))
        seconds[method] = np.asarray(values, dtype=float) if values else None
        names = per_suggestion((sources or {}).get(method))
        counts[method] = dict(sorted(Counter(names).items())) if names else None
    return Comparison(methods=methods, runs=runs, incumbents=incumbents, missing=missing,
                      padded=padded, unfinished=unfinished, lengths=lengths, seconds=seconds, sources=counts)


def _run_key(run: Run) -> tuple:
    return tuple(_natural_key(part) for part in run)


def load_comparison(paths: Iterable[str | os.PathLike], methods: Sequence[str] | None = None,
                    spaces: Sequence[str] | None = None, only_runs: Collection[Run] | None = None) -> Comparison:
    """Find, load and align results files (and their timings when present).

    Args:
        paths: results files and/or folders of ``*.json``.
        methods: compare only these methods, in this order (all found, sorted, when None).
        spaces: compare only these search spaces.
        only_runs: compare only these (space, dataset, seed) runs.

    Raises:
        UserError: no results found, an unknown method name, a corrupt file, or no common run.
    """
    paths = list(paths)
    files = find_results_files(paths)
    if not files:
        raise UserError(f"no results files (*.json) found in {', '.join(map(str, paths))}; "
                        "pass HPO-B results files or the folder that holds them")
    if methods is not None:
        methods = list(dict.fromkeys(methods))
        unknown = [m for m in methods if m not in files]
        if unknown:
            raise UserError(f"unknown method(s) {', '.join(unknown)}; the results found are "
                            f"{', '.join(files)}")
        files = {m: files[m] for m in methods}
    results = {m: load_results(path) for m, path in files.items()}
    timings = {m: load_timings(timings_path(path)) for m, path in files.items()}
    sources = {m: load_sources(path.parent / SOURCES_DIR / path.name) for m, path in files.items()}
    return align_results(results, spaces=spaces, timings=timings, sources=sources, only_runs=only_runs)


# ----------------------------------------------------------------------------
# Statistics


def rank_methods(regret: np.ndarray, atol: float = TIE_ATOL) -> np.ndarray:
    """Rank methods (axis 0) on every run and trial; lower regret = better rank 1.

    Regrets within ``atol`` of each other (chained) count as ties and share the
    average rank, as in ``scipy.stats.rankdata``.

    Args:
        regret: (M, ...) regrets of M methods.

    Returns:
        (M, ...) ranks in [1, M].
    """
    return stats.rankdata(snap_ties(regret, atol), axis=0)


def snap_ties(values: np.ndarray, atol: float = TIE_ATOL) -> np.ndarray:
    """Make values along axis 0 that differ by at most ``atol`` (chained) exactly equal.

    Each group of near-equal values takes its smallest member's value.
    """
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    starts_group = np.ones(ordered.shape, dtype=bool)
    starts_group[1:] = np.diff(ordered, axis=0) > atol
    position = np.arange(len(values)).reshape((-1,) + (1,) * (values.ndim - 1))
    group_start = np.maximum.accumulate(np.where(starts_group, position, 0), axis=0)
    snapped = np.empty_like(values)
    np.put_along_axis(snapped, order, np.take_along_axis(ordered, group_start, axis=0), axis=0)
    return snapped


def mean_and_band(values: np.ndarray, axis: int = 0, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Mean and half-width of its Student-t confidence interval along ``axis``.

    Returns:
        (mean, half_width), both with ``axis`` removed; the half-width is 0 for one sample.
    """
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    mean = values.mean(axis=axis)
    if n < 2:
        return mean, np.zeros_like(mean)
    sem = values.std(axis=axis, ddof=1) / math.sqrt(n)
    return mean, stats.t.ppf(0.5 + level / 2, n - 1) * sem


@dataclass
class CurveStats:
    """Per-trial means over runs with 95% half-widths; all arrays are (M, T)."""

    regret_mean: np.ndarray
    regret_half: np.ndarray
    rank_mean: np.ndarray
    rank_half: np.ndarray
    n_runs: int


def curve_stats(comparison: Comparison, space: str | None = None) -> CurveStats:
    """Mean regret and mean rank per trial over all compared runs (or one space's)."""
    mask = comparison.run_mask(space)
    regret_mean, regret_half = mean_and_band(comparison.regret[:, mask], axis=1)
    rank_mean, rank_half = mean_and_band(comparison.ranks[:, mask], axis=1)
    return CurveStats(regret_mean, regret_half, rank_mean, rank_half, int(mask.sum()))


@dataclass
class CriticalDifference:
    """Friedman test and post-hoc p-values at one trial.

    Attributes:
        trial: the trial compared.
        test: name of the omnibus test ("Friedman", or "Wilcoxon signed-rank" for 2 methods).
        p_value: its p-value (nan when every run is a tie).
        mean_ranks: ``{method: mean rank}`` at the trial.
        posthoc: name of the post-hoc test.
        pvalues: (M, M) pandas DataFrame of pairwise p-values, or None for one method.
        cd: Nemenyi critical difference of mean ranks at ``alpha`` (None for < 3 methods).
        alpha: significance level.
        n_runs: number of blocks (runs, or tasks when ``blocks == "tasks"``).
        blocks: ``"runs"`` (every (space, dataset, seed) run is a block) or
            ``"tasks"`` (every (space, dataset), its regret averaged over seeds).
    """

    trial: int
    test: str
    p_value: float
    mean_ranks: dict[str, float]
    posthoc: str
    pvalues: object
    cd: float | None
    alpha: float
    n_runs: int
    blocks: str = "runs"

    def describe(self) -> str:
        """One sentence with the test, its p-value and the post-hoc test."""
        if self.pvalues is None:
            return f"one method at trial {self.trial}: nothing to test."
        posthoc = "" if self.posthoc == self.test else f"; post-hoc {self.posthoc}"
        over = (f"{self.n_runs} runs" if self.blocks == "runs"
                else f"{self.n_runs} tasks ((space, dataset), regret averaged over seeds)")
        return (f"{self.test} test p = {_fmt_p(self.p_value)} at trial {self.trial} over {over}"
                f"{posthoc}, alpha = {self.alpha}" + (f", CD = {self.cd:.3f}" if self.cd is not None else "") + ".")


def task_regret(comparison: Comparison, trial: int) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Regret at ``trial`` averaged over the seeds of each task (space, dataset).

    Returns:
        The tasks, sorted as the runs are, and their (M, K) mean regrets.
    """
    tasks = sorted({(space, dataset) for space, dataset, _ in comparison.runs},
                   key=lambda t: (_natural_key(t[0]), _natural_key(t[1])))
    index = {task: k for k, task in enumerate(tasks)}
    of_run = np.array([index[(space, dataset)] for space, dataset, _ in comparison.runs])
    regret = comparison.regret[:, :, trial]                             # (M, R)
    sums = np.zeros((len(comparison.methods), len(tasks)))
    np.add.at(sums.T, of_run, regret.T)
    return tasks, sums / np.bincount(of_run, minlength=len(tasks))


def critical_difference(comparison: Comparison, trial: int, alpha: float = 0.05,
                        blocks: str = "runs") -> CriticalDifference:
    """Friedman test of the methods' regrets at ``trial``, then Nemenyi.

    Args:
        blocks: ``"runs"``: every (space, dataset, seed) run is a block;
            ``"tasks"``: every (space, dataset) is one, its regret averaged
            over the seeds (runs of one task share a dataset, so they are not
            independent blocks; HPO-B's 5 seeds of 12 tasks are 12 blocks).

    With two methods the Friedman test is undefined; the Wilcoxon signed-rank
    test gives both the omnibus and the pairwise p-value.

    Raises:
        UserError: ``trial`` is outside 0..n_trials.
    """
    import pandas as pd
    import scikit_posthocs

    if not 0 <= trial <= comparison.n_trials:
        raise UserError(f"trial {trial} is outside the 0..{comparison.n_trials} trials all compared files share; "
                        f"choose a trial in that range")
    if blocks not in ("runs", "tasks"):
        raise ValueError(f"blocks must be 'runs' or 'tasks', got {blocks!r}")
    methods = comparison.methods
    if blocks == "runs":
        regret = snap_ties(comparison.regret[:, :, trial])               # (M, blocks)
        ranks = comparison.ranks[:, :, trial]
    else:
        regret = snap_ties(task_regret(comparison, trial)[1])
        ranks = rank_methods(regret)
    regret = regret.T                                                   # (blocks, M): blocks x groups
    mean_ranks = dict(zip(methods, ranks.mean(axis=1).tolist()))
    n_runs, n_methods = regret.shape
    all_tied = bool(np.all(regret == regret[:, :1]))
    if n_methods == 1:
        return CriticalDifference(trial, "none (one method)", math.nan, mean_ranks, "none", None,
                                  None, alpha, n_runs, blocks)
    if n_methods == 2:
        differs = regret[:, 0] != regret[:, 1]
        p = math.nan if all_tied else float(stats.wilcoxon(regret[differs, 0], regret[differs, 1]).pvalue)
        pvalues = pd.DataFrame([[1.0, p], [p, 1.0]], index=methods, columns=methods)
        return CriticalDifference(trial, "Wilcoxon signed-rank", p, mean_ranks, "Wilcoxon signed-rank",
                                  pvalues, None, alpha, n_runs, blocks)
    p = math.nan if all_tied else float(stats.friedmanchisquare(*regret.T).pvalue)
    pvalues = scikit_posthocs.posthoc_nemenyi_friedman(pd.DataFrame(regret, columns=methods))
    q_alpha = stats.studentized_range.ppf(1 - alpha, n_methods, np.inf) / math.sqrt(2)
    cd = float(q_alpha * math.sqrt(n_methods * (n_methods + 1) / (6 * n_runs)))
    return CriticalDifference(trial, "Friedman", p, mean_ranks, "Nemenyi", pvalues, cd, alpha, n_runs, blocks)


def optimum_share(comparison: Comparison, trials: Sequence[int] = SUMMARY_TRIALS) -> str:
    """Markdown table: per method, the share of runs at regret 0 (the optimum found) at ``trials``.

    It shows where a protocol saturates: once most runs of every method sit at
    the optimum, means and ranks at that trial separate little.
    """
    trials = [t for t in trials if t <= comparison.n_trials] or [comparison.n_trials]
    at_optimum = comparison.regret <= TIE_ATOL                           # (M, R, T)
    lines = ["| method | " + " | ".join(f"at optimum @{t}" for t in trials) + " |",
             "| --- " * (len(trials) + 1) + "|"]
    for i, method in enumerate(comparison.methods):
        cells = [f"{at_optimum[i, :, t].mean():.0%}" for t in trials]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# Summary table


def _fmt(value: float | None, digits: int) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _fmt_p(p: float) -> str:
    return "n/a (every run is a tie)" if not math.isfinite(p) else f"{p:.3g}"


def summary_table(comparison: Comparison, trials: Sequence[int] = SUMMARY_TRIALS) -> str:
    """Markdown table: one row per method, mean regret and rank at ``trials``.

    Trials beyond the cut show "–" (when all of them are, the last trial is shown instead); a median
    seconds-per-suggestion column is added when any method has timings.
    """
    overall = curve_stats(comparison)
    last = comparison.n_trials
    if all(t > last for t in trials):
        trials = [last]
    with_timings = any(s is not None for s in comparison.seconds.values())
    header = ([f"regret@{t}" for t in trials] + [f"rank@{t}" for t in trials]
              + (["median s/suggestion"] if with_timings else []))
    lines = ["| method | " + " | ".join(header) + " |", "| --- " * (len(header) + 1) + "|"]
    for i, method in enumerate(comparison.methods):
        cells = [_fmt(overall.regret_mean[i, t] if t <= last else None, 4) for t in trials]
        cells += [_fmt(overall.rank_mean[i, t] if t <= last else None, 2) for t in trials]
        if with_timings:
            seconds = comparison.seconds[method]
            cells.append(_fmt(None if seconds is None else float(np.median(seconds)), 3))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sources_table(comparison: Comparison) -> str:
    """Markdown table of where each method's suggestions came from (methods that record it).

    One row per (method, source): the number of suggestions over the compared
    runs and their share of that method's suggestions. Empty string when no
    method records sources.
    """
    lines = []
    for method in comparison.methods:
        counts = comparison.sources.get(method)
        if not counts:
            continue
        total = sum(counts.values())
        for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"| {method} | {name} | {count} | {100.0 * count / total:.1f}% |")
    if not lines:
        return ""
    return "\n".join(["| method | source of the suggestion | suggestions | share |", "| --- | --- | --- | --- |",
                      *lines])


LEARNED_ORIGINS = ("decoded", "refined-decoded")     # candidates the generator proposed
LEARNED_DECIDERS = ("head", "head-changed")           # choices the learned head decided or changed


def decider_table(comparison: Comparison) -> str:
    """Markdown table of who decided the suggestions, for methods whose sources are ``origin/decider``.

    Per method: the share of each decider (``head``, ``head-changed``, ``gp``), the share of
    generator-proposed origins (decoded or refined-decoded), and the share that a learned part
    decided: either of those. Empty string when no method records such sources.
    """
    lines = []
    for method in comparison.methods:
        counts = comparison.sources.get(method) or {}
        split = {name: name.split("/", 1) for name in counts if "/" in name}
        if not split:
            continue
        total = sum(counts.values())
        by_decider: dict[str, int] = defaultdict(int)
        generated = learned = 0
        for name, (origin, decider) in split.items():
            by_decider[decider] += counts[name]
            generated += counts[name] * (origin in LEARNED_ORIGINS)
            learned += counts[name] * (origin in LEARNED_ORIGINS or decider in LEARNED_DECIDERS)
        shares = [by_decider["head"], by_decider["head-changed"], by_decider["gp"], generated, learned]
        lines.append(f"| {method} | {total} | " + " | ".join(f"{100.0 * n / total:.1f}%" for n in shares) + " |")
    if not lines:
        return ""
    return "\n".join(["| method | suggestions | head | head-changed | gp | decoded or refined-decoded | "
                      "a learned part decided |", "| --- | --- | --- | --- | --- | --- | --- |", *lines])


def describe_missing(comparison: Comparison, limit: int | None = None) -> list[str]:
    """One line per method that lacks runs: which ones, grouped by space.

    A space whose every run the method lacks is written ``space S: all n runs``.
    """
    lacking: dict[str, dict[str, list[Run]]] = defaultdict(lambda: defaultdict(list))
    per_space: dict[str, int] = defaultdict(int)
    for run in list(comparison.missing) + comparison.runs:
        per_space[run[0]] += 1
    for run, methods in comparison.missing.items():
        for method in methods:
            lacking[method][run[0]].append(run)
    lines = []
    for method in comparison.methods:
        if method not in lacking:
            continue
        parts = []
        for space, runs in lacking[method].items():
            if len(runs) == per_space[space]:
                parts.append(f"space {space}: all {len(runs)} runs")
            else:
                shown = runs if limit is None else runs[:limit]
                more = "" if len(shown) == len(runs) else f", … ({len(runs) - len(shown)} more)"
                parts.append(f"space {space}: " + ", ".join(f"{d}/{s}" for _, d, s in shown) + more)
        total = sum(len(r) for r in lacking[method].values())
        lines.append(f"{method} lacks {total} run(s) — " + "; ".join(parts))
    return lines


def paired_table(comparison: Comparison, trials: Sequence[int] = SUMMARY_TRIALS, n_boot: int = 10000,
                 level: float = 0.90, seed: int = 0) -> str:
    """Two methods, run by run, at each of ``trials``: where the first's regret is lower or higher,
    the paired Wilcoxon signed-rank p over the runs that differ (two-sided), the median regrets,
    the tasks whose mean is lower, and a bootstrap over the tasks ((space, dataset), resampled
    with replacement, their runs kept together; seeded) of the difference of the mean regrets.

    Raises:
        ValueError: the comparison does not hold exactly two methods.
    """
    if len(comparison.methods) != 2:
        raise ValueError(f"a paired table compares two methods, got {len(comparison.methods)}")
    a, b = comparison.methods
    tasks = sorted({(space, dataset) for space, dataset, _ in comparison.runs})
    index = {task: k for k, task in enumerate(tasks)}
    of_run = np.array([index[(space, dataset)] for space, dataset, _ in comparison.runs])
    rng = np.random.default_rng(seed)
    draws = rng.integers(len(tasks), size=(n_boot, len(tasks)))                    # resampled tasks
    weight = np.stack([np.bincount(row, minlength=len(tasks)) for row in draws])[:, of_run]   # (n_boot, R)
    lines = [f"| trial | {a} lower / higher / tied (runs) | Wilcoxon p | median regret {a} / {b} | "
             f"tasks with {a}'s mean lower / higher | difference of the means ({a} - {b}) | "
             f"{level:.0%} task-bootstrap interval |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for trial in (t for t in trials if t <= comparison.n_trials):
        x, y = snap_ties(comparison.regret[:, :, trial])
        diff = x - y
        differs = diff != 0
        p = float(stats.wilcoxon(x[differs], y[differs]).pvalue) if differs.any() else math.nan
        per_task = task_regret(comparison, trial)[1]
        boot = (weight * diff).sum(1) / weight.sum(1)
        low, high = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
        lines.append(f"| {trial} | {int((diff < 0).sum())} / {int((diff > 0).sum())} / {int((~differs).sum())} | "
                     f"{_fmt_p(p)} | {np.median(x):.4f} / {np.median(y):.4f} | "
                     f"{int((per_task[0] < per_task[1]).sum())} / {int((per_task[0] > per_task[1]).sum())} | "
                     f"{diff.mean():+.4f} | [{low:+.4f}, {high:+.4f}] |")
    return "\n".join(lines)


def summary_markdown(comparison: Comparison, cd: CriticalDifference | None = None,
                     title: str | None = None, figures: Sequence[str] = (),
                     cd_tasks: CriticalDifference | None = None) -> str:
    """The full ``summary.md``: table, runs compared, missing runs, test results, saturation, figures.

    ``cd`` is the test over runs, ``cd_tasks`` the same test over tasks (seeds averaged).
    """
    n_spaces = len(comparison.spaces)
    lines = [f"# {title or 'HPO-B comparison'}", "", summary_table(comparison), ""]
    lines.append(f"Runs compared: {len(comparison.runs)} (space, dataset, seed) runs common to all "
                 f"{len(comparison.methods)} methods, {n_spaces} search space(s), trials 0..{comparison.n_trials} "
                 "(trial 0 = best of the initial design). Regret = 1 - normalised incumbent, mean over runs; "
                 "rank 1 = lowest regret, ties share the average rank.")
    cut = {m: n for m, n in comparison.lengths.items() if n - 1 != comparison.n_trials}
    if cut:
        lines += ["", "Cut to the shortest file: " + ", ".join(f"{m} has {n - 1} trials" for m, n in cut.items())
                  + f"; all compared at {comparison.n_trials}."]
    padded = {m: n for m, n in comparison.padded.items() if n}
    if padded:
        lines += ["", "Runs that stopped early, padded with their last value: "
                  + ", ".join(f"{m} {n}" for m, n in padded.items()) + "."]
    unfinished = {m: n for m, n in comparison.unfinished.items() if n}
    if unfinished:
        lines += ["", "Of those, shorter runs that stopped below the optimum (truncated, not an early stop; "
                  "padded all the same): " + ", ".join(f"{m} {n}" for m, n in unfinished.items()) + "."]
    lines += ["", f"Missing runs (present for some methods, not all; left out): {len(comparison.missing)}"]
    lines += [f"- {line}" for line in describe_missing(comparison)]
    attribution = sources_table(comparison)
    if attribution:
        lines += ["", "Where the suggestions came from (methods that record it), over the compared runs:", "",
                  attribution]
        deciders = decider_table(comparison)
        if deciders:
            lines += ["", "Who decided them (sources written origin/decider; a learned part decided when the "
                          "origin is decoded or refined-decoded or the decider is head or head-changed):", "",
                      deciders]
    if len(comparison.methods) == 2 and comparison.runs:
        lines += ["", "Run by run (paired; regrets within 1e-12 are ties):", "", paired_table(comparison)]
    if cd is not None:
        lines += ["", f"Critical difference: {cd.describe()}"]
    if cd_tasks is not None:
        ranks = ", ".join(f"{m} {r:.2f}" for m, r in cd_tasks.mean_ranks.items())
        lines += ["", f"On task means: {cd_tasks.describe()} Mean ranks over tasks: {ranks}."]
    if (comparison.regret[:, :, -1] <= TIE_ATOL).any():
        lines += ["", "Share of runs at the optimum (regret 0); where most runs of every method are there, "
                      "the columns of that trial separate the methods little:", "", optimum_share(comparison)]
    if figures:
        lines += ["", "Figures: " + ", ".join(f"[{name}]({name})" for name in figures)]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------
# Figures


def method_colors(methods: Sequence[str]) -> dict[str, tuple]:
    """One fixed color per method, the same in every figure of a report."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if len(methods) <= 10 else "tab20"]
    return {method: cmap(i % cmap.N) for i, method in enumerate(methods)}


def _draw_curves(ax, trials, mean, half, colors, methods, log: bool, bounds: tuple[float, float]) -> None:
    """One line and 95% band per method; ``bounds`` is the range the plotted quantity can take.

    A Student-t band of a mean can reach past what the values can be (a mean rank below 1, a regret above 1):
    it is cut at ``bounds``, and on a log axis its lower edge at a tenth of the mean.
    """
    for i, method in enumerate(methods):
        ax.plot(trials, mean[i], color=colors[method], label=method, lw=1.6)
        low = np.maximum(mean[i] - half[i], bounds[0])
        if log:  # a band reaching down to zero cannot be drawn on a log axis
            low = np.maximum(low, mean[i] / 10)
        high = np.minimum(mean[i] + half[i], bounds[1])
        ax.fill_between(trials, low, high, color=colors[method], alpha=0.18, lw=0)
    if log and np.any(mean > 0):  # a log axis needs something positive to show
        ax.set_yscale("log")
    ax.set_xlim(trials[0], trials[-1])
    ax.grid(True, which="major", alpha=0.3)


def _legend_columns(n_methods: int, fit: int) -> int:
    """Columns of a figure legend: one row when ``fit`` entries fit, else balanced rows."""
    return n_methods if n_methods <= fit else math.ceil(n_methods / math.ceil(n_methods / fit))


def plot_curves(comparison: Comparison, path: str | os.PathLike, title: str | None = None,
                formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Mean regret (log scale) and mean rank vs trials over all runs, with 95% bands.

    Args:
        path: file path without extension; one file per format is written.

    Returns:
        The files written.
    """
    import matplotlib.pyplot as plt

    curves = curve_stats(comparison)
    colors = method_colors(comparison.methods)
    trials = np.arange(comparison.n_trials + 1)
    fig, (ax_regret, ax_rank) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
    n_methods = len(comparison.methods)
    _draw_curves(ax_regret, trials, curves.regret_mean, curves.regret_half, colors, comparison.methods, log=True,
                 bounds=(0.0, 1.0))
    _draw_curves(ax_rank, trials, curves.rank_mean, curves.rank_half, colors, comparison.methods, log=False,
                 bounds=(1.0, n_methods))
    ax_regret.set(xlabel="trials", ylabel="mean normalised regret", title="Normalised regret")
    ax_rank.set(xlabel="trials", ylabel="mean rank (1 = best)", title="Rank")
    ax_rank.set_ylim(0.9, n_methods + 0.1)
    n_spaces = len(comparison.spaces)
    fig.suptitle(f"{title or 'HPO-B'}: {curves.n_runs} runs, {n_spaces} search space{'s' * (n_spaces != 1)}, "
                 "95% confidence bands")
    fig.legend(*ax_regret.get_legend_handles_labels(), loc="outside lower center",
               ncol=_legend_columns(len(comparison.methods), 8), frameon=False)
    return _save(fig, path, formats)


def plot_curves_per_space(comparison: Comparison, path: str | os.PathLike, metric: str = "regret",
                          title: str | None = None, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """One panel per search space of mean regret (log) or mean rank vs trials, 95% bands.

    Args:
        metric: "regret" or "rank".
        path: file path without extension.
    """
    import matplotlib.pyplot as plt

    if metric not in ("regret", "rank"):
        raise ValueError(f"metric must be 'regret' or 'rank', not {metric!r}")
    spaces = comparison.spaces
    colors = method_colors(comparison.methods)
    trials = np.arange(comparison.n_trials + 1)
    ncols = min(4, len(spaces))
    nrows = math.ceil(len(spaces) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(3.3 * ncols + 0.6, 6.5), 2.6 * nrows + 1.0),
                             layout="constrained", sharex=True, squeeze=False)
    for ax, space in zip(axes.flat, spaces):
        curves = curve_stats(comparison, space)
        if metric == "regret":
            _draw_curves(ax, trials, curves.regret_mean, curves.regret_half, colors, comparison.methods, log=True,
                         bounds=(0.0, 1.0))
        else:
            _draw_curves(ax, trials, curves.rank_mean, curves.rank_half, colors, comparison.methods, log=False,
                         bounds=(1.0, len(comparison.methods)))
            ax.set_ylim(0.9, len(comparison.methods) + 0.1)
        ax.set_title(f"space {space} ({curves.n_runs} runs)", fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(spaces):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("trials")
    for row in axes:
        row[0].set_ylabel("mean normalised regret" if metric == "regret" else "mean rank (1 = best)")
    for col, ax in enumerate(axes[-1]):  # the last row may be short: label the panels above the gaps
        if not ax.get_visible():
            above = axes[:, col][[a.get_visible() for a in axes[:, col]]][-1]
            above.set_xlabel("trials")
            above.xaxis.set_tick_params(labelbottom=True)
    name = "Normalised regret" if metric == "regret" else "Rank"
    fig.suptitle(f"{title or 'HPO-B'}: {name.lower()} per search space, 95% confidence bands")
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside lower center",
               ncol=_legend_columns(len(comparison.methods), max(3, 2 * ncols)), frameon=False)
    return _save(fig, path, formats)


def plot_critical_difference(cd: CriticalDifference, colors: Mapping[str, tuple], path: str | os.PathLike,
                             title: str | None = None, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Critical-difference diagram: mean ranks at one trial, bars join methods not significantly different."""
    import matplotlib.pyplot as plt
    import scikit_posthocs

    if cd.pvalues is None:
        raise ValueError("a critical-difference diagram needs at least two methods")
    n = len(cd.mean_ranks)
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.35 * n), layout="constrained")
    scikit_posthocs.critical_difference_diagram(
        cd.mean_ranks, cd.pvalues, ax=ax, alpha=cd.alpha, cd=cd.cd,
        color_palette=dict(colors), label_fmt_left="{label} ({rank:.2f})",
        label_fmt_right="({rank:.2f}) {label}", label_props={"fontsize": 10},
        crossbar_props={"color": "black", "linewidth": 2.5})
    # the rank axis spans 1..M as in Demsar's diagrams; labels may stick out of it
    ranks = list(cd.mean_ranks.values())
    ax.set_xlim(min(1.0, min(ranks)), max(float(n), max(ranks)))
    if n <= 12:
        ax.set_xticks(np.arange(1, n + 1))
    head = f"{title or 'HPO-B'}: critical difference at trial {cd.trial}"
    posthoc = "" if cd.posthoc == cd.test else f", {cd.posthoc} post-hoc"
    detail = (f"{cd.test} p = {_fmt_p(cd.p_value)}{posthoc} at alpha = {cd.alpha}, "
              f"{cd.n_runs} runs; mean rank, 1 = best")
    fig.suptitle(f"{head}\n{detail}", fontsize=10)
    return _save(fig, path, formats)


def _save(fig, path: str | os.PathLike, formats: Sequence[str]) -> list[Path]:
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = path.with_name(f"{path.name}.{fmt}")
        fig.savefig(target, dpi=200, bbox_inches="tight")
        written.append(target)
    plt.close(fig)
    return written


# ----------------------------------------------------------------------------
# Report


@dataclass
class Report:
    """What ``write_report`` produced."""

    table: str
    summary_path: Path
    figures: list[Path]
    cd: CriticalDifference
    cd_tasks: CriticalDifference | None = None


def write_report(comparison: Comparison, out_dir: str | os.PathLike, cd_trial: int | None = None,
                 title: str | None = None, summary_path: str | os.PathLike | None = None,
                 formats: Sequence[str] = ("png", "pdf")) -> Report:
    """Write every figure and the markdown summary of a comparison.

    Files in ``out_dir``: ``regret_rank.*`` (all runs), ``regret_per_space.*``,
    ``rank_per_space.*``, ``critical_difference_trial{T}.*`` and ``summary.md``
    (unless ``summary_path`` puts it elsewhere).

    Args:
        cd_trial: trial of the critical-difference diagram; default 50, or the last
            trial when fewer were run.

    Raises:
        UserError: ``cd_trial`` beyond the trials the files share.
    """
    import matplotlib

    matplotlib.use("Agg")
    out_dir = Path(out_dir)
    if cd_trial is None:
        cd_trial = min(50, comparison.n_trials)
    cd = critical_difference(comparison, cd_trial)
    cd_tasks = critical_difference(comparison, cd_trial, blocks="tasks")
    figures = plot_curves(comparison, out_dir / "regret_rank", title, formats)
    figures += plot_curves_per_space(comparison, out_dir / "regret_per_space", "regret", title, formats)
    figures += plot_curves_per_space(comparison, out_dir / "rank_per_space", "rank", title, formats)
    if len(comparison.methods) > 1:
        figures += plot_critical_difference(cd, method_colors(comparison.methods),
                                            out_dir / f"critical_difference_trial{cd_trial}", title, formats)
    summary_path = Path(summary_path) if summary_path is not None else out_dir / "summary.md"
    summary_path.parent.mkdir(parents=True, exist_ok=True)
    pngs = [os.path.relpath(f, summary_path.parent) for f in figures if f.suffix == ".png"]
    summary_path.write_text(summary_markdown(comparison, cd, title, pngs, cd_tasks), encoding="utf-8")
    return Report(summary_table(comparison), summary_path, figures, cd, cd_tasks)


def regret_distribution_table(comparison: Comparison, method: str, trials: Sequence[int] = (0, 10, 50)) -> str:
    """Per (space, dataset): median [min, max] over seeds of ``method``'s regret at each trial.

    Shows whether tasks are worth optimising: e.g. random search's regret at
    trial 0 (best of the initial design) should be clearly above 0.
    """
    if method not in comparison.methods:
        raise UserError(f"method {method!r} is not among the compared methods: {', '.join(comparison.methods)}")
    trials = [t for t in trials if t <= comparison.n_trials]
    regret = comparison.regret[comparison.methods.index(method)]           # (R, T)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (space, dataset, _seed) in enumerate(comparison.runs):
        groups[(space, dataset)].append(i)
    head = " | ".join(f"regret@{t} median [min, max]" for t in trials)
    lines = [f"| space | dataset | runs | {head} |", "| --- | --- | --- |" + " --- |" * len(trials)]
    for (space, dataset), rows in sorted(groups.items()):
        cells = []
        for t in trials:
            values = regret[rows, t]
            cells.append(f"{np.median(values):.4f} [{values.min():.4f}, {values.max():.4f}]")
        lines.append(f"| {space} | {dataset} | {len(rows)} | " + " | ".join(cells) + " |")
    cells = []
    for t in trials:
        values = regret[:, t]
        cells.append(f"{np.median(values):.4f} [{values.min():.4f}, {values.max():.4f}]")
    lines.append(f"| all | all | {len(regret)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass
class Reproduction:
    """Two results files of the same method compared run by run (see :func:`reproduction`)."""

    common: int                       # runs in both
    identical: int                    # runs with the same curve, value for value
    first_difference: dict            # run (space, dataset, seed) -> first trial where the curves differ
    mean_regret: dict                 # trial -> (mean regret of the first file, of the second), common runs
    only_first: int                   # runs in the first file alone
    only_second: int                  # runs in the second file alone

    def markdown(self, names: tuple[str, str], trials: Sequence[int]) -> str:
        lines = [f"{self.common} runs in both ({self.only_first} only in {names[0]}, {self.only_second} only in "
                 f"{names[1]}); {self.identical} identical, {self.common - self.identical} different.", ""]
        if self.common:
            lines += ["| trial | mean regret, " + names[0] + " | mean regret, " + names[1] + " |", "| --- | --- | --- |"]
            lines += [f"| {t} | {self.mean_regret[t][0]:.4f} | {self.mean_regret[t][1]:.4f} |" for t in trials
                      if t in self.mean_regret]
        if self.first_difference:
            lines += ["", "First trial at which a run differs: " + ", ".join(
                f"{'/'.join(run)} at {t}" for run, t in sorted(self.first_difference.items()))]
        return "\n".join(lines) + "\n"


def reproduction(first: Results, second: Results, trials: Sequence[int] = SUMMARY_TRIALS) -> Reproduction:
    """Which runs of two results files have the same incumbent curve (exactly), where the others part, and
    the mean regret (1 - incumbent) of each over the runs both have, at ``trials`` within the curves."""
    a, b = runs_of(first), runs_of(second)
    common = sorted(set(a) & set(b))
    first_difference = {}
    for run in common:
        x, y = a[run], b[run]
        if x != y:
            first_difference[run] = next((t for t, (u, v) in enumerate(zip(x, y)) if u != v), min(len(x), len(y)))
    mean_regret = {}
    for t in trials:
        pairs = [(a[run][t], b[run][t]) for run in common if t < len(a[run]) and t < len(b[run])]
        if len(pairs) == len(common) and pairs:
            mean_regret[t] = tuple(float(np.mean([1.0 - p[i] for p in pairs])) for i in (0, 1))
    return Reproduction(len(common), len(common) - len(first_difference), first_difference, mean_regret,
                        len(set(a) - set(b)), len(set(b) - set(a)))
