"""Ask/tell tuning of your own model over a typed search space.

``Tuner`` puts any method of ``methods/`` (GEN-VAE, GP-BO, TPE, RS) behind an
ask/tell loop over a :class:`~hpogen.search_space.SearchSpace`:

1. the first ``n_initial`` asks return a random initial design drawn from the
   seed alone (the same for every method, like HPO-B's initial designs;
   GEN-VAE needs at least one observation before it can suggest);
2. every later ask encodes the history to [0, 1]^d (y higher-is-better: the
   value, negated when minimising), calls the method's
   ``observe_and_suggest(X_obs, y_obs)`` and decodes its point (integers
   rounded, categoricals argmaxed, inactive conditionals dropped);
3. ``tell(config, value)`` records the result. A failed evaluation (an
   exception, NaN or inf, a timeout, or ``value=None``) is recorded as failed
   and shown to the method with the worst value seen so far, so that it
   learns to avoid the region; it never stops the study.

With ``study_path`` the study is written atomically after every ``tell``
(temporary file, fsync, rename), so a killed session loses at most the
evaluation in progress. A new ``Tuner`` on the same path resumes: it reloads
the trials and replays the method's past calls on the same histories, so a
stateful method (GEN-VAE, RS) is in the state it had, and a resumed study
continues exactly as an uninterrupted one would (for sequential ask/tell and
a deterministic objective).

Example:
    >>> from hpogen.search_space import SearchSpace, Float, Int
    >>> space = SearchSpace([Float("x", -2.0, 2.0), Int("n", 1, 8, log=True)])
    >>> tuner = Tuner(space, method="RS", seed=0, direction="minimize")
    >>> for _ in range(8):
    ...     config = tuner.ask()
    ...     trial = tuner.tell(config, config["x"] ** 2 + config["n"])
    >>> len(tuner.trials), tuner.best()["value"] >= 1.0
    (8, True)
"""
from __future__ import annotations

import math
import numbers
import signal
import threading
import time
import zlib
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np
import orjson

from hpogen.errors import UserError
from hpogen.results import atomic_write_bytes, sha256_of
from hpogen.search_space import Config, SearchSpace

STUDY_FORMAT = "hpogen-study/1"
DIRECTIONS = ("maximize", "minimize")
N_INITIAL = 5  # random configurations before the method is asked, as HPO-B's initial designs


def check_checkpoint(path: str | Path, space: SearchSpace) -> None:
    """Refuse a GEN-VAE checkpoint that was not meta-trained on ``space``.

    Reads only the checkpoint's ``search_space_id`` and ``d``.

    Raises:
        UserError: missing or unreadable file, another space id, or another
            dimension; one line saying why.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint {path} does not exist; pass the .pt file meta-trained on this space "
                        "(e.g. checkpoints/mini/mini-xgboost.pt) or no checkpoint")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        space_id, d = str(payload["search_space_id"]), int(payload["d"])
    except Exception as err:  # torch raises many types for a damaged file
        raise UserError(f"checkpoint {path} is unreadable or has no search_space_id / d "
                        f"({type(err).__name__}); retrain it with meta_train.py") from None
    if space.space_id is None or space_id != str(space.space_id):
        raise UserError(f"checkpoint {path} was meta-trained on search space '{space_id}', but this space is "
                        f"'{space.space_id}'; use that space's checkpoint or none")
    if d != space.dim:
        raise UserError(f"checkpoint {path} is for {d} columns, but space '{space.space_id}' encodes to "
                        f"{space.dim}; the spaces differ, use a checkpoint meta-trained on this one")


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException, so that an objective's ``except Exception`` cannot swallow it."""


