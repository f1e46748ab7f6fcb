from dataclasses import asdict, replace

import orjson
import pytest
import torch

import crossval
import hpogen.meta_training
from hpogen import runner
from hpogen.crossval import DESIGN_VARIANTS, build_fold, fold_datasets, run_crossval
from hpogen.errors import UserError
from hpogen.meta_training import MetaTrainConfig
from hpogen.results import load_results

TINY_META = MetaTrainConfig(steps=4, batch_size=4, max_history=12, val_every=2)


def test_folds_partition_the_meta_train_datasets():
    names = [f"d{i}" for i in range(8)]
    folds = [fold_datasets(names, 3, k) for k in range(3)]
    assert sorted(sum(folds, [])) == sorted(names)
    assert all(set(a).isdisjoint(b) for i, a in enumerate(folds) for b in folds[i + 1:])


def test_fold_holds_out_train_datasets_only(tiny_hpob, tmp_path):
    data_dir, _ = tiny_hpob
    data, surr = build_fold(data_dir, "200", 0, 2, tmp_path / "folds", quick_surrogates=True)
    test = orjson.loads((data / "meta-test-dataset.json").read_bytes())["200"]
    train = orjson.loads((data / "meta-train-dataset.json").read_bytes())["200"]
    validation = orjson.loads((data / "meta-validation-dataset.json").read_bytes())["200"]
    assert sorted(test) == ["1", "3"] and sorted(train) == ["2"] and sorted(validation) == ["4"]
    inits = orjson.loads((data / "bo-initializations.json").read_bytes())["200"]
    assert sorted(inits) == ["1", "3"] and sorted(inits["1"]) == [f"test{j}" for j in range(5)]
    assert (surr / "surrogate-200-1.json").is_file() and (surr / "surrogate-200-3.json").is_file()
    with pytest.raises(UserError, match="unknown search space '999'"):
        build_fold(data_dir, "999", 0, 2, tmp_path / "other")
    with pytest.raises(UserError, match="too few for 3 folds"):
        build_fold(data_dir, "200", 0, 3, tmp_path / "other")


