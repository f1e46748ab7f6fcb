import numpy as np
import pytest
import torch

from methods.generative_hpo import (CheckpointError, GenerativeHPO, GenerativeHPOConfig, GenerativeHPOModel,
                                    fit_gp_prior, gp_expected_improvement, history_tensor, load_checkpoint,
                                    normalize_history_y, reparameterize, sample_episodes, save_checkpoint)

FAST = {"online_steps": 3, "batch_size": 8, "n_generated": 32, "n_uniform": 16, "n_local": 16}


def history(n=8, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.random((n, 1))


@pytest.mark.parametrize("d", [2, 5, 16, 18])
def test_continuous_shape_bounds_any_dimension(d):
    X, y = history(d=d)
    x = GenerativeHPO(seed=0, suggest=FAST).observe_and_suggest(X, y)
    assert isinstance(x, np.ndarray) and x.shape == (1, d) and x.dtype == np.float64
    assert np.isfinite(x).all() and (x >= 0).all() and (x <= 1).all()


def test_discrete_returns_valid_index():
    X, y = history()
    pending = np.random.default_rng(1).random((37, 4))
    for seed in range(3):
        index = GenerativeHPO(seed=seed, suggest=FAST).observe_and_suggest(X, y, pending)
        assert isinstance(index, int) and 0 <= index < 37


def test_same_seed_is_bit_for_bit_reproducible_and_seeds_differ():
    X, y = history()
    a = GenerativeHPO(seed=7, suggest=FAST).observe_and_suggest(X, y)
    b = GenerativeHPO(seed=7, suggest=FAST).observe_and_suggest(X, y)
    c = GenerativeHPO(seed=8, suggest=FAST).observe_and_suggest(X, y)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_constant_y_and_single_observation_still_give_valid_suggestions():
    X, _ = history()
    x = GenerativeHPO(seed=0, suggest=FAST).observe_and_suggest(X, np.full((8, 1), 0.3))
    assert x.shape == (1, 4) and (0 <= x).all() and (x <= 1).all()
    x = GenerativeHPO(seed=0, suggest=FAST).observe_and_suggest(X[:1], np.ones((1, 1)))
    assert x.shape == (1, 4)


def test_defect_optimizer_updates_every_network():
    """The prototype's optimizer held only the VAE: embedder and Transformer never learned."""
    X, y = history()
    method = GenerativeHPO(seed=0, suggest=FAST)
    method._ensure_model(4)
    optimised = {id(p) for group in method.optimizer.param_groups for p in group["params"]}
    assert optimised == {id(p) for p in method.model.parameters()}
    before = {name: p.detach().clone() for name, p in method.model.named_parameters()}
    method.train_on_history(X, y, steps=3)
    for prefix in ("history.embedder", "history.transformer", "cvae.encoder", "cvae.decoder", "scorer"):
        changed = [not torch.equal(before[n], p) for n, p in method.model.named_parameters() if n.startswith(prefix)]
        assert changed and any(changed), prefix


def test_defect_reparameterisation_uses_std_not_logvar():
    mean, logvar = torch.zeros(1, 2), torch.full((1, 2), float(np.log(4.0)))  # variance 4, std 2
    noise = torch.tensor([[1.0, -0.5]])
    assert torch.allclose(reparameterize(mean, logvar, noise), torch.tensor([[2.0, -1.0]]))


def test_defect_batch_axis_stays_first():
    """Histories of a batch must not mix: the embedder sees (B, C, d+1) rows one by one."""
    torch.manual_seed(0)
    model = GenerativeHPOModel(3).eval()
    context = torch.rand(4, 6, 4)                      # (B, C, d+1)
    summary = model.history(context)
    assert summary.shape == (4, 32)
    changed = context.clone()
    changed[1] = torch.rand(6, 4)
    after = model.history(changed)
    assert torch.allclose(summary[0], after[0]) and torch.allclose(summary[2:], after[2:])
    assert not torch.allclose(summary[1], after[1])
    permuted = context[:, torch.randperm(6)]           # a history is a set: order does not matter
    assert torch.allclose(model.history(permuted), summary, atol=1e-5)
    embedded = model.history.embedder(context)
    assert torch.allclose(embedded[2, 3], model.history.embedder(context[2, 3][None, None])[0, 0])


def test_defect_targets_never_in_context_and_first_point_can_be_target():
    X = np.arange(10, dtype=np.float32)[:, None] / 10          # the row tells the index
    y = np.random.default_rng(0).random(10)
    rng = np.random.default_rng(1)
    seen_targets = set()
    for context_size in (1, 4, 9):
        batch = sample_episodes(X, y, 64, context_size, 3, rng)
        ctx = np.rint(batch.context[..., 0].numpy() * 10).astype(int)
        tgt = np.rint(batch.target[..., 0].numpy() * 10).astype(int)
        for b in range(64):
            assert not set(tgt[b]) & set(ctx[b])
            assert batch.improved[b].tolist() == [float(y[t] > y[ctx[b]].max()) for t in tgt[b]]
        seen_targets |= set(tgt.ravel())
    assert seen_targets == set(range(10))


def test_improved_fraction_oversamples_improving_targets():
    X = np.random.default_rng(0).random((200, 2))
    y = np.random.default_rng(1).random(200)
    batch = sample_episodes(X, y, 32, 10, 8, np.random.default_rng(2), improved_fraction=0.5)
    assert batch.improved.mean() >= 0.45    # half the targets drawn among the improving points
    uniform = sample_episodes(X, y, 32, 10, 8, np.random.default_rng(2))
    assert uniform.improved.mean() < 0.2


def test_defect_inference_draws_latent_from_standard_normal_prior(monkeypatch):
    X, y = history()
    method = GenerativeHPO(seed=0, suggest=FAST)
    method._ensure_model(4)
    captured = {}
    original = method.model.cvae.decode

    def spy(latent, improved, summary):
        captured["latent"], captured["improved"] = latent, improved
        return original(latent, improved, summary)

    monkeypatch.setattr(method.model.cvae, "decode", spy)
    method.generate(X, y, 4000)
    latent = captured["latent"].numpy()
    assert latent.shape == (4000, 2)
    assert np.abs(latent.mean(0)).max() < 0.08 and np.abs(latent.std(0) - 1).max() < 0.05
    assert (captured["improved"] == 1).all()


def test_defect_single_float32_dtype():
    X, y = history()
    method = GenerativeHPO(seed=0, suggest=FAST)
    method.observe_and_suggest(X.astype(np.float64), y.astype(np.float64))
    assert {p.dtype for p in method.model.parameters()} == {torch.float32}
    assert history_tensor(X, y).dtype == torch.float32


def test_y_is_normalised_within_the_history():
    X, y = history()
    np.testing.assert_allclose(normalize_history_y(3 * y + 5), normalize_history_y(y))
    assert normalize_history_y(np.full(4, 2.0)).tolist() == [0.5] * 4
    a = GenerativeHPO(seed=3, suggest=FAST).observe_and_suggest(X, y)
    b = GenerativeHPO(seed=3, suggest=FAST).observe_and_suggest(X, 0.5 * y + 0.2)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_invalid_inputs_are_refused():
    X, y = history()
    with pytest.raises(ValueError, match="finite"):
        GenerativeHPO(seed=0, suggest=FAST).observe_and_suggest(X, np.full((8, 1), np.nan))
    with pytest.raises(ValueError, match="X_pen must be"):
        GenerativeHPO(seed=0, suggest=FAST).observe_and_suggest(X, y, np.zeros((3, 5)))
    method = GenerativeHPO(seed=0, suggest=FAST)
    method.observe_and_suggest(X, y)
    with pytest.raises(ValueError, match="4-dimensional"):
        method.observe_and_suggest(X[:, :3], y)


def test_checkpoint_roundtrip_and_mismatch(tmp_path):
    torch.manual_seed(0)
    model = GenerativeHPOModel(4, GenerativeHPOConfig(ff_dim=48))
    path = tmp_path / "ckpt" / "space-a.pt"
    save_checkpoint(path, model, "space-a")
    payload = torch.load(path, weights_only=True)
    assert payload["d"] == 4 and payload["search_space_id"] == "space-a"
    loaded, _ = load_checkpoint(path, "space-a", 4)
    assert loaded.cfg.ff_dim == 48
    for (n1, p1), (n2, p2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert n1 == n2 and torch.equal(p1, p2)
    with pytest.raises(CheckpointError, match="search space space-a, not space-b"):
        load_checkpoint(path, "space-b")
    with pytest.raises(CheckpointError, match="4-dimensional configurations, but the data has 5"):
        load_checkpoint(path, d=5)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(tmp_path / "bad.pt")
    X, y = history()
    method = GenerativeHPO(seed=0, checkpoint=path, search_space_id="space-a", suggest=FAST)
    with pytest.raises(ValueError, match="4-dimensional"):
        method.observe_and_suggest(X[:, :3], y)
    x = method.observe_and_suggest(X, y)
    assert x.shape == (1, 4)


def test_unavailable_cuda_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="CUDA is not available; use --device cpu"):
        GenerativeHPO(device="cuda")
    assert GenerativeHPO(device="auto").device.type == "cpu"


def _relevant_first_dim_task(seed, n=120, d=4):
    """y depends on dimension 0 only: a sharp peak at a task-specific point."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    return X, -np.abs(X[:, :1] - rng.uniform(0.3, 0.7)) * 5


def test_meta_learned_gp_prior_finds_the_relevant_dimension():
    tasks = {str(k): _relevant_first_dim_task(k) for k in range(4)}
    prior = fit_gp_prior(tasks, max_points=80, steps=80)
    ell = np.exp(prior["log_lengthscales"])
    assert prior["n_datasets"] == 4 and ell.shape == (4,)
    assert ell[0] < 0.5 * ell[1:].min()     # the irrelevant dimensions get long lengthscales
    with pytest.raises(ValueError, match="no dataset"):
        fit_gp_prior({"flat": (np.random.rand(20, 4), np.ones((20, 1)))})


def test_gp_ei_with_the_meta_learned_kernel_ranks_along_the_relevant_dimension():
    X, y = _relevant_first_dim_task(7, n=12)
    prior = {"log_lengthscales": [np.log(0.1)] + [np.log(10.0)] * 3, "log_noise": np.log(1e-3)}
    best = X[np.argmax(y), 0]
    rng = np.random.default_rng(0)
    near, far = rng.random((200, 4)), rng.random((200, 4))
    near[:, 0], far[:, 0] = best, np.where(best > 0.5, 0.0, 1.0)
    ei = gp_expected_improvement(X, y.ravel(), np.vstack([near, far]), prior=prior)
    # under the ARD kernel only dimension 0 matters: every point at the best x_0 beats every far one
    assert ei[:200].min() > ei[200:].max()
    with pytest.raises(ValueError, match="GP prior is for 4 dimensions, the history has 3"):
        gp_expected_improvement(X[:, :3], y.ravel(), near[:, :3], prior=prior)
