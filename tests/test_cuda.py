"""The CUDA path of GEN-VAE: the same networks give the same answers on the GPU.

Skipped where CUDA is absent (CI, most laptops). Run on a GPU machine with
``python -m pytest tests/test_cuda.py``.
"""
import numpy as np
import pytest
import torch

import example_gen
import meta_train
from hpogen.results import load_results
from methods.generative_hpo import GenerativeHPO, load_checkpoint

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

CHECKPOINT = "checkpoints/yahpo-rpart/yahpo-rpart.pt"


def history(d=4, n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    return X, -((X - 0.3) ** 2).sum(1, keepdims=True)


def test_head_and_decoder_agree_between_cpu_and_cuda():
    X, y = history()
    cpu = GenerativeHPO(seed=0, device="cpu", checkpoint=CHECKPOINT, search_space_id="yahpo-rpart")
    gpu = GenerativeHPO(seed=0, device="cuda", checkpoint=CHECKPOINT, search_space_id="yahpo-rpart")
    assert next(gpu.model.parameters()).is_cuda
    candidates = np.random.default_rng(1).random((300, 4))
    ei_cpu = cpu.expected_improvement(X, y, candidates)
    ei_gpu = gpu.expected_improvement(X, y, candidates)
    assert ei_gpu.shape == (300,) and np.isfinite(ei_gpu).all()
    np.testing.assert_allclose(ei_gpu, ei_cpu, rtol=1e-3, atol=1e-5)
    # the decoder: the same noise (drawn on the CPU generator) decodes to the same configurations
    np.testing.assert_allclose(gpu.generate(X, y, 64), cpu.generate(X, y, 64), atol=1e-4)


def test_suggestions_on_cuda_are_valid_in_both_protocols():
    X, y = history()
    gpu = GenerativeHPO(seed=0, device="cuda", checkpoint=CHECKPOINT, search_space_id="yahpo-rpart")
    x = gpu.observe_and_suggest(X, y)
    assert x.shape == (1, 4) and ((0 <= x) & (x <= 1)).all()
    pending = np.random.default_rng(2).random((40, 4))
    index = gpu.observe_and_suggest(X, y, pending)
    assert 0 <= int(index) < 40


def test_meta_training_on_cuda_writes_a_checkpoint_the_cpu_loads(tiny_hpob, tmp_path):
    data_dir, _ = tiny_hpob
    out = tmp_path / "ckpt"
    assert meta_train.main(["--data-dir", str(data_dir), "--search-space", "100", "--steps", "6",
                            "--val-every", "3", "--batch-size", "4", "--max-history", "12", "--out", str(out),
                            "--quiet", "--device", "cuda"]) == 0
    payload = torch.load(out / "100.pt", weights_only=True, map_location="cpu")
    assert all(t.device.type == "cpu" for t in payload["state_dict"].values())
    model, _ = load_checkpoint(out / "100.pt", "100", 3)
    method = GenerativeHPO(seed=0, device="cpu", checkpoint=out / "100.pt", search_space_id="100")
    assert method.observe_and_suggest(np.random.rand(5, 3), np.random.rand(5, 1)).shape == (1, 3)


def test_example_gen_runs_on_cuda(tiny_hpob, tmp_path):
    data_dir, surr_dir = tiny_hpob
    argv = ["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--search-spaces", "200",
            "--datasets", "6", "--seeds", "test0", "--trials", "3", "--quiet", "--plot-dir", str(tmp_path / "p")]
    assert example_gen.main([*argv, "--device", "cuda", "--out", str(tmp_path / "gpu")]) == 0
    curve = load_results(tmp_path / "gpu" / "GEN-VAE.json")["200"]["6"]["test0"]
    assert len(curve) == 4 and all(b >= a for a, b in zip(curve, curve[1:]))
