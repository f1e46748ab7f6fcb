"""Meta-train one space with meta_train.py's defaults on 1 thread, with a chosen seed and learning-rate schedule.

usage (from the repository root):
    python attempts/meta-training-2026-11-30/meta_train_seed.py <data_dir> <space> <out> <seed> <cosine|constant>
e.g. data/hpob-mini/hpob-data mini-svm build/ck/mini-c1 1 cosine. The validation runs of a model:
    VALCK=build/ck/mini-c1 MSEED=<k> PYTHONPATH=.:attempts/crossval-2026-11-29 \
        python attempts/crossval-2026-11-29/run_variant.py mini mini-c1[-m<k>] '{}' continuous
and the means over method seeds 0, 1, 2: attempts/meta-training-2026-11-30/models_table.py.
"""
import os
import sys

sys.path.insert(0, ".")
if os.environ.get("PATCH"):       # a patch module imported first (attempts/generator-2026-11-30/attention_pool.py)
    __import__(os.environ["PATCH"])
from hpogen.runner import limit_threads  # noqa: E402

limit_threads(1)
from hpogen.meta_training import MetaTrainConfig, meta_train_space  # noqa: E402

data, space, out, seed, schedule = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
summary = meta_train_space(data, space, out, MetaTrainConfig(seed=seed, lr_schedule=schedule), progress=False)
print(space, out, "best", summary["best_val_loss"], "step", summary["best_step"], "seconds", summary["seconds"])
