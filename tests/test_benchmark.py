"""benchmark.py: several methods on the same runs, results, timings and the comparison report."""
import benchmark
from hpogen.results import load_results


def run(tiny_hpob, tmp_path, *extra):
    data_dir, surr_dir = tiny_hpob
    return benchmark.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--methods", "RS", "TPE",
                           "--search-spaces", "200", "--seeds", "test0", "test1", "--trials", "4", "--quiet",
                           "--out", str(tmp_path / "res"), "--plot-dir", str(tmp_path / "plots"), *extra])


def test_methods_run_side_by_side_on_the_same_runs(tiny_hpob, tmp_path, capsys):
    assert run(tiny_hpob, tmp_path) == 0
    rs, tpe = (load_results(tmp_path / "res" / f"{m}.json") for m in ("RS", "TPE"))
    runs = {(s, d, seed) for s in rs for d in rs[s] for seed in rs[s][d]}
    assert runs == {(s, d, seed) for s in tpe for d in tpe[s] for seed in tpe[s][d]}
    assert runs == {("200", d, seed) for d in ("5", "6") for seed in ("test0", "test1")}
    assert all(len(curve) == 5 for s in rs for d in rs[s] for curve in rs[s][d].values())
    timings = load_results(tmp_path / "res" / "timings" / "TPE.json")
    assert len(timings["200"]["5"]["test0"]) == 4                 # one wall time per suggestion
    summary = (tmp_path / "plots" / "summary.md").read_text()
    assert "| RS |" in summary and "| TPE |" in summary and "4 (space, dataset, seed) runs" in summary
    assert "at trial 4 over 4 runs" in summary and "On task means: " in summary and "at trial 4 over 2 tasks" in summary
    assert (tmp_path / "plots" / "regret_rank.png").stat().st_size > 5_000
    assert "continuous protocol" in capsys.readouterr().out


def test_discrete_protocol_goes_to_discrete_subfolders(tiny_hpob, tmp_path):
    assert run(tiny_hpob, tmp_path, "--protocol", "discrete", "--trials", "30") == 0
    summary = (tmp_path / "plots" / "discrete" / "summary.md").read_text()
    # the discrete protocol saturates: its test goes at trial 25, and the summary shows the share at the optimum
    assert "test p = " in summary and "at trial 25 over 4 runs" in summary and "at trial 25 over 2 tasks" in summary
    assert (tmp_path / "plots" / "discrete" / "critical_difference_trial25.png").is_file()
    assert set(load_results(tmp_path / "res" / "discrete" / "RS.json")["200"]) == {"5", "6"}
    assert "discrete protocol" in (tmp_path / "plots" / "discrete" / "summary.md").read_text()
    assert not (tmp_path / "res" / "RS.json").exists() and not (tmp_path / "plots" / "summary.md").exists()
