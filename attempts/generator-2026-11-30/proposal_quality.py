"""Are the decoder's candidates better than uniform ones? One GEN-VAE run (default rule, method seed 0, seed
test0, 30 trials) per validation task; before each suggestion, 512 decoded candidates (decode(z), as the pool
has them), the same 512 with the decoder's Gaussian noise added (std sqrt(beta / 2), decode-sample.patch) and
512 uniform points are scored by the task's surrogate. Drawing them moves the run's random numbers, so the
runs are not the benchmark's.

usage (from the repository root; benchmark.py --split validation builds the views):
    python attempts/generator-2026-11-30/proposal_quality.py <view root> <checkpoint dir>
Prints, by history size n: the incumbent, the mean surrogate score of each kind of candidate, the share
that beats the incumbent, the best of the 512, and the score of the suggestion made.
"""
import sys
from pathlib import Path

import numpy as np

sys.path[:0] = [".", str(Path(__file__).parent)]
from hpogen.runner import get_handler  # noqa: E402
from methods import make_method  # noqa: E402
from surrogate_floor import surrogate_scorer  # noqa: E402


def main() -> None:
    root, checkpoints = sys.argv[1], sys.argv[2]
    handler = get_handler(f"{root}/hpob-data", "v3-test", f"{root}/saved-surrogates")
    rows = []
    for space in handler.get_search_spaces():
        for dataset in handler.get_datasets(space):
            score = surrogate_scorer(handler, space, dataset)
            method = make_method("GEN-VAE", seed=0, device="cpu", checkpoint=f"{checkpoints}/{space}.pt",
                                 search_space_id=space, options=None)

            def spy(X, y, X_pen=None, method=method, score=score):
                X, y = np.asarray(X, float), np.asarray(y, float)
                best = float(y.max())
                decoded = method.generate(X, y.reshape(-1), 512)
                noisy = np.clip(decoded + np.sqrt(method.cfg.beta / 2) * method.rng.standard_normal(decoded.shape), 0, 1)
                uniform = method.rng.random((512, X.shape[1]))
                parts = [score(p) for p in (decoded, noisy, uniform)]
                chosen = method.observe_and_suggest(X, y, X_pen)
                rows.append([len(X), best] + [v for p in parts for v in (p.mean(), (p > best).mean(), p.max())]
                            + [float(score(chosen)[0])])
                return chosen

            handler.evaluate_continuous(type("Spy", (), {"observe_and_suggest": staticmethod(spy)})(),
                                        space, dataset, "test0", 30)
    rows = np.array(rows)
    print("n | calls | incumbent | decoded: mean / P(beats) / max | decoded + noise | uniform | suggestion")
    for lo_, hi_ in ((5, 10), (10, 20), (20, 40)):
        part = rows[(rows[:, 0] >= lo_) & (rows[:, 0] < hi_)].mean(0)
        kinds = " | ".join(f"{part[2 + 3 * k]:.3f} / {part[3 + 3 * k]:.4f} / {part[4 + 3 * k]:.3f}" for k in range(3))
        print(f"{lo_}-{hi_ - 1} | {int(((rows[:, 0] >= lo_) & (rows[:, 0] < hi_)).sum())} | {part[1]:.3f} | {kinds} | {part[11]:.3f}")


if __name__ == "__main__":
    main()
