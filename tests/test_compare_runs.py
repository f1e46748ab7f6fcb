"""compare_runs.py: which runs of two results files are identical, and where the others part."""
from __future__ import annotations

import orjson
import pytest

import compare_runs
from hpogen.compare import reproduction


def _write(path, data):
    path.write_bytes(orjson.dumps(data))
    return str(path)


def test_reproduction_counts_identical_runs_and_where_the_others_part():
    first = {"s": {"a": {"test0": [0.5, 0.6, 0.9], "test1": [0.2, 0.4, 0.4]}, "b": {"test0": [0.1, 0.1, 0.3]}}}
    second = {"s": {"a": {"test0": [0.5, 0.6, 0.9], "test1": [0.2, 0.5, 0.7]}, "c": {"test0": [0.0, 0.0, 0.0]}}}
    report = reproduction(first, second, trials=(1, 2, 5))
    assert (report.common, report.identical, report.only_first, report.only_second) == (2, 1, 1, 1)
    assert report.first_difference == {("s", "a", "test1"): 1}
    assert report.mean_regret[2] == (pytest.approx(0.35), pytest.approx(0.2))     # (0.1 + 0.6) / 2, (0.1 + 0.3) / 2
    assert 5 not in report.mean_regret                                               # beyond the curves


def test_cli_exit_status_says_whether_every_common_run_is_identical(tmp_path, capsys):
    curve = {"s": {"a": {"test0": [0.5, 0.6, 0.9]}}}
    same = _write(tmp_path / "same.json", curve)
    stored = _write(tmp_path / "stored.json", curve)
    other = _write(tmp_path / "other.json", {"s": {"a": {"test0": [0.5, 0.7, 0.9]}}})
    assert compare_runs.main([stored, same]) == 0
    assert "1 identical, 0 different" in capsys.readouterr().out
    assert compare_runs.main([stored, other]) == 1
    out = capsys.readouterr().out
    assert "0 identical, 1 different" in out and "s/a/test0 at 1" in out
    assert compare_runs.main([stored, str(tmp_path / "missing.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
