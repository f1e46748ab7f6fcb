import numpy as np
import pytest
import torch

from methods.gen_pool import DECIDERS, SOURCES
from methods.generative_hpo import (CheckpointError, GenerativeHPO, GenerativeHPOConfig, GenerativeHPOModel,
                                    PredictiveHead, history_tensor, load_checkpoint, normalize_history_y,
                                    normalize_query_y, reparameterize, sample_episodes, save_checkpoint)

FAST = {"online_steps": 3, "batch_size": 8, "n_decoded": 32, "n_uniform": 16, "n_local": 16, "n_refine": 16}


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
    for prefix in ("history.embedder", "history.transformer", "cvae.encoder", "cvae.decoder", "predictor"):
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
    summary = model.history(context)[1]
    assert summary.shape == (4, 64)
    changed = context.clone()
    changed[1] = torch.rand(6, 4)
    after = model.history(changed)[1]
    assert torch.allclose(summary[0], after[0]) and torch.allclose(summary[2:], after[2:])
    assert not torch.allclose(summary[1], after[1])
    permuted = context[:, torch.randperm(6)]           # a history is a set: order does not matter
    assert torch.allclose(model.history(permuted)[1], summary, atol=1e-5)
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
        qry = np.rint(batch.query[..., 0].numpy() * 10).astype(int)
        for b in range(64):
            assert not set(tgt[b]) & set(ctx[b]) and not set(qry[b]) & set(ctx[b])
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
    assert latent.shape == (4000, 4)
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


def test_queries_attend_to_the_history_only_and_the_history_is_a_set():
    torch.manual_seed(0)
    model = GenerativeHPOModel(3).eval()
    context = torch.rand(2, 7, 4)                      # (B, C, d+1)
    queries = torch.rand(2, 5, 3)                      # (B, Q, d)
    tokens, _ = model.history(context)
    logits = model.predictor(queries, tokens)
    assert logits.shape == (2, 5, model.cfg.n_bins)
    other = queries.clone()
    other[:, 2] = torch.rand(2, 3)                     # change one query: the others' predictions stay
    changed = model.predictor(other, tokens)
    keep = [0, 1, 3, 4]
    assert torch.allclose(changed[:, keep], logits[:, keep], atol=1e-6)
    assert not torch.allclose(changed[:, 2], logits[:, 2])
    shuffled, _ = model.history(context[:, torch.randperm(7)])
    assert torch.allclose(model.predictor(queries, shuffled), logits, atol=1e-5)
    changed_history = context.clone()
    changed_history[0, 3, -1] = 1.0 - changed_history[0, 3, -1]  # another y in history 0 only
    tokens2, _ = model.history(changed_history)
    after = model.predictor(queries, tokens2)
    assert not torch.allclose(after[0], logits[0]) and torch.allclose(after[1], logits[1], atol=1e-6)


def test_bar_distribution_nll_and_expected_improvement_by_hand():
    head = PredictiveHead(2, GenerativeHPOConfig(n_bins=4, y_low=0.0, y_high=2.0))   # bins of width 0.5
    assert head.bin_index(torch.tensor([-1.0, 0.1, 0.5, 1.2, 1.99, 5.0])).tolist() == [0, 0, 1, 2, 3, 3]
    logits = torch.log(torch.tensor([0.1, 0.2, 0.3, 0.4]))
    # density of y=1.2: probability 0.3 over width 0.5
    assert torch.allclose(head.nll(logits, torch.tensor(1.2)), torch.tensor(-np.log(0.3 / 0.5), dtype=torch.float32))
    # EI over best 1.0: bin [1, 1.5] mean gain 0.25, bin [1.5, 2] 0.75 -> 0.3 * 0.25 + 0.4 * 0.75
    assert torch.allclose(head.expected_improvement(logits, 1.0), torch.tensor(0.375))
    # best 1.25 straddles bin [1, 1.5]: E[max(y - 1.25, 0)] = 0.25^2 / (2 * 0.5) = 0.0625; bin [1.5, 2] gains 0.5
    assert torch.allclose(head.expected_improvement(logits, 1.25), torch.tensor(0.3 * 0.0625 + 0.4 * 0.5))
    assert torch.allclose(head.mean(logits), torch.tensor(0.1 * 0.25 + 0.2 * 0.75 + 0.3 * 1.25 + 0.4 * 1.75))


