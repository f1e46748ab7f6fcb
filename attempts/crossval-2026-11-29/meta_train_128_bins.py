"""Attempt, not kept: meta-train the 3 yahpo-rpart crossval fold models with a 128-bin predictive head (64 by default); evaluate with run_variant.py and CKDIR=build/crossval-bins128/f{k}."""
import sys
from hpogen.meta_training import MetaTrainConfig, meta_train_space
from methods.generative_hpo import GenerativeHPOConfig
for k in map(int, sys.argv[1:] or ["0", "1", "2"]):
    r = meta_train_space(f"build/crossval/yahpo-rpart/yahpo-rpart-f{k}/hpob-data", "yahpo-rpart",
                         f"build/crossval-bins128/f{k}", MetaTrainConfig(), GenerativeHPOConfig(n_bins=128), progress=False)
    print(k, r["seconds"], r["best_step"], r["best_val_loss"], flush=True)
