"""Tests of hpogen.compare and benchmark_plot.py: alignment, statistics, files, errors, HPO-B's numbers."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import benchmark_plot  # noqa: E402
from hpogen.compare import (  # noqa: E402
    align_results, critical_difference, curve_stats, find_results_files, load_comparison, mean_and_band,
    paired_table, rank_methods, snap_ties, summary_markdown, summary_table, write_report)
from hpogen.errors import UserError  # noqa: E402

# HPO-B's published results files: python download_hpob.py --baselines puts them in results/published
PUBLISHED_DIRS = [REPO / "results" / "published", REPO.parent / "shared" / "hpob" / "results"]
PUBLISHED = next((d for d in PUBLISHED_DIRS if (d / "RS-C.json").is_file()), PUBLISHED_DIRS[0])
NO_PUBLISHED = "HPO-B's published results are not in results/published (python download_hpob.py --baselines)"


def write_json(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(data))
    return path


def curve(start: float, step: float, n_values: int) -> list[float]:
    """A non-decreasing incumbent curve capped at 1.0."""
    return [min(1.0, start + step * i) for i in range(n_values)]


def synthetic(n_values: int = 11, spaces=("1", "2"), datasets=("10", "11"), seeds=("test0", "test1"),
              step: float = 0.01) -> dict:
    return {s: {d: {seed: curve(0.5 + 0.01 * k, step, n_values)
                    for k, seed in enumerate(seeds)} for d in datasets} for s in spaces}


# ----------------------------------------------------------------------------
# alignment


def test_short_runs_are_padded_with_their_last_value():
    a = synthetic()
    a["1"]["10"]["test0"] = [0.9, 0.95, 1.0]  # reached the optimum at trial 2
    comparison = align_results({"A": a, "B": synthetic()})
    run = comparison.runs.index(("1", "10", "test0"))
    np.testing.assert_allclose(comparison.incumbents[0, run], [0.9, 0.95] + [1.0] * 9)
    assert comparison.padded == {"A": 1, "B": 0}
    assert comparison.unfinished == {"A": 0, "B": 0}     # stopped at the optimum: HPO-B's early stop
    assert comparison.incumbents.shape == (2, 8, 11)


def test_a_short_run_below_the_optimum_is_reported_as_truncated(tmp_path, capsys):
    a = synthetic()
    a["1"]["10"]["test0"] = [0.5, 0.7]        # stopped below the optimum: not an early stop
    assert align_results({"A": a, "B": synthetic()}).unfinished == {"A": 1, "B": 0}
    write_json(tmp_path / "res" / "A.json", a)
    write_json(tmp_path / "res" / "B.json", synthetic())
    assert benchmark_plot.main([str(tmp_path / "res"), "--out-dir", str(tmp_path / "plots")]) == 0
    assert "warning: shorter runs that stopped below the optimum (truncated" in capsys.readouterr().err
    assert "stopped below the optimum (truncated, not an early stop; padded all the same): A 1." in \
        (tmp_path / "plots" / "summary.md").read_text()


def test_files_of_different_lengths_are_cut_to_the_shortest():
    comparison = align_results({"long": synthetic(n_values=101), "short": synthetic(n_values=51)})
    assert comparison.n_trials == 50
    assert comparison.lengths == {"long": 101, "short": 51}
    table = summary_table(comparison)
    row = next(line for line in table.splitlines() if line.startswith("| long "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # method, regret@10, @25, @50, @100, rank@10, @25, @50, @100
    assert cells[4] == "–" and cells[8] == "–"
    assert cells[3] != "–" and cells[7] != "–"


def test_methods_are_aligned_on_common_runs_and_missing_runs_listed():
    a, b = synthetic(), synthetic()
    del a["2"]["11"]["test1"]
    del b["1"]["10"]["test0"]
    b["3"] = {"30": {"test0": [0.5, 0.6]}}  # a space A never ran
    comparison = align_results({"A": a, "B": b})
    assert len(comparison.runs) == 6
    assert ("1", "10", "test0") not in comparison.runs
    assert comparison.missing == {("1", "10", "test0"): ["B"], ("2", "11", "test1"): ["A"],
                                  ("3", "30", "test0"): ["A"]}
    markdown = summary_markdown(comparison)
    assert "Missing runs (present for some methods, not all; left out): 3" in markdown
    assert "space 3: all 1 runs" in markdown and "space 2: 11/test1" in markdown


def test_space_filter_and_errors():
    comparison = align_results({"A": synthetic(), "B": synthetic()}, spaces=["2"])
    assert comparison.spaces == ["2"] and len(comparison.runs) == 4
    with pytest.raises(UserError, match="no results for space"):
        align_results({"A": synthetic()}, spaces=["99"])
    with pytest.raises(UserError, match="no .* run is common"):
        align_results({"A": synthetic(spaces=("1",)), "B": synthetic(spaces=("2",))})


# ----------------------------------------------------------------------------
# statistics


def test_regret_is_one_minus_incumbent_averaged_over_runs():
    a = {"1": {"10": {"test0": [0.2, 0.6, 0.9], "test1": [0.4, 0.4, 1.0]}}}
    b = {"1": {"10": {"test0": [0.2, 0.7, 0.7], "test1": [0.4, 0.5, 1.0]}}}
    curves = curve_stats(align_results({"A": a, "B": b}))
    np.testing.assert_allclose(curves.regret_mean, [[0.7, 0.5, 0.05], [0.7, 0.4, 0.15]])
    # trial 0 tie, trial 1: B better on both runs, trial 2: A better on one, tie on the other
    np.testing.assert_allclose(curves.rank_mean, [[1.5, 2.0, 1.25], [1.5, 1.0, 1.75]])


def test_ranks_share_the_average_on_ties_and_near_ties():
    regret = np.array([[0.1, 0.3], [0.1, 0.3 + 1e-16], [0.2, 0.3 + 1e-6], [0.05, 0.0]])  # (M=4, 2)
    np.testing.assert_allclose(rank_methods(regret), [[2.5, 2.5], [2.5, 2.5], [4, 4], [1, 1]])
    chained = snap_ties(np.array([0.0, 0.6e-12, 1.2e-12, 1.0]))
    assert chained[0] == chained[1] == chained[2] == 0.0 and chained[3] == 1.0


def test_confidence_band_is_the_student_t_interval():
    values = np.array([[1.0, 2.0], [2.0, 2.0], [4.0, 2.0]])
    mean, half = mean_and_band(values, axis=0)
    expected = stats.t.ppf(0.975, 2) * np.std([1, 2, 4], ddof=1) / math.sqrt(3)
    np.testing.assert_allclose(mean, [7 / 3, 2.0])
    np.testing.assert_allclose(half, [expected, 0.0])


def test_bands_are_cut_to_what_ranks_and_regrets_can_be():
    """A mean rank's band stops at 1 and at the number of methods, a regret's at 1 and at a tenth of its mean."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hpogen.compare import _draw_curves

    trials = np.arange(3)
    mean = np.array([[1.1, 1.2, 1.0], [2.9, 2.8, 3.0], [0.5, 0.05, 0.9]])
    half = np.array([[0.4, 0.4, 0.0], [0.4, 0.4, 0.0], [0.6, 0.6, 0.6]])
    colors = {"A": "C0", "B": "C1", "C": "C2"}
    fig, (ax_rank, ax_regret) = plt.subplots(1, 2)
    _draw_curves(ax_rank, trials, mean[:2], half[:2], colors, ["A", "B"], log=False, bounds=(1.0, 3.0))
    _draw_curves(ax_regret, trials, mean[2:], half[2:], colors, ["C"], log=True, bounds=(0.0, 1.0))
    bands = [c.get_paths()[0].vertices[:, 1] for c in ax_rank.collections]
    assert bands[0].min() == pytest.approx(1.0) and bands[0].max() == pytest.approx(1.6)
    assert bands[1].min() == pytest.approx(2.4) and bands[1].max() == pytest.approx(3.0)
    regret_band = ax_regret.collections[0].get_paths()[0].vertices[:, 1]
    assert regret_band.max() == pytest.approx(1.0)     # 0.9 + 0.6 is cut at 1
    assert regret_band.min() == pytest.approx(0.005)   # 0.05 - 0.6 is cut at a tenth of the mean
    plt.close(fig)


