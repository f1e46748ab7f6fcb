import numpy as np
import pytest
import torch

import meta_train
from hpogen.errors import UserError
from hpogen.meta_training import MetaTrainConfig, meta_train as run_meta_train, sample_task_batch
from methods.generative_hpo import (CheckpointError, GenerativeHPO, GenerativeHPOConfig, GenerativeHPOModel,
                                    load_checkpoint, save_checkpoint)
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
    assert payload["extra"]["gp_prior"] is None          # the GP kernel prior is opt-in (--gp-prior)
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


def test_gp_prior_only_when_asked_and_meta_ard_needs_it(tiny_hpob, tmp_path):
    data_dir, _ = tiny_hpob
    args = ["--data-dir", str(data_dir), "--search-space", "100", "--steps", "2", "--val-every", "2",
            "--batch-size", "4", "--max-history", "12", "--quiet", "--threads", "1"]
    assert meta_train.main([*args, "--out", str(tmp_path / "plain")]) == 0
    with pytest.raises(CheckpointError, match="--gp-prior"):
        GenerativeHPO(checkpoint=tmp_path / "plain" / "100.pt", suggest={"gp_kernel": "meta-ard"})
    assert meta_train.main([*args, "--out", str(tmp_path / "prior"), "--gp-prior"]) == 0
    prior = torch.load(tmp_path / "prior" / "100.pt", weights_only=True)["extra"]["gp_prior"]
    assert len(prior["log_lengthscales"]) == 3 and np.isfinite(prior["log_lengthscales"]).all()
    assert prior["n_datasets"] == 3
    GenerativeHPO(checkpoint=tmp_path / "prior" / "100.pt", suggest={"gp_kernel": "meta-ard"})


def test_meta_training_updates_every_network():
    """The prototype's optimizer held only the CVAE: the embedder, Transformer and scorer never learned."""
    rng = np.random.default_rng(0)
    train = {f"t{i}": family_task(rng)[:2] for i in range(4)}
    cfg = MetaTrainConfig(steps=30, batch_size=8, n_targets=4, max_history=12, val_every=30)
    model_cfg = GenerativeHPOConfig(embed_dim=16, ff_dim=32, n_heads=2, lr=1e-3)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)                      # meta_train's own initialisation
        initial = GenerativeHPOModel(3, model_cfg).state_dict()
    model, log = run_meta_train(train, train, cfg, model_cfg, progress=False)
    assert log["best_step"] == 30                        # the trained weights were kept
    trained = model.state_dict()
    for prefix in ("history.embedder", "history.transformer", "cvae.encoder", "cvae.decoder", "scorer"):
        names = [n for n in trained if n.startswith(prefix)]
        assert names and all(not torch.equal(initial[n], trained[n]) for n in names), prefix


def test_improved_fraction_episodes_keep_targets_outside_their_context():
    X = np.arange(40, dtype=np.float64)[:, None] / 40          # the row tells the index
    y = np.random.default_rng(0).random(40)
    tasks = {"a": (X, y[:, None])}
    cfg = MetaTrainConfig(batch_size=16, n_targets=6, min_history=3, max_history=20, improved_fraction=0.5,
                          top_bias=0.5)
    rng = np.random.default_rng(1)
    improving = 0
    for _ in range(30):
        batch = sample_task_batch(tasks, ["a"], cfg, rng)
        ctx = np.rint(batch.context[..., 0].numpy() * 40).astype(int)
        tgt = np.rint(batch.target[..., 0].numpy() * 40).astype(int)
        for b in range(len(ctx)):
            assert not set(tgt[b]) & set(ctx[b])
            assert batch.improved[b].tolist() == [float(y[t] > y[ctx[b]].max()) for t in tgt[b]]
        improving += batch.improved.sum().item()
    assert improving > 0.3 * 30 * 16 * 6 * 0.5     # the branch really draws improving targets
