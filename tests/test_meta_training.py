from dataclasses import replace

import numpy as np
import pytest
import torch

import meta_train
from hpogen.errors import UserError
from hpogen.meta_training import MetaTrainConfig, meta_train as run_meta_train, sample_task_batch
from methods.generative_hpo import (GenerativeHPO, GenerativeHPOConfig, GenerativeHPOModel, history_tensor,
                                    load_checkpoint, normalize_query_y, sample_episodes, save_checkpoint)
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
                            "--quiet", "--threads", "1", "--lr-schedule", "constant"])
    assert code == 0
    payload = torch.load(out / "100.pt", weights_only=True)
    assert payload["extra"]["meta_train_config"]["lr_schedule"] == "constant"
    assert payload["d"] == 3 and payload["search_space_id"] == "100"
    assert payload["extra"]["train_datasets"] == ["1", "2", "3"]
    assert payload["extra"]["validation_datasets"] == ["4"]
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
    with pytest.raises(SystemExit) as exit_info:
        meta_train.main(["--data-dir", str(data_dir), "--search-space", "100", "--lr-schedule", "linear"])
    assert exit_info.value.code == 2 and "invalid choice: 'linear'" in capsys.readouterr().err


def test_episodes_respect_history_range():
    rng = np.random.default_rng(0)
    tasks = {str(i): family_task(rng)[:2] for i in range(3)}
    cfg = MetaTrainConfig(batch_size=4, n_targets=5, min_history=5, max_history=20)
    sizes = {sample_task_batch(tasks, sorted(tasks), cfg, rng).context.shape[1] for _ in range(200)}
    assert min(sizes) == 5 and max(sizes) == 20


def test_learning_rate_schedules():
    """cosine: from lr down to 0 over the steps; constant: lr throughout; anything else: a one-line error."""
    rng = np.random.default_rng(0)
    tasks = {f"t{i}": family_task(rng)[:2] for i in range(3)}
    model_cfg = GenerativeHPOConfig(embed_dim=16, ff_dim=32, n_heads=2, lr=1e-3)    # the optimiser's rate
    base = MetaTrainConfig(steps=20, batch_size=4, n_targets=4, n_queries=4, max_history=10, val_every=10)
    assert MetaTrainConfig().lr_schedule == "cosine"
    _, log = run_meta_train(tasks, tasks, base, model_cfg, progress=False)
    lr = np.array(log["lr"])
    assert len(lr) == 20 and lr[0] == pytest.approx(1e-3) and np.all(np.diff(lr) < 0)
    assert lr[10] == pytest.approx(0.5e-3 * (1 + np.cos(np.pi * 10 / 20)))    # half-way: half the rate
    assert lr[-1] == pytest.approx(0.5e-3 * (1 + np.cos(np.pi * 19 / 20)))    # the last step: nearly 0
    _, log = run_meta_train(tasks, tasks, replace(base, lr_schedule="constant"), model_cfg,
                            progress=False)
    assert log["lr"] == [1e-3] * 20
    with pytest.raises(UserError, match="unknown learning-rate schedule 'linear'; use one of cosine, constant"):
        run_meta_train(tasks, tasks, replace(base, lr_schedule="linear"), progress=False)


def test_too_small_datasets_are_refused():
    rng = np.random.default_rng(0)
    small = {"a": (rng.random((2, 3)), rng.random((2, 1)))}
    with pytest.raises(UserError, match="has 2 points"):
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
    # the generator alone (one decoded sample: nothing but what was meta-learned), and the default rule:
    # its pool ranked by the meta-learned predictive head's expected improvement
    for suggest in ({"acquisition": "none"}, {}):
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


def test_meta_training_updates_every_network():
    """The prototype's optimizer held only the CVAE: embedder, Transformer (and now the head) never learned."""
    rng = np.random.default_rng(0)
    train = {f"t{i}": family_task(rng)[:2] for i in range(4)}
    cfg = MetaTrainConfig(steps=30, batch_size=8, n_targets=4, n_queries=8, max_history=12, val_every=30)
    model_cfg = GenerativeHPOConfig(embed_dim=16, ff_dim=32, n_heads=2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)                      # meta_train's own initialisation
        initial = GenerativeHPOModel(3, model_cfg).state_dict()
    model, log = run_meta_train(train, train, cfg, model_cfg, progress=False)
    assert log["best_step"] == 30                        # the trained weights were kept
    trained = model.state_dict()
    for prefix in ("history.embedder", "history.transformer", "cvae.encoder", "cvae.decoder", "predictor"):
        names = [n for n in trained if n.startswith(prefix) and trained[n].is_floating_point()
                 and not n.endswith("edges")]
        assert names and all(not torch.equal(initial[n], trained[n]) for n in names), prefix