def test_per_dataset_band_is_the_student_t_interval_cut_at_regret_one(tmp_path, monkeypatch):
    from hpogen import curves

    drawn = {}
    monkeypatch.setattr(curves, "save_figure", lambda fig, path: drawn.setdefault("fig", fig))
    seeds = {"test0": [0.0, 0.9], "test1": [0.5, 0.9], "test2": [0.6, 1.0]}   # regrets 1, .5, .4 then .1, .1, 0
    curves.plot_regret_per_dataset({"1": {"10": seeds}}, tmp_path / "x.png", "t")
    band = drawn["fig"].axes[0].collections[0].get_paths()[0].vertices
    half = stats.t.ppf(0.975, 2) * np.std([0.1, 0.1, 0.0], ddof=1) / math.sqrt(3)
    at_1 = band[np.isclose(band[:, 0], 1.0), 1]
    assert 0.2 / 3 < half    # the lower edge falls to the log axis' floor, the upper is mean + t half-width
    np.testing.assert_allclose(sorted(set(np.round(at_1, 12))), [curves.REGRET_FLOOR, 0.2 / 3 + half])
    assert band[:, 1].max() == pytest.approx(1.0)   # trial 0: mean 0.633 plus a half-width above 0.37 is cut at 1
    import matplotlib.pyplot as plt
    plt.close(drawn["fig"])