def test_crossval_runs_variants_and_peers_on_held_out_datasets(tiny_hpob, tmp_path, monkeypatch):
    data_dir, _ = tiny_hpob
    variants = ["decoded pool, stacked EI, refinement (default)"]
    text = run_crossval(data_dir, ["200"], tmp_path / "cv", n_folds=2, variants=variants, trials=3,
                        meta_cfg=TINY_META, quick_surrogates=True, progress=False)
    assert (tmp_path / "cv" / "crossval.md").read_text() == text
    assert "| decoded pool, stacked EI, refinement (default) |" in text and "| TPE |" in text and "15 runs" in text
    assert "rank@3" in text
    for peer in ("RS", "TPE"):    # the default against each peer, run by run, at the last trial
        block = text.split(f"Run by run, A = {variants[0]} against B = {peer}:")[1]
        assert block.split("\n")[4].startswith("| 3 | ")
    for k, held in ((0, ["1", "3"]), (1, ["2"])):
        assert (tmp_path / "cv" / "folds" / f"200-f{k}" / "checkpoints" / "200.pt").is_file()
        curves = load_results(tmp_path / "cv" / f"200-f{k}" / "decoded-pool-stacked-EI-refinement-default" / "GEN-VAE.json")
        assert sorted(curves["200"]) == held and len(curves["200"][held[0]]["test0"]) == 4
    # a rerun resumes from disk: delete one finished run, and only that run is computed again
    variant_file = tmp_path / "cv" / "200-f0" / "decoded-pool-stacked-EI-refinement-default" / "GEN-VAE.json"
    before = variant_file.read_bytes()
    curves = orjson.loads(before)
    del curves["200"]["3"]["test2"]
    variant_file.write_bytes(orjson.dumps(curves))
    executed = []
    real_execute = runner.execute_run

    def spy(cfg, run):
        executed.append(run)
        return real_execute(cfg, run)

    monkeypatch.setattr(runner, "execute_run", spy)
    monkeypatch.setattr(hpogen.meta_training, "meta_train_space",
                        lambda *a, **k: pytest.fail("the fold checkpoints exist: no meta-training on a rerun"))
    assert run_crossval(data_dir, ["200"], tmp_path / "cv", n_folds=2, variants=variants, trials=3,
                        meta_cfg=TINY_META, quick_surrogates=True, progress=False) == text
    assert executed == [runner.Run("GEN-VAE", "200", "3", "test2")]
    assert variant_file.read_bytes() == before        # recomputed to the same curve
    # chosen initial designs and peers, on the same folds (no new fold is built or meta-trained)
    few = run_crossval(data_dir, ["200"], tmp_path / "few", n_folds=2, variants=variants, trials=3,
                       meta_cfg=TINY_META, quick_surrogates=True, progress=False, folds_dir=tmp_path / "cv" / "folds",
                       seeds=["test1"], peers=("RS",))
    assert "against RS on the held-out datasets (3 runs; ranks among the 2 methods)" in few and "| TPE |" not in few
    curves = load_results(tmp_path / "few" / "200-f0" / "decoded-pool-stacked-EI-refinement-default" / "GEN-VAE.json")
    assert {seed for dataset in curves["200"].values() for seed in dataset} == {"test1"}
    # a fold checkpoint meta-trained with other settings is not reused
    other = replace(TINY_META, steps=TINY_META.steps + 1)
    with pytest.raises(UserError, match=f"was meta-trained with steps {TINY_META.steps}, this command asks for"):
        run_crossval(data_dir, ["200"], tmp_path / "other", n_folds=2, variants=variants, trials=3, meta_cfg=other,
                     quick_surrogates=True, progress=False, folds_dir=tmp_path / "cv" / "folds", seeds=["test1"])
    # a checkpoint from before the learning-rate schedule was recorded had the constant one
    path = tmp_path / "cv" / "folds" / "200-f0" / "checkpoints" / "200.pt"
    payload = torch.load(path, weights_only=True)
    assert payload["extra"]["meta_train_config"]["lr_schedule"] == "cosine"
    del payload["extra"]["meta_train_config"]["lr_schedule"]
    torch.save(payload, path)
    with pytest.raises(UserError, match="was meta-trained with lr_schedule 'constant', this command asks for 'cosine'"):
        run_crossval(data_dir, ["200"], tmp_path / "old", n_folds=2, variants=variants, trials=3, meta_cfg=TINY_META,
                     quick_surrogates=True, progress=False, folds_dir=tmp_path / "cv" / "folds", seeds=["test1"])


def test_crossval_script_refuses_bad_arguments(tiny_hpob, capsys):
    assert crossval.main(["--data-dir", str(tiny_hpob[0]), "--variants", "magic"]) == 2
    assert "unknown variant 'magic'" in capsys.readouterr().err
    assert crossval.main(["--data-dir", str(tiny_hpob[0]), "--folds", "1"]) == 2
    assert "--folds must be at least 2" in capsys.readouterr().err
    assert crossval.main(["--data-dir", str(tiny_hpob[0]), "--peers", "SMAC3"]) == 2
    assert "unknown method 'SMAC3'" in capsys.readouterr().err
    assert crossval.main(["--data-dir", str(tiny_hpob[0]), "--seeds", "test9"]) == 2
    assert "test9" in capsys.readouterr().err
    assert set(DESIGN_VARIANTS) >= {"decoded pool, stacked EI, refinement (default)"}


def test_every_design_variant_is_a_valid_suggest_config_that_differs_from_the_default():
    from methods.gen_pool import SuggestConfig

    default = asdict(SuggestConfig())
    for name, options in DESIGN_VARIANTS.items():
        cfg = SuggestConfig(**options)
        cfg.check()
        changed = {k for k, v in asdict(cfg).items() if v != default[k]}
        assert changed == set(options), name
        assert bool(changed) == (name != "decoded pool, stacked EI, refinement (default)"), name
