"""A typed search space that encodes configurations to [0, 1]^d the way HPO-B does.

A user describes the hyperparameters of their model once; the space turns a
configuration (a dict) into one row of HPO-B's X and back, so that any method
of ``methods/`` (which only sees [0, 1]^d) can tune it, and a GEN-VAE
checkpoint meta-trained on an HPO-B(-layout) space can be reused when the
columns match.

The encoding, column by column (HPO-B's, see ../shared/hpob/FORMAT.md):

- numeric: ``log(x + 1e-4)`` if log-scaled, then min-max to [0, 1] over the
  hyperparameter's range;
- conditional (active only when a parent categorical takes a given value):
  an extra ``name.na`` column, 1 when inactive (the value is then filled with
  0 before the transform), 0 when active. As in HPO-B's meta-data, 0 is inside
  the min-max range of every variable that has a ``.na`` column;
- categorical: one-hot, one column per choice.

Columns come in the order the hyperparameters are listed: value, then ``.na``;
a categorical's one-hot columns in the order of its choices.

Decoding a row of [0, 1]^d: categoricals are the argmax of their one-hot
columns, a conditional hyperparameter is kept only when its parent activates
it (the ``.na`` columns are not read), numerics are clipped to their range and
integers rounded.

Example:
    >>> space = SearchSpace([
    ...     Float("C", 1e-3, 1e3, log=True),
    ...     Categorical("kernel", ["rbf", "linear"]),
    ...     Float("gamma", 1e-4, 10.0, log=True, condition=("kernel", "rbf")),
    ... ])
    >>> space.columns
    ('C', 'kernel.ohe._rbf', 'kernel.ohe._linear', 'gamma', 'gamma.na')
    >>> X = space.encode([{"C": 1.0, "kernel": "linear"}])
    >>> X.shape
    (1, 5)
    >>> space.decode(X)[0]["kernel"]
    'linear'
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from hpogen.errors import UserError

Config = dict[str, Any]  # hyperparameter name -> value; inactive hyperparameters are absent

LOG_OFFSET = 1e-4  # HPO-B's transform is log(x + 1e-4)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a hyperparameter name must be a non-empty string, got {name!r}")
    return name


def _bound(name: str, which: str, value: Any, integer: bool) -> float:
    """A range bound as float: a real number (an integral one for ``Int``), not a string or a bool."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        kind = "an integer" if integer else "a number"
        raise ValueError(f"hyperparameter '{name}': {which} must be {kind}, got {value!r}")
    return float(value)


def _condition(condition: tuple[str, Any] | None) -> tuple[str, tuple[Any, ...]] | None:
    """Normalise ``(parent, value)`` or ``(parent, (v1, v2))`` to ``(parent, (values...))``."""
    if condition is None:
        return None
    if not isinstance(condition, (tuple, list)) or len(condition) != 2:
        raise ValueError(f"a condition must be (parent, value) or (parent, (value, ...)), got {condition!r}")
    parent, values = condition
    if not isinstance(values, (tuple, list)):
        values = (values,)
    return str(parent), tuple(values)


