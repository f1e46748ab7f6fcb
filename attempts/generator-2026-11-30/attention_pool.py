"""Patch (thirteenth session): the history's summary, which conditions the CVAE, pooled by attention instead of
the mean: a learned query attends to the C tokens (multi-head attention, the encoder's width and heads), so the
summary can say where the history's good points are (a mean over the tokens loses which point was good). The
predictive head is unchanged (it attends to the tokens itself). Models meta-trained with the patch carry the
pooling's weights and load only with it.

usage (from the repository root):
    PATCH=attention_pool PYTHONPATH=.:attempts/generator-2026-11-30 \
        python attempts/meta-training-2026-11-30/meta_train_seed.py data/yahpo-rpart/hpob-data yahpo-rpart build/ck/yahpo-a0 0 cosine
    PATCH=attention_pool VALCK=build/ck/yahpo-a0 MSEED=<k> PYTHONPATH=.:attempts/crossval-2026-11-29:attempts/generator-2026-11-30 \
        python attempts/crossval-2026-11-29/run_variant.py yahpo yahpo-a0[-m<k>] '{}' continuous
"""
import torch
from torch import nn

import methods.generative_hpo as g

_init = g.HistoryEncoder.__init__


def __init__(self, d, cfg):
    _init(self, d, cfg)
    self.pool_query = nn.Parameter(torch.randn(1, 1, cfg.embed_dim) * 0.02)
    self.pool = nn.MultiheadAttention(cfg.embed_dim, cfg.n_heads, batch_first=True)


def forward(self, context):
    tokens = self.transformer(self.embedder(context))                       # (B, C, E)
    query = self.pool_query.expand(tokens.shape[0], -1, -1)                 # (B, 1, E)
    summary, _ = self.pool(query, tokens, tokens, need_weights=False)       # (B, 1, E)
    return tokens, summary[:, 0]


g.HistoryEncoder.__init__, g.HistoryEncoder.forward = __init__, forward
