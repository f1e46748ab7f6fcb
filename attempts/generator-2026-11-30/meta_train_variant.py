"""Meta-train one space with meta_train.py's defaults on 1 thread, a chosen seed and CVAE loss weight.

usage (from the repository root, with meta-train-without-generator.patch applied for the weight):
    python attempts/generator-2026-11-30/meta_train_variant.py <data_dir> <space> <out> <generator_weight> [seed]
generator_weight 1: the method's own loss; 0: the history encoder learns from the head's NLL alone.
"""
import sys

sys.path.insert(0, ".")
from hpogen.runner import limit_threads  # noqa: E402

limit_threads(1)
from hpogen.meta_training import MetaTrainConfig, meta_train_space  # noqa: E402
from methods.generative_hpo import GenerativeHPOConfig  # noqa: E402

data, space, out, weight = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
cfg = MetaTrainConfig(seed=int(sys.argv[5]) if len(sys.argv) > 5 else 0)
summary = meta_train_space(data, space, out, cfg, GenerativeHPOConfig(lr=cfg.lr, generator_weight=weight),
                           progress=False)
print(space, out, "best", summary["best_val_loss"], "step", summary["best_step"], "seconds", summary["seconds"])
