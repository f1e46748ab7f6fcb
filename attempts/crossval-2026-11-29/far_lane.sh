#!/bin/bash
# usage: far_lane.sh <patch|none> <tag> <mseeds...>: the 6 large-cp crossval tasks, seeds test0..test4, 50 trials
cd "$(dirname "$0")/../.." && . .venv/bin/activate   # the repository root, its venv
export PYTHONPATH=.:attempts/crossval-2026-11-29 OMP_NUM_THREADS=1 TRIALS=50 DATASETS=1487,23381,23517,31,334,4135
patch=$1; tag=$2; shift 2
opts='{}'; [ -n "$OPTS" ] && opts=$OPTS
[ "$patch" != none ] && export PATCH=$patch
[ -n "$BOUNDARY_COORDS" ] && export BOUNDARY_COORDS
for m in "$@"; do for k in 0 1 2; do
  MSEED=$m python attempts/crossval-2026-11-29/run_variant.py yf$k far-$tag-m$m "$opts" continuous test0 test1 test2 test3 test4
done; done
echo LANE-DONE
