"""Patch (fourteenth session): the decoder as the whole global proposal. Decoded candidates are drawn from
the CVAE's generative model, x ~ N(decode(z), (beta / 2) I) clipped to [0, 1] with z ~ N(0, I) (the Gaussian
likelihood whose negative ELBO is the training loss: squared error + beta KL), instead of decode(z) itself;
run with the options '{"n_uniform": 0, "n_decoded": 576}' the pool holds no uniform points.

usage (from the repository root; see attempts/README.md, "The decoder as the whole global proposal"):
    PATCH=decoder_proposal MSEED=<k> PYTHONPATH=.:attempts/crossval-2026-11-29:attempts/generator-2026-11-30 \
        python attempts/crossval-2026-11-29/run_variant.py yahpo dprop-m<k> '{"n_uniform": 0, "n_decoded": 576}' continuous
"""
import math

import numpy as np
import torch

from methods.generative_hpo import GenerativeHPO

_generate = GenerativeHPO.generate      # decode(z), z ~ N(0, temperature^2 I), as float64 of the float32 means


@torch.no_grad()
def generate(self, X, y, n, improved=1.0):
    """n draws from p(x | z, improved, summary): the decoder's means plus N(0, beta / 2) noise, clipped: (n, d)."""
    mean = torch.as_tensor(_generate(self, X, y, n, improved), dtype=torch.float32, device=self.device)  # exact
    x = (mean + math.sqrt(self.cfg.beta / 2.0) * self._noise(*mean.shape)).clamp(0.0, 1.0)
    return x.cpu().numpy().astype(np.float64)


GenerativeHPO.generate = generate
