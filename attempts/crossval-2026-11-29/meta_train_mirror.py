"""Attempt: meta-train with mirrored episodes. In a share MIRROR (0.1) of each batch's episodes every coordinate
is mirrored (x -> 1 - x) with probability 1/2, in the context, the CVAE targets and the queries alike: a task
whose optimum lies where the meta-train optima rarely are (yahpo-rpart's large-cp tasks, 6 of 97) becomes a
tenth of the training episodes instead of a sixteenth of the tasks, and the head has to read from the history
which kind of task it is in (an epsilon-contaminated prior over the tasks). Fixed before any run. Otherwise
meta_train_y_warp.py's training with no warp (its folders, TAG=mirror; THREADS, SEED as there).

usage: PYTHONPATH=. python attempts/crossval-2026-11-29/meta_train_mirror.py f0 f1 f2 yahpo mini-xgboost mini-svm
  f<k>: the yahpo-rpart cross-validation fold model -> build/crossval-mirror/f<k>/ (run_variant.py with CKDIR=build/crossval-mirror/f{k})
  yahpo, mini-<space>: the models for the validation splits -> build/mirror/yahpo/, build/mirror/mini/ (run_variant.py with VALCK=build/mirror/{bench})
"""
import os
import sys

import torch

import hpogen.meta_training as mt
from hpogen.meta_training import MetaTrainConfig
from meta_train_y_warp import train

SHARE = float(os.environ.get("MIRROR", 0.1))
_sample = mt.sample_episodes


def sample_episodes(X, y, batch_size, context_size, n_targets, rng, *args, **kwargs):
    ep = _sample(X, y, batch_size, context_size, n_targets, rng, *args, **kwargs)
    d = ep.target.shape[-1]
    chosen = rng.random(batch_size) < SHARE
    if chosen.any():
        flip = torch.from_numpy((rng.random((batch_size, d)) < 0.5) & chosen[:, None])     # (B, d)
        f = flip[:, None, :]
        ep.context[:, :, :d] = torch.where(f, 1 - ep.context[:, :, :d], ep.context[:, :, :d])
        ep.target[:] = torch.where(f, 1 - ep.target, ep.target)
        ep.query[:] = torch.where(f, 1 - ep.query, ep.query)
    return ep


mt.sample_episodes = sample_episodes
if __name__ == "__main__":
    train(MetaTrainConfig(seed=int(os.environ.get("SEED", 0))), "mirror", sys.argv[1:])