def test_critical_difference_finds_the_better_method():
    rng = np.random.default_rng(0)
    results = {}
    for name, shift in [("good", 0.2), ("mid", 0.0), ("bad", -0.2)]:
        results[name] = {"1": {str(d): {f"test{s}": [0.5 + shift + 0.05 * rng.random()]
                                        for s in range(5)} for d in range(6)}}
    comparison = align_results(results)
    cd = critical_difference(comparison, trial=0)
    assert cd.test == "Friedman" and cd.p_value < 1e-6
    assert cd.mean_ranks == {"good": 1.0, "mid": 2.0, "bad": 3.0}
    assert cd.pvalues.loc["good", "bad"] < 0.05
    assert cd.cd is not None and cd.cd > 0
    two = critical_difference(align_results({k: results[k] for k in ["good", "bad"]}), trial=0)
    assert two.test == "Wilcoxon signed-rank" and two.p_value < 0.05
    with pytest.raises(UserError, match="outside the 0..0 trials"):
        critical_difference(comparison, trial=5)


# ----------------------------------------------------------------------------
# loading, files and the script


def test_folders_skip_their_timings_folder_and_timings_give_median_seconds(tmp_path):
    write_json(tmp_path / "A.json", synthetic())
    write_json(tmp_path / "B.json", synthetic(step=0.02))
    write_json(tmp_path / "timings" / "A.json", {s: {d: {seed: [0.5] * 5 + [2.0] * 5 for seed in seeds.keys()}
                                                     for d, seeds in ds.items()} for s, ds in synthetic().items()})
    assert list(find_results_files([tmp_path])) == ["A", "B"]
    comparison = load_comparison([tmp_path], methods=["B", "A"])
    assert comparison.methods == ["B", "A"]
    assert comparison.seconds["B"] is None and np.median(comparison.seconds["A"]) == pytest.approx(1.25)
    table = summary_table(comparison)
    assert "median s/suggestion" in table
    assert table.splitlines()[2].endswith("| – |") and table.splitlines()[3].endswith("| 1.250 |")


def test_script_writes_figures_and_summary(tmp_path, capsys):
    write_json(tmp_path / "res" / "A.json", synthetic())
    write_json(tmp_path / "res" / "B.json", synthetic(step=0.02))
    write_json(tmp_path / "res" / "C.json", synthetic(n_values=6, step=0.03))
    out = tmp_path / "plots"
    code = benchmark_plot.main([str(tmp_path / "res"), "--out-dir", str(out), "--cd-trial", "5",
                                "--title", "synthetic"])
    assert code == 0
    for name in ["regret_rank", "regret_per_space", "rank_per_space", "critical_difference_trial5"]:
        assert (out / f"{name}.png").stat().st_size > 10_000
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{name}.pdf").stat().st_size > 0
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# synthetic")
    # C stops after 5 trials: everything is cut there, and with no summary trial (10, 25, ...) the last is shown
    assert "| method | regret@5 | rank@5 |" in summary and "| C | 0.3450 | 1.00 |" in summary
    assert "Cut to the shortest file: A has 10 trials, B has 10 trials; all compared at 5." in summary
    assert "Runs compared: 8 " in summary and "Missing runs (present for some methods, not all; left out): 0" in summary
    assert "Friedman test p = " in summary and "at trial 5 over 8 runs; post-hoc Nemenyi" in summary
    printed = capsys.readouterr().out
    assert "| method | regret@5 |" in printed and "| A |" in printed


