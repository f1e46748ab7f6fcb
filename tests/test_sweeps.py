"""Parallel and distributed sweeps, and crash safety under SIGKILL."""
import os
import signal
import subprocess
import sys
import time

import pytest

import example_gen
from hpogen.results import load_results
from hpogen.runner import REPO_ROOT

COMMON = ["--method", "RS", "--trials", "8", "--quiet"]


def gen(tiny_hpob, out, *extra):
    data_dir, surr_dir = tiny_hpob
    return example_gen.main(["--data-dir", str(data_dir), "--surrogates-dir", str(surr_dir), "--out", str(out),
                             "--plot-dir", str(out / "plots"), *COMMON, *extra])


def test_results_identical_for_any_number_of_local_workers(tiny_hpob, tmp_path):
    assert gen(tiny_hpob, tmp_path / "serial") == 0
    assert gen(tiny_hpob, tmp_path / "jobs2", "--jobs", "2") == 0
    serial = (tmp_path / "serial" / "RS.json").read_bytes()
    assert (tmp_path / "jobs2" / "RS.json").read_bytes() == serial
    assert len(load_results(tmp_path / "serial" / "RS.json")["100"]) == 2


def skip_unless_ci(reason: str) -> None:
    """Skip here, but fail in CI (env CI set), where requirements-ray.txt is installed and Ray must work."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the Ray executor must be tested there)")
    pytest.skip(reason)


def test_ray_executor_gives_the_same_results(tiny_hpob, tmp_path):
    try:
        import ray
    except ImportError:
        skip_unless_ci("Ray is not installed (pip install -r requirements-ray.txt)")
    assert gen(tiny_hpob, tmp_path / "serial", "--search-spaces", "200") == 0
    try:
        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    except Exception as err:  # e.g. no shared memory in a sandbox
        skip_unless_ci(f"Ray could not start in this environment: {err!r}")
    ray.shutdown()
    try:  # the script starts (and stops) its own local Ray instance
        assert gen(tiny_hpob, tmp_path / "ray", "--search-spaces", "200", "--ray") == 0
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert not ray.is_initialized()
    assert (tmp_path / "ray" / "RS.json").read_bytes() == (tmp_path / "serial" / "RS.json").read_bytes()


def test_sigkill_at_any_moment_then_rerun_completes_to_the_uninterrupted_results(tiny_hpob, tmp_path):
    data_dir, surr_dir = tiny_hpob
    ref = tmp_path / "ref"
    assert gen(tiny_hpob, ref) == 0
    reference = (ref / "RS.json").read_bytes()
    out = tmp_path / "killed"
    cmd = [sys.executable, str(REPO_ROOT / "example_gen.py"), "--data-dir", str(data_dir), "--surrogates-dir",
           str(surr_dir), "--out", str(out), "--plot-dir", str(out / "plots"), *COMMON]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    kills, partial = 0, False
    for attempt in range(4):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if attempt == 0:  # kill right after the first run lands: mid-sweep for sure
            while not (out / "RS.json").exists() and proc.poll() is None:
                time.sleep(0.005)
        else:             # and at other moments: during start-up, between and inside writes
            time.sleep(0.4 * attempt)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if (out / "RS.json").exists():  # never truncated: it always parses and validates
            done = sum(len(s) for ds in load_results(out / "RS.json").values() for s in ds.values())
            partial |= 0 < done < 20
    assert kills >= 1 and partial
    leftovers = set(out.rglob(".*.tmp"))  # a kill mid-write may leave some; nobody else may
    final = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert (out / "RS.json").read_bytes() == reference
    assert set(out.rglob(".*.tmp")) == leftovers  # the uninterrupted rerun leaves no temp file of its own


def test_limit_threads_caps_the_blas_pools_already_loaded():
    import subprocess
    import sys

    # in a child process: numpy's BLAS is loaded (and sized) before the cap, as in a worker
    code = ("import numpy, torch\n"
            "from threadpoolctl import threadpool_info\n"
            "from hpogen.runner import limit_threads\n"
            "limit_threads(1)\n"
            "pools = [p['num_threads'] for p in threadpool_info()]\n"
            "print(torch.get_num_threads(), len(pools), max(pools))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"})
    torch_threads, n_pools, most = map(int, out.stdout.split())
    assert torch_threads == 1 and n_pools >= 1 and most == 1
