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


@torch.no_grad()
def generate(self, X, y, n, improved=1.0):
    """n draws from p(x | z, improved, summary), z ~ N(0, temperature^2 I): (n, d)."""
    _, summary = self.read_history(X, y)
    latent = self._noise(n, self.cfg.latent_dim) * self.suggest_cfg.temperature
    flag = torch.full((n, 1), float(improved), device=self.device)
    mean = self.model.cvae.decode(latent, flag, summary.expand(n, -1))
    x = (mean + math.sqrt(self.cfg.beta / 2.0) * self._noise(*mean.shape)).clamp(0.0, 1.0)
    return x.cpu().numpy().astype(np.float64)


GenerativeHPO.generate = generate