def tiny_pair() -> dict:
    """Two methods, 2 tasks x 2 seeds, 1 trial: every number below is worked out by hand."""
    a = {"1": {"10": {"test0": [0.5, 0.9], "test1": [0.5, 0.8]}, "11": {"test0": [0.6, 0.6], "test1": [0.2, 1.0]}}}
    b = {"1": {"10": {"test0": [0.5, 0.7], "test1": [0.5, 0.8]}, "11": {"test0": [0.6, 0.7], "test1": [0.2, 0.5]}}}
    return {"A": a, "B": b}


def test_summary_table_holds_hand_computed_values(tmp_path):
    # trial 0: regrets A = B = (0.5, 0.5, 0.4, 0.8) -> mean 0.55, every run a tie -> rank 1.5
    # trial 1: A = (0.1, 0.2, 0.4, 0.0) -> 0.175, B = (0.3, 0.2, 0.3, 0.5) -> 0.325;
    #          per run A wins, tie, B wins, A wins -> ranks A (1, 1.5, 2, 1) = 1.375, B (2, 1.5, 1, 2) = 1.625
    comparison = align_results(tiny_pair())
    table = summary_table(comparison, trials=(0, 1, 5)).splitlines()
    assert table[0] == "| method | regret@0 | regret@1 | regret@5 | rank@0 | rank@1 | rank@5 |"
    assert table[2] == "| A | 0.5500 | 0.1750 | – | 1.50 | 1.38 | – |"
    assert table[3] == "| B | 0.5500 | 0.3250 | – | 1.50 | 1.62 | – |"
    report = write_report(comparison, tmp_path, cd_trial=1, formats=("png",),
                          summary_path=tmp_path / "deep" / "summary.md")
    assert report.table.splitlines()[2] == "| A | 0.1750 | 1.38 |"  # no trial 10 here: the last trial instead
    summary = (tmp_path / "deep" / "summary.md").read_text()
    assert "](../regret_rank.png)" in summary
    # two methods: exact Wilcoxon on the 3 runs that differ (A - B = -0.2, +0.1, -0.5: W+ = 1, and 2 of the
    # 8 sign patterns have W <= 1, two-sided p = 0.5); on the 2 task means (0.15 vs 0.25, 0.2 vs 0.4)
    # W = 0, 1 of 4 patterns, two-sided p = 0.5
    assert "Wilcoxon signed-rank test p = 0.5 at trial 1 over 4 runs" in summary
    assert "On task means: Wilcoxon signed-rank test p = 0.5 at trial 1 over 2 tasks" in summary
    assert "Mean ranks over tasks: A 1.00, B 2.00." in summary
    # A reached the optimum on one run of four at trial 1, the last one (no summary trial is reached)
    assert "| method | at optimum @1 |" in summary and "| A | 25% |" in summary and "| B | 0% |" in summary


def test_share_of_runs_at_the_optimum():
    from hpogen.compare import optimum_share

    table = optimum_share(align_results(tiny_pair()), trials=(0, 1, 10)).splitlines()
    assert table == ["| method | at optimum @0 | at optimum @1 |", "| --- | --- | --- |",
                     "| A | 0% | 25% |", "| B | 0% | 0% |"]


def three_methods_four_tasks() -> dict:
    """Task means A < B < C on three tasks, A < C < B on the fourth; seeds at mean +- 0.05."""
    means = {"A": [0.1, 0.1, 0.1, 0.1], "B": [0.2, 0.2, 0.2, 0.3], "C": [0.3, 0.3, 0.3, 0.2]}
    return {m: {"1": {f"d{k}": {"test0": [1 - (v + 0.05)], "test1": [1 - (v - 0.05)]}
                      for k, v in enumerate(values)}} for m, values in means.items()}


