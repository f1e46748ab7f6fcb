"""Every row of README's "Bad input" table: one `error:` line, exit 2, no traceback, finished runs intact.

The scripts' ``main`` functions are called in this process: a traceback would be
an exception that fails the test, so exit 2 plus one stderr line is the whole
contract. One subprocess test checks the same from the outside.
"""
import os
import stat
import subprocess
import sys

import numpy as np
import orjson
import pytest

import benchmark
import benchmark_plot
import download_hpob
import example_gen
import meta_train
from hpogen import runner
from hpogen.results import load_results

REPO = runner.REPO_ROOT


def one_error_line(capsys, *fragments):
    """The captured stderr is exactly one line `error: ...` holding every fragment."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def gen(tiny_hpob, out, *extra):
    data_dir, surr_dir = tiny_hpob
    return example_gen.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--out", str(out),
                             "--quiet", *extra])


def rewrite(path, change):
    data = orjson.loads(path.read_bytes())
    change(data)
    path.write_bytes(orjson.dumps(data))


@pytest.fixture
def finished(tiny_hpob, tmp_path):
    """A results folder holding finished RS runs, and their bytes."""
    out = tmp_path / "done"
    assert gen(tiny_hpob, out, "--method", "RS", "--search-spaces", "200", "--trials", "2") == 0
    return out, (out / "RS.json").read_bytes()


# ------------------------------------------------------------------ data files
@pytest.mark.parametrize("extra", [[], ["--datasets", "5"]])
def test_empty_data_file(tiny_hpob, tmp_path, capsys, extra):
    (tiny_hpob[0] / "meta-test-dataset.json").write_bytes(b"{}")
    assert gen(tiny_hpob, tmp_path / "out", *extra) == 2
    one_error_line(capsys, "meta-test-dataset.json holds no search space with data")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("y, message", [
    (float("nan"), "100/5 has missing (null) or NaN y values in 1 row"),
    (None, "100/5 has missing (null) or NaN y values in 1 row"),
    (float("inf"), "100/5 has infinite y values in 1 row"),
])
def test_nan_null_or_infinite_y_is_named(tiny_hpob, tmp_path, capsys, y, message):
    import json

    path = tiny_hpob[0] / "meta-test-dataset.json"
    data = orjson.loads(path.read_bytes())
    data["100"]["5"]["y"][3] = [y]
    path.write_text(json.dumps(data))            # Python's json writes NaN and Infinity as bare words
    assert gen(tiny_hpob, tmp_path / "out", "--method", "RS") == 2
    line = one_error_line(capsys, message, "remove those rows")
    assert "corrupt" not in line and "download" not in line


def test_null_x_is_named(tiny_hpob, tmp_path, capsys):
    path = tiny_hpob[0] / "meta-test-dataset.json"
    rewrite(path, lambda d: d["100"]["6"]["X"][2].__setitem__(1, None))
    assert gen(tiny_hpob, tmp_path / "out", "--method", "RS") == 2
    line = one_error_line(capsys, "100/6 has missing (null) or NaN X values in 1 row")
    assert "outside [0, 1]" not in line


def test_x_outside_unit_cube_still_says_so(tiny_hpob, tmp_path, capsys):
    rewrite(tiny_hpob[0] / "meta-test-dataset.json", lambda d: d["100"]["6"]["X"][2].__setitem__(1, 1.5))
    assert gen(tiny_hpob, tmp_path / "out", "--method", "RS") == 2
    one_error_line(capsys, "100/6 has X values outside [0, 1] (min", "max 1.5)")


def test_truly_truncated_data_file_is_still_corrupt(tiny_hpob, tmp_path, capsys):
    path = tiny_hpob[0] / "meta-test-dataset.json"
    path.write_bytes(path.read_bytes()[:500])
    assert gen(tiny_hpob, tmp_path / "out", "--method", "RS") == 2
    one_error_line(capsys, "is corrupt or truncated", "download it again")


@pytest.mark.parametrize("bad_id", ["../evil", "a/b", ".."])
def test_space_or_dataset_id_that_would_leave_a_folder_is_refused(tiny_hpob, tmp_path, capsys, bad_id):
    data_dir = tiny_hpob[0]
    for name in ("meta-train-dataset.json", "meta-validation-dataset.json", "meta-test-dataset.json"):
        rewrite(data_dir / name, lambda d: d.__setitem__(bad_id, d.pop("200")))
    work = tmp_path / "work"
    work.mkdir()
    code = meta_train.main(["--data-dir", str(data_dir), "--search-space", bad_id, "--out", str(work / "ck"),
                            "--steps", "2", "--quiet"])
    assert code == 2
    one_error_line(capsys, f"search space id {bad_id!r}", "cannot be used in a file name")
    assert list(work.iterdir()) == [] and not (tmp_path / "evil.pt").exists()
    # the same id reached through the data (another space asked for) is refused too
    assert meta_train.main(["--data-dir", str(data_dir), "--search-space", "100", "--out", str(work / "ck"),
                            "--steps", "2", "--quiet"]) == 2
    one_error_line(capsys, f"search space id {bad_id!r} in ", "cannot be used in a file name")
    assert list(work.iterdir()) == []


def test_dataset_id_with_a_separator_is_refused(tiny_hpob, tmp_path, capsys):
    rewrite(tiny_hpob[0] / "meta-test-dataset.json", lambda d: d["100"].__setitem__("x/../../y", d["100"].pop("5")))
    assert gen(tiny_hpob, tmp_path / "out", "--method", "RS") == 2
    one_error_line(capsys, "dataset id 'x/../../y'", "cannot be used in a file name")


# ------------------------------------------------------- surrogates, checkpoints
@pytest.mark.parametrize("garbage", [b"\xff\xfe\x00garbage", b'{"learner": "\xff\xfe"}', bytes(range(256))])
def test_surrogate_of_random_bytes(tiny_hpob, tmp_path, capsys, finished, garbage):
    out, before = finished
    (tiny_hpob[1] / "surrogate-200-5.json").write_bytes(garbage)
    assert gen(tiny_hpob, out, "--method", "RS", "--search-spaces", "200", "--trials", "2", "--seeds", "test0",
               "--method-seed", "1") == 2
    one_error_line(capsys, "surrogate-200-5.json is corrupt")
    assert (out / "RS.json").read_bytes() == before


def test_checkpoint_of_another_dimension_under_the_right_space_id(tiny_hpob, tmp_path, capsys):
    from methods.generative_hpo import GenerativeHPOConfig, GenerativeHPOModel, save_checkpoint

    ckpt = tmp_path / "ckpt"
    save_checkpoint(ckpt / "100.pt", GenerativeHPOModel(2, GenerativeHPOConfig()), "100")  # space 100 has d=3
    assert gen(tiny_hpob, tmp_path / "out", "--search-spaces", "100", "--trials", "2",
               "--checkpoint-dir", str(ckpt)) == 2
    one_error_line(capsys, "100.pt is for 2-dimensional configurations, but the data has 3 dimensions")
    assert not (tmp_path / "out" / "GEN-VAE.json").exists()


# ---------------------------------------------------------------- arguments
@pytest.mark.parametrize("script, argv, message", [
    ("example_gen", ["--device", "tpu"], "unknown device 'tpu'; valid: cpu, cuda, cuda:N, auto"),
    ("meta_train", ["--device", "tpu"], "unknown device 'tpu'; valid: cpu, cuda, cuda:N, auto"),
    ("meta_train", ["--threads", "0"], "--threads must be >= 1, got 0"),
    ("meta_train", ["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
    ("meta_train", ["--val-every", "0"], "--val-every must be >= 1, got 0"),
    ("meta_train", ["--patience", "-1"], "--patience must be >= 0, got -1"),
    ("meta_train", ["--steps", "0"], "--steps must be >= 1, got 0"),
    ("meta_train", ["--seed", "-1"], "--seed must be >= 0, got -1"),
    ("benchmark", ["--device", "tpu"], "unknown device 'tpu'"),
    ("benchmark", ["--trials", "0"], "--trials must be >= 1, got 0"),
])
def test_bad_arguments_fail_before_any_work(tiny_hpob, tmp_path, capsys, script, argv, message):
    data_dir, surr_dir = tiny_hpob
    out = tmp_path / "out"
    if script == "example_gen":
        code = gen(tiny_hpob, out, "--search-spaces", "100", *argv)
    elif script == "meta_train":
        code = meta_train.main(["--data-dir", str(data_dir), "--search-space", "100", "--out", str(out),
                                "--quiet", *argv])
    else:
        code = benchmark.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--methods", "RS",
                               "--out", str(out), "--plot-dir", str(tmp_path / "plots"), "--quiet", *argv])
    assert code == 2
    one_error_line(capsys, message)
    assert not out.exists()


def test_meta_train_batch_size_zero_writes_no_checkpoint(tiny_hpob, tmp_path, capsys):
    assert meta_train.main(["--data-dir", str(tiny_hpob[0]), "--search-space", "100", "--batch-size", "0",
                            "--out", str(tmp_path / "ck"), "--quiet"]) == 2
    one_error_line(capsys, "--batch-size")
    assert not (tmp_path / "ck").exists()


# -------------------------------------------------------------- output folders
@pytest.mark.parametrize("option", ["--out", "--plot-dir"])
def test_example_gen_output_that_is_a_file(tiny_hpob, tmp_path, capsys, finished, option):
    out, before = finished
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    extra = ["--out", str(blocker)] if option == "--out" else ["--out", str(out), "--plot-dir", str(blocker / "sub")]
    data_dir, surr_dir = tiny_hpob
    code = example_gen.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--method", "RS",
                             "--search-spaces", "200", "--trials", "2", "--method-seed", "7", "--quiet", *extra])
    assert code == 2
    one_error_line(capsys, f"{option} {blocker}", "not a folder")
    assert blocker.read_text() == "keep me" and (out / "RS.json").read_bytes() == before


def test_meta_train_out_that_is_a_file(tiny_hpob, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    assert meta_train.main(["--data-dir", str(tiny_hpob[0]), "--search-space", "100", "--out", str(blocker),
                            "--steps", "2", "--quiet"]) == 2
    one_error_line(capsys, f"--out {blocker} is a file, not a folder")
    assert blocker.read_text() == "keep me"


def test_benchmark_plot_out_dir_that_is_a_file(tmp_path, capsys, finished):
    out, _ = finished
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    assert benchmark_plot.main([str(out / "RS.json"), "--out-dir", str(blocker)]) == 2
    one_error_line(capsys, f"--out-dir {blocker} is a file, not a folder")
    assert benchmark_plot.main([str(out / "RS.json"), "--out-dir", str(tmp_path / "p"), "--summary",
                                str(tmp_path)]) == 2
    one_error_line(capsys, "--summary", "is a folder, not a file")
    assert not (tmp_path / "p").exists()


def test_benchmark_out_and_plot_dir_that_are_files(tiny_hpob, tmp_path, capsys):
    data_dir, surr_dir = tiny_hpob
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    common = ["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--methods", "RS", "--trials", "2",
              "--quiet"]
    assert benchmark.main([*common, "--out", str(blocker), "--plot-dir", str(tmp_path / "p")]) == 2
    one_error_line(capsys, f"--out {blocker} is a file")
    assert benchmark.main([*common, "--out", str(tmp_path / "r"), "--plot-dir", str(blocker)]) == 2
    one_error_line(capsys, f"--plot-dir {blocker} is a file")
    assert not (tmp_path / "r").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc, where nobody can create files")
def test_unwritable_out_is_refused_before_any_run(tiny_hpob, capsys):
    assert gen(tiny_hpob, "/proc/hpogen-results", "--method", "RS", "--trials", "2") == 2
    one_error_line(capsys, "--out /proc/hpogen-results: cannot write in /proc")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root writes into read-only folders")
def test_read_only_out_is_refused(tiny_hpob, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert gen(tiny_hpob, locked / "res", "--method", "RS", "--trials", "2") == 2
        one_error_line(capsys, f"--out {locked / 'res'}: cannot write in {locked}")
    finally:
        locked.chmod(0o755)


# ------------------------------------------------------------------- download
def test_download_unknown_baseline_is_refused_before_any_download(tmp_path, capsys, monkeypatch):
    from hpogen import download

    monkeypatch.setattr(download, "download_baseline", lambda *a, **k: pytest.fail("no download may start"))
    assert download_hpob.main(["--baselines", "GP-C", "NOPE", "--dest", str(tmp_path)]) == 2
    one_error_line(capsys, "no published HPO-B result named 'NOPE'; known names: RS-C GP-C DGP-C")
    assert list(tmp_path.iterdir()) == []


def test_download_dest_that_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me")
    assert download_hpob.main(["--baselines", "GP-C", "--dest", str(blocker)]) == 2
    one_error_line(capsys, f"--dest {blocker} is a file")


# ------------------------------------------------- the bundled-data notice
@pytest.mark.skipif(not runner.MINI_DATA_DIR.is_dir(), reason="data/hpob-mini is not in this checkout")
@pytest.mark.parametrize("argv, message", [
    (["--seeds", "test9"], "unknown seed 'test9'"),
    (["--search-spaces", "nope"], "unknown search space 'nope'"),
    (["--device", "tpu"], "unknown device 'tpu'"),
])
def test_errors_on_the_bundled_data_are_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.setattr(runner, "REAL_DATA_DIR", tmp_path / "no-hpob-data")
    assert example_gen.main(["--out", str(tmp_path / "out"), "--quiet", *argv]) == 2
    one_error_line(capsys, message)


def test_notice_comes_once_checks_have_passed(tiny_hpob, tmp_path, monkeypatch, capsys):
    data_dir, surr_dir = tiny_hpob
    bench = runner.Benchmark("mini", data_dir, surr_dir, None, tmp_path, tmp_path, None, note="NOTICE")
    monkeypatch.setattr("hpogen.experiment.resolve_benchmark", lambda *a: bench)
    assert example_gen.main(["--method", "RS", "--search-spaces", "200", "--trials", "2", "--out",
                             str(tmp_path / "ok"), "--quiet"]) == 0
    assert capsys.readouterr().err.strip() == "NOTICE"
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "RS.json").write_text("{truncated")
    assert example_gen.main(["--method", "RS", "--search-spaces", "200", "--trials", "2", "--out",
                             str(tmp_path / "bad"), "--quiet"]) == 2
    one_error_line(capsys, "is corrupt or truncated")


def test_script_error_from_outside_has_no_traceback(tiny_hpob, tmp_path):
    data_dir, surr_dir = tiny_hpob
    (tmp_path / "a-file").write_text("x")
    cmd = [sys.executable, str(REPO / "meta_train.py"), "--data-dir", str(data_dir), "--search-space", "100",
           "--device", "tpu", "--out", str(tmp_path / "a-file")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr


# ------------------------------------------------------- file permissions
def test_results_and_caches_are_readable_by_others(tiny_hpob, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "res"
        assert gen(tiny_hpob, out, "--method", "RS", "--search-spaces", "200", "--trials", "2") == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((out / "RS.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "timings" / "RS.json").stat().st_mode) == 0o644
    cache = tiny_hpob[0] / "meta-test-dataset.json.cache"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in cache.iterdir())
    # and a stricter umask is respected, like for any file
    from hpogen.results import save_results

    old = os.umask(0o077)
    try:
        save_results(tmp_path / "private.json", {})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    assert load_results(out / "RS.json")["200"]


# ------------------------------------------------------- paths of the wrong kind
def test_a_results_file_that_is_a_folder(tiny_hpob, tmp_path, capsys):
    (tmp_path / "o" / "RS.json").mkdir(parents=True)
    assert gen(tiny_hpob, tmp_path / "o", "--method", "RS", "--search-spaces", "200", "--trials", "2") == 2
    one_error_line(capsys, "RS.json is a folder")


def test_data_dir_or_checkpoint_dir_that_is_a_file(tiny_hpob, tmp_path, capsys):
    data_dir, surr_dir = tiny_hpob
    assert example_gen.main(["--data-dir", str(data_dir / "meta-test-dataset.json"), "--quiet"]) == 2
    one_error_line(capsys, "is a file; pass the folder that holds the HPO-B files")
    checkpoint = tmp_path / "ck" / "100.pt"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"not used")
    assert gen(tiny_hpob, tmp_path / "o", "--search-spaces", "100", "--trials", "1",
               "--checkpoint-dir", str(checkpoint)) == 2
    one_error_line(capsys, f"--checkpoint-dir {checkpoint} is a file", str(checkpoint.parent))


def test_plot_refuses_files_that_are_not_incumbents_and_checks_the_distribution_first(tmp_path, capsys, finished):
    out, _ = finished
    (tmp_path / "init.json").write_bytes(orjson.dumps({"200": {"5": {"test0": [3, 17, 42]}}}))
    assert benchmark_plot.main([str(out / "RS.json"), str(tmp_path / "init.json"), "--out-dir",
                                str(tmp_path / "p")]) == 2
    one_error_line(capsys, "init.json", "values outside [0, 1]")
    timings = {"200": {"5": {f"test{i}": [0.071, 0.064 + 0.001 * i, 0.069] for i in range(3)},
                       "6": {"test0": [0.2, 0.3, 0.4]}}}       # seconds per suggestion, each below 1
    (tmp_path / "timings.json").write_bytes(orjson.dumps(timings))
    assert benchmark_plot.main([str(out / "RS.json"), str(tmp_path / "timings.json"), "--out-dir",
                                str(tmp_path / "p")]) == 2
    one_error_line(capsys, "timings.json", "3 of its 4 runs decrease, so it does not hold incumbents")
    assert not (tmp_path / "p").exists()
    for extra, message in ((["--distribution", "NOPE"], "method 'NOPE' is not among"),
                           (["--distribution", "RS", "--distribution-trials", "0", "99"],
                            "--distribution-trials 99 outside the compared trials 0..2")):
        assert benchmark_plot.main([str(out / "RS.json"), "--out-dir", str(tmp_path / "p"), *extra]) == 2
        one_error_line(capsys, message)
        assert not (tmp_path / "p").exists()


def test_an_id_given_twice_is_one_run(tiny_hpob, tmp_path, capsys):
    assert gen(tiny_hpob, tmp_path / "o", "--method", "RS", "--search-spaces", "200", "200", "--datasets", "5",
               "5", "--seeds", "test0", "test0", "--trials", "2") == 0
    assert "1 run of RS" in capsys.readouterr().out


def test_plot_warns_when_protocols_are_mixed(tmp_path, capsys, finished):
    out, before = finished
    (tmp_path / "discrete").mkdir()
    (tmp_path / "discrete" / "TPE.json").write_bytes(before)
    assert benchmark_plot.main([str(out / "RS.json"), str(tmp_path / "discrete" / "TPE.json"), "--out-dir",
                                str(tmp_path / "p")]) == 0
    err = capsys.readouterr().err
    assert "warning: TPE come from a discrete/ folder" in err
    assert benchmark_plot.main([str(out / "RS.json"), "--out-dir", str(tmp_path / "q")]) == 0
    assert "discrete/ folder" not in capsys.readouterr().err