def test_improved_fraction_episodes_keep_targets_and_queries_outside_their_context():
    X = np.arange(40, dtype=np.float32)[:, None] / 40          # the row tells the index
    y = np.random.default_rng(0).random(40)
    tasks = {"a": (X, y[:, None])}
    cfg = MetaTrainConfig(batch_size=16, n_targets=6, n_queries=9, min_history=3, max_history=20,
                          improved_fraction=0.5, top_bias=0.5, known_fraction=0.0, repeat_fraction=0.0)
    rng = np.random.default_rng(1)
    improving = 0
    for _ in range(30):
        batch = sample_task_batch(tasks, ["a"], cfg, rng)
        ctx = np.rint(batch.context[..., 0].numpy() * 40).astype(int)
        tgt = np.rint(batch.target[..., 0].numpy() * 40).astype(int)
        qry = np.rint(batch.query[..., 0].numpy() * 40).astype(int)
        for b in range(len(ctx)):
            assert not set(tgt[b]) & set(ctx[b]) and not set(qry[b]) & set(ctx[b])
            assert batch.improved[b].tolist() == [float(y[t] > y[ctx[b]].max()) for t in tgt[b]]
            np.testing.assert_allclose(batch.query_y[b].numpy(), normalize_query_y(y[qry[b]], y[ctx[b]]),
                                       rtol=1e-5, atol=1e-5)
        improving += batch.improved.sum().item()
    assert improving > 0
    # known queries: history points with their own (normalised) y; near queries: next to the best ones
    X2 = np.random.default_rng(2).random((60, 2))
    y2 = -((X2 - 0.5) ** 2).sum(1)
    batch = sample_episodes(X2, y2, 8, 10, 2, np.random.default_rng(3), n_queries=8, known_fraction=0.25,
                            near_fraction=0.5)
    for b in range(8):
        ctx = batch.context[b].numpy()
        known = batch.query[b, :2].numpy()
        rows = [int(np.flatnonzero((np.abs(ctx[:, :2] - q) < 1e-6).all(1))[0]) for q in known]
        np.testing.assert_allclose(batch.query_y[b, :2].numpy(), ctx[rows, 2], atol=1e-6)
        best = ctx[np.argsort(-ctx[:, 2])[:3], :2]
        dist = lambda P: ((P[:, None] - best[None]) ** 2).sum(-1).min(1)
        assert dist(batch.query[b, 2:6].numpy()).max() <= dist(batch.query[b, 6:].numpy()).min() + 1e-6
    # repeats: in about half the histories, context rows become copies of the 3 best rows with their y
    batch = sample_episodes(X2, y2, 64, 12, 2, np.random.default_rng(4), repeat_fraction=1.0)
    repeated = 0
    for b in range(64):
        ctx = batch.context[b].numpy()
        rows = {tuple(np.round(r, 6)) for r in ctx}
        repeated += len(rows) < len(ctx)
        for r in rows:                                   # every row's y is the y of that configuration
            original = np.flatnonzero((np.abs(X2 - np.array(r[:2])) < 1e-6).all(1))
            assert len(original) == 1
    assert 16 <= repeated <= 48


def gp_task(rng, n=200, d=1, lengthscale=0.25):
    """A function drawn from a GP with an RBF kernel, observed at n uniform points."""
    X = rng.random((n, d))
    sq = ((X[:, None] - X[None]) ** 2).sum(-1)
    K = np.exp(-0.5 * sq / lengthscale ** 2) + 1e-6 * np.eye(n)
    return X, (np.linalg.cholesky(K) @ rng.standard_normal(n))[:, None]


def test_predictive_head_learns_a_gp_family():
    """Functions sampled from a GP: the meta-trained head beats a constant predictor and ranks unseen points."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(0)
    train = {f"t{i}": gp_task(rng) for i in range(24)}
    val = {f"v{i}": gp_task(rng) for i in range(2)}
    cfg = MetaTrainConfig(steps=400, batch_size=16, n_targets=4, n_queries=32, min_history=5, max_history=20,
                          val_every=100, top_bias=0.0)
    model_cfg = GenerativeHPOConfig(embed_dim=32, ff_dim=64, n_layers=2, n_cross_layers=1, n_bins=32)
    model, _ = run_meta_train(train, val, cfg, model_cfg, progress=False)
    model.eval()
    head = model.predictor
    # the constant predictor: one bar distribution for every query, fitted to the training tasks' query y
    episodes = [sample_task_batch(train, sorted(train), cfg, rng) for _ in range(40)]
    counts = torch.bincount(torch.cat([head.bin_index(e.query_y).reshape(-1) for e in episodes]),
                            minlength=model_cfg.n_bins).double() + 1.0
    constant_logits = torch.log(counts / counts.sum()).float()
    nll_head, nll_const, rhos = [], [], []
    for k in range(8):
        X, y = gp_task(np.random.default_rng(1000 + k))
        history = rng.choice(len(X), 15, replace=False)
        unseen = np.setdiff1d(np.arange(len(X)), history)
        with torch.no_grad():
            tokens, _ = model.history(history_tensor(X[history], y[history]))
            logits = head(torch.as_tensor(X[unseen], dtype=torch.float32)[None], tokens)[0]
        target = torch.as_tensor(normalize_query_y(y[unseen, 0], y[history, 0]), dtype=torch.float32)
        nll_head.append(float(head.nll(logits, target).mean()))
        nll_const.append(float(head.nll(constant_logits.expand_as(logits), target).mean()))
        rhos.append(spearmanr(head.mean(logits).numpy(), y[unseen, 0]).statistic)
    assert np.mean(nll_head) < np.mean(nll_const) - 0.3
    assert np.mean(rhos) > 0.6
