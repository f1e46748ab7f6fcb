"""Meta-training GenerativeHPO across the datasets of one search space.

An episode imitates one moment of an optimisation run on a meta-train
dataset: a history of k evaluated configurations (k from 1 up to the initial
design plus the trial budget), CVAE targets outside it, each labelled
``improved`` iff its y beats the history's best, and predictive queries drawn
uniformly outside it with their y. y is min-max normalised within the
history, exactly as ``GenerativeHPO.observe_and_suggest`` does. All networks
(embedder, Transformer, CVAE, predictive head) are trained together; the
checkpoint kept is the one with the lowest loss on fixed episodes from the
meta-validation datasets.
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from hpogen.curves import save_figure
from hpogen.errors import UserError
from methods.generative_hpo import Episodes, GenerativeHPOConfig, GenerativeHPOModel, sample_episodes, save_checkpoint

Tasks = dict[str, tuple[np.ndarray, np.ndarray]]


LR_SCHEDULES = ("cosine", "constant")    # MetaTrainConfig.lr_schedule


@dataclass
class MetaTrainConfig:
    """Knobs of meta-training (defaults: one bundled space in a few minutes on 2 CPU cores)."""

    steps: int = 4000              # gradient steps
    batch_size: int = 32           # histories per step (all from one dataset)
    n_targets: int = 16            # CVAE targets per history
    n_queries: int = 32            # predictive-head queries per history
    min_history: int = 1           # smallest history
    max_history: int = 55          # largest history: initial design + a 50-trial budget
    improved_fraction: float = 0.5  # share of CVAE targets drawn among improving points
    top_bias: float = 0.5          # share of histories drawn with a bias to good points, like a BO run's
    y_warp: float = 0.0            # std of the log-exponent of a random monotone warp of each episode's y
    near_fraction: float = 0.375   # share of queries next to the history's best points
    known_fraction: float = 0.125  # share of queries that are history points (known y)
    repeat_fraction: float = 0.0   # in half the histories, up to this share are copies of the best points
    jitter: float = 0.0            # copies move by Gaussian noise of std up to this and keep their y
    #                                (repeats 0.5 with jitter 0.02 made meta-validation regret worse: README)
    val_every: int = 200           # steps between validations
    val_batches: int = 4           # fixed validation batches per validation dataset
    patience: int = 0              # stop after this many validations without improvement (0 = never)
    lr: float = 1e-3
    lr_schedule: str = "cosine"    # the learning rate over the steps: "cosine" decays it from lr to 0
    #                                (Loshchilov & Hutter, 2017), "constant" keeps it (the default until
    #                                2026-11-30: higher meta-validation loss, README "Meta-training")
    seed: int = 0


def _biased_subset(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of k points, drawn with weights favouring good y (as a run's history does)."""
    ranks = np.argsort(np.argsort(-y))                      # 0 = best
    weights = 1.0 / (1.0 + ranks / max(1, len(y) / 10))
    return rng.choice(len(y), k, replace=False, p=weights / weights.sum())


def sample_task_batch(tasks: Tasks, names: list[str], cfg: MetaTrainConfig, rng: np.random.Generator) -> Episodes:
    """One batch: a dataset, a history size, histories and targets outside them."""
    X, y = tasks[names[int(rng.integers(len(names)))]]
    y = y.reshape(-1)
    n = len(X)
    k = int(rng.integers(cfg.min_history, max(cfg.min_history, min(cfg.max_history, n - 2)) + 1))
    if rng.random() < cfg.top_bias:
        # a history concentrated on good points; targets and queries still come from the rest of the dataset
        keep = _biased_subset(y, min(n, k + max(4 * max(cfg.n_targets, cfg.n_queries), k)), rng)
        X, y = X[keep], y[keep]
    return sample_episodes(X, y, cfg.batch_size, k, cfg.n_targets, rng, cfg.improved_fraction,
                           n_queries=cfg.n_queries, y_warp=cfg.y_warp, near_fraction=cfg.near_fraction,
                           known_fraction=cfg.known_fraction, repeat_fraction=cfg.repeat_fraction,
                           jitter=cfg.jitter)


