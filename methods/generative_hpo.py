"""GenerativeHPO: a history-conditioned CVAE that generates configurations.

Reading order: the config, the three networks of the seed design (an MLP
embedder, a Transformer history encoder, a conditional VAE), the improvement
scorer this project adds, the model that composes them and its loss, the
episode sampler shared by online and meta-training, and finally the HPO-B
method with the suggestion rule.

Architecture (sizes are defaults of :class:`GenerativeHPOConfig`)::

    history (x_i, y_i), i=1..C      y min-max normalised within the history
      -> embedder: Linear(d+1, 32) - LeakyReLU(0.2) - Linear(32, 32), * sqrt(32)
      -> Transformer encoder: d_model 32, 4 heads, 3 layers
      -> mean over the C observations = summary s (32)
    CVAE encoder: (x, improved, s) -> 32 -> 64 -> mean, log-variance (2)
    CVAE decoder: (z, improved, s) -> 64 -> 32 -> d, sigmoid
    scorer (added): (x, s) -> 64 -> 32 -> logit, trained so that its odds estimate the
                    expected improvement of x over the history's best (likelihood-free EI)

Suggestion rule: decode a pool of candidates under improved = 1 with z drawn
from the prior N(0, I), add as many uniform random candidates and, once the
history has 10 points, Gaussian perturbations of its best points; rank the
pool with the learned scorer while the history is short (< 10 points), then
by expected improvement under a small GP fitted to this run's history, and
return the best. Pool sizes, the switch point and the kernel were chosen on
meta-validation data and by cross-validation over the meta-train datasets
(see the README). The discrete protocol applies the same rule to the pending
set: each pool candidate is replaced by its nearest row of X_pen, and the
best-scored of those rows is returned.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

CHECKPOINT_FORMAT = 1


# --------------------------------------------------------------------- config
@dataclass
class GenerativeHPOConfig:
    """Every architecture size and training knob, with its default."""

    embed_dim: int = 32                 # per-observation embedding and Transformer width
    n_heads: int = 4                    # Transformer attention heads
    n_layers: int = 3                   # Transformer encoder layers
    ff_dim: int = 64                    # Transformer feed-forward width
    dropout: float = 0.0                # Transformer dropout
    enc_hidden: tuple[int, int] = (32, 64)   # CVAE encoder hidden sizes
    dec_hidden: tuple[int, int] = (64, 32)   # CVAE decoder hidden sizes
    latent_dim: int = 2                 # CVAE latent size
    score_hidden: tuple[int, int] = (64, 32)  # improvement scorer hidden sizes
    beta: float = 0.1                   # weight of the KL term (1.0 collapses the latent)
    score_weight: float = 1.0           # weight of the scorer's cross-entropy
    lr: float = 1e-3                    # Adam learning rate (all parameters)

    def __post_init__(self):
        self.enc_hidden = tuple(self.enc_hidden)
        self.dec_hidden = tuple(self.dec_hidden)
        self.score_hidden = tuple(self.score_hidden)


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
    """Read a history and pool it: (B, C, d+1) -> summary (B, E)."""

    def __init__(self, d: int, cfg: GenerativeHPOConfig):
        super().__init__()
        self.embedder = ObservationEmbedder(d, cfg)
        layer = nn.TransformerEncoderLayer(cfg.embed_dim, cfg.n_heads, dim_feedforward=cfg.ff_dim,
                                           dropout=cfg.dropout, batch_first=True)
        self.transformer = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        tokens = self.embedder(context)          # (B, C, E), batch first throughout
        tokens = self.transformer(tokens)        # (B, C, E)
        return tokens.mean(dim=1)                # (B, E)


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


class ImprovementScorer(nn.Module):
    """Acquisition logit of x given the history: (B, N, d), (B, E) -> (B, N).

    Trained with the likelihood-free EI loss (Song et al., 2022) on the same
    targets and improved labels as the CVAE, its odds exp(logit) estimate the
    expected improvement of x over the history's best.
    """

    def __init__(self, d: int, cfg: GenerativeHPOConfig):
        super().__init__()
        self.net = _mlp([d + cfg.embed_dim, *cfg.score_hidden, 1])

    def forward(self, x: torch.Tensor, summary: torch.Tensor) -> torch.Tensor:
        summary = summary.unsqueeze(1).expand(-1, x.shape[1], -1)  # (B, N, E)
        return self.net(torch.cat([x, summary], dim=-1)).squeeze(-1)


# --------------------------------------------------------------------- model
@dataclass
class Episodes:
    """A training batch: B histories, each with T targets outside it."""

    context: torch.Tensor    # (B, C, d+1): x and history-normalised y
    target: torch.Tensor     # (B, T, d)
    improved: torch.Tensor   # (B, T): 1.0 iff the target's y beats the context's best
    gain: torch.Tensor       # (B, T): max(y - best, 0) in history-normalised units

    def to(self, device) -> "Episodes":
        return Episodes(self.context.to(device), self.target.to(device), self.improved.to(device),
                        self.gain.to(device))


class GenerativeHPOModel(nn.Module):
    """History encoder + CVAE + scorer for a d-dimensional search space."""

    def __init__(self, d: int, cfg: GenerativeHPOConfig | None = None):
        super().__init__()
        self.d = d
        self.cfg = cfg or GenerativeHPOConfig()
        self.history = HistoryEncoder(d, self.cfg)
        self.cvae = CVAE(d, self.cfg)
        self.scorer = ImprovementScorer(d, self.cfg)

    def loss(self, batch: Episodes, noise: torch.Tensor) -> dict[str, torch.Tensor]:
        """Reconstruction + beta * KL for the CVAE, plus the scorer's cross-entropy.

        Args:
            batch: episodes with context (B, C, d+1), target (B, T, d), improved (B, T).
            noise: standard normal (B, T, latent) for the reparameterisation.
        """
        B, T, _ = batch.target.shape
        summary = self.history(batch.context)                           # (B, E)
        summary_t = summary.unsqueeze(1).expand(-1, T, -1)              # (B, T, E)
        improved = batch.improved.unsqueeze(-1)                         # (B, T, 1)
        mean, logvar = self.cvae.encode(batch.target, improved, summary_t)
        latent = reparameterize(mean, logvar, noise)
        recon = self.cvae.decode(latent, improved, summary_t)           # (B, T, d)
        recon_loss = ((recon - batch.target) ** 2).sum(-1).mean()
        kl = (-0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(-1)).mean()
        # likelihood-free EI (LFBO): the optimum of this loss has sigmoid-odds = E[gain | x, history]
        logits = self.scorer(batch.target, summary)                     # (B, T)
        score_loss = -(batch.gain * F.logsigmoid(logits) + F.logsigmoid(-logits)).mean()
        total = recon_loss + self.cfg.beta * kl + self.cfg.score_weight * score_loss
        return {"loss": total, "recon": recon_loss, "kl": kl, "score": score_loss}


def normalize_history_y(y: np.ndarray) -> np.ndarray:
    """Min-max normalise y within one history (a constant history maps to 0.5)."""
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    low, high = y.min(), y.max()
    if high - low < 1e-12:
        return np.full_like(y, 0.5)
    return (y - low) / (high - low)


def sample_episodes(X: np.ndarray, y: np.ndarray, batch_size: int, context_size: int, n_targets: int,
                    rng: np.random.Generator, improved_fraction: float | None = None) -> Episodes:
    """Sample B (context, targets) episodes from one task's observations.

    Each episode takes a random permutation of the n points: the first
    ``context_size`` form the context, the targets come from the rest, so a
    target is never in its own context and every point (the first one
    included) can be a target.

    Args:
        X: (n, d) configurations; y: (n,) or (n, 1) scores, higher is better.
        batch_size: B. context_size: C, 1 <= C <= n - 1.
        n_targets: T, at most n - C.
        rng: numpy Generator, the only source of randomness.
        improved_fraction: if given, about this fraction of each episode's
            targets is drawn among the points that beat the context's best
            (when there are such points); the rest uniformly.

    Returns:
        Episodes with float32 tensors (B, C, d+1), (B, T, d), (B, T).
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    n, d = X.shape
    if not 1 <= context_size <= n - 1:
        raise ValueError(f"context_size must be in 1..{n - 1}, got {context_size}")
    n_targets = min(n_targets, n - context_size)
    contexts = np.empty((batch_size, context_size, d + 1), dtype=np.float32)
    targets = np.empty((batch_size, n_targets, d), dtype=np.float32)
    improved = np.empty((batch_size, n_targets), dtype=np.float32)
    gain = np.empty((batch_size, n_targets), dtype=np.float32)
    for b in range(batch_size):
        perm = rng.permutation(n)
        ctx, rest = perm[:context_size], perm[context_size:]
        best = y[ctx].max()
        if improved_fraction is not None:
            better = rest[y[rest] > best]
            n_better = min(len(better), int(round(improved_fraction * n_targets)))
            chosen_better = rng.choice(better, n_better, replace=False) if n_better else better[:0]
            others = np.setdiff1d(rest, chosen_better, assume_unique=True)
            tgt = np.concatenate([chosen_better, rng.choice(others, n_targets - n_better, replace=False)])
        else:
            tgt = rest[:n_targets]
        contexts[b, :, :d] = X[ctx]
        contexts[b, :, d] = normalize_history_y(y[ctx])
        targets[b] = X[tgt]
        improved[b] = y[tgt] > best
        spread = best - y[ctx].min()
        gain[b] = np.maximum(y[tgt] - best, 0.0) / (spread if spread > 1e-12 else 1.0)
    return Episodes(torch.from_numpy(contexts), torch.from_numpy(targets), torch.from_numpy(improved),
                    torch.from_numpy(gain))


