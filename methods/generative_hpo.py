"""GenerativeHPO: a history-conditioned CVAE that generates configurations, and a
Transformer that predicts how good they are.

Reading order: the config, the networks of the seed design (an MLP embedder,
a Transformer history encoder, a conditional VAE), the predictive head this
project adds (each candidate attends to the history's tokens and gets a
predictive distribution of its y), the model that composes them and its loss,
the episode sampler shared by online and meta-training, checkpoints, and the
HPO-B method. The suggestion rule lives beside this file: the candidate pool
and its refinement in ``methods/gen_pool.py``, the acquisitions (EI of the
head pooled with a fitted GP, weighted by stacking) in
``methods/gen_acquisition.py``.

Architecture (sizes are defaults of :class:`GenerativeHPOConfig`)::

    history (x_i, y_i), i=1..C      y min-max normalised within the history
      -> embedder: Linear(d+1, 64) - LeakyReLU(0.2) - Linear(64, 64), * sqrt(64)
      -> Transformer encoder: d_model 64, 4 heads, 3 layers  -> tokens (C, 64)
      -> mean over the C tokens = summary s (64)
    CVAE encoder: (x, improved, s) -> 64 -> 64 -> mean, log-variance (4)
    CVAE decoder: (z, improved, s) -> 64 -> 64 -> d, sigmoid
    predictive head (added): x -> 64 -> 2 cross-attention blocks (queries attend to
        the C tokens, never to each other) -> logits over 64 bins of the
        history-normalised y: a discretised ("bar") predictive distribution,
        from which expected improvement is computed exactly.

Meta-trained over the datasets of a search space (hpogen/meta_training.py),
the decoder proposes configurations likely to improve on this history, and the
predictive head is a meta-learned surrogate that ranks them.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

CHECKPOINT_FORMAT = 2


# --------------------------------------------------------------------- config
@dataclass
class GenerativeHPOConfig:
    """Every architecture size and loss weight, with its default."""

    embed_dim: int = 64                 # per-observation embedding and Transformer width
    n_heads: int = 4                    # attention heads (history encoder and predictive head)
    n_layers: int = 3                   # Transformer encoder layers over the history
    ff_dim: int = 128                   # feed-forward width of every attention block
    dropout: float = 0.0                # Transformer dropout
    enc_hidden: tuple[int, int] = (64, 64)   # CVAE encoder hidden sizes
    dec_hidden: tuple[int, int] = (64, 64)   # CVAE decoder hidden sizes
    latent_dim: int = 4                 # CVAE latent size
    beta: float = 0.1                   # weight of the KL term (1.0 collapses the latent)
    n_cross_layers: int = 2             # predictive head: cross-attention blocks
    n_bins: int = 64                    # predictive head: bins of the bar distribution
    y_low: float = -2.0                 # bar support in history-normalised units (0 = worst, 1 = best so far);
    y_high: float = 3.0                 # targets outside are clipped to the edge bins
    predict_weight: float = 1.0         # weight of the predictive head's NLL in the loss
    lr: float = 1e-3                    # Adam learning rate (all parameters)

    def __post_init__(self):
        self.enc_hidden = tuple(self.enc_hidden)
        self.dec_hidden = tuple(self.dec_hidden)


# ------------------------------------------------------------------ networks
class ObservationEmbedder(nn.Module):
    """Embed each (x, y) pair on its own: (B, C, d+1) -> (B, C, E)."""

    def __init__(self, d: int, cfg: GenerativeHPOConfig):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d + 1, cfg.embed_dim), nn.LeakyReLU(0.2),
                                 nn.Linear(cfg.embed_dim, cfg.embed_dim))
        self.scale = math.sqrt(cfg.embed_dim)

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        return self.net(context) * self.scale  # Linear acts on the last axis: (B, C, E)


class HistoryEncoder(nn.Module):
    """Read a history: (B, C, d+1) -> tokens (B, C, E) and their mean, the summary (B, E)."""

    def __init__(self, d: int, cfg: GenerativeHPOConfig):
        super().__init__()
        self.embedder = ObservationEmbedder(d, cfg)
        layer = nn.TransformerEncoderLayer(cfg.embed_dim, cfg.n_heads, dim_feedforward=cfg.ff_dim,
                                           dropout=cfg.dropout, batch_first=True)
        self.transformer = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)

    def forward(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.embedder(context)          # (B, C, E), batch first throughout
        tokens = self.transformer(tokens)        # (B, C, E)
        return tokens, tokens.mean(dim=1)        # (B, C, E), (B, E)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


def reparameterize(mean: torch.Tensor, logvar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """z = mean + std * noise with std = exp(logvar / 2) (not the log-variance itself)."""
    return mean + torch.exp(0.5 * logvar) * noise


class CVAE(nn.Module):
    """Conditional VAE over configurations, conditioned on (improved, summary)."""

    def __init__(self, d: int, cfg: GenerativeHPOConfig):
        super().__init__()
        h1, h2 = cfg.enc_hidden
        self.encoder = _mlp([d + 1 + cfg.embed_dim, h1, h2])
        self.to_mean = nn.Linear(h2, cfg.latent_dim)
        self.to_logvar = nn.Linear(h2, cfg.latent_dim)
        self.decoder = _mlp([cfg.latent_dim + 1 + cfg.embed_dim, *cfg.dec_hidden, d])
        self.latent_dim = cfg.latent_dim

    def encode(self, x, improved, summary):
        """(.., d), (.., 1), (.., E) -> mean, logvar (.., latent)."""
        hidden = F.leaky_relu(self.encoder(torch.cat([x, improved, summary], dim=-1)), 0.2)
        return self.to_mean(hidden), self.to_logvar(hidden)

    def decode(self, latent, improved, summary):
        """(.., latent), (.., 1), (.., E) -> configuration (.., d) in (0, 1)."""
        return torch.sigmoid(self.decoder(torch.cat([latent, improved, summary], dim=-1)))


class CrossAttentionBlock(nn.Module):
    """Queries attend to the history tokens only (pre-norm attention + feed-forward)."""

    def __init__(self, cfg: GenerativeHPOConfig):
        super().__init__()
        self.norm_query = nn.LayerNorm(cfg.embed_dim)
        self.norm_tokens = nn.LayerNorm(cfg.embed_dim)
        self.attention = nn.MultiheadAttention(cfg.embed_dim, cfg.n_heads, batch_first=True)
        self.norm_ff = nn.LayerNorm(cfg.embed_dim)
        self.ff = nn.Sequential(nn.Linear(cfg.embed_dim, cfg.ff_dim), nn.GELU(), nn.Linear(cfg.ff_dim, cfg.embed_dim))

    def forward(self, queries: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """(B, T, E), (B, C, E) -> (B, T, E); query t sees tokens 1..C, no other query."""
        keys = self.norm_tokens(tokens)
        attended, _ = self.attention(self.norm_query(queries), keys, keys, need_weights=False)
        queries = queries + attended
        return queries + self.ff(self.norm_ff(queries))


class PredictiveHead(nn.Module):
    """Meta-learned surrogate: logits of p(y | x, history) over fixed bins, (B, T, d) -> (B, T, K)."""

    def __init__(self, d: int, cfg: GenerativeHPOConfig):
        super().__init__()
        self.query = _mlp([d, cfg.embed_dim, cfg.embed_dim])
        self.blocks = nn.ModuleList(CrossAttentionBlock(cfg) for _ in range(cfg.n_cross_layers))
        self.norm = nn.LayerNorm(cfg.embed_dim)
        self.to_logits = nn.Linear(cfg.embed_dim, cfg.n_bins)
        self.register_buffer("edges", torch.linspace(cfg.y_low, cfg.y_high, cfg.n_bins + 1))  # (K+1,)

    def forward(self, x: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        queries = self.query(x)                              # (B, T, E)
        for block in self.blocks:
            queries = block(queries, tokens)                 # (B, T, E)
        return self.to_logits(self.norm(queries))            # (B, T, K)

    def bin_index(self, y: torch.Tensor) -> torch.Tensor:
        """Bin of each history-normalised y (clipped to the support): (...) -> (...) long."""
        inner = self.edges[1:-1].contiguous()
        return torch.bucketize(y.contiguous(), inner, right=True)

    def nll(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Negative log density of y under the bar distribution, elementwise (...)."""
        width = self.edges[1] - self.edges[0]
        logp = F.log_softmax(logits, dim=-1).gather(-1, self.bin_index(y).unsqueeze(-1)).squeeze(-1)
        return -(logp - torch.log(width))

    def expected_improvement(self, logits: torch.Tensor, best: float = 1.0) -> torch.Tensor:
        """E[max(y - best, 0)] under the bar distribution (uniform within each bin): (..., K) -> (...)."""
        low, high = self.edges[:-1], self.edges[1:]                                  # (K,)
        inside = torch.clamp(high - best, min=0.0) ** 2 / (2 * (high - low))         # bins that straddle best
        above = (low + high) / 2 - best
        gain = torch.where(low >= best, above, inside)                               # (K,)
        return (F.softmax(logits, dim=-1) * gain).sum(-1)

    def mean(self, logits: torch.Tensor) -> torch.Tensor:
        """Predictive mean in history-normalised units: (..., K) -> (...)."""
        centres = (self.edges[:-1] + self.edges[1:]) / 2
        return (F.softmax(logits, dim=-1) * centres).sum(-1)


