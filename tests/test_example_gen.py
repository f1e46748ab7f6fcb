import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import example_gen
from hpogen import runner
from hpogen.results import load_results

REPO = runner.REPO_ROOT


def run_gen(tiny_hpob, tmp_path, *extra):
    data_dir, surr_dir = tiny_hpob
    argv = ["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--out", str(tmp_path / "res"),
            "--plot-dir", str(tmp_path / "plots"), "--quiet", *extra]
    return example_gen.main(argv)


def check_results(results, spaces_datasets, seeds, trials):
    for space, datasets in spaces_datasets.items():
        assert sorted(results[space]) == sorted(datasets)
        for dataset in datasets:
            assert sorted(results[space][dataset]) == sorted(seeds)
            for curve in results[space][dataset].values():
                assert len(curve) == trials + 1
                assert all(0 <= v <= 1 for v in curve)
                assert all(b >= a for a, b in zip(curve, curve[1:]))


def test_random_search_end_to_end_both_protocols(tiny_hpob, tmp_path):
    seeds = [f"test{i}" for i in range(5)]
    assert run_gen(tiny_hpob, tmp_path, "--method", "RS", "--search-spaces", "100", "--trials", "5") == 0
    check_results(load_results(tmp_path / "res" / "RS.json"), {"100": ["5", "6"]}, seeds, 5)
    assert (tmp_path / "res" / "timings" / "RS.json").is_file()
    assert (tmp_path / "plots" / "RS-regret.png").stat().st_size > 10_000
    assert run_gen(tiny_hpob, tmp_path, "--method", "RS", "--protocol", "discrete", "--trials", "4") == 0
    check_results(load_results(tmp_path / "res" / "discrete" / "RS.json"),
                  {"100": ["5", "6"], "200": ["5", "6"]}, seeds, 4)
    assert (tmp_path / "plots" / "RS-discrete-regret.png").is_file()


def test_gen_vae_end_to_end(tiny_hpob, tmp_path):
    assert run_gen(tiny_hpob, tmp_path, "--search-spaces", "200", "--datasets", "6", "--seeds", "test0", "test3",
                   "--trials", "3") == 0
    results = load_results(tmp_path / "res" / "GEN-VAE.json")
    check_results(results, {"200": ["6"]}, ["test0", "test3"], 3)


def test_same_method_seed_same_results_and_resume_matches_uninterrupted(tiny_hpob, tmp_path):
    common = ["--method", "RS", "--search-spaces", "100", "--trials", "6"]
    assert run_gen(tiny_hpob, tmp_path / "a", *common) == 0
    # an "interrupted" sweep: only some runs were done, then the full command again
    assert run_gen(tiny_hpob, tmp_path / "b", *common, "--datasets", "6", "--seeds", "test1", "test4") == 0
    partial = (tmp_path / "b" / "res" / "RS.json").read_bytes()
    assert run_gen(tiny_hpob, tmp_path / "b", *common) == 0
    full_a = (tmp_path / "a" / "res" / "RS.json").read_bytes()
    assert (tmp_path / "b" / "res" / "RS.json").read_bytes() == full_a != partial
    assert run_gen(tiny_hpob, tmp_path / "c", *common, "--method-seed", "1") == 0
    assert (tmp_path / "c" / "res" / "RS.json").read_bytes() != full_a