def _check_tasks(tasks: Tasks, d: int, split: str, cfg: MetaTrainConfig) -> None:
    if not tasks:
        raise UserError(f"the {split} split has no datasets for this search space; meta-training needs some")
    if cfg.batch_size < 1 or cfg.steps < 1 or cfg.n_targets < 1 or cfg.n_queries < 1:
        raise UserError("meta-training needs steps, batch size, targets and queries >= 1")
    if cfg.lr_schedule not in LR_SCHEDULES:
        raise UserError(f"unknown learning-rate schedule {cfg.lr_schedule!r}; use one of {', '.join(LR_SCHEDULES)}")
    for name, (X, y) in tasks.items():
        if X.shape[1] != d:
            raise UserError(f"{split} dataset {name} has {X.shape[1]} columns, expected {d}")
        if len(X) < cfg.min_history + 2:
            raise UserError(f"{split} dataset {name} has {len(X)} points; meta-training needs at least "
                            f"{cfg.min_history + 2} (lower --min-history)")


def meta_train(train: Tasks, validation: Tasks, cfg: MetaTrainConfig | None = None,
               model_cfg: GenerativeHPOConfig | None = None, device: str | torch.device = "cpu",
               progress: bool = True) -> tuple[GenerativeHPOModel, dict]:
    """Train a model on ``train`` tasks, selecting it on ``validation`` tasks.

    Args:
        train, validation: ``{dataset_id: (X (n, d), y (n, 1))}``, raw y.
        cfg: meta-training knobs. model_cfg: architecture.

    Returns:
        The selected model (on CPU) and a log ``{"step", "train_loss", "lr", "val_step",
        "val_loss", "val_nll", "best_step", "best_val_loss", "seconds"}`` ("lr": the learning rate of each step).
    """
    cfg = cfg or MetaTrainConfig()
    d = next(iter(train.values()))[0].shape[1]
    _check_tasks(train, d, "meta-train", cfg)
    _check_tasks(validation, d, "meta-validation", cfg)
    model_cfg = model_cfg or GenerativeHPOConfig(lr=cfg.lr)
    device = torch.device(device)
    rng = np.random.default_rng(cfg.seed)
    torch_gen = torch.Generator().manual_seed(cfg.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = GenerativeHPOModel(d, model_cfg).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=model_cfg.lr)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.steps)
                 if cfg.lr_schedule == "cosine" else None)     # patience may stop it early: lr is then > 0
    train_names = sorted(train)

    val_rng = np.random.default_rng(cfg.seed + 1)                 # the same validation episodes every time
    val_names = sorted(validation)
    val_set = [(sample_task_batch(validation, [name], cfg, val_rng),
                torch.randn(cfg.batch_size, cfg.n_targets, model_cfg.latent_dim,
                            generator=torch.Generator().manual_seed(cfg.seed + 2 + i)))
               for name in val_names for i in range(cfg.val_batches)]

    def to_device(batch: Episodes) -> Episodes:
        return batch.to(device)

    @torch.no_grad()
    def validate() -> tuple[float, float]:
        """Mean loss and mean predictive NLL on the fixed validation episodes."""
        model.eval()
        losses, nlls = [], []
        for batch, noise in val_set:
            noise = noise[:, :batch.target.shape[1]].to(device)
            out = model.loss(to_device(batch), noise)
            losses.append(float(out["loss"]))
            nlls.append(float(out["nll"]))
        model.train()
        return float(np.mean(losses)), float(np.mean(nlls))

    from tqdm import tqdm

    log = {"step": [], "train_loss": [], "lr": [], "val_step": [], "val_loss": [], "val_nll": []}
    val, val_nll = validate()
    best = {"val": val, "step": 0, "state": copy.deepcopy(model.state_dict())}
    log["val_step"].append(0)
    log["val_loss"].append(val)
    log["val_nll"].append(val_nll)
    bad_validations = 0
    start = time.perf_counter()
    bar = tqdm(range(1, cfg.steps + 1), disable=not progress, unit="step", dynamic_ncols=True)
    running = None
    model.train()
    for step in bar:
        batch = to_device(sample_task_batch(train, train_names, cfg, rng))
        noise = torch.randn(*batch.target.shape[:2], model_cfg.latent_dim, generator=torch_gen).to(device)
        loss = model.loss(batch, noise)["loss"]
        optimizer.zero_grad()
        loss.backward()
        log["lr"].append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        value = float(loss.detach())
        running = value if running is None else 0.98 * running + 0.02 * value
        log["step"].append(step)
        log["train_loss"].append(value)
        if step % cfg.val_every == 0 or step == cfg.steps:
            val, val_nll = validate()
            log["val_step"].append(step)
            log["val_loss"].append(val)
            log["val_nll"].append(val_nll)
            if val < best["val"]:
                best = {"val": val, "step": step, "state": copy.deepcopy(model.state_dict())}
                bad_validations = 0
            else:
                bad_validations += 1
            bar.set_postfix(train=f"{running:.3f}", val=f"{val:.3f}", nll=f"{val_nll:.3f}", lr=f"{log['lr'][-1]:.1e}",
                            best=f"{best['val']:.3f}@{best['step']}")
            if cfg.patience and bad_validations >= cfg.patience:
                break
    bar.close()
    model.load_state_dict(best["state"])
    log.update(best_step=best["step"], best_val_loss=best["val"], seconds=time.perf_counter() - start)
    return model.cpu(), log