# --------------------------------------------------------------------- model
@dataclass
class Episodes:
    """A training batch: B histories, targets for the CVAE and queries for the predictive head."""

    context: torch.Tensor    # (B, C, d+1): x and history-normalised y
    target: torch.Tensor     # (B, T, d): CVAE targets (some drawn among improving points)
    improved: torch.Tensor   # (B, T): 1.0 iff the target's y beats the context's best
    query: torch.Tensor      # (B, Q, d): predictive-head queries, uniform outside the context
    query_y: torch.Tensor    # (B, Q): their y in history-normalised units (1 = the context's best)

    def to(self, device) -> "Episodes":
        return Episodes(*(t.to(device) for t in (self.context, self.target, self.improved, self.query,
                                                  self.query_y)))


class GenerativeHPOModel(nn.Module):
    """History encoder + CVAE + predictive head for a d-dimensional search space."""

    def __init__(self, d: int, cfg: GenerativeHPOConfig | None = None):
        super().__init__()
        self.d = d
        self.cfg = cfg or GenerativeHPOConfig()
        self.history = HistoryEncoder(d, self.cfg)
        self.cvae = CVAE(d, self.cfg)
        self.predictor = PredictiveHead(d, self.cfg)

    def loss(self, batch: Episodes, noise: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstruction + beta * KL for the CVAE, plus the predictive head's NLL.

        Args:
            batch: episodes with context (B, C, d+1), target (B, T, d), improved (B, T),
                query (B, Q, d), query_y (B, Q).
            noise: standard normal (B, T, latent) for the reparameterisation.
        """
        B, T, _ = batch.target.shape
        tokens, summary = self.history(batch.context)                   # (B, C, E), (B, E)
        summary_t = summary.unsqueeze(1).expand(-1, T, -1)              # (B, T, E)
        improved = batch.improved.unsqueeze(-1)                         # (B, T, 1)
        mean, logvar = self.cvae.encode(batch.target, improved, summary_t)
        latent = reparameterize(mean, logvar, noise)
        recon = self.cvae.decode(latent, improved, summary_t)           # (B, T, d)
        recon_loss = ((recon - batch.target) ** 2).sum(-1).mean()
        kl = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(-1)).mean()
        logits = self.predictor(batch.query, tokens)                    # (B, Q, K)
        nll = self.predictor.nll(logits, batch.query_y).mean()
        total = recon_loss + self.cfg.beta * kl + self.cfg.predict_weight * nll
        return {"loss": total, "recon": recon_loss, "kl": kl, "nll": nll}


def history_scales(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The min-max normalisation of each history along the last axis of Y (..., n): its low (...), spread
    (..., 1 for a constant history) and whether it is constant (...). The one rule behind the functions below
    (single histories) and the head's leave-one-out histories (methods/gen_acquisition.py, many at once)."""
    Y = np.asarray(Y, dtype=np.float64)
    low, high = Y.min(-1), Y.max(-1)
    return low, np.where(high - low > 1e-12, high - low, 1.0), high - low < 1e-12


def normalize_histories(Y: np.ndarray) -> np.ndarray:
    """Min-max normalise each history along the last axis of Y (..., n) (a constant history maps to 0.5)."""
    Y = np.asarray(Y, dtype=np.float64)
    low, spread, constant = history_scales(Y)
    return np.where(constant[..., None], 0.5, (Y - low[..., None]) / spread[..., None])


def in_history_units(y: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """y (...) of new points, one per history of Y (..., n), in that history's units: 0 = its worst, 1 = its
    best (best + offset when constant: its y is 0.5, differences kept)."""
    low, spread, constant = history_scales(Y)
    y = np.asarray(y, np.float64)
    return np.where(constant, 0.5 + (y - low), (y - low) / spread)


def history_scale(y: np.ndarray) -> tuple[float, float]:
    """(low, spread) of the min-max normalisation of one history (spread 1 for a constant history)."""
    low, spread, _ = history_scales(np.asarray(y).reshape(-1))
    return float(low), float(spread)


def normalize_history_y(y: np.ndarray) -> np.ndarray:
    """Min-max normalise y within one history (a constant history maps to 0.5)."""
    return normalize_histories(np.asarray(y).reshape(-1))


def normalize_query_y(y: np.ndarray, history_y: np.ndarray) -> np.ndarray:
    """y of new points in the units of a history: 0 = its worst, 1 = its best (best + offset when constant)."""
    return in_history_units(y, np.asarray(history_y).reshape(-1))


def sample_episodes(X: np.ndarray, y: np.ndarray, batch_size: int, context_size: int, n_targets: int,
                    rng: np.random.Generator, improved_fraction: float | None = None,
                    n_queries: int | None = None, y_warp: float = 0.0, near_fraction: float = 0.0,
                    known_fraction: float = 0.0, repeat_fraction: float = 0.0, jitter: float = 0.0) -> Episodes:
    """Sample B (context, targets, queries) episodes from one task's observations.

    Each episode takes a random permutation of the n points: the first
    ``context_size`` form the context; CVAE targets and predictive queries come
    from the rest, so neither is ever in its own context and every point (the
    first one included) can be a target.

    Args:
        X: (n, d) configurations; y: (n,) or (n, 1) scores, higher is better.
        batch_size: B. context_size: C, 1 <= C <= n - 1.
        n_targets: T CVAE targets, at most n - C.
        rng: numpy Generator, the only source of randomness.
        improved_fraction: if given, about this fraction of each episode's CVAE
            targets is drawn among the points that beat the context's best
            (when there are such points); the rest uniformly.
        n_queries: Q predictive queries (default: T, at most n - C): uniform
            among the points outside the context, except for
        near_fraction: this share of the queries: the points outside the context
            nearest to the context's 3 best points (how y varies around an
            incumbent, where the suggestion rule refines), and
        known_fraction: this share: copies of context points with their own y
            (an evaluated configuration has a known value: no improvement there).
        repeat_fraction: in half of the episodes, up to this share of the
            context is replaced by copies of its 3 best points with their y, as
            a history that refines around its incumbent holds.
        jitter: copies (known queries and repeats) are moved by Gaussian noise of
            std up to ``jitter`` (drawn per episode) and keep their y: hyperparameter
            responses are locally flat (integers, categories, tree-based surrogates).
        y_warp: if > 0, each episode sees the task's y through a random monotone
            warp u ** exp(N(0, y_warp^2)) of its min-max scaled values (same
            optimum, other shapes of the response): augmentation for meta-training.

    Returns:
        Episodes with float32 tensors (B, C, d+1), (B, T, d), (B, T), (B, Q, d), (B, Q).
    """
    X = np.asarray(X, dtype=np.float32)
    y_raw = np.asarray(y, dtype=np.float64).reshape(-1)
    n, d = X.shape
    if not 1 <= context_size <= n - 1:
        raise ValueError(f"context_size must be in 1..{n - 1}, got {context_size}")
    n_targets = min(n_targets, n - context_size)
    n_queries = min(n_targets if n_queries is None else n_queries, n - context_size)
    contexts = np.empty((batch_size, context_size, d + 1), dtype=np.float32)
    targets = np.empty((batch_size, n_targets, d), dtype=np.float32)
    improved = np.empty((batch_size, n_targets), dtype=np.float32)
    queries = np.empty((batch_size, n_queries, d), dtype=np.float32)
    query_y = np.empty((batch_size, n_queries), dtype=np.float32)
    low, spread = y_raw.min(), max(y_raw.max() - y_raw.min(), 1e-12)
    for b in range(batch_size):
        y = y_raw
        if y_warp > 0:
            y = ((y_raw - low) / spread) ** math.exp(y_warp * rng.standard_normal())
        perm = rng.permutation(n)
        ctx, rest = perm[:context_size], perm[context_size:]
        best = y[ctx].max()
        scale = jitter * rng.random() if jitter > 0 else 0.0
        ctx_X, ctx_y = X[ctx].copy(), y[ctx].copy()
        n_repeat = 0
        if repeat_fraction > 0 and rng.random() < 0.5:
            n_repeat = int(rng.integers(0, int(repeat_fraction * context_size) + 1))
        if n_repeat and context_size > 3:
            n_repeat = min(n_repeat, context_size - 3)
            top = np.argsort(-ctx_y, kind="stable")[:3]
            others = np.setdiff1d(np.arange(context_size), top)
            slots = rng.choice(others, n_repeat, replace=False)
            sources = rng.choice(top, n_repeat)
            ctx_X[slots] = np.clip(ctx_X[sources] + scale * rng.standard_normal((n_repeat, d)), 0, 1)
            ctx_y[slots] = ctx_y[sources]
        if improved_fraction is not None:
            better = rest[y[rest] > best]
            n_better = min(len(better), int(round(improved_fraction * n_targets)))
            chosen_better = rng.choice(better, n_better, replace=False) if n_better else better[:0]
            others = np.setdiff1d(rest, chosen_better, assume_unique=True)
            tgt = np.concatenate([chosen_better, rng.choice(others, n_targets - n_better, replace=False)])
        else:
            tgt = rest[:n_targets]
        n_known = min(context_size, int(round(known_fraction * n_queries)))
        n_near = min(len(rest), int(round(near_fraction * n_queries)))
        near = rest[:0]
        if n_near:
            centres = ctx_X[np.argsort(-ctx_y, kind="stable")[:3]]                        # (<=3, d)
            dist = ((X[rest][:, None, :] - centres[None]) ** 2).sum(-1).min(1)             # (n - C,)
            near = rest[np.argsort(dist, kind="stable")[:n_near]]
        others = np.setdiff1d(rest, near, assume_unique=True)
        uniform = others[rng.permutation(len(others))[:n_queries - n_known - len(near)]]
        known = rng.choice(context_size, n_known, replace=False)
        known_X = ctx_X[known]
        if scale > 0:
            known_X = np.clip(known_X + scale * rng.standard_normal((n_known, d)), 0, 1)
        contexts[b, :, :d] = ctx_X
        contexts[b, :, d] = normalize_history_y(ctx_y)
        targets[b] = X[tgt]
        improved[b] = y[tgt] > best
        queries[b] = np.concatenate([known_X, X[near], X[uniform]])
        query_y[b] = normalize_query_y(np.concatenate([ctx_y[known], y[near], y[uniform]]), ctx_y)
    return Episodes(*(torch.from_numpy(a) for a in (contexts, targets, improved, queries, query_y)))


def history_tensor(X: np.ndarray, y: np.ndarray) -> torch.Tensor:
    """One history as the encoder's input: (1, n, d+1) float32."""
    y_norm = normalize_history_y(y).reshape(-1, 1)
    return torch.from_numpy(np.concatenate([np.asarray(X, np.float64), y_norm], axis=1).astype(np.float32))[None]


# ------------------------------------------------------------- checkpoints
def save_checkpoint(path: str | Path, model: GenerativeHPOModel, search_space_id: str,
                    extra: dict[str, Any] | None = None) -> None:
    """Weights + config + input dimension, loadable with ``torch.load(weights_only=True)``."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "search_space_id": str(search_space_id),
        "d": int(model.d),
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(model.cfg).items()},
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": extra or {},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt or made for another search space."""


def load_checkpoint(path: str | Path, search_space_id: str | None = None,
                    d: int | None = None) -> tuple[GenerativeHPOModel, dict]:
    """Load a checkpoint written by :func:`save_checkpoint`, refusing a mismatch.

    Raises:
        CheckpointError: missing or unreadable file, a checkpoint of an older
            format, or one for another search space or input dimension.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; run meta_train.py for this space "
                              "or pass --checkpoint-dir")
    try:
        with warnings.catch_warnings():   # torch warns before refusing some files; the error below says it
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
        version = int(payload.get("format", 1))
    except Exception as err:  # torch raises many types for a damaged file
        raise CheckpointError(f"checkpoint {path} is corrupt or not a GenerativeHPO checkpoint "
                              f"({type(err).__name__}); retrain it with meta_train.py") from None
    if version != CHECKPOINT_FORMAT:
        raise CheckpointError(f"checkpoint {path} has format {version}, this version reads format "
                              f"{CHECKPOINT_FORMAT}; retrain it with meta_train.py")
    try:
        cfg = GenerativeHPOConfig(**payload["config"])
        model = GenerativeHPOModel(int(payload["d"]), cfg)
        model.load_state_dict(payload["state_dict"])
    except Exception as err:
        raise CheckpointError(f"checkpoint {path} is corrupt or not a GenerativeHPO checkpoint "
                              f"({type(err).__name__}); retrain it with meta_train.py") from None
    if search_space_id is not None and str(payload["search_space_id"]) != str(search_space_id):
        raise CheckpointError(f"checkpoint {path} was meta-trained on search space "
                              f"{payload['search_space_id']}, not {search_space_id}; use that space's checkpoint")
    if d is not None and int(payload["d"]) != int(d):
        raise CheckpointError(f"checkpoint {path} is for {payload['d']}-dimensional configurations, "
                              f"but the data has {d} dimensions; use the checkpoint of this search space")
    return model, payload


# -------------------------------------------------------------------- method
def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"``/None -> cuda if available else cpu; ``"cuda"`` without CUDA is an error."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}; use cpu, cuda or auto") from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"unsupported device {device.type!r}; use cpu, cuda or auto")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but CUDA is not available; use --device cpu")
    return device


class GenerativeHPO:
    """HPO-B method: generate configurations with a history-conditioned CVAE, rank them with
    the meta-learned predictive head and a GP fitted to the run, mixed by stacking.

    Args:
        seed: makes a run bit-for-bit reproducible on CPU.
        device: "cpu", "cuda" or "auto".
        checkpoint: a meta-trained checkpoint (see meta_train.py); without it
            the networks are trained from scratch on the history of each run.
        search_space_id: if given, a checkpoint for another space is refused.
        config: architecture (ignored when a checkpoint is given).
        suggest: :class:`methods.gen_pool.SuggestConfig` or a dict of its fields.

    After each suggestion, ``last_source`` says where the chosen candidate came
    from and which model decided it, e.g. ``"refined-decoded/head"`` or
    ``"uniform/gp"`` (see ``methods/gen_pool.py``).

    Example:
        >>> import numpy as np
        >>> method = GenerativeHPO(seed=0, suggest={"online_steps": 5})
        >>> X, y = np.random.rand(5, 3), np.random.rand(5, 1)
        >>> method.observe_and_suggest(X, y).shape
        (1, 3)
    """

    name = "GEN-VAE"

    def __init__(self, seed: int | None = 0, device: str | None = "cpu", checkpoint: str | Path | None = None,
                 search_space_id: str | None = None, config: GenerativeHPOConfig | None = None,
                 suggest=None):
        from methods.gen_pool import SuggestConfig

        self.seed = seed
        self.device = resolve_device(device)
        self.cfg = config or GenerativeHPOConfig()
        self.suggest_cfg = suggest if isinstance(suggest, SuggestConfig) else SuggestConfig(**(suggest or {}))
        self.suggest_cfg.check()
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.search_space_id = search_space_id
        self.rng = np.random.default_rng(seed)
        self.torch_gen = torch.Generator().manual_seed(int(self.rng.integers(2**62)))
        self.model: GenerativeHPOModel | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.last_source: str | None = None
        self.gp_state = None     # the GP's fitted kernel of the last suggestion (methods/gen_acquisition.py)
        if self.checkpoint is not None:
            model, _ = load_checkpoint(self.checkpoint, search_space_id)
            self._set_model(model)

    # ----------------------------------------------------------- model state
    def _set_model(self, model: GenerativeHPOModel) -> None:
        self.model = model.to(self.device)
        self.cfg = model.cfg
        # every parameter: embedder, Transformer, CVAE and predictive head all learn
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.cfg.lr)

    def _ensure_model(self, d: int) -> None:
        if self.model is None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(self.rng.integers(2**62)))
                self._set_model(GenerativeHPOModel(d, self.cfg))
        elif self.model.d != d:
            source = f"checkpoint {self.checkpoint}" if self.checkpoint else "this model"
            raise ValueError(f"{source} is for {self.model.d}-dimensional configurations, got X_obs with {d} "
                             "columns; use the checkpoint of this search space")

    def _noise(self, *shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=self.torch_gen).to(self.device)

    def train_on_history(self, X: np.ndarray, y: np.ndarray, steps: int) -> list[float]:
        """Fit all networks on episodes drawn from the current history."""
        n = len(X)
        losses: list[float] = []
        if steps <= 0 or n < 2:
            return losses
        self.model.train()
        for _ in range(steps):
            context_size = int(self.rng.integers(1, n))  # 1..n-1
            batch = sample_episodes(X, y, self.suggest_cfg.batch_size, context_size,
                                    self.suggest_cfg.n_targets, self.rng)
            batch = batch.to(self.device)
            noise = self._noise(*batch.target.shape[:2], self.cfg.latent_dim)
            out = self.model.loss(batch, noise)
            self.optimizer.zero_grad()
            out["loss"].backward()
            self.optimizer.step()
            losses.append(float(out["loss"].detach()))
        return losses

    def eval_mode(self) -> None:
        """The model in evaluation mode (train() and eval() always set every submodule, so the root's flag
        tells; a suggestion asks several times and the recursive switch is not free)."""
        if self.model.training:
            self.model.eval()

    # ------------------------------------------ what the suggestion rule asks of the model
    @torch.no_grad()
    def read_history(self, X: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The history encoder's tokens (1, n, E) and summary (1, E) of (X, y)."""
        self.eval_mode()
        return self.model.history(history_tensor(X, y).to(self.device))

    @torch.no_grad()
    def generate(self, X: np.ndarray, y: np.ndarray, n: int, improved: float = 1.0) -> np.ndarray:
        """Decode n configurations for this history, z ~ N(0, temperature^2 I): (n, d)."""
        _, summary = self.read_history(X, y)                                           # (1, E)
        latent = self._noise(n, self.cfg.latent_dim) * self.suggest_cfg.temperature   # (n, latent)
        flag = torch.full((n, 1), float(improved), device=self.device)
        return self.model.cvae.decode(latent, flag, summary.expand(n, -1)).cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def predict_logits(self, X: np.ndarray, y: np.ndarray, candidates: np.ndarray,
                       chunk: int = 4096, tokens: torch.Tensor | None = None) -> torch.Tensor:
        """Bar-distribution logits (m, K) of candidates (m, d) given the history (its tokens if read)."""
        if tokens is None:
            tokens, _ = self.read_history(X, y)                                        # (1, n, E)
        out = []
        for start in range(0, len(candidates), chunk):
            part = torch.as_tensor(candidates[start:start + chunk], dtype=torch.float32, device=self.device)
            out.append(self.model.predictor(part[None], tokens)[0])                    # (m', K)
        return torch.cat(out)

    def expected_improvement(self, X: np.ndarray, y: np.ndarray, candidates: np.ndarray,
                             tokens: torch.Tensor | None = None) -> np.ndarray:
        """The head's expected improvement over the history's best, in history-normalised units, (m,)."""
        best = float(normalize_query_y(np.max(y), y))
        logits = self.predict_logits(X, y, candidates, tokens=tokens)                   # (m, K)
        return self.model.predictor.expected_improvement(logits, best).cpu().numpy().astype(np.float64)

    def observe_and_suggest(self, X_obs: np.ndarray, y_obs: np.ndarray, X_pen: np.ndarray | None = None):
        """HPO-B protocol.

        Args:
            X_obs: (n, d) evaluated configurations in [0, 1].
            y_obs: (n, 1) their scores, higher is better.
            X_pen: (m, d) pending configurations (discrete protocol) or None.

        Returns:
            Continuous: ndarray (1, d) inside [0, 1]. Discrete: int index into X_pen.
        """
        from methods.gen_pool import suggest

        X = np.asarray(X_obs, dtype=np.float64)
        y = np.asarray(y_obs, dtype=np.float64).reshape(-1)
        if X.ndim != 2 or len(X) != len(y) or len(X) == 0:
            raise ValueError(f"X_obs must be (n, d) and y_obs (n, 1) with n >= 1; got {X.shape} and {y.shape}")
        if not (np.isfinite(X).all() and np.isfinite(y).all()):
            raise ValueError("X_obs and y_obs must be finite (no NaN or inf)")
        self._ensure_model(X.shape[1])
        steps = self.suggest_cfg.fine_tune_steps if self.checkpoint else self.suggest_cfg.online_steps
        self.train_on_history(X, y, steps)
        if X_pen is not None:
            X_pen = np.asarray(X_pen, dtype=np.float64)
            if X_pen.ndim != 2 or X_pen.shape[1] != X.shape[1] or len(X_pen) == 0:
                raise ValueError(f"X_pen must be (m, {X.shape[1]}) with m >= 1; got {X_pen.shape}")
        suggestion, self.last_source = suggest(self, X, y, X_pen)
        return suggestion
