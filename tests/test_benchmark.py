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
    timings = load_results(tmp_path / "res" / "timings" / "TPE.json", incumbents=False)
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


class _Sourced:
    """A method that says where each suggestion came from, cycling through three sources."""

    def __init__(self, seed):
        self.rng, self.calls, self.last_source = __import__("numpy").random.default_rng(seed), 0, None

    def observe_and_suggest(self, X_obs, y_obs, X_pen=None):
        self.last_source = ("decoded", "uniform", "refined-decoded")[self.calls % 3]
        self.calls += 1
        return self.rng.random((1, X_obs.shape[1])) if X_pen is None else int(self.rng.integers(len(X_pen)))


def test_attribution_counts_sum_to_the_suggestions(tiny_hpob, tmp_path, monkeypatch):
    import methods
    from hpogen.results import load_sources

    real = methods.make_method
    monkeypatch.setattr(methods, "make_method",
                        lambda name, seed, **kw: _Sourced(seed) if name == "RS" else real(name, seed, **kw))
    assert run(tiny_hpob, tmp_path) == 0
    sources = load_sources(tmp_path / "res" / "sources" / "RS.json")
    assert sources["200"]["5"]["test0"] == ["decoded", "uniform", "refined-decoded", "decoded"]
    assert load_sources(tmp_path / "res" / "sources" / "TPE.json") is None   # TPE says nothing: no file
    summary = (tmp_path / "plots" / "summary.md").read_text()
    rows = [line for line in summary.splitlines() if line.startswith("| RS | ")]
    counts = {row.split(" | ")[1]: int(row.split(" | ")[2]) for row in rows if "%" in row}
    assert counts == {"decoded": 8, "uniform": 4, "refined-decoded": 4}   # 4 runs x 4 suggestions = 16
    assert "| RS | decoded | 8 | 50.0% |" in summary


def test_the_report_covers_the_runs_and_methods_asked_for(tiny_hpob, tmp_path):
    """Adding one method on a few runs to an existing results folder reports those runs, not the whole folder."""
    assert run(tiny_hpob, tmp_path) == 0
    data_dir, surr_dir = tiny_hpob
    assert benchmark.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--methods", "RS",
                           "--search-spaces", "200", "--datasets", "5", "--seeds", "test0", "--trials", "4",
                           "--quiet", "--out", str(tmp_path / "res"), "--plot-dir", str(tmp_path / "one")]) == 0
    summary = (tmp_path / "one" / "summary.md").read_text()
    assert "1 (space, dataset, seed) runs" in summary and "| RS |" in summary and "| TPE |" not in summary
    assert "4 (space, dataset, seed) runs" in (tmp_path / "plots" / "summary.md").read_text()   # left alone


def test_gen_vae_without_checkpoints_says_so(tiny_hpob, tmp_path, capsys):
    from argparse import Namespace

    from hpogen.experiment import gen_vae_checkpoint_dir
    from hpogen.runner import Benchmark

    bench = Benchmark("data", tmp_path / "hpob-data", tmp_path / "saved-surrogates", None, tmp_path, tmp_path, None)
    path, note = gen_vae_checkpoint_dir(Namespace(checkpoint_dir=None, from_scratch=False), bench, ["GEN-VAE", "RS"])
    assert path is None and "trained from scratch" in note and "--checkpoint-dir" in note
    assert gen_vae_checkpoint_dir(Namespace(checkpoint_dir=None, from_scratch=True), bench, ["GEN-VAE"]) == (None, "")
    assert gen_vae_checkpoint_dir(Namespace(checkpoint_dir=None, from_scratch=False), bench, ["RS"]) == (None, "")
    path, note = gen_vae_checkpoint_dir(Namespace(checkpoint_dir="ck", from_scratch=False), bench, ["GEN-VAE"])
    assert path.name == "ck" and note == ""
    # printed once, after the checks, before the sweep
    data_dir, surr_dir = tiny_hpob
    assert benchmark.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--methods", "GEN-VAE",
                           "--search-spaces", "200", "--datasets", "5", "--seeds", "test0", "--trials", "1",
                           "--quiet", "--out", str(tmp_path / "res"), "--plot-dir", str(tmp_path / "plots")]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert sum("trained from scratch" in line for line in err) == 1