def test_query_y_in_history_units():
    history_y = np.array([2.0, 4.0, 3.0])
    np.testing.assert_allclose(normalize_query_y(np.array([2.0, 4.0, 5.0, 1.0]), history_y), [0, 1, 1.5, -0.5])
    assert normalize_query_y(np.array([2.5]), np.array([2.0]))[0] == 1.0      # constant history: 0.5 + difference


def test_source_of_every_suggestion_and_ablation_switches(monkeypatch):
    X, y = history(n=12)
    method = GenerativeHPO(seed=0, suggest=FAST)
    for _ in range(5):
        method.observe_and_suggest(X, y)
        origin, decider = method.last_source.split("/")
        assert origin in SOURCES and decider in DECIDERS
    no_generator = GenerativeHPO(seed=0, suggest={**FAST, "n_decoded": 0})
    decoded = []
    monkeypatch.setattr(no_generator, "generate", lambda *a, **k: decoded.append(1) or np.zeros((0, 4)))
    for _ in range(5):
        no_generator.observe_and_suggest(X, y)
        assert no_generator.last_source.split("/")[0] not in ("decoded", "refined-decoded")
    assert not decoded                                    # the decoder is never asked
    alone = GenerativeHPO(seed=0, suggest={**FAST, "acquisition": "none"})
    scored = []
    monkeypatch.setattr(alone, "expected_improvement", lambda *a, **k: scored.append(1))
    x = alone.observe_and_suggest(X, y)
    assert alone.last_source == "decoded/none" and x.shape == (1, 4) and not scored
    gp = GenerativeHPO(seed=0, suggest={**FAST, "acquisition": "botorch-gp-ei"})
    monkeypatch.setattr(gp, "expected_improvement", lambda *a, **k: scored.append(1))
    gp.observe_and_suggest(X, y)
    assert not scored and gp.last_source.endswith("/gp")  # the GP, not the learned head, ranks
    refined = GenerativeHPO(seed=0, suggest={**FAST, "refine_rounds": 0})
    refined.observe_and_suggest(X, y)
    assert not refined.last_source.startswith("refined-") or refined.last_source.startswith("refined-incumbent/")
    with pytest.raises(ValueError, match="acquisition must be one of"):
        GenerativeHPO(suggest={"acquisition": "magic"})
    with pytest.raises(ValueError, match="gp_prior must be one of none, dim-scaled"):
        GenerativeHPO(suggest={"gp_prior": "magic"})
    # the GP-prior switch changes the GP the acquisition fits (its fitted lengthscales)
    fits = {}
    for prior in ("none", "dim-scaled"):
        method = GenerativeHPO(seed=0, suggest={**FAST, "gp_prior": prior, "acquisition": "gp-ei"})
        method.observe_and_suggest(X, y)
        fits[prior] = method.gp_state.k1.k2.length_scale
    assert not np.allclose(fits["none"], fits["dim-scaled"])
    with pytest.raises(ValueError, match="pool is empty"):
        GenerativeHPO(suggest={"n_decoded": 0, "n_uniform": 0, "n_local": 0})
    with pytest.raises(ValueError, match="gp_samples must be >= 0, got -1"):
        GenerativeHPO(suggest={"gp_samples": -1})


def test_learned_acquisition_picks_the_candidate_its_head_prefers(monkeypatch):
    X, y = history(n=10)
    method = GenerativeHPO(seed=0, suggest={**FAST, "refine_rounds": 0, "acquisition": "learned-ei"})
    target = np.full(4, 0.123)
    monkeypatch.setattr(method, "expected_improvement",
                        lambda X, y, c, tokens=None: np.exp(-np.abs(c - target).sum(1)))  # a head that loves `target`
    pool = []
    original = __import__("methods.gen_pool", fromlist=["initial_pool"]).initial_pool

    def spy(m, X, y):
        candidates, sources = original(m, X, y)
        candidates[7] = target                           # one decoded candidate is exactly it
        pool.append(candidates)
        return candidates, sources

    monkeypatch.setattr("methods.gen_pool.initial_pool", spy)
    x = method.observe_and_suggest(X, y)
    np.testing.assert_allclose(x[0], target)
    assert method.last_source == "decoded/head"
    pending = np.random.default_rng(3).random((30, 4))
    pending[17] = target
    assert method.observe_and_suggest(X, y, pending) == 17 and method.last_source == "pending/head"
