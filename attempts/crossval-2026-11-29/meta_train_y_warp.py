"""Attempt: meta-train with the y-warp augmentation (each episode sees its task's y through u ** exp(N(0, 0.5^2))).

usage: python attempts/crossval-2026-11-29/meta_train_y_warp.py f0 f1 f2 yahpo mini-xgboost mini-svm
  f<k>: the yahpo-rpart cross-validation fold model -> build/crossval-ywarp/f<k>/ (run_variant.py with CKDIR=build/crossval-ywarp/f{k})
  yahpo, mini-<space>: the model for the validation splits -> build/ywarp/yahpo/, build/ywarp/mini/ (run_variant.py with VALCK=build/ywarp/{bench})
Everything else is meta_train.py's default; Y_WARP overrides the 0.5, SEED the seed 0, and TAG=<name> writes to
build/crossval-<name>/f<k>/ and build/<name>/... instead (Y_WARP=0 SEED=1 TAG=seed1: the default models of another
seed, to size how much a new meta-training alone moves the results).
"""
import os
import sys

import torch

from hpogen.meta_training import MetaTrainConfig, meta_train_space


def train(cfg: MetaTrainConfig, tag: str, targets: list[str]) -> None:
    """Meta-train each target (f<k>, yahpo, mini-<space>) with ``cfg`` into the folders of the usage above."""
    torch.set_num_threads(int(os.environ.get("THREADS", 1)))
    for target in targets:
        if target.startswith("f"):
            data, space, out = f"build/crossval/yahpo-rpart/yahpo-rpart-{target}/hpob-data", "yahpo-rpart", f"build/crossval-{tag}/{target}"
        elif target == "yahpo":
            data, space, out = "data/yahpo-rpart/hpob-data", "yahpo-rpart", f"build/{tag}/yahpo"
        else:
            data, space, out = "data/hpob-mini/hpob-data", target, f"build/{tag}/mini"
        r = meta_train_space(data, space, out, cfg, progress=False)
        print(target, round(r["seconds"]), r["best_step"], r["best_val_loss"], flush=True)


if __name__ == "__main__":
    train(MetaTrainConfig(y_warp=float(os.environ.get("Y_WARP", 0.5)), seed=int(os.environ.get("SEED", 0))),
          os.environ.get("TAG", "ywarp"), sys.argv[1:])
