"""surrogate_quality.py on the bundled hpob-mini: the table, and its bad input (one line, exit 2, no work lost)."""
import pytest

import surrogate_quality


def test_writes_the_table(tmp_path, capsys):
    out = tmp_path / "q" / "quality.md"
    assert surrogate_quality.main(["--search-space", "mini-svm", "--sizes", "5", "--histories", "1", "--quiet",
                                   "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("Predictive head vs fitted GP, space mini-svm, validation split")
    assert text in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--seed", "-1"], "--seed must be >= 0, got -1"),
    (["--sizes", "100000"], "--sizes 100000 leaves no held-out point"),
    (["--out", "{tmp}"], "is a folder, not a file"),
    (["--out", "{tmp}/new/"], "is a folder, not a file"),
])
def test_bad_input_is_one_line(tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert surrogate_quality.main(["--search-space", "mini-svm", "--histories", "1", "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not (tmp_path / "new").exists()
