"""Parallel and distributed sweeps, and crash safety under SIGKILL."""
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

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


def test_a_results_file_is_resumed_only_with_its_own_settings(tiny_hpob, tmp_path):
    """Runs of another method seed, other options or another checkpoint are not added to a results file."""
    import orjson

    from hpogen.errors import UserError
    from hpogen.meta_training import MetaTrainConfig, meta_train_space
    from hpogen.runner import SweepConfig, get_handler, plan_runs, run_sweep

    data_dir, surr_dir = tiny_hpob
    handler = get_handler(str(data_dir), "v3-test", str(surr_dir))
    first, second = (plan_runs(handler, ["RS"], ["200"], ["5"], [seed]) for seed in ("test0", "test1"))
    out = tmp_path / "res"
    run_sweep(SweepConfig(str(data_dir), str(surr_dir), trials=2), first, out, progress=False)
    assert orjson.loads((out / "settings" / "RS.json").read_bytes())["method_seed"] == 0
    with pytest.raises(UserError, match="was run with method_seed 0, this command has 7"):
        run_sweep(SweepConfig(str(data_dir), str(surr_dir), trials=2, method_seed=7), second, out, progress=False)
    with pytest.raises(UserError, match="was run with method_seed 0, this command has 7"):   # done, not reported
        run_sweep(SweepConfig(str(data_dir), str(surr_dir), trials=2, method_seed=7), first, out, progress=False)
    run_sweep(SweepConfig(str(data_dir), str(surr_dir), trials=2), second, out, progress=False)              # resumes
    assert sorted(load_results(out / "RS.json")["200"]["5"]) == ["test0", "test1"]
    (out / "settings" / "RS.json").write_text("{trunc")
    third = plan_runs(handler, ["RS"], ["200"], ["5"], ["test2"])
    with pytest.raises(UserError, match="RS.json is corrupt; delete it"):
        run_sweep(SweepConfig(str(data_dir), str(surr_dir), trials=2), third, out, progress=False)

    cfg = MetaTrainConfig(steps=2, batch_size=4, max_history=12, val_every=1)
    for name, seed in (("a", 0), ("b", 1)):
        meta_train_space(data_dir, "200", tmp_path / name, replace(cfg, seed=seed), progress=False)
    gen_first, gen_second = (plan_runs(handler, ["GEN-VAE"], ["200"], ["5"], [s]) for s in ("test0", "test1"))
    run_sweep(SweepConfig(str(data_dir), str(surr_dir), trials=1, checkpoint_dir=str(tmp_path / "a")), gen_first,
              out, progress=False)
    with pytest.raises(UserError, match="was run with another checkpoint for space 200"):
        run_sweep(SweepConfig(str(data_dir), str(surr_dir), trials=1, checkpoint_dir=str(tmp_path / "b")),
                  gen_second, out, progress=False)
    with pytest.raises(UserError, match="was run with options"):
        run_sweep(SweepConfig(str(data_dir), str(surr_dir), trials=1, checkpoint_dir=str(tmp_path / "a"),
                              method_options={"GEN-VAE": {"suggest": {"n_uniform": 8}}}), gen_second, out,
                  progress=False)


def test_an_unreachable_ray_address_is_one_line_at_once(tiny_hpob, tmp_path, capsys):
    import socket

    from hpogen.runner import check_ray_address

    with socket.socket() as sock:           # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    code = example_gen.main(["--data-dir", str(tiny_hpob[0]), "--surrogates-dir", str(tiny_hpob[1]), "--method", "RS",
                             "--trials", "2", "--seeds", "test0", "--quiet", "--out", str(tmp_path / "o"),
                             "--ray", f"127.0.0.1:{port}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and f"cannot reach the Ray cluster at 127.0.0.1:{port}" in err[0]
    assert time.perf_counter() - start < 30
    with socket.socket() as server:          # a listening address passes; "auto" and none are Ray's
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_ray_address(f"ray://127.0.0.1:{server.getsockname()[1]}")
    check_ray_address("auto")
    check_ray_address(None)