def test_friedman_and_nemenyi_on_task_means_by_hand():
    comparison = align_results(three_methods_four_tasks())
    # tasks: rank sums A 4, B 9, C 11 over n = 4 blocks, k = 3:
    # chi2 = 12 / (n k (k + 1)) * (16 + 81 + 121) - 3 n (k + 1) = 54.5 - 48 = 6.5; df 2 -> p = exp(-6.5 / 2)
    tasks = critical_difference(comparison, trial=0, blocks="tasks")
    assert tasks.n_runs == 4 and tasks.blocks == "tasks"
    assert tasks.p_value == pytest.approx(math.exp(-3.25))
    assert tasks.mean_ranks == pytest.approx({"A": 1.0, "B": 2.25, "C": 2.75})
    # Nemenyi: q(0.05, 3, inf) / sqrt(2) = 2.3437 -> CD = 2.3437 * sqrt(3 * 4 / (6 * 4))
    assert tasks.cd == pytest.approx(2.3437 * math.sqrt(0.5), abs=1e-3)
    assert "over 4 tasks ((space, dataset), regret averaged over seeds)" in tasks.describe()
    # runs: each seed keeps its task's order, so the same rank sums doubled over n = 8 blocks:
    # chi2 = 12 / 96 * (64 + 324 + 484) - 96 = 13 -> p = exp(-6.5); the run-level test is the stronger one
    runs = critical_difference(comparison, trial=0)
    assert runs.n_runs == 8 and runs.p_value == pytest.approx(math.exp(-6.5))
    assert runs.cd == pytest.approx(2.3437 * math.sqrt(0.25), abs=1e-3)