@contextmanager
def _time_limit(seconds: float | None):
    """Raise ``_Timeout`` in the block after ``seconds`` (SIGALRM; main thread on Unix only).

    Elsewhere the block runs to its end and the caller checks the elapsed time.
    """
    hard = (seconds is not None and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread())
    if not hard:
        yield
        return

    def on_alarm(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def evaluate(objective: Callable[[Config], float], config: Config,
             timeout: float | None = None) -> tuple[float | None, str | None]:
    """Run ``objective(config)``, turning any failure into an error string.

    Returns:
        ``(value, None)`` on success, ``(None, reason)`` on an exception, a
        NaN/inf/non-number result or a run longer than ``timeout`` seconds.
    """
    start = time.perf_counter()
    try:
        with _time_limit(timeout):
            value = objective(dict(config))
    except _Timeout:
        return None, f"timeout after {timeout:g} s"
    except Exception as err:  # the user's objective may raise anything
        return None, f"{type(err).__name__}: {err}".splitlines()[0]
    if timeout is not None and time.perf_counter() - start > timeout:
        return None, f"timeout after {timeout:g} s"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None, f"objective returned {type(value).__name__}, not a number"
    if not math.isfinite(value):
        return None, f"objective returned {value}"
    return float(value), None


class Tuner:
    """Ask/tell optimisation of a typed search space with a method of ``methods/``.

    Args:
        space: the search space.
        method: a name of ``methods.METHOD_NAMES`` ("GEN-VAE", "GP-BO", "TPE", "RS").
        checkpoint: GEN-VAE only: a meta-trained checkpoint; used only when its
            ``search_space_id`` and ``d`` match the space.
        seed: seeds the initial design and the method.
        direction: "maximize" or "minimize" the value.
        study_path: JSON file written after every tell; resumed when it exists.
        n_initial: random configurations before the method is asked (>= 1).
        method_options: extra keyword options of the method (``make_method``'s options).
        objective: a name for what is optimised (e.g. "xgboost-cv wine accuracy"), recorded in the
            study file: a study is resumed only for the same objective.

    Raises:
        UserError: unknown method or direction, a checkpoint that does not
            match the space, or a study file made with other settings.
    """

    def __init__(self, space: SearchSpace, method: str = "GEN-VAE", checkpoint: str | Path | None = None,
                 seed: int = 0, direction: str = "maximize", study_path: str | Path | None = None,
                 n_initial: int = N_INITIAL, method_options: dict[str, Any] | None = None,
                 objective: str | None = None):
        from methods import METHOD_NAMES, make_method

        if method not in METHOD_NAMES:
            raise UserError(f"unknown method '{method}'; use one of: {', '.join(METHOD_NAMES)}")
        if direction not in DIRECTIONS:
            raise UserError(f"direction must be 'maximize' or 'minimize', got {direction!r}")
        if n_initial < 1:
            raise UserError(f"n_initial must be at least 1 (methods need an observation), got {n_initial}")
        if checkpoint is not None:
            if method != "GEN-VAE":
                raise UserError(f"a checkpoint is used by GEN-VAE only, not by {method}; drop it")
            check_checkpoint(checkpoint, space)
        self.space = space
        self.method_name = method
        self.checkpoint = None if checkpoint is None else str(checkpoint)
        # a resumed study must use the very checkpoint it started with
        self.checkpoint_sha256 = None if checkpoint is None else sha256_of(checkpoint)
        self.seed = int(seed)
        self.direction = direction
        self.n_initial = int(n_initial)
        self.objective = objective
        self.study_path = None if study_path is None else Path(study_path)
        try:
            self.method = make_method(method, seed=self.seed, checkpoint=self.checkpoint,
                                      search_space_id=space.space_id, options=method_options)
        except ValueError as err:  # e.g. a checkpoint that GEN-VAE refuses
            raise UserError(str(err)) from None
        self.initial_design = space.sample(self.n_initial, np.random.default_rng(_entropy(self.seed, "initial")))
        self.trials: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []
        self._n_asked = 0
        if self.study_path is not None and self.study_path.exists():
            self._resume()

    # ---------------------------------------------------------------- history
    def history(self, trials: list[dict[str, Any]] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The method's view of ``trials`` (default: all): X (n, d) in [0, 1], y (n, 1) higher-is-better.

        Failed trials get the worst successful y; they are left out while no
        trial has succeeded.
        """
        trials = self.trials if trials is None else trials
        done = [t for t in trials if t["state"] == "complete"]
        if not done:
            return np.zeros((0, self.space.dim)), np.zeros((0, 1))
        sign = 1.0 if self.direction == "maximize" else -1.0
        worst = min(sign * t["value"] for t in done)
        X = self.space.encode(t["config"] for t in trials)
        y = [sign * t["value"] if t["state"] == "complete" else worst for t in trials]
        return X, np.asarray(y, dtype=np.float64).reshape(-1, 1)

    def _suggest(self, n_asked: int, trials: list[dict[str, Any]]) -> tuple[Config, str]:
        """The configuration for ask number ``n_asked`` given the told ``trials``, and its source."""
        if n_asked < self.n_initial:
            return dict(self.initial_design[n_asked]), "initial"
        X, y = self.history(trials)
        if len(X) == 0:  # every evaluation so far failed: nothing for the method to learn from
            return self.space.sample(1, np.random.default_rng(_entropy(self.seed, "random", n_asked)))[0], "random"
        point = np.asarray(self.method.observe_and_suggest(X, y), dtype=np.float64).reshape(1, -1)  # (1, d)
        return self.space.decode(point)[0], "method"

    # ---------------------------------------------------------------- ask/tell
    def ask(self) -> Config:
        """The next configuration to evaluate (a fresh dict; inactive hyperparameters absent)."""
        config, source = self._suggest(self._n_asked, self.trials)
        self._pending.append({"config": config, "source": source, "ask": self._n_asked,
                              "history": len(self.trials)})
        self._n_asked += 1
        return dict(config)

    def tell(self, config: Config, value: float | None, error: str | None = None) -> dict[str, Any]:
        """Record the result of evaluating ``config``; saves the study file.

        Args:
            config: the configuration evaluated (normally one from ``ask``).
            value: the objective; None, NaN or inf mark the evaluation as failed.
            error: a reason the evaluation failed (marks it failed).

        Returns:
            The recorded trial.

        Raises:
            UserError: an unknown hyperparameter, a value out of range or not
                a choice (one line, naming the hyperparameter), or a value that
                is not a number.
        """
        config = self.space.validate(config)
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise UserError(f"the value told for a configuration must be a number or None, got {value!r}")
        if error is None and value is not None and not math.isfinite(value):
            error = f"objective returned {value}"
        if error is None and value is None:
            error = "no value"
        if error is not None:
            error = " ".join(str(error).split()) or "failed"  # one line in the study file
        match = next((p for p in self._pending if p["config"] == config), None)
        if match is not None:
            self._pending.remove(match)
        else:
            match = {"source": "user", "ask": None, "history": len(self.trials)}
        trial = {"number": len(self.trials), "config": config,
                 "value": None if error is not None else float(value),
                 "state": "failed" if error is not None else "complete", "error": error,
                 "source": match["source"], "ask": match["ask"], "history": match["history"]}
        self.trials.append(trial)
        self.save()
        return trial

    def optimize(self, objective: Callable[[Config], float], n_evals: int, timeout: float | None = None,
                 progress: bool = False, desc: str | None = None) -> list[dict[str, Any]]:
        """Ask, evaluate and tell until the study holds ``n_evals`` trials (a resumed study continues).

        Args:
            objective: config -> value; exceptions, NaN and timeouts are failed trials.
            n_evals: total number of trials of the study.
            timeout: seconds per evaluation (enforced with SIGALRM in the main
                thread on Unix, else checked after the evaluation returns).
            progress: show a tqdm bar.
            desc: the bar's label.

        Returns:
            The trials.
        """
        from tqdm import tqdm

        with tqdm(total=n_evals, initial=min(len(self.trials), n_evals), desc=desc or self.method_name,
                  disable=not progress, leave=False) as bar:
            while len(self.trials) < n_evals:
                config = self.ask()
                value, error = evaluate(objective, config, timeout)
                self.tell(config, value, error)
                bar.update(1)
        return self.trials

    # ---------------------------------------------------------------- results
    def best(self) -> dict[str, Any] | None:
        """The best complete trial so far (the first one on ties), or None."""
        done = [t for t in self.trials if t["state"] == "complete"]
        if not done:
            return None
        pick = max if self.direction == "maximize" else min
        return pick(done, key=lambda t: t["value"])

    def best_so_far(self) -> list[float]:
        """Best value after each trial (NaN until the first success)."""
        best, curve = math.nan, []
        better = (lambda a, b: a > b) if self.direction == "maximize" else (lambda a, b: a < b)
        for t in self.trials:
            if t["state"] == "complete" and (math.isnan(best) or better(t["value"], best)):
                best = t["value"]
            curve.append(best)
        return curve

    # ---------------------------------------------------------------- study file
    def _header(self) -> dict[str, Any]:
        return {"format": STUDY_FORMAT, "space_id": self.space.space_id, "columns": list(self.space.columns),
                "method": self.method_name, "checkpoint": self.checkpoint,
                "checkpoint_sha256": self.checkpoint_sha256, "seed": self.seed,
                "direction": self.direction, "n_initial": self.n_initial, "objective": self.objective,
                "hyperparameters": [orjson.loads(orjson.dumps(asdict(hp))) for hp in self.space.hyperparameters]}

    def save(self) -> None:
        """Write the study file atomically (no-op without ``study_path``)."""
        if self.study_path is not None:
            atomic_write_bytes(self.study_path, orjson.dumps({**self._header(), "trials": self.trials},
                                                             option=orjson.OPT_INDENT_2))

    def _resume(self) -> None:
        """Load the study file, check it was made with these settings, replay the method's calls."""
        path = self.study_path
        try:
            data = orjson.loads(path.read_bytes())
            trials = data["trials"]
            assert isinstance(trials, list)
        except Exception:
            raise UserError(f"study file {path} is corrupt or not a study; move it aside or delete it "
                            "to start a new study") from None
        for key, expected in self._header().items():
            # the checkpoint's content counts, not its path; studies from before the hyperparameters' definitions
            # and the objective were recorded are checked without them (the columns still are)
            if key == "checkpoint" or (key in ("hyperparameters", "objective") and key not in data):
                continue
            if data.get(key) == expected:
                continue
            if key == "hyperparameters":
                old, new = next(((o, n) for o, n in zip(data[key] + [None] * len(expected), expected) if o != n),
                                (data[key], expected))
                raise UserError(f"study file {path} was made with hyperparameter {old}, not {new}; use the same "
                                "search space to resume it or another path for a new study")
            raise UserError(f"study file {path} was made with {key}={data.get(key)!r}, not {expected!r}; "
                            "use the same settings to resume it or another path for a new study")
        for trial in trials:
            trial["config"] = self.space.validate(trial["config"])
        self.trials = trials
        asked = [t for t in trials if t.get("ask") is not None]
        self._n_asked = 1 + max((t["ask"] for t in asked), default=-1)
        # replay the method's past calls in ask order, so that its state is what it was
        for trial in sorted(asked, key=lambda t: t["ask"]):
            if trial["source"] == "method":
                X, y = self.history(trials[: trial["history"]])
                self.method.observe_and_suggest(X, y)


def _entropy(seed: int, *parts: int | str) -> list[int]:
    """A numpy seed from the tuner's seed and labels (crc32 of strings, stable across runs)."""
    return [int(seed) & 0xFFFFFFFF] + [p if isinstance(p, int) else zlib.crc32(p.encode()) for p in parts]
