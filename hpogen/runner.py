"""Sweeps of (method, search space, dataset, seed) runs over an HPO-B handler.

Each run is independent: its method is built afresh with a seed derived from
the method seed and the run's own ids, so results do not depend on the
order of runs, the executor or the number of workers. Finished runs are
written to ``<out>/<METHOD>.json`` atomically as they arrive (and the wall
time of each suggestion to ``<out>/timings/<METHOD>.json``); a rerun skips the
runs already present, so an interrupted sweep loses at most the runs in flight.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import orjson

from hpogen.checks import check_id
from hpogen.errors import UserError
from hpogen.results import (SOURCES_DIR, Results, atomic_write_bytes, has_run, load_results, load_sources,
                            save_results, set_run, sha256_of)

REPO_ROOT = Path(__file__).resolve().parents[1]
MINI_ROOT = REPO_ROOT / "data" / "hpob-mini"
MINI_DATA_DIR = MINI_ROOT / "hpob-data"
MINI_SURROGATES_DIR = MINI_ROOT / "saved-surrogates"
MINI_CHECKPOINT_DIR = REPO_ROOT / "checkpoints" / "mini"
REAL_DATA_DIR = REPO_ROOT / "hpob-data"
REAL_SURROGATES_DIR = REPO_ROOT / "saved-surrogates"
RUNS_DIR = REPO_ROOT / "runs"  # git-ignored: default outputs of example_gen.py and meta_train.py
PROTOCOLS = ("continuous", "discrete")
DEFAULT_SPACES = ("5971", "mini-xgboost")  # the first one the data has is the default space


@dataclass(frozen=True)
class Run:
    """One run: a method on one (search space, dataset, seed)."""

    method: str
    space: str
    dataset: str
    seed: str


@dataclass
class SweepConfig:
    """Everything a worker needs to execute runs (picklable)."""

    data_dir: str
    surrogates_dir: str
    mode: str = "v3-test"
    protocol: str = "continuous"
    trials: int = 50
    method_seed: int = 0
    device: str = "cpu"
    checkpoint_dir: str | None = None
    method_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: int = 1


@dataclass
class RunResult:
    run: Run
    curve: list[float]
    seconds: list[float]
    sources: list[str] | None = None   # where each suggestion came from, for methods that say so


def derive_seed(method_seed: int, run: Run) -> int:
    """A 63-bit seed that depends only on the method seed and the run's ids."""
    key = f"{method_seed}|{run.method}|{run.space}|{run.dataset}|{run.seed}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1


def limit_threads(n: int) -> None:
    """Cap torch and BLAS threads in this process so N workers share the cores.

    The environment variables reach libraries loaded after this call (and child processes);
    threadpoolctl caps the BLAS and OpenMP pools already loaded, numpy's and scipy's included.
    """
    from threadpoolctl import threadpool_limits

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    threadpool_limits(limits=n)


class TimedMethod:
    """Wraps a method and records the wall time and the source of each suggestion.

    A method that sets ``last_source`` (a short string such as ``"decoded"`` or
    ``"random-fallback"``) in ``observe_and_suggest`` has it recorded per
    suggestion in ``sources``; for other methods ``sources`` stays None.
    """

    def __init__(self, method: Any, name: str):
        self.method = method
        self.name = name
        self.seconds: list[float] = []
        self.sources: list[str] | None = None

    def observe_and_suggest(self, X_obs, y_obs, X_pen=None):
        start = time.perf_counter()
        suggestion = self.method.observe_and_suggest(X_obs, y_obs, X_pen)
        self.seconds.append(time.perf_counter() - start)
        source = getattr(self.method, "last_source", None)
        if source is not None:
            if self.sources is None:
                self.sources = []
            self.sources.append(str(source))
        return suggestion


_HANDLERS: dict[tuple, Any] = {}


def get_handler(data_dir: str, mode: str, surrogates_dir: str):
    """One handler per process and benchmark, so workers load each space once."""
    from hpob_handler import HPOBHandler

    key = (str(data_dir), mode, str(surrogates_dir))
    if key not in _HANDLERS:
        _HANDLERS[key] = HPOBHandler(root_dir=data_dir, mode=mode, surrogates_dir=surrogates_dir)
    return _HANDLERS[key]


