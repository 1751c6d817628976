#!/bin/sh
# CI (root, Debian/Ubuntu): install the packages of the single-node SLURM test cluster up front,
# so that the time goes to this step rather than to the first test marked `slurm`
# (tests/slurm_cluster.py installs them itself when they are missing). ~8 s on Debian 12.
set -eu
cd "$(dirname "$0")/.."
exec "${PYTHON:-python3}" tests/slurm_cluster.py install
