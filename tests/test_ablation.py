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


def test_ablation_refuses_unknown_variant(tiny_hpob, capsys):
    assert ablation.main(["--data-dir", str(tiny_hpob[0]), "--variants", "magic"]) == 2
    assert "unknown variant 'magic'" in capsys.readouterr().err