def checkpoint_for(cfg: SweepConfig, run: Run) -> str | None:
    if run.method != "GEN-VAE" or not cfg.checkpoint_dir:
        return None
    path = Path(cfg.checkpoint_dir) / f"{check_id('search space', run.space)}.pt"
    if Path(cfg.checkpoint_dir).is_file():
        raise UserError(f"--checkpoint-dir {cfg.checkpoint_dir} is a file; pass the folder that holds it "
                        f"({Path(cfg.checkpoint_dir).parent})")
    if not path.is_file():
        raise UserError(f"no checkpoint for search space {run.space} in {cfg.checkpoint_dir} (expected {path}); "
                        f"run: python meta_train.py --search-space {run.space} --out {cfg.checkpoint_dir}")
    return str(path)


def check_checkpoints(cfg: SweepConfig, runs: Iterable[Run]) -> None:
    """Load each space's GEN-VAE checkpoint once and refuse one of another space or dimension."""
    from_checkpoint = sorted({r.space for r in runs if r.method == "GEN-VAE"}) if cfg.checkpoint_dir else []
    if not from_checkpoint:
        return
    from methods.generative_hpo import CheckpointError, load_checkpoint

    handler = get_handler(cfg.data_dir, cfg.mode, cfg.surrogates_dir)
    for space in from_checkpoint:
        path = checkpoint_for(cfg, Run("GEN-VAE", space, "", ""))
        try:
            load_checkpoint(path, space, handler.get_search_space_dim(space))
        except CheckpointError as err:
            raise UserError(str(err)) from None


def execute_run(cfg: SweepConfig, run: Run) -> RunResult:
    """Run one method on one (space, dataset, seed); returns its incumbent curve."""
    from methods import make_method

    limit_threads(cfg.threads)
    handler = get_handler(cfg.data_dir, cfg.mode, cfg.surrogates_dir)
    try:
        method = make_method(run.method, seed=derive_seed(cfg.method_seed, run), device=cfg.device,
                             checkpoint=checkpoint_for(cfg, run), search_space_id=run.space,
                             options=cfg.method_options.get(run.method))
    except ValueError as err:  # bad checkpoint, unknown method, unavailable device
        raise UserError(str(err)) from None
    timed = TimedMethod(method, run.method)
    evaluate = handler.evaluate_continuous if cfg.protocol == "continuous" else handler.evaluate
    curve = evaluate(timed, run.space, run.dataset, run.seed, cfg.trials)
    return RunResult(run, curve, timed.seconds, timed.sources)


def plan_runs(handler, methods: Iterable[str], spaces: Iterable[str] | None = None,
              datasets: Iterable[str] | None = None, seeds: Iterable[str] | None = None) -> list[Run]:
    """All runs of the product, with every id checked against the benchmark."""
    from methods import METHOD_NAMES

    methods = list(dict.fromkeys(methods))     # an id given twice is one run, not two
    for name in methods:
        if name not in METHOD_NAMES:
            raise UserError(f"unknown method {name!r}; valid: {', '.join(METHOD_NAMES)}")
    valid_seeds = handler.get_seeds()
    seeds = list(dict.fromkeys(seeds)) if seeds else valid_seeds
    for seed in seeds:
        if seed not in valid_seeds:
            raise UserError(f"unknown seed {seed!r}; valid: {', '.join(valid_seeds)}")
    valid_spaces = handler.get_search_spaces()
    spaces = list(dict.fromkeys(str(s) for s in spaces)) if spaces else valid_spaces
    runs = []
    for space in spaces:
        if space not in valid_spaces:
            raise UserError(f"unknown search space {space!r}; valid: {', '.join(valid_spaces)}")
        space_datasets = handler.get_datasets(space)
        chosen = (list(dict.fromkeys(str(d) for d in datasets if str(d) in space_datasets)) if datasets
                  else space_datasets)
        if datasets and not chosen:
            raise UserError(f"none of the datasets {', '.join(map(str, datasets))} is a test dataset of "
                            f"space {space}; valid: {', '.join(space_datasets)}")
        runs += [Run(m, space, d, s) for m in methods for d in chosen for s in seeds]
    if datasets:
        known = {d for space in spaces for d in handler.get_datasets(space)}
        unknown = [str(d) for d in datasets if str(d) not in known]
        if unknown:
            raise UserError(f"unknown dataset(s) {', '.join(unknown)} for space(s) {', '.join(spaces)}; "
                            f"valid: {', '.join(sorted(known))}")
    return runs


def results_dir_for(out_dir: str | Path, protocol: str) -> Path:
    """Continuous results live in ``out_dir``, discrete ones in ``out_dir/discrete``."""
    return Path(out_dir) if protocol == "continuous" else Path(out_dir) / "discrete"