@pytest.mark.parametrize("make_args, message", [
    (lambda d: [str(d / "empty")], "no results files"),
    (lambda d: [str(d / "nowhere")], "does not exist"),
    (lambda d: [str(d / "res"), "--methods", "A", "Z"], "unknown method(s) Z"),
    (lambda d: [str(d / "res"), str(d / "bad" / "A.json")], "both named 'A'"),
    (lambda d: [str(d / "bad" / "corrupt.json")], "corrupt.json is corrupt or truncated"),
    (lambda d: [str(d / "res"), "--cd-trial", "50"], "outside the 0..10 trials"),
    (lambda d: [str(d / "res"), "--spaces", "7"], "no results for space(s) 7"),
])
def test_script_reports_bad_input_in_one_line(tmp_path, capsys, make_args, message):
    (tmp_path / "empty").mkdir()
    write_json(tmp_path / "res" / "A.json", synthetic())
    write_json(tmp_path / "res" / "B.json", synthetic())
    write_json(tmp_path / "bad" / "A.json", synthetic())
    (tmp_path / "bad" / "corrupt.json").write_text('{"1": {"10": {"test0": [0.1, 0.')
    code = benchmark_plot.main(make_args(tmp_path) + ["--out-dir", str(tmp_path / "plots")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


# ----------------------------------------------------------------------------
# HPO-B's published numbers (FORMAT.md)


@pytest.mark.skipif(not PUBLISHED.is_dir(), reason=NO_PUBLISHED)
def test_reproduces_the_published_continuous_numbers():
    files = [PUBLISHED / f"{name}.json" for name in ["RS-C", "GP-C", "DGP-C"]]
    comparison = load_comparison(files, methods=["RS-C", "GP-C", "DGP-C"])
    assert len(comparison.runs) == 430 and len(comparison.spaces) == 16 and not comparison.missing
    curves = curve_stats(comparison)
    regret = {"RS-C": [0.0917, 0.0777, 0.0660, 0.0561], "GP-C": [0.0822, 0.0525, 0.0428, 0.0358],
              "DGP-C": [0.0835, 0.0576, 0.0417, 0.0301]}
    rank = {"RS-C": [2.31, 2.40, 2.46], "GP-C": [1.76, 1.79, 1.78], "DGP-C": [1.92, 1.82, 1.76]}
    for i, method in enumerate(comparison.methods):
        assert [round(curves.regret_mean[i, t], 4) for t in (10, 25, 50, 100)] == regret[method]
        assert [round(curves.rank_mean[i, t], 2) for t in (25, 50, 100)] == rank[method]


@pytest.mark.skipif(not (PUBLISHED / "GEN-VAE.json").is_file(),
                    reason="the prototype's GEN-VAE.json (not published by HPO-B) is not beside the published files")
def test_reproduces_the_published_space_5971_numbers_with_gen_vae_cut_to_50_trials():
    names = ["GEN-VAE", "RS-C", "GP-C", "DGP-C"]
    comparison = load_comparison([PUBLISHED / f"{n}.json" for n in names], methods=names)
    assert comparison.n_trials == 50 and comparison.spaces == ["5971"] and len(comparison.runs) == 30
    assert len(comparison.missing) == 400 and all(m == ["GEN-VAE"] for m in comparison.missing.values())
    curves = curve_stats(comparison)
    expected = {"GEN-VAE": [0.0790, 0.0716, 0.0707, 0.0701], "RS-C": [0.0790, 0.0478, 0.0295, 0.0242],
                "GP-C": [0.0790, 0.0402, 0.0167, 0.0091], "DGP-C": [0.0790, 0.0406, 0.0226, 0.0105]}
    for i, method in enumerate(comparison.methods):
        assert [round(curves.regret_mean[i, t], 4) for t in (0, 10, 25, 50)] == expected[method]


@pytest.mark.skipif(not PUBLISHED.is_dir(), reason=NO_PUBLISHED)
def test_reproduces_the_published_discrete_numbers():
    names = ["Random", "GP", "DGP", "FSBO"]
    comparison = load_comparison([PUBLISHED], methods=names)
    curves = curve_stats(comparison)
    expected = {"Random": [0.0722, 0.0540], "GP": [0.0345, 0.0258], "DGP": [0.0281, 0.0173],
                "FSBO": [0.0210, 0.0125]}
    for i, method in enumerate(comparison.methods):
        assert [round(curves.regret_mean[i, t], 4) for t in (50, 100)] == expected[method]


def test_regret_distribution_table_per_dataset():
    from hpogen.compare import regret_distribution_table

    a = {"1": {"10": {"test0": [0.2, 0.6, 0.9], "test1": [0.4, 0.4, 1.0], "test2": [0.5, 0.5, 0.5]},
               "11": {"test0": [1.0, 1.0, 1.0]}}}
    table = regret_distribution_table(align_results({"A": a}), "A", trials=(0, 2, 50))
    lines = table.splitlines()
    assert lines[0] == "| space | dataset | runs | regret@0 median [min, max] | regret@2 median [min, max] |"
    assert lines[2] == "| 1 | 10 | 3 | 0.6000 [0.5000, 0.8000] | 0.1000 [0.0000, 0.5000] |"
    assert lines[3] == "| 1 | 11 | 1 | 0.0000 [0.0000, 0.0000] | 0.0000 [0.0000, 0.0000] |"
    assert lines[4].startswith("| all | all | 4 | 0.5500 [0.0000, 0.8000]")
    with pytest.raises(UserError, match="method 'B' is not among"):
        regret_distribution_table(align_results({"A": a}), "B")


def test_paired_table_counts_runs_tasks_and_bootstraps_over_tasks():
    # A against B at trial 0 (regret = 1 - value): task 1: A lower on both seeds (by 0.1 and 0.3);
    # task 2: A higher on one seed (by 0.2), tied on the other
    a = {"s": {"1": {"test0": [0.9], "test1": [0.8]}, "2": {"test0": [0.5], "test1": [0.7]}}}
    b = {"s": {"1": {"test0": [0.8], "test1": [0.5]}, "2": {"test0": [0.7], "test1": [0.7]}}}
    comparison = align_results({"A": a, "B": b})
    table = paired_table(comparison, trials=(0,), n_boot=2000)
    row = table.splitlines()[2].split(" | ")
    assert row[0] == "| 0" and row[1] == "2 / 1 / 1"
    assert row[2] == f"{stats.wilcoxon([0.1, 0.2, 0.5], [0.2, 0.5, 0.3]).pvalue:.3g}"
    assert row[3] == f"{np.median([0.1, 0.2, 0.5, 0.3]):.4f} / {np.median([0.2, 0.5, 0.3, 0.3]):.4f}"
    assert row[4] == "1 / 1"
    assert row[5] == f"{(-0.1 - 0.3 + 0.2 + 0.0) / 4:+.4f}"
    # resampling two tasks: the mean difference is -0.2 (task 1 twice), +0.1 (task 2 twice) or -0.05
    low, high = (float(v) for v in row[6].strip(" |[]").split(", "))
    assert (low, high) == (-0.2, 0.1)
    assert "Run by run" in summary_markdown(comparison)
    with pytest.raises(ValueError, match="two methods"):
        paired_table(align_results({"A": a, "B": b, "C": a}))
