#!/usr/bin/env bash
# The device benchmark: one call measures what the GPU box needs known (repro/bench.py says what):
# every arch x D treatment on the device, SNGAN standard-CNN update time (suite loop vs eager
# baseline; fp32, TF32, BF16), 1/2/4/8 concurrent runs on one GPU, 50k-sample FID (suite vs
# clean-fid) and `repro calibrate`. Full mode on CUDA (<= 8 min on one H100-class GPU), reduced
# mode on a CPU (what CI runs). Prints a short table last; every figure goes to $OUT/bench.json,
# the measured rates to $OUT/calibration.json (`repro calibrate --merge` adds them to a cache).
#
#     bash bench/device.sh [--mode full|reduced] [--only SECTION ...]     # OUT=dir (default bench/out)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3
[ -x .venv/bin/python ] && PY=.venv/bin/python
# Packages the GPU machine lacks (clean-fid) can travel as wheels in .whl/ (BENCHMARKS.md says how).
if compgen -G ".whl/*.whl" >/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec "$PY" -m repro.bench --out "${OUT:-bench/out}" "$@"