class ResultStore:
    """Results and timings files of several methods, saved after every run."""

    def __init__(self, out_dir: str | Path, methods: Iterable[str], trials: int):
        self.out_dir = Path(out_dir)
        self.trials = trials
        self.results: dict[str, Results] = {}
        self.timings: dict[str, Results] = {}
        self.sources: dict[str, dict] = {}
        for method in methods:
            results = load_results(self.results_path(method), missing_ok=True)
            for space, datasets in results.items():
                for dataset, seeds in datasets.items():
                    for seed, curve in seeds.items():
                        if len(curve) != trials + 1:
                            raise UserError(
                                f"{self.results_path(method)} holds runs of {len(curve) - 1} trials "
                                f"({space}/{dataset}/{seed}), not {trials}; pass --trials {len(curve) - 1} "
                                "to resume it, or choose another --out")
            self.results[method] = results
            self.timings[method] = load_results(self.timings_path(method), missing_ok=True, incumbents=False)
            self.sources[method] = load_sources(self.sources_path(method)) or {}

    def results_path(self, method: str) -> Path:
        return self.out_dir / f"{method}.json"

    def settings_path(self, method: str) -> Path:
        return self.out_dir / "settings" / f"{method}.json"

    def check_settings(self, cfg: SweepConfig, runs: list[Run], pending: list[Run]) -> None:
        """Refuse to add runs to, or report the runs of, a results file made with other settings; record them.

        Besides its ids, a run depends on the method seed, the handler's mode, the method's options and
        (GEN-VAE) each space's checkpoint, by content. A results file keeps them in
        ``settings/<METHOD>.json``; a file from before that record is taken as it is.
        """
        adding = {r.method for r in pending}
        for method in sorted({r.method for r in runs}):
            if method not in adding and not self.settings_path(method).is_file():
                continue
            spaces = sorted({r.space for r in runs if r.method == method})
            new = run_settings(cfg, method, spaces)
            path = self.settings_path(method)
            try:
                old = orjson.loads(path.read_bytes()) if path.is_file() else None
            except orjson.JSONDecodeError:
                raise UserError(f"{path} is corrupt; delete it (the runs already in {self.results_path(method)} "
                                "are then resumed as they are)") from None
            if old is not None and self.results[method]:
                for key in ("method_seed", "mode", "options"):
                    if old.get(key) != new[key]:
                        raise UserError(f"{self.results_path(method)} was run with {key} {old.get(key)!r}, this "
                                        f"command has {new[key]!r}; use the same settings to resume or report "
                                        "it, or choose another --out")
                for space in spaces:
                    before = old.get("checkpoints", {}).get(space, new["checkpoints"][space])
                    if before != new["checkpoints"][space]:
                        raise UserError(f"{self.results_path(method)} was run with another checkpoint for space "
                                        f"{space} ({_describe_checkpoint(before)}, now "
                                        f"{_describe_checkpoint(new['checkpoints'][space])}); use that "
                                        "checkpoint to resume it, or choose another --out")
                new["checkpoints"] = {**old.get("checkpoints", {}), **new["checkpoints"]}
            if new != old and method in adding:
                atomic_write_bytes(path, orjson.dumps(new, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))

    def timings_path(self, method: str) -> Path:
        return self.out_dir / "timings" / f"{method}.json"

    def sources_path(self, method: str) -> Path:
        return self.out_dir / SOURCES_DIR / f"{method}.json"

    def done(self, run: Run) -> bool:
        return has_run(self.results[run.method], run.space, run.dataset, run.seed)

    def add(self, result: RunResult) -> None:
        run = result.run
        # timings first: a kill between the two writes reruns this run, never loses its timings
        set_run(self.timings[run.method], run.space, run.dataset, run.seed, result.seconds or [0.0])
        save_results(self.timings_path(run.method), self.timings[run.method])
        if result.sources is not None:
            self.sources[run.method].setdefault(run.space, {}).setdefault(run.dataset, {})[run.seed] = result.sources
            save_results(self.sources_path(run.method), self.sources[run.method])
        set_run(self.results[run.method], run.space, run.dataset, run.seed, result.curve)
        save_results(self.results_path(run.method), self.results[run.method])


def run_settings(cfg: SweepConfig, method: str, spaces: Iterable[str]) -> dict:
    """What ``method``'s runs on ``spaces`` depend on besides their ids (checkpoints: sha256 of each file)."""
    checkpoints = {}
    for space in spaces:
        path = checkpoint_for(cfg, Run(method, space, "", ""))
        checkpoints[space] = sha256_of(path) if path else None
    return {"method_seed": cfg.method_seed, "mode": cfg.mode,
            "options": orjson.loads(orjson.dumps(cfg.method_options.get(method) or {})),   # as stored
            "checkpoints": checkpoints}