def plot_loss_curve(log: dict, path: str | Path, title: str) -> Path:
    """Training loss (smoothed) and validation loss against steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, train = np.array(log["step"]), np.array(log["train_loss"])
    window = max(1, len(train) // 50)
    smooth = np.convolve(train, np.ones(window) / window, mode="valid") if len(train) else train
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(steps[window - 1:], smooth, label=f"meta-train (moving mean of {window})", alpha=0.8)
    ax.plot(log["val_step"], log["val_loss"], "o-", label="meta-validation", markersize=3)
    ax.axvline(log["best_step"], color="grey", linestyle=":", label=f"selected (step {log['best_step']})")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (recon + beta KL + predictive NLL)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def meta_train_space(data_dir: str | Path, search_space: str, out_dir: str | Path,
                     cfg: MetaTrainConfig | None = None, model_cfg: GenerativeHPOConfig | None = None,
                     device: str = "cpu", mode: str = "v3", progress: bool = True) -> dict:
    """Meta-train on one space of an HPO-B-layout folder; write checkpoint and loss plot.

    Returns:
        A summary: checkpoint and plot paths, datasets used, timing, losses.
    """
    from hpob_handler import HPOBHandler

    cfg = cfg or MetaTrainConfig()
    handler = HPOBHandler(data_dir, mode=mode, surrogates_dir=Path(data_dir).parent / "saved-surrogates")
    train = handler.get_meta_split("train", search_space)
    validation = handler.get_meta_split("validation", search_space)
    model, log = meta_train(train, validation, cfg, model_cfg, device=device, progress=progress)
    out_dir = Path(out_dir)
    checkpoint = out_dir / f"{search_space}.pt"
    extra = {"meta_train_config": asdict(cfg), "best_step": log["best_step"],
             "best_val_loss": log["best_val_loss"], "train_datasets": sorted(train),
             "validation_datasets": sorted(validation), "seconds": log["seconds"]}
    save_checkpoint(checkpoint, model, search_space, extra=extra)
    plot = plot_loss_curve(log, out_dir / f"{search_space}-loss.png", f"meta-training, space {search_space}")
    return {"checkpoint": str(checkpoint), "plot": str(plot), **extra}
