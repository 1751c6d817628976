import os

import pytest
import torch

# Every process a test starts (`repro train`, Snakemake and its jobs, a copy's CLI) gets one
# OpenMP thread too: under `make test`'s two pytest workers a subprocess with torch's default of
# two spinning threads per core took 203 s where one thread took 23 s (the SIGKILL-and-resume test).
os.environ["OMP_NUM_THREADS"] = "1"


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tests run torch on one thread: on a busy 2-core machine two spinning OpenMP threads were
    measured ~10x slower than one for these small networks, and one thread is also what each
    workflow job uses (`threads: 1`)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


#: The two longest files under `make test` (BENCHMARKS.md, "Smoke and CI lanes"): the SLURM tests
#: (~3.5 min, mostly waiting on status checks) and the smoke suite (~4 min on both cores).
LONGEST = ("test_slurm.py", "test_smoke_suite.py")


def pytest_collection_modifyitems(config, items):
    """The longest files first, then the other files with slow tests, then the rest, each group
    in collection order. Under `make test`'s workers (`--dist loadfile`) a worker takes the next
    file when it is done, so a long file reached last is a wait with nothing beside it: the
    SLURM file was, for 2.5 of the suite's 10.7 minutes. Started first, its waits overlap the
    smoke suite's computing on the other worker."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item):
        name = item.path.name
        return LONGEST.index(name) if name in LONGEST else len(LONGEST) + (item.path not in slow)

    items.sort(key=rank)