def _describe_checkpoint(digest: str | None) -> str:
    return "none: trained from scratch" if digest is None else f"sha256 {digest[:12]}"


def _progress(total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="run", disable=not enabled, dynamic_ncols=True)


def _worker_init(threads: int) -> None:
    limit_threads(threads)


def run_sweep(cfg: SweepConfig, runs: list[Run], out_dir: str | Path, jobs: int = 1,
              ray_address: str | None = None, use_ray: bool = False, progress: bool = True,
              on_result: Callable[[RunResult], None] | None = None, announce: str = "") -> dict[str, Results]:
    """Execute the runs not yet in ``out_dir`` and save each as it finishes.

    Everything that can be checked is checked before the first run: the
    results files already in ``out_dir`` and the GEN-VAE checkpoints.

    Args:
        cfg: what every run shares.
        runs: from :func:`plan_runs`.
        out_dir: folder of ``<METHOD>.json`` (already protocol-specific).
        jobs: local worker processes (1 = in this process).
        use_ray / ray_address: run as Ray tasks on the cluster at
            ``ray_address`` (a new local one when None).
        progress: show a tqdm bar over runs.
        announce: a line printed on stderr once those checks passed, before
            the first run (e.g. which benchmark is used).

    Returns:
        ``{method: results}`` including the runs that were already present.
    """
    if jobs < 1:
        raise UserError(f"--jobs must be >= 1, got {jobs}")
    store = ResultStore(out_dir, sorted({r.method for r in runs}), cfg.trials)
    pending = [r for r in runs if not store.done(r)]
    check_checkpoints(cfg, pending)
    store.check_settings(cfg, runs, pending)
    if announce:
        print(announce, file=sys.stderr)
    bar = _progress(len(runs), len(runs) - len(pending), progress)

    def finish(result: RunResult) -> None:
        store.add(result)
        if on_result:
            on_result(result)
        bar.update(1)

    try:
        if use_ray:
            _run_ray(cfg, pending, ray_address, finish)
        elif jobs == 1:
            for run in pending:
                finish(execute_run(cfg, run))
        else:
            _run_pool(cfg, pending, jobs, finish)
    finally:
        bar.close()
    return store.results


def _run_pool(cfg: SweepConfig, pending: list[Run], jobs: int, finish: Callable[[RunResult], None]) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                             initargs=(cfg.threads,)) as pool:
        futures = {pool.submit(execute_run, cfg, run) for run in pending}
        try:
            while futures:
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    finish(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def check_ray_address(address: str | None, timeout: float = 5.0) -> None:
    """A cluster address (``host:port`` or ``ray://host:port``) must accept a connection within ``timeout``
    seconds; otherwise one line says so, instead of Ray retrying for minutes. Other values ("auto", none)
    are left to Ray."""
    match = re.fullmatch(r"(?:ray://)?\[?([^\]/]+?)\]?:(\d+)", address or "")
    if not match:
        return
    host, port = match.group(1), int(match.group(2))
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        raise UserError(f"cannot reach the Ray cluster at {address} ({err.strerror or type(err).__name__}); start "
                        "it there (ray start --head) or check --ray's address") from None


def _run_ray(cfg: SweepConfig, pending: list[Run], address: str | None,
             finish: Callable[[RunResult], None]) -> None:
    check_ray_address(address)
    try:
        import ray
    except ImportError:
        raise UserError("--ray needs Ray: pip install -r requirements-ray.txt") from None
    started_here = not ray.is_initialized()
    if started_here:
        # workers import this repository from the same path (a shared file system on a cluster)
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(REPO_ROOT)}})
    remote = ray.remote(num_cpus=cfg.threads)(execute_run)
    refs = [remote.remote(cfg, run) for run in pending]
    try:
        while refs:
            done, refs = ray.wait(refs, num_returns=1)
            for ref in done:
                try:
                    finish(ray.get(ref))
                except ray.exceptions.RayTaskError as err:
                    cause = err.as_instanceof_cause()
                    if isinstance(cause, UserError):
                        raise UserError(str(cause).splitlines()[-1]) from None
                    raise
    finally:
        for ref in refs:
            ray.cancel(ref)
        if started_here:
            ray.shutdown()