def history_tensor(X: np.ndarray, y: np.ndarray) -> torch.Tensor:
    """One history as the encoder's input: (1, n, d+1) float32."""
    y_norm = normalize_history_y(y).reshape(-1, 1)
    return torch.from_numpy(np.concatenate([np.asarray(X, np.float64), y_norm], axis=1).astype(np.float32))[None]


def nearest_rows(rows: np.ndarray, points: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Index of the nearest row of ``rows`` (m, d) for each of ``points`` (k, d): (k,)."""
    out = []
    sq_rows = (rows ** 2).sum(1)
    for start in range(0, len(points), chunk):
        part = points[start:start + chunk]
        dist = sq_rows[None, :] - 2.0 * part @ rows.T          # (k, m), up to a per-point constant
        out.append(np.argmin(dist, axis=1))
    return np.concatenate(out)


def _matern52(a: np.ndarray, b: np.ndarray, ell: np.ndarray) -> np.ndarray:
    """Matern-5/2 kernel matrix (len(a), len(b)) with lengthscale(s) ell (scalar or (d,))."""
    diff = (a[:, None, :] - b[None, :, :]) / ell
    r = np.sqrt(np.maximum((diff ** 2).sum(-1), 0.0))
    return (1 + np.sqrt(5) * r + 5.0 / 3.0 * r ** 2) * np.exp(-np.sqrt(5) * r)


def fit_gp_prior(tasks: dict[str, tuple[np.ndarray, np.ndarray]], max_points: int = 256, steps: int = 150,
                 seed: int = 0, progress: bool = False) -> dict[str, Any]:
    """Meta-learn the kernel of :func:`gp_expected_improvement` from the meta-training datasets.

    On each dataset (at most ``max_points`` rows, y min-max normalised then
    standardised), fit a zero-mean GP with an ARD Matern-5/2 kernel by maximising
    its marginal likelihood (Adam); the prior is the median over datasets of each
    dimension's log lengthscale, and of the log noise. A run's own history is far
    too short to estimate d lengthscales; the search space's many datasets are not.

    Returns:
        ``{"log_lengthscales": [d floats], "log_noise": float, "n_datasets": int}``.
    """
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    fits = []
    for name in tqdm(sorted(tasks), disable=not progress, unit="dataset", desc="GP kernel prior", dynamic_ncols=True):
        X, y = tasks[name]
        y = np.asarray(y, np.float64).reshape(-1)
        if len(y) < 8 or y.std() < 1e-12:
            continue
        rows = rng.choice(len(X), min(max_points, len(X)), replace=False)
        Xt = torch.as_tensor(np.asarray(X, np.float64)[rows])
        yt = torch.as_tensor(normalize_history_y(y[rows]))
        yt = (yt - yt.mean()) / yt.std().clamp_min(1e-12)
        log_ell = torch.full((Xt.shape[1],), math.log(0.5), dtype=torch.float64, requires_grad=True)
        log_noise = torch.tensor(math.log(0.05), dtype=torch.float64, requires_grad=True)
        log_scale = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([log_ell, log_noise, log_scale], lr=0.05)
        eye = torch.eye(len(yt), dtype=torch.float64)
        for _ in range(steps):
            diff = (Xt[:, None, :] - Xt[None, :, :]) / log_ell.exp()
            r = (diff.pow(2).sum(-1) + 1e-12).sqrt()
            K = log_scale.exp() * (1 + math.sqrt(5) * r + 5.0 / 3.0 * r ** 2) * torch.exp(-math.sqrt(5) * r)
            K = K + (log_noise.exp() + 1e-6) * eye
            L = torch.linalg.cholesky(K)
            alpha = torch.cholesky_solve(yt[:, None], L)
            nll = 0.5 * (yt[:, None] * alpha).sum() + torch.log(torch.diagonal(L)).sum()
            opt.zero_grad()
            nll.backward()
            opt.step()
            with torch.no_grad():
                log_ell.clamp_(math.log(0.01), math.log(20.0))
                log_noise.clamp_(math.log(1e-4), math.log(1.0))
        fits.append((log_ell.detach().numpy().copy(), float(log_noise.detach())))
    if not fits:
        raise ValueError("no dataset with at least 8 rows and varying y to fit the GP prior on")
    return {"log_lengthscales": np.median([f[0] for f in fits], axis=0).tolist(),
            "log_noise": float(np.median([f[1] for f in fits])), "n_datasets": len(fits)}


def gp_expected_improvement(X: np.ndarray, y: np.ndarray, candidates: np.ndarray,
                            lengthscales: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8),
                            noise: float = 1e-4, prior: dict[str, Any] | None = None,
                            prior_scales: tuple[float, ...] = (0.5, 0.7, 1.0, 1.4, 2.0)) -> np.ndarray:
    """Log expected improvement of candidates under a small GP fitted to the history.

    A zero-mean GP with a Matern-5/2 kernel on standardised y. Without a
    ``prior`` the kernel is isotropic and its lengthscale (relative to sqrt(d))
    is the one of ``lengthscales`` with the highest marginal likelihood. With a
    meta-learned ``prior`` (:func:`fit_gp_prior`) the kernel is ARD: the prior's
    per-dimension lengthscales times the factor of ``prior_scales`` with the
    highest marginal likelihood, and the prior's noise. Cheap (n <= a few
    hundred): it ranks the generator's proposals by what this run's own
    observations say.

    Args:
        X: (n, d) history, y: (n,) scores (higher is better), candidates: (m, d).

    Returns:
        (m,) log EI (higher is better).
    """
    from scipy.special import log_ndtr

    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64).reshape(-1)
    std = y.std()
    if len(y) < 2 or std < 1e-12:
        return np.zeros(len(candidates))
    z = (y - y.mean()) / std
    if prior is not None:
        base = np.exp(np.asarray(prior["log_lengthscales"], np.float64))
        if len(base) != X.shape[1]:
            raise ValueError(f"GP prior is for {len(base)} dimensions, the history has {X.shape[1]}")
        grid = [base * f for f in prior_scales]
        noise = max(noise, float(np.exp(prior["log_noise"])))
    else:
        grid = [ell * np.sqrt(X.shape[1]) for ell in lengthscales]

    best = None
    for ell in grid:
        K = _matern52(X, X, ell) + noise * np.eye(len(X))
        try:
            L = np.linalg.cholesky(K)
        except np.linalg.LinAlgError:
            continue
        alpha = np.linalg.solve(L.T, np.linalg.solve(L, z))
        mll = -0.5 * z @ alpha - np.log(np.diag(L)).sum()
        if best is None or mll > best[0]:
            best = (mll, ell, L, alpha)
    if best is None:
        return np.zeros(len(candidates))
    _, ell, L, alpha = best
    k_star = _matern52(np.asarray(candidates, np.float64), X, ell)          # (m, n)
    mean = k_star @ alpha
    v = np.linalg.solve(L, k_star.T)
    sigma = np.sqrt(np.maximum(1.0 - (v ** 2).sum(0), 1e-12))
    u = (mean - z.max()) / sigma
    # log EI = log sigma + log(phi(u) + u Phi(u)), computed stably
    phi = np.exp(-0.5 * u ** 2) / np.sqrt(2 * np.pi)
    ei = phi + u * np.exp(log_ndtr(u))
    return np.log(sigma) + np.log(np.maximum(ei, 1e-300))


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
        CheckpointError: missing or unreadable file, or a checkpoint for another
            search space or input dimension.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; run meta_train.py for this space "
                              "or pass --checkpoint-dir")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        cfg = GenerativeHPOConfig(**payload["config"])
        model = GenerativeHPOModel(int(payload["d"]), cfg)
        model.load_state_dict(payload["state_dict"])
    except Exception as err:  # torch raises many types for a damaged file
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
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but CUDA is not available; use --device cpu")
    return device


SCORINGS = ("scorer", "gp-ei", "scorer-then-gp-ei", "elbo-ratio", "none")
GP_KERNELS = ("meta-ard", "isotropic")


@dataclass
class SuggestConfig:
    """Knobs of ``observe_and_suggest``."""

    online_steps: int = 50          # training steps on the history per call (from scratch)
    fine_tune_steps: int = 0        # training steps on the history per call (meta-trained model)
    batch_size: int = 32            # episodes per training step on the history
    n_targets: int = 4              # targets per episode on the history
    n_generated: int = 256          # candidates decoded under improved = 1, z ~ N(0, I)
    n_uniform: int = 256            # uniform random candidates (exploration beyond the generator's support)
    n_local: int = 128              # Gaussian perturbations of the best observations (refinement)
    local_scale: float = 0.05       # std of the local perturbations
    local_after: int = 10           # add local candidates only once the history has this many points
    switch_after: int = 10          # "scorer-then-gp-ei": the learned scorer below this history size
    temperature: float = 1.0        # prior std multiplier for z
    gp_kernel: str = "isotropic"    # GP-EI kernel: "isotropic" (lengthscale by marginal likelihood) or "meta-ard"
    #                                 (per-dimension lengthscales meta-learned on the meta-training datasets,
    #                                 stored in the checkpoint; no better on meta-validation data, see README)
    scoring: str = "scorer-then-gp-ei"  # pool ranked by the learned scorer while the history is short, then
    #                                 by "gp-ei" (a GP on this history); alternatives: "scorer", "gp-ei",
    #                                 "elbo-ratio" (the CVAE's likelihood ratio), "none" (one decoded sample)


class GenerativeHPO:
    """HPO-B method: generate configurations with a history-conditioned CVAE.

    Args:
        seed: makes a run bit-for-bit reproducible on CPU.
        device: "cpu", "cuda" or "auto".
        checkpoint: a meta-trained checkpoint (see meta_train.py); without it
            the networks are trained from scratch on the history of each run.
        search_space_id: if given, a checkpoint for another space is refused.
        config: architecture (ignored when a checkpoint is given).
        suggest: :class:`SuggestConfig` or a dict of its fields.

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
                 suggest: SuggestConfig | dict | None = None):
        self.seed = seed
        self.device = resolve_device(device)
        self.cfg = config or GenerativeHPOConfig()
        self.suggest_cfg = suggest if isinstance(suggest, SuggestConfig) else SuggestConfig(**(suggest or {}))
        if self.suggest_cfg.scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {', '.join(SCORINGS)}, got {self.suggest_cfg.scoring!r}")
        self.checkpoint = Path(checkpoint) if checkpoint is not None else None
        self.search_space_id = search_space_id
        self.rng = np.random.default_rng(seed)
        self.torch_gen = torch.Generator().manual_seed(int(self.rng.integers(2**62)))
        if self.suggest_cfg.gp_kernel not in GP_KERNELS:
            raise ValueError(f"gp_kernel must be one of {', '.join(GP_KERNELS)}, got {self.suggest_cfg.gp_kernel!r}")
        self.model: GenerativeHPOModel | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.gp_prior: dict[str, Any] | None = None   # meta-learned GP kernel (checkpoints only)
        if self.checkpoint is not None:
            model, payload = load_checkpoint(self.checkpoint, search_space_id)
            self._set_model(model)
            self.gp_prior = payload.get("extra", {}).get("gp_prior")
            if self.suggest_cfg.gp_kernel == "meta-ard" and not self.gp_prior:
                raise CheckpointError(f"checkpoint {self.checkpoint} holds no meta-learned GP kernel, which "
                                      "gp_kernel='meta-ard' needs; retrain it with meta_train.py --gp-prior")

    # ----------------------------------------------------------- model state
    def _set_model(self, model: GenerativeHPOModel) -> None:
        self.model = model.to(self.device)
        self.cfg = model.cfg
        # every parameter: embedder, Transformer, CVAE and scorer all learn
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

    # ------------------------------------------------------------- suggestion
    @torch.no_grad()
    def summarize(self, X: np.ndarray, y: np.ndarray) -> torch.Tensor:
        """The history encoder's summary of (X, y): (1, E)."""
        self.model.eval()
        return self.model.history(history_tensor(X, y).to(self.device))

    def _chunks(self, candidates: np.ndarray, chunk: int):
        for start in range(0, len(candidates), chunk):
            yield torch.as_tensor(candidates[start:start + chunk], dtype=torch.float32, device=self.device)

    @torch.no_grad()
    def generate(self, X: np.ndarray, y: np.ndarray, n: int, improved: float = 1.0) -> np.ndarray:
        """Decode n configurations for this history, z ~ N(0, temperature^2 I)."""
        summary = self.summarize(X, y)                                                # (1, E)
        latent = self._noise(n, self.cfg.latent_dim) * self.suggest_cfg.temperature  # (n, latent)
        flag = torch.full((n, 1), float(improved), device=self.device)
        return self.model.cvae.decode(latent, flag, summary.expand(n, -1)).cpu().numpy().astype(np.float64)

    @torch.no_grad()
    def score(self, X: np.ndarray, y: np.ndarray, candidates: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """Scorer logits (m,) of candidate configurations (m, d) given the history."""
        summary = self.summarize(X, y)                                                # (1, E)
        out = [self.model.scorer(part[None], summary)[0].cpu().numpy() for part in self._chunks(candidates, chunk)]
        return np.concatenate(out).astype(np.float64)

    @torch.no_grad()
    def elbo_ratio(self, X: np.ndarray, y: np.ndarray, candidates: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """ELBO(x | improved=1) - ELBO(x | improved=0): the CVAE's own log-likelihood ratio, (m,)."""
        summary = self.summarize(X, y)                                                # (1, E)
        out = []
        for part in self._chunks(candidates, chunk):
            s = summary.expand(len(part), -1)
            elbos = []
            for flag in (1.0, 0.0):
                improved = torch.full((len(part), 1), flag, device=self.device)
                mean, logvar = self.model.cvae.encode(part, improved, s)
                recon = self.model.cvae.decode(mean, improved, s)
                kl = -0.5 * (1 + logvar - mean ** 2 - logvar.exp()).sum(-1)
                elbos.append(-((recon - part) ** 2).sum(-1) - self.cfg.beta * kl)
            out.append((elbos[0] - elbos[1]).cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    def gp_ei(self, X: np.ndarray, y: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Log EI under a GP on this history, with the meta-learned kernel when there is one, (m,)."""
        prior = self.gp_prior if self.suggest_cfg.gp_kernel == "meta-ard" else None
        return gp_expected_improvement(X, y, candidates, prior=prior)

    def acquisition(self, X: np.ndarray, y: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """The suggestion rule's score of each candidate (higher is better), (m,)."""
        if self.suggest_cfg.scoring == "elbo-ratio":
            return self.elbo_ratio(X, y, candidates)
        if self.suggest_cfg.scoring == "gp-ei":
            return self.gp_ei(X, y, candidates)
        if self.suggest_cfg.scoring == "scorer-then-gp-ei":
            if len(X) < self.suggest_cfg.switch_after:
                return self.score(X, y, candidates)
            return self.gp_ei(X, y, candidates)
        return self.score(X, y, candidates)

    def candidate_pool(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Decoded, uniform and local candidates, (m, d) inside [0, 1]."""
        cfg, d = self.suggest_cfg, X.shape[1]
        parts = [self.generate(X, y, cfg.n_generated)]
        if cfg.n_uniform:
            parts.append(self.rng.random((cfg.n_uniform, d)))
        if cfg.n_local and len(X) >= cfg.local_after:
            top = np.argsort(-y.reshape(-1), kind="stable")[: max(1, min(3, len(y)))]
            centres = X[self.rng.choice(top, cfg.n_local)]
            parts.append(np.clip(centres + cfg.local_scale * self.rng.standard_normal((cfg.n_local, d)), 0, 1))
        return np.concatenate(parts, axis=0)

    def observe_and_suggest(self, X_obs: np.ndarray, y_obs: np.ndarray, X_pen: np.ndarray | None = None):
        """HPO-B protocol.

        Args:
            X_obs: (n, d) evaluated configurations in [0, 1].
            y_obs: (n, 1) their scores, higher is better.
            X_pen: (m, d) pending configurations (discrete protocol) or None.

        Returns:
            Continuous: ndarray (1, d) inside [0, 1]. Discrete: int index into X_pen.
        """
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
            if self.suggest_cfg.scoring == "none":  # nearest pending point to one decoded sample
                return int(nearest_rows(X_pen, self.generate(X, y, 1))[0])
            # the same rule on the pending set: the pool's nearest pending rows, scored
            rows = np.unique(nearest_rows(X_pen, self.candidate_pool(X, y)))
            return int(rows[np.argmax(self.acquisition(X, y, X_pen[rows]))])
        if self.suggest_cfg.scoring == "none":
            return self.generate(X, y, 1)
        pool = self.candidate_pool(X, y)
        return pool[[int(np.argmax(self.acquisition(X, y, pool)))]]