@dataclass(frozen=True)
class Numeric:
    """A float or integer hyperparameter; build it with :func:`Float` or :func:`Int`.

    Attributes:
        name: the hyperparameter (and X column) name.
        low, high: the range of an active value, inclusive.
        log: encode as ``log(x + 1e-4)`` before min-max (HPO-B's
            ``variables_to_apply_log``); sampled log-uniformly.
        integer: values are integers (decoded by rounding).
        condition: ``(parent, values)``: active only when the categorical
            ``parent`` is active and takes one of ``values``; None = always.
        na_column: has a ``name.na`` column (always, for a conditional one;
            HPO-B also keeps one for some always-active variables, e.g.
            ``nrounds.na`` of space 5971, which is then always 0).
    """

    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False
    condition: tuple[str, tuple[Any, ...]] | None = None
    na_column: bool = False

    def __post_init__(self):
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"hyperparameter '{self.name}': need finite low < high, "
                             f"got {self.low!r}..{self.high!r}")
        if self.log and self.low <= 0:
            raise ValueError(f"hyperparameter '{self.name}': a log-scaled range must be positive, "
                             f"got low={self.low!r}")
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError(f"hyperparameter '{self.name}': integer bounds must be integers")
        if self.condition is not None and not self.na_column:
            object.__setattr__(self, "na_column", True)

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.name, f"{self.name}.na") if self.na_column else (self.name,)

    def transform(self, value: float) -> float:
        """HPO-B's pre-min-max transform: ``log(x + 1e-4)`` if logged, else x."""
        return math.log(value + LOG_OFFSET) if self.log else float(value)

    def bounds(self) -> tuple[float, float]:
        """Transformed (low, high) used for min-max; 0 is inside when there is a ``.na`` column."""
        low = min(self.low, 0.0) if self.na_column else self.low
        return self.transform(low), self.transform(self.high)

    def check(self, value: Any) -> float | int:
        """The value as int/float, or a UserError naming the hyperparameter."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise UserError(f"hyperparameter '{self.name}' must be a number, got {value!r}")
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise UserError(f"hyperparameter '{self.name}' = {value!r} is outside its range "
                            f"[{_fmt(self.low)}, {_fmt(self.high)}]")
        if self.integer:
            if value != int(value):
                raise UserError(f"hyperparameter '{self.name}' must be an integer, got {value!r}")
            return int(value)
        return float(value)

    def encode(self, value: float | None) -> list[float]:
        """Columns of this hyperparameter: [u] or [u, na]; ``value=None`` = inactive."""
        low, high = self.bounds()
        raw = 0.0 if value is None else value  # inactive -> 0, as HPO-B fills it
        cells = [(self.transform(raw) - low) / (high - low)]
        if self.na_column:
            cells.append(1.0 if value is None else 0.0)
        return cells

    def decode(self, u: float) -> float | int:
        """The value at position ``u`` of [0, 1] (clipped), rounded if integer."""
        low, high = self.bounds()
        t = low + float(np.clip(u, 0.0, 1.0)) * (high - low)
        value = math.exp(t) - LOG_OFFSET if self.log else t
        if self.integer:
            return int(min(max(round(value), self.low), self.high))
        return min(max(value, self.low), self.high)

    def sample(self, rng: np.random.Generator) -> float | int:
        """Uniform (log-uniform when logged) over the range; integers uniform over their bins."""
        if self.integer:
            if self.log:  # log-uniform over [low, high + 1), floored: each integer gets its log-width
                value = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
                return int(min(math.floor(value), self.high))
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.log:
            return min(max(math.exp(rng.uniform(math.log(self.low), math.log(self.high))), self.low),
                       self.high)
        return float(rng.uniform(self.low, self.high))


def Float(name: str, low: float, high: float, log: bool = False,
          condition: tuple[str, Any] | None = None, na_column: bool = False) -> Numeric:
    """A real hyperparameter in [low, high]; ``log=True`` for a log-scaled one."""
    name = _check_name(name)
    return Numeric(name, _bound(name, "low", low, False), _bound(name, "high", high, False), log=log,
                   condition=_condition(condition), na_column=na_column)


def Int(name: str, low: int, high: int, log: bool = False,
        condition: tuple[str, Any] | None = None, na_column: bool = False) -> Numeric:
    """An integer hyperparameter in [low, high]; ``log=True`` for a log-scaled one."""
    name = _check_name(name)
    return Numeric(name, _bound(name, "low", low, True), _bound(name, "high", high, True), log=log, integer=True,
                   condition=_condition(condition), na_column=na_column)


@dataclass(frozen=True)
class Categorical:
    """A categorical hyperparameter, one-hot encoded.

    Attributes:
        name: the hyperparameter name.
        choices: its values (str, int, float or bool; compared with ``==``).
        condition: as for numerics.
        one_hot: the one-hot column names, one per choice; default
            ``name.ohe._<choice>`` (HPO-B's naming).
    """

    name: str
    choices: tuple[Any, ...]
    condition: tuple[str, tuple[Any, ...]] | None = None
    one_hot: tuple[str, ...] = ()

    def __post_init__(self):
        _check_name(self.name)
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Iterable):
            raise ValueError(f"hyperparameter '{self.name}': choices must be a list or tuple of values, "
                             f"got {self.choices!r}")
        object.__setattr__(self, "choices", tuple(self.choices))
        object.__setattr__(self, "condition", _condition(self.condition))
        if len(self.choices) < 2 or len(set(map(repr, self.choices))) != len(self.choices):
            raise ValueError(f"hyperparameter '{self.name}': need at least 2 distinct choices")
        one_hot = tuple(self.one_hot) or tuple(f"{self.name}.ohe._{c}" for c in self.choices)
        if len(one_hot) != len(self.choices):
            raise ValueError(f"hyperparameter '{self.name}': one column name per choice")
        object.__setattr__(self, "one_hot", one_hot)

    @property
    def na_column(self) -> bool:
        return self.condition is not None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.one_hot + ((f"{self.name}.na",) if self.na_column else ())

    def index(self, value: Any) -> int:
        """Position of ``value`` among the choices, or a UserError naming the hyperparameter."""
        for i, choice in enumerate(self.choices):  # True == 1 in Python: a bool matches only a bool
            if isinstance(choice, bool) == isinstance(value, bool) and choice == value:
                return i
        raise UserError(f"hyperparameter '{self.name}' = {value!r} is not one of its choices: "
                        f"{', '.join(map(repr, self.choices))}")

    def check(self, value: Any) -> Any:
        return self.choices[self.index(value)]

    def encode(self, value: Any | None) -> list[float]:
        hot = None if value is None else self.index(value)
        cells = [1.0 if i == hot else 0.0 for i in range(len(self.choices))]
        if self.na_column:
            cells.append(1.0 if value is None else 0.0)
        return cells

    def decode(self, cells: np.ndarray) -> Any:
        return self.choices[int(np.argmax(cells[: len(self.choices)]))]

    def sample(self, rng: np.random.Generator) -> Any:
        return self.choices[int(rng.integers(len(self.choices)))]


Hyperparameter = Numeric | Categorical


class SearchSpace:
    """Hyperparameters and their HPO-B encoding to [0, 1]^d.

    Args:
        hyperparameters: in column order (see the module docstring).
        space_id: the id of the space, e.g. ``"mini-xgboost"``; a GEN-VAE
            checkpoint is reused only on a space with its id and dimension.

    Raises:
        ValueError: duplicate names, a condition on an unknown or
            non-categorical parent, a condition value the parent cannot take,
            or a cycle of conditions.
    """

    def __init__(self, hyperparameters: Sequence[Hyperparameter], space_id: str | None = None):
        if isinstance(hyperparameters, (Numeric, Categorical)) or not isinstance(hyperparameters, Iterable):
            raise ValueError("SearchSpace takes a list of hyperparameters (Float, Int, Categorical), "
                             f"got {hyperparameters!r}")
        self.hyperparameters: tuple[Hyperparameter, ...] = tuple(hyperparameters)
        if not self.hyperparameters:
            raise ValueError("a search space needs at least one hyperparameter")
        for hp in self.hyperparameters:
            if not isinstance(hp, (Numeric, Categorical)):
                raise ValueError(f"SearchSpace takes Float, Int and Categorical hyperparameters, got {hp!r}")
        self.space_id = space_id
        self._by_name = {hp.name: hp for hp in self.hyperparameters}
        if len(self._by_name) != len(self.hyperparameters):
            raise ValueError("hyperparameter names must be unique")
        for hp in self.hyperparameters:
            if hp.condition is None:
                continue
            parent, values = hp.condition
            if not isinstance(self._by_name.get(parent), Categorical):
                raise ValueError(f"hyperparameter '{hp.name}': its condition's parent '{parent}' "
                                 "must be a categorical of this space")
            for value in values:
                if value not in self._by_name[parent].choices:
                    raise ValueError(f"hyperparameter '{hp.name}': '{parent}' has no choice {value!r}")
        for hp in self.hyperparameters:  # conditions must not loop
            seen, node = {hp.name}, hp
            while node.condition is not None:
                node = self._by_name[node.condition[0]]
                if node.name in seen:
                    raise ValueError(f"the conditions of '{hp.name}' form a cycle")
                seen.add(node.name)
        # decide parents before their children when sampling or decoding
        self._parents_first = sorted(self.hyperparameters, key=self._depth)
        self.columns: tuple[str, ...] = tuple(c for hp in self.hyperparameters for c in hp.columns)
        if len(set(self.columns)) != len(self.columns):
            raise ValueError("two hyperparameters give the same column name")

    @property
    def dim(self) -> int:
        """Number of X columns, d."""
        return len(self.columns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def __getitem__(self, name: str) -> Hyperparameter:
        return self._by_name[name]

    def __repr__(self) -> str:
        return f"SearchSpace({self.space_id!r}, {len(self.hyperparameters)} hyperparameters, d={self.dim})"

    # ------------------------------------------------------------ activity
    def _depth(self, hp: Hyperparameter) -> int:
        """Number of ancestors of ``hp`` in the condition tree."""
        depth = 0
        while hp.condition is not None:
            hp, depth = self._by_name[hp.condition[0]], depth + 1
        return depth

    def _active(self, hp: Hyperparameter, config: Config) -> bool:
        """Is ``hp`` active under the (partial) ``config``? Parents are looked up in it."""
        while hp.condition is not None:
            parent, values = hp.condition
            if parent not in config or config[parent] not in values:
                return False
            hp = self._by_name[parent]
        return True

    def _resolve(self, pick) -> Config:
        """Build a config by asking ``pick(hp)`` for every active hyperparameter, parents first."""
        config: Config = {}
        for hp in self._parents_first:
            if self._active(hp, config):
                config[hp.name] = pick(hp)
        return {hp.name: config[hp.name] for hp in self.hyperparameters if hp.name in config}

    # ------------------------------------------------------------ checking
    def validate(self, config: Config) -> Config:
        """The configuration with checked values, in the space's order.

        Raises:
            UserError: (one line, naming the hyperparameter) an unknown
                hyperparameter, a value out of range, not an integer or not a
                choice, a missing active hyperparameter, or a value given for
                one that its condition makes inactive.
        """
        if not isinstance(config, dict):
            raise UserError(f"a configuration must be a dict of hyperparameter values, got {type(config).__name__}")
        for name in config:
            if name not in self._by_name:
                raise UserError(f"unknown hyperparameter '{name}'; this space has: {', '.join(self.names)}")
        checked = {name: self._by_name[name].check(value) for name, value in config.items()}
        out: Config = {}
        for hp in self.hyperparameters:
            active = self._active(hp, checked)
            if active and hp.name not in checked:
                raise UserError(f"hyperparameter '{hp.name}' is missing from the configuration")
            if not active and hp.name in checked:
                parent, values = hp.condition
                raise UserError(f"hyperparameter '{hp.name}' is inactive unless {parent} is "
                                f"{' or '.join(map(repr, values))}; leave it out of this configuration")
            if active:
                out[hp.name] = checked[hp.name]
        return out

    # ------------------------------------------------------------ encoding
    def encode(self, configs: Iterable[Config]) -> np.ndarray:
        """Configurations -> X, shape (n, d), every cell in [0, 1].

        Each configuration is validated first (see :meth:`validate`).
        """
        rows = []
        for config in configs:
            config = self.validate(config)
            rows.append([cell for hp in self.hyperparameters for cell in hp.encode(config.get(hp.name))])
        return np.asarray(rows, dtype=np.float64).reshape(-1, self.dim)

    def decode(self, X: np.ndarray) -> list[Config]:
        """Rows of [0, 1]^d -> configurations (argmax, activity from the parents, rounding).

        Args:
            X: (n, d) or (d,); values outside [0, 1] are clipped.

        Returns:
            n valid configurations.
        """
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise ValueError(f"expected rows of {self.dim} columns, got shape {X.shape}")
        starts, start = {}, 0
        for hp in self.hyperparameters:
            starts[hp.name] = start
            start += len(hp.columns)
        configs = []
        for row in X:
            def pick(hp, row=row):
                cells = row[starts[hp.name]: starts[hp.name] + len(hp.columns)]
                return hp.decode(cells) if isinstance(hp, Categorical) else hp.decode(cells[0])
            configs.append(self._resolve(pick))
        return configs

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> list[Config]:
        """``n`` random configurations: each active hyperparameter uniform (log-uniform if logged)."""
        rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
        return [self._resolve(lambda hp: hp.sample(rng)) for _ in range(n)]


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# ----------------------------------------------------------------------------
# The bundled hpob-mini spaces, column for column (see data/hpob-mini/README.md),
# so that their meta-trained checkpoints (checkpoints/mini/<space_id>.pt) apply.
# ----------------------------------------------------------------------------

def mini_xgboost() -> SearchSpace:
    """hpob-mini's ``mini-xgboost`` (mirrors HPO-B's 5971): 16 columns.

    ``booster.ohe._INVALID`` is gbtree (HPO-B's label); the tree parameters are
    active only for gbtree. ``nrounds`` is 1..200 and always active, with the
    ``nrounds.na`` column HPO-B keeps (always 0).
    """
    tree = ("booster", "gbtree")
    return SearchSpace([
        Float("eta", 2.0 ** -10, 1.0, log=True),
        Int("max_depth", 1, 15, condition=tree),
        Float("min_child_weight", 1.0, 2.0 ** 7, log=True, condition=tree),
        Float("subsample", 0.1, 1.0),
        Float("colsample_bytree", 0.0, 1.0, condition=tree),
        Float("colsample_bylevel", 0.0, 1.0, condition=tree),
        Float("lambda", 2.0 ** -10, 2.0 ** 10, log=True),
        Float("alpha", 2.0 ** -10, 2.0 ** 10, log=True),
        Int("nrounds", 1, 200, na_column=True),
        Categorical("booster", ("gbtree", "gblinear"),
                    one_hot=("booster.ohe._INVALID", "booster.ohe._gblinear")),
    ], space_id="mini-xgboost")


def mini_svm() -> SearchSpace:
    """hpob-mini's ``mini-svm`` (mirrors HPO-B's 5527): 8 columns.

    ``kernel.ohe._INVALID`` is the radial kernel; gamma is active only for it,
    degree only for the polynomial kernel.
    """
    return SearchSpace([
        Float("cost", 2.0 ** -10, 2.0 ** 10, log=True),
        Float("gamma", 2.0 ** -10, 2.0 ** 10, log=True, condition=("kernel", "radial")),
        Int("degree", 2, 5, condition=("kernel", "polynomial")),
        Categorical("kernel", ("radial", "linear", "polynomial"),
                    one_hot=("kernel.ohe._INVALID", "kernel.ohe._linear", "kernel.ohe._polynomial")),
    ], space_id="mini-svm")
