# Two commands do all set-up on a fresh machine (Python >= 3.10):
#   make smoke   -- the main job: pipeline and numbers on tiny configs (5 CPU-minutes, BENCHMARKS.md)
#   make test    -- the test suite
# make claims-check: the LSGAN order rule at up to ten seeds (its own lane, ~8 CPU-minutes)
# Both create or reuse .venv on their own; nothing is installed by hand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: venv smoke claims-check test test-fast bench clean

venv: $(STAMP)

# uv installs the ~6 GB torch/CUDA wheel set in ~20 s where pip takes ~2 min (shared notes).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv
	$(VENV)/bin/uv pip install -q --python $(PY) -e '.[test,reports,slurm]'
	@# Byte-compile once (~40 s): with PYTHONDONTWRITEBYTECODE=1 (set on CI) nothing is cached
	@# otherwise, and every `repro` process re-parses torch (~7 s; ~15 s with torch._dynamo).
	@# A few third-party template files do not parse; they are never imported.
	-$(PY) -m compileall -q -j 0 $(VENV)/lib > /dev/null 2>&1
	touch $(STAMP)

SMOKE  := runs
# the rules call `python -m repro`: the venv's
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# fingerprints first (seconds: the finest numeric check where this CPU's ISA has one), then the
# README's by-hand command word for word: config/config.yaml puts everything under runs/
smoke: $(STAMP)
	repro fingerprint
	snakemake --cores all --config suite=smoke
	@echo
	@repro summary $(SMOKE)/results

CLAIMS := runs/smoke_claims
claims-check: $(STAMP)
	snakemake --cores all --config suite=smoke_claims runs_dir=$(CLAIMS)/runs \
		ckpt_dir=$(CLAIMS)/checkpoints results_dir=$(CLAIMS)/results
	@echo
	@repro summary $(CLAIMS)/results
	REPRO_CLAIMS_RUNS=$(CLAIMS) $(PY) -m pytest -q -m claims tests/test_smoke_suite.py

# CI: every test but the claim lane's (make claims-check), on one pytest worker per core
# (pytest-xdist); a file's tests stay on one worker, so a file's session fixture (the smoke suite,
# the SLURM cluster) is built once. The SLURM tests mostly wait on status checks, so the other
# worker computes meanwhile (BENCHMARKS.md, "Smoke and CI lanes"). At most 4: beyond that the
# smoke suite's file (~4 min on one worker) is the whole wait, and a container whose CPU quota is
# below its visible core count must not start a torch process per visible core.
XDIST := -n auto --maxprocesses 4 --dist loadfile
test: $(STAMP)
	$(PY) -m pytest -q $(XDIST) -m "not claims"

# the development lane: everything but the tests marked slow (the smoke suite end to end, SLURM,
# the adaptive-seeds workflow, SIGKILL-and-resume); CI runs the full `make test`
test-fast: $(STAMP)
	$(PY) -m pytest -q $(XDIST) -m "not slow and not claims"

bench: $(STAMP)
	$(PY) -m pytest -q tests/benchmarks --benchmark-enable

clean:
	rm -rf runs .pytest_cache
