import numpy as np
import pytest

import ablation
from hpogen.ablation import DEFAULT_VARIANT, slug
from hpogen.meta_training import MetaTrainConfig, meta_train_space
from hpogen.results import load_results


def test_ablation_runs_variants_and_writes_the_table(tiny_hpob, tmp_path, capsys):
    data_dir, surr_dir = tiny_hpob
    meta_train_space(data_dir, "200", tmp_path / "ckpt", MetaTrainConfig(steps=4, batch_size=4, max_history=12,
                                                                          val_every=2), progress=False)
    variants = ["scratch, one decoded sample (the prototype's rule)", DEFAULT_VARIANT]
    code = ablation.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--split", "test",
                          "--search-spaces", "200", "--trials", "3", "--checkpoint-dir", str(tmp_path / "ckpt"),
                          "--out", str(tmp_path / "abl"), "--quiet", "--variants", *variants])
    assert code == 0
    table = (tmp_path / "abl" / "ablation.md").read_text()
    assert "| scratch, one decoded sample (the prototype's rule) |" in table and f"| {DEFAULT_VARIANT} |" in table
    assert "10 runs" in table
    curves = load_results(tmp_path / "abl" / slug(variants[0]) / "GEN-VAE.json")
    assert sorted(curves["200"]) == ["5", "6"] and len(curves["200"]["5"]["test0"]) == 4
    assert f"| {DEFAULT_VARIANT} |" in capsys.readouterr().out
    # a rerun of one variant (already done: nothing is computed) keeps the other in the table
    assert ablation.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--split", "test",
                          "--search-spaces", "200", "--trials", "3", "--checkpoint-dir", str(tmp_path / "ckpt"),
                          "--out", str(tmp_path / "abl"), "--quiet", "--variants", DEFAULT_VARIANT]) == 0
    assert (tmp_path / "abl" / "ablation.md").read_text() == table


def test_ablation_refuses_unknown_variant(tiny_hpob, capsys):
    assert ablation.main(["--data-dir", str(tiny_hpob[0]), "--variants", "magic"]) == 2
    assert "unknown variant 'magic'" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--search-spaces", "nope"], "unknown search space 'nope'"),
    (["--seeds", "test9"], "unknown seed 'test9'"),
    (["--checkpoint-dir", "/nonexistent-ckpts"], "no checkpoint for search space 200"),
])
def test_ablation_checks_names_before_fitting_anything(tiny_hpob, tmp_path, capsys, monkeypatch, extra, message):
    import hpogen.splitview

    monkeypatch.setattr(hpogen.splitview, "build_validation_view",
                        lambda *a, **k: pytest.fail("the validation view (surrogate fitting) must come after the checks"))
    data_dir, surr_dir = tiny_hpob
    argv = ["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--split", "validation",
            "--checkpoint-dir", str(tmp_path / "ckpt"), "--out", str(tmp_path / "abl"), "--quiet"]
    if "--search-spaces" not in extra:
        argv += ["--search-spaces", "200"]
    assert ablation.main(argv + extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not (tmp_path / "abl").exists()


def test_benchmark_validation_split_checks_names_before_fitting_anything(tiny_hpob, tmp_path, capsys, monkeypatch):
    import benchmark
    import hpogen.splitview

    monkeypatch.setattr(hpogen.splitview, "build_validation_view",
                        lambda *a, **k: pytest.fail("the validation view (surrogate fitting) must come after the checks"))
    data_dir, surr_dir = tiny_hpob
    assert benchmark.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--split", "validation",
                           "--methods", "RS", "--search-spaces", "nope", "--out", str(tmp_path / "r"),
                           "--plot-dir", str(tmp_path / "p"), "--quiet"]) == 2
    assert "unknown search space 'nope'" in capsys.readouterr().err


def test_ablation_with_method_seeds_averages_each_run_over_them(tiny_hpob, tmp_path):
    data_dir, surr_dir = tiny_hpob
    meta_train_space(data_dir, "200", tmp_path / "ckpt", MetaTrainConfig(steps=4, batch_size=4, max_history=12,
                                                                          val_every=2), progress=False)
    common = ["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--split", "test", "--search-spaces",
              "200", "--trials", "3", "--checkpoint-dir", str(tmp_path / "ckpt"), "--out", str(tmp_path / "abl"),
              "--quiet", "--variants", DEFAULT_VARIANT]
    assert ablation.main([*common, "--method-seeds", "0", "1"]) == 0
    folder = tmp_path / "abl" / slug(DEFAULT_VARIANT)
    seed0, seed1 = load_results(folder / "GEN-VAE.json"), load_results(folder / "method-seed-1" / "GEN-VAE.json")
    assert any(seed0["200"][d][s] != seed1["200"][d][s] for d in seed0["200"] for s in seed0["200"][d])
    mean_table = (tmp_path / "abl" / "ablation-method-seeds-0-1.md").read_text()
    assert "10 runs" in mean_table and "mean over method seeds 0, 1" in mean_table
    regrets = [np.mean([1 - (seed0["200"][d][s][3] + seed1["200"][d][s][3]) / 2
                        for d in seed0["200"] for s in seed0["200"][d]])]
    row = next(line for line in mean_table.splitlines() if line.startswith(f"| {DEFAULT_VARIANT} |"))
    assert float(row.split("|")[2]) == pytest.approx(regrets[0], abs=6e-5)     # regret at the last trial, 3
    single = (tmp_path / "abl" / "ablation.md").read_text()
    assert "mean over method seeds" not in single
    assert ablation.main([*common[:-2], "--method-seeds", "-1"]) == 2