@pytest.mark.parametrize("extra, message", [
    (["--search-spaces", "999"], "unknown search space '999'; valid: 100, 200"),
    (["--datasets", "42"], "none of the datasets 42 is a test dataset of space 100"),
    (["--seeds", "test7"], "unknown seed 'test7'; valid: test0, test1, test2, test3, test4"),
    (["--trials", "0"], "--trials must be >= 1, got 0"),
    (["--jobs", "0"], "--jobs must be >= 1, got 0"),
    (["--fine-tune-steps", "-1"], "--fine-tune-steps must be >= 0"),
    (["--checkpoint-dir", "/nonexistent-ckpts"], "no checkpoint for search space 100 in /nonexistent-ckpts"),
    (["--device", "cuda"], "CUDA is not available"),
])
def test_user_errors_are_one_line_and_nonzero(tiny_hpob, tmp_path, capsys, extra, message):
    if "--device" in extra:
        import torch
        if torch.cuda.is_available():
            pytest.skip("CUDA is available here")
    args = ["--search-spaces", "100"] if "--search-spaces" not in extra else []
    code = run_gen(tiny_hpob, tmp_path, "--trials", "2", *args, *extra) if "--trials" not in extra else \
        run_gen(tiny_hpob, tmp_path, *args, *extra)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_missing_data_dir_and_surrogates(tmp_path, tiny_hpob, capsys):
    assert example_gen.main(["--data-dir", str(tmp_path / "nope"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "download_hpob.py" in err
    data_dir, _ = tiny_hpob
    code = example_gen.main(["--data-dir", str(data_dir), "--surrogates-dir", str(tmp_path / "nosurr"),
                             "--search-spaces", "100", "--out", str(tmp_path / "r"), "--quiet"])
    assert code == 2 and "nosurr" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_no_data_at_all_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "REAL_DATA_DIR", tmp_path / "hpob-data")
    monkeypatch.setattr(runner, "MINI_DATA_DIR", tmp_path / "mini" / "hpob-data")
    assert example_gen.main(["--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no benchmark data found" in err and "download_hpob.py" in err and "\n" not in err


def test_corrupt_results_file_is_refused_and_kept(tiny_hpob, tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    (out / "RS.json").write_text('{"100": {"5": {"test0": [0.1, 0.')
    assert run_gen(tiny_hpob, tmp_path, "--method", "RS", "--search-spaces", "100", "--trials", "2") == 2
    assert "corrupt or truncated" in capsys.readouterr().err
    assert (out / "RS.json").read_text() == '{"100": {"5": {"test0": [0.1, 0.'


def test_resuming_with_other_trial_count_is_refused(tiny_hpob, tmp_path, capsys):
    assert run_gen(tiny_hpob, tmp_path, "--method", "RS", "--search-spaces", "100", "--trials", "3") == 0
    assert run_gen(tiny_hpob, tmp_path, "--method", "RS", "--search-spaces", "100", "--trials", "4") == 2
    assert "pass --trials 3 to resume it" in capsys.readouterr().err


def test_script_help_and_exit_code():
    out = subprocess.run([sys.executable, str(REPO / "example_gen.py"), "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--protocol" in out.stdout and "--method-seed" in out.stdout
    out = subprocess.run([sys.executable, str(REPO / "example_gen.py"), "--data-dir", "/nonexistent", "--quiet"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_unknown_method_is_one_line(tiny_hpob, tmp_path, capsys):
    assert run_gen(tiny_hpob, tmp_path, "--method", "BOHB", "--trials", "2") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: unknown method 'BOHB'; valid: GEN-VAE, RS, GP-BO, TPE, GP-Optuna, SMAC"]


def test_corrupt_checkpoint_and_surrogate_are_one_line_errors(tiny_hpob, tmp_path, capsys):
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "100.pt").write_bytes(b"garbage")
    assert run_gen(tiny_hpob, tmp_path, "--search-spaces", "100", "--trials", "2",
                   "--checkpoint-dir", str(ckpt)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "100.pt is corrupt" in err[0]
    _, surr_dir = tiny_hpob
    (surr_dir / "surrogate-100-5.json").write_text("{not json")
    assert run_gen(tiny_hpob, tmp_path, "--method", "RS", "--search-spaces", "100", "--trials", "2") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "surrogate-100-5.json is corrupt" in err[0]


def test_constant_y_dataset_is_handled(tiny_hpob, tmp_path):
    import orjson

    data_dir, surr_dir = tiny_hpob
    path = data_dir / "meta-test-dataset.json"
    data = orjson.loads(path.read_bytes())
    data["200"]["5"]["y"] = [[0.7]] * len(data["200"]["5"]["y"])
    path.write_bytes(orjson.dumps(data))
    stats = orjson.loads((surr_dir / "summary-stats.json").read_bytes())
    stats["surrogate-200-5"] = {"y_min": 0.7, "y_max": 0.7}
    (surr_dir / "summary-stats.json").write_bytes(orjson.dumps(stats))
    for protocol in ("continuous", "discrete"):
        assert run_gen(tiny_hpob, tmp_path, "--method", "RS", "--search-spaces", "200", "--datasets", "5",
                       "--trials", "3", "--protocol", protocol) == 0
    # every configuration is optimal: regret 0 from the initial design on
    assert load_results(tmp_path / "res" / "RS.json")["200"]["5"]["test0"] == [1.0] * 4
    assert load_results(tmp_path / "res" / "discrete" / "RS.json")["200"]["5"]["test0"] == [1.0] * 4


def test_default_outputs_go_to_the_git_ignored_runs_folder(tiny_hpob, tmp_path, monkeypatch, capsys):
    """Without --out, results and plot go to runs/<benchmark>/; with --out, the plot follows it."""
    monkeypatch.setattr(runner, "RUNS_DIR", tmp_path / "runs")
    data_dir, surr_dir = tiny_hpob
    common = ["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--method", "RS",
              "--search-spaces", "200", "--trials", "2", "--quiet"]
    assert example_gen.main(common) == 0
    default = tmp_path / "runs" / data_dir.parent.name
    assert (default / "RS.json").is_file() and (default / "RS-regret.png").is_file()
    assert f"results {default / 'RS.json'}; plot {default / 'RS-regret.png'}" in capsys.readouterr().out
    assert example_gen.main([*common, "--out", str(tmp_path / "mine"), "--protocol", "discrete"]) == 0
    assert (tmp_path / "mine" / "discrete" / "RS.json").is_file()
    assert (tmp_path / "mine" / "RS-discrete-regret.png").is_file()
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [data_dir.parent.name]


def test_default_run_writes_nothing_git_tracks():
    """runs/ (the default outputs) is ignored by git; the reported results/ and plots/ are elsewhere."""
    import shutil

    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("runs/mini/GEN-VAE.json", "runs/mini/GEN-VAE-regret.png", "runs/mini/checkpoints/mini-svm.pt"):
        assert subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", path]).returncode == 0, path
    bench = runner.Benchmark("mini", runner.MINI_DATA_DIR, runner.MINI_SURROGATES_DIR, None,
                             REPO / "results" / "mini", REPO / "plots" / "mini", None)
    assert bench.runs_dir == REPO / "runs" / "mini"
    parser = example_gen.build_parser()
    assert parser.get_default("out") is None and parser.get_default("plot_dir") is None


def test_default_spaces_depend_on_the_data_not_its_folder():
    class Handler:
        def __init__(self, spaces):
            self.spaces = spaces

        def get_search_spaces(self):
            return self.spaces

    assert runner.default_spaces(Handler(["mini-svm", "mini-xgboost"])) == ["mini-xgboost"]  # a copy elsewhere
    assert runner.default_spaces(Handler(["4796", "5971", "mini-xgboost"])) == ["5971"]
    assert runner.default_spaces(Handler(["100", "200"])) == ["100", "200"]


def test_meta_train_writes_to_the_runs_folder_unless_asked(tiny_hpob, tmp_path, monkeypatch, capsys):
    import meta_train

    written = []

    def fake_meta_train_space(data_dir, space, out, cfg, device="cpu", progress=True):
        written.append(Path(out))
        return {"train_datasets": ["1"], "validation_datasets": ["4"], "seconds": 0.0, "best_val_loss": 0.0,
                "best_step": 0, "checkpoint": str(Path(out) / f"{space}.pt"), "plot": str(Path(out) / "x.png")}

    monkeypatch.setattr(meta_train, "meta_train_space", fake_meta_train_space)
    monkeypatch.setattr(runner, "RUNS_DIR", tmp_path / "runs")
    data_dir, _ = tiny_hpob
    argv = ["--data-dir", str(data_dir), "--search-space", "200", "--threads", "1", "--quiet"]
    assert meta_train.main(argv) == 0
    default = tmp_path / "runs" / data_dir.parent.name / "checkpoints"
    assert written == [default] and f"--checkpoint-dir {default}" in capsys.readouterr().out
    assert meta_train.main([*argv, "--out", str(tmp_path / "mine")]) == 0
    assert written[-1] == tmp_path / "mine"
