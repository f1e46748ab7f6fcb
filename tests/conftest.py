import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hpob_fixture import build_tiny_hpob  # noqa: E402


@pytest.fixture(scope="session")
def tiny_hpob_master(tmp_path_factory):
    return build_tiny_hpob(tmp_path_factory.mktemp("tiny-hpob"))


@pytest.fixture
def tiny_hpob(tmp_path, tiny_hpob_master):
    """A private copy of the tiny benchmark: (data_dir, surrogates_dir)."""
    data_src, surr_src = tiny_hpob_master
    data_dir, surr_dir = tmp_path / "hpob-data", tmp_path / "saved-surrogates"
    shutil.copytree(data_src, data_dir, ignore=shutil.ignore_patterns("*.cache"))
    shutil.copytree(surr_src, surr_dir)
    return data_dir, surr_dir


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Small models run fastest on one thread, and CI has two cores for everything."""
    import torch

    torch.set_num_threads(1)