# ------------------------------------------------------------ benchmarks
@dataclass
class Benchmark:
    """Where a sweep reads its data and, by default, writes its results."""

    name: str                    # "hpob", "mini", a bundled benchmark's folder, or the data's own folder name
    data_dir: Path
    surrogates_dir: Path
    default_spaces: list[str] | None
    results_dir: Path
    plots_dir: Path
    checkpoint_dir: Path | None
    note: str = ""               # printed before a sweep ("{spaces}": the spaces it runs)

    @property
    def runs_dir(self) -> Path:
        """Git-ignored folder of ``example_gen.py``'s and ``meta_train.py``'s default outputs."""
        return RUNS_DIR / self.name

    def announcement(self, spaces: Iterable[str]) -> str:
        """The note, naming the search spaces of the sweep ('' without a note)."""
        spaces = sorted(set(spaces))
        label = f"search space{'s' if len(spaces) > 1 else ''} {', '.join(spaces)}"
        return self.note.replace("{spaces}", label)


HOW_TO_GET_HPOB = ("get HPO-B with `python download_hpob.py` (README section 'HPO-B data') "
                   "or pass --data-dir and --surrogates-dir")


def resolve_benchmark(data_dir: str | Path | None = None, surrogates_dir: str | Path | None = None) -> Benchmark:
    """Pick the benchmark: the given folder, else real HPO-B if present, else the bundled hpob-mini.

    Results of the same data get the same name however its folder is passed: ``./hpob-data`` is "hpob"
    with or without ``--data-dir``; another folder is named after the folder that holds it (or after
    itself when that is the repository).
    """
    if data_dir is None:
        if REAL_DATA_DIR.is_dir():
            data_dir = REAL_DATA_DIR
        elif MINI_DATA_DIR.is_dir():
            return Benchmark("mini", MINI_DATA_DIR, Path(surrogates_dir or MINI_SURROGATES_DIR), ["mini-xgboost"],
                             REPO_ROOT / "results" / "mini", REPO_ROOT / "plots" / "mini",
                             MINI_CHECKPOINT_DIR if MINI_CHECKPOINT_DIR.is_dir() else None,
                             note=f"No HPO-B data in {REAL_DATA_DIR}: using the bundled hpob-mini benchmark "
                                  f"({{spaces}}); to use the real HPO-B, {HOW_TO_GET_HPOB}.")
        else:
            raise UserError(f"no benchmark data found in {REAL_DATA_DIR}; {HOW_TO_GET_HPOB}")
    data_dir = Path(data_dir)
    if data_dir.is_file():
        raise UserError(f"--data-dir {data_dir} is a file; pass the folder that holds the HPO-B files "
                        f"({data_dir.parent})")
    if not data_dir.is_dir():
        raise UserError(f"data folder {data_dir} does not exist; {HOW_TO_GET_HPOB}")
    if data_dir.resolve() == REAL_DATA_DIR.resolve():
        return Benchmark("hpob", data_dir, Path(surrogates_dir or REAL_SURROGATES_DIR), ["5971"],
                         REPO_ROOT / "results", REPO_ROOT / "plots", None)
    if surrogates_dir is None:
        surrogates_dir = data_dir.parent / "saved-surrogates"
    if data_dir.resolve() == MINI_DATA_DIR.resolve():
        return Benchmark("mini", data_dir, Path(surrogates_dir), ["mini-xgboost"],
                         REPO_ROOT / "results" / "mini", REPO_ROOT / "plots" / "mini",
                         MINI_CHECKPOINT_DIR if MINI_CHECKPOINT_DIR.is_dir() else None)
    bundled = data_dir.resolve().parent
    if bundled.parent == (REPO_ROOT / "data").resolve():     # another bundled benchmark, e.g. data/yahpo-rpart
        checkpoints = REPO_ROOT / "checkpoints" / bundled.name
        return Benchmark(bundled.name, data_dir, Path(surrogates_dir), None, REPO_ROOT / "results" / bundled.name,
                         REPO_ROOT / "plots" / bundled.name, checkpoints if checkpoints.is_dir() else None)
    name = data_dir.resolve().name if bundled == REPO_ROOT.resolve() else bundled.name
    return Benchmark(name, data_dir, Path(surrogates_dir), None, REPO_ROOT / "results", REPO_ROOT / "plots", None)


def default_spaces(handler, bench: Benchmark | None = None) -> list[str]:
    """HPO-B's 5971 if the data has it, else hpob-mini's mini-xgboost, else every space.

    The choice depends on the data only, not on where it lies: a copy of
    hpob-mini elsewhere gets the same default as the bundled one.
    """
    spaces = handler.get_search_spaces()
    for space in DEFAULT_SPACES:
        if space in spaces:
            return [space]
    return spaces
