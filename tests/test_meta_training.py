import numpy as np
import pytest
import torch

import meta_train
from hpogen.errors import UserError
from hpogen.meta_training import MetaTrainConfig, meta_train as run_meta_train, sample_task_batch
from methods.generative_hpo import GenerativeHPO, load_checkpoint, save_checkpoint
from methods.random_search import RandomSearch

BASE = np.array([0.8, 0.2, 0.7])


def family_task(rng, n=200):
    """A task of the family: y peaks near BASE, shifted a little per task."""
    centre = np.clip(BASE + rng.normal(0, 0.05, 3), 0, 1)
    X = rng.random((n, 3))
    return X, -((X - centre) ** 2).sum(1, keepdims=True), centre


def test_meta_train_script_writes_a_loadable_checkpoint(tiny_hpob, tmp_path, capsys):
    data_dir, _ = tiny_hpob
    out = tmp_path / "ckpt"
    code = meta_train.main(["--data-dir", str(data_dir), "--search-space", "100", "--steps", "6",
                            "--val-every", "3", "--batch-size", "4", "--max-history", "12", "--out", str(out),
                            "--quiet", "--threads", "1"])
    assert code == 0
    payload = torch.load(out / "100.pt", weights_only=True)
    assert payload["d"] == 3 and payload["search_space_id"] == "100"
    assert payload["extra"]["train_datasets"] == ["1", "2", "3"]
    assert payload["extra"]["validation_datasets"] == ["4"]
    prior = payload["extra"]["gp_prior"]
    assert len(prior["log_lengthscales"]) == 3 and np.isfinite(prior["log_lengthscales"]).all()
    assert prior["n_datasets"] == 3
    model, _ = load_checkpoint(out / "100.pt", "100", 3)
    assert (out / "100-loss.png").stat().st_size > 5_000
    assert "best validation loss" in capsys.readouterr().out
    method = GenerativeHPO(seed=0, checkpoint=out / "100.pt", search_space_id="100")
    assert method.observe_and_suggest(np.random.rand(5, 3), np.random.rand(5, 1)).shape == (1, 3)
    with pytest.raises(Exception, match="search space 100, not 200"):
        GenerativeHPO(checkpoint=out / "100.pt", search_space_id="200")


def test_meta_train_script_errors(tiny_hpob, capsys):
    data_dir, _ = tiny_hpob
    assert meta_train.main(["--data-dir", str(data_dir), "--search-space", "999", "--quiet"]) == 2
    assert "unknown search space '999'" in capsys.readouterr().err
    assert meta_train.main(["--data-dir", str(data_dir), "--search-space", "100", "--steps", "0"]) == 2
    assert "--steps must be >= 1" in capsys.readouterr().err


def test_episodes_respect_history_range():
    rng = np.random.default_rng(0)
    tasks = {str(i): family_task(rng)[:2] for i in range(3)}
    cfg = MetaTrainConfig(batch_size=4, n_targets=5, min_history=5, max_history=20)
    sizes = {sample_task_batch(tasks, sorted(tasks), cfg, rng).context.shape[1] for _ in range(200)}
    assert min(sizes) == 5 and max(sizes) == 20


def test_too_small_datasets_are_refused():
    rng = np.random.default_rng(0)
    small = {"a": (rng.random((6, 3)), rng.random((6, 1)))}
    with pytest.raises(UserError, match="has 6 points"):
        run_meta_train(small, small, MetaTrainConfig(steps=1), progress=False)


def _continuous_loop(method, X0, y0, centre, trials):
    X, y = X0.copy(), y0.copy()
    for _ in range(trials):
        x = method.observe_and_suggest(X, y)
        X = np.vstack([X, x])
        y = np.vstack([y, -((x - centre) ** 2).sum(1, keepdims=True)])
    return float(y.max())


def test_meta_trained_model_beats_random_on_a_held_out_task_of_its_family(tmp_path):
    rng = np.random.default_rng(0)
    train = {f"t{i}": family_task(rng)[:2] for i in range(12)}
    val = {f"v{i}": family_task(rng)[:2] for i in range(2)}
    cfg = MetaTrainConfig(steps=400, batch_size=16, n_targets=8, max_history=20, val_every=100, seed=0)
    model, log = run_meta_train(train, val, cfg, progress=False)
    assert log["best_val_loss"] < log["val_loss"][0]
    save_checkpoint(tmp_path / "family.pt", model, "family")
    # the generator alone (one decoded sample: nothing but what was meta-learned), and its pool ranked by
    # GP expected improvement; the learned scorer needs far more meta-training than a unit test affords
    for suggest in ({"scoring": "none"}, {"scoring": "gp-ei"}):
        wins, gen_best, rs_best = 0, [], []
        for seed in range(6):
            task_rng = np.random.default_rng(100 + seed)
            _, _, centre = family_task(task_rng)
            X0 = task_rng.random((5, 3))
            y0 = -((X0 - centre) ** 2).sum(1, keepdims=True)
            gen = GenerativeHPO(seed=seed, checkpoint=tmp_path / "family.pt", suggest=suggest)
            g = _continuous_loop(gen, X0, y0, centre, 10)
            r = _continuous_loop(RandomSearch(seed=seed), X0, y0, centre, 10)
            gen_best.append(g)
            rs_best.append(r)
            wins += g > r
        # every seed better, and the mean regret (distance to the optimum 0) a fraction of random search's
        assert wins == 6, suggest
        assert -np.mean(gen_best) < 0.25 * -np.mean(rs_best), suggest
